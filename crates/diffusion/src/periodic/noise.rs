//! The noise processes of the `periodic` model (DiffCSP, Jiao et al. 2023):
//!
//! - **Fractional coordinates** live on the torus [0,1)³. They are diffused with
//!   variance-exploding wrapped-normal noise, f_t = (f_0 + σ_t ε) mod 1, with σ_t geometric
//!   from `sigma_min` = 0.005 to `sigma_max` = 0.5 over T steps. The network learns the
//!   score ∇ log p(f_t | f_0) of the wrapped normal, divided by its root mean square
//!   √λ(σ) so that every step's target has unit scale; sampling multiplies back.
//! - **Lattice** (3×3, rows = vectors, Å) is diffused with DDPM and the cosine schedule
//!   (Nichol & Dhariwal 2021): L_t = √ᾱ_t L_0 + √(1 − ᾱ_t) ε; the network predicts ε.
//!
//! Timesteps run 1..=T (t = 0 is the data).

use serde::{Deserialize, Serialize};

/// Image terms kept on each side in the wrapped-normal sums (|k| ≤ 10, as DiffCSP).
const IMAGES: i32 = 10;

/// Noise levels of both processes over `timesteps` steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseSchedule {
    pub timesteps: usize,
    pub sigma_min: f64,
    pub sigma_max: f64,
    /// σ_t for t = 1..=T at index t−1.
    pub sigmas: Vec<f64>,
    /// λ(σ_t) = E[score²] of the wrapped normal at σ_t (one coordinate).
    pub score_norms: Vec<f64>,
    /// ᾱ_t of the cosine schedule for t = 1..=T at index t−1.
    pub alpha_bars: Vec<f64>,
}

impl NoiseSchedule {
    /// DiffCSP's defaults are T = 1000, σ from 0.005 to 0.5; the cosine schedule uses
    /// s = 0.008 and clips β at 0.999.
    pub fn new(timesteps: usize, sigma_min: f64, sigma_max: f64) -> Self {
        let t = timesteps.max(2);
        let sigmas: Vec<f64> = (0..t)
            .map(|i| {
                let u = i as f64 / (t - 1) as f64;
                (sigma_min.ln() + u * (sigma_max.ln() - sigma_min.ln())).exp()
            })
            .collect();
        let score_norms = sigmas.iter().map(|&s| score_norm(s)).collect();
        let f = |x: f64| {
            let s = 0.008;
            ((x / t as f64 + s) / (1.0 + s) * std::f64::consts::FRAC_PI_2)
                .cos()
                .powi(2)
        };
        let mut alpha_bars = Vec::with_capacity(t);
        let mut ab = 1.0;
        for i in 1..=t {
            let beta = (1.0 - f(i as f64) / f(i as f64 - 1.0)).clamp(0.0, 0.999);
            ab *= 1.0 - beta;
            alpha_bars.push(ab);
        }
        NoiseSchedule {
            timesteps: t,
            sigma_min,
            sigma_max,
            sigmas,
            score_norms,
            alpha_bars,
        }
    }

    /// σ_t (t in 1..=T).
    pub fn sigma(&self, t: usize) -> f64 {
        self.sigmas[t - 1]
    }

    /// ᾱ_t (t in 1..=T); ᾱ_0 = 1.
    pub fn alpha_bar(&self, t: usize) -> f64 {
        if t == 0 {
            1.0
        } else {
            self.alpha_bars[t - 1]
        }
    }
}

/// The score d/dx log p(x) of the wrapped normal of width `sigma` centred at 0, at `x`.
pub fn wrapped_normal_score(x: f64, sigma: f64) -> f64 {
    let s2 = sigma * sigma;
    let x = x - x.round();
    let mut num = 0.0;
    let mut den = 0.0;
    for k in -IMAGES..=IMAGES {
        let d = x + k as f64;
        let w = (-d * d / (2.0 * s2)).exp();
        num += -d / s2 * w;
        den += w;
    }
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

/// λ(σ) = E[score(x)²] under the wrapped normal itself, by quadrature over one period.
pub fn score_norm(sigma: f64) -> f64 {
    let n = 4000;
    let (mut num, mut den) = (0.0, 0.0);
    for i in 0..n {
        let x = -0.5 + (i as f64 + 0.5) / n as f64;
        let mut p = 0.0;
        for k in -IMAGES..=IMAGES {
            let d = x + k as f64;
            p += (-d * d / (2.0 * sigma * sigma)).exp();
        }
        let s = wrapped_normal_score(x, sigma);
        num += p * s * s;
        den += p;
    }
    num / den
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn narrow_wrapped_normal_is_a_normal() {
        // For σ ≪ 1 the images vanish: score = −x/σ², λ = 1/σ².
        assert_relative_eq!(
            wrapped_normal_score(0.01, 0.05),
            -0.01 / 0.0025,
            max_relative = 1e-9
        );
        assert_relative_eq!(score_norm(0.01), 1e4, max_relative = 1e-3);
    }

    #[test]
    fn score_is_periodic_and_odd() {
        for x in [0.1, 0.23, 0.49] {
            let s = wrapped_normal_score(x, 0.3);
            assert_relative_eq!(wrapped_normal_score(x + 1.0, 0.3), s, epsilon = 1e-12);
            assert_relative_eq!(wrapped_normal_score(-x, 0.3), -s, epsilon = 1e-12);
        }
        // Wide noise is nearly uniform: the score and its norm go to 0.
        assert!(score_norm(2.0) < 1e-6);
    }

    #[test]
    fn schedules_are_monotone() {
        let s = NoiseSchedule::new(1000, 0.005, 0.5);
        assert_relative_eq!(s.sigma(1), 0.005, max_relative = 1e-12);
        assert_relative_eq!(s.sigma(1000), 0.5, max_relative = 1e-12);
        assert!(s.sigmas.windows(2).all(|w| w[1] > w[0]));
        assert!(s.alpha_bars.windows(2).all(|w| w[1] < w[0]));
        assert!(s.alpha_bar(1) > 0.999 && s.alpha_bar(1000) < 1e-4);
    }
}
