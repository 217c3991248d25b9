//! `crystal-diffusion report RUN_DIR`: rebuilds `plots/` and `report.html` from the files
//! of a run folder (demo, train or sample), printing the report's path and anything that
//! had to be left out.

use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The run folder (written by `demo`, `train` or `sample`).
    run_dir: PathBuf,
    /// Also write PNG copies of the plots.
    #[arg(long)]
    png: bool,
    /// Log-scale loss axis.
    #[arg(long)]
    log_loss: bool,
    /// Validator distance in Å for the plots' threshold line, when the run folder does not
    /// record one.
    #[arg(long, default_value_t = crystal::validity::DEFAULT_MIN_DISTANCE_A, allow_hyphen_values = true)]
    min_distance: f64,
    /// Do not list what was left out.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(a: ReportArgs) -> Result<ExitCode> {
    if !(a.min_distance.is_finite() && a.min_distance > 0.0) {
        anyhow::bail!(
            "--min-distance {}: must be a positive length in Å",
            a.min_distance
        );
    }
    let opts = report::ReportOptions {
        png: a.png,
        log_loss: a.log_loss,
        min_distance_a: a.min_distance,
        title: None,
    };
    // Not while another run writes the folder (a `train` in progress, say). A parent folder
    // where no lock can be created (read-only) does not stop a report.
    let _lock = match run::RunLock::acquire(&a.run_dir) {
        Ok(lock) => Some(lock),
        Err(e @ run::RunError::NotARunFolder { .. }) => return Err(e.into()),
        Err(_) => None,
    };
    let out = report::build_report(&a.run_dir, &opts)
        .with_context(|| format!("building the report of {}", a.run_dir.display()))?;
    if !a.quiet {
        for w in &out.warnings {
            eprintln!("note: {w}");
        }
    }
    println!("{} ({} plots)", out.html.display(), out.plots.len());
    Ok(ExitCode::SUCCESS)
}
