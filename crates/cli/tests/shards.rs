//! `sample --shard I/N` (a cluster job array): the shards' folders together are the
//! unsharded run, bit for bit, and `eval` scores them together as it scores the whole run.

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn bin() -> Command {
    Command::cargo_bin("crystal-diffusion").unwrap()
}

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// File name → bytes of every CIF in `dir/structures`.
fn cifs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir.join("structures"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn sample(out: &Path, extra: &[&str]) {
    bin()
        .args(["sample", "--checkpoint"])
        .arg(here().join("../../models/perov5-csp"))
        .arg("--compositions")
        .arg(here().join("tests/fixtures/mini_dataset.csv"))
        .args([
            "--count",
            "3",
            "--steps",
            "20",
            "--no-report",
            "-q",
            "--out",
        ])
        .arg(out)
        .args(extra)
        .assert()
        .code(0);
}

fn eval_json(preds: &[PathBuf]) -> serde_json::Value {
    let out = bin()
        .args(["eval", "csp", "--pred"])
        .args(preds)
        .arg("--gt")
        .arg(here().join("tests/fixtures/mini_dataset.csv"))
        .args(["--format", "json", "-q"])
        .output()
        .unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Timings differ from run to run.
    if let Some(o) = v.as_object_mut() {
        o.remove("timing");
        o.remove("seconds");
    }
    v
}

#[test]
fn shards_together_are_the_whole_run_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    // The whole run also writes symmetrized copies (`symmetrized/`), which eval must not
    // take for more predictions.
    let whole = dir.path().join("whole");
    sample(&whole, &["--symmetrize"]);
    assert!(whole.join("symmetrized").is_dir());
    let all = cifs(&whole);
    assert!(all.len() >= 6, "{:?}", all.keys());

    let parent = dir.path().join("shards");
    let shards: Vec<PathBuf> = (0..3).map(|i| parent.join(format!("s{i}"))).collect();
    let mut merged = BTreeMap::new();
    for (i, s) in shards.iter().enumerate() {
        sample(s, &["--shard", &format!("{i}/3"), "--symmetrize"]);
        for (name, bytes) in cifs(s) {
            assert!(merged.insert(name.clone(), bytes).is_none(), "{name} twice");
        }
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(s.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(summary["config"]["shard"], format!("{i}/3"));
    }
    assert_eq!(merged, all);
    // Scored together, in any order, the shards give the whole run's record.
    let reversed: Vec<PathBuf> = shards.iter().rev().cloned().collect();
    let whole_json = eval_json(&[whole]);
    assert_eq!(eval_json(&reversed), whole_json);
    // The folder of shard folders: their symmetrized/ copies are left out of the search.
    assert_eq!(eval_json(&[parent]), whole_json);

    // Bad shards: one line naming the flag, exit 2.
    for bad in ["3/3", "1", "a/2", "0/0"] {
        let out = bin()
            .args(["sample", "--checkpoint"])
            .arg(here().join("../../models/perov5-csp"))
            .args(["--composition", "SrTiO3", "--out"])
            .arg(dir.path().join("bad"))
            .args(["--shard", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--shard"), "{bad}: {err}");
    }
}

#[test]
fn the_slurm_example_runs_as_local_processes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("runs");
    let status = std::process::Command::new("bash")
        .arg(here().join("../../examples/slurm/run_local.sh"))
        .current_dir(here().join("../.."))
        .env("SHARDS", "2")
        .env("CHECKPOINT", here().join("../../models/perov5-csp"))
        .env(
            "COMPOSITIONS",
            here().join("tests/fixtures/mini_dataset.csv"),
        )
        .env("GT", here().join("tests/fixtures/mini_dataset.csv"))
        .env("COUNT", "2")
        .env("STEPS", "10")
        .env("OUT", &out)
        .env("CD_BIN", assert_cmd::cargo::cargo_bin("crystal-diffusion"))
        .status()
        .unwrap();
    assert!(status.success());
    for i in 0..2 {
        assert!(out.join(format!("shard_{i}/summary.json")).is_file());
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("eval.json")).unwrap()).unwrap();
    assert!(v["match_rate"].is_number(), "{v}");
}
