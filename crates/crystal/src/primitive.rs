//! The primitive cell: the smallest cell that repeats a structure by pure translations.
//!
//! This module owns the primitive-cell search, a general crystal operation that the
//! structure matcher also runs on every structure it prepares. [`primitive_cell`] reproduces
//! pymatgen's `Structure.get_primitive_structure(tolerance)`: translations that map every site
//! onto a site of the same element (within twice the per-axis tolerance) are collected from
//! the rarest element; cells 1/det of the volume (upper-triangular integer matrices, det a
//! divisor > 1 of the formula units, ascending) are tried, and the first one in which every
//! site merges with exactly det − 1 others of its element gives the smaller cell; the search
//! repeats on that cell and the result is Niggli-reduced (moyo). Symmetry proper (space groups) lives in
//! [`crate::symmetry`].

use crate::elements::Element;
use crate::error::CrystalError;
use crate::geometry::{self, gcd, matrix, reduce_frac, rows_of, sub, vec_matrix, wrap};
use crate::lattice::Lattice;
use crate::structure::Crystal;
use nalgebra::Matrix3;

/// Tolerance of the primitive-cell search, in Å per axis (pymatgen's default 0.25).
pub const PRIMITIVE_TOLERANCE_A: f64 = 0.25;

/// A cell as the search holds it: row matrix (Å), atomic numbers, fractional coordinates.
#[derive(Debug, Clone)]
pub(crate) struct Sites {
    pub lattice: Matrix3<f64>,
    pub z: Vec<u8>,
    pub frac: Vec<[f64; 3]>,
}

impl Sites {
    /// The Niggli cell of `c`, coordinates wrapped into [0, 1), sites in input order: where
    /// the search starts.
    pub(crate) fn niggli_of(c: &Crystal) -> Sites {
        let z: Vec<u8> = c.species().iter().map(|e| e.z()).collect();
        let frac: Vec<[f64; 3]> = c.frac_coords().iter().map(|&f| wrap(f)).collect();
        let (lattice, frac) = niggli(&matrix(c.lattice().rows()), &frac);
        Sites { lattice, z, frac }
    }
}

/// The primitive cell of `c` within `tolerance_a` Å per axis (pymatgen's
/// `get_primitive_structure`, see the module documentation), Niggli-reduced, with sites
/// grouped by element symbol (alphabetically) and the positions of merged sites averaged.
/// `Ok(None)` when no smaller cell exists (the Niggli cell of `c` is already primitive). The
/// matcher runs this search with [`PRIMITIVE_TOLERANCE_A`].
pub fn primitive_cell(c: &Crystal, tolerance_a: f64) -> Result<Option<Crystal>, CrystalError> {
    let Some(found) = search(&Sites::niggli_of(c), tolerance_a) else {
        return Ok(None);
    };
    let species = found
        .z
        .iter()
        .map(|&z| Element::from_z(z))
        .collect::<Result<Vec<_>, _>>()?;
    let lattice = Lattice::new(rows_of(&found.lattice))?;
    Crystal::new(lattice, species, found.frac).map(Some)
}

/// Niggli-reduces a cell (moyo) and re-expresses the fractional coordinates in it, wrapped
/// into [0, 1). An uninvertible reduced basis leaves the cell as it is.
pub(crate) fn niggli(lattice: &Matrix3<f64>, frac: &[[f64; 3]]) -> (Matrix3<f64>, Vec<[f64; 3]>) {
    let (reduced, _) = moyo::base::Lattice::new(*lattice).unchecked_niggli_reduce();
    let rows = reduced.basis.transpose();
    let Some(inv) = rows.try_inverse() else {
        return (*lattice, frac.to_vec());
    };
    // f_new = (f · L) · L_new⁻¹
    let t = lattice * inv;
    let frac = frac.iter().map(|&f| wrap(vec_matrix(f, &t))).collect();
    (rows, frac)
}

/// Element symbol of an atomic number ("" for none).
fn symbol(z: u8) -> &'static str {
    Element::from_z(z).map(|e| e.symbol()).unwrap_or("")
}

/// The divisors of n, ascending.
fn divisors(n: usize) -> impl Iterator<Item = usize> {
    (1..=n).filter(move |d| n.is_multiple_of(*d))
}

/// Periodic per-axis closeness: |Δ_k − round(Δ_k)| < tol_k on every axis.
fn close_pbc(a: [f64; 3], b: [f64; 3], tol: [f64; 3]) -> bool {
    (0..3).all(|k| reduce_frac(a[k] - b[k]).abs() < tol[k])
}

/// The search behind [`primitive_cell`] on a cell with coordinates in [0, 1) (as the
/// matcher holds it): the smallest cell, Niggli-reduced, or None when the cell is already
/// primitive. Sites come grouped by element symbol (alphabetically); merged sites get their
/// averaged position.
pub(crate) fn search(cell: &Sites, tolerance: f64) -> Option<Sites> {
    let (lattice, z, frac) = (&cell.lattice, &cell.z, &cell.frac);
    // Sites grouped by element symbol, alphabetically (pymatgen sorts by species string).
    let mut groups: Vec<(u8, Vec<[f64; 3]>)> = Vec::new();
    for (&zi, &f) in z.iter().zip(frac) {
        match groups.iter_mut().find(|g| g.0 == zi) {
            Some(g) => g.1.push(f),
            None => groups.push((zi, vec![f])),
        }
    }
    groups.sort_by_key(|g| symbol(g.0));
    let abc = geometry::lengths(&rows_of(lattice));
    let super_ftol = abc.map(|l| tolerance / l);
    let super_ftol_2 = super_ftol.map(|x| 2.0 * x);
    // Candidate translations from the smallest group, kept only when they map every site
    // of every group onto a site of the same group (within twice the tolerance).
    let smallest = groups.iter().min_by_key(|g| g.1.len())?;
    let origin = smallest.1[0];
    let mut min_vecs: Vec<[f64; 3]> = smallest.1.iter().map(|&f| sub(f, origin)).collect();
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| groups[g].1.len());
    for &g in &order {
        let coords = &groups[g].1;
        for fc in coords {
            min_vecs.retain(|v| {
                coords
                    .iter()
                    .any(|o| close_pbc(*v, sub(*o, *fc), super_ftol_2))
            });
        }
    }
    if min_vecs.len() < 2 {
        return None;
    }
    let num_fu = groups.iter().fold(0, |acc, g| gcd(acc, g.1.len()));
    // Sites of a group that are distinct in the original cell (never merged together).
    let non_nbrs: Vec<Vec<bool>> = groups
        .iter()
        .map(|(_, c)| {
            let n = c.len();
            let mut m = vec![false; n * n];
            for i in 0..n {
                for j in 0..n {
                    m[i * n + j] = i == j
                        || (0..3).any(|k| reduce_frac(c[i][k] - c[j][k]).abs() > super_ftol_2[k]);
                }
            }
            m
        })
        .collect();
    for det in divisors(num_fu).filter(|&d| d > 1) {
        for a in divisors(det) {
            for e in divisors(det / a) {
                let g = det / a / e;
                for b in 0..a {
                    for c in 0..a {
                        for f in 0..e {
                            let m = Matrix3::new(
                                a as f64, b as f64, c as f64, 0.0, e as f64, f as f64, 0.0, 0.0,
                                g as f64,
                            );
                            let Some(inv_m) = m.try_inverse() else {
                                continue;
                            };
                            let rows_close = (0..3).all(|i| {
                                let r = rows_of(&inv_m)[i];
                                min_vecs.iter().any(|v| close_pbc(r, *v, super_ftol))
                            });
                            if !rows_close {
                                continue;
                            }
                            let merge = Merge {
                                lattice,
                                groups: &groups,
                                non_nbrs: &non_nbrs,
                                det,
                                tolerance,
                            };
                            if let Some(found) = merge.try_cell(&m, &inv_m) {
                                // Recurse on the cell as found (its axes set the next
                                // tolerances, as in pymatgen), then Niggli-reduce.
                                let found = search(&found, tolerance).unwrap_or(found);
                                let (lattice, frac) = niggli(&found.lattice, &found.frac);
                                return Some(Sites {
                                    lattice,
                                    z: found.z,
                                    frac,
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    None
}

/// What every trial cell of one search shares: the cell searched, its sites grouped by
/// element, which pairs of a group are distinct, the volume ratio and the tolerance (Å).
struct Merge<'a> {
    lattice: &'a Matrix3<f64>,
    groups: &'a [(u8, Vec<[f64; 3]>)],
    non_nbrs: &'a [Vec<bool>],
    det: usize,
    tolerance: f64,
}

impl Merge<'_> {
    /// Tries the cell `inv_m · L` (1/det of the volume; `m` its inverse): every site must merge
    /// with exactly `det − 1` others of its element into a clique; returns the merged
    /// structure.
    fn try_cell(&self, m: &Matrix3<f64>, inv_m: &Matrix3<f64>) -> Option<Sites> {
        let (lattice, det, tolerance) = (self.lattice, self.det, self.tolerance);
        let new_l = inv_m * lattice;
        let ftol = geometry::lengths(&rows_of(&new_l)).map(|l| tolerance / l);
        let mut z_out = Vec::new();
        let mut f_out = Vec::new();
        for ((zg, coords), nn) in self.groups.iter().zip(self.non_nbrs) {
            let n = coords.len();
            let all_frac: Vec<[f64; 3]> = coords.iter().map(|&f| vec_matrix(f, m)).collect();
            let mut grp = vec![false; n * n];
            for i in 0..n {
                for j in 0..n {
                    grp[i * n + j] = nn[i * n + j] && close_pbc(all_frac[i], all_frac[j], ftol);
                }
            }
            for j in 0..n {
                if (0..n).filter(|&i| grp[i * n + j]).count() != det {
                    return None;
                }
            }
            for i in 0..n {
                let members: Vec<usize> = (0..n).filter(|&j| grp[i * n + j]).collect();
                for &p in &members {
                    for &q in &members {
                        if !grp[p * n + q] {
                            return None;
                        }
                    }
                }
            }
            let mut added = vec![false; n];
            for i in 0..n {
                if added[i] {
                    continue;
                }
                let members: Vec<usize> = (0..n).filter(|&j| grp[i * n + j]).collect();
                for &j in &members {
                    added[j] = true;
                }
                let mut coords = wrap(all_frac[members[0]]);
                for (k, &j) in members[1..].iter().enumerate() {
                    let o = wrap(all_frac[j]);
                    for ax in 0..3 {
                        coords[ax] += reduce_frac(o[ax] - coords[ax]) / (k as f64 + 2.0);
                    }
                }
                z_out.push(*zg);
                f_out.push(wrap(coords));
            }
        }
        Some(Sites {
            lattice: new_l,
            z: z_out,
            frac: f_out,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{bcc_fe, diamond_c, fcc_al};
    use crate::test_support::{el, nacl};
    use approx::assert_relative_eq;

    #[test]
    fn textbook_primitive_cells() {
        // (conventional cell, atoms in the primitive cell, nearest-neighbour distance Å)
        let cases = [
            (fcc_al(), 1, 4.05 / 2f64.sqrt()),
            (bcc_fe(), 1, 2.87 * 3f64.sqrt() / 2.0),
            (diamond_c(), 2, 3.57 * 3f64.sqrt() / 4.0),
            (nacl(), 2, 5.64 / 2.0),
        ];
        for (c, n, nn) in cases {
            let p = primitive_cell(&c, PRIMITIVE_TOLERANCE_A).unwrap().unwrap();
            assert_eq!(p.num_atoms(), n, "{}", c.formula());
            // Same reduced composition; sites come grouped by symbol (ClNa for NaCl).
            let reduced = |x: &Crystal| {
                let mut v: Vec<(u8, usize)> = x
                    .composition()
                    .iter()
                    .map(|&(e, k)| (e.z(), k / x.formula_units()))
                    .collect();
                v.sort_unstable();
                v
            };
            assert_eq!(reduced(&p), reduced(&c));
            assert_relative_eq!(
                p.volume_a3(),
                c.volume_a3() * n as f64 / c.num_atoms() as f64,
                max_relative = 1e-9
            );
            assert_relative_eq!(crate::pbc::min_distance(&p), nn, max_relative = 1e-9);
        }
        // FCC's primitive vectors are face diagonals a/√2 at 60° to each other.
        let p = primitive_cell(&fcc_al(), PRIMITIVE_TOLERANCE_A)
            .unwrap()
            .unwrap();
        for l in p.lattice().lengths() {
            assert_relative_eq!(l, 4.05 / 2f64.sqrt(), max_relative = 1e-9);
        }
        for a in p.lattice().angles() {
            assert!((a - 60.0).abs() < 1e-6 || (a - 120.0).abs() < 1e-6, "{a}");
        }
    }

    #[test]
    fn a_primitive_cell_has_no_smaller_cell() {
        let p = primitive_cell(&diamond_c(), PRIMITIVE_TOLERANCE_A)
            .unwrap()
            .unwrap();
        assert!(primitive_cell(&p, PRIMITIVE_TOLERANCE_A).unwrap().is_none());
        // Two different elements on the bcc sites (CsCl): already primitive.
        let cscl = Crystal::new(
            Lattice::cubic(4.12).unwrap(),
            vec![el("Cs"), el("Cl")],
            vec![[0.0; 3], [0.5; 3]],
        )
        .unwrap();
        assert!(primitive_cell(&cscl, PRIMITIVE_TOLERANCE_A)
            .unwrap()
            .is_none());
    }
}
