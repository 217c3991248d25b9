//! Training the seed MLP exactly as the notebook does.
//!
//! Batches pad every structure to `max_atoms` (the largest in the data): positions
//! (B, max_atoms, 3), mask (B, max_atoms). Each epoch reshuffles and drops the last
//! incomplete batch. The loss is the notebook's: mean over all B·max_atoms·3 entries of
//! (ε̂·m − ε·m)², so padding entries count in the denominator (why the first loss is
//! ≈ 0.57 rather than ≈ 1). Padding rows contribute exactly zero to that sum and to the
//! gradients, so only real atoms are run through the network; the denominator stays
//! B·max_atoms·3. AdamW (decoupled weight decay, as PyTorch), global-L2-norm clipping at 1.0.

use super::model::{SeedMlp, SeedMlpConfig};
use crate::clip::clip_global_norm;
use crate::error::DiffusionError;
use crate::schedule::LinearSchedule;
use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData};
use crystal::rng::Rng;
use crystal::Crystal;
use serde::{Deserialize, Serialize};

/// Optimisation settings. `Default` is the notebook's (AdamW lr 1e-4, weight decay 1e-4,
/// betas (0.9, 0.999), eps 1e-8, clip 1.0, 50 epochs of batch 4).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub weight_decay: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// Maximum global L2 norm of the gradients.
    pub grad_clip: f64,
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 50,
            batch_size: 4,
            lr: 1e-4,
            weight_decay: 1e-4,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            grad_clip: 1.0,
            seed: 42,
        }
    }
}

impl TrainConfig {
    /// Checks the settings against a data set of `n` structures.
    pub fn validate(&self, n: usize) -> Result<(), DiffusionError> {
        use DiffusionError as E;
        if self.epochs == 0 {
            return Err(E::invalid("epochs", self.epochs, "must be at least 1"));
        }
        if self.batch_size == 0 || self.batch_size > n {
            return Err(E::invalid(
                "batch_size",
                self.batch_size,
                format!("must be between 1 and the number of training structures ({n})"),
            ));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(E::invalid("lr", self.lr, "must be a positive number"));
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay.is_finite()) {
            return Err(E::invalid(
                "weight_decay",
                self.weight_decay,
                "must be zero or positive",
            ));
        }
        Ok(())
    }
}

/// A trained network and its loss history.
#[derive(Debug)]
pub struct TrainOutcome {
    /// The trained network, detached from autodiff, ready to sample.
    pub model: SeedMlp,
    /// One row per optimisation step (1-based epoch and global step, and the loss).
    pub steps: Vec<run::LossRow>,
    /// Mean loss of each epoch.
    pub epoch_losses: Vec<f64>,
}

/// Fractional coordinates padded to `max_atoms` rows and their mask.
struct Padded {
    max_atoms: usize,
    /// (N, max_atoms, 3) row-major.
    pos: Vec<f32>,
    /// (N, max_atoms).
    mask: Vec<f32>,
}

fn pad(data: &[Crystal]) -> Padded {
    let max_atoms = data.iter().map(|c| c.num_atoms()).max().unwrap_or(0);
    let mut pos = vec![0f32; data.len() * max_atoms * 3];
    let mut mask = vec![0f32; data.len() * max_atoms];
    for (s, c) in data.iter().enumerate() {
        for (a, f) in c.frac_coords().iter().enumerate() {
            let r = s * max_atoms + a;
            mask[r] = 1.0;
            for k in 0..3 {
                pos[r * 3 + k] = f[k] as f32;
            }
        }
    }
    Padded {
        max_atoms,
        pos,
        mask,
    }
}

/// Trains a fresh seed MLP on `data`. `on_epoch(epoch, mean_loss)` is called after each
/// epoch. The same `cfg.seed` gives the same losses and weights, bit for bit.
pub fn train(
    data: &[Crystal],
    schedule: &LinearSchedule,
    model_cfg: &SeedMlpConfig,
    cfg: &TrainConfig,
    mut on_epoch: impl FnMut(usize, f64),
) -> Result<TrainOutcome, DiffusionError> {
    cfg.validate(data.len())?;
    let device = Device::flex().autodiff();
    let plain = Device::flex();
    let mut model = SeedMlp::new(model_cfg, cfg.seed, &device);
    let mut optim = AdamWConfig::new()
        .with_beta_1(cfg.beta1 as f32)
        .with_beta_2(cfg.beta2 as f32)
        .with_epsilon(cfg.eps as f32)
        .with_weight_decay(cfg.weight_decay as f32)
        .init();
    let padded = pad(data);
    let m = padded.max_atoms;
    let b = cfg.batch_size;
    let tmax = schedule.timesteps();
    let mut rng = Rng::derive(cfg.seed, 0x7a41);
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut steps = Vec::new();
    let mut epoch_losses = Vec::with_capacity(cfg.epochs);
    let mut xt: Vec<f32> = Vec::with_capacity(b * m * 3);
    let mut target: Vec<f32> = Vec::with_capacity(b * m * 3);
    let mut rows: Vec<i64> = Vec::with_capacity(b * m);
    let mut ts = vec![0usize; b];
    for epoch in 1..=cfg.epochs {
        rng.shuffle(&mut order);
        let mut sum = 0.0;
        let mut count = 0;
        for batch in order.chunks_exact(b) {
            // Only real atoms enter the network: a padding row's output is multiplied by 0,
            // so it adds nothing to the loss or the gradients, but it still counts in the
            // notebook's denominator B·max_atoms·3.
            xt.clear();
            target.clear();
            rows.clear();
            for (bi, &s) in batch.iter().enumerate() {
                let t = rng.below(tmax);
                ts[bi] = t;
                let (sa, sb) = (
                    schedule.sqrt_alphas_cumprod[t],
                    schedule.sqrt_one_minus_alphas_cumprod[t],
                );
                for a in 0..m {
                    let src = s * m + a;
                    let real = padded.mask[src] > 0.5;
                    for k in 0..3 {
                        // Drawn for padding too, so each real atom's noise does not depend
                        // on how its batch is laid out.
                        let eps = rng.normal();
                        if real {
                            let x0 = padded.pos[src * 3 + k] as f64;
                            xt.push((sa * x0 + sb * eps) as f32);
                            target.push(eps as f32);
                        }
                    }
                    if real {
                        rows.push(bi as i64);
                    }
                }
            }
            let n = rows.len();
            let x = Tensor::<2>::from_data(TensorData::new(xt.clone(), [n, 3]), &plain);
            let tgt = Tensor::<2>::from_data(TensorData::new(target.clone(), [n, 3]), &plain);
            let idx = Tensor::<1, Int>::from_data(TensorData::new(rows.clone(), [n]), &plain);
            let t_sin = model.time_input(&ts, &plain);
            let pred = model.forward(x, t_sin, Some(idx));
            let loss = (pred - tgt).square().sum().div_scalar((b * m * 3) as f32);
            let value = loss.clone().into_scalar::<f32>();
            let step = steps.len() + 1;
            if !value.is_finite() {
                return Err(DiffusionError::NonFiniteLoss {
                    epoch,
                    step,
                    loss: value,
                });
            }
            let mut grads = GradientsParams::from_grads(loss.backward(), &model);
            clip_global_norm(&model, &mut grads, cfg.grad_clip);
            model = optim.step(cfg.lr, model, grads);
            steps.push(run::LossRow {
                epoch,
                step,
                loss: value as f64,
                ..run::LossRow::default()
            });
            sum += value as f64;
            count += 1;
        }
        let mean = sum / count as f64;
        epoch_losses.push(mean);
        on_epoch(epoch, mean);
    }
    Ok(TrainOutcome {
        model: model.valid(),
        steps,
        epoch_losses,
    })
}
