//! Flags and formulas beyond the sane limits: one line naming the flag and exit 2, before
//! anything large is allocated (reproducers from the robustness issue).

use assert_cmd::Command;
use std::path::Path;

fn bin() -> Command {
    Command::cargo_bin("crystal-diffusion").unwrap()
}

#[test]
fn values_beyond_the_limits_are_refused_with_one_line() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let s = |p: &Path| p.display().to_string();
    let csp = s(&here.join("../../models/perov5-csp"));
    let dng = s(&here.join("../../models/perov5-dng"));
    let fixture = s(&here.join("tests/fixtures/rutile.vasp"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let sample = |ck: &str| vec!["sample".to_string(), "--checkpoint".into(), ck.into()];
    let train = vec!["train".to_string(), "--data".into(), fixture.clone()];
    let analyze = vec!["analyze".to_string(), fixture.clone()];
    let demo = vec!["demo".to_string()];
    // (command, flag, value, what the message must say)
    let cases = [
        (
            sample(&csp),
            "--composition",
            "C99999999999999999999",
            "too large",
        ),
        (
            sample(&csp),
            "--composition",
            "((((H)99999)99999)99999)99999",
            "too large",
        ),
        (sample(&dng), "--count", "4294967296", "--count"),
        (train.clone(), "--timesteps", "4294967296", "--timesteps"),
        (train.clone(), "--k-freq", "4294967296", "--k-freq"),
        (train.clone(), "--hidden", "100000", "--hidden"),
        (analyze.clone(), "--rdf-max", "1e308", "--rdf-max 1e308"),
        (analyze.clone(), "--cutoff", "1e9", "--cutoff"),
        (demo, "--rdf-max", "1e308", "--rdf-max"),
    ];
    for (command, flag, value, needle) in cases {
        let mut args = command;
        args.extend([flag.to_string(), value.to_string()]);
        if args[0] != "analyze" {
            args.extend(["--out".to_string(), s(&out)]);
        }
        let o = bin().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert!(!out.exists(), "a refused run left its folder");
}
