//! `build_report` on complete, partial and broken run folders: what is missing is left
//! out with a warning, never an error; the page stays self-contained and small.

mod common;

use common::make_run;
use report::{build_report, ReportError, ReportOptions};

/// A temporary folder marked as a run folder.
fn run_folder() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    run::mark(d.path()).unwrap();
    d
}

/// A folder this tool did not write is refused, and nothing in it is touched: not its
/// `report.html`, not its `plots/`, even with a `summary.json` beside them.
#[test]
fn a_folder_without_the_marker_is_not_touched() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("report.html"), "my report").unwrap();
    std::fs::write(d.path().join("summary.json"), "{}").unwrap();
    std::fs::create_dir(d.path().join("plots")).unwrap();
    std::fs::write(d.path().join("plots/loss.svg"), "my figure").unwrap();
    let e = build_report(d.path(), &ReportOptions::default()).unwrap_err();
    assert!(matches!(e, ReportError::NotARunFolder { .. }));
    assert!(
        e.to_string().contains("no .crystal-diffusion-run marker"),
        "{e}"
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("report.html")).unwrap(),
        "my report"
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("plots/loss.svg")).unwrap(),
        "my figure"
    );
}

/// Links planted at `report.html`, at a figure's name and at `plots/` itself are replaced,
/// never written through: the files they point to keep their contents.
#[cfg(unix)]
#[test]
fn links_inside_a_run_folder_are_not_followed() {
    let d = run_folder();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("thesis.tex");
    std::fs::write(&victim, "my thesis").unwrap();
    std::os::unix::fs::symlink(&victim, d.path().join("report.html")).unwrap();
    std::os::unix::fs::symlink(outside.path(), d.path().join("plots")).unwrap();
    std::fs::write(
        d.path().join("loss.csv"),
        format!("{}\n", run::loss::HEADER),
    )
    .unwrap();
    build_report(d.path(), &ReportOptions::default()).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "my thesis");
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 1);
    assert!(!std::fs::symlink_metadata(d.path().join("report.html"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(d.path().join("plots").is_dir());
}

fn html(out: &report::ReportOutput) -> String {
    std::fs::read_to_string(&out.html).unwrap()
}

fn stems(out: &report::ReportOutput) -> Vec<String> {
    let mut v: Vec<String> = out
        .plots
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

/// Nothing in the page is loaded from a network: no remote src/href/url/import, no fetch
/// or XHR. (SVG's `xmlns="http://www.w3.org/2000/svg"` is a name, not a fetch.)
fn assert_self_contained(page: &str) {
    let lower = page.to_ascii_lowercase();
    for bad in [
        "src=\"http",
        "src='http",
        "href=\"http",
        "href=\"//",
        "url(http",
        "url(//",
        "@import",
        "fetch(",
        "xmlhttprequest",
        "<link",
        "<iframe",
    ] {
        assert!(!lower.contains(bad), "page contains {bad:?}");
    }
    let remote = lower
        .match_indices("http")
        .filter(|(i, _)| !lower[*i..].starts_with("http://www.w3.org/"))
        .count();
    assert_eq!(remote, 0, "page names a web address");
}

#[test]
fn full_run_folder() {
    let d = run_folder();
    make_run(d.path(), 30);
    let opts = ReportOptions {
        png: true,
        log_loss: true,
        ..Default::default()
    };
    let out = build_report(d.path(), &opts).unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    assert_eq!(
        stems(&out),
        [
            "batch_analysis.png",
            "batch_analysis.svg",
            "fractional_coordinates.png",
            "fractional_coordinates.svg",
            "loss.png",
            "loss.svg",
            "rdf.png",
            "rdf.svg",
            "real_vs_generated.png",
            "real_vs_generated.svg",
            "reverse_diffusion.png",
            "reverse_diffusion.svg",
        ]
    );
    for p in &out.plots {
        let bytes = std::fs::read(p).unwrap();
        if p.extension().unwrap() == "png" {
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", p.display());
        } else {
            let s = String::from_utf8(bytes).unwrap();
            assert!(
                s.contains("<svg") && s.contains("</svg>"),
                "{}",
                p.display()
            );
        }
    }
    let page = html(&out);
    assert_self_contained(&page);
    assert_eq!(page.matches("<svg").count(), 6);
    assert!(page.contains("<script type=\"application/json\" id=\"structure-data\">"));
    assert!(page.contains("href=\"structures/generated_0007.cif\""));
    // Text from the run folder is escaped.
    assert!(page.contains("&#60;b&#62;&#38;&#60;/b&#62;"));
    assert!(!page.contains("<b>&</b>"));
    // Rebuilding replaces the outputs; figures not redrawn are removed.
    let again = build_report(d.path(), &ReportOptions::default()).unwrap();
    assert_eq!(again.plots.len(), 6);
    std::fs::remove_file(d.path().join("loss.csv")).unwrap();
    let third = build_report(d.path(), &ReportOptions::default()).unwrap();
    assert_eq!(third.plots.len(), 5);
    let left: Vec<_> = std::fs::read_dir(d.path().join("plots")).unwrap().collect();
    assert_eq!(left.len(), 5);
}

#[test]
fn empty_folder_gives_a_report_with_warnings() {
    let d = run_folder();
    let out = build_report(d.path(), &ReportOptions::default()).unwrap();
    assert!(out.plots.is_empty());
    assert!(!out.warnings.is_empty());
    let page = html(&out);
    assert!(page.contains("has no structures"));
    assert_self_contained(&page);
}

#[test]
fn missing_folder_and_file_are_errors_naming_the_path() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("nope");
    let e = build_report(&missing, &ReportOptions::default()).unwrap_err();
    assert!(matches!(e, ReportError::NotARunFolder { .. }));
    assert!(e.to_string().contains("nope"), "{e}");
    let file = d.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let e = build_report(&file, &ReportOptions::default()).unwrap_err();
    assert!(e.to_string().contains("file.txt"), "{e}");
}

/// A `sample` run: CIFs named by material id, per-structure validity only, no loss, no
/// training structures, no snapshots.
#[test]
fn sample_like_run() {
    let d = run_folder();
    let s = d.path().join("structures");
    std::fs::create_dir(&s).unwrap();
    let names = ["mp-149", "mp-30", "mp-13"];
    let crystals = [
        crystal::demo::diamond_c(),
        crystal::demo::fcc_al(),
        crystal::demo::bcc_fe(),
    ];
    for (n, c) in names.iter().zip(&crystals) {
        crystal::io::write_any(&s.join(format!("{n}.cif")), n, c).unwrap();
    }
    // Records for two of the three (mp-30 recorded invalid, which a recomputation would
    // not say); mp-13 has none and is analysed from its file.
    let cfg = crystal::analysis::AnalysisConfig::default();
    let record = |i: usize, valid: bool| {
        let mut a =
            crystal::analysis::analyze(&crystal::Entry::new(names[i], crystals[i].clone()), &cfg);
        a.valid_structure = valid;
        run::StructureRecord {
            file: Some(format!("structures/{}.cif", names[i])),
            ..run::StructureRecord::new(a)
        }
    };
    run::RunFolder::new(d.path())
        .write_summary(&run::Summary {
            command: Some(run::Command::Sample),
            model: Some("periodic".into()),
            structures: vec![record(0, true), record(1, false)],
            ..run::Summary::default()
        })
        .unwrap();
    let out = build_report(d.path(), &ReportOptions::default()).unwrap();
    let st = stems(&out);
    assert!(st.contains(&"batch_analysis.svg".to_string()), "{st:?}");
    assert!(st.contains(&"real_vs_generated.svg".to_string()), "{st:?}");
    assert!(!st
        .iter()
        .any(|s| s.starts_with("loss") || s.starts_with("reverse")));
    let page = html(&out);
    assert!(page.contains("href=\"structures/mp-149.cif\""));
    // mp-30's recorded validity is kept (not recomputed); mp-13's is computed.
    assert_eq!(page.matches("<td class=\"no\">no</td>").count(), 1);
    assert_self_contained(&page);
}

/// A `train` run: loss rows at epoch ends only with a validation column, a checkpoint
/// folder, a summary with configuration only, no structures.
#[test]
fn train_like_run() {
    let d = run_folder();
    std::fs::create_dir(d.path().join("checkpoint")).unwrap();
    std::fs::write(d.path().join("checkpoint/model.bin"), [0u8; 16]).unwrap();
    let folder = run::RunFolder::new(d.path());
    let rows: Vec<run::LossRow> = [(0.9, 1.0), (0.5, 0.7), (0.3, 0.5)]
        .iter()
        .enumerate()
        .map(|(i, &(l, v))| run::LossRow {
            epoch: i + 1,
            step: 10 * (i + 1),
            loss: l,
            val_loss: Some(v),
            ..run::LossRow::default()
        })
        .collect();
    folder.write_loss(&rows).unwrap();
    folder
        .write_summary(&run::Summary {
            command: Some(run::Command::Train),
            config: serde_json::json!({"epochs": 3}),
            loss: run::LossSummary::of(&[0.9, 0.5, 0.3]),
            ..run::Summary::default()
        })
        .unwrap();
    for log_loss in [false, true] {
        let out = build_report(
            d.path(),
            &ReportOptions {
                log_loss,
                png: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(stems(&out), ["loss.png", "loss.svg"]);
        let svg = std::fs::read_to_string(d.path().join("plots/loss.svg")).unwrap();
        assert!(svg.contains("validation loss") && svg.contains("optimisation step"));
    }
}

/// Garbage everywhere: the report is still written.
#[test]
fn broken_files_are_warnings() {
    let d = run_folder();
    let p = d.path();
    std::fs::write(p.join("summary.json"), "[1, 2").unwrap();
    std::fs::write(
        p.join("loss.csv"),
        "epoch,step,loss\n1,1,abc\nnot,a,row,at,all\n",
    )
    .unwrap();
    std::fs::write(
        p.join("snapshots.json"),
        r#"{"lattice_a": [[0,0,0],[0,0,0],[0,0,0]], "snapshots": []}"#,
    )
    .unwrap();
    std::fs::create_dir(p.join("structures")).unwrap();
    std::fs::write(p.join("structures/generated_0000.cif"), "data_x\nloop_\n").unwrap();
    std::fs::write(p.join("structures/notes.txt"), "not a structure").unwrap();
    let out = build_report(p, &ReportOptions::default()).unwrap();
    assert!(out.warnings.len() >= 4, "{:?}", out.warnings);
    assert!(out.html.is_file());
}

/// A 1,000-structure run stays well under 5 MB.
#[test]
fn thousand_structures_html_is_small() {
    let d = run_folder();
    make_run(d.path(), 1000);
    let out = build_report(d.path(), &ReportOptions::default()).unwrap();
    let size = std::fs::metadata(&out.html).unwrap().len();
    assert!(size < 5_000_000, "report.html is {size} bytes");
    assert_eq!(html(&out).matches("<tr data-s=").count(), 1000);
}
