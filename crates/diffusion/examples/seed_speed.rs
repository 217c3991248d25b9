//! Throughput of the seed-mlp pipeline: training 250 steps on the demo data and sampling
//! 1,000 structures × 200 steps. Run with `cargo run --release -p diffusion --example seed_speed`.
//! Prints the median of `--repeats N` runs (default 3).

use crystal::Crystal;
use diffusion::seed_mlp::{sample, train, SeedMlpConfig, TrainConfig};
use diffusion::LinearSchedule;
use std::time::Instant;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

fn main() {
    let repeats: usize = std::env::args()
        .skip_while(|a| a != "--repeats")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let data: Vec<Crystal> = crystal::demo::demo_crystals(42);
    let schedule = LinearSchedule::new(200, 1e-4, 0.02).unwrap();
    let cfg = TrainConfig::default();
    let mut train_s = Vec::new();
    let mut sample_s = Vec::new();
    let mut model = None;
    for _ in 0..repeats {
        let t0 = Instant::now();
        let out = train(&data, &schedule, &SeedMlpConfig::default(), &cfg, |_, _| {}).unwrap();
        train_s.push(t0.elapsed().as_secs_f64());
        model = Some(out.model);
    }
    let model = model.unwrap();
    let donors: Vec<&Crystal> = (0..1000).map(|i| &data[i % data.len()]).collect();
    let atoms: usize = donors.iter().map(|c| c.num_atoms()).sum();
    for r in 0..repeats {
        let t0 = Instant::now();
        let s = sample(&model, &schedule, &donors, r as u64, &[]).unwrap();
        sample_s.push(t0.elapsed().as_secs_f64());
        assert_eq!(s.crystals.len(), 1000);
    }
    println!("threads: {}", rayon::current_num_threads());
    println!("train 250 steps (batch 4, 8 atoms): median {:.3} s over {repeats} runs  (target < 0.2 s; PyTorch 0.93 s)", median(train_s));
    println!("sample 1000 structures ({atoms} atoms) x 200 steps: median {:.3} s  (target < 3 s; PyTorch 9.2 s)", median(sample_s));
}
