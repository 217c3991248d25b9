//! The report in a real browser: builds a run folder from the crystal crate's demo
//! structures, writes its report, and opens `report.html` from `file://` in headless
//! Chromium.
//!
//! 1. `--dump-dom` of `report.html#selftest`: the page's own self-test (in
//!    `templates/viewer.js`) collects `window.onerror`, unhandled rejections and
//!    `console.error` from the first script on, checks every `<svg>`/`<img>` is present and
//!    laid out, that nothing was fetched, that the viewer canvas is not blank after load
//!    and its pixels change after a simulated drag and a wheel zoom, that the periodic-images
//!    toggle adds atoms, that clicking a table row loads that structure and that clicking a
//!    header sorts the table; it writes a JSON verdict into `<pre id="selftest">`, read back
//!    here. Chromium's stderr (`--enable-logging=stderr`) must show no uncaught error.
//! 2. Screenshots of the viewer alone (`#viewer-shot`): hidden canvas, after load and after
//!    a drag. Loaded differs from hidden (the canvas is not blank) and dragged differs
//!    from loaded (the drag turned the structure).
//!
//! Without Chromium (`chromium`, `chromium-browser` on PATH, or /usr/bin/chromium) the test
//! prints `SKIPPED: chromium not found` and passes; CI installs it (`.ci/run`).

mod common;

use common::make_run;
use serde_json::json;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `$CHROMIUM` when set (a path; anything else skips the test), else `chromium` or
/// `chromium-browser` on PATH, else /usr/bin/chromium.
fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    let p = PathBuf::from("/usr/bin/chromium");
    p.is_file().then_some(p)
}

/// Runs Chromium headless with the flags of the issue, a fresh profile, and `extra`;
/// stdout and stderr go to files. Killed after 90 s.
fn chromium(exe: &Path, work: &Path, tag: &str, extra: &[String]) -> (String, String) {
    let profile = tempfile::tempdir_in(work).unwrap();
    let out_path = work.join(format!("{tag}.stdout"));
    let err_path = work.join(format!("{tag}.stderr"));
    let mut child = Command::new(exe)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-quic",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .expect("chromium starts");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium ({tag}) did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (
        std::fs::read_to_string(&out_path).unwrap_or_default(),
        std::fs::read_to_string(&err_path).unwrap_or_default(),
    )
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Uncaught errors Chromium logged for the page (`console.error` calls are caught by the
/// page's own hook and reported in the verdict).
fn page_errors(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains("Uncaught")).collect()
}

#[test]
fn report_works_in_headless_chromium() {
    let Some(exe) = find_chromium() else {
        println!(
            "SKIPPED: chromium not found (install Debian's `chromium` package to run this test)"
        );
        eprintln!(
            "SKIPPED: chromium not found (install Debian's `chromium` package to run this test)"
        );
        return;
    };
    let t0 = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    make_run(&run, 24);
    run::mark(&run).unwrap();
    let out = report::build_report(&run, &report::ReportOptions::default()).unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let url = format!("file://{}", out.html.display());

    // 1. The page's self-test.
    let (dom, stderr) = chromium(
        &exe,
        tmp.path(),
        "selftest",
        &[
            "--virtual-time-budget=5000".into(),
            "--dump-dom".into(),
            format!("{url}#selftest"),
        ],
    );
    let start = dom
        .find("<pre id=\"selftest\">")
        .unwrap_or_else(|| panic!("no self-test verdict in the DOM; stderr:\n{stderr}"));
    let rest = &dom[start + "<pre id=\"selftest\">".len()..];
    let verdict_text = unescape(&rest[..rest.find("</pre>").expect("closed pre")]);
    let verdict: serde_json::Value = serde_json::from_str(&verdict_text)
        .unwrap_or_else(|e| panic!("verdict {verdict_text:?} is not JSON: {e}"));
    println!("self-test verdict: {verdict}");
    let checks = &verdict["checks"];
    assert_eq!(verdict["errors"], json!([]), "console errors: {verdict}");
    assert_eq!(checks["svg_count"], json!(out.plots.len()), "{verdict}");
    assert_eq!(checks["svg_all_sized"], json!(true), "{verdict}");
    assert_eq!(checks["img_all_loaded"], json!(true), "{verdict}");
    assert_eq!(checks["resources_fetched"], json!([]), "{verdict}");
    assert_eq!(checks["structures"], json!(45), "{verdict}");
    for key in [
        "canvas_not_blank",
        "canvas_changed_after_drag",
        "canvas_changed_after_wheel",
        "images_toggle_adds_atoms",
        "images_toggle_back",
        "row_click_loads_structure",
        "table_sorts",
    ] {
        assert_eq!(checks[key], json!(true), "{key}: {verdict}");
    }
    assert_eq!(verdict["ok"], json!(true), "{verdict}");
    let errs = page_errors(&stderr);
    assert!(errs.is_empty(), "chromium logged page errors: {errs:#?}");

    // 2. Screenshots of the viewer: hidden, loaded, dragged.
    let shot = |mode: &str| -> Vec<u8> {
        let png = tmp.path().join(format!("shot-{mode}.png"));
        let (_, stderr) = chromium(
            &exe,
            tmp.path(),
            &format!("shot-{mode}"),
            &[
                "--window-size=600,600".into(),
                "--virtual-time-budget=3000".into(),
                format!("--screenshot={}", png.display()),
                format!("{url}#viewer-shot-{mode}"),
            ],
        );
        std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot {mode}: {e}; {stderr}"))
    };
    let hidden = shot("hidden");
    let loaded = shot("load");
    let dragged = shot("drag");
    assert!(hidden.starts_with(b"\x89PNG") && loaded.starts_with(b"\x89PNG"));
    assert_ne!(hidden, loaded, "the viewer canvas is blank after load");
    assert_ne!(loaded, dragged, "a drag did not change the viewer");
    println!("browser test took {:.1} s", t0.elapsed().as_secs_f64());
}
