//! `train` and `sample` (periodic model, CSP): a seconds-long smoke run on in-repo fixtures,
//! resume, and the bad-input messages. Real training runs are #[ignore]d elsewhere.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn bin() -> Command {
    Command::cargo_bin("crystal-diffusion").unwrap()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn tiny(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = ["train", "--data"].map(String::from).to_vec();
    v.push(fixtures().join("mini_dataset.csv").display().to_string());
    v.push(fixtures().join("rutile.vasp").display().to_string());
    v.extend(
        [
            "--hidden",
            "16",
            "--layers",
            "1",
            "--k-freq",
            "2",
            "--timesteps",
            "50",
            "--batch-size",
            "2",
            "--checkpoint-every",
            "1",
            "--no-report",
            "-q",
            "--out",
        ]
        .map(String::from),
    );
    v.push(out.display().to_string());
    v
}

#[test]
fn train_resume_and_sample_smoke() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    bin()
        .args(tiny(&run))
        .args(["--epochs", "2"])
        .assert()
        .success();
    for f in [
        "loss.csv",
        "summary.json",
        "checkpoint/config.json",
        "checkpoint/weights.safetensors",
        "checkpoint/model.safetensors",
        "checkpoint/optimizer.bpk",
    ] {
        assert!(run.join(f).is_file(), "missing {f}");
    }
    // A second train into the same folder is refused; --resume continues to 3 epochs.
    let out = bin()
        .args(tiny(&run))
        .args(["--epochs", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--resume"));
    bin()
        .args(["train", "--resume"])
        .arg(&run)
        .args(["--epochs", "3", "-q", "--no-report"])
        .assert()
        .success();
    let loss = std::fs::read_to_string(run.join("loss.csv")).unwrap();
    assert_eq!(loss.lines().count(), 4, "{loss}");
    // Sampling from the checkpoint: one composition, 3 samples.
    let smp = dir.path().join("smp");
    bin()
        .args(["sample", "--checkpoint"])
        .arg(&run)
        .args([
            "--composition",
            "SrTiO3",
            "--count",
            "3",
            "--steps",
            "5",
            "--no-report",
            "-q",
            "--out",
        ])
        .arg(&smp)
        .assert()
        .success();
    for k in 0..3 {
        assert!(smp.join(format!("structures/SrTiO3_{k}.cif")).is_file());
    }
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(smp.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["structures"].as_array().unwrap().len(), 3);
    assert!(s["structures"][0].get("valid_structure").is_some());
    // Every generated structure has its space group (null before: not searched).
    for r in s["structures"].as_array().unwrap() {
        let n = r["space_group"].as_u64().unwrap_or(0);
        assert!((1..=230).contains(&n), "{r}");
        assert!(r["space_group_symbol"].is_string(), "{r}");
    }
    // From a data set: one prediction per readable row, named by material_id.
    let smp2 = dir.path().join("smp2");
    bin()
        .args(["sample", "--checkpoint"])
        .arg(run.join("checkpoint"))
        .arg("--compositions")
        .arg(fixtures().join("mini_dataset.csv"))
        .args(["--steps", "3", "--no-report", "-q", "--out"])
        .arg(&smp2)
        .assert()
        .success();
    assert!(smp2.join("structures/SrTiO3-cubic.cif").is_file());
}

#[test]
fn bad_inputs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "sample".into(),
                "--checkpoint".into(),
                dir.path().display().to_string(),
                "--composition".into(),
                "SrTiO3".into(),
                "--out".into(),
                dir.path().join("o").display().to_string(),
            ],
            "checkpoint",
        ),
        (
            vec![
                "train".into(),
                "--resume".into(),
                dir.path().display().to_string(),
            ],
            "no checkpoint",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                dir.path().display().to_string(),
                "--out".into(),
                dir.path().join("r").display().to_string(),
            ],
            "no structure files",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                fixtures().join("rutile.vasp").display().to_string(),
                "--out".into(),
                dir.path().join("r2").display().to_string(),
                "--max-atoms".into(),
                "2".into(),
            ],
            "max-atoms",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                fixtures().join("rutile.vasp").display().to_string(),
                "--out".into(),
                dir.path().join("r3").display().to_string(),
                "--lr".into(),
                "0".into(),
            ],
            "--lr 0",
        ),
    ];
    for (args, needle) in cases {
        let out = bin().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(needle) && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
    // An unknown element in --composition, with a real checkpoint.
    let run = dir.path().join("run");
    bin()
        .args(tiny(&run))
        .args(["--epochs", "1"])
        .assert()
        .success();
    let out = bin()
        .args(["sample", "--checkpoint"])
        .arg(&run)
        .args(["--composition", "SrXx3", "--out"])
        .arg(dir.path().join("s"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown element 'Xx'"));
    // A real element beyond the model's table (Z > 100).
    let out = bin()
        .args(["sample", "--checkpoint"])
        .arg(&run)
        .args(["--composition", "Og2", "--out"])
        .arg(dir.path().join("s2"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Z = 118") && !err.contains("panicked"),
        "{err}"
    );
}

/// The shipped Perov-5 CSP model loads and samples (a few steps; quality is measured in
/// models/perov5-csp/README.md, not here).
#[test]
fn shipped_perov5_model_samples() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/perov5-csp");
    let dir = tempfile::tempdir().unwrap();
    bin()
        .args(["sample", "--checkpoint"])
        .arg(&model)
        .args([
            "--composition",
            "SrTiO3",
            "--count",
            "2",
            "--steps",
            "10",
            "--no-report",
            "-q",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    assert!(dir.path().join("structures/SrTiO3_1.cif").is_file());
}

#[test]
fn de_novo_train_and_sample_smoke() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("dng");
    bin()
        .args(tiny(&run))
        .args(["--epochs", "1", "--task", "dng"])
        .assert()
        .success();
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("checkpoint/config.json")).unwrap())
            .unwrap();
    assert_eq!(cfg["task"], "dng");
    assert!(cfg["atom_counts"].as_array().unwrap().len() > 1);
    let out = dir.path().join("gen");
    bin()
        .args(["sample", "--checkpoint"])
        .arg(&run)
        .args(["--count", "4", "--steps", "5", "--no-report", "-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    for i in 0..4 {
        assert!(out.join(format!("structures/gen_{i:05}.cif")).is_file());
    }
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["task"], "dng");
    // A de novo checkpoint does not take compositions; a CSP one needs them.
    let a = bin()
        .args(["sample", "--checkpoint"])
        .arg(&run)
        .args(["--composition", "SrTiO3", "--out"])
        .arg(dir.path().join("x"))
        .assert()
        .code(2);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("de novo"), "{err}");
    let csp = dir.path().join("csp");
    bin()
        .args(tiny(&csp))
        .args(["--epochs", "1"])
        .assert()
        .success();
    let a = bin()
        .args(["sample", "--checkpoint"])
        .arg(&csp)
        .args(["--count", "3", "--out"])
        .arg(dir.path().join("y"))
        .assert()
        .code(2);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("--composition"), "{err}");
}

/// A second `sample` into the same folder replaces it whole (no CIF of the first run is
/// left for `eval` to score), and a folder another live run holds is refused untouched.
#[test]
fn sample_replaces_its_folder_whole_and_refuses_a_busy_one() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/perov5-csp");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let sample = |count: &str| {
        let mut c = bin();
        c.args(["sample", "--checkpoint"]).arg(&model).args([
            "--composition",
            "SrTiO3",
            "--count",
            count,
            "--steps",
            "4",
            "--no-report",
            "-q",
            "--out",
        ]);
        c.arg(&out);
        c
    };
    let cifs = || {
        let mut v: Vec<String> = std::fs::read_dir(out.join("structures"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    sample("3").assert().success();
    assert_eq!(cifs(), ["SrTiO3_0.cif", "SrTiO3_1.cif", "SrTiO3_2.cif"]);
    sample("1").assert().success();
    assert_eq!(cifs(), ["SrTiO3.cif"]);
    // A live process holds the folder: refused with one line, nothing changed.
    let mut holder = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    std::fs::write(tmp.path().join(".out.lock"), format!("{}\n", holder.id())).unwrap();
    let o = sample("2").output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("is busy: another run (process {})", holder.id())),
        "{err}"
    );
    assert_eq!(cifs(), ["SrTiO3.cif"]);
    holder.kill().unwrap();
    holder.wait().unwrap();
    // Its process gone, the lock is taken over.
    sample("2").assert().success();
    assert_eq!(cifs(), ["SrTiO3_0.cif", "SrTiO3_1.cif"]);
    assert!(!tmp.path().join(".out.lock").exists());
}
