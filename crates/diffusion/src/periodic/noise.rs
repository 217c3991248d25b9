//! The noise processes of the `periodic` model (DiffCSP, Jiao et al. 2023), one type per
//! diffused variable, each with its forward noising (`noise_at(t).add`) and its reverse
//! step (`step(t, t′).apply`), kept apart from the network (as candle keeps its
//! schedulers):
//!
//! - [`TorusVe`] — **fractional coordinates** live on the torus [0,1)³. They are diffused
//!   with variance-exploding wrapped-normal noise, f_t = (f_0 + σ_t ε) mod 1, with σ_t
//!   geometric from `sigma_min` = 0.005 to `sigma_max` = 0.5 over T steps. The network
//!   learns the score ∇ log p(f_t | f_0) of the wrapped normal divided by its root mean
//!   square √λ(σ), so that every step's target has unit scale; sampling multiplies back.
//! - [`LatticeDdpm`] — **lattice** numbers (log-Cholesky or matrix entries, see
//!   `super::lattice`) with DDPM and the cosine schedule ([`CosineDdpm`], Nichol &
//!   Dhariwal 2021): x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε; the network predicts ε.
//! - [`TypeDdpm`] — **one-hot atom types** (de novo task) with the same DDPM.
//!
//! [`NoiseSchedule`] bundles the three for one number of steps T. Timesteps run 1..=T
//! (t = 0 is the data). The per-step constants are computed once per step
//! ([`TorusStep`], [`DdpmStep`]) so that the per-number work allocates nothing.

use crystal::rng::Rng;
use crystal::structure::wrap_frac;
use rayon::prelude::*;

/// Image terms kept on each side in the wrapped-normal sums (|k| ≤ 10, as DiffCSP).
const IMAGES: i32 = 10;

/// Bound on the predicted clean one-hot type entries during sampling (clean values are 0
/// and 1).
pub const TYPE_CLIP: f64 = 2.0;

/// The three processes over `timesteps` steps.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseSchedule {
    pub timesteps: usize,
    pub coords: TorusVe,
    pub lattice: LatticeDdpm,
    pub types: TypeDdpm,
}

impl NoiseSchedule {
    /// DiffCSP's defaults are T = 1000, σ from 0.005 to 0.5; `lattice_clip` bounds the
    /// predicted clean lattice numbers (see `LatticeRepr::clip`).
    pub fn new(timesteps: usize, sigma_min: f64, sigma_max: f64, lattice_clip: f64) -> Self {
        let ddpm = CosineDdpm::new(timesteps);
        NoiseSchedule {
            timesteps: ddpm.alpha_bars.len(),
            coords: TorusVe::new(timesteps, sigma_min, sigma_max),
            lattice: LatticeDdpm {
                ddpm: ddpm.clone(),
                clip: lattice_clip,
            },
            types: TypeDdpm { ddpm },
        }
    }

    /// The same schedule with the type process settling at `type_settle`·T instead of 0
    /// (see [`CosineDdpm::settling_at`]); 0 is [`NoiseSchedule::new`].
    pub fn with_type_settle(mut self, type_settle: f64) -> Self {
        if type_settle > 0.0 {
            self.types = TypeDdpm {
                ddpm: CosineDdpm::settling_at(self.timesteps, type_settle),
            };
        }
        self
    }
}

/// Variance-exploding wrapped-normal noise on fractional coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct TorusVe {
    pub sigma_min: f64,
    pub sigma_max: f64,
    /// σ_t for t = 1..=T at index t−1.
    pub sigmas: Vec<f64>,
    /// λ(σ_t) = E[score²] of the wrapped normal at σ_t (one coordinate).
    pub score_norms: Vec<f64>,
}

impl TorusVe {
    /// σ geometric from `sigma_min` to `sigma_max` over `timesteps` (at least 2) steps.
    pub fn new(timesteps: usize, sigma_min: f64, sigma_max: f64) -> Self {
        let t = timesteps.max(2);
        let sigmas: Vec<f64> = (0..t)
            .map(|i| {
                let u = i as f64 / (t - 1) as f64;
                (sigma_min.ln() + u * (sigma_max.ln() - sigma_min.ln())).exp()
            })
            .collect();
        // Independent per σ: on all cores, the same values in the same order.
        let score_norms = sigmas.par_iter().map(|&s| score_norm(s)).collect();
        TorusVe {
            sigma_min,
            sigma_max,
            sigmas,
            score_norms,
        }
    }

    /// σ_t (t in 1..=T).
    pub fn sigma(&self, t: usize) -> f64 {
        self.sigmas[t - 1]
    }

    /// The forward noise of timestep t (1..=T).
    pub fn noise_at(&self, t: usize) -> TorusNoise {
        TorusNoise {
            sigma: self.sigma(t),
            norm: self.score_norms[t - 1].sqrt(),
        }
    }

    /// The reverse step from t to t′ < t (t′ = 0: the last step).
    pub fn step(&self, t: usize, tp: usize) -> TorusStep {
        let s_t = self.sigma(t);
        let s_p = if tp == 0 { 0.0 } else { self.sigma(tp) };
        let d2 = s_t * s_t - s_p * s_p;
        TorusStep {
            d2,
            noise_sd: (d2 * s_p * s_p / (s_t * s_t)).sqrt(),
            lam: self.score_norms[t - 1].sqrt(),
        }
    }

    /// The Langevin corrector at t′ ≥ 1 with step ε = `lr`·(σ_t′/σ_min)² (DiffCSP's
    /// predictor-corrector).
    pub fn corrector(&self, tp: usize, lr: f64) -> LangevinStep {
        let sigma = self.sigma(tp);
        let eps = lr * (sigma / self.sigma_min).powi(2);
        LangevinStep {
            eps,
            noise_sd: (2.0 * eps).sqrt(),
            lam: self.score_norms[tp - 1].sqrt(),
        }
    }
}

/// Forward noise of one timestep of [`TorusVe`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TorusNoise {
    pub sigma: f64,
    /// √λ(σ), the normaliser of the score target.
    pub norm: f64,
}

impl TorusNoise {
    /// A noisy coordinate (wrapped into [0, 1)) and its training target, the normalised
    /// score s(σε)/√λ.
    pub fn add(&self, x0: f64, rng: &mut Rng) -> (f64, f32) {
        let d = self.sigma * rng.normal();
        (
            wrap_frac(x0 + d),
            (wrapped_normal_score(d, self.sigma) / self.norm) as f32,
        )
    }
}

/// One reverse step of [`TorusVe`]: f ← (f + d2·ŝ·√λ + noise_sd·z) mod 1, ŝ the
/// network's normalised score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TorusStep {
    /// σ_t² − σ_t′².
    pub d2: f64,
    pub noise_sd: f64,
    /// √λ(σ_t), which turns the network's normalised score back into a score.
    pub lam: f64,
}

impl TorusStep {
    pub fn apply(&self, x: f64, score: f32, rng: &mut Rng) -> f64 {
        let sc = score as f64 * self.lam;
        wrap_frac(x + self.d2 * sc + self.noise_sd * rng.normal())
    }
}

/// One Langevin corrector step of [`TorusVe`]: f ← (f + ε·ŝ·√λ + √(2ε)·z) mod 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LangevinStep {
    pub eps: f64,
    pub noise_sd: f64,
    pub lam: f64,
}

impl LangevinStep {
    pub fn apply(&self, x: f64, score: f32, rng: &mut Rng) -> f64 {
        wrap_frac(x + self.eps * score as f64 * self.lam + self.noise_sd * rng.normal())
    }
}

/// The cosine DDPM schedule ᾱ_t (Nichol & Dhariwal 2021; s = 0.008, β clipped at 0.999).
#[derive(Debug, Clone, PartialEq)]
pub struct CosineDdpm {
    /// ᾱ_t for t = 1..=T at index t−1.
    pub alpha_bars: Vec<f64>,
}

impl CosineDdpm {
    pub fn new(timesteps: usize) -> Self {
        let t = timesteps.max(2);
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
        CosineDdpm { alpha_bars }
    }

    /// The cosine schedule squeezed into t ∈ (f·T, T]: ᾱ_t = 1 (no noise) for t ≤ f·T, and
    /// over the rest the cosine schedule of (T − ⌊f·T⌋) steps. With it the atom types of de
    /// novo generation are decided in the first (1 − f) of the reverse steps, before the
    /// coordinates settle into sites (σ of the coordinates falls below ~0.15 at t ≈ 0.74·T
    /// with DiffCSP's σ range), instead of together with them. f = 0 is [`CosineDdpm::new`].
    pub fn settling_at(timesteps: usize, f: f64) -> Self {
        let t = timesteps.max(2);
        let clean = ((f.clamp(0.0, 0.99) * t as f64).floor() as usize).min(t - 2);
        let rest = CosineDdpm::new(t - clean);
        let mut alpha_bars = vec![1.0; clean];
        alpha_bars.extend(rest.alpha_bars);
        CosineDdpm { alpha_bars }
    }

    /// ᾱ_t (t in 1..=T); ᾱ_0 = 1.
    pub fn alpha_bar(&self, t: usize) -> f64 {
        if t == 0 {
            1.0
        } else {
            self.alpha_bars[t - 1]
        }
    }

    /// The forward noise of timestep t.
    pub fn noise_at(&self, t: usize) -> DdpmNoise {
        let ab = self.alpha_bar(t);
        DdpmNoise {
            sa: ab.sqrt(),
            sb: (1.0 - ab).sqrt(),
        }
    }

    /// The ancestral step from t to t′ < t, with predictions x̂₀ clipped to ±`clip`.
    pub fn step(&self, t: usize, tp: usize, clip: f64) -> DdpmStep {
        let (ab_t, ab_p) = (self.alpha_bar(t), self.alpha_bar(tp));
        let eta2 = if tp == 0 {
            0.0
        } else {
            ((1.0 - ab_p) / (1.0 - ab_t) * (1.0 - ab_t / ab_p)).max(0.0)
        };
        DdpmStep {
            ab_t,
            ab_p,
            eta2,
            last: tp == 0,
            clip,
        }
    }
}

/// Forward noise of one timestep of [`CosineDdpm`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DdpmNoise {
    /// √ᾱ_t and √(1 − ᾱ_t).
    pub sa: f64,
    pub sb: f64,
}

impl DdpmNoise {
    /// x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε and the training target: the ε drawn, or 0 where no
    /// noise is added (ᾱ_t = 1, where ε could not be told from x_t).
    pub fn add(&self, x0: f64, rng: &mut Rng) -> (f64, f64) {
        let e = rng.normal();
        (
            self.sa * x0 + self.sb * e,
            if self.sb > 0.0 { e } else { 0.0 },
        )
    }
}

/// One DDPM ancestral step between ᾱ_t and ᾱ_t′ (η² = (1−ᾱ_t′)/(1−ᾱ_t)·(1−ᾱ_t/ᾱ_t′)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DdpmStep {
    pub ab_t: f64,
    pub ab_p: f64,
    pub eta2: f64,
    /// t′ = 0: return x̂₀.
    pub last: bool,
    pub clip: f64,
}

impl DdpmStep {
    /// The step of `x` given the predicted noise `e`. The clean value x̂₀ is clipped to
    /// ±`clip` and the noise re-derived from it, ε′ = (x − √ᾱ_t·x̂₀)/√(1−ᾱ_t), so that a
    /// wild ε̂ cannot feed back into the next step (the state stays within the clip plus
    /// the noise's own range).
    pub fn apply(&self, x: f64, e: f64, rng: &mut Rng) -> f64 {
        let (ab_t, ab_p) = (self.ab_t, self.ab_p);
        if ab_t >= 1.0 {
            // No noise left at t (a schedule that settled earlier): nothing to remove.
            return x;
        }
        let x0 = ((x - (1.0 - ab_t).sqrt() * e) / ab_t.sqrt()).clamp(-self.clip, self.clip);
        if self.last {
            return x0;
        }
        let e = (x - ab_t.sqrt() * x0) / (1.0 - ab_t).sqrt();
        ab_p.sqrt() * x0
            + (1.0 - ab_p - self.eta2).max(0.0).sqrt() * e
            + self.eta2.sqrt() * rng.normal()
    }
}

/// DDPM on the lattice numbers; predictions x̂₀ are clipped to ±`clip` (Near t = T the
/// cosine schedule's ᾱ is ~1e-8 and the division amplifies any error in ε̂).
#[derive(Debug, Clone, PartialEq)]
pub struct LatticeDdpm {
    pub ddpm: CosineDdpm,
    pub clip: f64,
}

impl LatticeDdpm {
    pub fn noise_at(&self, t: usize) -> DdpmNoise {
        self.ddpm.noise_at(t)
    }

    pub fn step(&self, t: usize, tp: usize) -> DdpmStep {
        self.ddpm.step(t, tp, self.clip)
    }
}

/// DDPM on one-hot atom types (entries 0 and 1); predictions clipped to ±[`TYPE_CLIP`].
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDdpm {
    pub ddpm: CosineDdpm,
}

impl TypeDdpm {
    pub fn noise_at(&self, t: usize) -> DdpmNoise {
        self.ddpm.noise_at(t)
    }

    pub fn step(&self, t: usize, tp: usize) -> DdpmStep {
        self.ddpm.step(t, tp, TYPE_CLIP)
    }
}

/// Exponents below this give exactly 0.0 in `exp` (the smallest subnormal is e^−744.4),
/// so their terms are skipped: the sums are bit for bit those of every term, without the
/// slow underflow path of the C library's `exp` (most of the 1.7 s `NoiseSchedule::new`
/// took).
const EXP_UNDERFLOW: f64 = -746.0;

/// Σ_k w_k and Σ_k −d_k/σ²·w_k over the images d_k = x + k, w_k = exp(−d_k²/2σ²), in the
/// order k = −IMAGES..=IMAGES.
fn image_sums(x: f64, s2: f64) -> (f64, f64) {
    let (mut num, mut den) = (0.0, 0.0);
    for k in -IMAGES..=IMAGES {
        let d = x + k as f64;
        let e = -d * d / (2.0 * s2);
        if e < EXP_UNDERFLOW {
            continue;
        }
        let w = e.exp();
        num += -d / s2 * w;
        den += w;
    }
    (num, den)
}

/// The score d/dx log p(x) of the wrapped normal of width `sigma` centred at 0, at `x`.
pub fn wrapped_normal_score(x: f64, sigma: f64) -> f64 {
    let (num, den) = image_sums(x - x.round(), sigma * sigma);
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

/// λ(σ) = E[score(x)²] under the wrapped normal itself, by quadrature over one period
/// (4,000 midpoints). The density at each midpoint is the score's own denominator, so each
/// image is evaluated once.
pub fn score_norm(sigma: f64) -> f64 {
    let n = 4000;
    let s2 = sigma * sigma;
    let (mut num, mut den) = (0.0, 0.0);
    for i in 0..n {
        // |x| < 0.5, so x − round(x) = x.
        let x = -0.5 + (i as f64 + 0.5) / n as f64;
        let (sn, p) = image_sums(x, s2);
        let s = if p > 0.0 { sn / p } else { 0.0 };
        num += p * s * s;
        den += p;
    }
    num / den
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    /// The former formulas, every image evaluated (twice for λ): the fast ones must give
    /// the same bits.
    fn score_norm_every_image(sigma: f64) -> f64 {
        let n = 4000;
        let (mut num, mut den) = (0.0, 0.0);
        for i in 0..n {
            let x = -0.5 + (i as f64 + 0.5) / n as f64;
            let mut p = 0.0;
            for k in -IMAGES..=IMAGES {
                let d = x + k as f64;
                p += (-d * d / (2.0 * sigma * sigma)).exp();
            }
            let s = score_every_image(x, sigma);
            num += p * s * s;
            den += p;
        }
        num / den
    }

    fn score_every_image(x: f64, sigma: f64) -> f64 {
        let s2 = sigma * sigma;
        let x = x - x.round();
        let (mut num, mut den) = (0.0, 0.0);
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

    #[test]
    fn fast_normalisers_are_bit_identical_to_every_image() {
        // The default schedule's σ range (0.005–0.5) and beyond, where images underflow.
        for sigma in [0.001, 0.005, 0.0123, 0.05, 0.1, 0.3, 0.5, 1.0] {
            assert_eq!(
                score_norm(sigma).to_bits(),
                score_norm_every_image(sigma).to_bits(),
                "σ {sigma}"
            );
            for x in [-0.49, -0.2, 0.0, 0.013, 0.37, 0.5, 3.7] {
                assert_eq!(
                    wrapped_normal_score(x, sigma).to_bits(),
                    score_every_image(x, sigma).to_bits(),
                    "σ {sigma}, x {x}"
                );
            }
        }
    }

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
    fn a_settling_schedule_is_clean_below_its_point_and_cosine_above() {
        let c = CosineDdpm::settling_at(1000, 0.7);
        assert_eq!(c.alpha_bars.len(), 1000);
        assert!(c.alpha_bars[..700].iter().all(|&a| a == 1.0));
        // Above it, the 300-step cosine schedule.
        assert_eq!(&c.alpha_bars[700..], &CosineDdpm::new(300).alpha_bars[..]);
        assert!(c.alpha_bar(1000) < 1e-4 && c.alpha_bar(701) > 0.999);
        assert_eq!(CosineDdpm::settling_at(1000, 0.0), CosineDdpm::new(1000));
        // No noise: the target is 0 and a reverse step leaves the value alone.
        let mut rng = Rng::new(1);
        let (x, e) = c.noise_at(500).add(1.0, &mut rng);
        assert_eq!((x, e), (1.0, 0.0));
        let step = DdpmStep {
            ..c.step(600, 500, TYPE_CLIP)
        };
        assert_eq!(step.apply(0.93, 0.4, &mut rng), 0.93);
        let last = c.step(600, 0, TYPE_CLIP);
        assert_eq!(last.apply(0.93, 0.4, &mut rng), 0.93);
        let s = NoiseSchedule::new(1000, 0.005, 0.5, 5.0).with_type_settle(0.7);
        assert_eq!(s.types.ddpm, c);
        assert_eq!(s.lattice.ddpm, CosineDdpm::new(1000));
    }

    #[test]
    fn schedules_are_monotone() {
        let s = NoiseSchedule::new(1000, 0.005, 0.5, 5.0);
        let c = &s.coords;
        assert_relative_eq!(c.sigma(1), 0.005, max_relative = 1e-12);
        assert_relative_eq!(c.sigma(1000), 0.5, max_relative = 1e-12);
        assert!(c.sigmas.windows(2).all(|w| w[1] > w[0]));
        let d = &s.lattice.ddpm;
        assert!(d.alpha_bars.windows(2).all(|w| w[1] < w[0]));
        assert!(d.alpha_bar(1) > 0.999 && d.alpha_bar(1000) < 1e-4);
        assert_eq!(s.types.ddpm, s.lattice.ddpm);
    }

    #[test]
    fn ddpm_steps_recover_clean_values_and_clip_wild_predictions() {
        let d = CosineDdpm::new(100);
        let mut rng = Rng::new(3);
        // Noise a value, then a last step with the true ε returns it.
        let (xt, e) = d.noise_at(40).add(0.7, &mut rng);
        let back = d.step(40, 0, 5.0).apply(xt, e, &mut rng);
        assert_relative_eq!(back, 0.7, epsilon = 1e-12);
        // A wild prediction is clipped to the bound.
        assert_eq!(d.step(40, 0, 2.0).apply(xt, -1e6, &mut rng), 2.0);
        // η² = 0 on the last step and within [0, 1 − ᾱ_t′] otherwise.
        let s = d.step(40, 30, 5.0);
        assert!(s.eta2 > 0.0 && s.eta2 <= 1.0 - s.ab_p);
    }

    #[test]
    fn torus_reverse_step_without_score_shrinks_the_noise() {
        let c = TorusVe::new(100, 0.005, 0.5);
        let s = c.step(100, 50);
        // σ_t′² = σ_t² − d2 and the added noise is the posterior's, √(d2·σ_t′²/σ_t²).
        assert_relative_eq!(s.d2, 0.25 - c.sigma(50).powi(2), max_relative = 1e-12);
        assert_relative_eq!(
            s.noise_sd,
            (s.d2 * c.sigma(50).powi(2) / 0.25).sqrt(),
            max_relative = 1e-12
        );
        assert_eq!(c.step(1, 0).noise_sd, 0.0);
        let mut rng = Rng::new(1);
        let (x, target) = c.noise_at(1).add(0.999, &mut rng);
        assert!((0.0..1.0).contains(&x));
        assert!(target.is_finite());
    }
}
