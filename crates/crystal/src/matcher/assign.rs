//! Site assignment: for two prepared structures of equal (expanded) size, every candidate
//! lattice from the lattice search and every anchor translation is scored by assigning sites
//! of the same element under periodic boundaries ([`Pairing::strict_match`], pymatgen's
//! `_strict_match` and `_cart_dists`).

use super::lattice_search::{int_matrix, lattice_candidates, lattice_points_in_supercell};
use super::{MatchResult, MatcherConfig, Mode, NoMatch, Prepared};
use crate::geometry::{
    self, add, matrix, norm2, reciprocal_lengths_of, reduce_frac, rows_of, sub, vec_matrix, wrap,
    CellClosure,
};
use nalgebra::Matrix3;
use pathfinding::kuhn_munkres::kuhn_munkres_min;
use pathfinding::matrix::Matrix;

/// The two structures of one match after volume scaling: `q` is matched onto `p`, which
/// holds at least as many sites once the expanded side is expanded by `fu`.
pub(super) struct Pairing<'a> {
    pub p: &'a Prepared,
    /// `p`'s (scaled) lattice, rows in Å.
    pub lp: Matrix3<f64>,
    pub q: &'a Prepared,
    /// `q`'s (scaled) lattice, rows in Å.
    pub lq: Matrix3<f64>,
    /// Supercell size: the expanded side is taken in a cell `fu` times larger.
    pub fu: usize,
    /// Whether `p` (else `q`) is the side expanded by `fu` (pymatgen's `s1_supercell`).
    pub expand_p: bool,
}

/// One side of a match after supercell expansion: atomic numbers and fractional
/// coordinates in the candidate (or own) basis.
struct Side {
    z: Vec<u8>,
    frac: Vec<[f64; 3]>,
}

impl Side {
    fn with_capacity(n: usize) -> Self {
        Side {
            z: Vec::with_capacity(n),
            frac: Vec::with_capacity(n),
        }
    }

    /// The sites of `src` as they are.
    fn fill_plain(&mut self, src: &Prepared) {
        self.z.clear();
        self.frac.clear();
        self.z.extend_from_slice(&src.z);
        self.frac.extend_from_slice(&src.frac);
    }

    /// The sites of `src` in the candidate basis (`inv_n` = n⁻¹), each repeated at the
    /// lattice points `lpts` of the supercell, wrapped.
    fn fill_expanded(&mut self, src: &Prepared, inv_n: &Matrix3<f64>, lpts: &[[f64; 3]]) {
        self.z.clear();
        self.frac.clear();
        for (&zi, &f) in src.z.iter().zip(&src.frac) {
            let fc = vec_matrix(f, inv_n);
            for lp in lpts {
                self.z.push(zi);
                self.frac.push(wrap(add(fc, *lp)));
            }
        }
    }
}

/// Scores of one assignment.
pub(super) struct Scored {
    pub rms: f64,
    pub max: f64,
}

/// Where one candidate's sites are compared: the Niggli-reduced basis of the average
/// lattice of the candidate and the target.
struct Frame {
    /// Fractional coordinates in the candidate basis → in the reduced basis.
    to_red: [[f64; 3]; 3],
    /// Rows of the reduced basis, Å.
    red_rows: [[f64; 3]; 3],
    /// Per-axis window in the reduced basis: pairs further apart are never assigned.
    red_tol: [f64; 3],
    /// (N/V)^(1/3): Å → units of the normalised displacement.
    norm: f64,
}

impl Pairing<'_> {
    /// Matches `q` onto `p` under `cfg`, scored as `mode` says.
    pub(super) fn strict_match(
        &self,
        cfg: &MatcherConfig,
        mode: Mode,
    ) -> Result<MatchResult, NoMatch> {
        let Pairing {
            p, q, fu, expand_p, ..
        } = *self;
        let (np, nq) = if expand_p {
            (p.num_sites() * fu, q.num_sites())
        } else {
            (p.num_sites(), q.num_sites() * fu)
        };
        if np != nq {
            return Err(NoMatch::SiteCount);
        }
        // Per-element counts must agree after expansion (the mask's perfect matching).
        let scale_p = if expand_p { fu } else { 1 };
        let scale_q = if expand_p { 1 } else { fu };
        let counts_ok = p.counts.len() == q.counts.len()
            && p.counts
                .iter()
                .zip(&q.counts)
                .all(|(x, y)| x.0 == y.0 && x.1 * scale_p == y.1 * scale_q);
        if !counts_ok {
            return Err(NoMatch::SiteCount);
        }
        // Candidates: lattices of the expanded side resembling the other side's lattice.
        let (le, lt) = if expand_p {
            (&self.lp, &self.lq)
        } else {
            (&self.lq, &self.lp)
        };
        let candidates = lattice_candidates(le, lt, cfg.ltol, cfg.angle_tol_deg, fu as i64)?;
        if candidates.is_empty() {
            return Err(NoMatch::NoLattice);
        }
        // Anchor (pymatgen `_get_mask`): the first q site whose element is rarest in p;
        // anchor partners: the p sites of that element (one per original site when p is
        // expanded).
        let count_in_p = |z: u8| p.counts.iter().find(|c| c.0 == z).map_or(0, |c| c.1);
        let anchor_q_orig = (0..q.z.len())
            .min_by_key(|&i| count_in_p(q.z[i]))
            .unwrap_or(0);
        let anchor_z = q.z[anchor_q_orig];
        let mut best: Option<(f64, f64)> = None;
        let mut p_side = Side::with_capacity(np);
        let mut q_side = Side::with_capacity(np);
        let mut ws = Workspace::default();
        let pt = geometry::parameters(&rows_of(lt));
        for cand in &candidates {
            let Some(inv_n) = int_matrix(&cand.n).try_inverse() else {
                continue;
            };
            let lpts = if fu > 1 {
                lattice_points_in_supercell(&cand.n)
            } else {
                vec![[0.0; 3]]
            };
            if expand_p {
                p_side.fill_expanded(p, &inv_n, &lpts);
                q_side.fill_plain(q);
            } else {
                q_side.fill_expanded(q, &inv_n, &lpts);
                p_side.fill_plain(p);
            }
            // Average lattice of the candidate and the target.
            let pc = geometry::parameters(&rows_of(&cand.rows));
            let avg: [f64; 6] = std::array::from_fn(|i| 0.5 * (pc[i] + pt[i]));
            let Some(avg_rows) = geometry::rows_from_parameters(avg, CellClosure::Positive) else {
                continue;
            };
            let avg_l = matrix(&avg_rows);
            let vol = avg_l.determinant().abs();
            let norm = (np as f64 / vol).cbrt();
            let s = 1.0 / norm;
            let frac_tol = reciprocal_lengths_of(&avg_l).map(|bk| 2.0 * cfg.stol * s * bk);
            let (red, _) = moyo::base::Lattice::new(avg_l).unchecked_niggli_reduce();
            let red_rows = red.basis.transpose();
            let Some(red_inv) = red_rows.try_inverse() else {
                continue;
            };
            let frame = Frame {
                to_red: rows_of(&(avg_l * red_inv)),
                red_rows: rows_of(&red_rows),
                red_tol: reciprocal_lengths_of(&red_rows).map(|bk| 2.0 * cfg.stol * s * bk),
                norm,
            };
            let anchor_q = if expand_p {
                anchor_q_orig
            } else {
                anchor_q_orig * fu
            };
            let step = if expand_p { fu } else { 1 };
            let p_anchor_idx: Vec<usize> = (0..np)
                .filter(|&j| p_side.z[j] == anchor_z)
                .step_by(step)
                .collect();
            for &pj in &p_anchor_idx {
                let t = sub(p_side.frac[pj], q_side.frac[anchor_q]);
                if !prefilter(&p_side, &q_side, t, frac_tol) {
                    continue;
                }
                let Some(scored) = cart_dists(&p_side, &q_side, t, &frame, &mut ws) else {
                    continue;
                };
                let (val, other) = mode.split(&scored);
                if best.is_none_or(|b| val < b.0) {
                    best = Some((val, other));
                    if (mode.stops_at_first_match() || val < 1e-5) && val < cfg.stol {
                        return Ok(mode.result(val, other));
                    }
                }
            }
        }
        match best {
            Some((val, other)) if val < cfg.stol => Ok(mode.result(val, other)),
            Some((val, _)) => Err(NoMatch::AboveTolerance { best: Some(val) }),
            None => Err(NoMatch::AboveTolerance { best: None }),
        }
    }
}

/// pymatgen's `is_coord_subset_pbc`: every shifted q site has some p site of its element
/// within the per-axis window.
fn prefilter(p: &Side, q: &Side, t: [f64; 3], tol: [f64; 3]) -> bool {
    q.frac.iter().zip(&q.z).all(|(fq, zq)| {
        let fq = add(*fq, t);
        p.frac
            .iter()
            .zip(&p.z)
            .any(|(fp, zp)| zp == zq && (0..3).all(|k| reduce_frac(fp[k] - fq[k]).abs() <= tol[k]))
    })
}

/// Reused buffers of [`cart_dists`].
#[derive(Default)]
struct Workspace {
    p_red: Vec<[f64; 3]>,
    q_red: Vec<[f64; 3]>,
    vecs: Vec<[f64; 3]>,
    chosen: Vec<[f64; 3]>,
    qi: Vec<usize>,
    pj: Vec<usize>,
}

/// Forbidden pair in the integer cost matrix.
const FORBIDDEN: i64 = i64::MAX / 1024;
/// Squared normalised distance → integer cost units (1e-12 resolution). Costs are
/// divided by (V/N)^(2/3) first, so pairs inside the windows stay far below FORBIDDEN
/// whatever the cell size.
const COST_SCALE: f64 = 1e12;

/// pymatgen's `_cart_dists`: minimum-image vectors from each q site shifted by `t` to each
/// p site of its element (pairs outside the reduced-basis window are forbidden), the
/// assignment minimising the sum of squared distances, the mean vector removed, normalised.
fn cart_dists(
    p: &Side,
    q: &Side,
    t: [f64; 3],
    frame: &Frame,
    ws: &mut Workspace,
) -> Option<Scored> {
    let Frame {
        to_red,
        red_rows,
        red_tol,
        norm,
    } = frame;
    let norm = *norm;
    let n = p.frac.len();
    ws.p_red.clear();
    ws.q_red.clear();
    ws.p_red
        .extend(p.frac.iter().map(|&f| wrap(geometry::vec_mat(f, to_red))));
    ws.q_red.extend(
        q.frac
            .iter()
            .map(|&f| wrap(geometry::vec_mat(add(f, t), to_red))),
    );
    ws.chosen.clear();
    ws.chosen.resize(n, [0.0; 3]);
    // One assignment problem per element (cross-element pairs are forbidden anyway).
    let mut done_z: u128 = 0; // elements 1..=118 seen, as bits (Z < 128)
    for start in 0..n {
        let z = q.z[start];
        if done_z & (1u128 << z) != 0 {
            continue;
        }
        done_z |= 1u128 << z;
        ws.qi.clear();
        ws.qi.extend((0..n).filter(|&i| q.z[i] == z));
        ws.pj.clear();
        ws.pj.extend((0..n).filter(|&j| p.z[j] == z));
        let m = ws.qi.len();
        if ws.pj.len() != m {
            return None;
        }
        ws.vecs.clear();
        let mut weights = Vec::with_capacity(m * m);
        for &i in &ws.qi {
            for &j in &ws.pj {
                let mut d = [0.0; 3];
                let mut inside = true;
                for k in 0..3 {
                    let x = reduce_frac(ws.p_red[j][k] - ws.q_red[i][k]);
                    if x.abs() > red_tol[k] {
                        inside = false;
                    }
                    d[k] = x;
                }
                let (v, d2) = min_image(d, red_rows);
                ws.vecs.push(v);
                weights.push(if inside {
                    ((d2 * norm * norm * COST_SCALE).round() as i64).min(FORBIDDEN - 1)
                } else {
                    FORBIDDEN
                });
            }
        }
        let sol = if m == 1 {
            vec![0]
        } else {
            let w = Matrix::from_vec(m, m, weights.clone()).ok()?;
            kuhn_munkres_min(&w).1
        };
        for (r, &c) in sol.iter().enumerate() {
            if weights[r * m + c] >= FORBIDDEN {
                return None;
            }
            ws.chosen[ws.qi[r]] = ws.vecs[r * m + c];
        }
    }
    let mut mean = [0.0; 3];
    for v in &ws.chosen {
        for k in 0..3 {
            mean[k] += v[k] / n as f64;
        }
    }
    let mut sum2 = 0.0;
    let mut max: f64 = 0.0;
    for v in &ws.chosen {
        let d = geometry::norm(sub(*v, mean)) * norm;
        sum2 += d * d;
        max = max.max(d);
    }
    Some(Scored {
        rms: (sum2 / n as f64).sqrt(),
        max,
    })
}

/// The shortest Cartesian image of the fractional difference `d` (already in [−½, ½]) on a
/// reduced basis: searches the 27 neighbouring images. Returns (vector, squared length).
fn min_image(d: [f64; 3], rows: &[[f64; 3]; 3]) -> ([f64; 3], f64) {
    let mut best = ([0.0; 3], f64::INFINITY);
    for i in -1..=1 {
        for j in -1..=1 {
            for k in -1..=1 {
                let f = [d[0] + i as f64, d[1] + j as f64, d[2] + k as f64];
                let v = geometry::vec_mat(f, rows);
                let d2 = norm2(v);
                if d2 < best.1 {
                    best = (v, d2);
                }
            }
        }
    }
    best
}
