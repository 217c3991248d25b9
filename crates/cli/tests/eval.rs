//! `eval csp` and `eval dng` on in-repo fixtures: pairing by name, misses, unreadable
//! predictions, bad flags, JSON fields, `--explain`.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn bin() -> Command {
    Command::cargo_bin("crystal-diffusion").unwrap()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A CIF of `crystal` named `name` in `dir`.
fn write(dir: &Path, name: &str, c: &crystal::Crystal) {
    std::fs::write(
        dir.join(format!("{name}.cif")),
        crystal::io::cif::write_cif(name, c),
    )
    .unwrap();
}

fn srtio3() -> crystal::Crystal {
    crystal::demo::srtio3()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn csp_pairs_by_name_and_counts_misses_and_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let pred = dir.path().join("pred");
    std::fs::create_dir(&pred).unwrap();
    // Two samples for SrTiO3-cubic (one shifted by 0.05 Å, one exact); nothing for CsCl;
    // a corrupt file; a prediction whose name points at no ground truth.
    let c = srtio3();
    let mut shifted = c.frac_coords().to_vec();
    shifted[2][0] += 0.05 / 3.905;
    let noisy = crystal::Crystal::new(*c.lattice(), c.species().to_vec(), shifted).unwrap();
    write(&pred, "SrTiO3-cubic_0", &noisy);
    write(&pred, "SrTiO3-cubic_1", &c);
    write(&pred, "unknown-id", &c);
    std::fs::write(pred.join("broken.cif"), "data_x\n_cell_length_a nan\n").unwrap();
    let out = bin()
        .args(["eval", "csp", "--pred"])
        .arg(&pred)
        .arg("--gt")
        .arg(fixtures().join("mini_dataset.csv"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    // Scoring completed, but some inputs were unreadable (the fixture's 'broken' row and
    // broken.cif): exit 1.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    // The unreadable 'broken' ground truth still counts, as a miss.
    assert_eq!(v["n_gt"], 3, "{v}");
    assert_eq!(v["n_matched"], 1);
    assert_eq!(v["match_rate"], 1.0 / 3.0);
    // The best of the two samples is the exact one.
    assert!(v["rmse"].as_f64().unwrap() < 1e-9);
    assert_eq!(v["missing_predictions"][0], "CsCl");
    assert_eq!(v["unpaired_predictions"][0], "unknown-id");
    assert_eq!(v["unreadable_predictions"].as_array().unwrap().len(), 1);
    assert_eq!(v["unreadable_gt"].as_array().unwrap().len(), 1);
    for key in [
        "match_rate_gated",
        "rmse_gated",
        "matcher",
        "per_ground_truth",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
}

#[test]
fn csp_table_and_explain() {
    let out = bin().args(["eval", "csp", "--explain"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("stol 0.5") && text.contains("match_rate"),
        "{text}"
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "SrTiO3-cubic", &srtio3());
    let out = bin()
        .args(["eval", "csp", "--pred"])
        .arg(dir.path())
        .arg("--gt")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("100.00 %"), "{text}");
}

#[test]
fn bad_inputs_exit_2_with_a_message() {
    let empty = tempfile::tempdir().unwrap();
    let cases: Vec<Vec<String>> = vec![
        vec![
            "--pred".into(),
            empty.path().display().to_string(),
            "--gt".into(),
            fixtures().join("mini_dataset.csv").display().to_string(),
        ],
        vec![
            "--pred".into(),
            "/nonexistent/preds".into(),
            "--gt".into(),
            fixtures().join("mini_dataset.csv").display().to_string(),
        ],
        vec![
            "--pred".into(),
            fixtures().display().to_string(),
            "--gt".into(),
            fixtures().display().to_string(),
            "--stol".into(),
            "-1".into(),
        ],
    ];
    for args in cases {
        let out = bin().args(["eval", "csp"]).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: "), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn dng_reports_every_metric() {
    let dir = tempfile::tempdir().unwrap();
    let gen = dir.path().join("gen");
    std::fs::create_dir(&gen).unwrap();
    for (i, (_, c)) in crystal::demo::bases().into_iter().enumerate() {
        write(&gen, &format!("g{i}"), &c);
        write(&gen, &format!("dup{i}"), &c);
    }
    let out = bin()
        .args(["eval", "dng", "--gen"])
        .arg(&gen)
        .arg("--ref")
        .arg(fixtures().join("mini_dataset.csv"))
        .args(["--dataset", "perov-5", "--format", "json"])
        .output()
        .unwrap();
    let v = json(&out);
    for key in [
        "valid_structure",
        "valid_composition",
        "valid",
        "cov_recall",
        "cov_precision",
        "wdist_density",
        "wdist_num_elements",
        "unique",
        "novel",
    ] {
        assert!(v.get(key).is_some(), "{key}: {v}");
    }
    assert_eq!(v["n_generated"], 6);
    // Every structure appears twice: half are unique; none is in the reference set.
    assert_eq!(v["unique"], 0.5);
    assert_eq!(v["novel"], 1.0);
    assert_eq!(v["valid_structure"], 1.0);
}

/// A `sample` run folder records each structure's name beside its file, so ground truths
/// whose `material_id` holds `/`, `:` or spaces (which a file name cannot) still pair.
#[test]
fn csp_pairs_a_run_folder_by_its_recorded_names() {
    let dir = tempfile::tempdir().unwrap();
    let c = srtio3();
    let id = "icsd/12:SrTiO3 cubic";
    // Ground truth: a data set with that material_id.
    let gt = dir.path().join("gt.csv");
    let cif = crystal::io::cif::write_cif(id, &c).replace('"', "\"\"");
    std::fs::write(&gt, format!("material_id,cif\n\"{id}\",\"{cif}\"\n")).unwrap();
    // Prediction: a run folder as `sample` writes it (file name sanitised, name recorded).
    let run_dir = dir.path().join("run");
    let folder = run::RunFolder::new(&run_dir);
    std::fs::create_dir_all(folder.structures_dir()).unwrap();
    let stem = run::structure_file_stem(id);
    assert_eq!(stem, "icsd_12_SrTiO3_cubic");
    let (path, rel) = folder.structure_file(&format!("{stem}.cif"));
    crystal::io::write_any(&path, "block", &c).unwrap();
    let analysis = crystal::analysis::analyze(
        &crystal::Entry::new(id, c.clone()),
        &crystal::analysis::AnalysisConfig::default(),
    );
    folder
        .write_summary(&run::Summary {
            command: Some(run::Command::Sample),
            structures: vec![run::StructureRecord {
                file: Some(rel),
                ..run::StructureRecord::new(analysis)
            }],
            ..run::Summary::default()
        })
        .unwrap();
    for pred in [run_dir.clone(), folder.structures_dir()] {
        let out = bin()
            .args(["eval", "csp", "--pred"])
            .arg(&pred)
            .arg("--gt")
            .arg(&gt)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = json(&out);
        assert_eq!(v["n_matched"], 1, "{v}");
        assert_eq!(v["match_rate"], 1.0);
    }
}
