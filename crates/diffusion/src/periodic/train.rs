//! Training the `periodic` model, for crystal structure prediction (`Task::Csp`:
//! composition given; lattice and fractional coordinates generated) or de novo generation
//! (`Task::Dng`: the atom types are generated too).
//!
//! One step: for each crystal of the batch draw t ∈ 1..=T, noise its fractional
//! coordinates on the torus (σ_t), its lattice (ᾱ_t, see `super::lattice`) and, de novo,
//! its one-hot atom types (ᾱ_t, as DiffCSP), run the network, and take
//! loss = mean (ŝ − s/√λ_t)² over atoms and axes + `lattice_weight` · mean (ε̂_L − ε_L)²
//! (+ `type_weight` · mean (ε̂_A − ε_A)² de novo).
//! AdamW with a cosine learning-rate decay (after a linear warm-up), global-L2-norm
//! clipping, and an exponential moving average of the weights (used for validation and
//! sampling). Every random draw comes from streams derived from the seed, the epoch and
//! the batch index, so a resumed run continues exactly where an uninterrupted one would.

use super::backprop::Targets;
use super::batch::{GraphInputs, NoisyCrystal};
use super::lattice::{right_handed, LatticeNorm, LatticeRepr};
use super::model::{
    Denoiser, GraphTensors, HostOutputs, PeriodicConfig, PeriodicDenoiser, TrainableDenoiser,
    Workspace, N_TYPES,
};
use super::noise::NoiseSchedule;
use crate::clip::clip_global_norm;
use crate::error::DiffusionError;
use crate::params::{collect, ema_update, restore, NamedParam};
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use crystal::rng::Rng;
use crystal::Crystal;
use serde::{Deserialize, Serialize};

pub use crate::kind::Task;

fn default_type_weight() -> f64 {
    20.0
}

/// Training settings. Defaults are chosen for 2 CPU cores (DiffCSP trains 1,000 epochs of
/// batch 512 at lr 1e-3 on a GPU).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PeriodicTrainConfig {
    pub model: PeriodicConfig,
    /// Diffusion steps T.
    pub timesteps: usize,
    /// Smallest and largest σ of the coordinate noise (DiffCSP: 0.005, 0.5).
    pub sigma_min: f64,
    pub sigma_max: f64,
    pub epochs: usize,
    /// Crystals per optimisation step.
    pub batch_size: usize,
    /// Peak learning rate, reached after `warmup_steps`, then cosine decay to `lr_min`.
    pub lr: f64,
    pub lr_min: f64,
    pub warmup_steps: usize,
    pub weight_decay: f64,
    /// Maximum global L2 norm of the gradients.
    pub grad_clip: f64,
    /// Decay of the weights' exponential moving average.
    pub ema_decay: f64,
    /// Weight of the lattice term in the loss.
    pub lattice_weight: f64,
    /// Weight of the type term (de novo task; DiffCSP uses 20).
    #[serde(default = "default_type_weight")]
    pub type_weight: f64,
    #[serde(default)]
    pub task: Task,
    /// Standardisation of the log-Cholesky lattice numbers (fitted on the training data).
    #[serde(default)]
    pub lattice_norm: LatticeNorm,
    /// Crystals with more atoms are rejected.
    pub max_atoms: usize,
    pub seed: u64,
    /// De novo: the atom types are noised only above this fraction of T, so that the
    /// reverse process decides them before the coordinates settle into sites
    /// ([`super::noise::CosineDdpm::settling_at`]). 0 noises them over all of T, as DiffCSP
    /// (and checkpoints written before this setting), which is the default. Measured on
    /// Perov-5 (train split, 200 epochs, the default network; 500 samples at 100 steps
    /// scored against val): 0.7 gives 99.8 % structurally valid, 94.6 % compositionally,
    /// COV-R / COV-P 63.9 / 63.8 %; 0 gives 99.0 %, 97.4 %, 74.4 / 82.0 %. Deciding the
    /// types first removes most collisions but the types then see too little of the
    /// structure.
    #[serde(default)]
    pub type_settle: f64,
}

/// Upper bounds of the training settings: far above any useful run on one machine, far
/// below what would exhaust memory or time before the first step.
pub struct Limits {
    /// Diffusion steps T (the coordinate schedule costs about 1.7 ms per step to build).
    pub timesteps: usize,
    pub epochs: usize,
    pub batch_size: usize,
    /// Atoms per crystal (the network sees all pairs: n² edges).
    pub max_atoms: usize,
    pub hidden: usize,
    pub layers: usize,
    pub k_freq: usize,
    pub time_dim: usize,
}

/// The bounds [`PeriodicTrainConfig::validate`] enforces.
pub const LIMITS: Limits = Limits {
    timesteps: 10_000,
    epochs: 1_000_000,
    batch_size: 100_000,
    max_atoms: 1_000,
    hidden: 4_096,
    layers: 64,
    k_freq: 256,
    time_dim: 4_096,
};

impl Default for PeriodicTrainConfig {
    fn default() -> Self {
        PeriodicTrainConfig {
            model: PeriodicConfig::default(),
            timesteps: 1000,
            sigma_min: 0.005,
            sigma_max: 0.5,
            epochs: 100,
            batch_size: 64,
            lr: 1e-3,
            lr_min: 1e-5,
            warmup_steps: 100,
            weight_decay: 0.0,
            grad_clip: 1.0,
            ema_decay: 0.999,
            lattice_weight: 1.0,
            type_weight: default_type_weight(),
            task: Task::Csp,
            lattice_norm: LatticeNorm::default(),
            max_atoms: 64,
            seed: 42,
            type_settle: 0.0,
        }
    }
}

impl PeriodicTrainConfig {
    /// Checks every value; names the field that is wrong.
    pub fn validate(&self) -> Result<(), DiffusionError> {
        use DiffusionError as E;
        let pos = |name: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(E::invalid(name, v, "must be a positive number"))
            }
        };
        if self.epochs == 0 {
            return Err(E::invalid("epochs", self.epochs, "must be at least 1"));
        }
        if !(0.0..=0.9).contains(&self.type_settle) {
            return Err(E::invalid(
                "type_settle",
                self.type_settle,
                "must be a fraction of T from 0 to 0.9",
            ));
        }
        // At least two noisy type steps must remain (`CosineDdpm::settling_at`).
        if self.timesteps >= 2
            && (self.type_settle * self.timesteps as f64).floor() as usize > self.timesteps - 2
        {
            return Err(E::invalid(
                "type_settle",
                self.type_settle,
                format!(
                    "leaves fewer than 2 of the {} steps to the types",
                    self.timesteps
                ),
            ));
        }
        if self.batch_size == 0 {
            return Err(E::invalid(
                "batch_size",
                self.batch_size,
                "must be at least 1",
            ));
        }
        if self.timesteps < 2 {
            return Err(E::invalid(
                "timesteps",
                self.timesteps,
                "must be at least 2",
            ));
        }
        pos("lr", self.lr)?;
        pos("sigma_min", self.sigma_min)?;
        if !(self.sigma_max > self.sigma_min && self.sigma_max.is_finite()) {
            return Err(E::invalid(
                "sigma_max",
                self.sigma_max,
                "must exceed sigma_min",
            ));
        }
        if !(self.lr_min >= 0.0 && self.lr_min <= self.lr) {
            return Err(E::invalid(
                "lr_min",
                self.lr_min,
                "must lie between 0 and lr",
            ));
        }
        if !(self.ema_decay >= 0.0 && self.ema_decay < 1.0) {
            return Err(E::invalid(
                "ema_decay",
                self.ema_decay,
                "must lie in [0, 1)",
            ));
        }
        pos("grad_clip", self.grad_clip)?;
        if !(self.type_weight >= 0.0 && self.type_weight.is_finite()) {
            return Err(E::invalid(
                "type_weight",
                self.type_weight,
                "must be zero or positive",
            ));
        }
        if let Some(s) = self
            .lattice_norm
            .std
            .iter()
            .chain(&self.lattice_norm.mean)
            .find(|x| !x.is_finite())
        {
            return Err(E::invalid("lattice_norm", s, "must be finite"));
        }
        if let Some(s) = self.lattice_norm.std.iter().find(|x| **x <= 0.0) {
            return Err(E::invalid("lattice_norm.std", s, "must be positive"));
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay.is_finite()) {
            return Err(E::invalid(
                "weight_decay",
                self.weight_decay,
                "must be zero or positive",
            ));
        }
        let m = &self.model;
        if m.hidden == 0
            || m.layers == 0
            || m.k_freq == 0
            || m.time_dim < 2
            || !m.time_dim.is_multiple_of(2)
        {
            return Err(E::Config(format!(
                "model sizes must be positive with an even time_dim (got {m:?})"
            )));
        }
        // Upper bounds, checked before anything is allocated (a tampered checkpoint's
        // config.json is validated too).
        for (field, value, max) in [
            ("timesteps", self.timesteps, LIMITS.timesteps),
            ("epochs", self.epochs, LIMITS.epochs),
            ("batch_size", self.batch_size, LIMITS.batch_size),
            ("max_atoms", self.max_atoms, LIMITS.max_atoms),
            ("hidden", m.hidden, LIMITS.hidden),
            ("layers", m.layers, LIMITS.layers),
            ("k_freq", m.k_freq, LIMITS.k_freq),
            ("time_dim", m.time_dim, LIMITS.time_dim),
        ] {
            if value > max {
                return Err(E::invalid(field, value, format!("must be at most {max}")));
            }
        }
        Ok(())
    }

    /// The noise schedule these settings describe.
    pub fn schedule(&self) -> NoiseSchedule {
        NoiseSchedule::new(
            self.timesteps,
            self.sigma_min,
            self.sigma_max,
            self.model.lattice.clip(),
        )
        .with_type_settle(self.type_settle)
    }

    /// Learning rate at optimisation step `step` (0-based) of `total`.
    pub fn lr_at(&self, step: usize, total: usize) -> f64 {
        if step < self.warmup_steps {
            return self.lr * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let span = total.saturating_sub(self.warmup_steps).max(1);
        let u = ((step - self.warmup_steps) as f64 / span as f64).min(1.0);
        self.lr_min + 0.5 * (self.lr - self.lr_min) * (1.0 + (std::f64::consts::PI * u).cos())
    }
}

/// What training learns from its data before the first step, stored in the checkpoint:
/// the standardisation of the log-Cholesky lattice numbers and the atom-count histogram
/// the de novo sampler draws from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataStats {
    pub lattice_norm: LatticeNorm,
    /// Training crystals by atom count (index n = crystals with n atoms).
    pub atom_counts: Vec<u64>,
}

impl DataStats {
    /// Fits both to the training crystals.
    pub fn fit(train: &[Crystal]) -> DataStats {
        DataStats {
            lattice_norm: LatticeNorm::fit(train),
            atom_counts: atom_count_histogram(train),
        }
    }
}

/// Checks that every crystal can be trained on (`what` names the data set in errors).
pub fn check_data(data: &[Crystal], max_atoms: usize, what: &str) -> Result<(), DiffusionError> {
    if data.is_empty() {
        return Err(DiffusionError::Data(format!("{what}: no structures")));
    }
    for (i, c) in data.iter().enumerate() {
        if c.num_atoms() > max_atoms {
            return Err(DiffusionError::TooManyAtoms {
                what: what.to_string(),
                index: i,
                formula: c.formula(),
                n_atoms: c.num_atoms(),
                max_atoms,
            });
        }
        if let Some(e) = c.species().iter().find(|e| e.z() as usize > N_TYPES) {
            return Err(DiffusionError::Data(format!(
                "{what}: structure {i} ({}) contains {}, beyond the model's {N_TYPES} elements",
                c.formula(),
                e.symbol()
            )));
        }
    }
    Ok(())
}

/// Noised inputs of one batch and their targets.
pub struct NoisedBatch {
    pub inputs: GraphInputs,
    /// (N, 3) normalised score targets s/√λ_t.
    pub coord_target: Vec<f32>,
    /// (B, P) lattice noise ε_L (P = 9 matrix entries or 6 log-Cholesky numbers).
    pub lattice_target: Vec<f32>,
    /// (N, 100) one-hot type noise ε_A (de novo task only).
    pub type_target: Option<Vec<f32>>,
}

/// Noises `crystals` with draws from `rng`.
pub fn noise_batch(
    crystals: &[&Crystal],
    schedule: &NoiseSchedule,
    cfg: &PeriodicTrainConfig,
    rng: &mut Rng,
) -> NoisedBatch {
    let tmax = schedule.timesteps;
    let repr = cfg.model.lattice;
    let dng = cfg.task == Task::Dng;
    let mut noisy = Vec::with_capacity(crystals.len());
    let mut coord_target = Vec::new();
    let mut lattice_target = Vec::with_capacity(crystals.len() * repr.dim());
    let mut type_target = Vec::new();
    for c in crystals {
        let t = 1 + rng.below(tmax);
        let coords = schedule.coords.noise_at(t);
        // The log-Cholesky cell is right-handed; a left-handed cell is written as the same
        // crystal with its third vector and third coordinates negated.
        let (rh_rows, flip) = right_handed(c.lattice().rows());
        let flip = flip && repr == LatticeRepr::LogCholesky;
        let mut frac = Vec::with_capacity(c.num_atoms());
        for f0 in c.frac_coords() {
            let mut f = [0.0; 3];
            for k in 0..3 {
                let x = if flip && k == 2 { -f0[k] } else { f0[k] };
                let (xt, target) = coords.add(x, rng);
                f[k] = xt;
                coord_target.push(target);
            }
            frac.push(f);
        }
        let lattice_noise = schedule.lattice.noise_at(t);
        let mut add = |x0: f64, rng: &mut Rng| {
            let (xt, e) = lattice_noise.add(x0, rng);
            lattice_target.push(e as f32);
            xt
        };
        let (lattice, lattice_z) = match repr {
            LatticeRepr::Matrix => {
                let l0 = c.lattice().rows();
                let mut lt = [[0.0; 3]; 3];
                for i in 0..3 {
                    for j in 0..3 {
                        lt[i][j] = add(l0[i][j], rng);
                    }
                }
                (lt, lt.iter().flatten().copied().collect())
            }
            LatticeRepr::LogCholesky => {
                let z0 = cfg.lattice_norm.encode(&rh_rows);
                let zt: Vec<f64> = z0.iter().map(|&z| add(z, rng)).collect();
                (cfg.lattice_norm.decode(&zt), zt)
            }
        };
        let z: Vec<u8> = c.species().iter().map(|e| e.z()).collect();
        let types_noisy = dng.then(|| {
            let noise = schedule.types.noise_at(t);
            let mut v = Vec::with_capacity(z.len() * N_TYPES);
            for &zi in &z {
                for k in 0..N_TYPES {
                    let x0 = if k + 1 == zi as usize { 1.0 } else { 0.0 };
                    let (xt, e) = noise.add(x0, rng);
                    type_target.push(e as f32);
                    v.push(xt as f32);
                }
            }
            v
        });
        noisy.push(NoisyCrystal {
            z,
            frac,
            lattice,
            t,
            lattice_z,
            types_noisy,
        });
    }
    let m = &cfg.model;
    NoisedBatch {
        inputs: GraphInputs::build(&noisy, m.k_freq, m.time_dim, 1000.0 / tmax as f64),
        coord_target,
        lattice_target,
        type_target: dng.then_some(type_target),
    }
}

/// (total, coordinate, lattice, type) loss tensors of one noised batch (type: zero for CSP).
pub(crate) fn batch_loss(
    model: &impl Denoiser,
    b: &NoisedBatch,
    cfg: &PeriodicTrainConfig,
    device: &Device,
) -> [Tensor<1>; 4] {
    batch_loss_weighted(model, b, cfg, device, [1.0, 1.0])
}

/// [`batch_loss`] of one part of a larger batch, whose total weighs the per-atom means
/// (coordinates, types) by `weights[0]` and the per-crystal mean (lattice) by `weights[1]`:
/// the part's share of the whole batch's atoms and crystals, so that the totals of the
/// parts add up to the whole batch's total. The returned parts are the part's own means.
pub(crate) fn batch_loss_weighted(
    model: &impl Denoiser,
    b: &NoisedBatch,
    cfg: &PeriodicTrainConfig,
    device: &Device,
    weights: [f64; 2],
) -> [Tensor<1>; 4] {
    let g = GraphTensors::new(&b.inputs, device);
    let out = model.denoise(&g);
    let n = b.inputs.n_atoms;
    let nb = b.inputs.n_graphs;
    let p = cfg.model.lattice.dim();
    let ct = Tensor::<2>::from_data(TensorData::new(b.coord_target.clone(), [n, 3]), device);
    let lt = Tensor::<2>::from_data(TensorData::new(b.lattice_target.clone(), [nb, p]), device);
    let coord = (out.coord_score - ct).square().mean();
    let lat = (out.lattice_eps - lt).square().mean();
    let [wa, wg] = weights;
    let mut total = coord.clone().mul_scalar(wa as f32)
        + lat.clone().mul_scalar((cfg.lattice_weight * wg) as f32);
    let types = match &b.type_target {
        Some(tt) => {
            let at = Tensor::<2>::from_data(TensorData::new(tt.clone(), [n, N_TYPES]), device);
            let l = (out.type_logits - at).square().mean();
            total = total + l.clone().mul_scalar((cfg.type_weight * wa) as f32);
            l
        }
        None => Tensor::<1>::zeros([1], device),
    };
    [total, coord, lat, types]
}

/// Mean losses of one pass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct LossParts {
    pub total: f64,
    pub coord: f64,
    pub lattice: f64,
    /// De novo task only (0 for CSP).
    #[serde(default)]
    pub types: f64,
}

/// One epoch's record.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochLog {
    pub epoch: usize,
    pub steps: usize,
    pub train: LossParts,
    pub val: Option<LossParts>,
    pub lr: f64,
    pub seconds: f64,
    pub structures_per_s: f64,
}

/// Training state: the network, the optimizer, the EMA weights and the history. Save it
/// with `checkpoint::save` and continue with `checkpoint::load_trainer`. Generic over the
/// denoiser; `Trainer::new` makes the `PeriodicDenoiser` one, `Trainer::init` any.
pub struct Trainer<M: TrainableDenoiser = PeriodicDenoiser> {
    pub cfg: PeriodicTrainConfig,
    pub schedule: NoiseSchedule,
    pub model: M,
    pub optim: burn::optim::ModuleOptimizer,
    /// AdamW on host arrays, used instead of `optim` when the denoiser gives host
    /// gradients (`TrainableDenoiser::HOST_GRADIENTS`); same update, same state file.
    pub host_optim: Option<crate::adamw::HostAdamW>,
    /// EMA of the weights, in the model's parameter order.
    pub ema: Vec<NamedParam>,
    /// Epochs completed.
    pub epoch: usize,
    /// Optimisation steps taken.
    pub step: usize,
    pub history: Vec<EpochLog>,
    /// Training crystals by atom count (index n = crystals with n atoms; see
    /// [`DataStats`]); the de novo sampler draws atom counts from it.
    pub atom_counts: Vec<u64>,
    /// Where the network trains (autodiff on), see [`Trainer::to_device`].
    pub device: Device,
    /// Steps take their gradients from burn's autodiff on `device` instead of the
    /// denoiser's hand-written backward: set by [`Trainer::to_device`] off the CPU; set by
    /// hand on the CPU it runs the GPU path's arithmetic there (tests compare the two).
    pub use_autodiff: bool,
    /// Copies of `model` on further devices for data-parallel steps (see
    /// [`Trainer::to_devices`]); empty on one device.
    pub replicas: Vec<(Device, M)>,
}

/// AdamW with the run's weight decay (its state is part of a checkpoint).
pub(crate) fn optimizer(cfg: &PeriodicTrainConfig) -> burn::optim::ModuleOptimizer {
    AdamWConfig::new()
        .with_weight_decay(cfg.weight_decay as f32)
        .init()
}

/// The error of a step whose loss is not finite.
fn check_finite(parts: &LossParts, epoch: usize, step: usize) -> Result<(), DiffusionError> {
    if parts.total.is_finite() {
        Ok(())
    } else {
        Err(DiffusionError::NonFiniteLoss {
            epoch,
            step: step + 1,
            loss: parts.total as f32,
        })
    }
}

/// Host gradients (by parameter id, burn layouts) as burn's `GradientsParams`, for
/// burn's optimizer (a trainer without a host optimizer).
fn host_to_burn<M: burn::module::Module>(
    model: &M,
    mut by_id: super::model::HostGradients,
) -> GradientsParams {
    super::backprop::gradients_params(
        collect(model)
            .into_iter()
            .filter_map(|p| Some((p.id, p.shape, by_id.remove(&p.id)?))),
    )
}

/// Copies the model's new weights to the models on the other devices.
fn sync_replicas<M: TrainableDenoiser>(
    replicas: &mut [(Device, M)],
    params: &[NamedParam],
) -> Result<(), DiffusionError> {
    for (_, m) in replicas {
        *m = restore(m.clone(), params, std::path::Path::new("<memory>"))?;
    }
    Ok(())
}

/// Crystals of `data` by atom count (index = atoms).
pub fn atom_count_histogram(data: &[Crystal]) -> Vec<u64> {
    let mut h = vec![0u64; data.iter().map(|c| c.num_atoms()).max().unwrap_or(0) + 1];
    for c in data {
        h[c.num_atoms()] += 1;
    }
    h
}

impl Trainer {
    /// A fresh run of the `periodic` denoiser (see [`Trainer::init`]).
    pub fn new(cfg: PeriodicTrainConfig, stats: DataStats) -> Result<Self, DiffusionError> {
        Self::init(cfg, stats)
    }
}

impl<M: TrainableDenoiser> Trainer<M> {
    /// A fresh run with the statistics fitted to its training data (`DataStats::fit`;
    /// `DataStats::default()`, the identity standardisation, only where the lattice is
    /// the plain matrix or a test wants it).
    pub fn init(mut cfg: PeriodicTrainConfig, stats: DataStats) -> Result<Self, DiffusionError> {
        cfg.lattice_norm = stats.lattice_norm;
        cfg.validate()?;
        let device = Device::flex().autodiff();
        let model = M::init(&cfg.model, cfg.seed, &device);
        let ema = collect(&model);
        Ok(Trainer {
            schedule: cfg.schedule(),
            optim: optimizer(&cfg),
            host_optim: M::HOST_GRADIENTS.then(|| crate::adamw::HostAdamW::new(cfg.weight_decay)),
            model,
            ema,
            epoch: 0,
            step: 0,
            history: Vec::new(),
            atom_counts: stats.atom_counts,
            device,
            use_autodiff: false,
            replicas: Vec::new(),
            cfg,
        })
    }

    /// Moves training to `device` (from [`crate::Compute::device`]). On the CPU the
    /// hand-written backward of a denoiser with host gradients runs; elsewhere (a GPU)
    /// burn's autodiff on that device, its gradients read back and applied by the same
    /// host AdamW, so the optimizer state file is the same and a run can continue on
    /// another device from any checkpoint.
    pub fn to_device(&mut self, device: &Device) -> Result<(), DiffusionError> {
        let device = device.clone().autodiff();
        // Fresh trainable tensors there (burn's `to_device` does not keep them tracked).
        self.model = self.replica_on(&device)?;
        self.device = device;
        self.replicas.clear();
        self.use_autodiff = !crate::compute::is_cpu(&self.device);
        Ok(())
    }

    /// A copy of the model with its own trainable tensors on `device` (autodiff on).
    fn replica_on(&self, device: &Device) -> Result<M, DiffusionError> {
        let m = M::init(&self.cfg.model, self.cfg.seed, device);
        restore(m, &collect(&self.model), std::path::Path::new("<memory>"))
    }

    /// Data-parallel training over `devices` (the first holds the model; one is
    /// [`Trainer::to_device`]): each step splits its batch into one contiguous part per
    /// device — noised as the whole batch would be, crystal by crystal from the batch's
    /// stream — runs burn's autodiff on every device at once, adds the gradients on the
    /// host (each part's loss weighted by its share of the batch's atoms and crystals, so
    /// the sum is the whole batch's gradient), clips their global norm and takes one host
    /// AdamW step, whose weights go back to every device. burn 0.22's own collective
    /// operations (`DistributedOps`, used by burn-train) need a multi-device runtime we do
    /// not build (CUDA, or several wgpu adapters); this host all-reduce works with any.
    pub fn to_devices(&mut self, devices: &[Device]) -> Result<(), DiffusionError> {
        let Some((first, rest)) = devices.split_first() else {
            return Err(DiffusionError::Config("no devices to train on".into()));
        };
        self.to_device(first)?;
        // Fresh tensors on each device (a clone would share the model's autodiff leaves,
        // whose tape one backward pass consumes), holding the model's weights.
        let mut replicas = Vec::new();
        for d in rest {
            let d = d.clone().autodiff();
            let m = self.replica_on(&d)?;
            replicas.push((d, m));
        }
        self.replicas = replicas;
        if !self.replicas.is_empty() {
            self.use_autodiff = true;
        }
        Ok(())
    }

    /// The devices a step runs on (the model's first).
    pub fn devices(&self) -> Vec<Device> {
        std::iter::once(self.device.clone())
            .chain(self.replicas.iter().map(|(d, _)| d.clone()))
            .collect()
    }

    /// One data-parallel step's losses (means over the whole batch) and clipped host
    /// gradients: part k of `parts` on device k (see [`Trainer::to_devices`]).
    fn data_parallel_gradients(
        &self,
        parts: &[NoisedBatch],
    ) -> (LossParts, super::model::HostGradients) {
        let atoms: usize = parts.iter().map(|p| p.inputs.n_atoms).sum();
        let crystals: usize = parts.iter().map(|p| p.inputs.n_graphs).sum();
        let models: Vec<(&Device, &M)> = std::iter::once((&self.device, &self.model))
            .chain(self.replicas.iter().map(|(d, m)| (d, m)))
            .collect();
        // Each part's forward and backward are queued on its device in turn (burn's GPU
        // backends run them asynchronously, so the devices work at the same time); the
        // gradients are read back once all are queued. Replicas share parameter ids, which
        // burn's autodiff keys its tape by, so their graphs are built one after another.
        type Queued<'a, M> = ([Tensor<1>; 4], [f64; 2], GradientsParams, &'a M);
        let queued: Vec<Queued<'_, M>> = parts
            .iter()
            .zip(&models)
            .map(|(nb, (device, model))| {
                let w = [
                    nb.inputs.n_atoms as f64 / atoms.max(1) as f64,
                    nb.inputs.n_graphs as f64 / crystals.max(1) as f64,
                ];
                let plain = (*device).clone().without_autodiff();
                let losses = batch_loss_weighted(*model, nb, &self.cfg, &plain, w);
                let grads = GradientsParams::from_grads(losses[0].clone().backward(), *model);
                (losses, w, grads, *model)
            })
            .collect();
        // Nothing above waits for a device; reading the numbers back does.
        let results: Vec<(LossParts, super::model::HostGradients)> = queued
            .into_iter()
            .map(|([loss, coord, lat, types], w, g, model)| {
                let scalar = |t: Tensor<1>| t.into_scalar::<f32>() as f64;
                // The part's share of the whole batch's means.
                let parts = LossParts {
                    total: scalar(loss),
                    coord: scalar(coord) * w[0],
                    lattice: scalar(lat) * w[1],
                    types: scalar(types) * w[0],
                };
                (parts, crate::params::gradients_to_host(model, &g))
            })
            .collect();
        let mut sum = LossParts::default();
        let mut grads: super::model::HostGradients = Default::default();
        for (p, g) in results {
            sum.total += p.total;
            sum.coord += p.coord;
            sum.lattice += p.lattice;
            sum.types += p.types;
            for (id, v) in g {
                match grads.get_mut(&id) {
                    Some(acc) => acc.iter_mut().zip(&v).for_each(|(a, b)| *a += b),
                    None => {
                        grads.insert(id, v);
                    }
                }
            }
        }
        // Global-norm clipping of the summed gradient, as `clip_global_norm`.
        let norm = grads
            .values()
            .flat_map(|v| v.iter())
            .map(|&x| x as f64 * x as f64)
            .sum::<f64>()
            .sqrt();
        let coef = self.cfg.grad_clip / (norm + 1e-6);
        if coef < 1.0 {
            grads
                .values_mut()
                .for_each(|v| v.iter_mut().for_each(|x| *x *= coef as f32));
        }
        (sum, grads)
    }

    /// Whether steps use the denoiser's hand-written backward (CPU) or burn's autodiff.
    fn host_backward(&self) -> bool {
        M::HOST_GRADIENTS && !self.use_autodiff
    }

    /// The mean losses of a noised batch and the clipped gradients of their total from
    /// burn's autodiff on the trainer's device, as host arrays by parameter id.
    fn autodiff_gradients(&self, nb: &NoisedBatch) -> (LossParts, super::model::HostGradients) {
        let (parts, grads) = self.autodiff_step(nb);
        (parts, crate::params::gradients_to_host(&self.model, &grads))
    }

    /// Losses and clipped burn gradients of one noised batch on the trainer's device.
    fn autodiff_step(&self, nb: &NoisedBatch) -> (LossParts, GradientsParams) {
        let plain = self.device.clone().without_autodiff();
        let [loss, coord, lat, types] = batch_loss(&self.model, nb, &self.cfg, &plain);
        let scalar = |t: Tensor<1>| t.into_scalar::<f32>() as f64;
        let parts = LossParts {
            total: scalar(loss.clone()),
            coord: scalar(coord),
            lattice: scalar(lat),
            types: scalar(types),
        };
        let mut grads = GradientsParams::from_grads(loss.backward(), &self.model);
        clip_global_norm(&self.model, &mut grads, self.cfg.grad_clip);
        (parts, grads)
    }

    /// The EMA weights in a network ready for inference.
    pub fn ema_model(&self) -> Result<M, DiffusionError> {
        let plain = Device::flex();
        let m = M::init(&self.cfg.model, self.cfg.seed, &plain);
        restore(m, &self.ema, std::path::Path::new("<memory>"))
    }

    /// [`Trainer::ema_model`] with its weights on `device` (for sampling on a GPU).
    pub fn ema_model_on(&self, device: &Device) -> Result<M, DiffusionError> {
        let m = self.ema_model()?;
        Ok(if crate::compute::is_cpu(device) {
            m
        } else {
            m.to_device(device)
        })
    }

    /// Runs one epoch over `train`; `on_step(step_in_epoch, steps_in_epoch, loss)` after
    /// each step. Returns the epoch's mean training losses.
    pub fn run_epoch(
        &mut self,
        train: &[Crystal],
        mut on_step: impl FnMut(usize, usize, f64),
    ) -> Result<LossParts, DiffusionError> {
        let epoch = self.epoch + 1;
        let mut order: Vec<usize> = (0..train.len()).collect();
        Rng::derive(self.cfg.seed, 0xe90c_0000 + epoch as u64).shuffle(&mut order);
        let batches: Vec<&[usize]> = order.chunks(self.cfg.batch_size).collect();
        let n_batches = batches.len();
        let total_steps = self.cfg.epochs * train.len().div_ceil(self.cfg.batch_size);
        let host_backward = self.host_backward();
        let mut sum = LossParts::default();
        // Batch bi's noise comes from its own stream, so batch bi + 1 is noised on another
        // core while bi's gradients are computed.
        // With several devices the batch is cut into one contiguous part per device, each
        // noised in turn from the batch's one stream: the parts are the whole batch's noise.
        let n_parts = 1 + self.replicas.len();
        let noised = |bi: usize| -> Vec<NoisedBatch> {
            let mut rng = Rng::derive(self.cfg.seed ^ ((epoch as u64) << 32), bi as u64);
            let crystals: Vec<&Crystal> = batches[bi].iter().map(|&i| &train[i]).collect();
            crystals
                .chunks(crystals.len().div_ceil(n_parts).max(1))
                .map(|part| noise_batch(part, &self.schedule, &self.cfg, &mut rng))
                .collect()
        };
        // Likewise the EMA of step k's weights is taken during step k + 1's gradients
        // (both only read the weights; the updates keep their order).
        let decay = self.cfg.ema_decay;
        let mut next = (n_batches > 0).then(|| noised(0));
        let mut pending_ema: Option<Vec<NamedParam>> = None;
        for bi in 0..n_batches {
            let Some(parts) = next.take() else { break };
            let nb = &parts[0];
            let ema = &mut self.ema;
            let model = &self.model;
            let weights = pending_ema.take();
            let (host, following) = rayon::join(
                || {
                    if host_backward {
                        model.host_gradients(nb, &self.cfg)
                    } else {
                        None
                    }
                },
                || {
                    if let Some(w) = &weights {
                        ema_update(ema, w, decay);
                    }
                    (bi + 1 < n_batches).then(|| noised(bi + 1))
                },
            );
            next = following;
            let lr = self.cfg.lr_at(self.step, total_steps);
            // Off the CPU the host optimizer takes autodiff's gradients.
            let host = match host {
                None if parts.len() > 1 => Some(self.data_parallel_gradients(&parts)),
                None if self.host_optim.is_some() => Some(self.autodiff_gradients(nb)),
                h => h,
            };
            let parts = match (host, self.host_optim.as_mut()) {
                (Some((parts, grads)), Some(adamw)) => {
                    check_finite(&parts, epoch, self.step)?;
                    // AdamW on host arrays, then the new weights back into the module.
                    let mut params = collect(&self.model);
                    let by_param: Vec<Option<Vec<f32>>> =
                        params.iter().map(|p| grads.get(&p.id).cloned()).collect();
                    adamw.step(lr, &mut params, &by_param);
                    self.model = restore(
                        self.model.clone(),
                        &params,
                        std::path::Path::new("<memory>"),
                    )?;
                    sync_replicas(&mut self.replicas, &params)?;
                    pending_ema = Some(params);
                    parts
                }
                (host, _) => {
                    let (parts, grads) = match host {
                        Some((parts, by_id)) => (parts, host_to_burn(&self.model, by_id)),
                        None => self.autodiff_step(nb),
                    };
                    check_finite(&parts, epoch, self.step)?;
                    // A clone shares the parameter tensors (reference counted); it only
                    // hands the optimizer an owned module.
                    self.model = self.optim.step(lr, self.model.clone(), grads);
                    let params = collect(&self.model);
                    sync_replicas(&mut self.replicas, &params)?;
                    pending_ema = Some(params);
                    parts
                }
            };
            self.step += 1;
            sum.total += parts.total;
            sum.coord += parts.coord;
            sum.lattice += parts.lattice;
            sum.types += parts.types;
            on_step(bi + 1, n_batches, parts.total);
        }
        if let Some(w) = pending_ema {
            ema_update(&mut self.ema, &w, decay);
        }
        self.epoch = epoch;
        let k = n_batches.max(1) as f64;
        Ok(LossParts {
            total: sum.total / k,
            coord: sum.coord / k,
            lattice: sum.lattice / k,
            types: sum.types / k,
        })
    }

    /// Mean losses of the EMA weights on `val`, with noise drawn from a fixed stream so that
    /// epochs are comparable.
    pub fn val_loss(&self, val: &[Crystal]) -> Result<LossParts, DiffusionError> {
        let model = self.ema_model()?;
        let net = model.inference();
        let (mut ws, mut out) = (Workspace::default(), HostOutputs::default());
        let mut sum = LossParts::default();
        let mut weight = 0.0;
        for (bi, chunk) in val.chunks(self.cfg.batch_size.max(16)).enumerate() {
            let mut rng = Rng::derive(self.cfg.seed, 0x7a1_0000 + bi as u64);
            let crystals: Vec<&Crystal> = chunk.iter().collect();
            let nb = noise_batch(&crystals, &self.schedule, &self.cfg, &mut rng);
            let t = Targets::of(&nb, &self.cfg);
            net.run(&nb.inputs, t.types.is_some(), &mut ws, &mut out);
            let l = t.losses(&t.squared_errors(&out));
            let w = chunk.len() as f64;
            sum.types += l.types * w;
            sum.total += l.total * w;
            sum.coord += l.coord * w;
            sum.lattice += l.lattice * w;
            weight += w;
        }
        Ok(LossParts {
            total: sum.total / weight,
            coord: sum.coord / weight,
            lattice: sum.lattice / weight,
            types: sum.types / weight,
        })
    }
    /// Changes the total number of epochs (never below those already run), e.g. to
    /// continue a resumed run further; the cosine learning-rate decay stretches to the new
    /// total.
    pub fn set_total_epochs(&mut self, epochs: usize) {
        self.cfg.epochs = epochs.max(self.epoch);
    }

    /// Optimisation steps of one epoch over `n_train` crystals.
    pub fn steps_per_epoch(&self, n_train: usize) -> usize {
        n_train.div_ceil(self.cfg.batch_size)
    }

    /// Trains until `cfg.epochs` epochs are done (continuing a resumed run where it
    /// stopped): each epoch runs [`Trainer::run_epoch`], measures the validation loss of
    /// the EMA weights on `val` (when not empty), appends its [`EpochLog`] to `history`,
    /// tells `observer`, and writes a checkpoint when `checkpoints` says so (every
    /// `every` epochs and after the last).
    pub fn fit(
        &mut self,
        train: &[Crystal],
        val: &[Crystal],
        checkpoints: Option<&Checkpointing>,
        observer: &mut impl Observer,
    ) -> Result<(), DiffusionError> {
        let steps_per_epoch = self.steps_per_epoch(train.len());
        let total = self.cfg.epochs;
        while self.epoch < total {
            let epoch = self.epoch + 1;
            observer.epoch_started(epoch, total, steps_per_epoch);
            let t0 = std::time::Instant::now();
            let lr = self.cfg.lr_at(self.step, total * steps_per_epoch);
            let loss = self.run_epoch(train, |i, n, l| observer.step(epoch, i, n, l))?;
            let seconds = t0.elapsed().as_secs_f64();
            observer.epoch_trained(epoch);
            let val_loss = if val.is_empty() {
                None
            } else {
                Some(self.val_loss(val)?)
            };
            let log = EpochLog {
                epoch,
                steps: self.step,
                train: loss,
                val: val_loss,
                lr,
                seconds,
                structures_per_s: train.len() as f64 / seconds,
            };
            self.history.push(log);
            observer.epoch_finished(&self.cfg, &self.history)?;
            if let Some(c) = checkpoints {
                if epoch.is_multiple_of(c.every.max(1)) || epoch == total {
                    super::checkpoint::save(self, &c.dir, &c.data)?;
                    observer.checkpoint_written(&c.dir);
                }
            }
        }
        Ok(())
    }
}

/// Where and how often [`Trainer::fit`] writes checkpoints.
#[derive(Debug, Clone)]
pub struct Checkpointing {
    /// The checkpoint folder (replaced atomically each time).
    pub dir: std::path::PathBuf,
    /// Every this many epochs (and after the last).
    pub every: usize,
    /// Description of the data, stored with the checkpoint.
    pub data: serde_json::Value,
}

/// What [`Trainer::fit`] reports while it runs. Every method does nothing by default.
pub trait Observer {
    /// Before epoch `epoch` (1-based) of `total`, which takes `steps` optimisation steps.
    fn epoch_started(&mut self, _epoch: usize, _total: usize, _steps: usize) {}
    /// After step `step` (1-based) of `steps` in epoch `epoch`, with its loss.
    fn step(&mut self, _epoch: usize, _step: usize, _steps: usize, _loss: f64) {}
    /// After the last step of epoch `epoch`, before its validation loss is measured.
    fn epoch_trained(&mut self, _epoch: usize) {}
    /// After an epoch, with the run's settings and history (the epoch's record last); an
    /// error stops training.
    fn epoch_finished(
        &mut self,
        _cfg: &PeriodicTrainConfig,
        _history: &[EpochLog],
    ) -> Result<(), DiffusionError> {
        Ok(())
    }
    /// After a checkpoint was written to `dir`.
    fn checkpoint_written(&mut self, _dir: &std::path::Path) {}
}

/// An observer that ignores everything.
impl Observer for () {}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> PeriodicTrainConfig {
        PeriodicTrainConfig {
            model: PeriodicConfig {
                hidden: 32,
                layers: 2,
                k_freq: 4,
                time_dim: 16,
                ..PeriodicConfig::default()
            },
            timesteps: 100,
            epochs: 30,
            batch_size: 7,
            lr: 2e-3,
            warmup_steps: 5,
            ema_decay: 0.9,
            ..PeriodicTrainConfig::default()
        }
    }

    #[test]
    fn loss_falls_on_the_demo_crystals_and_runs_are_reproducible() {
        let data: Vec<Crystal> = crystal::demo::demo_crystals(1);
        let run = || {
            let mut cfg = small();
            cfg.epochs = 60;
            let mut tr = Trainer::new(cfg, DataStats::fit(&data)).unwrap();
            let mut losses = Vec::new();
            for _ in 0..tr.cfg.epochs {
                losses.push(tr.run_epoch(&data, |_, _, _| {}).unwrap().total);
            }
            (losses, tr.val_loss(&data).unwrap())
        };
        let (a, va) = run();
        let first: f64 = a[..5].iter().sum::<f64>() / 5.0;
        let last: f64 = a[a.len() - 5..].iter().sum::<f64>() / 5.0;
        assert!(last < 0.8 * first, "{a:?}");
        let (b, vb) = run();
        assert_eq!(a, b);
        assert_eq!(va, vb);
    }

    /// The GPU path (burn's autodiff, gradients read back into the host AdamW) run on the
    /// CPU: the same losses and weights as the hand-written backward, to float rounding.
    #[test]
    fn autodiff_steps_match_the_hand_written_backward() {
        let data: Vec<Crystal> = crystal::demo::demo_crystals(1);
        let run = |autodiff: bool| {
            let mut cfg = small();
            cfg.epochs = 2;
            let mut tr = Trainer::new(cfg, DataStats::fit(&data)).unwrap();
            tr.use_autodiff = autodiff;
            let mut losses = Vec::new();
            for _ in 0..2 {
                losses.push(tr.run_epoch(&data, |_, _, _| {}).unwrap());
            }
            (losses, collect(&tr.model))
        };
        let (la, wa) = run(false);
        let (lb, wb) = run(true);
        for (a, b) in la.iter().zip(&lb) {
            for (x, y) in [
                (a.total, b.total),
                (a.coord, b.coord),
                (a.lattice, b.lattice),
            ] {
                assert!((x - y).abs() <= 1e-4 * x.abs().max(1e-3), "{la:?} {lb:?}");
            }
        }
        let mut worst = 0.0f32;
        for (a, b) in wa.iter().zip(&wb) {
            assert_eq!(a.name, b.name);
            for (x, y) in a.data.iter().zip(&b.data) {
                worst = worst.max((x - y).abs());
            }
        }
        // 6 AdamW steps of lr ≤ 2e-3 move a weight by at most ~1e-2; the paths agree far
        // below that.
        assert!(worst < 2e-4, "largest weight difference {worst}");
        // Two different backward passes round differently somewhere: equal bits would
        // mean the flag changed nothing.
        assert!(worst > 0.0, "both runs took the same path");
        assert!(la[0].total != la[1].total);
    }

    /// Data parallel over two devices (two CPU replicas here): each step's parts add up to
    /// the whole batch, so losses and weights are those of one device, to float rounding.
    #[test]
    fn two_devices_train_as_one() {
        for task in [Task::Csp, Task::Dng] {
            two_devices_train_as_one_for(task);
        }
    }

    fn two_devices_train_as_one_for(task: Task) {
        let data: Vec<Crystal> = crystal::demo::demo_crystals(1);
        let run = |devices: usize| {
            let mut cfg = small();
            cfg.epochs = 2;
            cfg.task = task;
            let mut tr = Trainer::new(cfg, DataStats::fit(&data)).unwrap();
            tr.to_devices(&vec![Device::flex(); devices]).unwrap();
            // One device: burn's autodiff on the whole batch (as on a GPU).
            tr.use_autodiff = true;
            assert_eq!(tr.devices().len(), devices);
            let mut losses = Vec::new();
            for _ in 0..2 {
                losses.push(tr.run_epoch(&data, |_, _, _| {}).unwrap());
            }
            let replica = tr.replicas.first().map(|(_, m)| collect(m));
            (losses, collect(&tr.model), replica)
        };
        let (la, wa, _) = run(1);
        let (lb, wb, rb) = run(2);
        for (a, b) in la.iter().zip(&lb) {
            for (x, y) in [
                (a.total, b.total),
                (a.coord, b.coord),
                (a.lattice, b.lattice),
                (a.types, b.types),
            ] {
                assert!((x - y).abs() <= 1e-4 * x.abs().max(1e-3), "{la:?} {lb:?}");
            }
        }
        assert_eq!(la[0].types > 0.0, task == Task::Dng);
        let worst = wa
            .iter()
            .zip(&wb)
            .flat_map(|(a, b)| a.data.iter().zip(&b.data).map(|(x, y)| (x - y).abs()))
            .fold(0.0f32, f32::max);
        assert!(worst < 2e-4, "largest weight difference {worst}");
        // The second device holds the same weights after every step.
        assert_eq!(rb.unwrap(), wb);
    }

    #[test]
    fn a_left_handed_cell_is_trained_as_the_same_crystal() {
        use crystal::{Element, Lattice};
        let rows = [[3.1, 0.2, 0.1], [0.4, 4.2, -0.3], [0.5, 0.6, 5.3]];
        let frac = vec![[0.1, 0.2, 0.3], [0.6, 0.15, 0.8], [0.35, 0.7, 0.05]];
        let species = vec![Element::from_z(14).unwrap(); 3];
        let right =
            Crystal::new(Lattice::new(rows).unwrap(), species.clone(), frac.clone()).unwrap();
        // The same crystal described with −c and negated third coordinates.
        let mut mirror_rows = rows;
        mirror_rows[2] = rows[2].map(|x| -x);
        let left = Crystal::new(
            Lattice::new(mirror_rows).unwrap(),
            species,
            frac.iter().map(|f| [f[0], f[1], 1.0 - f[2]]).collect(),
        )
        .unwrap();
        assert!(left.lattice().determinant() < 0.0);
        let cfg = PeriodicTrainConfig::default();
        let sched = cfg.schedule();
        let a = noise_batch(&[&right], &sched, &cfg, &mut Rng::new(5));
        let b = noise_batch(&[&left], &sched, &cfg, &mut Rng::new(5));
        for (x, y) in a.inputs.edge_attr.iter().zip(&b.inputs.edge_attr) {
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
        assert_eq!(a.lattice_target, b.lattice_target);
        for (x, y) in a.coord_target.iter().zip(&b.coord_target) {
            assert!((x - y).abs() < 1e-4, "{x} vs {y}");
        }
    }

    #[test]
    fn sizes_beyond_the_limits_are_refused_before_allocating() {
        for (cfg, field) in [
            (
                PeriodicTrainConfig {
                    timesteps: 4_294_967_296,
                    ..small()
                },
                "timesteps",
            ),
            (
                PeriodicTrainConfig {
                    model: PeriodicConfig {
                        k_freq: 4_294_967_296,
                        ..small().model
                    },
                    ..small()
                },
                "k_freq",
            ),
            (
                PeriodicTrainConfig {
                    model: PeriodicConfig {
                        hidden: 100_000,
                        ..small().model
                    },
                    ..small()
                },
                "hidden",
            ),
            (
                PeriodicTrainConfig {
                    model: PeriodicConfig {
                        layers: 1_000_000,
                        ..small().model
                    },
                    ..small()
                },
                "layers",
            ),
        ] {
            let err = cfg.validate().unwrap_err().to_string();
            assert!(err.starts_with(field) && err.contains("at most"), "{err}");
        }
        assert!(small().validate().is_ok());
    }

    #[test]
    fn bad_settings_and_data_are_named() {
        let mut c = small();
        c.lr = 0.0;
        assert!(c.validate().unwrap_err().to_string().contains("lr"));
        let mut c = small();
        c.sigma_max = 0.001;
        assert!(c.validate().unwrap_err().to_string().contains("sigma_max"));
        assert!(check_data(&[], 10, "train").is_err());
        let big = crystal::demo::diamond_c();
        let err = check_data(&[big], 4, "train").unwrap_err().to_string();
        assert!(
            err.contains("8 atoms") && err.contains("max_atoms 4"),
            "{err}"
        );
    }

    #[test]
    fn cosine_schedule_warms_up_and_decays() {
        let c = PeriodicTrainConfig {
            lr: 1e-3,
            lr_min: 1e-5,
            warmup_steps: 10,
            ..PeriodicTrainConfig::default()
        };
        assert!((c.lr_at(0, 1000) - 1e-4).abs() < 1e-12);
        assert!((c.lr_at(9, 1000) - 1e-3).abs() < 1e-12);
        assert!((c.lr_at(1000, 1000) - 1e-5).abs() < 1e-12);
        assert!(c.lr_at(500, 1000) < 1e-3 && c.lr_at(500, 1000) > 1e-5);
    }
}
