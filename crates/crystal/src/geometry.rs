//! The small geometry kernel every other module builds on.
//!
//! This module owns the handful of formulas that used to be written out again in the
//! lattice, the periodic searches, the matcher, the fingerprints and the CIF reader:
//! 3-vector arithmetic on `[f64; 3]` ([`dot`], [`cross`], [`norm`], [`norm2`], [`add`],
//! [`sub`]); periodic reduction of fractional coordinates ([`wrap_frac`] / [`wrap`] into
//! [0, 1), [`reduce_frac`] / [`reduce_diff`] into [−½, ½]); the row-vector × matrix product
//! that turns fractional into Cartesian coordinates ([`vec_mat`], [`vec_matrix`]); lattice
//! parameters from three row vectors and back ([`lengths`], [`angles`], [`parameters`],
//! [`rows_from_parameters`]); reciprocal lengths ([`reciprocal_lengths`],
//! [`reciprocal_lengths_of`]); conversions between row arrays and nalgebra matrices
//! ([`matrix`], [`rows_of`]); and [`gcd`].
//!
//! Every function spells out its floating-point operations in one fixed order, so that all
//! callers get bit-identical results. Conventions as in [`crate::lattice`]: row i of a
//! lattice matrix is lattice vector i, and Cartesian r = f · L for a fractional row vector f.

use nalgebra::Matrix3;

/// a · b, summed as (a₀b₀ + a₁b₁) + a₂b₂.
#[inline]
pub fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// |v|², i.e. `dot(v, v)`.
#[inline]
pub fn norm2(v: [f64; 3]) -> f64 {
    v[0] * v[0] + v[1] * v[1] + v[2] * v[2]
}

/// |v|.
#[inline]
pub fn norm(v: [f64; 3]) -> f64 {
    norm2(v).sqrt()
}

/// a + b.
#[inline]
pub fn add(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

/// a − b.
#[inline]
pub fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// a × b.
#[inline]
pub fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Wraps a fractional coordinate into [0, 1) (periodic boundary conditions). Unlike a
/// plain `x - floor(x)`, never returns 1.0 for tiny negative inputs.
#[inline]
pub fn wrap_frac(x: f64) -> f64 {
    let w = x - x.floor();
    if w >= 1.0 {
        0.0
    } else {
        w
    }
}

/// [`wrap_frac`] on each component.
#[inline]
pub fn wrap(f: [f64; 3]) -> [f64; 3] {
    [wrap_frac(f[0]), wrap_frac(f[1]), wrap_frac(f[2])]
}

/// A fractional difference reduced to the nearest periodic image along one axis:
/// `x − round(x)`, in [−½, ½] (halves round away from zero).
#[inline]
pub fn reduce_frac(x: f64) -> f64 {
    x - x.round()
}

/// [`reduce_frac`] on each component: the naive minimum-image fractional separation.
#[inline]
pub fn reduce_diff(d: [f64; 3]) -> [f64; 3] {
    [reduce_frac(d[0]), reduce_frac(d[1]), reduce_frac(d[2])]
}

/// Row vector × matrix: `f · M`, component j being (f₀M₀ⱼ + f₁M₁ⱼ) + f₂M₂ⱼ. With M the
/// lattice rows this is the Cartesian position of fractional coordinates f.
#[inline]
pub fn vec_mat(f: [f64; 3], m: &[[f64; 3]; 3]) -> [f64; 3] {
    [
        f[0] * m[0][0] + f[1] * m[1][0] + f[2] * m[2][0],
        f[0] * m[0][1] + f[1] * m[1][1] + f[2] * m[2][1],
        f[0] * m[0][2] + f[1] * m[1][2] + f[2] * m[2][2],
    ]
}

/// The nalgebra matrix whose row i is `rows[i]`.
#[inline]
pub fn matrix(rows: &[[f64; 3]; 3]) -> Matrix3<f64> {
    Matrix3::from_fn(|i, j| rows[i][j])
}

/// The rows of a nalgebra matrix.
#[inline]
pub fn rows_of(m: &Matrix3<f64>) -> [[f64; 3]; 3] {
    std::array::from_fn(|i| std::array::from_fn(|j| m[(i, j)]))
}

/// [`vec_mat`] with a nalgebra matrix: `f · M`, M's row i being vector i.
#[inline]
pub fn vec_matrix(f: [f64; 3], m: &Matrix3<f64>) -> [f64; 3] {
    vec_mat(f, &rows_of(m))
}

/// [`reciprocal_lengths`] of a nalgebra row matrix (all zero when it is singular).
pub fn reciprocal_lengths_of(m: &Matrix3<f64>) -> [f64; 3] {
    let inv = m.try_inverse().unwrap_or_else(Matrix3::zeros);
    reciprocal_lengths(&rows_of(&inv))
}

/// Greatest common divisor (Euclid); `gcd(0, n) = n`.
pub fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Lengths |a|, |b|, |c| of the three rows.
#[inline]
pub fn lengths(rows: &[[f64; 3]; 3]) -> [f64; 3] {
    [norm(rows[0]), norm(rows[1]), norm(rows[2])]
}

/// The angle between u and v in degrees, given their lengths: acos of the clamped cosine.
#[inline]
pub fn angle_deg(u: [f64; 3], v: [f64; 3], lu: f64, lv: f64) -> f64 {
    (dot(u, v) / (lu * lv)).clamp(-1.0, 1.0).acos().to_degrees()
}

/// Angles α (b,c), β (a,c), γ (a,b) of the three rows, in degrees.
pub fn angles(rows: &[[f64; 3]; 3]) -> [f64; 3] {
    let [la, lb, lc] = lengths(rows);
    [
        angle_deg(rows[1], rows[2], lb, lc),
        angle_deg(rows[0], rows[2], la, lc),
        angle_deg(rows[0], rows[1], la, lb),
    ]
}

/// Lattice parameters (a, b, c, α, β, γ) of the three rows: Å and degrees.
pub fn parameters(rows: &[[f64; 3]; 3]) -> [f64; 6] {
    let [a, b, c] = lengths(rows);
    let [al, be, ga] = angles(rows);
    [a, b, c, al, be, ga]
}

/// Which parameter sets [`rows_from_parameters`] rejects as not closing a cell. Both test
/// (c_z/c)² = 1 − cos²β − c_y², c_y = (cos α − cos β cos γ)/sin γ; they differ because their
/// callers do, and each caller's results must stay as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellClosure {
    /// Rejects (c_z/c)² ≤ 1e-12: [`crate::Lattice::from_parameters`], whose inputs are
    /// already checked finite with angles strictly between 0° and 180°.
    Margin,
    /// Rejects (c_z/c)² NaN or ≤ 0, or |sin γ| < 1e-12: the matcher's averaged lattices,
    /// whose parameters are not checked beforehand.
    Positive,
}

/// Lattice rows from parameters (a, b, c in Å, α, β, γ in degrees): a along x, b in the xy
/// plane (the ASE/VESTA convention). None when the angles cannot close a cell under
/// `closure`.
pub fn rows_from_parameters(p: [f64; 6], closure: CellClosure) -> Option<[[f64; 3]; 3]> {
    let (al, be, ga) = (p[3].to_radians(), p[4].to_radians(), p[5].to_radians());
    let (ca, cb, cg, sg) = (al.cos(), be.cos(), ga.cos(), ga.sin());
    let cy = (ca - cb * cg) / sg;
    let cz2 = 1.0 - cb * cb - cy * cy;
    let open = match closure {
        CellClosure::Margin => cz2 <= 1e-12,
        CellClosure::Positive => cz2.is_nan() || cz2 <= 0.0 || sg.abs() < 1e-12,
    };
    if open {
        return None;
    }
    Some([
        [p[0], 0.0, 0.0],
        [p[1] * cg, p[1] * sg, 0.0],
        [p[2] * cb, p[2] * cy, p[2] * cz2.sqrt()],
    ])
}

/// Lengths of the 2π-free reciprocal vectors b_k given the inverse of the row matrix:
/// b_k is column k of L⁻¹, and 1/|b_k| is the spacing of the lattice planes spanned by the
/// other two vectors.
#[inline]
pub fn reciprocal_lengths(inverse: &[[f64; 3]; 3]) -> [f64; 3] {
    let m = inverse;
    [0, 1, 2].map(|k| norm([m[0][k], m[1][k], m[2][k]]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn vector_kernel_on_textbook_vectors() {
        let (x, y, z) = ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]);
        assert_eq!(cross(x, y), z);
        assert_eq!(cross(y, z), x);
        assert_eq!(dot([1.0, 2.0, 3.0], [4.0, -5.0, 6.0]), 12.0);
        assert_eq!(norm([3.0, 4.0, 12.0]), 13.0);
        assert_eq!(norm2([1.0, 2.0, 2.0]), 9.0);
        assert_eq!(sub([1.0, 2.0, 3.0], [0.5, 2.0, 4.0]), [0.5, 0.0, -1.0]);
        assert_eq!(add([1.0, 2.0, 3.0], [0.5, 2.0, 4.0]), [1.5, 4.0, 7.0]);
        assert_eq!(gcd(12, 18), 6);
        assert_eq!(gcd(0, 7), 7);
        assert_eq!([4, 8, 12].iter().fold(0, |g, &n| gcd(g, n)), 4);
    }

    #[test]
    fn wrap_is_in_unit_interval() {
        for x in [-1e-18, -0.25, 0.0, 0.999_999_999, 1.0, 3.75, -7.5] {
            let w = wrap_frac(x);
            assert!((0.0..1.0).contains(&w), "{x} -> {w}");
        }
        assert_relative_eq!(wrap_frac(-0.25), 0.75);
        assert_relative_eq!(wrap_frac(3.75), 0.75);
    }

    #[test]
    fn periodic_reduction() {
        assert_eq!(wrap([-0.25, 1.5, 0.5]), [0.75, 0.5, 0.5]);
        assert_eq!(
            reduce_diff([0.7, -0.7, 0.25]).map(|x| (x * 1e12).round() / 1e12),
            [-0.3, 0.3, 0.25]
        );
        assert_eq!(reduce_frac(0.5), -0.5);
        assert!(reduce_diff([0.49, -0.51, 3.2])
            .iter()
            .all(|x| x.abs() <= 0.5));
    }

    #[test]
    fn fractional_to_cartesian_and_parameters_of_a_hexagonal_cell() {
        // Hexagonal a = 3.25, c = 5.207 (wurtzite ZnO): γ = 120°.
        let rows =
            rows_from_parameters([3.25, 3.25, 5.207, 90.0, 90.0, 120.0], CellClosure::Margin)
                .unwrap();
        let p = parameters(&rows);
        for (got, want) in p.iter().zip([3.25, 3.25, 5.207, 90.0, 90.0, 120.0]) {
            assert_relative_eq!(*got, want, epsilon = 1e-9);
        }
        let r = vec_mat([1.0 / 3.0, 2.0 / 3.0, 0.5], &rows);
        assert_relative_eq!(r[0], 0.0, epsilon = 1e-12);
        assert_relative_eq!(r[1], 3.25 / 3f64.sqrt(), epsilon = 1e-12);
        assert_relative_eq!(r[2], 5.207 / 2.0, epsilon = 1e-12);
        assert_eq!(rows_of(&matrix(&rows)), rows);
        // Cubic a = 2: reciprocal lengths 1/2.
        let inv = [[0.5, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 0.5]];
        assert_eq!(reciprocal_lengths(&inv), [0.5; 3]);
    }

    #[test]
    fn cells_that_cannot_close() {
        // α + β < γ: no cell.
        let p = [1.0, 1.0, 1.0, 10.0, 10.0, 100.0];
        assert!(rows_from_parameters(p, CellClosure::Margin).is_none());
        assert!(rows_from_parameters(p, CellClosure::Positive).is_none());
        // γ = 0: sin γ = 0, rejected by the matcher's rule.
        let flat = [1.0, 1.0, 1.0, 90.0, 90.0, 0.0];
        assert!(rows_from_parameters(flat, CellClosure::Positive).is_none());
    }
}
