//! `crystal-diffusion train`: trains the `periodic` model (CSP or de novo) on structure files or
//! data sets, with validation loss per epoch, a progress bar, `loss.csv`, atomic
//! checkpoints every N epochs and at the end, `--resume`, and the run's report.

use crate::progress;
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use crystal::batch::{collect_paths, load};
use crystal::Crystal;
use diffusion::periodic::checkpoint::{self, in_run};
use diffusion::periodic::train::{check_data, EpochLog, PeriodicTrainConfig, Trainer};
use diffusion::periodic::PeriodicConfig;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelName {
    /// Invariant message-passing denoiser on the torus (DiffCSP recipe).
    Periodic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Task {
    /// Crystal structure prediction: composition given, lattice and coordinates generated.
    Csp,
    /// De novo generation: atom count, types, lattice and coordinates generated.
    Dng,
}

impl From<Task> for diffusion::periodic::Task {
    fn from(t: Task) -> Self {
        match t {
            Task::Csp => diffusion::periodic::Task::Csp,
            Task::Dng => diffusion::periodic::Task::Dng,
        }
    }
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Training structures: files, folders or data set CSVs (.csv, .csv.gz).
    #[arg(long, num_args = 1.., required_unless_present = "resume")]
    data: Vec<PathBuf>,
    /// Validation structures (validation loss per epoch).
    #[arg(long, num_args = 1..)]
    val: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = ModelName::Periodic)]
    model: ModelName,
    #[arg(long, value_enum, default_value_t = Task::Csp)]
    task: Task,
    /// Run folder (created; must not hold a checkpoint already).
    #[arg(long, required_unless_present = "resume")]
    out: Option<PathBuf>,
    /// Continue the run in this folder from its checkpoint (--epochs may raise the total).
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Total epochs.
    #[arg(long, default_value_t = 100)]
    epochs: usize,
    /// Crystals per optimisation step.
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Peak learning rate (AdamW), after a linear warm-up, then cosine decay.
    #[arg(long, default_value_t = 1e-3, allow_hyphen_values = true)]
    lr: f64,
    /// Final learning rate of the cosine decay.
    #[arg(long, default_value_t = 1e-5, allow_hyphen_values = true)]
    lr_min: f64,
    /// Warm-up steps.
    #[arg(long, default_value_t = 100)]
    warmup_steps: usize,
    /// AdamW weight decay.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    weight_decay: f64,
    /// Global gradient-norm clip.
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    grad_clip: f64,
    /// Decay of the weights' moving average used for validation and sampling.
    #[arg(long, default_value_t = 0.999, allow_hyphen_values = true)]
    ema_decay: f64,
    /// Hidden width.
    #[arg(long, default_value_t = 128)]
    hidden: usize,
    /// Message-passing layers.
    #[arg(long, default_value_t = 4)]
    layers: usize,
    /// Fourier frequencies of fractional differences.
    #[arg(long, default_value_t = 8)]
    k_freq: usize,
    /// Diffusion steps T.
    #[arg(long, default_value_t = 1000)]
    timesteps: usize,
    /// Weight of the atom-type loss (de novo task).
    #[arg(long, default_value_t = 20.0, allow_hyphen_values = true)]
    type_weight: f64,
    /// Largest crystal (atoms) accepted.
    #[arg(long, default_value_t = 64)]
    max_atoms: usize,
    /// Write a checkpoint every N epochs (and always at the end).
    #[arg(long, default_value_t = 5)]
    checkpoint_every: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Do not write the plots and report.html at the end.
    #[arg(long)]
    no_report: bool,
    /// No progress bar; only the final summary.
    #[arg(long, short)]
    quiet: bool,
}

impl TrainArgs {
    fn config(&self) -> Result<PeriodicTrainConfig> {
        if self.checkpoint_every == 0 {
            bail!("--checkpoint-every 0: must be at least 1");
        }
        let cfg = PeriodicTrainConfig {
            model: PeriodicConfig {
                hidden: self.hidden,
                layers: self.layers,
                k_freq: self.k_freq,
                ..PeriodicConfig::default()
            },
            timesteps: self.timesteps,
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr: self.lr,
            lr_min: self.lr_min,
            warmup_steps: self.warmup_steps,
            weight_decay: self.weight_decay,
            grad_clip: self.grad_clip,
            ema_decay: self.ema_decay,
            type_weight: self.type_weight,
            task: self.task.into(),
            max_atoms: self.max_atoms,
            seed: self.seed,
            ..PeriodicTrainConfig::default()
        };
        cfg.validate().map_err(crate::demo::flag_error)?;
        if !(self.type_weight >= 0.0 && self.type_weight.is_finite()) {
            bail!(
                "--type-weight {}: must be zero or positive",
                self.type_weight
            );
        }
        Ok(cfg)
    }
}

/// Reads structures; unreadable ones are reported on stderr and skipped.
pub fn read_structures(paths: &[PathBuf], flag: &str) -> Result<(Vec<Crystal>, usize)> {
    let files = collect_paths(paths)?;
    if files.is_empty() {
        bail!("{flag}: no structure files found");
    }
    let mut out = Vec::new();
    let mut bad = 0;
    for l in load(&files) {
        match l.result {
            Ok(e) => out.push(e.crystal),
            Err(e) => {
                bad += 1;
                if bad <= 10 {
                    eprintln!("warning: {flag}: {e}");
                }
            }
        }
    }
    if bad > 10 {
        eprintln!("warning: {flag}: {} more unreadable structures", bad - 10);
    }
    if out.is_empty() {
        bail!("{flag}: no readable structure (empty dataset)");
    }
    Ok((out, bad))
}

fn write_loss_csv(dir: &Path, history: &[EpochLog]) -> Result<()> {
    let mut s = String::from(
        "epoch,step,loss,val_loss,coord_loss,lattice_loss,val_coord_loss,val_lattice_loss,lr,seconds,structures_per_s,type_loss,val_type_loss\n",
    );
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v}"));
    for h in history {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            h.epoch,
            h.steps,
            h.train.total,
            opt(h.val.map(|v| v.total)),
            h.train.coord,
            h.train.lattice,
            opt(h.val.map(|v| v.coord)),
            opt(h.val.map(|v| v.lattice)),
            h.lr,
            h.seconds,
            h.structures_per_s,
            h.train.types,
            opt(h.val.map(|v| v.types)),
        ));
    }
    let tmp = dir.join(".loss.csv.tmp");
    std::fs::write(&tmp, s).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, dir.join("loss.csv"))?;
    Ok(())
}

pub fn run(args: TrainArgs) -> Result<ExitCode> {
    let start = Instant::now();
    let (resumed, out, data_paths, val_paths) = if let Some(dir) = &args.resume {
        let ck = in_run(dir);
        if !ck.join("config.json").is_file() {
            bail!(
                "--resume {}: no checkpoint there (expected {})",
                dir.display(),
                ck.display()
            );
        }
        let saved = checkpoint::read_config(&ck)?;
        let mut tr = checkpoint::load_trainer(&ck)?;
        tr.cfg.epochs = args.epochs.max(tr.epoch);
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
        (Some(tr), dir.clone(), data, val)
    } else {
        args.config()?;
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
        std::fs::create_dir_all(&out)
            .with_context(|| format!("creating --out {}", out.display()))?;
        (None, out, args.data.clone(), args.val.clone())
    };
    let (train, bad_train) = read_structures(&data_paths, "--data")?;
    let mut trainer = match resumed {
        Some(tr) => tr,
        None => {
            let mut cfg = args.config()?;
            check_data(&train, cfg.max_atoms, "--data")?;
            cfg.fit_to(&train);
            Trainer::new(cfg)?
        }
    };
    check_data(&train, trainer.cfg.max_atoms, "--data")?;
    let val = if val_paths.is_empty() {
        Vec::new()
    } else {
        let (v, _) = read_structures(&val_paths, "--val")?;
        check_data(&v, trainer.cfg.max_atoms, "--val")?;
        v
    };
    let data_json = json!({
        "train": data_paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "val": val_paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "n_train": train.len(), "n_val": val.len(), "n_unreadable_train": bad_train,
    });
    let cfg = trainer.cfg;
    if !args.quiet {
        println!(
            "train periodic ({}): {} training, {} validation structures; hidden {}, {} layers, T = {}; epochs {} → {}, batch {}, lr {:e}",
            cfg.task.name(), train.len(), val.len(), cfg.model.hidden, cfg.model.layers, cfg.timesteps,
            trainer.epoch, cfg.epochs, cfg.batch_size, cfg.lr
        );
    }
    let steps_per_epoch = train.len().div_ceil(cfg.batch_size);
    let total_epochs = cfg.epochs;
    while trainer.epoch < total_epochs {
        let epoch = trainer.epoch + 1;
        let pb = progress::bar(
            steps_per_epoch as u64,
            &format!("epoch {epoch}/{total_epochs}"),
            args.quiet,
        );
        let t0 = Instant::now();
        let lr = cfg.lr_at(trainer.step, total_epochs * steps_per_epoch);
        let loss = trainer.run_epoch(&train, |_, _, l| {
            pb.inc(1);
            pb.set_message(format!("epoch {epoch}/{total_epochs} loss {l:.3}"));
        })?;
        pb.finish_and_clear();
        let seconds = t0.elapsed().as_secs_f64();
        let val_loss = if val.is_empty() {
            None
        } else {
            Some(trainer.val_loss(&val)?)
        };
        trainer.history.push(EpochLog {
            epoch,
            steps: trainer.step,
            train: loss,
            val: val_loss,
            lr,
            seconds,
            structures_per_s: train.len() as f64 / seconds,
        });
        write_loss_csv(&out, &trainer.history)?;
        if !args.quiet {
            println!(
                "  epoch {epoch:>4}/{total_epochs}  loss {:.4} (coord {:.4}, lattice {:.4}{}){}  {:.1} s, {:.0} structures/s",
                loss.total, loss.coord, loss.lattice,
                if cfg.task == diffusion::periodic::Task::Dng { format!(", types {:.4}", loss.types) } else { String::new() },
                val_loss.map_or(String::new(), |v| format!("  val {:.4}", v.total)),
                seconds, train.len() as f64 / seconds
            );
        }
        if epoch % args.checkpoint_every == 0 || epoch == total_epochs {
            checkpoint::save(&trainer, &in_run(&out), &data_json)?;
        }
    }
    let last = trainer.history.last().copied();
    let summary = json!({
        "model": "periodic", "task": trainer.cfg.task.name(),
        "config": trainer.cfg, "data": data_json,
        "epochs": trainer.epoch, "steps": trainer.step,
        "final": last,
        "wall_s": start.elapsed().as_secs_f64(),
        "checkpoint": in_run(&out).display().to_string(),
    });
    std::fs::write(
        out.join("summary.json"),
        serde_json::to_string_pretty(&summary)?,
    )?;
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
