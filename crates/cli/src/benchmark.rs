//! `crystal-diffusion benchmark`: one command for one row of a paper's table. It samples
//! with a checkpoint for a test split (CSP: K predictions per composition; de novo: the
//! papers' 10,000 structures), scores them with `crystal::metrics`, and prints and writes
//! our row beside the published rows of CDVAE, DiffCSP and FlowMM
//! (`crystal::published`): `benchmark.json`, `benchmark.html` and the generated CIFs in
//! `structures/`, all in `--out`, which appears only when everything is written. CSP runs
//! also report the match rate over the test compositions absent from the training data.

use crate::eval::{matcher_line, shown, Dataset};
use crate::progress;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use crystal::matcher::MatcherConfig;
use crystal::metrics::{self, Benchmark, DngConfig};
use crystal::published::{self, BenchTask, BenchmarkRecord, Row, UnseenCompositions};
use crystal::{Crystal, Entry};
use diffusion::periodic::checkpoint::{self, CheckpointConfig};
use diffusion::periodic::sample::{
    composition_targets, de_novo_targets, sample_streaming, SampleOptions, Target, MAX_TARGETS,
};
use diffusion::Task;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct BenchmarkArgs {
    /// Checkpoint folder: a shipped model (models/perov5-csp) or a training run.
    #[arg(long)]
    checkpoint: PathBuf,
    /// Test split: a data-set CSV with material_id and cif columns (.csv or .csv.gz), e.g.
    /// ../shared/data/perov_5/test.csv.gz.
    #[arg(long)]
    data: PathBuf,
    /// CSP: predictions per composition (the papers: 1 or 20; a composition is matched
    /// when any is). De novo: structures generated [default: 1 for CSP; 10,000 de novo,
    /// DiffCSP's protocol].
    #[arg(long)]
    samples: Option<usize>,
    #[command(flatten)]
    sampler: crate::sampler::SamplerArgs,
    /// The task the checkpoint must have been trained for (refused otherwise) [default:
    /// the checkpoint's].
    #[arg(long, value_enum)]
    task: Option<Task>,
    /// Data set, for the published rows and the coverage cutoffs.
    #[arg(long, value_enum, default_value_t = Dataset::Auto)]
    dataset: Dataset,
    /// Training data for the unseen-composition figure (CSP) [default: the formulas the
    /// checkpoint recorded, else the training files it names, when they are there].
    #[arg(long, num_args = 1..)]
    train: Vec<PathBuf>,
    /// Score on the part of --data that the checkpoint's training held out (`train
    /// --holdout`, found again from its recorded fraction and seed; --data must be the file
    /// it trained on): to choose a checkpoint or sampler settings without the test split.
    #[arg(long)]
    heldout: bool,
    /// Only the first N entries of --data (a quick look, or a smoke test: the figure is
    /// then not the paper's, and says so).
    #[arg(long)]
    limit: Option<usize>,
    /// Output folder (created whole at the end; must not exist or be empty).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    limits: crate::inputs::LimitArgs,
    #[command(flatten)]
    device: crate::device::DeviceArgs,
}

/// The command line as typed, for the record: each argument quoted for a POSIX shell
/// unless it holds only characters a shell leaves alone.
fn command_line() -> String {
    std::env::args_os()
        .map(|a| {
            let a = a.to_string_lossy().into_owned();
            let plain = |c: char| c.is_ascii_alphanumeric() || "_./=:,+-@%".contains(c);
            if !a.is_empty() && a.chars().all(plain) {
                a
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Structures a run generates: `samples` per composition (CSP) or `samples` in all (de
/// novo, whatever the size of the reference set).
fn target_count(task: BenchTask, n_test: usize, samples: usize) -> usize {
    match task {
        BenchTask::Csp => n_test.saturating_mul(samples),
        BenchTask::Dng => samples,
    }
}

/// Refuses an `--out` that exists and is not an earlier benchmark's folder (a training
/// run, say), which the finished run would replace.
fn check_out(out: &Path) -> Result<()> {
    let Ok(mut items) = std::fs::read_dir(out) else {
        return Ok(()); // absent (or not a folder: the run folder check names it)
    };
    if items.next().is_some() && !out.join(run::layout::BENCHMARK_JSON).is_file() {
        bail!(
            "--out {}: exists and is not a benchmark folder (it would be replaced); choose a new folder",
            out.display()
        );
    }
    Ok(())
}

/// The reduced formulas of the training data and where they came from: `--train`, else
/// the checkpoint's record, else the files it names. None (with the reason) when none of
/// these is available.
fn training_formulas(
    a: &BenchmarkArgs,
    cfg: &CheckpointConfig,
    limits: &crystal::limits::CellLimits,
) -> Result<std::result::Result<(BTreeSet<String>, String), String>> {
    let from_files = |paths: &[PathBuf], flag: &str| -> Result<BTreeSet<String>> {
        let inputs = crate::inputs::read(paths, flag, limits)?;
        crate::inputs::warn_unreadable(flag, &inputs.unreadable, 5);
        Ok(inputs
            .entries
            .iter()
            .map(|s| s.entry.crystal.reduced_formula())
            .collect())
    };
    if !a.train.is_empty() {
        let f = from_files(&a.train, "--train")?;
        return Ok(Ok((f, format!("--train {}", shown(&a.train)))));
    }
    if let Some(f) = cfg.train_formulas() {
        return Ok(Ok((f, "the formulas the checkpoint recorded".into())));
    }
    let paths = cfg.train_paths();
    if !paths.is_empty() && paths.iter().all(|p| p.exists()) {
        let f = from_files(&paths, "the checkpoint's training data")?;
        return Ok(Ok((
            f,
            format!("the checkpoint's training data {}", shown(&paths)),
        )));
    }
    Ok(Err(format!(
        "the unseen-composition figure is left out: the checkpoint records no training formulas and its training files ({}) are not here; give them with --train",
        if paths.is_empty() { "none named".into() } else { shown(&paths) }
    )))
}

/// The entries of `data` (the readable structures of the file a checkpoint trained on)
/// that its training held out.
fn held_out(data: Vec<Entry>, cfg: &CheckpointConfig, path: &Path) -> Result<Vec<Entry>> {
    let Some(h) = cfg.holdout() else {
        bail!("--heldout: the checkpoint held nothing out (it was trained without --holdout); score on a validation file instead");
    };
    let n_trained = cfg
        .data
        .get("n_train")
        .and_then(|v| v.as_u64())
        .unwrap_or(0) as usize
        + h.n;
    let mask = crystal::dataset::holdout_mask(data.len(), h.fraction, h.seed)
        .filter(|_| data.len() == n_trained)
        .ok_or_else(|| {
            anyhow!(
                "--heldout: --data {} has {} readable structures, the data the checkpoint trained on had {n_trained}; give the same file",
                path.display(),
                data.len()
            )
        })?;
    Ok(data
        .into_iter()
        .zip(mask)
        .filter_map(|(e, held)| held.then_some(e))
        .collect())
}

/// The settings checks that need no file.
fn check_flags(a: &BenchmarkArgs) -> Result<()> {
    if a.samples == Some(0) {
        bail!("--samples 0: must be at least 1");
    }
    if a.limit == Some(0) {
        bail!("--limit 0: must be at least 1");
    }
    a.sampler.options()?;
    let csv = a.data.to_string_lossy().to_ascii_lowercase();
    if !(csv.ends_with(".csv") || csv.ends_with(".csv.gz")) {
        bail!(
            "--data {}: expected a data-set CSV (.csv or .csv.gz with material_id and cif columns), e.g. ../shared/data/perov_5/test.csv.gz",
            a.data.display()
        );
    }
    Ok(())
}

pub fn run(a: BenchmarkArgs) -> Result<ExitCode> {
    check_flags(&a)?;
    let ck = checkpoint::resolve_dir(&a.checkpoint);
    let limits = a.limits.limits()?;
    let device = a.device.resolve(a.quiet)?;
    let (model, cfg) =
        checkpoint::load_denoiser_on(&ck, &device).map_err(|e| anyhow!("--checkpoint {e}"))?;
    let task = match cfg.train.task {
        Task::Csp => BenchTask::Csp,
        Task::Dng => BenchTask::Dng,
    };
    let ds = a.dataset.resolve(std::slice::from_ref(&a.data));
    if a.dataset == Dataset::Auto && !Benchmark::named_in(&a.data.to_string_lossy()) {
        bail!(
            "--data {}: the path names none of Perov-5, Carbon-24, MP-20; give --dataset perov-5|carbon-24|mp-20 (it chooses the published rows and the coverage cutoffs)",
            a.data.display()
        );
    }
    check_out(&a.out)?;
    if let Some(want) = a.task {
        if want != cfg.train.task {
            bail!(
                "--checkpoint {}: a {} model ({}); --task {} needs a {} checkpoint",
                ck.display(),
                cfg.train.task.name(),
                match cfg.train.task {
                    Task::Csp => "crystal structure prediction",
                    Task::Dng => "de novo generation",
                },
                want.name(),
                want.name()
            );
        }
    }
    let inputs = crate::inputs::read(std::slice::from_ref(&a.data), "--data", &limits)?;
    if inputs.entries.is_empty() {
        let why = inputs
            .unreadable
            .first()
            .map_or(String::new(), |u| format!(" ({})", u.message));
        bail!("--data {}: no readable structure{why}", a.data.display());
    }
    crate::inputs::warn_unreadable("--data", &inputs.unreadable, 10);
    let mut test: Vec<Entry> = inputs.entries.into_iter().map(|s| s.entry).collect();
    let mut n_unreadable = inputs.unreadable.len();
    if a.heldout {
        test = held_out(test, &cfg, &a.data)?;
        n_unreadable = 0;
    }
    if let Some(n) = a.limit {
        test.truncate(n);
        n_unreadable = 0;
    }
    let samples = a.samples.unwrap_or(match task {
        BenchTask::Csp => 1,
        BenchTask::Dng => published::DNG_PROTOCOL_COUNT,
    });
    if target_count(task, test.len(), samples) > MAX_TARGETS {
        bail!("--samples {samples}: more than {MAX_TARGETS} structures; use fewer");
    }
    // Predictions are paired with ground truths by name: one entry per material_id.
    let mut ids = std::collections::HashSet::new();
    if let Some(dup) = test.iter().find(|e| !ids.insert(e.name.as_str())) {
        bail!(
            "--data {}: material_id {} appears more than once; predictions are paired by it",
            a.data.display(),
            dup.name
        );
    }
    // The training formulas first: a bad --train must not wait for the sampling.
    let formulas = match task {
        BenchTask::Csp => Some(training_formulas(&a, &cfg, &limits)?),
        BenchTask::Dng => None,
    };
    let asked = a.sampler.options()?;
    let steps = asked.steps.min(cfg.train.timesteps);
    let command = command_line();
    let mut notes = Vec::new();
    let named: Vec<(String, Target)> = match task {
        BenchTask::Csp => {
            let base = test
                .iter()
                .map(|e| (e.name.clone(), e.crystal.species().to_vec()))
                .collect();
            composition_targets(base, samples)
        }
        BenchTask::Dng => de_novo_targets(&cfg.atom_counts, samples, asked.seed)?
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!("gen_{i:05}"), t))
            .collect(),
    };
    // A composition the model cannot take (more atoms than it was trained for) is a miss.
    let (named, refused): (Vec<_>, Vec<_>) = named
        .into_iter()
        .partition(|(_, t)| t.check(&cfg.train).is_ok());
    if let Some((n, t)) = refused.first() {
        let why = t.check(&cfg.train).err().map(|e| e.to_string());
        notes.push(format!(
            "{} targets could not be sampled and count as misses or invalid (first: {n}: {})",
            refused.len(),
            why.unwrap_or_default()
        ));
    }
    let files = crate::sample::file_names(named.iter().map(|(n, _)| n.as_str()));
    let run_dir = run::RunDir::create(&a.out).map_err(|e| anyhow!("--out {e}"))?;
    let folder = run::RunFolder::new(run_dir.staging());
    std::fs::create_dir_all(folder.structures_dir())
        .with_context(|| format!("creating {}", folder.structures_dir().display()))?;

    // One bar for the whole run: a unit per structure sampled and per one scored.
    let n_score = match task {
        BenchTask::Csp => test.len(),
        BenchTask::Dng => named.len(),
    };
    let pb = progress::bar((named.len() + n_score) as u64, "sampling", a.quiet);
    let opts = SampleOptions { steps, ..asked };
    let targets: Vec<Target> = named
        .iter()
        .enumerate()
        .map(|(i, (_, t))| t.clone().with_stream(i as u64))
        .collect();
    let slots: Vec<Mutex<Option<Crystal>>> = named.iter().map(|_| Mutex::new(None)).collect();
    let write_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let cancel = AtomicBool::new(false);
    let failed = AtomicUsize::new(0);
    let t0 = Instant::now();
    let sink = |first: usize, chunk: diffusion::periodic::sample::Sampled| {
        let k = chunk.len();
        for (j, r) in chunk.into_iter().enumerate() {
            let i = first + j;
            match r {
                Ok(c) => {
                    let (path, _) = folder.structure_file(&files[i]);
                    let text = crystal::io::write_cif(&named[i].0, &c);
                    if let Err(e) = run::atomic_write(&path, text.as_bytes()) {
                        if let Ok(mut w) = write_error.lock() {
                            w.get_or_insert(e.into());
                        }
                        cancel.store(true, Ordering::Relaxed);
                    }
                    if let Ok(mut s) = slots[i].lock() {
                        *s = Some(c);
                    }
                }
                Err(_) => {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        pb.inc(k as u64);
    };
    let sampled = sample_streaming(&*model, &cfg.train, &targets, &opts, &sink, &cancel);
    if let Some(e) = write_error.into_inner().ok().flatten() {
        return Err(e);
    }
    sampled?;
    let sampling_s = t0.elapsed().as_secs_f64();
    let generated: Vec<Entry> = named
        .iter()
        .zip(slots)
        .filter_map(|((n, _), s)| {
            s.into_inner()
                .ok()
                .flatten()
                .map(|c| Entry::new(n.clone(), c))
        })
        .collect();
    let n_sampling_failed = failed.load(Ordering::Relaxed);
    let n_failed = n_sampling_failed + refused.len();

    pb.set_message("scoring");
    let t1 = Instant::now();
    let matcher = MatcherConfig::csp();
    let ours_source = format!("this run ({steps} steps, seed {})", asked.seed);
    let (ours, ours_ungated, unseen) = match task {
        BenchTask::Csp => {
            let m = metrics::csp(&test, &generated, &matcher, n_unreadable, &|| pb.inc(1));
            let gated = Row {
                match_rate_pct: Some(100.0 * m.match_rate_gated),
                rmse: m.rmse_gated,
                ..Row::csp("crystal-diffusion", &ours_source, samples, 0.0, 0.0)
            };
            let ungated = Row {
                method: "crystal-diffusion, every prediction (no validity gate)".into(),
                match_rate_pct: Some(100.0 * m.match_rate),
                rmse: m.rmse,
                ..gated.clone()
            };
            let unseen = match formulas {
                Some(Ok((formulas, source))) => {
                    Some(UnseenCompositions::of(&test, &m.rows, &formulas, source))
                }
                Some(Err(why)) => {
                    notes.push(why);
                    None
                }
                None => None,
            };
            if samples > 1 {
                notes.push(format!(
                    "{samples} predictions per composition: a composition counts as matched when any valid prediction matches, with its smallest RMS (DiffCSP's k-sample evaluation)"
                ));
            } else {
                notes.push("one prediction per composition; the headline figure counts a prediction only when it and its ground truth are valid (DiffCSP's gate; CDVAE's rule: distinct sites ≥ 0.5 Å apart, SMACT charge balance)".into());
            }
            (gated, Some(ungated), unseen)
        }
        BenchTask::Dng => {
            let dcfg = DngConfig {
                matcher,
                cutoffs: ds.cutoffs(),
                uniqueness_novelty: false,
                ..DngConfig::default()
            };
            let gen: Vec<Crystal> = generated.iter().map(|e| e.crystal.clone()).collect();
            let refs: Vec<Crystal> = test.iter().map(|e| e.crystal.clone()).collect();
            // Three stages (validity, fingerprints, coverage), each a third of the units.
            let per_stage = (n_score / 3).max(1) as u64;
            let m = metrics::dng(&gen, &refs, &dcfg, &|stage| {
                pb.set_message(stage.to_string());
                pb.inc(per_stage);
            });
            // Structures that could not be generated count as invalid and as covering
            // nothing: the shares are of the structures asked for.
            let asked = (gen.len() + n_failed).max(1) as f64;
            let of_asked = |share: f64| Some(100.0 * share * gen.len() as f64 / asked);
            let row = Row {
                valid_structure_pct: of_asked(m.valid_structure),
                valid_composition_pct: of_asked(m.valid_composition),
                cov_recall_pct: Some(100.0 * m.cov_recall),
                cov_precision_pct: of_asked(m.cov_precision),
                wdist_density: m.wdist_density,
                wdist_num_elements: m.wdist_num_elements,
                ..Row::dng("crystal-diffusion", &ours_source, samples)
            };
            notes.push(format!(
                "coverage over all {} generated structures against the {} reference structures (cutoffs {} / {}, {}); Wasserstein distances over {} valid generated structures drawn with seed {} (CDVAE's protocol: 1,000)",
                gen.len(), refs.len(), dcfg.cutoffs.structure, dcfg.cutoffs.composition, ds.name(), m.n_wdist_samples, dcfg.seed
            ));
            if samples != published::DNG_PROTOCOL_COUNT {
                notes.push(format!(
                    "{samples} structures generated; the papers generate {} (coverage and Wasserstein figures depend on the count)",
                    published::DNG_PROTOCOL_COUNT
                ));
            }
            (row, None, None)
        }
    };
    pb.finish_and_clear();
    let scoring_s = t1.elapsed().as_secs_f64();
    if n_sampling_failed > 0 {
        notes.push(format!(
            "{n_sampling_failed} structures could not be built from the sampler's output; they count as misses (CSP) or as invalid (de novo)"
        ));
    }
    if let Some(n) = a.limit {
        notes.push(format!(
            "only the first {n} entries of the data (--limit): not comparable with the papers' figures"
        ));
    }
    if a.heldout {
        notes.push(format!(
            "scored on the {} structures of {} that the checkpoint's training held out (for selection; not the test split)",
            test.len(),
            a.data.display()
        ));
    }
    if n_unreadable > 0 {
        notes.push(match task {
            BenchTask::Csp => format!("{n_unreadable} test entries could not be read; they count as misses"),
            BenchTask::Dng => format!("{n_unreadable} reference entries could not be read; the reference set is the {} readable ones", test.len()),
        });
    }
    let train_paths = cfg.train_paths();
    if !train_paths.is_empty() {
        let trained_on = shown(&train_paths);
        let mut line = format!("the checkpoint was trained on {trained_on}");
        if let Some(h) = cfg.holdout() {
            line += &format!(
                " less a held-out {} % ({} structures) for selection",
                100.0 * h.fraction,
                h.n
            );
        }
        if trained_on.contains("val.csv") {
            line += " (a validation split: the papers train on the train split, which is larger)";
        }
        notes.push(line);
    }
    let weights = ck.join("weights.safetensors");
    let bytes = std::fs::read(&weights).with_context(|| format!("{}", weights.display()))?;
    let record = BenchmarkRecord {
        dataset: ds.name().into(),
        task,
        command,
        data: a.data.display().to_string(),
        n_test: test.len() + n_unreadable,
        checkpoint: ck.display().to_string(),
        checkpoint_epoch: cfg.epoch,
        weights_fnv1a: run::fnv::fnv1a(&bytes),
        steps,
        seed: asked.seed,
        corrector_lr: asked.corrector_lr,
        ours,
        ours_ungated,
        unseen,
        published: published::published(ds, task, samples),
        n_failed,
        sampling_s,
        scoring_s,
        notes,
    };
    drop(bytes);
    let json = serde_json::to_string_pretty(&record)?;
    run::atomic_write(&run_dir.staging().join(BENCHMARK_JSON), json.as_bytes())?;
    run::atomic_write(
        &run_dir.staging().join(BENCHMARK_HTML),
        report::benchmark::page(&record).as_bytes(),
    )?;
    let out = run_dir.commit()?;
    print_table(&record, &matcher);
    println!(
        "sampled {} structures in {sampling_s:.1} s, scored in {scoring_s:.1} s",
        generated.len()
    );
    println!("record: {}", out.join(BENCHMARK_JSON).display());
    println!("page: {}", out.join(BENCHMARK_HTML).display());
    Ok(if n_unreadable > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// File names of a benchmark folder.
use run::layout::{BENCHMARK_HTML, BENCHMARK_JSON};

fn print_table(r: &BenchmarkRecord, matcher: &MatcherConfig) {
    let what = match r.task {
        BenchTask::Csp => "CSP",
        BenchTask::Dng => "de novo",
    };
    println!(
        "{} {what}: {} ({} entries), checkpoint {} (epoch {})",
        r.dataset, r.data, r.n_test, r.checkpoint, r.checkpoint_epoch
    );
    let header = report::benchmark::header(r.task);
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    rows.extend(
        report::benchmark::rows(r)
            .iter()
            .map(|(_, row)| report::benchmark::cells(r.task, row)),
    );
    let widths: Vec<usize> = (0..header.len())
        .map(|j| rows.iter().map(|r| r[j].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(j, (c, w))| {
                if j == 0 || j + 1 == row.len() {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        println!("  {}", line.join("  ").trim_end());
    }
    if let Some(u) = &r.unseen {
        println!(
            "unseen compositions: {} of {} readable test compositions have a reduced formula absent from the training data ({} formulas, from {}); seen ones match at {} (both with the headline's validity gate)",
            u.n_unseen,
            u.n_unseen + u.n_seen,
            u.n_training_formulas,
            u.training_data,
            u.seen_match_rate_pct.map_or("–".into(), |v| format!("{v:.2} %"))
        );
    }
    for n in &r.notes {
        println!("note: {n}");
    }
    if r.task == BenchTask::Csp {
        println!("{}", matcher_line(matcher));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn de_novo_runs_generate_their_count_whatever_the_reference_size() {
        // DiffCSP's 10,000 against Perov-5's 3,785 references is 10,000 structures.
        assert_eq!(target_count(BenchTask::Dng, 3785, 10_000), 10_000);
        assert_eq!(target_count(BenchTask::Csp, 3785, 20), 75_700);
        assert!(target_count(BenchTask::Dng, 9046, published::DNG_PROTOCOL_COUNT) <= MAX_TARGETS);
    }
}
