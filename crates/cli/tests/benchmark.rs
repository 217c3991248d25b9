//! `benchmark` (a paper's table row in one command), `train --init` (fine-tuning) and
//! `train --holdout`, on seconds-long runs of a tiny model. `tests/data/perov5_test20.csv`
//! is the first 20 rows of Perov-5's test split (CDVAE's data, `../shared/data/perov_5`).

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn bin() -> Command {
    Command::cargo_bin("crystal-diffusion").unwrap()
}

/// A test input: `tests/data/` (Perov-5 rows, kept out of `tests/fixtures/`, which other
/// tests read whole) or `tests/fixtures/`.
fn fixture(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("tests/data").join(name);
    if data.exists() {
        data
    } else {
        root.join("tests/fixtures").join(name)
    }
}

/// Trains a tiny model for one epoch on `data` into `out`, with `extra` flags.
fn train_tiny(data: &str, out: &Path, extra: &[&str]) {
    let o = bin()
        .arg("train")
        .arg("--data")
        .arg(fixture(data))
        .args([
            "--hidden",
            "16",
            "--layers",
            "1",
            "--k-freq",
            "2",
            "--timesteps",
            "50",
            "--batch-size",
            "4",
            "--epochs",
            "1",
            "--no-report",
            "-q",
        ])
        .args(extra)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Runs `benchmark` with `args`; returns (exit code, stdout, stderr).
fn benchmark(args: &[&str]) -> (Option<i32>, String, String) {
    let o = bin().arg("benchmark").args(args).output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn benchmark_prints_and_writes_our_row_beside_the_papers() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train_tiny("mini_dataset.csv", &run, &[]);
    let test = fixture("perov5_test20.csv");
    let out = dir.path().join("bench");
    let args = |out: &Path| -> Vec<String> {
        vec![
            "--checkpoint".into(),
            run.display().to_string(),
            "--data".into(),
            test.display().to_string(),
            "--steps".into(),
            "5".into(),
            "--seed".into(),
            "3".into(),
            "-q".into(),
            "--out".into(),
            out.display().to_string(),
        ]
    };
    let a = args(&out);
    let (code, stdout, stderr) = benchmark(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, Some(0), "{stderr}");
    // The table: our row first, then the papers' one-sample rows for Perov-5.
    let ours = stdout.find("crystal-diffusion").expect("our row");
    let diffcsp = stdout.find("52.02 %").expect("DiffCSP's row");
    assert!(ours < diffcsp, "{stdout}");
    assert!(
        stdout.contains("53.15 %") && stdout.contains("45.31 %"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("98.60 %"),
        "20-sample rows beside a 1-sample run: {stdout}"
    );
    let r = read_json(&out.join("benchmark.json"));
    assert_eq!(r["dataset"], "Perov-5");
    assert_eq!(r["task"], "csp");
    assert_eq!(r["n_test"], 20);
    assert_eq!(
        (r["steps"].as_u64(), r["seed"].as_u64()),
        (Some(5), Some(3))
    );
    assert_eq!(r["ours"]["samples"], 1);
    let rate = r["ours"]["match_rate_pct"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&rate));
    assert_eq!(r["published"].as_array().unwrap().len(), 3);
    assert!(r["command"].as_str().unwrap().contains("--steps 5"));
    // The unseen-composition figure from the formulas the tiny run recorded: none of
    // the 20 test formulas is among the mini data set's.
    let u = &r["unseen"];
    assert_eq!(u["training_data"], "the formulas the checkpoint recorded");
    assert_eq!(u["n_unseen"], 20, "{u}");
    assert_eq!(u["seen_match_rate_pct"], Value::Null);
    // With the headline's gate: every composition is unseen, so the figures agree.
    assert_eq!(u["match_rate_pct"].as_f64().unwrap(), rate);
    assert_eq!(u["rmse"], r["ours"]["rmse"]);
    // One CIF per composition, named by material_id; the page holds the table.
    let cifs = files(&out.join("structures"));
    assert_eq!(cifs.len(), 20);
    assert!(cifs.iter().any(|(n, _)| n == "3961.cif"), "{:?}", cifs[0].0);
    let html = std::fs::read_to_string(out.join("benchmark.html")).unwrap();
    assert!(html.contains("52.02 %") && html.contains("Perov-5"));
    // The same seed gives the same structures, bit for bit; with the test split itself
    // as --train, every composition is seen and the seen figure is the headline's.
    let again = dir.path().join("again");
    let mut a = args(&again);
    a.extend(["--train".to_string(), test.display().to_string()]);
    let (code, _, stderr) = benchmark(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        files(&again.join("structures")) == cifs,
        "structures differ"
    );
    let u = &read_json(&again.join("benchmark.json"))["unseen"];
    assert_eq!(
        (u["n_unseen"].as_u64(), u["n_seen"].as_u64()),
        (Some(0), Some(20))
    );
    assert_eq!(u["match_rate_pct"], Value::Null);
    assert_eq!(u["seen_match_rate_pct"].as_f64().unwrap(), rate);
    assert!(u["training_data"].as_str().unwrap().starts_with("--train"));
    // A second run into a finished benchmark folder replaces it; a training run's folder
    // is refused.
    let (code, _, stderr) = benchmark(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, Some(0), "{stderr}");
    let mut into_run = args(&run);
    into_run.truncate(into_run.len() - 2);
    into_run.extend(["--out".to_string(), run.display().to_string()]);
    let (code, _, stderr) = benchmark(&into_run.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("is not a benchmark folder"), "{stderr}");
    assert!(run.join("checkpoint/config.json").is_file());

    // Two predictions per composition: 40 structures, and every paper row (none at 2).
    let k2 = dir.path().join("k2");
    let (code, _, stderr) = benchmark(&[
        "--checkpoint",
        run.to_str().unwrap(),
        "--data",
        test.to_str().unwrap(),
        "--samples",
        "2",
        "--steps",
        "3",
        "--limit",
        "7",
        "-q",
        "--out",
        k2.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let r = read_json(&k2.join("benchmark.json"));
    assert_eq!(r["ours"]["samples"], 2);
    assert_eq!(r["n_test"], 7);
    assert_eq!(r["published"].as_array().unwrap().len(), 5);
    assert_eq!(files(&k2.join("structures")).len(), 14);
    let notes = r["notes"].to_string();
    assert!(notes.contains("--limit"), "{notes}");
}

#[test]
fn benchmark_refuses_bad_input_in_one_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train_tiny("mini_dataset.csv", &run, &[]);
    let no_cif = dir.path().join("no_cif.csv");
    std::fs::write(&no_cif, "material_id,formula\n1,SrTiO3\n").unwrap();
    let out = dir.path().join("out");
    let test = fixture("perov5_test20.csv");
    let rutile = fixture("rutile.vasp");
    let (ck, t, o) = (
        run.to_str().unwrap(),
        test.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "--checkpoint",
                ck,
                "--data",
                no_cif.to_str().unwrap(),
                "--dataset",
                "perov-5",
            ],
            "no `cif` column",
        ),
        (
            vec!["--checkpoint", ck, "--data", t, "--samples", "0"],
            "--samples 0",
        ),
        (
            vec!["--checkpoint", ck, "--data", t, "--task", "dng"],
            "--task dng needs a dng checkpoint",
        ),
        (
            vec!["--checkpoint", ck, "--data", rutile.to_str().unwrap()],
            "expected a data-set CSV",
        ),
        (
            vec!["--checkpoint", dir.path().to_str().unwrap(), "--data", t],
            "--checkpoint",
        ),
        (
            vec!["--checkpoint", ck, "--data", no_cif.to_str().unwrap()],
            "give --dataset",
        ),
    ];
    for (args, want) in cases {
        let (code, _, stderr) = benchmark(&[args.clone(), vec!["-q", "--out", o]].concat());
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} left {}", out.display());
    }
}

#[test]
fn fine_tuning_and_holdout() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    train_tiny("mini_dataset.csv", &base, &[]);
    // Fine-tune on the Perov-5 rows, holding a quarter out for validation.
    let ft = dir.path().join("ft");
    let o = bin()
        .args(["train", "--init"])
        .arg(&base)
        .arg("--data")
        .arg(fixture("perov5_test20.csv"))
        .args([
            "--holdout",
            "0.25",
            "--epochs",
            "2",
            "--no-report",
            "-q",
            "--out",
        ])
        .arg(&ft)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let c = read_json(&ft.join("checkpoint/config.json"));
    // The network is the base model's (hidden 16, T 50), without the flags repeated.
    assert_eq!(c["train"]["model"]["hidden"], 16);
    assert_eq!(c["train"]["timesteps"], 50);
    assert_eq!(
        (c["epoch"].as_u64(), c["data"]["n_val"].as_u64()),
        (Some(2), Some(5))
    );
    assert_eq!(c["data"]["n_train"], 15);
    assert_eq!(c["data"]["holdout"]["fraction"], 0.25);
    assert!(c["data"]["init"]["checkpoint"]
        .as_str()
        .unwrap()
        .contains("base"));
    // Validation losses come from the held-out part.
    assert!(c["history"][0]["val"]["total"].as_f64().unwrap() > 0.0);
    // Resumed, the same quarter is held out again.
    let o = bin()
        .args(["train", "--resume"])
        .arg(&ft)
        .args(["--epochs", "3", "--no-report", "-q"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let c3 = read_json(&ft.join("checkpoint/config.json"));
    assert_eq!(c3["data"]["n_val"], 5);
    assert_eq!(c3["data"]["train_formulas"], c["data"]["train_formulas"]);

    // Refused, in one line, with exit 2 and no run folder: another width, another task,
    // no checkpoint, a holdout outside (0, 1), a holdout beside --val.
    let fresh = dir.path().join("fresh");
    let base_s = base.to_str().unwrap().to_string();
    let data = fixture("perov5_test20.csv").display().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--init".into(),
                base_s.clone(),
                "--hidden".into(),
                "32".into(),
            ],
            "hidden 16",
        ),
        (
            vec![
                "--init".into(),
                base_s.clone(),
                "--task".into(),
                "dng".into(),
            ],
            "cannot be fine-tuned for dng",
        ),
        (
            vec![
                "--init".into(),
                dir.path().join("none").display().to_string(),
            ],
            "--init",
        ),
        (vec!["--holdout".into(), "1.5".into()], "--holdout 1.5"),
        (
            vec!["--type-settle".into(), "0.95".into()],
            "--type-settle 0.95: must be a fraction of T from 0 to 0.9",
        ),
        (
            vec![
                "--holdout".into(),
                "0.2".into(),
                "--val".into(),
                data.clone(),
            ],
            "--holdout",
        ),
    ];
    for (extra, want) in cases {
        let o = bin()
            .args([
                "train",
                "--data",
                &data,
                "--epochs",
                "1",
                "-q",
                "--no-report",
            ])
            .args(&extra)
            .arg("--out")
            .arg(&fresh)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{extra:?}: {err}");
        assert!(err.contains(want), "{extra:?}: {err}");
        assert!(
            !fresh.join("checkpoint").exists(),
            "{extra:?} wrote a checkpoint"
        );
    }
}

#[test]
fn de_novo_benchmark_with_types_that_settle_first() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("dng");
    train_tiny(
        "perov5_test20.csv",
        &run,
        &["--task", "dng", "--type-settle", "0.5"],
    );
    let c = read_json(&run.join("checkpoint/config.json"));
    assert_eq!(c["train"]["type_settle"], 0.5);
    let out = dir.path().join("bench");
    let test = fixture("perov5_test20.csv");
    let (code, stdout, stderr) = benchmark(&[
        "--checkpoint",
        run.to_str().unwrap(),
        "--data",
        test.to_str().unwrap(),
        "--samples",
        "12",
        "--steps",
        "10",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("98.85 %"),
        "DiffCSP's de novo row: {stdout}"
    );
    let r = read_json(&out.join("benchmark.json"));
    assert_eq!(r["task"], "dng");
    assert_eq!(r["ours"]["samples"], 12);
    assert_eq!(r["n_test"], 20);
    for k in ["valid_structure_pct", "cov_recall_pct", "cov_precision_pct"] {
        let v = r["ours"][k].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&v), "{k} {v}");
    }
    assert_eq!(r["ours"]["match_rate_pct"], Value::Null);
    assert_eq!(r["published"].as_array().unwrap().len(), 2);
    assert!(r["notes"].to_string().contains("the papers generate 10000"));
    assert_eq!(files(&out.join("structures")).len(), 12);
}

#[test]
fn resuming_a_finished_run_brings_its_data_record_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train_tiny("perov5_test20.csv", &run, &[]);
    // A checkpoint written before the formulas were recorded.
    let cj = run.join("checkpoint/config.json");
    let mut c = read_json(&cj);
    let formulas = c["data"]["train_formulas"].clone();
    assert_eq!(formulas.as_array().unwrap().len(), 20);
    c["data"].as_object_mut().unwrap().remove("train_formulas");
    std::fs::write(&cj, serde_json::to_string(&c).unwrap()).unwrap();
    let ema = |p: &Path| -> Vec<u8> {
        // The tensors after the safetensors header.
        let b = std::fs::read(p).unwrap();
        let n = u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
        b[8 + n..].to_vec()
    };
    let before = ema(&run.join("checkpoint/weights.safetensors"));
    let o = bin()
        .args(["train", "--resume"])
        .arg(&run)
        .args(["--epochs", "1", "--no-report", "-q"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let c = read_json(&cj);
    assert_eq!(c["data"]["train_formulas"], formulas);
    assert_eq!(c["epoch"], 1);
    assert!(ema(&run.join("checkpoint/weights.safetensors")) == before);
}

#[test]
fn a_resumed_run_keeps_its_split_and_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    train_tiny("mini_dataset.csv", &base, &[]);
    let base_formulas = read_json(&base.join("checkpoint/config.json"))["data"]["train_formulas"]
        .as_array()
        .unwrap()
        .clone();
    let ft = dir.path().join("ft");
    train_tiny(
        "perov5_test20.csv",
        &ft,
        &["--init", base.to_str().unwrap(), "--holdout", "0.2"],
    );
    let c = read_json(&ft.join("checkpoint/config.json"));
    let formulas = c["data"]["train_formulas"].as_array().unwrap().clone();
    // The base model's compositions count as seen by the fine-tuned one.
    assert!(!base_formulas.is_empty());
    for f in &base_formulas {
        assert!(formulas.contains(f), "{f} missing");
    }
    let resume = |extra: &[&str]| {
        bin()
            .args(["train", "--resume"])
            .arg(&ft)
            .args(["--epochs", "2", "--no-report", "-q"])
            .args(extra)
            .output()
            .unwrap()
    };
    let rutile = fixture("rutile.vasp").display().to_string();
    let test20 = fixture("perov5_test20.csv").display().to_string();
    for (extra, want) in [
        (vec!["--holdout", "0.3"], "the run held out 0.2"),
        (vec!["--val", test20.as_str()], "resume without --val"),
        (
            vec!["--data", test20.as_str(), rutile.as_str()],
            "resume with the same data",
        ),
    ] {
        let o = resume(&extra);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(want), "{extra:?}: {err}");
    }
    assert_eq!(read_json(&ft.join("checkpoint/config.json"))["epoch"], 1);
    let o = resume(&[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let c2 = read_json(&ft.join("checkpoint/config.json"));
    assert_eq!(c2["epoch"], 2);
    assert_eq!(c2["data"]["train_formulas"], c["data"]["train_formulas"]);
    assert_eq!(c2["data"]["init"], c["data"]["init"]);
    assert_eq!(c2["data"]["holdout"], c["data"]["holdout"]);
    // benchmark --heldout scores the 4 structures the run held out, found again.
    let sel = dir.path().join("sel");
    let (code, _, stderr) = benchmark(&[
        "--checkpoint",
        ft.to_str().unwrap(),
        "--data",
        &test20,
        "--heldout",
        "--steps",
        "2",
        "-q",
        "--out",
        sel.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let r = read_json(&sel.join("benchmark.json"));
    assert_eq!(r["n_test"], 4);
    assert!(r["notes"].to_string().contains("held out"));
    // The held-out structures are not among the training formulas unless another
    // structure with the same formula was trained on.
    assert_eq!(
        r["unseen"]["n_unseen"].as_u64().unwrap() + r["unseen"]["n_seen"].as_u64().unwrap(),
        4
    );
    // Another file than the one trained on is refused; so is a run without a holdout.
    for (ck, want) in [(&ft, "give the same file"), (&base, "held nothing out")] {
        let (code, _, stderr) = benchmark(&[
            "--checkpoint",
            ck.to_str().unwrap(),
            "--data",
            fixture("mini_dataset.csv").to_str().unwrap(),
            "--dataset",
            "perov-5",
            "--heldout",
            "-q",
            "--out",
            dir.path().join("no").to_str().unwrap(),
        ]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains(want), "{stderr}");
    }
    // A run without a held-out part cannot grow one.
    let o = bin()
        .args(["train", "--resume"])
        .arg(&base)
        .args(["--epochs", "2", "--holdout", "0.2", "-q"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("trained without a held-out part"));
}
