//! The machine's single-precision matrix-multiply peak, the yardstick the model benchmarks
//! are quoted against (issue 12): `cargo run --release -p diffusion --example peak_gflops`.
//! Multiplies (m × k)·(k × n) f32 matrices with the `gemm` crate, the kernel the seed
//! sampler uses, on one thread and on all cores (rows split into one block per thread,
//! each block a single-threaded gemm), and prints the median GFLOP/s (2·m·n·k per product)
//! of several timed runs for the model's shapes (hidden 128 and 256) and a large square.

use gemm::{gemm, Parallelism};
use rayon::prelude::*;
use std::time::Instant;

/// out (m × n) = a (m × k) · b (k × n), row-major, on the calling thread.
fn matmul(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize) {
    // SAFETY: out is m × n, a is m × k, b is k × n, all row-major and disjoint.
    unsafe {
        gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            k as isize,
            b.as_ptr(),
            1,
            n as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// Median GFLOP/s of `runs` products, rows split over `threads` blocks.
fn gflops(m: usize, k: usize, n: usize, threads: usize, runs: usize) -> f64 {
    let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 * 0.1).collect();
    let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.1).collect();
    let mut out = vec![0f32; m * n];
    let block = m.div_ceil(threads);
    let mut product = || {
        out.par_chunks_mut(block * n)
            .zip(a.par_chunks(block * k))
            .for_each(|(o, a)| matmul(o, a, &b, a.len() / k, k, n));
    };
    product(); // warm-up
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            product();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    2.0 * (m * n * k) as f64 / t[t.len() / 2] / 1e9
}

fn main() {
    let cores = rayon::current_num_threads();
    println!("f32 gemm, median of 7 runs; {cores} cores");
    println!(
        "{:>22} {:>10} {:>10} {:>8}",
        "m × k × n", "1 thread", "all", "ratio"
    );
    for (m, k, n) in [(8192, 128, 128), (8192, 256, 256), (1024, 1024, 1024)] {
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| gflops(m, k, n, 1, 7));
        let all = gflops(m, k, n, cores, 7);
        println!(
            "{:>22} {one:>10.1} {all:>10.1} {:>7.2}×",
            format!("{m} × {k} × {n}"),
            all / one
        );
    }
}
