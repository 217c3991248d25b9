//! End-to-end tests of `crystal-diffusion demo` in temporary folders.

use assert_cmd::Command;
use std::path::Path;

fn bin() -> Command {
    Command::cargo_bin("crystal-diffusion").unwrap()
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// The timesteps recorded in a run folder's `snapshots.json`.
fn snapshot_steps(dir: &Path) -> Vec<u64> {
    let snaps: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("snapshots.json")).unwrap())
            .unwrap();
    snaps["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["t"].as_u64().unwrap())
        .collect()
}

/// Drops the figures that legitimately differ between runs (wall-clock timings).
fn without_timings(mut v: serde_json::Value) -> serde_json::Value {
    v.as_object_mut().unwrap().remove("timings_s");
    v
}

#[test]
fn seed_mlp_demo_writes_every_file_and_reproduces_with_a_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let assert = bin()
        .args(["demo", "--model", "seed-mlp", "--out"])
        .arg(&out)
        .args(["--seed", "7"])
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    for needle in [
        "== Configuration",
        "== Training",
        "== Generation",
        "pass rate",
        "uniformly random",
        "== Files",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in\n{stdout}");
    }
    for f in [
        "summary.json",
        "loss.csv",
        "snapshots.json",
        "structures/generated_0000.cif",
        "structures/generated_0099.cif",
        "structures/training_00.cif",
        "structures/training_20.cif",
        "report.html",
        "plots/loss.svg",
        "plots/reverse_diffusion.svg",
        "plots/real_vs_generated.svg",
        "plots/rdf.svg",
        "plots/fractional_coordinates.svg",
        "plots/batch_analysis.svg",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    assert!(stdout.contains("report.html"), "{stdout}");
    // `report` rebuilds it from the folder's files, PNGs included on request.
    std::fs::remove_file(out.join("report.html")).unwrap();
    bin()
        .arg("report")
        .arg(&out)
        .arg("--png")
        .assert()
        .success();
    assert!(out.join("report.html").is_file());
    assert!(out.join("plots/batch_analysis.png").is_file());
    assert!(!out.join("structures/generated_0100.cif").exists());
    let s = summary(&out);
    assert_eq!(s["model"], "seed-mlp");
    assert_eq!(s["parameters"], 199_043);
    assert_eq!(s["generation"]["count"], 100);
    for key in ["initial", "final", "best", "improvement_pct"] {
        assert!(s["loss"][key].is_number(), "loss.{key}");
    }
    assert!(s["loss"]["final"].as_f64().unwrap() < s["loss"]["initial"].as_f64().unwrap());
    for key in ["pass_rate", "random_baseline_pass_rate"] {
        let x = s["generation"][key].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&x), "{key} {x}");
    }
    assert_eq!(s["structures"].as_array().unwrap().len(), 100);
    assert_eq!(s["config"]["seed"], 7);
    for phase in ["training", "sampling", "analysis"] {
        assert!(s["timings_s"][phase].is_number());
    }
    // loss.csv in the one layout of every command: a row per step, 5 steps per epoch.
    let loss = std::fs::read_to_string(out.join("loss.csv")).unwrap();
    assert_eq!(loss.lines().next(), Some(run::loss::HEADER));
    let rows = run::loss::from_csv(&loss).unwrap();
    assert_eq!(rows.len(), 250);
    assert_eq!((rows[249].epoch, rows[249].step), (50, 250));
    assert!(rows
        .iter()
        .all(|r| r.loss.is_finite() && r.val_loss.is_none()));
    // The report is titled by the run folder's name, not its staging name.
    let name = out.file_name().unwrap().to_string_lossy().to_string();
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        page.contains(&format!("<h1>{name}</h1>")),
        "title is not {name}"
    );
    assert!(!page.contains("partial"));
    assert_eq!(snapshot_steps(&out), [199, 150, 100, 50, 0]);
    // The CIFs read back with our reader, with the summary's atom counts.
    let cif = crystal::io::read_cif(&out.join("structures/generated_0000.cif")).unwrap();
    assert_eq!(
        cif[0].crystal.num_atoms() as u64,
        s["structures"][0]["n_atoms"].as_u64().unwrap()
    );

    // Same seed, same figures; run again into the same folder (it is replaced).
    bin()
        .args(["demo", "--model", "seed-mlp", "-q", "--out"])
        .arg(&out)
        .args(["--seed", "7"])
        .assert()
        .success();
    assert_eq!(without_timings(s), without_timings(summary(&out)));
    let again = std::fs::read_to_string(out.join("structures/generated_0042.cif")).unwrap();
    let other = tmp.path().join("other");
    bin()
        .args(["demo", "--model", "seed-mlp", "-q", "--out"])
        .arg(&other)
        .args(["--seed", "8"])
        .assert()
        .success();
    assert_ne!(
        again,
        std::fs::read_to_string(other.join("structures/generated_0042.cif")).unwrap()
    );
}

#[test]
fn bad_flags_give_one_line_exit_2_and_no_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let cases: &[(&[&str], &str)] = &[
        (&["--epochs", "0"], "--epochs"),
        (&["--batch-size", "0"], "--batch-size"),
        (&["--batch-size", "22"], "--batch-size"),
        (&["--timesteps", "1"], "--timesteps"),
        (&["--beta-start", "0.02", "--beta-end", "0.01"], "--beta"),
        (&["--beta-end", "1.0"], "--beta"),
        (&["--lr", "0"], "--lr"),
        (&["--lr", "-1e-3"], "--lr"),
        (&["--min-distance", "0"], "--min-distance"),
        (&["--n-generate", "0"], "--n-generate"),
        (&["--donor", "99"], "--donor"),
        (&["--donor", "first"], "--donor"),
        (&["--model", "gan"], "--model"),
        (&["--sample-steps", "0"], "--sample-steps"),
        (&["--corrector-lr", "-1"], "--corrector-lr"),
        (&["--periodic-steps", "0"], "--periodic-steps"),
        (&["--periodic-lr", "0"], "--periodic-lr"),
        (&["--periodic-hidden", "0"], "--periodic-hidden"),
    ];
    for (args, flag) in cases {
        let a = bin()
            .arg("demo")
            .arg("--out")
            .arg(&out)
            .args(*args)
            .assert()
            .code(2);
        let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.exists(), "{args:?} left a folder");
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            0,
            "{args:?} left files"
        );
    }
    // A value that is not a number is clap's usage error, also exit 2.
    bin().args(["demo", "--epochs", "many"]).assert().code(2);
}

#[test]
fn unwritable_out_is_one_line_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a_file");
    std::fs::write(&file, "x").unwrap();
    // A path below a regular file cannot be created.
    let a = bin()
        .args(["demo", "--epochs", "1", "--n-generate", "1", "--out"])
        .arg(file.join("run"))
        .assert()
        .code(2);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--out"), "{err}");
    // A folder that holds other work is not overwritten.
    let busy = tmp.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    bin()
        .args(["demo", "--epochs", "1", "--n-generate", "1", "--out"])
        .arg(&busy)
        .assert()
        .code(2);
    assert_eq!(
        std::fs::read_to_string(busy.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn a_diverging_loss_stops_training_naming_the_epoch() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let a = bin()
        .args(["demo", "--model", "seed-mlp", "--lr", "1e30", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("loss became") && err.contains("in epoch"),
        "{err}"
    );
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn report_on_a_missing_folder_exits_2() {
    let out = bin().args(["report", "/nonexistent/run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("/nonexistent/run"),
        "{err}"
    );
}

#[test]
fn periodic_demo_generates_matches_and_reports_seed_mlp_beside_it() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |dir: &Path| {
        let a = bin()
            .args(["demo", "--periodic-steps", "60", "--sample-steps", "20"])
            .args(["--n-generate", "12", "--no-report", "--out"])
            .arg(dir)
            .assert()
            .success();
        String::from_utf8(a.get_output().stdout.clone()).unwrap()
    };
    let out = tmp.path().join("p");
    let stdout = run(&out);
    assert!(stdout.contains("match their base crystal"), "{stdout}");
    assert!(stdout.contains("seed-mlp beside it"), "{stdout}");
    let s = summary(&out);
    assert_eq!(s["model"], "periodic");
    assert_eq!(s["generation"]["count"], 12);
    assert_eq!(s["compared_with"]["model"], "seed-mlp");
    let m = s["generation"]["match_rate"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&m));
    let loss = std::fs::read_to_string(out.join("loss.csv")).unwrap();
    assert_eq!(loss.lines().count(), 61);
    assert_eq!(snapshot_steps(&out), [1000, 750, 500, 250, 0]);
    // The generated cells are the model's own, not the donors'.
    let g = crystal::io::read_cif(&out.join("structures/generated_0000.cif")).unwrap();
    assert!(g[0].crystal.lattice().volume() > 0.0);
    let again = tmp.path().join("q");
    run(&again);
    assert_eq!(without_timings(s), without_timings(summary(&again)));
}

/// A user's folder is never taken for a run folder: not with a `summary.json` in it, not as
/// `.` or `..`; `sample` and `train` refuse it too. Nothing in it is touched.
#[test]
fn user_folders_are_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let thesis = tmp.path().join("thesis");
    std::fs::create_dir_all(thesis.join("sub")).unwrap();
    std::fs::write(thesis.join("thesis.tex"), "\\documentclass{article}").unwrap();
    std::fs::write(thesis.join("summary.json"), "{}").unwrap();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/perov5-csp");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rutile.vasp");
    let runs: Vec<Vec<std::ffi::OsString>> = vec![
        vec!["demo".into(), "--out".into(), thesis.clone().into()],
        vec!["demo".into(), "--out".into(), ".".into()],
        vec!["demo".into(), "--out".into(), "..".into()],
        vec![
            "sample".into(),
            "--checkpoint".into(),
            model.into(),
            "--composition".into(),
            "SrTiO3".into(),
            "--steps".into(),
            "1".into(),
            "--out".into(),
            thesis.clone().into(),
        ],
        vec![
            "train".into(),
            "--data".into(),
            fixture.into(),
            "--epochs".into(),
            "1".into(),
            "--out".into(),
            thesis.clone().into(),
        ],
    ];
    for args in runs {
        let out = bin().current_dir(&thesis).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains("--out"), "{args:?}: {err}");
    }
    let mut left: Vec<String> = std::fs::read_dir(&thesis)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["sub", "summary.json", "thesis.tex"]);
    assert_eq!(
        std::fs::read_to_string(thesis.join("thesis.tex")).unwrap(),
        "\\documentclass{article}"
    );
    // Nothing was staged beside it either.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}
