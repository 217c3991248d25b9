//! Speed of the `periodic` model against the PyTorch reference (issue 12), in one run:
//!
//! ```sh
//! cargo run --release -p diffusion --example periodic_speed            # everything
//! cargo run --release -p diffusion --example periodic_speed -- --quick # 1 run, smaller sets
//! ```
//!
//! Measures, interleaved, `--runs` times (median printed):
//! - the sgemm peak of this machine on 1 thread and on all cores (`kernel::sgemm_gflops`,
//!   (8192 × H)·(H × H) for H = 128 and 256; the best of the runs);
//! - training (hidden 128, 4 layers, batch 64, the first `--train-structures` crystals):
//!   Perov-5 train, MP-20 val, and MP-20 val at hidden 256 / 6 layers: structures/s over
//!   one epoch of a fresh `Trainer`;
//! - sampling (50 steps with the Langevin corrector, i.e. 99 forwards; de novo 100 steps):
//!   the shipped Perov-5 CSP model on the first 500 Perov-5 test compositions, the
//!   shipped de novo model on 500 atom counts, and an untrained MP-20-sized CSP model
//!   (hidden 128, 4 layers: speed does not depend on the weights) on 500 MP-20 test
//!   compositions;
//! - each on 1 thread and on all cores, and the reference (`periodic_reference.py` in
//!   `../shared/bench`, on 1 thread, its fastest setting here) on the same subsets when a
//!   Python with torch is found (`$CD_REF_PYTHON`, else `python3`); "reference skipped"
//!   otherwise.
//!
//! GFLOP/s are the multiply–adds our code performs (`PeriodicInfer::forward_macs`,
//! `train_macs`) × 2 over the wall time; % of peak is against the all-core sgemm figure
//! of the same run at the task's hidden width. The load average is printed with the results (shared machines are
//! noisy: compare ratios measured in one run).

use crystal::Crystal;
use diffusion::kernel::sgemm_gflops;
use diffusion::periodic::checkpoint::load_model;
use diffusion::periodic::model::PeriodicInfer;
use diffusion::periodic::sample::{de_novo_targets, sample, SampleOptions, Target};
use diffusion::periodic::train::{DataStats, PeriodicTrainConfig, Task, Trainer};
use diffusion::periodic::{PeriodicConfig, PeriodicDenoiser};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

struct Args {
    data: PathBuf,
    runs: usize,
    train_structures: usize,
    sample_count: usize,
}

fn args() -> Args {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut a = Args {
        data: root.join("../shared/data"),
        runs: 3,
        train_structures: 1280,
        sample_count: 500,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let next = |i: usize| v.get(i + 1).cloned().unwrap_or_default();
        match v[i].as_str() {
            "--quick" => {
                a.runs = 1;
                a.train_structures = 640;
                a.sample_count = 128;
            }
            "--data" => {
                a.data = PathBuf::from(next(i));
                i += 1;
            }
            "--runs" => {
                a.runs = next(i).parse().expect("--runs N");
                i += 1;
            }
            other => panic!("unknown argument {other} (see the example's docs)"),
        }
        i += 1;
    }
    a
}

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

/// The first `n` structures of a data set, and a CSV of the same rows for the reference.
fn subset(path: &Path, n: usize, csv_out: &Path) -> Vec<Crystal> {
    let rows = crystal::io::read_dataset(path).unwrap_or_else(|e| panic!("{e}"));
    let crystals: Vec<Crystal> = rows
        .into_iter()
        .filter_map(|r| r.ok())
        .map(|e| e.crystal)
        .take(n)
        .collect();
    // The reference reads the same CSV layout: copy the header and first n rows.
    let mut text = String::new();
    let raw = std::fs::read(path).expect("data set");
    let decoded = if path.extension().is_some_and(|e| e == "gz") {
        use std::io::Read;
        let mut s = String::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_string(&mut s)
            .expect("gzip");
        s
    } else {
        String::from_utf8(raw).expect("utf-8")
    };
    let mut rdr = csv::ReaderBuilder::new().from_reader(decoded.as_bytes());
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(rdr.headers().expect("header")).expect("csv");
    for r in rdr.records().take(n) {
        w.write_record(&r.expect("row")).expect("csv");
    }
    text.push_str(&String::from_utf8(w.into_inner().expect("csv")).expect("utf-8"));
    std::fs::write(csv_out, text).expect("write subset");
    crystals
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// A Python with torch, or None.
fn reference_python() -> Option<String> {
    let py = std::env::var("CD_REF_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import torch, pymatgen"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(py)
}

/// Runs the reference; returns the largest `structures_per_s` it printed.
fn reference(py: &str, args: &[String]) -> Option<f64> {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/periodic_reference.py");
    let out = Command::new(py).arg(script).args(args).output().ok()?;
    if !out.status.success() {
        eprintln!("reference failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("structures_per_s")?.as_f64())
        .reduce(f64::max)
}

/// One task: how to time it on our side (structures/s, FLOPs per structure) and the
/// reference's arguments.
struct SpeedTask {
    name: String,
    /// Hidden width: % of peak is against the sgemm peak of (8192 × H)·(H × H).
    hidden: usize,
    ours: Box<dyn Fn() -> f64 + Send + Sync>,
    flops_per_structure: f64,
    reference: Vec<String>,
}

struct Row {
    name: String,
    hidden: usize,
    two: Vec<f64>,
    one: Vec<f64>,
    reference: Vec<f64>,
    flops_per_structure: f64,
}

fn train_task(name: &str, data: Vec<Crystal>, model: PeriodicConfig, csv: &Path) -> SpeedTask {
    let cfg = PeriodicTrainConfig {
        model,
        epochs: 1,
        batch_size: 64,
        max_atoms: 64,
        ..PeriodicTrainConfig::default()
    };
    let stats = DataStats::fit(&data);
    let probe = Trainer::new(cfg, stats.clone()).expect("config");
    let net = PeriodicInfer::from_model(&probe.model);
    let mut macs = 0u64;
    for chunk in data.chunks(64) {
        let n: usize = chunk.iter().map(|c| c.num_atoms()).sum();
        let e: usize = chunk
            .iter()
            .map(|c| c.num_atoms() * (c.num_atoms() - 1))
            .sum();
        macs += net.train_macs(n, e, chunk.len(), false);
    }
    let flops_per_structure = 2.0 * macs as f64 / data.len() as f64;
    let ours = move || {
        let mut tr = Trainer::new(cfg, stats.clone()).expect("config");
        let t = Instant::now();
        tr.run_epoch(&data, |_, _, _| {}).expect("epoch");
        data.len() as f64 / t.elapsed().as_secs_f64()
    };
    SpeedTask {
        name: name.into(),
        hidden: model.hidden,
        ours: Box::new(ours),
        flops_per_structure,
        reference: [
            "train",
            "--data",
            &csv.to_string_lossy(),
            "--epochs",
            "2",
            "--hidden",
            &model.hidden.to_string(),
            "--layers",
            &model.layers.to_string(),
            "--batch-size",
            "64",
            "--threads",
            "1",
        ]
        .map(String::from)
        .to_vec(),
    }
}

fn sample_task(
    name: &str,
    model: PeriodicDenoiser,
    cfg: PeriodicTrainConfig,
    targets: Vec<Target>,
    steps: usize,
    reference: Vec<String>,
) -> SpeedTask {
    let net = PeriodicInfer::from_model(&model);
    let hidden = cfg.model.hidden;
    let dng = cfg.task == Task::Dng;
    let forwards = (2 * steps - 1) as f64;
    let macs: f64 = targets
        .iter()
        .map(|t| {
            let n = t.n_atoms();
            net.forward_macs(n, n * (n - 1), 1, dng, dng) as f64
        })
        .sum();
    let flops_per_structure = 2.0 * macs * forwards / targets.len() as f64;
    let ours = move || {
        let opts = SampleOptions {
            steps,
            seed: 1,
            ..SampleOptions::default()
        };
        let t = Instant::now();
        let out = sample(&model, &cfg, &targets, &opts, &|_| {}).expect("sample");
        assert_eq!(out.len(), targets.len());
        targets.len() as f64 / t.elapsed().as_secs_f64()
    };
    SpeedTask {
        name: name.into(),
        hidden,
        ours: Box::new(ours),
        flops_per_structure,
        reference,
    }
}

fn compositions(crystals: &[Crystal]) -> Vec<Target> {
    crystals
        .iter()
        .map(|c| Target::composition(c.species().to_vec()))
        .collect()
}

fn main() {
    let a = args();
    let tmp = std::env::temp_dir().join(format!("periodic_speed-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp folder");
    let cores = rayon::current_num_threads();
    let py = reference_python();
    println!(
        "periodic_speed: {cores} cores, load average {} at start; reference: {}",
        load_average(),
        py.as_deref()
            .unwrap_or("reference skipped (no python3 with torch)")
    );
    let d = &a.data;
    let n_train = a.train_structures;
    let perov_csv = tmp.join("perov_train.csv");
    let mp_csv = tmp.join("mp_val.csv");
    let perov = subset(&d.join("perov_5/train.csv.gz"), n_train, &perov_csv);
    let mp = subset(&d.join("mp_20/val.csv.gz"), n_train, &mp_csv);
    let wide = PeriodicConfig {
        hidden: 256,
        layers: 6,
        ..PeriodicConfig::default()
    };

    let perov_test_csv = tmp.join("perov_test.csv");
    let mp_test_csv = tmp.join("mp_test.csv");
    let perov_test = subset(
        &d.join("perov_5/test.csv.gz"),
        a.sample_count,
        &perov_test_csv,
    );
    let mp_test = subset(&d.join("mp_20/test.csv.gz"), a.sample_count, &mp_test_csv);
    let (csp, csp_ck) = load_model(&models_dir().join("perov5-csp")).expect("shipped CSP model");
    let (dng, dng_ck) = load_model(&models_dir().join("perov5-dng")).expect("shipped DNG model");
    let mp_cfg = PeriodicTrainConfig {
        max_atoms: 64,
        ..csp_ck.train
    };
    let mp_model = PeriodicDenoiser::new(&mp_cfg.model, 7, &burn::tensor::Device::flex());
    let dng_targets = de_novo_targets(&dng_ck.atom_counts, a.sample_count, 1).expect("atom counts");
    let s = |v: &str| v.to_string();
    let csp_dir = models_dir()
        .join("perov5-csp")
        .to_string_lossy()
        .into_owned();
    let dng_dir = models_dir()
        .join("perov5-dng")
        .to_string_lossy()
        .into_owned();
    let tasks = [
        train_task(
            "train Perov-5 train, h128 L4",
            perov,
            PeriodicConfig::default(),
            &perov_csv,
        ),
        train_task(
            "train MP-20 val, h128 L4",
            mp.clone(),
            PeriodicConfig::default(),
            &mp_csv,
        ),
        train_task("train MP-20 val, h256 L6", mp, wide, &mp_csv),
        sample_task(
            "sample Perov-5 CSP, 50 steps",
            csp,
            csp_ck.train,
            compositions(&perov_test),
            50,
            vec![
                s("sample"),
                s("--compositions"),
                perov_test_csv.to_string_lossy().into_owned(),
                s("--steps"),
                s("50"),
                s("--threads"),
                s("1"),
                s("--checkpoint"),
                csp_dir,
            ],
        ),
        sample_task(
            "sample Perov-5 de novo, 100 steps",
            dng,
            dng_ck.train,
            dng_targets,
            100,
            vec![
                s("sample"),
                s("--task"),
                s("dng"),
                s("--count"),
                a.sample_count.to_string(),
                s("--steps"),
                s("100"),
                s("--threads"),
                s("1"),
                s("--checkpoint"),
                dng_dir,
                s("--atom-counts-from"),
                d.join("perov_5/val.csv.gz").to_string_lossy().into_owned(),
            ],
        ),
        sample_task(
            "sample MP-20 CSP (untrained), 50 steps",
            mp_model,
            mp_cfg,
            compositions(&mp_test),
            50,
            vec![
                s("sample"),
                s("--compositions"),
                mp_test_csv.to_string_lossy().into_owned(),
                s("--steps"),
                s("50"),
                s("--threads"),
                s("1"),
            ],
        ),
    ];
    let mut rows: Vec<Row> = tasks
        .iter()
        .map(|t| Row {
            name: t.name.clone(),
            hidden: t.hidden,
            two: vec![],
            one: vec![],
            reference: vec![],
            flops_per_structure: t.flops_per_structure,
        })
        .collect();
    // Peaks per hidden width: (8192 × H)·(H × H), the shape of the model's products.
    let widths = [128usize, 256];
    let mut peaks: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); widths.len()];
    for run in 0..a.runs {
        for (w, p) in widths.iter().zip(&mut peaks) {
            p.0.push(pool(1).install(|| sgemm_gflops(8192, *w, *w, 7)));
            p.1.push(pool(cores).install(|| sgemm_gflops(8192, *w, *w, 7)));
        }
        for (t, r) in tasks.iter().zip(&mut rows) {
            r.two.push(pool(cores).install(|| (t.ours)()));
            r.one.push(pool(1).install(|| (t.ours)()));
            if let Some(py) = &py {
                if let Some(x) = reference(py, &t.reference) {
                    r.reference.push(x);
                }
            }
            eprintln!(
                "run {} {}: {cores} threads {:.0}/s, 1 thread {:.0}/s, reference {:?}",
                run + 1,
                t.name,
                r.two.last().unwrap_or(&f64::NAN),
                r.one.last().unwrap_or(&f64::NAN),
                r.reference.last()
            );
        }
    }
    // The peak is the best of the runs (the least disturbed by other work on the machine).
    let best = |v: &[f64]| v.iter().copied().fold(f64::NAN, f64::max);
    let mut peak_of = std::collections::HashMap::new();
    for (w, (one, all)) in widths.iter().zip(&peaks) {
        let (p1, pa) = (best(one), best(all));
        println!(
            "sgemm 8192×{w}×{w}: {p1:.1} GFLOP/s on 1 thread, {pa:.1} on {cores} ({:.2}×); best of {} runs",
            pa / p1,
            a.runs
        );
        peak_of.insert(*w, pa);
    }
    println!(
        "{:<40} {:>10} {:>10} {:>10} {:>8} {:>8} {:>8} {:>7}",
        "task (structures/s)",
        "ours all",
        "ours 1",
        "torch 1",
        "ratio",
        "GFLOP/s",
        "% peak",
        "par.eff"
    );
    for r in &rows {
        let (two, one, re) = (
            median(r.two.clone()),
            median(r.one.clone()),
            median(r.reference.clone()),
        );
        let gf = two * r.flops_per_structure / 1e9;
        let pa = peak_of.get(&r.hidden).copied().unwrap_or(f64::NAN);
        println!(
            "{:<40} {:>10.1} {:>10.1} {:>10} {:>8} {:>8.1} {:>7.0}% {:>6.2}×",
            r.name,
            two,
            one,
            if re.is_nan() {
                "skipped".into()
            } else {
                format!("{re:.1}")
            },
            if re.is_nan() {
                "-".into()
            } else {
                format!("{:.2}×", two / re)
            },
            gf,
            100.0 * gf / pa,
            two / one
        );
    }
    println!(
        "load average {} at end; peak RSS of this process {:.0} MiB",
        load_average(),
        peak_rss_mib()
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
