//! The models shipped under `models/`: each is named `<dataset>-<task>`, is under 20 MB, has a
//! README that gives its `benchmark` command, and samples with `sample` (a few steps; the
//! quality figures are measured by `benchmark` and written in each README).

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The models of the benchmark issue that exist so far: CSP ones with a composition of their
/// data set (atoms per formula unit), de novo ones with the atom counts of their data set.
const MODELS: [(&str, &str, std::ops::RangeInclusive<u64>); 5] = [
    ("perov5-csp", "SrTiO3", 5..=5),
    ("perov5-dng", "", 5..=5),
    ("carbon24-csp", "C8", 8..=8),
    ("carbon24-dng", "", 6..=24),
    ("mp20-csp", "LiFePO4", 7..=7),
];

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

#[test]
fn every_shipped_model_is_listed_here() {
    let mut found: Vec<String> = std::fs::read_dir(models())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut listed: Vec<String> = MODELS.iter().map(|m| m.0.to_string()).collect();
    listed.sort();
    assert_eq!(found, listed);
}

#[test]
fn shipped_models_are_small_documented_and_sample() {
    for (name, composition, counts) in MODELS.iter().cloned() {
        let dir = models().join(name);
        let weights = std::fs::metadata(dir.join("weights.safetensors"))
            .unwrap()
            .len();
        let config = std::fs::metadata(dir.join("config.json")).unwrap().len();
        assert!(
            weights + config < 20_000_000,
            "{name}: {weights} + {config} bytes"
        );
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        assert!(
            readme.contains(&format!("benchmark --checkpoint models/{name} ")),
            "{name}: README lacks its benchmark command"
        );
        let task = name.rsplit('-').next().unwrap();
        let out = tempfile::tempdir().unwrap();
        let mut cmd = Command::cargo_bin("crystal-diffusion").unwrap();
        cmd.args(["sample", "--checkpoint"]).arg(&dir);
        if task == "csp" {
            cmd.args(["--composition", composition]);
        }
        cmd.args([
            "--count",
            "2",
            "--steps",
            "3",
            "--seed",
            "1",
            "--no-report",
            "-q",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
        let s: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.path().join("summary.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(s["task"], task, "{name}");
        let structures = s["structures"].as_array().unwrap();
        assert_eq!(structures.len(), 2, "{name}");
        for r in structures {
            let n = r["n_atoms"].as_u64().unwrap();
            // CSP: whole formula units; de novo: an atom count of the data set.
            let ok = if task == "csp" {
                n % counts.start() == 0
            } else {
                counts.contains(&n)
            };
            assert!(ok, "{name}: {n} atoms in {r}");
        }
    }
}
