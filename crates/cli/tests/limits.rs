//! Flags and formulas beyond the sane limits: one line naming the flag and exit 2, before
//! anything large is allocated (reproducers from the robustness issue).

use assert_cmd::Command;
use std::path::Path;

fn bin() -> Command {
    Command::cargo_bin("crystal-diffusion").unwrap()
}

#[test]
fn values_beyond_the_limits_are_refused_with_one_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rutile.vasp");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let (csp, dng) = (
        root.join("models/perov5-csp"),
        root.join("models/perov5-dng"),
    );
    let s = |p: &Path| p.display().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "sample".into(),
                "--checkpoint".into(),
                s(&csp),
                "--composition".into(),
                "C99999999999999999999".into(),
                "--out".into(),
                s(&out),
            ],
            "too large",
        ),
        (
            vec![
                "sample".into(),
                "--checkpoint".into(),
                s(&csp),
                "--composition".into(),
                "((((H)99999)99999)99999)99999".into(),
                "--out".into(),
                s(&out),
            ],
            "too large",
        ),
        (
            vec![
                "sample".into(),
                "--checkpoint".into(),
                s(&dng),
                "--count".into(),
                "4294967296".into(),
                "--out".into(),
                s(&out),
            ],
            "--count",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                s(&fixture),
                "--timesteps".into(),
                "4294967296".into(),
                "--out".into(),
                s(&out),
            ],
            "--timesteps",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                s(&fixture),
                "--k-freq".into(),
                "4294967296".into(),
                "--out".into(),
                s(&out),
            ],
            "--k-freq",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                s(&fixture),
                "--hidden".into(),
                "100000".into(),
                "--out".into(),
                s(&out),
            ],
            "--hidden",
        ),
        (
            vec![
                "analyze".into(),
                s(&fixture),
                "--rdf-max".into(),
                "1e308".into(),
            ],
            "--rdf-max 1e308",
        ),
        (
            vec![
                "analyze".into(),
                s(&fixture),
                "--cutoff".into(),
                "1e9".into(),
            ],
            "--cutoff",
        ),
        (
            vec![
                "demo".into(),
                "--rdf-max".into(),
                "1e308".into(),
                "--out".into(),
                s(&out),
            ],
            "--rdf-max",
        ),
    ];
    for (args, needle) in cases {
        let o = bin().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert!(!out.exists(), "a refused run left its folder");
}
