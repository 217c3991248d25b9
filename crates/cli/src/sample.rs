//! `crystal-diffusion sample`: generates crystals with a trained `periodic` checkpoint.
//! CSP checkpoints: `--composition SrTiO3 [--count K]` or `--compositions FILE|DATASET.csv`
//! (one prediction per row, named by its material_id, or per formula line). De novo (dng)
//! checkpoints: `--count N` structures named gen_00000, …. Writes CIFs,
//! `summary.json` with each structure's analysis and validity, and the report.

use crate::progress;
use anyhow::{bail, Context, Result};
use clap::Args;
use crystal::analysis::{analyze, AnalysisConfig};
use crystal::composition::parse_formula;
use crystal::{Element, Entry};
use diffusion::periodic::checkpoint;
use diffusion::periodic::sample::{
    composition_targets, de_novo_targets, sample_streaming, SampleOptions, Target, MAX_TARGETS,
};
use diffusion::Task;
use run::{CheckpointRef, Command, GenerationSummary, RunFolder, StructureRecord, Summary};
use run::{FailedStructure, JournalEntry, JournalHeader, Outcome};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct SampleArgs {
    /// Checkpoint folder (a training run's `checkpoint/`, or the run folder itself).
    #[arg(long)]
    checkpoint: PathBuf,
    /// One composition, e.g. SrTiO3 or Ca(OH)2 (the formula gives the atoms of the cell).
    #[arg(long, conflicts_with = "compositions")]
    composition: Option<String>,
    /// Compositions: a data set CSV (.csv/.csv.gz; each row's atoms, named by material_id),
    /// structure files/folders (their atoms), or a text file with one formula per line.
    #[arg(long)]
    compositions: Option<PathBuf>,
    /// Samples per composition (--composition / --compositions), or structures (de novo).
    #[arg(long, default_value_t = 1)]
    count: usize,
    #[command(flatten)]
    sampler: crate::sampler::SamplerArgs,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// Validator distance in Å for the validity column.
    #[arg(long, default_value_t = crystal::validity::DEFAULT_MIN_DISTANCE_A, allow_hyphen_values = true)]
    min_distance: f64,
    /// Also write each generated structure as a symmetrized CIF (`symmetrized/NAME.cif`
    /// beside `structures/NAME.cif`: space group, operations and asymmetric unit of moyo's
    /// standardized cell, 0.1 Å); structures with no space group at that tolerance get none.
    #[arg(long)]
    symmetrize: bool,
    /// Generate only shard I of N (0 ≤ I < N): every N-th target starting at I, each with
    /// the name and random stream it has in the whole run, so that the N shards' folders
    /// together are the unsharded run, bit for bit (for cluster job arrays: `--shard
    /// $SLURM_ARRAY_TASK_ID/N`). `eval` takes the shards' folders together.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<(usize, usize)>,
    /// Continue an interrupted run into the same --out (a killed or preempted job): the
    /// structures it finished are kept and only the rest are sampled, each with the random
    /// stream it has in an uninterrupted run, so the result is the same (bit for bit on the
    /// CPU; on a GPU the remaining crystals are batched differently). The settings must be
    /// the same; with nothing to continue the run starts from the
    /// beginning (so a job script may always pass it).
    #[arg(long)]
    resume: bool,
    /// Do not write the plots and report.html.
    #[arg(long)]
    no_report: bool,
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    limits: crate::inputs::LimitArgs,
    #[command(flatten)]
    device: crate::device::DeviceArgs,
}

/// `I/N` with 0 ≤ I < N.
fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?}: expected I/N, e.g. 0/4"))?;
    let (i, n): (usize, usize) = match (i.trim().parse(), n.trim().parse()) {
        (Ok(i), Ok(n)) => (i, n),
        _ => return Err(format!("{s:?}: expected I/N with whole numbers, e.g. 0/4")),
    };
    if n == 0 || i >= n {
        return Err(format!("{s:?}: need 0 ≤ I < N"));
    }
    Ok((i, n))
}

/// (name, target) of every crystal to generate.
fn targets(a: &SampleArgs) -> Result<Vec<(String, Target)>> {
    let expand = |name: String, counts: &[(Element, usize)]| -> (String, Vec<Element>) {
        let atoms = counts
            .iter()
            .flat_map(|(e, n)| std::iter::repeat_n(*e, *n))
            .collect();
        (name, atoms)
    };
    let mut base: Vec<(String, Vec<Element>)> = Vec::new();
    if let Some(f) = &a.composition {
        let counts = parse_formula(f).map_err(|e| anyhow::anyhow!("--composition {e}"))?;
        base.push(expand(f.trim().to_string(), &counts));
    } else if let Some(p) = &a.compositions {
        let is_text = p.extension().is_some_and(|e| e == "txt" || e == "list")
            || !crystal::io::is_structure_file(p) && p.is_file();
        if is_text {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("--compositions {}", p.display()))?;
            for (i, line) in text.lines().enumerate() {
                let f = line.split('#').next().unwrap_or("").trim();
                if f.is_empty() {
                    continue;
                }
                let counts = parse_formula(f)
                    .map_err(|e| anyhow::anyhow!("{}:{}: {e}", p.display(), i + 1))?;
                base.push(expand(format!("{f}_{}", i + 1), &counts));
            }
        } else {
            let inputs = crate::inputs::read(
                std::slice::from_ref(p),
                "--compositions",
                &a.limits.limits()?,
            )?;
            crate::inputs::warn_unreadable("--compositions", &inputs.unreadable, 10);
            for s in inputs.entries {
                base.push((s.entry.name, s.entry.crystal.species().to_vec()));
            }
        }
    } else {
        bail!("this checkpoint predicts structures for given compositions (task csp): give --composition or --compositions, or a de novo (dng) checkpoint");
    }
    if base.is_empty() {
        bail!("no compositions to sample");
    }
    if a.count == 0 {
        bail!("--count 0: must be at least 1");
    }
    if base.len().saturating_mul(a.count) > MAX_TARGETS {
        bail!(
            "{} compositions × --count {}: more than {MAX_TARGETS} structures; split the run",
            base.len(),
            a.count
        );
    }
    Ok(composition_targets(base, a.count))
}

pub fn run(a: SampleArgs) -> Result<ExitCode> {
    let start = Instant::now();
    if !(a.min_distance.is_finite() && a.min_distance > 0.0) {
        bail!(
            "--min-distance {}: must be a positive length in Å",
            a.min_distance
        );
    }
    let ck = checkpoint::resolve_dir(&a.checkpoint);
    let device = a.device.resolve(a.quiet)?;
    let (model, cfg) = checkpoint::load_denoiser_on(&ck, &device)?;
    let opts = a.sampler.options()?;
    if a.count == 0 {
        bail!("--count 0: must be at least 1");
    }
    if a.count > MAX_TARGETS {
        bail!("--count {}: must be at most {MAX_TARGETS}", a.count);
    }
    let dng = cfg.train.task == Task::Dng;
    if dng && (a.composition.is_some() || a.compositions.is_some()) {
        bail!("this checkpoint generates crystals de novo (task dng): use --count N without --composition/--compositions, or a csp checkpoint");
    }
    let named: Vec<(String, Target)> = if dng {
        de_novo_targets(&cfg.atom_counts, a.count, opts.seed)?
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!("gen_{i:05}"), t))
            .collect()
    } else {
        targets(&a)?
    };
    for (n, t) in &named {
        t.check(&cfg.train)
            .map_err(|e| anyhow::anyhow!("{n}: {e}"))?;
    }
    let files = file_names(named.iter().map(|(n, _)| n.as_str()));
    // A shard keeps each target's name, file name and random stream from the whole run.
    let (named, files): (Vec<(String, Target)>, Vec<String>) = match a.shard {
        None => (named, files),
        Some((shard, of)) => {
            let part: (Vec<(String, Target)>, Vec<String>) = named
                .into_iter()
                .zip(files)
                .enumerate()
                .filter(|(i, _)| i % of == shard)
                .map(|(i, ((n, t), f))| ((n, t.with_stream(i as u64)), f))
                .unzip();
            if part.0.is_empty() {
                bail!(
                    "--shard {shard}/{of}: this shard has no targets (fewer targets than shards)"
                );
            }
            part
        }
    };
    let config = json!({"steps": opts.steps, "seed": opts.seed, "corrector_lr": opts.corrector_lr, "count": a.count, "min_distance": a.min_distance, "shard": a.shard.map(|(i, n)| format!("{i}/{n}")), "device": a.device.device.name()});
    // What decides the output, for `--resume` to check that it continues the same run.
    let mut settings = config.as_object().cloned().unwrap_or_default();
    settings.insert("checkpoint".into(), json!(ck.display().to_string()));
    settings.insert("epoch".into(), json!(cfg.epoch));
    settings.insert("symmetrize".into(), json!(a.symmetrize));
    // The weights themselves: a checkpoint retrained into the same path is another model.
    let weights = ck.join("weights.safetensors");
    let bytes = std::fs::read(&weights).with_context(|| format!("{}", weights.display()))?;
    settings.insert("weights_fnv1a".into(), json!(run::fnv::fnv1a(&bytes)));
    drop(bytes);
    // Each target by name and atoms (the same names with other atoms are other targets).
    let keys: Vec<String> = named
        .iter()
        .map(|(n, t)| format!("{n}\t{:?}", t.atoms))
        .collect();
    let header = JournalHeader::new(settings, keys.iter().map(String::as_str));
    // Everything is written into a staging folder that replaces --out whole at the end: no
    // CIF of an earlier run is left beside the new ones, and a second run into the same
    // folder meanwhile is refused (its lock). Results are written there as they come, with
    // the journal; a killed run's staging folder is what `--resume` continues.
    let (run_dir, taken_over) = if a.resume {
        run::RunDir::resume(&a.out, run::journal::JOURNAL)
    } else {
        run::RunDir::create(&a.out).map(|d| (d, false))
    }
    .map_err(|e| anyhow::anyhow!("--out {e}"))?;
    let mut done: Vec<Option<Outcome>> = vec![None; named.len()];
    let journal = match taken_over
        .then(|| run::Journal::resume(run_dir.staging()))
        .transpose()
    {
        Ok(j) => j.flatten(),
        // An interrupted run whose journal cannot be read is kept, not replaced.
        Err(e) => {
            return Err(keep_for_resume(
                run_dir,
                anyhow::anyhow!("--resume: {e}"),
                "run without --resume to start over",
            ))
        }
    };
    let journal = match journal {
        Some((journal, old, entries)) => {
            if let Some(d) = old.difference(&header) {
                let e = anyhow::anyhow!(
                    "--resume: the interrupted run of {} was started with other settings ({d})",
                    a.out.display()
                );
                return Err(keep_for_resume(
                    run_dir,
                    e,
                    "run without --resume to start over",
                ));
            }
            let folder = RunFolder::new(run_dir.staging());
            for e in entries {
                // A record whose file is missing is redone.
                let written = match &e.outcome {
                    Outcome::Record(r) => r
                        .file
                        .as_ref()
                        .is_none_or(|f| folder.root().join(f).is_file()),
                    Outcome::Failed(_) => true,
                };
                if written {
                    done[e.index] = Some(e.outcome);
                }
            }
            journal
        }
        None => run::Journal::create(run_dir.staging(), &header)?,
    };
    let resumed = done.iter().filter(|d| d.is_some()).count();
    if a.resume && !a.quiet {
        eprintln!(
            "--resume: {resumed} of {} structures already written, {} to go",
            named.len(),
            named.len() - resumed
        );
    }
    let result = generate(
        &a, &*model, &cfg.train, &named, &files, &opts, &run_dir, journal, &mut done,
    );
    let sampling_s = match result {
        Ok(s) => s,
        Err(e) => return Err(keep_for_resume(run_dir, e, "continue with --resume")),
    };
    let folder = RunFolder::new(run_dir.staging());
    let acfg = analysis_config(&a);
    let n = done.len();
    let (mut records, mut failures) = (Vec::new(), Vec::new());
    for o in done.into_iter().flatten() {
        match o {
            Outcome::Record(r) => records.push(*r),
            Outcome::Failed(f) => failures.push(f),
        }
    }
    let valid = records
        .iter()
        .filter(|r| r.analysis.valid_structure)
        .count();
    let failed = failures.len() + records.iter().filter(|r| r.error.is_some()).count();
    let summary = Summary {
        command: Some(Command::Sample),
        model: Some(cfg.model.name().into()),
        task: Some(cfg.train.task.name().into()),
        parameters: Some(model.num_parameters() as u64),
        config,
        checkpoint: Some(CheckpointRef {
            path: ck.display().to_string(),
            epoch: cfg.epoch,
        }),
        generation: Some(GenerationSummary {
            count: n,
            pass_rate: Some(valid as f64 / n as f64),
            failed: Some(failed),
            min_distance_threshold_a: Some(a.min_distance),
            structural_rule: Some(acfg.rule().to_string()),
            coordination_cutoff_a: Some(acfg.cutoff_a),
            ..GenerationSummary::default()
        }),
        timings_s: [
            ("sampling".to_string(), Some(sampling_s)),
            ("total".to_string(), Some(start.elapsed().as_secs_f64())),
        ]
        .into_iter()
        .collect(),
        structures: records,
        failed_structures: failures,
        ..Summary::default()
    };
    let finish = || -> Result<Option<report::ReportOutput>> {
        folder.write_summary(&summary)?;
        if a.no_report {
            return Ok(None);
        }
        let r = report::build_report(
            run_dir.staging(),
            &report::ReportOptions {
                min_distance_a: a.min_distance,
                title: a.out.file_name().map(|n| n.to_string_lossy().into_owned()),
                ..Default::default()
            },
        )
        .with_context(|| format!("writing the report of {}", a.out.display()))?;
        Ok(Some(r))
    };
    let report = match finish() {
        Ok(r) => r,
        // Every structure is written: `--resume` then only writes the summary and report.
        Err(e) => return Err(keep_for_resume(run_dir, e, "finish with --resume")),
    };
    // The journal goes once the folder is in place (a kill before leaves a staging folder
    // that `--resume` finishes).
    let out = run_dir.commit()?;
    journal_done(&out)?;
    let sampled_now = n - resumed;
    println!(
        "sampled {sampled_now} structures in {sampling_s:.2} s ({:.1} structures/s, {} steps){}: {valid} of {n} pass {} Å ({:.1} %), {failed} could not be built",
        sampled_now as f64 / sampling_s.max(1e-9),
        opts.steps,
        if resumed > 0 {
            format!(", {resumed} more from the interrupted run")
        } else {
            String::new()
        },
        a.min_distance,
        100.0 * valid as f64 / n as f64
    );
    let done = RunFolder::new(&out);
    println!("structures: {}", done.structures_dir().display());
    if a.symmetrize {
        println!(
            "symmetrized: {} of {n} in {} (the others have no space group within {} Å)",
            std::fs::read_dir(done.symmetrized_dir()).map_or(0, |d| d.count()),
            done.symmetrized_dir().display(),
            crystal::symmetry::DEFAULT_SYMPREC_A
        );
    }
    if report.is_some() {
        println!("report: {}", done.report_path().display());
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One CIF file name per structure: names that sanitise alike get `_2`, `_3`, … (the
/// record keeps the exact name beside its file).
pub fn file_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut used = std::collections::HashSet::new();
    names
        .map(|n| {
            let stem = run::structure_file_stem(n);
            let mut file = format!("{stem}.cif");
            let mut k = 2;
            while !used.insert(file.clone()) {
                file = format!("{stem}_{k}.cif");
                k += 1;
            }
            file
        })
        .collect()
}

/// The analysis of every generated structure: the default config (space group at 0.1 Å,
/// for summary.json and the report) with the run's validator distance.
fn analysis_config(a: &SampleArgs) -> AnalysisConfig {
    AnalysisConfig {
        min_distance_a: a.min_distance,
        ..AnalysisConfig::default()
    }
}

/// Gives a run up without losing it: its staging folder stays on disk for `--resume`, and
/// the error says where it is and what to do next.
fn keep_for_resume(run_dir: run::RunDir, e: anyhow::Error, next: &str) -> anyhow::Error {
    let kept = run_dir.keep();
    anyhow::anyhow!(
        "{e:#}; the run so far is kept in {}; {next}",
        kept.display()
    )
}

/// Removes the journal of a finished run folder (its summary replaces it).
fn journal_done(out: &std::path::Path) -> Result<()> {
    let p = out.join(run::journal::JOURNAL);
    std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))
}

/// Test hook: the process exits (as if killed: no clean-up) after this many chunks are
/// written, for the tests of `--resume`.
const ABORT_AFTER_CHUNKS: &str = "CRYSTAL_DIFFUSION_TEST_EXIT_AFTER_CHUNKS";

/// Samples the targets not yet `done`, writing each chunk's files and journal lines as
/// it finishes and filling `done`. Returns the seconds spent.
#[allow(clippy::too_many_arguments)]
fn generate(
    a: &SampleArgs,
    model: &dyn diffusion::periodic::model::Denoiser,
    cfg: &diffusion::periodic::train::PeriodicTrainConfig,
    named: &[(String, Target)],
    files: &[String],
    opts: &SampleOptions,
    run_dir: &run::RunDir,
    journal: run::Journal,
    done: &mut [Option<Outcome>],
) -> Result<f64> {
    let folder = RunFolder::new(run_dir.staging());
    for dir in [folder.structures_dir()]
        .into_iter()
        .chain(a.symmetrize.then(|| folder.symmetrized_dir()))
    {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // Each remaining target keeps the random stream it has in the whole run.
    let todo: Vec<usize> = (0..named.len()).filter(|&i| done[i].is_none()).collect();
    let targets: Vec<Target> = todo
        .iter()
        .map(|&i| {
            let t = named[i].1.clone();
            let stream = t.stream.unwrap_or(i as u64);
            t.with_stream(stream)
        })
        .collect();
    let t0 = Instant::now();
    if targets.is_empty() {
        return Ok(0.0);
    }
    let pb = progress::bar(targets.len() as u64, "sampling", a.quiet);
    let acfg = analysis_config(a);
    let slots: Vec<std::sync::Mutex<Option<Outcome>>> =
        todo.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let journal = std::sync::Mutex::new(journal);
    let failure: std::sync::Mutex<Option<anyhow::Error>> = std::sync::Mutex::new(None);
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let abort_after: Option<usize> = std::env::var(ABORT_AFTER_CHUNKS)
        .ok()
        .and_then(|v| v.parse().ok());
    let chunks_done = std::sync::atomic::AtomicUsize::new(0);
    let sink = |first: usize, chunk: diffusion::periodic::sample::Sampled| {
        let k = chunk.len();
        let entries: Vec<JournalEntry> = chunk
            .into_iter()
            .enumerate()
            .map(|(j, r)| {
                let index = todo[first + j];
                let name = &named[index].0;
                // The index in the whole run (a shard's targets carry it as their stream).
                let target_index = targets[first + j].stream.map(|s| s as usize);
                let outcome = match r {
                    Ok(c) => Outcome::Record(Box::new(StructureRecord {
                        target_index,
                        ..write_structure(a, &folder, name, &files[index], c, &acfg)
                    })),
                    Err(e) => Outcome::Failed(FailedStructure {
                        name: name.clone(),
                        error: e.to_string(),
                        target_index,
                    }),
                };
                JournalEntry { index, outcome }
            })
            .collect();
        let appended = journal
            .lock()
            .map_err(|_| anyhow::anyhow!("journal lock poisoned"))
            .and_then(|mut j| j.append(&entries).map_err(anyhow::Error::from));
        if let Err(e) = appended {
            if let Ok(mut f) = failure.lock() {
                f.get_or_insert(e);
            }
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            return;
        }
        for (j, e) in entries.into_iter().enumerate() {
            if let Ok(mut slot) = slots[first + j].lock() {
                *slot = Some(e.outcome);
            }
        }
        pb.inc(k as u64);
        let n = chunks_done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if abort_after.is_some_and(|m| n >= m) {
            std::process::exit(137);
        }
    };
    let sampled = sample_streaming(model, cfg, &targets, opts, &sink, &cancel);
    pb.finish_and_clear();
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    sampled?;
    for (slot, &i) in slots.into_iter().zip(&todo) {
        done[i] = slot.into_inner().ok().flatten();
    }
    Ok(t0.elapsed().as_secs_f64())
}

/// Writes one generated structure (and its symmetrized CIF with `--symmetrize`) and
/// returns its record.
fn write_structure(
    a: &SampleArgs,
    folder: &RunFolder,
    name: &str,
    file: &str,
    c: crystal::Crystal,
    acfg: &AnalysisConfig,
) -> StructureRecord {
    let entry = Entry::new(name.to_string(), c);
    let (path, rel) = folder.structure_file(file);
    let written = run::atomic_write(
        &path,
        crystal::io::write_cif(name, &entry.crystal).as_bytes(),
    )
    .map_err(|e| e.to_string());
    if a.symmetrize {
        if let Ok(sym) =
            crystal::symmetry::symmetrize(&entry.crystal, crystal::symmetry::DEFAULT_SYMPREC_A)
        {
            let path = folder.symmetrized_dir().join(file);
            // A symmetrized copy that cannot be written is left out (counted at the end).
            let _ = run::atomic_write(
                &path,
                crystal::io::write_symmetrized_cif(name, &sym).as_bytes(),
            );
        }
    }
    StructureRecord {
        file: written.is_ok().then_some(rel),
        error: written.err(),
        ..StructureRecord::new(analyze(&entry, acfg))
    }
}
