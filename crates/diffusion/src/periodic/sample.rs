//! Sampling the `periodic` model for crystal structure prediction: given the atoms of
//! each crystal, generate its lattice and fractional coordinates.
//!
//! Start from uniform fractional coordinates and a standard-normal lattice; then, over a
//! decreasing subsequence of `steps` timesteps t → t′ of 1..=T:
//! - coordinates (variance-exploding reverse step on the torus):
//!   f ← (f + (σ_t² − σ_t′²)·ŝ·√λ_t + √((σ_t² − σ_t′²)·σ_t′²/σ_t²)·z) mod 1;
//! - lattice (DDPM ancestral step between ᾱ_t and ᾱ_t′): L̂₀ = (L − √(1−ᾱ_t)·ε̂)/√ᾱ_t,
//!   L ← √ᾱ_t′·L̂₀ + √(1−ᾱ_t′−η²)·ε̂ + η·z with η² = (1−ᾱ_t′)/(1−ᾱ_t)·(1−ᾱ_t/ᾱ_t′),
//!   L̂₀ clipped entry-wise to ±20 Å.
//!
//! Each crystal draws from its own stream (seed, index), so results do not depend on how
//! crystals are batched or on the number of threads.

use super::batch::{GraphInputs, NoisyCrystal};
use super::model::{GraphTensors, PeriodicDenoiser};
use super::noise::NoiseSchedule;
use super::train::PeriodicTrainConfig;
use crate::error::DiffusionError;
use burn::tensor::Device;
use crystal::rng::Rng;
use crystal::structure::wrap_frac;
use crystal::{Crystal, Element, Lattice};
use rayon::prelude::*;

/// Crystals per network call.
const CHUNK: usize = 128;

/// Bound on each entry of the predicted clean lattice L̂₀ (Å), as image models clip x̂₀ to
/// the data range; the benchmark cells (Perov-5, Carbon-24, MP-20) stay well inside it.
pub const LATTICE_CLIP_A: f64 = 20.0;

/// Options of [`sample_csp`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleOptions {
    /// Reverse steps (a subsequence of 1..=T).
    pub steps: usize,
    pub seed: u64,
    /// Langevin corrector on the coordinates after each step (DiffCSP's predictor-corrector):
    /// step ε = corrector_lr·(σ/σ_min)², f ← f + ε·score + √(2ε)·z. 0 turns it off.
    pub corrector_lr: f64,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            steps: 200,
            seed: 0,
            corrector_lr: 0.0,
        }
    }
}

/// One Langevin step on the coordinates of `state` at timestep `t`.
#[allow(clippy::too_many_arguments)]
fn corrector(
    model: &PeriodicDenoiser,
    cfg: &PeriodicTrainConfig,
    schedule: &NoiseSchedule,
    state: &mut [NoisyCrystal],
    rngs: &mut [Rng],
    t: usize,
    lr: f64,
    device: &Device,
) {
    let tmax = schedule.timesteps;
    for c in state.iter_mut() {
        c.t = t;
    }
    let g = GraphInputs::build(
        state,
        cfg.model.k_freq,
        cfg.model.time_dim,
        1000.0 / tmax as f64,
    );
    let out = model.forward(&GraphTensors::new(&g, device));
    let score: Vec<f32> = out
        .coord_score
        .into_data()
        .try_into_vec::<f32>()
        .unwrap_or_default();
    let sigma = schedule.sigma(t);
    let lam = schedule.score_norms[t - 1].sqrt();
    let eps = lr * (sigma / schedule.sigma_min).powi(2);
    let sd = (2.0 * eps).sqrt();
    let mut row = 0;
    for (c, rng) in state.iter_mut().zip(rngs.iter_mut()) {
        for f in &mut c.frac {
            for x in f.iter_mut() {
                *x = wrap_frac(*x + eps * score[row] as f64 * lam + sd * rng.normal());
                row += 1;
            }
        }
    }
}

/// The decreasing timesteps visited with `steps` steps out of `t_max` (ends at 0).
pub fn timestep_sequence(t_max: usize, steps: usize) -> Vec<usize> {
    let s = steps.clamp(1, t_max);
    let mut ts: Vec<usize> = (0..=s)
        .rev()
        .map(|k| ((k as f64) * t_max as f64 / s as f64).round() as usize)
        .collect();
    ts.dedup();
    ts
}

/// Generates one crystal per entry of `atoms` (the elements of each crystal, one per
/// atom). `progress()` is called once per finished chunk of crystals.
pub fn sample_csp(
    model: &PeriodicDenoiser,
    cfg: &PeriodicTrainConfig,
    atoms: &[Vec<Element>],
    opts: &SampleOptions,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<Result<Crystal, DiffusionError>> {
    let schedule = cfg.schedule();
    let starts: Vec<usize> = (0..atoms.len()).step_by(CHUNK).collect();
    starts
        .par_iter()
        .flat_map_iter(|&s| {
            let end = (s + CHUNK).min(atoms.len());
            let out = sample_chunk(model, cfg, &schedule, &atoms[s..end], s, opts);
            progress(end - s);
            out
        })
        .collect()
}

fn sample_chunk(
    model: &PeriodicDenoiser,
    cfg: &PeriodicTrainConfig,
    schedule: &NoiseSchedule,
    atoms: &[Vec<Element>],
    first_index: usize,
    opts: &SampleOptions,
) -> Vec<Result<Crystal, DiffusionError>> {
    let (steps, seed) = (opts.steps, opts.seed);
    let device = Device::flex();
    let tmax = schedule.timesteps;
    let mut rngs: Vec<Rng> = (0..atoms.len())
        .map(|i| Rng::derive(seed, (first_index + i) as u64))
        .collect();
    let mut state: Vec<NoisyCrystal> = atoms
        .iter()
        .zip(&mut rngs)
        .map(|(a, rng)| NoisyCrystal {
            z: a.iter().map(|e| e.z()).collect(),
            frac: (0..a.len())
                .map(|_| [rng.uniform(), rng.uniform(), rng.uniform()])
                .collect(),
            lattice: std::array::from_fn(|_| std::array::from_fn(|_| rng.normal())),
            t: tmax,
        })
        .collect();
    let ts = timestep_sequence(tmax, steps);
    for w in ts.windows(2) {
        let (t, tp) = (w[0], w[1]);
        for c in &mut state {
            c.t = t;
        }
        let g = GraphInputs::build(
            &state,
            cfg.model.k_freq,
            cfg.model.time_dim,
            1000.0 / tmax as f64,
        );
        let out = model.forward(&GraphTensors::new(&g, &device));
        let score: Vec<f32> = out
            .coord_score
            .into_data()
            .try_into_vec::<f32>()
            .unwrap_or_default();
        let eps: Vec<f32> = out
            .lattice_eps
            .into_data()
            .try_into_vec::<f32>()
            .unwrap_or_default();
        let (s_t, s_p) = (
            schedule.sigma(t),
            if tp == 0 { 0.0 } else { schedule.sigma(tp) },
        );
        let lam = schedule.score_norms[t - 1].sqrt();
        let d2 = s_t * s_t - s_p * s_p;
        let noise_sd = (d2 * s_p * s_p / (s_t * s_t)).sqrt();
        let (ab_t, ab_p) = (schedule.alpha_bar(t), schedule.alpha_bar(tp));
        let eta2 = if tp == 0 {
            0.0
        } else {
            ((1.0 - ab_p) / (1.0 - ab_t) * (1.0 - ab_t / ab_p)).max(0.0)
        };
        let mut row = 0;
        for (b, (c, rng)) in state.iter_mut().zip(&mut rngs).enumerate() {
            for f in &mut c.frac {
                for x in f.iter_mut() {
                    let s = score[row] as f64 * lam;
                    *x = wrap_frac(*x + d2 * s + noise_sd * rng.normal());
                    row += 1;
                }
            }
            for i in 0..3 {
                for j in 0..3 {
                    let e = eps[b * 9 + i * 3 + j] as f64;
                    let l = c.lattice[i][j];
                    // The predicted clean lattice, clipped to ±LATTICE_CLIP_A: near t = T the
                    // cosine schedule's ᾱ is ~1e-8 and the division amplifies any error in ε̂.
                    let x0 = ((l - (1.0 - ab_t).sqrt() * e) / ab_t.sqrt())
                        .clamp(-LATTICE_CLIP_A, LATTICE_CLIP_A);
                    c.lattice[i][j] = if tp == 0 {
                        x0
                    } else {
                        ab_p.sqrt() * x0
                            + (1.0 - ab_p - eta2).max(0.0).sqrt() * e
                            + eta2.sqrt() * rng.normal()
                    };
                }
            }
        }
        if opts.corrector_lr > 0.0 && tp > 0 {
            corrector(
                model,
                cfg,
                schedule,
                &mut state,
                &mut rngs,
                tp,
                opts.corrector_lr,
                &device,
            );
        }
    }
    state
        .into_iter()
        .zip(atoms)
        .map(|(c, a)| {
            let lattice = Lattice::new(c.lattice)?;
            Ok(Crystal::new(lattice, a.clone(), c.frac)?)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestep_sequences_cover_the_range() {
        assert_eq!(timestep_sequence(1000, 4), vec![1000, 750, 500, 250, 0]);
        assert_eq!(
            timestep_sequence(10, 50),
            (0..=10).rev().collect::<Vec<_>>()
        );
        assert_eq!(timestep_sequence(5, 1), vec![5, 0]);
    }
}
