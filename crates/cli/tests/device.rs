//! `--device`: the CPU by default; `gpu` in a build without the `gpu` feature (or on a
//! machine without an adapter) is one line and exit 2, before anything is written.

use assert_cmd::Command;
use std::path::Path;

fn bin() -> Command {
    Command::cargo_bin("crystal-diffusion").unwrap()
}

#[test]
fn a_gpu_that_is_not_there_is_one_line_and_nothing_written() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let runs: Vec<Vec<String>> = vec![
        vec!["demo".into(), "--device".into(), "gpu".into(), "-q".into()],
        vec![
            "sample".into(),
            "--device".into(),
            "gpu".into(),
            "--checkpoint".into(),
            here.join("../../models/perov5-csp").display().to_string(),
            "--composition".into(),
            "SrTiO3".into(),
        ],
        vec![
            "train".into(),
            "--device".into(),
            "gpu".into(),
            "--data".into(),
            here.join("tests/fixtures/mini_dataset.csv")
                .display()
                .to_string(),
        ],
    ];
    for args in runs {
        let o = bin().args(&args).arg("--out").arg(&out).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        if cfg!(feature = "gpu") && o.status.success() {
            eprintln!("{}: ran on a GPU", args[0]);
            continue;
        }
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: --device gpu: "), "{err}");
        if cfg!(feature = "gpu") {
            assert!(err.contains("no GPU adapter"), "{err}");
        } else {
            assert!(err.contains("--features gpu"), "{err}");
        }
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
    // `cpu` is the default and may be named.
    let o = bin()
        .args(["sample", "--device", "cpu", "--checkpoint"])
        .arg(here.join("../../models/perov5-csp"))
        .args([
            "--composition",
            "SrTiO3",
            "--steps",
            "2",
            "--no-report",
            "-q",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["config"]["device"], "cpu");
}
