//! Times `build_report` on a run folder: `cargo run --release -p report --example
//! report_speed -- RUN_DIR [--png] [--log-loss] [--runs N]`. Prints every run's wall
//! time, the median, the HTML size and the warnings.

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut dir: Option<PathBuf> = None;
    let mut opts = report::ReportOptions::default();
    let mut runs = 7usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--png" => opts.png = true,
            "--log-loss" => opts.log_loss = true,
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(runs),
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: report_speed RUN_DIR [--png] [--log-loss] [--runs N]");
        std::process::exit(2);
    };
    let mut times = Vec::new();
    let mut last = None;
    for i in 0..runs.max(1) {
        let t = Instant::now();
        match report::build_report(&dir, &opts) {
            Ok(out) => last = Some(out),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
        let s = t.elapsed().as_secs_f64();
        println!("run {}: {:.3} s", i + 1, s);
        times.push(s);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let out = last.expect("at least one run");
    let size = std::fs::metadata(&out.html).map(|m| m.len()).unwrap_or(0);
    println!(
        "median of {} runs: {:.3} s   report.html {:.2} MB   {} plot files",
        times.len(),
        median,
        size as f64 / 1e6,
        out.plots.len()
    );
    for w in &out.warnings {
        println!("warning: {w}");
    }
}
