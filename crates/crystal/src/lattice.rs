//! Periodic lattices.
//!
//! A [`Lattice`] is three lattice vectors in Å. Convention throughout the project:
//! **row i of the lattice matrix is lattice vector i** (a, b, c), and a point with
//! fractional coordinates `f` (a row vector) sits at Cartesian `r = f · L`. Cells built
//! from parameters put a along x and b in the xy plane (the ASE/VESTA convention).

use crate::error::CrystalError;
use crate::geometry::{self, matrix, norm, rows_of, vec_mat, CellClosure};
use serde::{Deserialize, Serialize};

/// Three lattice vectors, validated to be finite and non-singular.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "[[f64; 3]; 3]", into = "[[f64; 3]; 3]")]
pub struct Lattice {
    /// Row i is lattice vector i, in Å.
    rows: [[f64; 3]; 3],
    /// Inverse of the row matrix: `f = r · inv`.
    inv: [[f64; 3]; 3],
}

impl Lattice {
    /// A lattice from its three vectors (rows, Å). Fails on non-finite numbers or a
    /// volume below 1e-8 of the product of the vector lengths (a singular cell).
    pub fn new(rows: [[f64; 3]; 3]) -> Result<Self, CrystalError> {
        if rows.iter().flatten().any(|x| !x.is_finite()) {
            return Err(CrystalError::InvalidLattice {
                reason: "non-finite entry".into(),
                rows,
            });
        }
        let m = matrix(&rows);
        let det = m.determinant();
        let scale = norm(rows[0]) * norm(rows[1]) * norm(rows[2]);
        // NaN-safe: a NaN determinant fails the comparison and is rejected.
        if det.abs().partial_cmp(&(1e-8 * scale)) != Some(std::cmp::Ordering::Greater)
            || scale == 0.0
        {
            return Err(CrystalError::InvalidLattice {
                reason: format!("singular cell (volume {det:.3e} Å³)"),
                rows,
            });
        }
        let inv = m
            .try_inverse()
            .ok_or_else(|| CrystalError::InvalidLattice {
                reason: "matrix not invertible".into(),
                rows,
            })?;
        Ok(Lattice {
            rows,
            inv: rows_of(&inv),
        })
    }

    /// A cubic cell of edge `a` Å.
    pub fn cubic(a: f64) -> Result<Self, CrystalError> {
        Lattice::new([[a, 0.0, 0.0], [0.0, a, 0.0], [0.0, 0.0, a]])
    }

    /// A cell from lengths (Å) and angles (degrees): a along x, b in the xy plane.
    pub fn from_parameters(
        a: f64,
        b: f64,
        c: f64,
        alpha: f64,
        beta: f64,
        gamma: f64,
    ) -> Result<Self, CrystalError> {
        let bad = |reason: &str| CrystalError::InvalidLatticeParameters {
            a,
            b,
            c,
            alpha,
            beta,
            gamma,
            reason: reason.into(),
        };
        let all = [a, b, c, alpha, beta, gamma];
        if all.iter().any(|x| !x.is_finite()) {
            return Err(bad("non-finite value"));
        }
        if a <= 0.0 || b <= 0.0 || c <= 0.0 {
            return Err(bad("lengths must be positive"));
        }
        if [alpha, beta, gamma].iter().any(|&x| x <= 0.0 || x >= 180.0) {
            return Err(bad("angles must lie strictly between 0 and 180 degrees"));
        }
        let rows =
            geometry::rows_from_parameters([a, b, c, alpha, beta, gamma], CellClosure::Margin)
                .ok_or_else(|| bad("the three angles cannot close a cell"))?;
        Lattice::new(rows)
    }

    /// Row i is lattice vector i, in Å.
    pub fn rows(&self) -> &[[f64; 3]; 3] {
        &self.rows
    }

    /// Cell volume |det L| in Å³.
    pub fn volume(&self) -> f64 {
        matrix(&self.rows).determinant().abs()
    }

    /// Signed det L in Å³: positive for a right-handed (a, b, c), negative for a left-handed one.
    pub fn determinant(&self) -> f64 {
        matrix(&self.rows).determinant()
    }

    /// Lengths |a|, |b|, |c| in Å.
    pub fn lengths(&self) -> [f64; 3] {
        geometry::lengths(&self.rows)
    }

    /// Angles α (b,c), β (a,c), γ (a,b) in degrees.
    pub fn angles(&self) -> [f64; 3] {
        geometry::angles(&self.rows)
    }

    /// Reciprocal vectors without the 2π factor: row i is b_i with a_i · b_j = δ_ij,
    /// in 1/Å. |b_i| is the inverse spacing of the lattice planes spanned by the other two
    /// vectors, which bounds how many periodic images a distance search must visit.
    pub fn reciprocal_rows(&self) -> [[f64; 3]; 3] {
        let mut r = [[0.0; 3]; 3];
        for (i, row) in r.iter_mut().enumerate() {
            for (j, x) in row.iter_mut().enumerate() {
                *x = self.inv[j][i];
            }
        }
        r
    }

    /// |b_i| for the three reciprocal vectors (1/Å).
    pub fn reciprocal_lengths(&self) -> [f64; 3] {
        geometry::reciprocal_lengths(&self.inv)
    }

    /// Cartesian position (Å) of fractional coordinates `f`: r = f · L.
    pub fn frac_to_cart(&self, f: [f64; 3]) -> [f64; 3] {
        vec_mat(f, &self.rows)
    }

    /// Fractional coordinates of a Cartesian position `r` (Å): f = r · L⁻¹.
    pub fn cart_to_frac(&self, r: [f64; 3]) -> [f64; 3] {
        vec_mat(r, &self.inv)
    }

    /// The same cell with every vector multiplied by `factor` (isotropic strain).
    pub fn scaled(&self, factor: f64) -> Result<Self, CrystalError> {
        let mut rows = self.rows;
        rows.iter_mut().flatten().for_each(|x| *x *= factor);
        Lattice::new(rows)
    }
}

impl TryFrom<[[f64; 3]; 3]> for Lattice {
    type Error = CrystalError;
    fn try_from(rows: [[f64; 3]; 3]) -> Result<Self, Self::Error> {
        Lattice::new(rows)
    }
}

impl From<Lattice> for [[f64; 3]; 3] {
    fn from(l: Lattice) -> Self {
        l.rows
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::needless_range_loop)]

    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn cubic_volume_and_reciprocal() {
        let l = Lattice::cubic(4.05).unwrap();
        assert_relative_eq!(l.volume(), 4.05f64.powi(3), epsilon = 1e-9);
        for x in l.reciprocal_lengths() {
            assert_relative_eq!(x, 1.0 / 4.05, epsilon = 1e-12);
        }
    }

    #[test]
    fn parameters_round_trip_for_a_triclinic_cell() {
        let l = Lattice::from_parameters(3.1, 4.7, 5.3, 77.0, 95.5, 112.0).unwrap();
        let [a, b, c] = l.lengths();
        let [al, be, ga] = l.angles();
        assert_relative_eq!(a, 3.1, epsilon = 1e-12);
        assert_relative_eq!(b, 4.7, epsilon = 1e-12);
        assert_relative_eq!(c, 5.3, epsilon = 1e-12);
        assert_relative_eq!(al, 77.0, epsilon = 1e-9);
        assert_relative_eq!(be, 95.5, epsilon = 1e-9);
        assert_relative_eq!(ga, 112.0, epsilon = 1e-9);
        // a along x, b in the xy plane.
        assert_eq!(l.rows()[0][1], 0.0);
        assert_eq!(l.rows()[1][2], 0.0);
    }

    #[test]
    fn frac_cart_round_trip_and_duality() {
        let l = Lattice::from_parameters(3.1, 4.7, 5.3, 77.0, 95.5, 112.0).unwrap();
        let f = [0.1, -0.7, 1.3];
        let back = l.cart_to_frac(l.frac_to_cart(f));
        for k in 0..3 {
            assert_relative_eq!(back[k], f[k], epsilon = 1e-12);
        }
        let r = l.reciprocal_rows();
        for i in 0..3 {
            for j in 0..3 {
                let expect = if i == j { 1.0 } else { 0.0 };
                assert_relative_eq!(geometry::dot(l.rows()[i], r[j]), expect, epsilon = 1e-12);
            }
        }
    }

    #[test]
    fn rejects_singular_and_non_finite_cells() {
        assert!(Lattice::new([[1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 1.0]]).is_err());
        assert!(Lattice::new([[f64::NAN, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]).is_err());
        assert!(Lattice::from_parameters(1.0, 1.0, 1.0, 10.0, 10.0, 100.0).is_err());
        assert!(Lattice::from_parameters(-1.0, 1.0, 1.0, 90.0, 90.0, 90.0).is_err());
    }
}
