//! `crystal-diffusion eval csp|dng`: benchmark metrics of generated structures against a
//! ground truth or reference set, with the definitions of `crystal::metrics` (printed by
//! `--explain`). Unreadable inputs are counted and listed; the exit code is 0 when scoring
//! completed on readable inputs only, 1 when it completed but some inputs could not be
//! read, 2 when it could not be done.

use crate::progress;
use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand, ValueEnum};
use crystal::io::load::Unreadable;
use crystal::matcher::MatcherConfig;
use crystal::metrics::{self, Benchmark, CovCutoffs, DngConfig};
use crystal::Entry;
use run::RunFolder;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct EvalArgs {
    #[command(subcommand)]
    task: EvalTask,
}

#[derive(Subcommand, Debug)]
enum EvalTask {
    /// Crystal structure prediction: match rate and RMSE of predictions against ground truths.
    Csp(CspArgs),
    /// De novo generation: validity, coverage, Wasserstein distances, uniqueness, novelty.
    Dng(DngArgs),
}

/// StructureMatcher tolerances (pymatgen's names; defaults of the CSP literature).
#[derive(Args, Debug, Clone)]
struct MatcherArgs {
    /// Fractional length tolerance.
    #[arg(long, default_value_t = MatcherConfig::csp().ltol, allow_hyphen_values = true)]
    ltol: f64,
    /// Site tolerance in units of (V/N)^(1/3).
    #[arg(long, default_value_t = MatcherConfig::csp().stol, allow_hyphen_values = true)]
    stol: f64,
    /// Angle tolerance in degrees.
    #[arg(long, default_value_t = MatcherConfig::csp().angle_tol_deg, allow_hyphen_values = true)]
    angle_tol: f64,
    /// Do not reduce structures to primitive cells first.
    #[arg(long)]
    no_primitive_cell: bool,
    /// Do not scale the cells to equal volume first.
    #[arg(long)]
    no_scale: bool,
    /// Let structures of different reduced sizes match through a supercell.
    #[arg(long)]
    attempt_supercell: bool,
}

impl MatcherArgs {
    fn config(&self) -> Result<MatcherConfig> {
        let cfg = MatcherConfig {
            ltol: self.ltol,
            stol: self.stol,
            angle_tol_deg: self.angle_tol,
            primitive_cell: !self.no_primitive_cell,
            scale: !self.no_scale,
            attempt_supercell: self.attempt_supercell,
        };
        cfg.check(|k| format!("--{}", k.replace('_', "-")))
            .map_err(|m| anyhow!(m))?;
        Ok(cfg)
    }
}

#[derive(Args, Debug)]
struct CspArgs {
    /// Predicted structures: files, folders or dataset CSVs, named by the ground truth's
    /// material_id (file stem or CIF block), optionally with a _K sample suffix.
    #[arg(long, num_args = 1.., required_unless_present = "explain")]
    pred: Vec<PathBuf>,
    /// Ground truth: a dataset CSV (material_id, cif) or structure files/folders.
    #[arg(long, num_args = 1.., required_unless_present = "explain")]
    gt: Vec<PathBuf>,
    #[command(flatten)]
    matcher: MatcherArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Print the definitions of the metrics.
    #[arg(long)]
    explain: bool,
    #[command(flatten)]
    limits: crate::inputs::LimitArgs,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// Output format of `eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
}

/// A benchmark data set named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dataset {
    /// Infer from the reference path (perov, carbon, mp-20/mp_20), else MP-20.
    Auto,
    #[value(name = "perov-5")]
    Perov5,
    #[value(name = "carbon-24")]
    Carbon24,
    #[value(name = "mp-20")]
    Mp20,
}

#[derive(Args, Debug)]
struct DngArgs {
    /// Generated structures: files, folders or dataset CSVs.
    #[arg(long, num_args = 1.., required_unless_present = "explain")]
    gen: Vec<PathBuf>,
    /// Reference structures (CDVAE uses the test split): files, folders or dataset CSVs.
    #[arg(long = "ref", num_args = 1.., required_unless_present = "explain")]
    reference: Vec<PathBuf>,
    #[command(flatten)]
    matcher: MatcherArgs,
    /// Data set whose coverage cutoffs apply (Perov-5 and Carbon-24: 0.2 / 4; MP-20: 0.4 / 10).
    #[arg(long, value_enum, default_value_t = Dataset::Auto)]
    dataset: Dataset,
    /// Structure-fingerprint cutoff for COV (overrides --dataset).
    #[arg(long, allow_hyphen_values = true)]
    cov_struct_cutoff: Option<f64>,
    /// Composition-fingerprint cutoff for COV (overrides --dataset).
    #[arg(long, allow_hyphen_values = true)]
    cov_comp_cutoff: Option<f64>,
    /// Valid structures drawn for the Wasserstein distances (CDVAE: 1000).
    #[arg(long, default_value_t = DngConfig::default().n_wdist_samples)]
    wdist_samples: usize,
    /// Seed of that draw.
    #[arg(long, default_value_t = DngConfig::default().seed)]
    seed: u64,
    /// Skip uniqueness and novelty (pairwise matching, the slowest part).
    #[arg(long)]
    no_uniqueness: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Print the definitions of the metrics.
    #[arg(long)]
    explain: bool,
    #[command(flatten)]
    limits: crate::inputs::LimitArgs,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: EvalArgs) -> Result<ExitCode> {
    match args.task {
        EvalTask::Csp(a) => run_csp(a),
        EvalTask::Dng(a) => run_dng(a),
    }
}

/// Reads structures and names each for pairing. A structure that `sample` wrote into a
/// run folder takes the name its run recorded in `summary.json` (so a `material_id` with
/// `/`, `:` or spaces pairs although its file name could not hold it); otherwise a
/// structure file (CIF, POSCAR, XYZ) holding one structure is named by its stem, and
/// anything else by its own name (data-set `material_id`, CIF block). Unreadable ones
/// are listed.
fn read_named(
    paths: &[PathBuf],
    what: &str,
    limits: &crystal::limits::CellLimits,
) -> Result<(Vec<Entry>, Vec<Unreadable>)> {
    let inputs = crate::inputs::read(paths, what, limits)?;
    let recorded = recorded_names(paths);
    let mut per_file: HashMap<&Path, usize> = HashMap::new();
    for s in &inputs.entries {
        *per_file.entry(s.source.as_path()).or_default() += 1;
    }
    let mut per_file_bad: HashMap<&Path, usize> = HashMap::new();
    for u in &inputs.unreadable {
        *per_file_bad.entry(u.source.as_path()).or_default() += 1;
    }
    let entries = inputs
        .entries
        .iter()
        .map(|s| {
            let mut e = s.entry.clone();
            // A data set's rows keep their material_id, even in a one-row data set.
            let single = crystal::io::is_writable_file(&s.source)
                && per_file[s.source.as_path()]
                    + per_file_bad.get(s.source.as_path()).copied().unwrap_or(0)
                    == 1;
            let key = s.source.canonicalize().unwrap_or_else(|_| s.source.clone());
            if let Some(name) = recorded.get(&key).filter(|_| single) {
                e.name = name.clone();
            } else if single {
                if let Some(stem) = s.source.file_stem() {
                    e.name = stem.to_string_lossy().into_owned();
                }
            }
            e
        })
        .collect();
    Ok((entries, inputs.unreadable))
}

/// The names that the run folders among `paths` (a run folder, or its `structures/`)
/// recorded for their structure files: file (canonical path) → name.
fn recorded_names(paths: &[PathBuf]) -> HashMap<PathBuf, String> {
    let mut out = HashMap::new();
    for p in paths.iter().filter(|p| p.is_dir()) {
        let root = if p.join(run::layout::SUMMARY).is_file() {
            p.clone()
        } else {
            match p.parent() {
                Some(parent) if parent.join(run::layout::SUMMARY).is_file() => parent.to_path_buf(),
                _ => continue,
            }
        };
        let folder = RunFolder::new(&root);
        let Ok((summary, _)) = folder.read_summary() else {
            continue;
        };
        for r in &summary.structures {
            if let Some(file) = &r.file {
                let path = root.join(file);
                out.insert(path.canonicalize().unwrap_or(path), r.analysis.name.clone());
            }
        }
    }
    out
}

/// Paths as one comma-separated string, for messages.
pub fn shown(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn matcher_line(m: &MatcherConfig) -> String {
    format!(
        "matcher: ltol {}, stol {}, angle_tol {}°, primitive cell {}, scale {}, attempt supercell {}",
        m.ltol,
        m.stol,
        m.angle_tol_deg,
        yes_no(m.primitive_cell),
        yes_no(m.scale),
        yes_no(m.attempt_supercell)
    )
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

fn list_unreadable(bad: &[Unreadable], what: &str) {
    if bad.is_empty() {
        return;
    }
    eprintln!("{} unreadable {what}:", bad.len());
    for b in bad.iter().take(20) {
        eprintln!("  {}: {}", b.source.display(), b.message);
    }
    if bad.len() > 20 {
        eprintln!("  … {} more (all listed in --format json)", bad.len() - 20);
    }
}

fn pct(x: f64) -> String {
    format!("{:.2} %", 100.0 * x)
}

fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or("-".into(), |v| format!("{v:.digits$}"))
}

/// Prints the definitions of `--explain`; true when there is nothing to score after them.
fn explain(text: &str, nothing_to_score: bool) -> bool {
    println!("{text}");
    if !nothing_to_score {
        println!();
    }
    nothing_to_score
}

fn run_csp(a: CspArgs) -> Result<ExitCode> {
    if a.explain && explain(metrics::EXPLAIN_CSP, a.pred.is_empty() || a.gt.is_empty()) {
        return Ok(ExitCode::SUCCESS);
    }
    let cfg = a.matcher.config()?;
    let limits = a.limits.limits()?;
    let (gts, bad_gt) = read_named(&a.gt, "--gt", &limits)?;
    if gts.is_empty() {
        list_unreadable(&bad_gt, "ground-truth structures");
        bail!("--gt {}: no readable ground-truth structure", shown(&a.gt));
    }
    let (preds, bad_pred) = read_named(&a.pred, "--pred", &limits)?;
    let pb = progress::bar(gts.len() as u64, "matching", a.quiet);
    let m = metrics::csp(&gts, &preds, &cfg, bad_gt.len(), &|| pb.inc(1));
    pb.finish_and_clear();
    match a.format {
        Format::Json => {
            let v = metrics::CspReport::new(m, cfg, bad_pred.clone(), bad_gt.clone());
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Format::Table => {
            list_unreadable(&bad_gt, "ground-truth structures");
            list_unreadable(&bad_pred, "predictions");
            println!(
                "CSP: {} ground truths, {} predictions read ({} unreadable); {} ground truths without a prediction, {} predictions without a ground truth",
                m.n_gt,
                m.n_predictions,
                bad_pred.len(),
                m.missing_predictions.len(),
                m.unpaired_predictions.len()
            );
            println!(
                "{:<34} {:>10} {:>8} {:>9}",
                "", "match rate", "RMSE", "matched"
            );
            println!(
                "{:<34} {:>10} {:>8} {:>9}",
                "all predictions",
                pct(m.match_rate),
                opt(m.rmse, 4),
                m.n_matched
            );
            println!(
                "{:<34} {:>10} {:>8} {:>9}",
                "valid only (DiffCSP's gate)",
                pct(m.match_rate_gated),
                opt(m.rmse_gated, 4),
                m.n_matched_gated
            );
            println!("{}", matcher_line(&cfg));
        }
    }
    Ok(if bad_pred.is_empty() && bad_gt.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

impl Dataset {
    /// The data set named, or (auto) the one `paths` name.
    pub fn resolve(self, paths: &[PathBuf]) -> Benchmark {
        match self {
            Dataset::Auto => Benchmark::infer_from(&shown(paths)),
            Dataset::Perov5 => Benchmark::Perov5,
            Dataset::Carbon24 => Benchmark::Carbon24,
            Dataset::Mp20 => Benchmark::Mp20,
        }
    }
}

fn cutoffs(a: &DngArgs) -> Result<(CovCutoffs, &'static str)> {
    let ds = a.dataset.resolve(&a.reference);
    let (mut c, name) = (ds.cutoffs(), ds.name());
    for (flag, v, slot) in [
        ("--cov-struct-cutoff", a.cov_struct_cutoff, &mut c.structure),
        ("--cov-comp-cutoff", a.cov_comp_cutoff, &mut c.composition),
    ] {
        if let Some(v) = v {
            if !(v.is_finite() && v > 0.0) {
                bail!("{flag} {v}: must be a positive number");
            }
            *slot = v;
        }
    }
    Ok((c, name))
}

fn run_dng(a: DngArgs) -> Result<ExitCode> {
    if a.explain
        && explain(
            metrics::EXPLAIN_DNG,
            a.gen.is_empty() || a.reference.is_empty(),
        )
    {
        return Ok(ExitCode::SUCCESS);
    }
    let matcher = a.matcher.config()?;
    if a.wdist_samples == 0 {
        bail!("--wdist-samples 0: must be at least 1");
    }
    let (cut, ds_name) = cutoffs(&a)?;
    let limits = a.limits.limits()?;
    let (gen, bad_gen) = read_named(&a.gen, "--gen", &limits)?;
    let (refs, bad_ref) = read_named(&a.reference, "--ref", &limits)?;
    if gen.is_empty() {
        list_unreadable(&bad_gen, "generated structures");
        bail!("--gen {}: no readable structure", shown(&a.gen));
    }
    if refs.is_empty() {
        list_unreadable(&bad_ref, "reference structures");
        bail!("--ref {}: no readable structure", shown(&a.reference));
    }
    let cfg = DngConfig {
        matcher,
        cutoffs: cut,
        n_wdist_samples: a.wdist_samples,
        seed: a.seed,
        uniqueness_novelty: !a.no_uniqueness,
    };
    let gen_c: Vec<_> = gen.into_iter().map(|e| e.crystal).collect();
    let ref_c: Vec<_> = refs.into_iter().map(|e| e.crystal).collect();
    let pb = progress::bar(4, "evaluating", a.quiet);
    let m = metrics::dng(&gen_c, &ref_c, &cfg, &|stage| {
        pb.set_message(stage.to_string());
        pb.inc(1);
    });
    pb.finish_and_clear();
    match a.format {
        Format::Json => {
            let v = metrics::DngReport {
                metrics: m.clone(),
                task: "dng",
                cutoffs_dataset: ds_name,
                matcher,
                seed: a.seed,
                unreadable_generated: bad_gen.clone(),
                unreadable_reference: bad_ref.clone(),
            };
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Format::Table => {
            list_unreadable(&bad_gen, "generated structures");
            list_unreadable(&bad_ref, "reference structures");
            println!(
                "DNG: {} generated, {} reference structures ({} + {} unreadable)",
                m.n_generated,
                m.n_reference,
                bad_gen.len(),
                bad_ref.len()
            );
            let valid_label = format!(
                "valid structure (CDVAE: {})",
                crystal::StructuralRule::cdvae()
            );
            let rows = [
                (valid_label.as_str(), pct(m.valid_structure)),
                ("valid composition (SMACT)", pct(m.valid_composition)),
                ("valid (both)", pct(m.valid)),
                ("COV-R (recall)", pct(m.cov_recall)),
                ("COV-P (precision)", pct(m.cov_precision)),
                (
                    "wdist density (g/cm³)",
                    format!("{} (n = {})", opt(m.wdist_density, 4), m.n_wdist_samples),
                ),
                ("wdist number of elements", opt(m.wdist_num_elements, 4)),
                ("unique", m.unique.map_or("-".into(), pct)),
                ("novel (vs reference)", m.novel.map_or("-".into(), pct)),
            ];
            for (k, v) in rows {
                println!("  {k:<38} {v}");
            }
            println!(
                "COV cutoffs {ds_name}: structure {}, composition {}; fingerprints missing for {} generated, {} reference",
                cut.structure,
                cut.composition,
                m.n_generated_without_fingerprint,
                m.n_reference_without_fingerprint
            );
            println!("{}", matcher_line(&matcher));
        }
    }
    Ok(if bad_gen.is_empty() && bad_ref.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
