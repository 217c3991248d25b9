//! Times `NoiseSchedule::new` at DiffCSP's defaults (T = 1000, σ 0.005–0.5), which every
//! `train` and `sample` run builds once: `cargo run --release -p diffusion --example
//! schedule_speed [-- RUNS]`. Prints each run and the median, on all cores and on one.

use diffusion::periodic::noise::NoiseSchedule;
use std::time::Instant;

fn median_ms(runs: usize) -> (Vec<f64>, f64) {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            let sched = NoiseSchedule::new(1000, 0.005, 0.5, 5.0);
            std::hint::black_box(&sched);
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let all = t.clone();
    t.sort_by(f64::total_cmp);
    (all, t[t.len() / 2])
}

fn main() {
    let runs = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let (all, m) = median_ms(runs);
    println!(
        "all cores ({}): {all:.1?} ms, median {m:.1} ms",
        rayon::current_num_threads()
    );
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let (all, m) = one.install(|| median_ms(runs));
    println!("one thread: {all:.1?} ms, median {m:.1} ms");
}
