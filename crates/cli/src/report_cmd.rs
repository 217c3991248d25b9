//! `crystal-diffusion report RUN_DIR`: rebuilds `plots/` and `report.html` from the files
//! of a run folder (demo, train or sample), printing the report's path and anything that
//! had to be left out. `report A B C --out M` first merges several `sample` folders (the
//! shards of a job array) into the run folder M (`run::merge`), then reports on it.

use anyhow::{anyhow, Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The run folder (written by `demo`, `train` or `sample`); or several `sample`
    /// folders (the shards of a job array, e.g. `runs/shard_*`) to merge into `--out`.
    #[arg(required = true, num_args = 1..)]
    run_dirs: Vec<PathBuf>,
    /// With several run folders: the new run folder that holds them merged (summary,
    /// structures, plots, report).
    #[arg(long)]
    out: Option<PathBuf>,
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
    let run_dir = match (&a.run_dirs[..], &a.out) {
        ([one], None) => one.clone(),
        (_, Some(out)) => return merge(&a.run_dirs, out, &opts, a.quiet),
        (_, None) => anyhow::bail!(
            "{} run folders: give --out for the merged run folder",
            a.run_dirs.len()
        ),
    };
    let a = ReportArgs {
        run_dirs: vec![run_dir],
        ..a
    };
    let run_dir = &a.run_dirs[0];
    // Not while another run writes the folder (a `train` in progress, say). A parent folder
    // where no lock can be created (read-only) does not stop a report.
    let _lock = match run::RunLock::acquire(run_dir) {
        Ok(lock) => Some(lock),
        Err(e @ run::RunError::NotARunFolder { .. }) => return Err(e.into()),
        Err(_) => None,
    };
    let out = report::build_report(run_dir, &opts)
        .with_context(|| format!("building the report of {}", run_dir.display()))?;
    if !a.quiet {
        for w in &out.warnings {
            eprintln!("note: {w}");
        }
    }
    println!("{} ({} plots)", out.html.display(), out.plots.len());
    Ok(ExitCode::SUCCESS)
}

/// Merges the `sample` folders `dirs` into the new run folder `out` (summary, structure
/// files, symmetrized copies) and writes its report.
fn merge(
    dirs: &[PathBuf],
    out: &Path,
    opts: &report::ReportOptions,
    quiet: bool,
) -> Result<ExitCode> {
    let mut parts = Vec::new();
    for d in dirs {
        let folder = run::RunFolder::new(d);
        let (s, _) = folder
            .read_summary()
            .with_context(|| format!("{}: not a run folder with a summary.json", d.display()))?;
        parts.push((d.clone(), s));
    }
    let merged = run::merge::merge_sample_summaries(&parts)?;
    let run_dir = run::RunDir::create(out).map_err(|e| anyhow!("--out {e}"))?;
    let dst = run::RunFolder::new(run_dir.staging());
    for dir in [dst.structures_dir(), dst.symmetrized_dir()] {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut copied = 0usize;
    for (d, s) in &parts {
        let src = run::RunFolder::new(d);
        for r in &s.structures {
            let Some(rel) = &r.file else { continue };
            // Only a plain file under the folder's structures/ (never `..`, an absolute
            // path or a link out of it).
            let inside = Path::new(rel).starts_with(run::layout::STRUCTURES)
                && Path::new(rel)
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)));
            let from = src.root().join(rel);
            if !inside || !std::fs::symlink_metadata(&from).is_ok_and(|m| m.is_file()) {
                anyhow::bail!(
                    "{}: structure file {rel:?} is not a file in its structures/ folder",
                    d.display()
                );
            }
            let to = dst.root().join(rel);
            std::fs::copy(&from, &to).with_context(|| format!("copying {}", from.display()))?;
            copied += 1;
            // The symmetrized copy of `sample --symmetrize`, where there is one.
            if let Some(name) = Path::new(rel).file_name() {
                let sym = src.symmetrized_dir().join(name);
                if std::fs::symlink_metadata(&sym).is_ok_and(|m| m.is_file()) {
                    let to = dst.symmetrized_dir().join(name);
                    std::fs::copy(&sym, &to)
                        .with_context(|| format!("copying {}", sym.display()))?;
                }
            }
        }
    }
    if std::fs::read_dir(dst.symmetrized_dir()).is_ok_and(|mut d| d.next().is_none()) {
        let _ = std::fs::remove_dir(dst.symmetrized_dir());
    }
    dst.write_summary(&merged)?;
    let opts = report::ReportOptions {
        title: out.file_name().map(|n| n.to_string_lossy().into_owned()),
        ..opts.clone()
    };
    let built = report::build_report(run_dir.staging(), &opts)
        .with_context(|| format!("building the report of {}", out.display()))?;
    if !quiet {
        for w in &built.warnings {
            eprintln!("note: {w}");
        }
    }
    let out = run_dir.commit()?;
    let done = run::RunFolder::new(&out);
    println!(
        "merged {} run folders ({copied} structures) into {}",
        dirs.len(),
        out.display()
    );
    println!(
        "{} ({} plots)",
        done.report_path().display(),
        built.plots.len()
    );
    Ok(ExitCode::SUCCESS)
}
