//! Trains the periodic model on the 21 demo crystals (CSP) and samples 1,000 crystals with
//! their compositions; prints the share passing 0.7 Å and matching a base crystal (FCC
//! Al, BCC Fe or diamond) under the CSP tolerances.
//! `cargo run --release -p diffusion --example periodic_demo -- [EPOCHS] [STEPS]`

use crystal::matcher::{rms_dist, MatcherConfig, Prepared};
use diffusion::periodic::sample::{sample, Target};
use diffusion::periodic::train::{DataStats, PeriodicTrainConfig, Trainer};
use diffusion::periodic::PeriodicConfig;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let epochs: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(300);
    let steps: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100);
    let data: Vec<crystal::Crystal> = crystal::demo::demo_crystals(42);
    let env = |k: &str, d: f64| -> f64 {
        std::env::var(k)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(d)
    };
    let cfg = PeriodicTrainConfig {
        model: PeriodicConfig {
            hidden: env("HIDDEN", 64.0) as usize,
            layers: env("LAYERS", 3.0) as usize,
            k_freq: env("KFREQ", 8.0) as usize,
            time_dim: 32,
            ..PeriodicConfig::default()
        },
        timesteps: env("T", 1000.0) as usize,
        epochs,
        batch_size: 21,
        lr: env("LR", 2e-3),
        warmup_steps: 20,
        ema_decay: env("EMA", 0.99),
        ..PeriodicTrainConfig::default()
    };
    let t0 = Instant::now();
    let mut tr = Trainer::new(cfg, DataStats::fit(&data)).unwrap();
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
    let n = env("N", 1000.0) as usize;
    let atoms: Vec<Vec<crystal::Element>> = (0..n)
        .map(|i| data[i % data.len()].species().to_vec())
        .collect();
    let corrs: Vec<f64> = std::env::var("CORRS")
        .unwrap_or_else(|_| env("CORR", 0.0).to_string())
        .split(',')
        .filter_map(|x| x.parse().ok())
        .collect();
    for corr in corrs {
        let t1 = Instant::now();
        let opts = diffusion::periodic::sample::SampleOptions {
            steps,
            seed: 7,
            corrector_lr: corr,
        };
        let targets: Vec<Target> = atoms.iter().cloned().map(Target::composition).collect();
        let out = sample(&model, &tr.cfg, &targets, &opts, &|_| {}).unwrap();
        println!(
            "sampling {n} with {steps} steps: {:.2} s",
            t1.elapsed().as_secs_f64()
        );
        let v = crystal::StructuralRule::notebook();
        let mc = MatcherConfig::csp();
        let bases: Vec<Prepared> = crystal::demo::bases()
            .iter()
            .map(|(_, c)| Prepared::new(c, &mc).unwrap())
            .collect();
        let (mut ok, mut pass, mut matched) = (0, 0, 0);
        let mut by: std::collections::BTreeMap<String, [usize; 3]> = Default::default();
        for c in out.iter().flatten() {
            ok += 1;
            let e = by.entry(c.formula()).or_default();
            e[0] += 1;
            if v.check(c).valid {
                pass += 1;
                e[1] += 1;
            }
            if let Ok(p) = Prepared::new(c, &mc) {
                if bases.iter().any(|b| rms_dist(&p, b, &mc).is_ok()) {
                    matched += 1;
                    e[2] += 1;
                }
            }
        }
        println!("per formula [n, pass, match]: {by:?}");
        if let Some(Err(e)) = out.iter().find(|r| r.is_err()) {
            println!("first failure: {e}");
        }
        if let Ok(dir) = std::env::var("OUT") {
            std::fs::create_dir_all(&dir).unwrap();
            for (i, c) in out.iter().enumerate().take(60) {
                if let Ok(c) = c {
                    crystal::io::write_any(
                        std::path::Path::new(&format!("{dir}/{i:03}_{}.cif", c.formula())),
                        &c.formula(),
                        c,
                    )
                    .unwrap();
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
            "corrector {corr:e}: built {ok}/{n}, pass 0.7 Å {:.1} %, match a base crystal {:.1} %",
            100.0 * pass as f64 / n as f64,
            100.0 * matched as f64 / n as f64
        );
    }
}
