//! `crystal-diffusion demo`: flags → [`DemoConfig`], run ([`pipeline`]), run folder,
//! human summary. Every flag's default is the pipeline's `DemoConfig::default()`.

pub mod pipeline;

use crate::rundir::default_out;
use anyhow::{anyhow, Context, Result};
use clap::Args;
use diffusion::{DiffusionError, ModelKind};
use pipeline::{DemoConfig, DemoRun, Donor, PeriodicDemo};
use run::RunDir;
use std::path::PathBuf;
use std::time::Instant;

/// Flags of `demo`; defaults are the notebook's.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Model to train: periodic (invariant denoiser, lattice + coordinates; seed-mlp is
    /// run beside it for comparison) or seed-mlp (the notebook's design alone).
    #[arg(long, value_enum, default_value_t = DemoConfig::default().model)]
    model: ModelKind,
    /// periodic: optimisation steps (each a batch of all 21 crystals).
    #[arg(long, default_value_t = PeriodicDemo::default().train_steps)]
    periodic_steps: usize,
    /// periodic: hidden width.
    #[arg(long, default_value_t = PeriodicDemo::default().hidden)]
    periodic_hidden: usize,
    /// periodic: message-passing layers.
    #[arg(long, default_value_t = PeriodicDemo::default().layers)]
    periodic_layers: usize,
    /// periodic: peak learning rate.
    #[arg(long, default_value_t = PeriodicDemo::default().lr, allow_hyphen_values = true)]
    periodic_lr: f64,
    /// periodic: reverse-diffusion steps (of T = 1000).
    #[arg(long, default_value_t = PeriodicDemo::default().sample_steps)]
    sample_steps: usize,
    /// periodic: Langevin corrector step (0 = off).
    #[arg(long, default_value_t = PeriodicDemo::default().corrector_lr, allow_hyphen_values = true)]
    corrector_lr: f64,
    /// seed-mlp training epochs.
    #[arg(long, default_value_t = DemoConfig::default().epochs)]
    epochs: usize,
    /// Structures per training batch (1..=21).
    #[arg(long, default_value_t = DemoConfig::default().batch_size)]
    batch_size: usize,
    /// Diffusion steps T.
    #[arg(long, default_value_t = DemoConfig::default().timesteps)]
    timesteps: usize,
    /// First β of the linear schedule.
    #[arg(long, default_value_t = DemoConfig::default().beta_start, allow_hyphen_values = true)]
    beta_start: f64,
    /// Last β of the linear schedule.
    #[arg(long, default_value_t = DemoConfig::default().beta_end, allow_hyphen_values = true)]
    beta_end: f64,
    /// Width of the network's hidden layers and time embedding (even).
    #[arg(long, default_value_t = DemoConfig::default().hidden_dim)]
    hidden_dim: usize,
    /// Residual blocks.
    #[arg(long, default_value_t = DemoConfig::default().layers)]
    layers: usize,
    /// AdamW learning rate.
    #[arg(long, default_value_t = DemoConfig::default().lr, allow_hyphen_values = true)]
    lr: f64,
    /// AdamW (decoupled) weight decay.
    #[arg(long, default_value_t = DemoConfig::default().weight_decay, allow_hyphen_values = true)]
    weight_decay: f64,
    /// Validator threshold in Å (the literature uses 0.5 Å).
    #[arg(long, default_value_t = DemoConfig::default().min_distance, allow_hyphen_values = true)]
    min_distance: f64,
    /// Structures to generate, sampled as one batch.
    #[arg(long, default_value_t = DemoConfig::default().n_generate)]
    n_generate: usize,
    /// Seed of every random choice (data, initialisation, batches, noise, donors).
    #[arg(long, default_value_t = DemoConfig::default().seed)]
    seed: u64,
    /// Which training structure lends lattice and species: `random` or an index 0..=20.
    #[arg(long, default_value = "random")]
    donor: String,
    /// RDF range in Å (0.1 Å bins).
    #[arg(long, default_value_t = DemoConfig::default().rdf_max, allow_hyphen_values = true)]
    rdf_max: f64,
    /// Coordination-number cutoff in Å.
    #[arg(long, default_value_t = DemoConfig::default().cutoff, allow_hyphen_values = true)]
    cutoff: f64,
    /// Run folder (default outputs/<UTC timestamp>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print only the final summary.
    #[arg(long, short)]
    quiet: bool,
    /// Also write PNG copies of the plots.
    #[arg(long)]
    png: bool,
    /// Do not write plots/ and report.html.
    #[arg(long)]
    no_report: bool,
    #[command(flatten)]
    device: crate::device::DeviceArgs,
}

impl DemoArgs {
    fn config(&self) -> Result<DemoConfig> {
        let donor = match self.donor.as_str() {
            "random" => Donor::Random,
            s => Donor::Index(
                s.parse()
                    .map_err(|_| anyhow!("--donor must be `random` or an index, got {s:?}"))?,
            ),
        };
        let cfg = DemoConfig {
            model: self.model,
            device: self.device.device,
            epochs: self.epochs,
            batch_size: self.batch_size,
            timesteps: self.timesteps,
            beta_start: self.beta_start,
            beta_end: self.beta_end,
            hidden_dim: self.hidden_dim,
            layers: self.layers,
            lr: self.lr,
            weight_decay: self.weight_decay,
            min_distance: self.min_distance,
            n_generate: self.n_generate,
            seed: self.seed,
            donor,
            rdf_max: self.rdf_max,
            rdf_bin: DemoConfig::default().rdf_bin,
            cutoff: self.cutoff,
            periodic: PeriodicDemo {
                train_steps: self.periodic_steps,
                hidden: self.periodic_hidden,
                layers: self.periodic_layers,
                lr: self.periodic_lr,
                sample_steps: self.sample_steps,
                corrector_lr: self.corrector_lr,
            },
        };
        cfg.validate().map_err(flag_error)?;
        Ok(cfg)
    }
}

/// Names a configuration field as the user typed it: `batch_size` → `--batch-size`.
pub fn flag_error(e: DiffusionError) -> anyhow::Error {
    match e {
        DiffusionError::InvalidValue {
            field,
            value,
            expected,
        } => {
            anyhow!("--{} {value}: {expected}", field.replace('_', "-"))
        }
        other => other.into(),
    }
}

pub fn run(args: DemoArgs) -> Result<()> {
    let start = Instant::now();
    let cfg = args.config()?;
    args.device.resolve(args.quiet)?;
    let out = args.out.clone().unwrap_or_else(default_out);
    let dir = RunDir::create(&out).map_err(|e| anyhow!("--out {e}"))?;
    let quiet = args.quiet;
    let periodic = cfg.model == ModelKind::Periodic;
    if !quiet {
        if periodic {
            println!(
                "crystal-diffusion demo: model periodic, {} steps, T=1000, seed {} (seed-mlp beside it)",
                cfg.periodic.train_steps, cfg.seed
            );
        } else {
            println!(
                "crystal-diffusion demo: model {}, {} epochs, T={}, seed {}",
                cfg.model, cfg.epochs, cfg.timesteps, cfg.seed
            );
        }
    }
    // seed-mlp logs every 10 epochs, as the notebook does. The periodic model's epochs
    // are one optimisation step each (one batch of all 21 crystals), so its lines count
    // steps, every 1000.
    let (log_every, total, unit) = if periodic {
        (1000, cfg.periodic.train_steps, "step")
    } else {
        (10, cfg.epochs, "epoch")
    };
    let pb = crate::progress::bar(total as u64, "training", quiet);
    let run = pipeline::run(&cfg, |n, loss| {
        pb.set_position(n as u64);
        if !quiet && (n % log_every == 0 || n == 1 || n == total) {
            pb.suspend(|| println!("  {unit} {n:>4}/{total}  loss {loss:.4}"));
        }
    })?;
    pb.finish_and_clear();
    run.write(dir.staging())
        .with_context(|| format!("writing the run folder {}", out.display()))?;
    let report = if args.no_report {
        None
    } else {
        let opts = report::ReportOptions {
            png: args.png,
            min_distance_a: cfg.min_distance,
            title: dir
                .target()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            ..report::ReportOptions::default()
        };
        Some(
            report::build_report(dir.staging(), &opts)
                .with_context(|| format!("writing the report of {}", out.display()))?,
        )
    };
    let path = dir.commit()?;
    print_summary(&run, &path, start.elapsed().as_secs_f64());
    if let Some(r) = report {
        println!(
            "  report: {} ({} plots)",
            path.join("report.html").display(),
            r.plots.len()
        );
    }
    Ok(())
}

fn print_summary(r: &DemoRun, path: &std::path::Path, wall_s: f64) {
    let c = &r.config;
    let l = r.loss_summary();
    let g = &r.generation;
    println!();
    println!("== Configuration");
    if c.model == ModelKind::Periodic {
        let p = &c.periodic;
        println!(
            "  model periodic ({} parameters), hidden {}, layers {}; CSP: lattice and coordinates for each donor's atoms",
            r.parameters, p.hidden, p.layers
        );
        println!(
            "  wrapped-normal σ 0.005 → 0.5 and cosine lattice schedule, T = 1000; {} reverse steps, corrector {:e}",
            p.sample_steps, p.corrector_lr
        );
        println!(
            "  AdamW lr {:e}, batch 21, {} steps, seed {}",
            p.lr, p.train_steps, c.seed
        );
        println!(
            "  data: {} demo crystals (FCC Al, BCC Fe, diamond C + variants)",
            r.training.len()
        );
    } else {
        println!(
            "  model {} ({} parameters), hidden {}, blocks {}",
            c.model, r.parameters, c.hidden_dim, c.layers
        );
        println!(
            "  schedule linear β {:e} → {:e}, T = {}",
            c.beta_start, c.beta_end, c.timesteps
        );
        println!(
            "  AdamW lr {:e}, weight decay {:e}, batch {}, epochs {}, seed {}",
            c.lr, c.weight_decay, c.batch_size, c.epochs, c.seed
        );
        println!(
            "  data: {} demo crystals (FCC Al, BCC Fe, diamond C + variants), padded to {} atoms",
            r.training.len(),
            r.max_atoms
        );
    }
    println!(
        "== Training ({} steps, {:.2} s)",
        r.steps.len(),
        r.timings.training_s
    );
    println!(
        "  loss initial {:.4}, final {:.4}, best {:.4}, improvement {:.1} %",
        l.initial, l.final_, l.best, l.improvement_pct
    );
    println!(
        "== Generation ({} structures, {:.2} s)",
        g.count, r.timings.sampling_s
    );
    println!(
        "  pass rate ({}): {:.1} %   uniformly random positions on the same cells: {:.1} %",
        c.rule(),
        g.pass_rate * 100.0,
        r.baseline.pass_rate * 100.0
    );
    println!(
        "  match their base crystal (FCC/BCC/diamond; ltol 0.3, stol 0.5, 10°): {:.1} %",
        r.match_rate * 100.0
    );
    if let Some(cmp) = &r.comparison {
        println!(
            "  {} beside it: pass {:.1} %, match {:.1} % (trained {:.2} s, sampled {:.2} s)",
            cmp.figures.model,
            cmp.figures.pass_rate * 100.0,
            cmp.figures.match_rate * 100.0,
            cmp.training_s,
            cmp.sampling_s
        );
    }
    let row = |name: &str, s: &crystal::analysis::Stats, t: &crystal::analysis::Stats| {
        println!(
            "  {name:<24} {:>8.3} ± {:<7.3} [{:.3}, {:.3}]   training {:.3} ± {:.3}",
            s.mean, s.std, s.min, s.max, t.mean, t.std
        );
    };
    let t = &r.training_stats;
    row("density (g/cm³)", &g.density_g_cm3, &t.density_g_cm3);
    row("volume (Å³)", &g.volume_a3, &t.volume_a3);
    row(
        &format!("coordination (≤{} Å)", c.cutoff),
        &g.coordination_mean,
        &t.coordination_mean,
    );
    row("min distance (Å)", &g.min_distance_a, &t.min_distance_a);
    println!("== Files in {}", path.display());
    println!("  summary.json, loss.csv, snapshots.json, structures/generated_*.cif ({}), structures/training_*.cif ({})", r.generated.len(), r.training.len());
    println!("  total {wall_s:.2} s");
}
