//! The machine's single-precision matrix-multiply peak, the yardstick the model benchmarks
//! are quoted against (issue 12): `cargo run --release -p diffusion --example peak_gflops`.
//! Multiplies (m × k)·(k × n) f32 matrices with `diffusion::kernel` (the `gemm` crate,
//! the kernel both fast paths use) on one thread and on all cores (rows split into one
//! block per thread, each block a single-threaded gemm), and prints the median GFLOP/s
//! (2·m·n·k per product) of several timed runs for the model's shapes (hidden 128 and
//! 256) and a large square. `periodic_speed` measures the same in its own run.

use diffusion::kernel::sgemm_gflops;

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
            .expect("a one-thread pool")
            .install(|| sgemm_gflops(m, k, n, 7));
        let all = sgemm_gflops(m, k, n, 7);
        println!(
            "{:>22} {one:>10.1} {all:>10.1} {:>7.2}×",
            format!("{m} × {k} × {n}"),
            all / one
        );
    }
}
