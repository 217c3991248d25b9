//! The sampler's flags (`--steps`, `--seed`, `--corrector-lr`), shared by `sample` and
//! `benchmark`: defined once, with the library's defaults, and checked once into
//! `SampleOptions`.

use anyhow::{bail, Result};
use clap::Args;
use diffusion::periodic::sample::SampleOptions;

#[derive(Args, Debug, Clone)]
pub struct SamplerArgs {
    /// Reverse-diffusion steps (at most the model's T).
    #[arg(long, default_value_t = SampleOptions::default().steps)]
    pub steps: usize,
    /// Seed of every random draw of the sampling (the same seed, the same structures).
    #[arg(long, default_value_t = SampleOptions::default().seed)]
    pub seed: u64,
    /// Langevin corrector step on the coordinates after each step (0 = off; 1e-5 was best
    /// of 1e-6 … 1e-4 on Perov-5).
    #[arg(long, default_value_t = SampleOptions::default().corrector_lr, allow_hyphen_values = true)]
    pub corrector_lr: f64,
}

impl SamplerArgs {
    /// The checked options.
    pub fn options(&self) -> Result<SampleOptions> {
        let max_steps = diffusion::periodic::train::LIMITS.timesteps;
        if self.steps == 0 || self.steps > max_steps {
            bail!("--steps {}: must be between 1 and {max_steps}", self.steps);
        }
        if !(self.corrector_lr.is_finite() && self.corrector_lr >= 0.0) {
            bail!(
                "--corrector-lr {}: must be zero or positive",
                self.corrector_lr
            );
        }
        Ok(SampleOptions {
            steps: self.steps,
            seed: self.seed,
            corrector_lr: self.corrector_lr,
        })
    }
}
