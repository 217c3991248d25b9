//! CrystalNN's coordination-number weights of one site (pymatgen `CrystalNN.get_nn_data` with
//! its defaults) and the CrystalNN "ops" site fingerprint built on them.

use super::order_params::{ops_for_cn, Geometry};
use super::voronoi::{Face, Scratch as VoronoiScratch};
use super::STRUCTURE_FP_LEN;
use crate::elements::Element;
use crate::error::CrystalError;
use crate::geometry::{norm, norm2, reduce_diff, sub, vec_mat};
use crate::structure::Crystal;

/// Initial neighbour search radius, Å (CrystalNN `search_cutoff`).
pub(super) const SEARCH_CUTOFF: f64 = 7.0;
/// Radius of the first, cheaper attempt (see [`Scratch::crystal_nn`]), Å.
const QUICK_CUTOFF: f64 = 5.0;
/// More neighbours than this within the search radius (over 30 atoms/Å³ at 7 Å, a hundred
/// times any real solid) is an error rather than an hour-long computation.
const MAX_NEIGHBOURS: usize = 50_000;
/// Largest CN with a feature in the "ops" preset.
const MAX_CN: usize = 24;

/// The radius CrystalNN's distance taper uses for an element without oxidation state:
/// pymatgen's `CovalentRadius.radius` table (Cordero et al. 2008 as in `elements`, except C
/// 0.73 (sp²), Mn 1.50, Fe 1.42, Co 1.38 (mean of low and high spin)). None beyond Cm, where
/// pymatgen has neither a covalent nor an atomic radius and CrystalNN raises.
pub(super) fn crystalnn_radius(e: Element) -> Option<f64> {
    match e.z() {
        6 => Some(0.73),
        25 => Some(1.50),
        26 => Some(1.42),
        27 => Some(1.38),
        _ => e.covalent_radius(),
    }
}

/// One neighbour of the centre: vector from the centre (Å), distance, atom index.
#[derive(Debug, Clone, Copy)]
pub(super) struct Neighbour {
    pub vec: [f64; 3],
    pub dist: f64,
    pub j: usize,
}

/// A Voronoi neighbour with its CrystalNN weight.
#[derive(Debug, Clone, Copy)]
pub(super) struct Weighted {
    pub nb: Neighbour,
    /// Weight after the distance taper, before rounding.
    pub weight: f64,
    /// Weight before the taper (the order among equal weights).
    pre_taper: f64,
    /// Weight rounded to 3 decimals, as CrystalNN keeps it.
    pub rounded: f64,
}

/// Buffers reused across the sites of a structure.
#[derive(Default)]
pub(super) struct Scratch {
    voronoi: VoronoiScratch,
    neighbours: Vec<Neighbour>,
    points: Vec<[f64; 3]>,
    faces: Vec<Face>,
    pub weighted: Vec<Weighted>,
    /// (CN, weight) in decreasing order of the bin weight.
    pub cn_weights: Vec<(usize, f64)>,
    geometry: Geometry,
    vecs: Vec<[f64; 3]>,
}

/// Every periodic image of every atom within `cutoff` of atom `i` (its own images included,
/// itself excluded), sorted by distance.
fn gather(
    c: &Crystal,
    i: usize,
    cutoff: f64,
    out: &mut Vec<Neighbour>,
) -> Result<(), CrystalError> {
    out.clear();
    let l = c.lattice().rows();
    let rl = c.lattice().reciprocal_lengths();
    let f = c.frac_coords();
    let r2max = cutoff * cutoff;
    for (j, fj) in f.iter().enumerate() {
        let d = reduce_diff(sub(*fj, f[i]));
        let range = |a: usize| {
            let reach = cutoff * rl[a];
            ((-d[a] - reach).ceil() as i64)..=((-d[a] + reach).floor() as i64)
        };
        for k0 in range(0) {
            for k1 in range(1) {
                for k2 in range(2) {
                    let g = [d[0] + k0 as f64, d[1] + k1 as f64, d[2] + k2 as f64];
                    let v = vec_mat(g, l);
                    let r2 = norm2(v);
                    if r2 > r2max || (j == i && k0 == 0 && k1 == 0 && k2 == 0) {
                        continue;
                    }
                    if r2 < 1e-16 {
                        return Err(CrystalError::InvalidStructure(format!(
                            "atoms {i} and {j} (or a periodic image) coincide; no Voronoi cell"
                        )));
                    }
                    if out.len() >= MAX_NEIGHBOURS {
                        return Err(CrystalError::InvalidStructure(format!(
                            "site {i}: more than {MAX_NEIGHBOURS} atoms within {cutoff} Å \
                             (a degenerate cell); no CrystalNN fingerprint"
                        )));
                    }
                    out.push(Neighbour {
                        vec: v,
                        dist: r2.sqrt(),
                        j,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        a.dist
            .total_cmp(&b.dist)
            .then(a.j.cmp(&b.j))
            .then(a.vec[0].total_cmp(&b.vec[0]))
            .then(a.vec[1].total_cmp(&b.vec[1]))
            .then(a.vec[2].total_cmp(&b.vec[2]))
    });
    Ok(())
}

/// pymatgen's `VoronoiNN` search radius limit: the longest cell diagonal + 0.01 Å.
fn max_cutoff(c: &Crystal) -> f64 {
    let l = c.lattice().rows();
    let mut best: f64 = 0.0;
    for s in [
        [1.0, 1.0, 1.0],
        [-1.0, 1.0, 1.0],
        [1.0, -1.0, 1.0],
        [1.0, 1.0, -1.0],
    ] {
        best = best.max(norm(vec_mat(s, l)));
    }
    best + 0.01
}

/// Python's `round(x, 3)` for the weights in [0, 1] (ties to even on the exact binary value,
/// which `round_ties_even` reproduces except within ~1e-16 of a half-way point).
#[inline]
fn round3(x: f64) -> f64 {
    (x * 1000.0).round_ties_even() / 1000.0
}

/// The integral of the unit quarter circle from 0 to x, as a fraction of π/4 (CrystalNN
/// `_semicircle_integral`).
#[inline]
fn quarter_circle_area(x: f64) -> f64 {
    if x == 1.0 {
        std::f64::consts::FRAC_PI_4
    } else {
        let s = (1.0 - x * x).sqrt();
        0.5 * (x * s + (x / s).atan())
    }
}

impl Scratch {
    /// CrystalNN weights of site `i`: fills `weighted` (sorted by decreasing weight, rounded
    /// weight > 0 only) and `cn_weights`.
    pub(super) fn crystal_nn(&mut self, c: &Crystal, i: usize) -> Result<(), CrystalError> {
        // Shortcut: the cell of the neighbours within r₀ < 7 Å is the cell of all atoms (and so
        // pymatgen's 7 Å cell) when it is bounded and its farthest vertex is within r₀/2.
        gather(c, i, QUICK_CUTOFF, &mut self.neighbours)?;
        self.points.clear();
        self.points.extend(self.neighbours.iter().map(|n| n.vec));
        let quick = self.voronoi.cell(&self.points, &mut self.faces)
            && self.voronoi.max_vertex_distance() <= 0.5 * QUICK_CUTOFF * (1.0 - 1e-9);
        // Otherwise the cell within 7 Å; doubled (up to the cell diagonal) while unbounded.
        let limit = max_cutoff(c);
        let mut cutoff = SEARCH_CUTOFF;
        if !quick {
            loop {
                gather(c, i, cutoff, &mut self.neighbours)?;
                self.points.clear();
                self.points.extend(self.neighbours.iter().map(|n| n.vec));
                if self.voronoi.cell(&self.points, &mut self.faces) {
                    break;
                }
                if cutoff >= limit {
                    return Err(CrystalError::InvalidStructure(format!(
                        "site {i}: Voronoi cell unbounded within {cutoff:.2} Å"
                    )));
                }
                cutoff = (cutoff * 2.0).min(limit + 0.001);
            }
        }
        let species = c.species();
        let center = species[i];
        let r1 = crystalnn_radius(center);
        let x1 = center.electronegativity();
        let max_sa = self.faces.iter().fold(0.0f64, |m, f| m.max(f.solid_angle));
        self.weighted.clear();
        self.cn_weights.clear();
        for f in &self.faces {
            // VoronoiNN keeps faces with a solid angle > 0 only.
            if f.solid_angle <= 0.0 {
                continue;
            }
            let nb = self.neighbours[f.nb];
            let other = species[nb.j];
            // Solid angle normalised by the largest, × solid angle / area (porous adjustment),
            // × electronegativity factor.
            let mut w = f.solid_angle / max_sa;
            w *= f.solid_angle / f.area;
            if let (Some(a), Some(b)) = (x1, other.electronegativity()) {
                w *= 1.0 + 3.0 * ((a - b).abs() / 3.3).sqrt();
            }
            self.weighted.push(Weighted {
                nb,
                weight: w,
                pre_taper: w,
                rounded: 0.0,
            });
        }
        let highest = self.weighted.iter().fold(0.0f64, |m, w| m.max(w.weight));
        if highest == 0.0 {
            self.weighted.clear();
            return Ok(());
        }
        let r1 = r1.ok_or_else(|| no_radius(center))?;
        for w in self.weighted.iter_mut() {
            w.weight /= highest;
            w.pre_taper = w.weight;
            let other = species[w.nb.j];
            let r2 = crystalnn_radius(other).ok_or_else(|| no_radius(other))?;
            let low = r1 + r2 + 0.5;
            let high = r1 + r2 + 1.0;
            let d = w.nb.dist;
            let taper = if d <= low {
                1.0
            } else if d < high {
                (((d - low) / (high - low) * std::f64::consts::PI).cos() + 1.0) * 0.5
            } else {
                0.0
            };
            w.weight *= taper;
            w.rounded = round3(w.weight);
        }
        self.weighted.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then(b.pre_taper.total_cmp(&a.pre_taper))
                .then(a.nb.dist.total_cmp(&b.nb.dist))
                .then(a.nb.j.cmp(&b.nb.j))
        });
        if self.weighted.first().is_none_or(|w| w.weight == 0.0) {
            self.weighted.clear();
            return Ok(());
        }
        self.weighted.retain(|w| w.rounded > 0.0);
        // Distinct rounded weights w_1 > … > w_m, then 0; CN_k = #{weight ≥ w_k}.
        let mut k = 0;
        while k < self.weighted.len() {
            let val = self.weighted[k].rounded;
            let mut end = k;
            while end < self.weighted.len() && self.weighted[end].rounded >= val {
                end += 1;
            }
            let next = self.weighted.get(end).map_or(0.0, |w| w.rounded);
            let weight = (quarter_circle_area(val) - quarter_circle_area(next))
                / std::f64::consts::FRAC_PI_4;
            self.cn_weights.push((end, weight));
            k = end;
        }
        Ok(())
    }

    /// The CrystalNN "ops" fingerprint of site `i` (61 values).
    pub(super) fn site_fingerprint(
        &mut self,
        c: &Crystal,
        i: usize,
        out: &mut [f64; STRUCTURE_FP_LEN],
    ) -> Result<(), CrystalError> {
        self.crystal_nn(c, i)?;
        // Angles once, for the largest CN ≤ 12 with a weight; smaller CNs use a prefix.
        let max_op_cn = self
            .cn_weights
            .iter()
            .filter(|&&(n, w)| w != 0.0 && !ops_for_cn(n).is_empty())
            .map(|&(n, _)| n)
            .max();
        if let Some(m) = max_op_cn {
            self.vecs.clear();
            self.vecs
                .extend(self.weighted[..m].iter().map(|w| w.nb.vec));
            self.geometry.set(&self.vecs);
        }
        let mut pos = 0;
        for cn in 1..=MAX_CN {
            let wt = self
                .cn_weights
                .iter()
                .find(|&&(n, _)| n == cn)
                .map_or(0.0, |&(_, w)| w);
            out[pos] = wt;
            pos += 1;
            for op in ops_for_cn(cn) {
                out[pos] = if wt == 0.0 {
                    0.0
                } else {
                    wt * self.geometry.eval(op, cn).unwrap_or(0.0)
                };
                pos += 1;
            }
        }
        debug_assert_eq!(pos, STRUCTURE_FP_LEN);
        Ok(())
    }
}

fn no_radius(e: Element) -> CrystalError {
    CrystalError::InvalidStructure(format!(
        "no covalent radius for {e} (CrystalNN has none beyond Cm)"
    ))
}
