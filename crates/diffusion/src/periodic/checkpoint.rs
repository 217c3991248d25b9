//! Checkpoints of the `periodic` model: a folder that `sample` reads and `train --resume`
//! continues from.
//!
//! ```text
//! checkpoint/
//!   config.json          format, version, model, task, training settings, epoch, step,
//!                        loss history, data description
//!   weights.safetensors  EMA weights (what sampling uses)
//!   model.safetensors    raw training weights (with burn parameter ids)
//!   optimizer.bpk        AdamW state (burn's burnpack format)
//! ```
//! A checkpoint is written into a hidden sibling folder and swapped into place
//! (`run::Staging`, shared with run folders), so a run killed at any moment leaves either
//! the previous checkpoint or the new one, never a half-written one.

use super::model::{Denoiser, PeriodicDenoiser, TrainableDenoiser};
use super::train::{DataStats, EpochLog, PeriodicTrainConfig, Trainer};
use crate::error::DiffusionError;
use crate::params::{collect, load_safetensors, restore, save_safetensors};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Written into every checkpoint; checked on load.
pub const FORMAT: &str = "crystal-diffusion checkpoint";
/// Bumped whenever the layout or the network changes. Version 2 added the log-Cholesky
/// lattice, the de novo task and `atom_counts`; version 1 checkpoints (matrix lattice, CSP)
/// still load.
pub const FORMAT_VERSION: u32 = 2;

/// The contents of `config.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointConfig {
    pub format: String,
    pub format_version: u32,
    /// Version of the crate that wrote it.
    pub written_by: String,
    /// Model name ("periodic").
    pub model: crate::ModelKind,
    /// Task ("csp" or "dng"; the same as `train.task`).
    pub task: crate::Task,
    pub train: PeriodicTrainConfig,
    /// Epochs completed.
    pub epoch: usize,
    pub step: usize,
    pub history: Vec<EpochLog>,
    /// Training crystals by atom count (index = atoms); de novo sampling draws from it.
    #[serde(default)]
    pub atom_counts: Vec<u64>,
    /// Free-form description of the data (paths, counts).
    pub data: serde_json::Value,
}

/// Writes `trainer` as `dir` (replacing an existing checkpoint atomically).
pub fn save<M: TrainableDenoiser>(
    trainer: &Trainer<M>,
    dir: &Path,
    data: &serde_json::Value,
) -> Result<(), DiffusionError> {
    let staging =
        run::Staging::new(dir).map_err(|e| DiffusionError::checkpoint(dir, e.to_string()))?;
    let tmp = staging.path();
    let cfg = CheckpointConfig {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        written_by: env!("CARGO_PKG_VERSION").into(),
        model: M::KIND,
        task: trainer.cfg.task,
        train: trainer.cfg,
        epoch: trainer.epoch,
        step: trainer.step,
        history: trainer.history.clone(),
        atom_counts: trainer.atom_counts.clone(),
        data: data.clone(),
    };
    let json = serde_json::to_string_pretty(&cfg)
        .map_err(|e| DiffusionError::checkpoint(dir, e.to_string()))?;
    let p = tmp.join("config.json");
    std::fs::write(&p, json).map_err(|e| DiffusionError::io(&p, e))?;
    let meta: HashMap<String, String> = [
        ("format".to_string(), FORMAT.to_string()),
        ("model".to_string(), M::KIND.name().to_string()),
    ]
    .into_iter()
    .collect();
    save_safetensors(&trainer.ema, &meta, &tmp.join("weights.safetensors"))?;
    save_safetensors(
        &collect(&trainer.model),
        &meta,
        &tmp.join("model.safetensors"),
    )?;
    let op = tmp.join("optimizer.bpk");
    match &trainer.host_optim {
        Some(adamw) => adamw.save(&op)?,
        None => trainer
            .optim
            .save(&op)
            .map_err(|e| DiffusionError::checkpoint(&op, e.to_string()))?,
    }
    staging
        .commit()
        .map_err(|e| DiffusionError::checkpoint(dir, e.to_string()))?;
    Ok(())
}

/// Reads and checks `config.json` of a checkpoint folder.
pub fn read_config(dir: &Path) -> Result<CheckpointConfig, DiffusionError> {
    // A run killed in the middle of a checkpoint swap left the previous checkpoint aside.
    run::dir::recover(dir).map_err(|e| DiffusionError::checkpoint(dir, e.to_string()))?;
    let p = dir.join("config.json");
    if !dir.is_dir() {
        return Err(DiffusionError::checkpoint(dir, "no such checkpoint folder"));
    }
    let text = std::fs::read_to_string(&p)
        .map_err(|e| DiffusionError::checkpoint(dir, format!("no readable config.json ({e})")))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| DiffusionError::checkpoint(&p, format!("corrupt ({e})")))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(DiffusionError::checkpoint(
            &p,
            "not a crystal-diffusion checkpoint",
        ));
    }
    let version = v
        .get("format_version")
        .and_then(|f| f.as_u64())
        .unwrap_or(0);
    if version == 0 || version > FORMAT_VERSION as u64 {
        return Err(DiffusionError::checkpoint(
            &p,
            format!("format version {version}; this build reads versions 1 to {FORMAT_VERSION}"),
        ));
    }
    let model = v.get("model").cloned().unwrap_or_default();
    if serde_json::from_value::<crate::ModelKind>(model.clone()).is_err() {
        return Err(DiffusionError::checkpoint(
            &p,
            format!("model {model}: not a model this build knows"),
        ));
    }
    let cfg: CheckpointConfig = serde_json::from_value(v)
        .map_err(|e| DiffusionError::checkpoint(&p, format!("corrupt ({e})")))?;
    cfg.train
        .validate()
        .map_err(|e| DiffusionError::checkpoint(&p, format!("invalid settings ({e})")))?;
    Ok(cfg)
}

/// The EMA network of a `periodic` checkpoint, for sampling, with its configuration.
pub fn load_model(dir: &Path) -> Result<(PeriodicDenoiser, CheckpointConfig), DiffusionError> {
    load_model_as(dir)
}

/// The EMA network of a checkpoint of denoiser `M`.
pub fn load_model_as<M: TrainableDenoiser>(
    dir: &Path,
) -> Result<(M, CheckpointConfig), DiffusionError> {
    let cfg = read_config_of::<M>(dir)?;
    let path = dir.join("weights.safetensors");
    let (params, _) = load_safetensors(&path)?;
    check_size::<M>(&cfg, &params, &path)?;
    let m = M::init(&cfg.train.model, cfg.train.seed, &Device::flex());
    Ok((restore(m, &params, &path)?, cfg))
}

/// The EMA network of any checkpoint, of the kind it records, on the CPU.
pub fn load_denoiser(dir: &Path) -> Result<(Box<dyn Denoiser>, CheckpointConfig), DiffusionError> {
    load_denoiser_on(dir, &Device::flex())
}

/// [`load_denoiser`] with the weights moved to `device` (e.g. a GPU from
/// [`crate::Compute::device`]); the sampler then runs the network there.
pub fn load_denoiser_on(
    dir: &Path,
    device: &Device,
) -> Result<(Box<dyn Denoiser>, CheckpointConfig), DiffusionError> {
    struct Load<'a>(&'a Path, &'a Device);
    impl crate::kind::WithDenoiser for Load<'_> {
        type Output = Result<(Box<dyn Denoiser>, CheckpointConfig), DiffusionError>;
        fn run<M: TrainableDenoiser>(self) -> Self::Output {
            let (m, cfg) = load_model_as::<M>(self.0)?;
            let m = if crate::compute::is_cpu(self.1) {
                m
            } else {
                m.to_device(self.1)
            };
            Ok((Box::new(m), cfg))
        }
    }
    read_config(dir)?.model.dispatch(Load(dir, device))?
}

/// A trainer that continues the run of a `periodic` checkpoint.
pub fn load_trainer(dir: &Path) -> Result<Trainer, DiffusionError> {
    load_trainer_as(dir)
}

/// A trainer that continues the run of a checkpoint of denoiser `M`.
pub fn load_trainer_as<M: TrainableDenoiser>(dir: &Path) -> Result<Trainer<M>, DiffusionError> {
    let cfg = read_config_of::<M>(dir)?;
    let mp = dir.join("model.safetensors");
    let (raw, _) = load_safetensors(&mp)?;
    check_size::<M>(&cfg, &raw, &mp)?;
    let stats = DataStats {
        lattice_norm: cfg.train.lattice_norm,
        atom_counts: cfg.atom_counts,
    };
    let mut tr = Trainer::<M>::init(cfg.train, stats)?;
    tr.model = restore(tr.model.clone(), &raw, &mp)?;
    let wp = dir.join("weights.safetensors");
    let (ema, _) = load_safetensors(&wp)?;
    if ema.len() != raw.len() {
        return Err(DiffusionError::checkpoint(
            &wp,
            "EMA and model weights differ in size",
        ));
    }
    tr.ema = ema;
    let op = dir.join("optimizer.bpk");
    if M::HOST_GRADIENTS {
        // The same file burn's AdamW writes (`crate::adamw`).
        tr.host_optim = Some(crate::adamw::HostAdamW::load(&op, cfg.train.weight_decay)?);
    } else {
        tr.optim = super::train::optimizer(&cfg.train)
            .load(&op)
            .map_err(|e| DiffusionError::checkpoint(&op, e.to_string()))?;
    }
    tr.epoch = cfg.epoch;
    tr.step = cfg.step;
    tr.history = cfg.history;
    Ok(tr)
}

/// A fresh training run that starts from the EMA weights of the checkpoint in `dir`
/// (fine-tuning: `train --init models/X --data mine.csv`). The network (widths, layers,
/// lattice head), the task and the lattice standardisation are the checkpoint's: `cfg`
/// gives the rest (epochs, learning rate, …) and must agree on the first two, else the
/// error names what differs. `atom_counts` are the new training data's. The optimizer
/// starts afresh; epochs and steps count from 0.
pub fn init_from<M: TrainableDenoiser>(
    dir: &Path,
    cfg: PeriodicTrainConfig,
    atom_counts: Vec<u64>,
) -> Result<Trainer<M>, DiffusionError> {
    let saved = read_config_of::<M>(dir)?;
    check_fine_tuning(dir, &saved, &cfg)?;
    let path = dir.join("weights.safetensors");
    let (params, _) = load_safetensors(&path)?;
    check_size::<M>(&saved, &params, &path)?;
    let stats = DataStats {
        lattice_norm: saved.train.lattice_norm,
        atom_counts,
    };
    let mut tr = Trainer::<M>::init(cfg, stats)?;
    tr.model = restore(tr.model.clone(), &params, &path)?;
    tr.ema = params;
    Ok(tr)
}

/// Whether a run with settings `cfg` can start from the checkpoint `saved` (read from
/// `dir`): the same network, task and T, else an error naming what differs.
pub fn check_fine_tuning(
    dir: &Path,
    saved: &CheckpointConfig,
    cfg: &PeriodicTrainConfig,
) -> Result<(), DiffusionError> {
    if cfg.model != saved.train.model {
        let (a, b) = (&saved.train.model, &cfg.model);
        return Err(DiffusionError::checkpoint(
            dir,
            format!(
                "its network (hidden {}, {} layers, {} frequencies, time embedding {}, {:?} lattice) \
                 is not the one asked for (hidden {}, {} layers, {} frequencies, time embedding {}, {:?} lattice)",
                a.hidden, a.layers, a.k_freq, a.time_dim, a.lattice,
                b.hidden, b.layers, b.k_freq, b.time_dim, b.lattice
            ),
        ));
    }
    if cfg.task != saved.task {
        return Err(DiffusionError::checkpoint(
            dir,
            format!(
                "holds a {} model; it cannot be fine-tuned for {}",
                saved.task.name(),
                cfg.task.name()
            ),
        ));
    }
    if (cfg.sigma_min, cfg.sigma_max) != (saved.train.sigma_min, saved.train.sigma_max) {
        return Err(DiffusionError::checkpoint(
            dir,
            format!(
                "was trained with coordinate noise σ {} to {}, not {} to {}",
                saved.train.sigma_min, saved.train.sigma_max, cfg.sigma_min, cfg.sigma_max
            ),
        ));
    }
    if cfg.timesteps != saved.train.timesteps {
        return Err(DiffusionError::checkpoint(
            dir,
            format!(
                "was trained with T = {} diffusion steps, not {}",
                saved.train.timesteps, cfg.timesteps
            ),
        ));
    }
    Ok(())
}

impl CheckpointConfig {
    /// The distinct reduced formulas of the training data, when the run recorded them
    /// (`data.train_formulas`, written since the benchmark command came; older
    /// checkpoints record only the data's paths).
    pub fn train_formulas(&self) -> Option<std::collections::BTreeSet<String>> {
        let list = self.data.get(TRAIN_FORMULAS)?.as_array()?;
        Some(
            list.iter()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect(),
        )
    }

    /// The part of the training data held out for validation (`train --holdout`), as
    /// recorded under `data.holdout`.
    pub fn holdout(&self) -> Option<Holdout> {
        serde_json::from_value(self.data.get(HOLDOUT)?.clone()).ok()
    }

    /// The training data's paths as the run recorded them (`data.train`).
    pub fn train_paths(&self) -> Vec<PathBuf> {
        self.data
            .get("train")
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(PathBuf::from))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Key of `config.json`'s `data` under which `train` records the training data's
/// distinct reduced formulas.
pub const TRAIN_FORMULAS: &str = "train_formulas";

/// Key of `config.json`'s `data` recording `train --holdout` ([`Holdout`]).
pub const HOLDOUT: &str = "holdout";

/// A held-out validation part of the training data: `crystal::dataset::holdout_mask(n,
/// fraction, seed)` over the `n` readable structures of the training files, in order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Holdout {
    pub fraction: f64,
    pub seed: u64,
    /// Structures held out.
    pub n: usize,
}

/// Refuses a configuration that asks for more weights than the file holds (a tampered
/// `config.json` with `hidden` 4096 and 64 layers next to a small weight file would
/// otherwise allocate gigabytes before the shapes are compared).
fn check_size<M: TrainableDenoiser>(
    cfg: &CheckpointConfig,
    params: &[crate::params::NamedParam],
    path: &Path,
) -> Result<(), DiffusionError> {
    let held: u64 = params.iter().map(|p| p.data.len() as u64).sum();
    let wanted = M::min_parameters(&cfg.train.model);
    if wanted > held {
        return Err(DiffusionError::checkpoint(
            path,
            format!(
                "config.json asks for at least {wanted} weights, the file holds {held}: \
                 they are not of one checkpoint"
            ),
        ));
    }
    Ok(())
}

/// [`read_config`] of a checkpoint that must hold denoiser `M`.
fn read_config_of<M: TrainableDenoiser>(dir: &Path) -> Result<CheckpointConfig, DiffusionError> {
    let cfg = read_config(dir)?;
    if cfg.model != M::KIND {
        return Err(DiffusionError::checkpoint(
            dir,
            format!("holds a {} model, not {}", cfg.model, M::KIND),
        ));
    }
    Ok(cfg)
}

/// The checkpoint folder inside a training run folder.
pub fn in_run(run_dir: &Path) -> PathBuf {
    run::RunFolder::new(run_dir).checkpoint_dir()
}

/// The checkpoint folder a user's path names: the folder itself when it holds
/// `config.json` (a shipped `models/…` folder, a run's `checkpoint/`), else the
/// `checkpoint/` of the training run folder it names.
pub fn resolve_dir(path: &Path) -> PathBuf {
    if path.join("config.json").is_file() {
        path.to_path_buf()
    } else {
        in_run(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::periodic::train::PeriodicTrainConfig;
    use crate::periodic::PeriodicConfig;
    use crystal::Crystal;

    fn small() -> PeriodicTrainConfig {
        PeriodicTrainConfig {
            model: PeriodicConfig::tiny(),
            timesteps: 50,
            epochs: 4,
            batch_size: 8,
            ..PeriodicTrainConfig::default()
        }
    }

    #[test]
    fn format_1_checkpoints_load_as_matrix_csp_models() {
        use crate::periodic::lattice::LatticeRepr;
        use crate::periodic::train::Task;
        let mut cfg = small();
        cfg.model.lattice = LatticeRepr::Matrix;
        let tr = Trainer::new(cfg, DataStats::default()).unwrap();
        let dir = std::env::temp_dir().join(format!("cd-ckpt-v1-{}", std::process::id()));
        let ck = dir.join("checkpoint");
        save(&tr, &ck, &serde_json::Value::Null).unwrap();
        // Rewrite config.json as format 1 wrote it: none of the version-2 fields.
        let cj = ck.join("config.json");
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&cj).unwrap()).unwrap();
        v["format_version"] = 1.into();
        v.as_object_mut().unwrap().remove("atom_counts");
        let t = v["train"].as_object_mut().unwrap();
        for k in ["task", "type_weight", "lattice_norm"] {
            t.remove(k);
        }
        t["model"].as_object_mut().unwrap().remove("lattice");
        std::fs::write(&cj, serde_json::to_string(&v).unwrap()).unwrap();
        let (_, loaded) = load_model(&ck).unwrap();
        assert_eq!(loaded.train.model.lattice, LatticeRepr::Matrix);
        assert_eq!(loaded.train.task, Task::Csp);
        assert!(loaded.atom_counts.is_empty());
        // A version from the future is refused.
        v["format_version"] = (FORMAT_VERSION + 1).into();
        std::fs::write(&cj, serde_json::to_string(&v).unwrap()).unwrap();
        assert!(load_model(&ck)
            .unwrap_err()
            .to_string()
            .contains("format version"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn fine_tuning_starts_from_the_checkpoints_ema_weights() {
        use crate::periodic::train::Task;
        let data: Vec<Crystal> = crystal::demo::demo_crystals(3);
        let dir = std::env::temp_dir().join(format!("cd-ckpt-init-{}", std::process::id()));
        let ck = dir.join("checkpoint");
        let mut a = Trainer::new(small(), DataStats::fit(&data)).unwrap();
        a.run_epoch(&data, |_, _, _| {}).unwrap();
        let formulas = vec!["Al".to_string(), "SrTiO3".into()];
        save(
            &a,
            &ck,
            &serde_json::json!({ TRAIN_FORMULAS: formulas, "train": ["x.csv"] }),
        )
        .unwrap();
        let saved = read_config(&ck).unwrap();
        assert_eq!(
            saved
                .train_formulas()
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            formulas
        );
        assert_eq!(saved.train_paths(), vec![PathBuf::from("x.csv")]);
        // Other settings (more epochs, another learning rate) with the same network.
        let cfg = PeriodicTrainConfig {
            epochs: 9,
            lr: 5e-4,
            seed: 7,
            ..small()
        };
        let tr = init_from::<PeriodicDenoiser>(&ck, cfg, vec![0, 3]).unwrap();
        assert_eq!((tr.epoch, tr.step, tr.cfg.epochs), (0, 0, 9));
        assert_eq!(tr.cfg.lattice_norm, a.cfg.lattice_norm);
        assert_eq!(tr.atom_counts, vec![0, 3]);
        let model: Vec<Vec<f32>> = collect(&tr.model).into_iter().map(|p| p.data).collect();
        let ema: Vec<Vec<f32>> = a.ema.iter().map(|p| p.data.clone()).collect();
        assert_eq!(
            model, ema,
            "the network starts at the checkpoint's EMA weights"
        );
        // Another width, another task or another T: refused, naming what differs.
        let mut wide = small();
        wide.model.hidden = 32;
        let e = init_from::<PeriodicDenoiser>(&ck, wide, vec![])
            .err()
            .unwrap();
        assert!(
            e.to_string().contains("hidden 16") && e.to_string().contains("hidden 32"),
            "{e}"
        );
        let dng = PeriodicTrainConfig {
            task: Task::Dng,
            ..small()
        };
        let e = init_from::<PeriodicDenoiser>(&ck, dng, vec![])
            .err()
            .unwrap();
        assert!(e.to_string().contains("csp model"), "{e}");
        let t100 = PeriodicTrainConfig {
            timesteps: 100,
            ..small()
        };
        let e = init_from::<PeriodicDenoiser>(&ck, t100, vec![])
            .err()
            .unwrap();
        assert!(e.to_string().contains("T = 50"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn resumed_training_equals_uninterrupted_training() {
        let data: Vec<Crystal> = crystal::demo::demo_crystals(3);
        let dir = std::env::temp_dir().join(format!("cd-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ck = dir.join("checkpoint");
        // Uninterrupted: 4 epochs.
        let mut a = Trainer::new(small(), DataStats::fit(&data)).unwrap();
        let mut la = Vec::new();
        for _ in 0..4 {
            la.push(a.run_epoch(&data, |_, _, _| {}).unwrap().total);
        }
        // Interrupted after 2, resumed from the checkpoint.
        let mut b = Trainer::new(small(), DataStats::fit(&data)).unwrap();
        let mut lb = Vec::new();
        for _ in 0..2 {
            lb.push(b.run_epoch(&data, |_, _, _| {}).unwrap().total);
        }
        save(&b, &ck, &serde_json::json!({"n": data.len()})).unwrap();
        drop(b);
        let mut c = load_trainer(&ck).unwrap();
        assert_eq!(c.epoch, 2);
        for _ in 0..2 {
            lb.push(c.run_epoch(&data, |_, _, _| {}).unwrap().total);
        }
        assert_eq!(la, lb);
        let weights = |t: &Trainer| -> Vec<Vec<f32>> {
            collect(&t.model).into_iter().map(|p| p.data).collect()
        };
        assert!(weights(&a) == weights(&c), "resumed weights differ");
        assert!(
            a.ema.iter().zip(&c.ema).all(|(x, y)| x.data == y.data),
            "EMA differs"
        );
        // Sampling weights load; a checkpoint of another kind is refused.
        save(&c, &ck, &serde_json::Value::Null).unwrap();
        let (_, cfg) = load_model(&ck).unwrap();
        assert_eq!(cfg.epoch, 4);
        let cj = ck.join("config.json");
        let text = std::fs::read_to_string(&cj).unwrap();
        std::fs::write(&cj, text.replace("\"periodic\"", "\"seed-mlp\"")).unwrap();
        assert!(load_model(&ck)
            .unwrap_err()
            .to_string()
            .contains("seed-mlp"));
        std::fs::write(&cj, "{ not json").unwrap();
        assert!(load_model(&ck).unwrap_err().to_string().contains("corrupt"));
        assert!(load_trainer(&dir.join("nothing")).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_swap_killed_between_its_renames_still_loads() {
        let data: Vec<Crystal> = crystal::demo::demo_crystals(2);
        let tr = Trainer::new(small(), DataStats::fit(&data)).unwrap();
        let dir = tempfile_dir("cd-ckpt-swap");
        let ck = dir.join("checkpoint");
        save(&tr, &ck, &serde_json::Value::Null).unwrap();
        // The previous checkpoint moved aside by a process that is gone; none in place.
        std::fs::rename(&ck, dir.join(".checkpoint.old-999999999")).unwrap();
        let (_, cfg) = load_model(&ck).unwrap();
        assert_eq!(cfg.epoch, 0);
        assert!(ck.join("config.json").is_file());
        std::fs::remove_dir_all(&dir).ok();
    }

    /// A flipped weight byte, a configuration that asks for more weights than the file
    /// holds, and a weight file replaced by a link to a device are refused with the path;
    /// the untouched checkpoint loads.
    #[test]
    fn tampered_checkpoints_are_refused() {
        let data: Vec<Crystal> = crystal::demo::demo_crystals(2);
        let tr = Trainer::new(small(), DataStats::fit(&data)).unwrap();
        let dir = tempfile_dir("cd-ckpt-tamper");
        let ck = dir.join("checkpoint");
        save(&tr, &ck, &serde_json::Value::Null).unwrap();
        load_model(&ck).unwrap();
        let w = ck.join("weights.safetensors");
        let good = std::fs::read(&w).unwrap();
        let mut bad = good.clone();
        let last = bad.len() - 3; // inside the last tensor's data
        bad[last] ^= 0x40;
        std::fs::write(&w, &bad).unwrap();
        let e = load_model(&ck).unwrap_err().to_string();
        assert!(
            e.contains("weights.safetensors") && e.contains("checksum"),
            "{e}"
        );
        std::fs::write(&w, &good).unwrap();
        let cj = ck.join("config.json");
        let text = std::fs::read_to_string(&cj).unwrap();
        let hidden = format!("\"hidden\": {}", small().model.hidden);
        assert!(text.contains(&hidden), "{text}");
        std::fs::write(&cj, text.replace(&hidden, "\"hidden\": 4096")).unwrap();
        for e in [
            load_model(&ck).unwrap_err().to_string(),
            load_trainer(&ck).err().unwrap().to_string(),
        ] {
            assert!(e.contains("asks for at least"), "{e}");
        }
        std::fs::write(&cj, text).unwrap();
        #[cfg(unix)]
        {
            std::fs::remove_file(&w).unwrap();
            std::os::unix::fs::symlink("/dev/zero", &w).unwrap();
            let e = load_model(&ck).unwrap_err().to_string();
            assert!(e.contains("not a regular file"), "{e}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    fn tempfile_dir(prefix: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
