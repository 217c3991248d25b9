//! The lattice search of the matcher: every lattice of one structure that resembles the
//! other's within `ltol` and `angle_tol` ([`lattice_candidates`], pymatgen's
//! `Lattice.find_all_mappings`), and the lattice points of a supercell.

use super::{NoMatch, MAX_LATTICE_POINTS};
use crate::geometry::{self, norm, reciprocal_lengths_of, rows_of, vec_matrix};
use nalgebra::Matrix3;

/// An integer matrix as a float one.
pub(super) fn int_matrix(n: &[[i64; 3]; 3]) -> Matrix3<f64> {
    Matrix3::from_fn(|i, j| n[i][j] as f64)
}

/// Integer 3×3 determinant.
fn det_i(n: &[[i64; 3]; 3]) -> i64 {
    n[0][0] * (n[1][1] * n[2][2] - n[1][2] * n[2][1])
        - n[0][1] * (n[1][0] * n[2][2] - n[1][2] * n[2][0])
        + n[0][2] * (n[1][0] * n[2][1] - n[1][1] * n[2][0])
}

/// A lattice point: integer coordinates, Cartesian vector (Å), length (Å).
type LatticePoint = ([i64; 3], [f64; 3], f64);

/// A lattice of A resembling a target lattice: the integer rows `n` with `rows = n · L_A`.
pub(super) struct Candidate {
    pub rows: Matrix3<f64>,
    pub n: [[i64; 3]; 3],
}

/// pymatgen's `Lattice.find_all_mappings(target, ltol, atol)` restricted to |det n| = `fu`:
/// every triple of lattice vectors of `lat` with the target's lengths (ratio within
/// 1+ltol, strict) and angles (within atol degrees), both handednesses.
pub(super) fn lattice_candidates(
    lat: &Matrix3<f64>,
    target: &Matrix3<f64>,
    ltol: f64,
    atol: f64,
    fu: i64,
) -> Result<Vec<Candidate>, NoMatch> {
    let tp = geometry::parameters(&rows_of(target));
    let lengths = [tp[0], tp[1], tp[2]];
    let r_max = lengths.iter().cloned().fold(0.0, f64::max) * (1.0 + ltol);
    let rl = reciprocal_lengths_of(lat);
    let nmax = rl.map(|b| (r_max * b).floor().min(1e9) as i64);
    let points: i64 = nmax.iter().map(|&n| 2 * n + 1).product();
    if !(0..=MAX_LATTICE_POINTS).contains(&points) {
        return Err(NoMatch::Degenerate);
    }
    // Lattice points bucketed by the target length they resemble.
    let mut buckets: [Vec<LatticePoint>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for i in -nmax[0]..=nmax[0] {
        for j in -nmax[1]..=nmax[1] {
            for k in -nmax[2]..=nmax[2] {
                let f = [i as f64, j as f64, k as f64];
                let v = vec_matrix(f, lat);
                let d = norm(v);
                if d > r_max || d == 0.0 {
                    continue;
                }
                for (axis, bucket) in buckets.iter_mut().enumerate() {
                    let ratio = d / lengths[axis];
                    if ratio < 1.0 + ltol && ratio > 1.0 / (1.0 + ltol) {
                        bucket.push(([i, j, k], v, d));
                    }
                }
            }
        }
    }
    let (alpha, beta, gamma) = (tp[3], tp[4], tp[5]);
    let mut out = Vec::new();
    if buckets.iter().any(|b| b.is_empty()) {
        return Ok(out);
    }
    for a in &buckets[0] {
        for b in &buckets[1] {
            if (geometry::angle_deg(a.1, b.1, a.2, b.2) - gamma).abs() > atol {
                continue;
            }
            for c in &buckets[2] {
                if (geometry::angle_deg(b.1, c.1, b.2, c.2) - alpha).abs() > atol
                    || (geometry::angle_deg(a.1, c.1, a.2, c.2) - beta).abs() > atol
                {
                    continue;
                }
                let n = [a.0, b.0, c.0];
                if det_i(&n).abs() != fu {
                    continue;
                }
                out.push(Candidate {
                    rows: Matrix3::new(
                        a.1[0], a.1[1], a.1[2], b.1[0], b.1[1], b.1[2], c.1[0], c.1[1], c.1[2],
                    ),
                    n,
                });
            }
        }
    }
    Ok(out)
}

/// The fractional lattice points of the supercell `n` (rows = n · L) inside [0,1)³:
/// exactly |det n| of them.
pub(super) fn lattice_points_in_supercell(n: &[[i64; 3]; 3]) -> Vec<[f64; 3]> {
    let nm = int_matrix(n);
    let Some(inv) = nm.try_inverse() else {
        return Vec::new();
    };
    let mut lo = [0i64; 3];
    let mut hi = [0i64; 3];
    for corner in 0..8 {
        let c = [corner & 1, (corner >> 1) & 1, (corner >> 2) & 1].map(|x| x as i64);
        for k in 0..3 {
            let v: i64 = (0..3).map(|i| c[i] * n[i][k]).sum();
            lo[k] = lo[k].min(v);
            hi[k] = hi[k].max(v);
        }
    }
    let mut pts = Vec::new();
    for i in lo[0]..=hi[0] {
        for j in lo[1]..=hi[1] {
            for k in lo[2]..=hi[2] {
                let f = vec_matrix([i as f64, j as f64, k as f64], &inv);
                if f.iter().all(|&x| (-1e-10..1.0 - 1e-10).contains(&x)) {
                    pts.push(f.map(|x| if x < 0.0 { 0.0 } else { x }));
                }
            }
        }
    }
    pts
}
