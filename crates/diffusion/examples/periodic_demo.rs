//! Trains the periodic model on the 21 demo crystals (CSP) and samples 1,000 crystals with
//! their compositions; prints the share passing 0.7 Å and matching a base crystal (FCC
//! Al, BCC Fe or diamond) under the CSP tolerances.
//! `cargo run --release -p diffusion --example periodic_demo -- [EPOCHS] [STEPS]`

use crystal::matcher::{rms_dist, MatcherConfig, Prepared};
use crystal::PhysicsValidator;
use diffusion::periodic::sample::sample_csp;
use diffusion::periodic::train::{PeriodicTrainConfig, Trainer};
use diffusion::periodic::PeriodicConfig;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let epochs: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(300);
    let steps: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100);
    let data: Vec<crystal::Crystal> = crystal::demo::demo_dataset(42)
        .into_iter()
        .map(|e| e.crystal)
        .collect();
    let cfg = PeriodicTrainConfig {
        model: PeriodicConfig {
            hidden: 64,
            layers: 3,
            k_freq: 8,
            time_dim: 32,
        },
        timesteps: 1000,
        epochs,
        batch_size: 21,
        lr: 2e-3,
        warmup_steps: 20,
        ema_decay: 0.99,
        ..PeriodicTrainConfig::default()
    };
    let t0 = Instant::now();
    let mut tr = Trainer::new(cfg).unwrap();
    for e in 0..epochs {
        let l = tr.run_epoch(&data, |_, _, _| {}).unwrap();
        if e % 50 == 0 || e + 1 == epochs {
            println!(
                "epoch {:>4} loss {:.4} (coord {:.4}, lattice {:.4})",
                e + 1,
                l.total,
                l.coord,
                l.lattice
            );
        }
    }
    println!("training {:.2} s", t0.elapsed().as_secs_f64());
    let model = tr.ema_model().unwrap();
    let n = 1000;
    let atoms: Vec<Vec<crystal::Element>> = (0..n)
        .map(|i| data[i % data.len()].species().to_vec())
        .collect();
    let t1 = Instant::now();
    let opts = diffusion::periodic::sample::SampleOptions {
        steps,
        seed: 7,
        corrector_lr: 0.0,
    };
    let out = sample_csp(&model, &tr.cfg, &atoms, &opts, &|_| {});
    println!(
        "sampling {n} with {steps} steps: {:.2} s",
        t1.elapsed().as_secs_f64()
    );
    let v = PhysicsValidator::new(0.7);
    let mc = MatcherConfig::csp();
    let bases: Vec<Prepared> = crystal::demo::bases()
        .iter()
        .map(|(_, c)| Prepared::new(c, &mc).unwrap())
        .collect();
    let (mut ok, mut pass, mut matched) = (0, 0, 0);
    for c in out.iter().flatten() {
        ok += 1;
        if v.check(c).valid {
            pass += 1;
        }
        if let Ok(p) = Prepared::new(c, &mc) {
            if bases.iter().any(|b| rms_dist(&p, b, &mc).is_ok()) {
                matched += 1;
            }
        }
    }
    for c in out.iter().take(6).flatten() {
        let l = c.lattice();
        println!(
            "  {} lengths {:?} angles {:?}",
            c.formula(),
            l.lengths().map(|x| (x * 100.0).round() / 100.0),
            l.angles().map(|x| x.round())
        );
    }
    println!(
        "built {ok}/{n}, pass 0.7 Å {:.1} %, match a base crystal {:.1} %",
        100.0 * pass as f64 / n as f64,
        100.0 * matched as f64 / n as f64
    );
}
