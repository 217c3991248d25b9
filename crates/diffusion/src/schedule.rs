//! Noise schedules.
//!
//! [`LinearSchedule`] is the DDPM schedule of Ho et al. 2020 (arXiv:2006.11239): β rises
//! linearly from `beta_start` to `beta_end` over T steps; everything the forward and
//! reverse processes need is precomputed per step t = 0 … T−1 (0-based).

use crate::error::DiffusionError;
use serde::{Deserialize, Serialize};

/// Precomputed linear-β DDPM schedule. All vectors have length T, indexed by 0-based t.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearSchedule {
    /// β_t, linear from β_start to β_end.
    pub betas: Vec<f64>,
    /// α_t = 1 − β_t.
    pub alphas: Vec<f64>,
    /// ᾱ_t = ∏_{s ≤ t} α_s.
    pub alphas_cumprod: Vec<f64>,
    /// √ᾱ_t: how much of the clean signal remains at step t.
    pub sqrt_alphas_cumprod: Vec<f64>,
    /// √(1 − ᾱ_t): the standard deviation of the noise at step t.
    pub sqrt_one_minus_alphas_cumprod: Vec<f64>,
    /// β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t), with ᾱ_{−1} = 1 (so it is 0 at t = 0).
    pub posterior_variance: Vec<f64>,
}

impl LinearSchedule {
    /// The schedule for `timesteps` ≥ 2 steps and 0 < β_start < β_end < 1.
    pub fn new(timesteps: usize, beta_start: f64, beta_end: f64) -> Result<Self, DiffusionError> {
        if timesteps < 2 {
            return Err(DiffusionError::invalid(
                "timesteps",
                timesteps,
                "must be at least 2",
            ));
        }
        if !(beta_start > 0.0 && beta_start < 1.0) {
            return Err(DiffusionError::invalid(
                "beta_start",
                beta_start,
                "must lie in (0, 1)",
            ));
        }
        if !(beta_end > beta_start && beta_end < 1.0) {
            return Err(DiffusionError::invalid(
                "beta_end",
                beta_end,
                format!("must lie between beta_start ({beta_start}) and 1"),
            ));
        }
        let t_max = (timesteps - 1) as f64;
        let betas: Vec<f64> = (0..timesteps)
            .map(|t| beta_start + (beta_end - beta_start) * t as f64 / t_max)
            .collect();
        let alphas: Vec<f64> = betas.iter().map(|b| 1.0 - b).collect();
        let alphas_cumprod: Vec<f64> = alphas
            .iter()
            .scan(1.0, |acc, a| {
                *acc *= a;
                Some(*acc)
            })
            .collect();
        let posterior_variance = (0..timesteps)
            .map(|t| {
                let prev = if t == 0 { 1.0 } else { alphas_cumprod[t - 1] };
                betas[t] * (1.0 - prev) / (1.0 - alphas_cumprod[t])
            })
            .collect();
        Ok(LinearSchedule {
            sqrt_alphas_cumprod: alphas_cumprod.iter().map(|a| a.sqrt()).collect(),
            sqrt_one_minus_alphas_cumprod: alphas_cumprod
                .iter()
                .map(|a| (1.0 - a).sqrt())
                .collect(),
            betas,
            alphas,
            alphas_cumprod,
            posterior_variance,
        })
    }

    /// Number of steps T.
    pub fn timesteps(&self) -> usize {
        self.betas.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The notebook's table (its t = 1 … 200 are our 0-based t = 0 … 199).
    #[test]
    fn notebook_table() {
        let s = LinearSchedule::new(200, 1e-4, 0.02).unwrap();
        let expect = [
            (0, 0.9999, 0.0100),
            (50, 0.9357, 0.3527),
            (100, 0.7723, 0.6353),
            (150, 0.5617, 0.8273),
            (199, 0.3636, 0.9316),
        ];
        for (t, signal, noise) in expect {
            assert!(
                (s.sqrt_alphas_cumprod[t] - signal).abs() < 5e-5,
                "t={t}: {}",
                s.sqrt_alphas_cumprod[t]
            );
            assert!(
                (s.sqrt_one_minus_alphas_cumprod[t] - noise).abs() < 5e-5,
                "t={t}: {}",
                s.sqrt_one_minus_alphas_cumprod[t]
            );
        }
        assert_eq!(s.posterior_variance[0], 0.0);
        for t in 1..200 {
            assert!(s.posterior_variance[t] > 0.0 && s.posterior_variance[t] < s.betas[t]);
        }
        assert_eq!(s.betas[0], 1e-4);
        assert!((s.betas[199] - 0.02).abs() < 1e-15);
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(LinearSchedule::new(1, 1e-4, 0.02).is_err());
        assert!(LinearSchedule::new(200, 0.02, 0.02).is_err());
        assert!(LinearSchedule::new(200, 1e-4, 1.0).is_err());
        assert!(LinearSchedule::new(200, 0.0, 0.02).is_err());
    }
}
