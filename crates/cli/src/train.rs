//! `crystal-diffusion train`: trains the `periodic` model (CSP or de novo) on structure files or
//! data sets, with validation loss per epoch, a progress bar, `loss.csv`, atomic
//! checkpoints every N epochs and at the end, `--resume`, and the run's report.

use crate::progress;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use crystal::Crystal;
use diffusion::kind::WithDenoiser;
use diffusion::periodic::checkpoint::{self, in_run};
use diffusion::periodic::model::TrainableDenoiser;
use diffusion::periodic::train::{
    check_data, Checkpointing, DataStats, EpochLog, Observer, PeriodicTrainConfig, Trainer,
};
use diffusion::periodic::PeriodicConfig;
use diffusion::{DiffusionError, ModelKind, Task};
use run::{CheckpointRef, Command, LossRow, LossSummary, RunFolder, Summary, TrainingProgress};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Training structures: files, folders or data set CSVs (.csv, .csv.gz).
    #[arg(long, num_args = 1.., required_unless_present = "resume")]
    data: Vec<PathBuf>,
    /// Validation structures (validation loss per epoch).
    #[arg(long, num_args = 1..)]
    val: Vec<PathBuf>,
    /// Model to train (only periodic can be trained from files).
    #[arg(long, value_enum, default_value_t = ModelKind::Periodic)]
    model: ModelKind,
    /// Task: csp (composition given) or dng (de novo) [default: csp, or the --init model's].
    #[arg(long, value_enum)]
    task: Option<Task>,
    /// Run folder (created; must not hold a checkpoint already).
    #[arg(long, required_unless_present = "resume")]
    out: Option<PathBuf>,
    /// Continue the run in this folder from its checkpoint (--epochs may raise the total).
    #[arg(long, conflicts_with = "init")]
    resume: Option<PathBuf>,
    /// Start a new run (--out) from the weights of this checkpoint (fine-tuning: a shipped
    /// model such as models/perov5-csp, or a run folder). Its network, task, T and lattice
    /// standardisation are kept; the optimizer, epochs and learning-rate schedule start
    /// afresh.
    #[arg(long, value_name = "CHECKPOINT")]
    init: Option<PathBuf>,
    /// Hold out this fraction of --data (drawn with --seed) as the validation set, for
    /// data sets without one (MP-20 and Carbon-24 here: train on most of val, select on
    /// the rest). The held-out structures are not trained on.
    #[arg(
        long,
        conflicts_with = "val",
        value_name = "FRACTION",
        allow_hyphen_values = true
    )]
    holdout: Option<f64>,
    /// Total epochs.
    #[arg(long, default_value_t = PeriodicTrainConfig::default().epochs)]
    epochs: usize,
    /// Crystals per optimisation step.
    #[arg(long, default_value_t = PeriodicTrainConfig::default().batch_size)]
    batch_size: usize,
    /// Peak learning rate (AdamW), after a linear warm-up, then cosine decay.
    #[arg(long, default_value_t = PeriodicTrainConfig::default().lr, allow_hyphen_values = true)]
    lr: f64,
    /// Final learning rate of the cosine decay.
    #[arg(long, default_value_t = PeriodicTrainConfig::default().lr_min, allow_hyphen_values = true)]
    lr_min: f64,
    /// Warm-up steps.
    #[arg(long, default_value_t = PeriodicTrainConfig::default().warmup_steps)]
    warmup_steps: usize,
    /// AdamW weight decay.
    #[arg(long, default_value_t = PeriodicTrainConfig::default().weight_decay, allow_hyphen_values = true)]
    weight_decay: f64,
    /// Global gradient-norm clip.
    #[arg(long, default_value_t = PeriodicTrainConfig::default().grad_clip, allow_hyphen_values = true)]
    grad_clip: f64,
    /// Decay of the weights' moving average used for validation and sampling.
    #[arg(long, default_value_t = PeriodicTrainConfig::default().ema_decay, allow_hyphen_values = true)]
    ema_decay: f64,
    /// Hidden width [default: 128, or the --init model's].
    #[arg(long)]
    hidden: Option<usize>,
    /// Message-passing layers [default: 4, or the --init model's].
    #[arg(long)]
    layers: Option<usize>,
    /// Fourier frequencies of fractional differences [default: 8, or the --init model's].
    #[arg(long)]
    k_freq: Option<usize>,
    /// Diffusion steps T [default: 1000, or the --init model's].
    #[arg(long)]
    timesteps: Option<usize>,
    /// Weight of the atom-type loss (de novo task).
    #[arg(long, default_value_t = PeriodicTrainConfig::default().type_weight, allow_hyphen_values = true)]
    type_weight: f64,
    /// De novo: noise the atom types only above this fraction of T, so that sampling
    /// decides them before the coordinates settle into sites (0: over all of T, as
    /// DiffCSP; fewer collisions with 0.7, but less valid compositions and coverage)
    /// [default: 0, or the --init model's].
    #[arg(long, allow_hyphen_values = true)]
    type_settle: Option<f64>,
    /// Largest crystal (atoms) accepted.
    #[arg(long, default_value_t = PeriodicTrainConfig::default().max_atoms)]
    max_atoms: usize,
    /// Write a checkpoint every N epochs (and always at the end).
    #[arg(long, default_value_t = 5)]
    checkpoint_every: usize,
    #[arg(long, default_value_t = PeriodicTrainConfig::default().seed)]
    seed: u64,
    /// Do not write the plots and report.html at the end.
    #[arg(long)]
    no_report: bool,
    /// No progress bar; only the final summary.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    cells: crate::inputs::CellArgs,
    #[command(flatten)]
    device: crate::device::DeviceArgs,
}

impl TrainArgs {
    /// The run's settings: the flags given, else those of `base` (the `--init`
    /// checkpoint's network, task and T), else the library's defaults.
    fn config(&self, base: Option<&PeriodicTrainConfig>) -> Result<PeriodicTrainConfig> {
        if self.checkpoint_every == 0 {
            bail!("--checkpoint-every 0: must be at least 1");
        }
        let d = PeriodicTrainConfig::default();
        let base = base.unwrap_or(&d);
        let cfg = PeriodicTrainConfig {
            model: PeriodicConfig {
                hidden: self.hidden.unwrap_or(base.model.hidden),
                layers: self.layers.unwrap_or(base.model.layers),
                k_freq: self.k_freq.unwrap_or(base.model.k_freq),
                ..base.model
            },
            timesteps: self.timesteps.unwrap_or(base.timesteps),
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr: self.lr,
            lr_min: self.lr_min,
            warmup_steps: self.warmup_steps,
            weight_decay: self.weight_decay,
            grad_clip: self.grad_clip,
            ema_decay: self.ema_decay,
            type_weight: self.type_weight,
            task: self.task.unwrap_or(base.task),
            type_settle: self.type_settle.unwrap_or(base.type_settle),
            max_atoms: self.max_atoms,
            seed: self.seed,
            // The noise range is the --init model's (no flag sets it).
            sigma_min: base.sigma_min,
            sigma_max: base.sigma_max,
            ..PeriodicTrainConfig::default()
        };
        cfg.validate().map_err(crate::demo::flag_error)?;
        Ok(cfg)
    }
}

/// Reads structures; unreadable ones are reported on stderr and skipped.
pub fn read_structures(
    paths: &[PathBuf],
    flag: &str,
    limits: &crystal::limits::CellLimits,
) -> Result<(Vec<Crystal>, usize)> {
    let inputs = crate::inputs::read(paths, flag, limits)?;
    crate::inputs::warn_unreadable(flag, &inputs.unreadable, 10);
    if inputs.entries.is_empty() {
        bail!("{flag}: no readable structure (empty dataset)");
    }
    let bad = inputs.unreadable.len();
    Ok((
        inputs
            .entries
            .into_iter()
            .map(|s| s.entry.crystal)
            .collect(),
        bad,
    ))
}

/// The `loss.csv` row of an epoch.
pub fn loss_row(h: &EpochLog) -> LossRow {
    LossRow {
        epoch: h.epoch,
        step: h.steps,
        loss: h.train.total,
        val_loss: h.val.map(|v| v.total),
        coord_loss: Some(h.train.coord),
        lattice_loss: Some(h.train.lattice),
        val_coord_loss: h.val.map(|v| v.coord),
        val_lattice_loss: h.val.map(|v| v.lattice),
        lr: Some(h.lr),
        seconds: Some(h.seconds),
        structures_per_s: Some(h.structures_per_s),
        type_loss: Some(h.train.types),
        val_type_loss: h.val.map(|v| v.types),
    }
}

/// The data check, naming the flag that gave the data (and, for too many atoms, the flag
/// that sets the limit).
fn check(data: &[Crystal], max_atoms: usize, flag: &str) -> Result<()> {
    check_data(data, max_atoms, flag).map_err(|e| match e {
        e @ DiffusionError::TooManyAtoms { .. } => anyhow!("{e} (--max-atoms)"),
        other => other.into(),
    })
}

/// Key of the checkpoint's `data` recording the `--init` checkpoint a run started from.
const INIT: &str = "init";

/// A resumed run keeps its split: the same held-out fraction, no --val beside it, and no
/// new holdout in a run that had none (it would validate on structures it trained on).
fn check_resumed_split(args: &TrainArgs, saved: Option<checkpoint::Holdout>) -> Result<()> {
    match (args.holdout, saved) {
        (Some(f), Some(h)) if f != h.fraction => bail!(
            "--holdout {f}: the run held out {} of its data; resume without --holdout",
            h.fraction
        ),
        (Some(f), None) => bail!(
            "--holdout {f}: the run was trained without a held-out part; a new one would validate on structures it trained on"
        ),
        (_, Some(_)) if !args.val.is_empty() => bail!(
            "--val: the run validates on its held-out part of --data; resume without --val"
        ),
        _ => Ok(()),
    }
}

/// A holdout fraction must lie strictly between 0 and 1.
fn check_holdout(fraction: f64) -> Result<()> {
    if !(fraction > 0.0 && fraction < 1.0) {
        bail!("--holdout {fraction}: must be a fraction between 0 and 1 (e.g. 0.1)");
    }
    Ok(())
}

/// Moves `fraction` of `train` (drawn with `seed`, [`crystal::dataset::holdout_mask`]) out
/// into the returned validation set; the rest stays in `train` in its order.
fn hold_out(train: &mut Vec<Crystal>, fraction: f64, seed: u64) -> Result<Vec<Crystal>> {
    check_holdout(fraction)?;
    let n = train.len();
    let Some(held) = crystal::dataset::holdout_mask(n, fraction, seed) else {
        bail!(
            "--holdout {fraction}: holds out {} of {n} structures; need at least one on each side",
            (fraction * n as f64).round()
        );
    };
    let (mut keep, mut out) = (Vec::new(), Vec::new());
    for (c, h) in std::mem::take(train).into_iter().zip(held) {
        if h {
            out.push(c);
        } else {
            keep.push(c);
        }
    }
    *train = keep;
    Ok(out)
}

/// Progress bar per epoch, a line per epoch, `loss.csv` after every epoch.
struct Progress {
    folder: RunFolder,
    quiet: bool,
    n_train: usize,
    /// Total epochs of the run (for the bar's message).
    total: usize,
    bar: Option<indicatif::ProgressBar>,
}

impl Observer for Progress {
    fn epoch_started(&mut self, epoch: usize, total: usize, steps: usize) {
        self.total = total;
        self.bar = Some(progress::bar(
            steps as u64,
            &format!("epoch {epoch}/{total}"),
            self.quiet,
        ));
    }

    fn step(&mut self, epoch: usize, _step: usize, _steps: usize, loss: f64) {
        if let Some(pb) = &self.bar {
            pb.inc(1);
            pb.set_message(format!("epoch {epoch}/{} loss {loss:.3}", self.total));
        }
    }

    fn epoch_trained(&mut self, _epoch: usize) {
        if let Some(pb) = self.bar.take() {
            pb.finish_and_clear();
        }
    }

    fn epoch_finished(
        &mut self,
        cfg: &PeriodicTrainConfig,
        history: &[EpochLog],
    ) -> Result<(), DiffusionError> {
        let rows: Vec<LossRow> = history.iter().map(loss_row).collect();
        self.folder.write_loss(&rows)?;
        let Some(log) = history.last() else {
            return Ok(());
        };
        if !self.quiet {
            let l = &log.train;
            println!(
                "  epoch {:>4}/{}  loss {:.4} (coord {:.4}, lattice {:.4}{}){}  {:.1} s, {:.0} structures/s",
                log.epoch, cfg.epochs, l.total, l.coord, l.lattice,
                if cfg.task == Task::Dng { format!(", types {:.4}", l.types) } else { String::new() },
                log.val.map_or(String::new(), |v| format!("  val {:.4}", v.total)),
                log.seconds, self.n_train as f64 / log.seconds
            );
        }
        Ok(())
    }
}

pub fn run(args: TrainArgs) -> Result<ExitCode> {
    args.cells.limits()?;
    // The denoiser: the checkpoint's when resuming, else --model.
    let kind = match &args.resume {
        Some(dir) => {
            let ck = in_run(dir);
            run::dir::recover(&ck)?;
            if !ck.join("config.json").is_file() {
                bail!(
                    "--resume {}: no checkpoint there (expected {})",
                    dir.display(),
                    ck.display()
                );
            }
            checkpoint::read_config(&ck)?.model
        }
        None => args.model,
    };
    struct Train(TrainArgs);
    impl WithDenoiser for Train {
        type Output = Result<ExitCode>;
        fn run<M: TrainableDenoiser>(self) -> Result<ExitCode> {
            run_with::<M>(self.0)
        }
    }
    kind.dispatch(Train(args))?
}

/// `train` with denoiser `M`.
fn run_with<M: TrainableDenoiser>(args: TrainArgs) -> Result<ExitCode> {
    let start = Instant::now();
    let device = args.device.resolve(args.quiet)?;
    // One writer per run folder: a second `train` (or `--resume`) into it is refused.
    let _lock = match (&args.resume, &args.out) {
        (Some(dir), _) => run::RunLock::acquire(dir).map_err(|e| anyhow!("--resume {e}"))?,
        (None, Some(out)) => {
            run::check_out(out).map_err(|e| anyhow!("--out {e}"))?;
            run::RunLock::acquire(out).map_err(|e| anyhow!("--out {e}"))?
        }
        (None, None) => bail!("give --out for a new run or --resume for an earlier one"),
    };
    // What a killed run left in the folder (temporary files, a half-swapped checkpoint).
    if let Some(dir) = args.resume.as_ref().or(args.out.as_ref()) {
        run::dir::recover(&in_run(dir))?;
    }
    // The checkpoint a new run starts from (`--init`).
    let init = match &args.init {
        Some(p) => {
            let dir = checkpoint::resolve_dir(p);
            let saved = checkpoint::read_config(&dir).map_err(|e| anyhow!("--init {e}"))?;
            Some((dir, saved))
        }
        None => None,
    };
    // The data record of the checkpoint being resumed.
    let mut resumed_cfg = None;
    let (resumed, out, data_paths, val_paths, holdout) = if let Some(dir) = &args.resume {
        let ck = in_run(dir);
        let saved = checkpoint::read_config(&ck)?;
        let mut tr = checkpoint::load_trainer_as::<M>(&ck)?;
        if !run::is_run_folder(dir) {
            // A run of an earlier version: its checkpoint makes it ours.
            run::mark(dir)?;
        }
        tr.set_total_epochs(args.epochs);
        let paths = |key: &str| -> Vec<PathBuf> {
            saved.data[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| p.as_str().map(PathBuf::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let data = if args.data.is_empty() {
            paths("train")
        } else {
            args.data.clone()
        };
        let val = if args.val.is_empty() {
            paths("val")
        } else {
            args.val.clone()
        };
        // A run that held part of its data out holds out the same part again.
        let holdout = args.holdout.or(saved.holdout().map(|h| h.fraction));
        resumed_cfg = Some(saved.clone());
        (Some(tr), dir.clone(), data, val, holdout)
    } else {
        let cfg = args.config(init.as_ref().map(|(_, c)| &c.train))?;
        if let Some((dir, saved)) = &init {
            checkpoint::check_fine_tuning(dir, saved, &cfg).map_err(|e| anyhow!("--init {e}"))?;
        }
        if let Some(f) = args.holdout {
            check_holdout(f)?;
        }
        let out = args
            .out
            .clone()
            .expect("clap requires --out without --resume");
        if in_run(&out).join("config.json").exists() {
            bail!(
                "--out {} already holds a checkpoint; continue it with --resume {}",
                out.display(),
                out.display()
            );
        }
        run::check_out(&out).map_err(|e| anyhow!("--out {e}"))?;
        std::fs::create_dir_all(&out)
            .with_context(|| format!("creating --out {}", out.display()))?;
        run::mark(&out)?;
        (None, out, args.data.clone(), args.val.clone(), args.holdout)
    };
    let limits = args.cells.limits()?;
    let (mut train, bad_train) = read_structures(&data_paths, "--data", &limits)?;
    // The whole of --data, the part held out included.
    let max_atoms = resumed.as_ref().map_or(args.max_atoms, |t| t.cfg.max_atoms);
    check(&train, max_atoms, "--data")?;
    let seed = resumed.as_ref().map_or(args.seed, |t| t.cfg.seed);
    let saved_holdout = resumed_cfg.as_ref().and_then(|c| c.holdout());
    if args.resume.is_some() {
        check_resumed_split(&args, saved_holdout)?;
    }
    let held_out = match holdout {
        Some(f) => Some(hold_out(&mut train, f, seed)?),
        None => None,
    };
    if let Some(h) = saved_holdout {
        let n_then = resumed_cfg
            .as_ref()
            .and_then(|c| c.data["n_train"].as_u64())
            .unwrap_or(0) as usize
            + h.n;
        if train.len() + h.n != n_then {
            bail!(
                "--data: {} readable structures, the run split {n_then}; resume with the same data (and cell limits), or its held-out part would change",
                train.len() + h.n
            );
        }
    }
    let mut trainer = match (resumed, &init) {
        (Some(tr), _) => tr,
        (None, Some((dir, saved))) => checkpoint::init_from::<M>(
            dir,
            args.config(Some(&saved.train))?,
            diffusion::periodic::train::atom_count_histogram(&train),
        )
        .map_err(|e| anyhow!("--init {e}"))?,
        (None, None) => Trainer::<M>::init(args.config(None)?, DataStats::fit(&train))?,
    };
    trainer.to_device(&device)?;
    check(&train, trainer.cfg.max_atoms, "--data")?;
    let val = if let Some(v) = held_out {
        v
    } else if val_paths.is_empty() {
        Vec::new()
    } else {
        let (v, _) = read_structures(&val_paths, "--val", &limits)?;
        check(&v, trainer.cfg.max_atoms, "--val")?;
        v
    };
    // The compositions the weights have seen: this run's and, fine-tuned or resumed, the
    // earlier training's.
    let mut formulas: std::collections::BTreeSet<String> =
        train.iter().map(Crystal::reduced_formula).collect();
    if let Some(f) = init.as_ref().and_then(|(_, saved)| saved.train_formulas()) {
        formulas.extend(f);
    }
    if let Some(f) = resumed_cfg.as_ref().and_then(|c| c.train_formulas()) {
        formulas.extend(f);
    }
    let mut data_json = json!({
        "train": data_paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "val": val_paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "n_train": train.len(), "n_val": val.len(), "n_unreadable_train": bad_train,
    });
    data_json[checkpoint::TRAIN_FORMULAS] = json!(formulas);
    if let Some(f) = holdout {
        data_json[checkpoint::HOLDOUT] = json!(checkpoint::Holdout {
            fraction: f,
            seed,
            n: val.len()
        });
    }
    if let Some((dir, saved)) = &init {
        data_json[INIT] = json!({"checkpoint": dir.display().to_string(), "epoch": saved.epoch});
    } else if let Some(i) = resumed_cfg
        .as_ref()
        .map(|c| &c.data[INIT])
        .filter(|i| !i.is_null())
    {
        data_json[INIT] = i.clone();
    }
    let cfg = trainer.cfg;
    if !args.quiet {
        println!(
            "train periodic ({}): {} training, {} validation structures; hidden {}, {} layers, T = {}; epochs {} → {}, batch {}, lr {:e}",
            cfg.task.name(), train.len(), val.len(), cfg.model.hidden, cfg.model.layers, cfg.timesteps,
            trainer.epoch, cfg.epochs, cfg.batch_size, cfg.lr
        );
    }
    let folder = RunFolder::new(&out);
    let mut observer = Progress {
        folder: folder.clone(),
        quiet: args.quiet,
        n_train: train.len(),
        total: trainer.cfg.epochs,
        bar: None,
    };
    let checkpoints = Checkpointing {
        dir: in_run(&out),
        every: args.checkpoint_every,
        data: data_json.clone(),
    };
    let epoch_before = trainer.epoch;
    trainer.fit(&train, &val, Some(&checkpoints), &mut observer)?;
    // A resumed run with no epochs left still brings an older checkpoint's data record up
    // to date (the training formulas `benchmark` reads), weights untouched.
    if trainer.epoch == epoch_before && resumed_cfg.is_some_and(|c| c.data != data_json) {
        checkpoint::save(&trainer, &in_run(&out), &data_json)?;
    }
    let rows: Vec<LossRow> = trainer.history.iter().map(loss_row).collect();
    let epoch_means: Vec<f64> = rows.iter().map(|r| r.loss).collect();
    let summary = Summary {
        command: Some(Command::Train),
        model: Some(M::KIND.name().into()),
        task: Some(trainer.cfg.task.name().into()),
        parameters: Some(trainer.model.num_parameters() as u64),
        config: serde_json::to_value(trainer.cfg)?,
        data: data_json,
        loss: LossSummary::of(&epoch_means),
        training: Some(TrainingProgress {
            epochs: trainer.epoch,
            steps: trainer.step,
            final_row: rows.last().copied(),
        }),
        checkpoint: Some(CheckpointRef {
            path: in_run(&out).display().to_string(),
            epoch: trainer.epoch,
        }),
        timings_s: [("total".to_string(), Some(start.elapsed().as_secs_f64()))]
            .into_iter()
            .collect(),
        ..Summary::default()
    };
    folder.write_summary(&summary)?;
    println!("checkpoint: {}", in_run(&out).display());
    if !args.no_report {
        let r = report::build_report(
            &out,
            &report::ReportOptions {
                log_loss: true,
                ..Default::default()
            },
        )
        .with_context(|| format!("writing the report of {}", out.display()))?;
        println!("report: {}", r.html.display());
    }
    Ok(ExitCode::SUCCESS)
}
