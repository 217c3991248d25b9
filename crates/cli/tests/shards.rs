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
    let (merged, _) = run::RunFolder::new(out.join("merged"))
        .read_summary()
        .unwrap();
    let n: usize = (0..2)
        .map(|i| {
            let (s, _) = run::RunFolder::new(out.join(format!("shard_{i}")))
                .read_summary()
                .unwrap();
            s.structures.len()
        })
        .sum();
    assert_eq!(merged.structures.len(), n);
    assert!(out.join("merged/report.html").is_file());
}

/// `report` over the shards' folders writes one run folder equal to the unsharded run's:
/// the same CIFs, and the same summary but for timings.
#[test]
fn report_merges_shards_into_the_whole_run() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |out: &Path, extra: &[&str]| {
        bin()
            .args(["sample", "--checkpoint"])
            .arg(here().join("../../models/perov5-csp"))
            .args(["--composition", "CaTiO3", "--count", "20", "--steps", "6"])
            .args(["--no-report", "-q", "--out"])
            .arg(out)
            .args(extra)
            .assert()
            .code(0);
    };
    let whole = tmp.path().join("whole");
    run(&whole, &[]);
    let shards: Vec<PathBuf> = (0..3).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, s) in shards.iter().enumerate() {
        run(s, &["--shard", &format!("{i}/3")]);
    }
    let merged = tmp.path().join("merged");
    // Given in any order.
    bin()
        .arg("report")
        .args([&shards[2], &shards[0], &shards[1]])
        .arg("--out")
        .arg(&merged)
        .assert()
        .code(0);
    assert!(cifs(&merged) == cifs(&whole), "the merged CIFs differ");
    let summary = |d: &Path| {
        let (mut s, _) = run::RunFolder::new(d).read_summary().unwrap();
        s.timings_s.clear();
        s
    };
    assert_eq!(summary(&merged), summary(&whole));
    assert!(merged.join("report.html").is_file());
    // Several folders need --out; a shard with other settings is named.
    let o = bin().arg("report").args(&shards).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let odd = tmp.path().join("odd");
    run(&odd, &["--shard", "1/3", "--seed", "5"]);
    let o = bin()
        .arg("report")
        .args([&shards[0], &odd])
        .arg("--out")
        .arg(tmp.path().join("m2"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("seed: 5 there, 0 here"), "{err}");
}

/// A preempted job: the process dies after its first chunk (64 structures written, no
/// clean-up); `--resume` keeps those and samples the rest with the streams they have in an
/// uninterrupted run, so the folder equals one run's, CIFs and summary alike. A resume
/// with other settings is refused, the interrupted work kept.
#[test]
fn a_killed_run_resumes_to_the_uninterrupted_result() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |out: &Path, steps: &str, extra: &[&str], kill: bool| {
        let mut c = bin();
        c.args(["sample", "--checkpoint"])
            .arg(here().join("../../models/perov5-csp"))
            .args([
                "--composition",
                "SrTiO3",
                "--count",
                "150",
                "--steps",
                steps,
                "--no-report",
                "-q",
                "--out",
            ])
            .arg(out)
            .args(extra);
        if kill {
            c.env("CRYSTAL_DIFFUSION_TEST_EXIT_AFTER_CHUNKS", "1");
        }
        c.output().unwrap()
    };
    let whole = tmp.path().join("whole");
    assert_eq!(run(&whole, "8", &[], false).status.code(), Some(0));
    let cut = tmp.path().join("cut");
    let o = run(&cut, "8", &[], true);
    assert_eq!(o.status.code(), Some(137));
    assert!(!cut.exists(), "an unfinished run is not in place");
    let partial = || -> Vec<PathBuf> {
        std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(".cut.partial-")
            })
            .collect()
    };
    let kept = partial();
    assert_eq!(kept.len(), 1);
    assert!(cifs(&kept[0]).len() >= 64);
    // Other settings: refused, the interrupted run kept.
    let o = run(&cut, "9", &["--resume"], false);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("steps: 8 there, 9 here"), "{err}");
    assert_eq!(partial().len(), 1);
    // The same settings: the rest is sampled.
    let o = run(&cut, "8", &["--resume"], false);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let said = String::from_utf8_lossy(&o.stdout);
    // "sampled K structures … M more from the interrupted run": at least one chunk was
    // journaled before the exit (others may have finished meanwhile on other threads).
    let number_before = |key: &str| -> usize {
        let head = &said[..said.find(key).unwrap_or_else(|| panic!("{said}"))];
        head.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let now = number_before(" structures in ");
    let before = number_before(" more from the interrupted run");
    assert_eq!(now + before, 150, "{said}");
    assert!([22, 64, 86, 128].contains(&before), "{said}");
    assert!(partial().is_empty());
    let (a, b) = (cifs(&cut), cifs(&whole));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert!(a == b, "the resumed run's CIFs differ");
    let summary = |d: &Path| {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("summary.json")).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("timings_s");
        v
    };
    assert_eq!(summary(&cut), summary(&whole));
    assert!(!cut.join("journal.jsonl").exists());
    // Nothing to continue: --resume starts from the beginning.
    let fresh = tmp.path().join("fresh");
    assert_eq!(
        run(&fresh, "8", &["--resume"], false).status.code(),
        Some(0)
    );
    assert!(cifs(&fresh) == cifs(&whole), "a fresh --resume run differs");
}
