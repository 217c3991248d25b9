//! How the `periodic` model represents the lattice it diffuses.
//!
//! - [`LatticeRepr::LogCholesky`] (default): the lattice enters only through its metric
//!   G = L·Lᵀ. G is factored as C·Cᵀ with C lower triangular and a positive diagonal (C's
//!   rows are the same lattice vectors written in the frame where a ∥ x and b lies in the
//!   xy plane), and the six numbers k = (ln C₁₁, ln C₂₂, ln C₃₃, C₂₁, C₃₁, C₃₂) are
//!   standardised with the training set's mean and spread: z = (k − μ)/s. DDPM runs on z.
//!   Every z is a valid right-handed cell, the process never sees the Cartesian frame
//!   (so the network's lattice output is rotation invariant), and the prior N(0, 1) sits on
//!   the data's own scale.
//! - [`LatticeRepr::Matrix`]: DDPM directly on the nine entries of L in Å, the network
//!   predicting the noise as Φ·L_t (DiffCSP). Kept for checkpoints written before
//!   `LogCholesky` existed. The training targets are in the data's fixed frame, which an
//!   equivariant network cannot see, so the lattice loss stays high.

use crystal::Crystal;
use serde::{Deserialize, Serialize};

/// The lattice representation of a model (part of its checkpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LatticeRepr {
    /// Nine matrix entries in Å (format 1 checkpoints).
    #[default]
    Matrix,
    /// Six standardised log-Cholesky numbers of the metric.
    LogCholesky,
}

impl LatticeRepr {
    /// Numbers per crystal that the lattice process diffuses.
    pub fn dim(self) -> usize {
        match self {
            LatticeRepr::Matrix => 9,
            LatticeRepr::LogCholesky => 6,
        }
    }

    /// Bound on the predicted clean value of each number during sampling: Å for the
    /// matrix, standard deviations of the training data for log-Cholesky.
    pub fn clip(self) -> f64 {
        match self {
            LatticeRepr::Matrix => 20.0,
            LatticeRepr::LogCholesky => 5.0,
        }
    }
}

/// Mean μ and spread s of the log-Cholesky numbers of a training set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatticeNorm {
    pub mean: [f64; 6],
    pub std: [f64; 6],
}

/// Smallest spread used for standardising: ln-lengths (dimensionless) and off-diagonal
/// entries (Å). A data set of cubic cells has exactly zero spread off the diagonal.
const MIN_STD: [f64; 6] = [0.05, 0.05, 0.05, 0.1, 0.1, 0.1];

impl Default for LatticeNorm {
    /// Cells around 4 Å, ±25 %, with off-diagonal entries of about 1 Å.
    fn default() -> Self {
        let l4 = 4f64.ln();
        LatticeNorm {
            mean: [l4, l4, l4, 0.0, 0.0, 0.0],
            std: [0.25, 0.25, 0.25, 1.0, 1.0, 1.0],
        }
    }
}

impl LatticeNorm {
    /// Mean and standard deviation over `data` (floored, see `MIN_STD`).
    pub fn fit(data: &[Crystal]) -> Self {
        if data.is_empty() {
            return LatticeNorm::default();
        }
        let ks: Vec<[f64; 6]> = data
            .iter()
            .map(|c| log_cholesky(&right_handed(c.lattice().rows()).0))
            .collect();
        let n = ks.len() as f64;
        let mean: [f64; 6] = std::array::from_fn(|i| ks.iter().map(|k| k[i]).sum::<f64>() / n);
        let std = std::array::from_fn(|i| {
            let v = ks.iter().map(|k| (k[i] - mean[i]).powi(2)).sum::<f64>() / n;
            v.sqrt().max(MIN_STD[i])
        });
        LatticeNorm { mean, std }
    }

    /// z of a lattice (rows = vectors, Å).
    pub fn encode(&self, rows: &[[f64; 3]; 3]) -> [f64; 6] {
        let k = log_cholesky(rows);
        std::array::from_fn(|i| (k[i] - self.mean[i]) / self.std[i])
    }

    /// The lower-triangular lattice (rows = vectors, Å) of z.
    pub fn decode(&self, z: &[f64]) -> [[f64; 3]; 3] {
        let k: [f64; 6] = std::array::from_fn(|i| self.mean[i] + self.std[i] * z[i]);
        from_log_cholesky(&k)
    }
}

/// The rows of a right-handed cell for the same crystal: a left-handed (det < 0) cell has
/// its third vector negated (then the third fractional coordinates must be negated too);
/// the flag says whether that happened. The log-Cholesky factor is always right-handed, so
/// encoding a left-handed cell directly would describe the mirror image.
pub fn right_handed(rows: &[[f64; 3]; 3]) -> ([[f64; 3]; 3], bool) {
    let r = rows;
    let det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1])
        - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0])
        + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
    if det < 0.0 {
        let mut out = *rows;
        out[2] = rows[2].map(|x| -x);
        (out, true)
    } else {
        (*rows, false)
    }
}

/// k = (ln C₁₁, ln C₂₂, ln C₃₃, C₂₁, C₃₁, C₃₂) with C·Cᵀ = L·Lᵀ, C lower triangular.
/// `rows` must be a non-singular lattice (as every `Lattice` is).
pub fn log_cholesky(rows: &[[f64; 3]; 3]) -> [f64; 6] {
    let g = |i: usize, j: usize| (0..3).map(|k| rows[i][k] * rows[j][k]).sum::<f64>();
    let c11 = g(0, 0).sqrt();
    let c21 = g(1, 0) / c11;
    let c22 = (g(1, 1) - c21 * c21).max(0.0).sqrt();
    let c31 = g(2, 0) / c11;
    let c32 = (g(2, 1) - c31 * c21) / c22;
    let c33 = (g(2, 2) - c31 * c31 - c32 * c32).max(0.0).sqrt();
    [c11.ln(), c22.ln(), c33.ln(), c21, c31, c32]
}

/// The lattice (rows = vectors, Å) whose log-Cholesky numbers are `k`.
pub fn from_log_cholesky(k: &[f64; 6]) -> [[f64; 3]; 3] {
    [
        [k[0].exp(), 0.0, 0.0],
        [k[3], k[1].exp(), 0.0],
        [k[4], k[5], k[2].exp()],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use crystal::Lattice;

    fn gram(l: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
        std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| l[i][k] * l[j][k]).sum()))
    }

    #[test]
    fn cubic_cell_is_three_log_lengths() {
        let k = log_cholesky(&[[4.05, 0.0, 0.0], [0.0, 4.05, 0.0], [0.0, 0.0, 4.05]]);
        for v in &k[..3] {
            assert_relative_eq!(*v, 4.05f64.ln(), epsilon = 1e-12);
        }
        assert!(k[3..].iter().all(|v| v.abs() < 1e-12));
    }

    #[test]
    fn round_trip_keeps_the_metric_and_forgets_the_frame() {
        // A triclinic cell, then the same cell rotated by 90° about z and mirrored.
        let l = Lattice::from_parameters(3.1, 4.7, 6.2, 77.0, 101.0, 112.0).unwrap();
        let r = *l.rows();
        let turned: [[f64; 3]; 3] = std::array::from_fn(|i| [-r[i][1], r[i][0], -r[i][2]]);
        let k = log_cholesky(&r);
        let back = from_log_cholesky(&k);
        let (g0, g1) = (gram(&r), gram(&back));
        for i in 0..3 {
            for j in 0..3 {
                assert_relative_eq!(g0[i][j], g1[i][j], epsilon = 1e-10);
            }
        }
        let kt = log_cholesky(&turned);
        for i in 0..6 {
            assert_relative_eq!(k[i], kt[i], epsilon = 1e-12);
        }
        let norm = LatticeNorm::default();
        let z = norm.encode(&r);
        let g2 = gram(&norm.decode(&z));
        assert_relative_eq!(g2[1][2], g0[1][2], epsilon = 1e-10);
    }

    #[test]
    fn fit_floors_the_spread_of_constant_entries() {
        let data: Vec<Crystal> = crystal::demo::demo_crystals(3);
        let n = LatticeNorm::fit(&data);
        assert!(n.mean[0] > 2.8f64.ln() && n.mean[0] < 4.1f64.ln());
        assert_eq!(&n.std[3..], &[0.1, 0.1, 0.1]);
        assert!(n.std[0] > 0.1);
    }
}
