//! # report — plots and a self-contained HTML report of a run folder
//!
//! The top layer beside the command-line tool: it reads what a `demo`, `train` or
//! `sample` run wrote (see [`run`]), draws the figures with plotters as SVG and, on
//! request, PNG with an embedded font (see [`plots`], [`style`]), and writes
//! `report.html`, one file with the figures inlined, the run's configuration and
//! statistics, a sortable table of the generated structures and a 3D structure viewer
//! written for it (see [`html`]). Nothing in the report is fetched from a network; it
//! opens from a plain `file://` path.
//!
//! Every input is optional: what a run folder lacks is left out of the report and
//! listed in [`ReportOutput::warnings`]. Only failing to write the outputs is an error.
//!
//! ```no_run
//! let out = report::build_report(std::path::Path::new("outputs/run"), &Default::default())?;
//! println!("{}", out.html.display());
//! # Ok::<(), report::ReportError>(())
//! ```

pub mod benchmark;
pub mod error;
pub mod hist;
pub mod html;
pub mod plots;
pub mod projection;
pub mod run;
pub mod style;

pub use error::ReportError;

use std::path::{Path, PathBuf};

/// How to build a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    /// Also write every plot as PNG (rendered with the embedded font).
    pub png: bool,
    /// Draw the loss on a logarithmic axis.
    pub log_loss: bool,
    /// Title of the page; `None`: the run folder's name. A command that builds the report
    /// in a staging folder passes the final folder's name.
    pub title: Option<String>,
    /// Validator threshold in Å for the minimum-distance plot and for records computed
    /// from structure files, used when `summary.json` does not record the run's own
    /// (`generation.min_distance_threshold_a`).
    pub min_distance_a: f64,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            png: false,
            log_loss: false,
            title: None,
            min_distance_a: crystal::validity::DEFAULT_MIN_DISTANCE_A,
        }
    }
}

/// What [`build_report`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOutput {
    /// `RUN_DIR/report.html`.
    pub html: PathBuf,
    /// Every plot file written under `RUN_DIR/plots/` (SVG, and PNG with `png`).
    pub plots: Vec<PathBuf>,
    /// What was missing or unreadable in the run folder, and so left out.
    pub warnings: Vec<String>,
}

/// Builds the plots (`RUN_DIR/plots/*.svg`, and `*.png` with `opts.png`) and
/// `RUN_DIR/report.html` from the files of a run folder.
pub fn build_report(run_dir: &Path, opts: &ReportOptions) -> Result<ReportOutput, ReportError> {
    if !run_dir.is_dir() {
        return Err(ReportError::NotARunFolder {
            path: run_dir.to_path_buf(),
            reason: if run_dir.exists() {
                "not a folder".into()
            } else {
                "no such folder".into()
            },
        });
    }
    if !::run::is_run_folder(run_dir) {
        return Err(ReportError::NotARunFolder {
            path: run_dir.to_path_buf(),
            reason: format!(
                "no {} marker, so not a run folder of crystal-diffusion: its report.html and \
                 plots/ are not ours to replace (for a run folder written before run folders \
                 carried this marker, create that empty file)",
                ::run::MARKER
            ),
        });
    }
    let run = run::RunData::load(run_dir, opts.min_distance_a);
    let threshold = run.min_distance_threshold().unwrap_or(opts.min_distance_a);
    let data = plots::PlotData::new(&run, threshold, opts.log_loss);
    let plot_dir = ::run::RunFolder::new(run_dir).plots_dir();
    let (rendered, plot_warnings) = plots::render_all(&data, &plot_dir, opts.png)?;
    let mut warnings = run.warnings.clone();
    warnings.extend(plot_warnings);

    let html_path = ::run::RunFolder::new(run_dir).report_path();
    let title = opts.title.clone().unwrap_or_else(|| {
        run_dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "run".into())
    });
    let page = html::render(&title, &run, &data, &rendered, &warnings).map_err(|message| {
        ReportError::Template {
            path: html_path.clone(),
            message,
        }
    })?;
    ::run::atomic_write(&html_path, page.as_bytes()).map_err(|e| ReportError::Write {
        path: html_path.clone(),
        message: e.to_string(),
    })?;

    let mut plot_files = Vec::new();
    for r in &rendered {
        plot_files.push(r.svg_path.clone());
        plot_files.extend(r.png_path.clone());
    }
    Ok(ReportOutput {
        html: html_path,
        plots: plot_files,
        warnings,
    })
}
