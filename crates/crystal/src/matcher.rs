//! Structure matching: are two crystals the same, and how far apart are their atoms?
//!
//! This module answers the question every crystal-generation benchmark asks, with the
//! semantics of pymatgen's `StructureMatcher` (`get_rms_dist` and `fit`), the matcher the
//! CDVAE and DiffCSP metric scripts use. The algorithm was learnt from pymatgen and written
//! here from scratch; `docs/design/matcher-and-metrics.md` (section A) describes it step by
//! step with the source of each rule. In short:
//!
//! 1. [`Prepared::new`] reduces each structure once: Niggli cell, then (with
//!    `primitive_cell`) the smallest cell found by a pure-translation search with a 0.25 Å
//!    per-axis tolerance (pymatgen's `get_primitive_structure`), then Niggli again.
//! 2. Both cells are scaled to the same volume (with `scale`), by r = (V₂/V₁)^(1/6) each way.
//! 3. Every lattice of structure A whose vectors match B's lengths within `ltol` (ratio) and
//!    angles within `angle_tol_deg` is a candidate (mirror images included).
//! 4. For each candidate, coordinates are read on the average lattice; each translation that
//!    takes B's rarest-species anchor onto an A site of the same element is tried: a
//!    per-axis window of 2·stol·(V/N)^(1/3) Å prefilters it, then sites are assigned by
//!    species under periodic boundaries (Hungarian assignment on squared distances), the
//!    mean displacement is removed, and displacements are normalised by (V/N)^(1/3).
//! 5. The score is the RMS (for [`rms_dist`]) or the maximum (for [`fit`]) of the
//!    normalised displacements; a match is a score below `stol`.
//!
//! Differences from pymatgen, all below the tolerances: Niggli reduction is moyo's (the same
//! cell up to the choice among equivalent bases, which the candidate search makes
//! irrelevant); distances use the exact minimum image on a Niggli-reduced basis of the
//! average lattice, where pymatgen searches 27 images of an LLL basis. Species are elements
//! (oxidation states are not part of a [`Crystal`]), so pymatgen's species and element
//! comparators coincide. `allow_subset` is not offered.

use crate::error::CrystalError;
use crate::structure::Crystal;
use nalgebra::Matrix3;
use pathfinding::kuhn_munkres::kuhn_munkres_min;
use pathfinding::matrix::Matrix;

/// Tolerances and options of the matcher, named as in pymatgen's `StructureMatcher`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatcherConfig {
    /// Fractional length tolerance: a lattice vector of length l matches a target X when
    /// 1/(1+ltol) < l/X < 1+ltol.
    pub ltol: f64,
    /// Site tolerance, in units of (V/N)^(1/3): the largest accepted score.
    pub stol: f64,
    /// Angle tolerance, in degrees.
    pub angle_tol_deg: f64,
    /// Reduce both structures to primitive cells before matching.
    pub primitive_cell: bool,
    /// Scale both cells to the same volume per site before matching.
    pub scale: bool,
    /// Allow structures of different (reduced) site counts to match through a supercell.
    pub attempt_supercell: bool,
}

impl MatcherConfig {
    /// The tolerances of the CSP literature: CDVAE (Xie et al. 2022) and DiffCSP (Jiao et
    /// al. 2023) both score with `StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3)`.
    pub fn csp() -> Self {
        MatcherConfig {
            ltol: 0.3,
            stol: 0.5,
            angle_tol_deg: 10.0,
            primitive_cell: true,
            scale: true,
            attempt_supercell: false,
        }
    }

    /// pymatgen's constructor defaults: ltol 0.2, stol 0.3, angle_tol 5°.
    pub fn pymatgen_default() -> Self {
        MatcherConfig {
            ltol: 0.2,
            stol: 0.3,
            angle_tol_deg: 5.0,
            ..Self::csp()
        }
    }

    /// Checks that every tolerance is a finite positive number (angles below 90°).
    pub fn validate(&self) -> Result<(), CrystalError> {
        let bad = |name: &str, v: f64, expected: &str| {
            Err(CrystalError::InvalidStructure(format!(
                "matcher {name} {v}: must be {expected}"
            )))
        };
        if !(self.ltol.is_finite() && self.ltol > 0.0) {
            return bad("ltol", self.ltol, "a positive number");
        }
        if !(self.stol.is_finite() && self.stol > 0.0) {
            return bad("stol", self.stol, "a positive number");
        }
        if !(self.angle_tol_deg.is_finite()
            && self.angle_tol_deg > 0.0
            && self.angle_tol_deg < 90.0)
        {
            return bad("angle_tol", self.angle_tol_deg, "between 0 and 90 degrees");
        }
        Ok(())
    }
}

impl Default for MatcherConfig {
    /// The CSP tolerances ([`MatcherConfig::csp`]), the field's convention for benchmarks.
    fn default() -> Self {
        Self::csp()
    }
}

/// Tolerance of the primitive-cell search, in Å per axis (pymatgen's default 0.25).
pub const PRIMITIVE_TOLERANCE_A: f64 = 0.25;

/// A structure reduced once for matching: Niggli (and primitive) cell, fractional
/// coordinates wrapped into [0, 1). Sites keep their input order, or, when a smaller cell
/// was found, are grouped by element symbol (alphabetically), as pymatgen orders them.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Row i is lattice vector i, in Å.
    lattice: Matrix3<f64>,
    /// Atomic number of each site.
    z: Vec<u8>,
    /// Fractional coordinates of each site in `lattice`.
    frac: Vec<[f64; 3]>,
    /// (atomic number, number of sites), ascending Z.
    counts: Vec<(u8, usize)>,
}

impl Prepared {
    /// Reduces `crystal` as the matcher's preprocessing does (see the module docs).
    pub fn new(crystal: &Crystal, cfg: &MatcherConfig) -> Result<Self, CrystalError> {
        let rows = crystal.lattice().rows();
        let lattice = Matrix3::from_fn(|i, j| rows[i][j]);
        // Site order is kept (pymatgen's anchor choice depends on it).
        let z: Vec<u8> = crystal.species().iter().map(|e| e.z()).collect();
        let frac: Vec<[f64; 3]> = crystal.frac_coords().iter().map(|&f| wrap3(f)).collect();
        let (lattice, frac) = niggli(&lattice, &frac);
        if cfg.primitive_cell {
            if let Some((l, zz, f)) = primitive(&lattice, &z, &frac, PRIMITIVE_TOLERANCE_A) {
                return Ok(Prepared::from_parts(l, zz, f));
            }
        }
        Ok(Prepared::from_parts(lattice, z, frac))
    }

    fn from_parts(lattice: Matrix3<f64>, z: Vec<u8>, frac: Vec<[f64; 3]>) -> Self {
        let mut counts: Vec<(u8, usize)> = Vec::new();
        for &zi in &z {
            match counts.iter_mut().find(|c| c.0 == zi) {
                Some(c) => c.1 += 1,
                None => counts.push((zi, 1)),
            }
        }
        counts.sort_unstable();
        Prepared {
            lattice,
            z,
            frac,
            counts,
        }
    }

    /// Number of sites after reduction.
    pub fn num_sites(&self) -> usize {
        self.z.len()
    }

    /// Volume of the reduced cell, Å³.
    pub fn volume_a3(&self) -> f64 {
        self.lattice.determinant().abs()
    }

    /// (atomic number, count) of the reduced cell, ascending Z.
    pub fn counts(&self) -> &[(u8, usize)] {
        &self.counts
    }

    /// Whether the two reduced compositions are proportional (same element fractions).
    fn same_reduced_composition(&self, other: &Prepared) -> bool {
        if self.counts.len() != other.counts.len() {
            return false;
        }
        let (n1, n2) = (self.z.len(), other.z.len());
        self.counts
            .iter()
            .zip(&other.counts)
            .all(|(a, b)| a.0 == b.0 && a.1 * n2 == b.1 * n1)
    }
}

/// A successful match.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchResult {
    /// RMS of the site displacements after removing their mean, divided by (V/N)^(1/3)
    /// (pymatgen's `get_rms_dist()[0]`); unitless, always below `stol`.
    pub rms: f64,
    /// Largest normalised displacement of the same assignment (`get_rms_dist()[1]`).
    pub max_dist: f64,
}

/// Why two structures did not match.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NoMatch {
    /// Their reduced compositions differ.
    Composition,
    /// Same reduced composition, but the reduced cells have different site counts (and
    /// `attempt_supercell` is off or found no supercell size).
    SiteCount,
    /// No lattice of one matches the other's within `ltol` and `angle_tol`.
    NoLattice,
    /// Lattices matched, but no site assignment scored below `stol`; the best score seen,
    /// if any assignment passed the prefilter.
    AboveTolerance { best: Option<f64> },
    /// A cell below 0.1 Å³ (CDVAE and DiffCSP never match such crystals) or so elongated
    /// relative to the other that the lattice search would visit over
    /// [`MAX_LATTICE_POINTS`] points.
    Degenerate,
}

/// Upper bound on the lattice points the candidate search visits.
pub const MAX_LATTICE_POINTS: i64 = 2_000_000;

/// Cells smaller than this (Å³) are not matched.
pub const MIN_VOLUME_A3: f64 = 0.1;

impl std::fmt::Display for NoMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoMatch::Composition => write!(f, "different compositions"),
            NoMatch::SiteCount => write!(f, "different numbers of sites in the reduced cells"),
            NoMatch::NoLattice => write!(f, "no lattice within ltol/angle_tol"),
            NoMatch::AboveTolerance { best: Some(b) } => {
                write!(f, "sites too far apart (best score {b:.4} ≥ stol)")
            }
            NoMatch::AboveTolerance { best: None } => {
                write!(f, "sites too far apart (no assignment within the windows)")
            }
            NoMatch::Degenerate => {
                write!(f, "degenerate cell (volume below 0.1 Å³ or extreme shape)")
            }
        }
    }
}

/// pymatgen's `get_rms_dist(a, b)`: the RMS displacement of the best match, or why there
/// is none. The match rate of the CSP benchmarks counts pairs where this is `Ok`.
pub fn rms_dist(a: &Prepared, b: &Prepared, cfg: &MatcherConfig) -> Result<MatchResult, NoMatch> {
    run_match(a, b, cfg, true, false)
}

/// pymatgen's `fit(a, b)`: the same structure, judged by the largest displacement (not the
/// RMS) being below `stol`; rejects different reduced compositions first.
pub fn fit(a: &Prepared, b: &Prepared, cfg: &MatcherConfig) -> bool {
    if !a.same_reduced_composition(b) {
        return false;
    }
    run_match(a, b, cfg, false, true).is_ok()
}

/// Convenience: prepares both crystals and runs [`rms_dist`].
pub fn rms_dist_crystals(
    a: &Crystal,
    b: &Crystal,
    cfg: &MatcherConfig,
) -> Result<Result<MatchResult, NoMatch>, CrystalError> {
    let pa = Prepared::new(a, cfg)?;
    let pb = Prepared::new(b, cfg)?;
    Ok(rms_dist(&pa, &pb, cfg))
}

// ---------------------------------------------------------------------------------------
// Small 3-vector helpers (row vectors; Cartesian = f · L with L's rows the lattice vectors).

fn wrap(x: f64) -> f64 {
    let w = x - x.floor();
    if w >= 1.0 {
        0.0
    } else {
        w
    }
}

fn wrap3(f: [f64; 3]) -> [f64; 3] {
    [wrap(f[0]), wrap(f[1]), wrap(f[2])]
}

fn vec_mat(f: [f64; 3], m: &Matrix3<f64>) -> [f64; 3] {
    let mut r = [0.0; 3];
    for (j, rj) in r.iter_mut().enumerate() {
        *rj = f[0] * m[(0, j)] + f[1] * m[(1, j)] + f[2] * m[(2, j)];
    }
    r
}

fn norm2(v: [f64; 3]) -> f64 {
    v[0] * v[0] + v[1] * v[1] + v[2] * v[2]
}

fn row(m: &Matrix3<f64>, i: usize) -> [f64; 3] {
    [m[(i, 0)], m[(i, 1)], m[(i, 2)]]
}

fn row_lengths(m: &Matrix3<f64>) -> [f64; 3] {
    [0, 1, 2].map(|i| norm2(row(m, i)).sqrt())
}

/// Lengths of the 2π-free reciprocal vectors (the columns of L⁻¹): the spacing of the
/// lattice planes is 1/|b_k|.
fn recip_lengths(m: &Matrix3<f64>) -> [f64; 3] {
    let inv = m.try_inverse().unwrap_or_else(Matrix3::zeros);
    [0, 1, 2].map(|k| (inv[(0, k)].powi(2) + inv[(1, k)].powi(2) + inv[(2, k)].powi(2)).sqrt())
}

fn angle_deg(u: [f64; 3], v: [f64; 3], lu: f64, lv: f64) -> f64 {
    let c = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / (lu * lv);
    c.clamp(-1.0, 1.0).acos().to_degrees()
}

/// Lattice parameters (a, b, c, α, β, γ) of a row matrix.
fn parameters(m: &Matrix3<f64>) -> [f64; 6] {
    let l = row_lengths(m);
    let (a, b, c) = (row(m, 0), row(m, 1), row(m, 2));
    [
        l[0],
        l[1],
        l[2],
        angle_deg(b, c, l[1], l[2]),
        angle_deg(a, c, l[0], l[2]),
        angle_deg(a, b, l[0], l[1]),
    ]
}

/// A row matrix from parameters: a along x, b in the xy plane. None when the angles
/// cannot close a cell.
fn from_parameters(p: &[f64; 6]) -> Option<Matrix3<f64>> {
    let (al, be, ga) = (p[3].to_radians(), p[4].to_radians(), p[5].to_radians());
    let (ca, cb, cg, sg) = (al.cos(), be.cos(), ga.cos(), ga.sin());
    let cx = cb;
    let cy = (ca - cb * cg) / sg;
    let cz2 = 1.0 - cx * cx - cy * cy;
    if cz2.is_nan() || cz2 <= 0.0 || sg.abs() < 1e-12 {
        return None;
    }
    Some(Matrix3::new(
        p[0],
        0.0,
        0.0,
        p[1] * cg,
        p[1] * sg,
        0.0,
        p[2] * cx,
        p[2] * cy,
        p[2] * cz2.sqrt(),
    ))
}

/// Niggli-reduces a cell (moyo) and re-expresses the wrapped fractional coordinates in it.
fn niggli(lattice: &Matrix3<f64>, frac: &[[f64; 3]]) -> (Matrix3<f64>, Vec<[f64; 3]>) {
    let (reduced, _) = moyo::base::Lattice::new(*lattice).unchecked_niggli_reduce();
    let rows = reduced.basis.transpose();
    let Some(inv) = rows.try_inverse() else {
        return (*lattice, frac.to_vec());
    };
    // f_new = (f · L) · L_new⁻¹
    let t = lattice * inv;
    let frac = frac.iter().map(|&f| wrap3(vec_mat(f, &t))).collect();
    (rows, frac)
}

fn symbol(z: u8) -> &'static str {
    crate::Element::from_z(z).map(|e| e.symbol()).unwrap_or("")
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn divisors(n: usize) -> impl Iterator<Item = usize> {
    (1..=n).filter(move |d| n.is_multiple_of(*d))
}

/// Periodic per-axis closeness: |Δ_k − round(Δ_k)| < tol_k on every axis.
fn close_pbc(a: [f64; 3], b: [f64; 3], tol: [f64; 3]) -> bool {
    (0..3).all(|k| {
        let d = a[k] - b[k];
        (d - d.round()).abs() < tol[k]
    })
}

/// The smallest cell found by pymatgen's pure-translation search (`get_primitive_structure`
/// with `tolerance` Å), Niggli-reduced; None when the cell is already primitive. Sites are
/// grouped by element (ascending Z), merged sites get their averaged position.
#[allow(clippy::type_complexity)]
fn primitive(
    lattice: &Matrix3<f64>,
    z: &[u8],
    frac: &[[f64; 3]],
    tolerance: f64,
) -> Option<(Matrix3<f64>, Vec<u8>, Vec<[f64; 3]>)> {
    // Sites grouped by element symbol, alphabetically (pymatgen sorts by species string).
    let mut groups: Vec<(u8, Vec<[f64; 3]>)> = Vec::new();
    for (&zi, &f) in z.iter().zip(frac) {
        match groups.iter_mut().find(|g| g.0 == zi) {
            Some(g) => g.1.push(f),
            None => groups.push((zi, vec![f])),
        }
    }
    groups.sort_by_key(|g| symbol(g.0));
    let abc = row_lengths(lattice);
    let super_ftol = abc.map(|l| tolerance / l);
    let super_ftol_2 = super_ftol.map(|x| 2.0 * x);
    // Candidate translations from the smallest group, kept only when they map every site
    // of every group onto a site of the same group (within twice the tolerance).
    let smallest = groups.iter().min_by_key(|g| g.1.len())?;
    let origin = smallest.1[0];
    let mut min_vecs: Vec<[f64; 3]> = smallest
        .1
        .iter()
        .map(|f| [f[0] - origin[0], f[1] - origin[1], f[2] - origin[2]])
        .collect();
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| groups[g].1.len());
    for &g in &order {
        let coords = &groups[g].1;
        for fc in coords {
            min_vecs.retain(|v| {
                coords.iter().any(|o| {
                    close_pbc(*v, [o[0] - fc[0], o[1] - fc[1], o[2] - fc[2]], super_ftol_2)
                })
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
                        || (0..3).any(|k| {
                            let d = c[i][k] - c[j][k];
                            (d - d.round()).abs() > super_ftol_2[k]
                        });
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
                                let r = row(&inv_m, i);
                                min_vecs.iter().any(|v| close_pbc(r, *v, super_ftol))
                            });
                            if !rows_close {
                                continue;
                            }
                            if let Some(found) =
                                merge_into(lattice, &groups, &non_nbrs, &m, &inv_m, det, tolerance)
                            {
                                // Recurse on the cell as found (its axes set the next
                                // tolerances, as in pymatgen), then Niggli-reduce.
                                let (l, zz, ff) = found;
                                let (l, zz, ff) = match primitive(&l, &zz, &ff, tolerance) {
                                    Some(smaller) => smaller,
                                    None => (l, zz, ff),
                                };
                                let (l, ff) = niggli(&l, &ff);
                                return Some((l, zz, ff));
                            }
                        }
                    }
                }
            }
        }
    }
    None
}

/// Tries the cell `inv_m · L` (1/det of the volume): every site must merge with exactly
/// `det − 1` others of its element into a clique; returns the merged structure.
#[allow(clippy::type_complexity)]
fn merge_into(
    lattice: &Matrix3<f64>,
    groups: &[(u8, Vec<[f64; 3]>)],
    non_nbrs: &[Vec<bool>],
    m: &Matrix3<f64>,
    inv_m: &Matrix3<f64>,
    det: usize,
    tolerance: f64,
) -> Option<(Matrix3<f64>, Vec<u8>, Vec<[f64; 3]>)> {
    let new_l = inv_m * lattice;
    let ftol = row_lengths(&new_l).map(|l| tolerance / l);
    let mut z_out = Vec::new();
    let mut f_out = Vec::new();
    for ((zg, coords), nn) in groups.iter().zip(non_nbrs) {
        let n = coords.len();
        let all_frac: Vec<[f64; 3]> = coords.iter().map(|&f| vec_mat(f, m)).collect();
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
            let mut coords = wrap3(all_frac[members[0]]);
            for (k, &j) in members[1..].iter().enumerate() {
                let o = wrap3(all_frac[j]);
                for ax in 0..3 {
                    let off = o[ax] - coords[ax];
                    coords[ax] += (off - off.round()) / (k as f64 + 2.0);
                }
            }
            z_out.push(*zg);
            f_out.push(wrap3(coords));
        }
    }
    Some((new_l, z_out, f_out))
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
struct Candidate {
    rows: Matrix3<f64>,
    n: [[i64; 3]; 3],
}

/// pymatgen's `Lattice.find_all_mappings(target, ltol, atol)` restricted to |det n| = `fu`:
/// every triple of lattice vectors of `lat` with the target's lengths (ratio within
/// 1+ltol, strict) and angles (within atol degrees), both handednesses.
fn lattice_candidates(
    lat: &Matrix3<f64>,
    target: &Matrix3<f64>,
    ltol: f64,
    atol: f64,
    fu: i64,
) -> Result<Vec<Candidate>, NoMatch> {
    let tp = parameters(target);
    let lengths = [tp[0], tp[1], tp[2]];
    let r_max = lengths.iter().cloned().fold(0.0, f64::max) * (1.0 + ltol);
    let rl = recip_lengths(lat);
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
                let v = vec_mat(f, lat);
                let d = norm2(v).sqrt();
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
            if (angle_deg(a.1, b.1, a.2, b.2) - gamma).abs() > atol {
                continue;
            }
            for c in &buckets[2] {
                if (angle_deg(b.1, c.1, b.2, c.2) - alpha).abs() > atol
                    || (angle_deg(a.1, c.1, a.2, c.2) - beta).abs() > atol
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
fn lattice_points_in_supercell(n: &[[i64; 3]; 3]) -> Vec<[f64; 3]> {
    let nm = Matrix3::from_fn(|i, j| n[i][j] as f64);
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
                let f = vec_mat([i as f64, j as f64, k as f64], &inv);
                if f.iter().all(|&x| (-1e-10..1.0 - 1e-10).contains(&x)) {
                    pts.push(f.map(|x| if x < 0.0 { 0.0 } else { x }));
                }
            }
        }
    }
    pts
}

/// One side of a match after supercell expansion: atomic numbers and fractional
/// coordinates in the candidate (or own) basis.
struct Side {
    z: Vec<u8>,
    frac: Vec<[f64; 3]>,
}

/// Scores of one assignment.
struct Scored {
    rms: f64,
    max: f64,
}

fn run_match(
    a: &Prepared,
    b: &Prepared,
    cfg: &MatcherConfig,
    use_rms: bool,
    break_on_match: bool,
) -> Result<MatchResult, NoMatch> {
    let same_comp = a.same_reduced_composition(b);
    if !same_comp {
        return Err(NoMatch::Composition);
    }
    if !(a.volume_a3() >= MIN_VOLUME_A3 && b.volume_a3() >= MIN_VOLUME_A3) {
        return Err(NoMatch::Degenerate);
    }
    let (n1, n2) = (a.num_sites(), b.num_sites());
    // Supercell size (pymatgen `_get_supercell_size`, "num_sites").
    let (fu, s1_supercell) = if cfg.attempt_supercell {
        let f = n2 as f64 / n1 as f64;
        if f < 2.0 / 3.0 {
            ((1.0 / f).round() as usize, false)
        } else {
            (f.round().max(1.0) as usize, true)
        }
    } else {
        (1, true)
    };
    let mult = if s1_supercell {
        fu as f64
    } else {
        1.0 / fu as f64
    };
    let (mut la, mut lb) = (a.lattice, b.lattice);
    if cfg.scale {
        let ratio = (b.volume_a3() / (a.volume_a3() * mult)).powf(1.0 / 6.0);
        la *= ratio;
        lb /= ratio;
    }
    let ratio = if s1_supercell {
        fu as f64
    } else {
        1.0 / fu as f64
    };
    // The superset side comes first.
    if n1 as f64 * ratio >= n2 as f64 {
        strict_match(
            a,
            &la,
            b,
            &lb,
            fu,
            s1_supercell,
            cfg,
            use_rms,
            break_on_match,
        )
    } else {
        strict_match(
            b,
            &lb,
            a,
            &la,
            fu,
            !s1_supercell,
            cfg,
            use_rms,
            break_on_match,
        )
    }
}

/// Matches `q` onto `p` (which holds at least as many sites after expansion); `expand_p`
/// says which of the two is expanded by `fu` (pymatgen's `s1_supercell`).
#[allow(clippy::too_many_arguments)]
fn strict_match(
    p: &Prepared,
    lp: &Matrix3<f64>,
    q: &Prepared,
    lq: &Matrix3<f64>,
    fu: usize,
    expand_p: bool,
    cfg: &MatcherConfig,
    use_rms: bool,
    break_on_match: bool,
) -> Result<MatchResult, NoMatch> {
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
    let (le, lt) = if expand_p { (lp, lq) } else { (lq, lp) };
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
    let mut p_side = Side {
        z: Vec::with_capacity(np),
        frac: Vec::with_capacity(np),
    };
    let mut q_side = Side {
        z: Vec::with_capacity(np),
        frac: Vec::with_capacity(np),
    };
    let mut ws = Workspace::default();
    for cand in &candidates {
        let nm = Matrix3::from_fn(|i, j| cand.n[i][j] as f64);
        let Some(inv_n) = nm.try_inverse() else {
            continue;
        };
        let lpts = if fu > 1 {
            lattice_points_in_supercell(&cand.n)
        } else {
            vec![[0.0; 3]]
        };
        let fill_expanded = |side: &mut Side, src: &Prepared| {
            side.z.clear();
            side.frac.clear();
            for (&zi, &f) in src.z.iter().zip(&src.frac) {
                let fc = vec_mat(f, &inv_n);
                for lp in &lpts {
                    side.z.push(zi);
                    side.frac
                        .push(wrap3([fc[0] + lp[0], fc[1] + lp[1], fc[2] + lp[2]]));
                }
            }
        };
        let fill_plain = |side: &mut Side, src: &Prepared| {
            side.z.clear();
            side.frac.clear();
            side.z.extend_from_slice(&src.z);
            side.frac.extend_from_slice(&src.frac);
        };
        if expand_p {
            fill_expanded(&mut p_side, p);
            fill_plain(&mut q_side, q);
        } else {
            fill_expanded(&mut q_side, q);
            fill_plain(&mut p_side, p);
        }
        // Average lattice of the candidate and the target.
        let pc = parameters(&cand.rows);
        let pt = parameters(lt);
        let avg: [f64; 6] = std::array::from_fn(|i| 0.5 * (pc[i] + pt[i]));
        let Some(avg_l) = from_parameters(&avg) else {
            continue;
        };
        let vol = avg_l.determinant().abs();
        let norm = (np as f64 / vol).cbrt();
        let s = 1.0 / norm;
        let frac_tol = recip_lengths(&avg_l).map(|bk| 2.0 * cfg.stol * s * bk);
        let (red, _) = moyo::base::Lattice::new(avg_l).unchecked_niggli_reduce();
        let red_rows = red.basis.transpose();
        let Some(red_inv) = red_rows.try_inverse() else {
            continue;
        };
        let to_red = avg_l * red_inv;
        let red_tol = recip_lengths(&red_rows).map(|bk| 2.0 * cfg.stol * s * bk);
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
            let t: [f64; 3] =
                std::array::from_fn(|k| p_side.frac[pj][k] - q_side.frac[anchor_q][k]);
            if !prefilter(&p_side, &q_side, t, frac_tol) {
                continue;
            }
            let Some(scored) = cart_dists(
                &p_side, &q_side, t, &to_red, &red_rows, red_tol, norm, &mut ws,
            ) else {
                continue;
            };
            let val = if use_rms { scored.rms } else { scored.max };
            if best.is_none_or(|b| val < b.0) {
                best = Some((val, if use_rms { scored.max } else { scored.rms }));
                if (break_on_match || val < 1e-5) && val < cfg.stol {
                    return Ok(result(val, best.unwrap().1, use_rms));
                }
            }
        }
    }
    match best {
        Some((val, other)) if val < cfg.stol => Ok(result(val, other, use_rms)),
        Some((val, _)) => Err(NoMatch::AboveTolerance { best: Some(val) }),
        None => Err(NoMatch::AboveTolerance { best: None }),
    }
}

fn result(val: f64, other: f64, use_rms: bool) -> MatchResult {
    if use_rms {
        MatchResult {
            rms: val,
            max_dist: other,
        }
    } else {
        MatchResult {
            rms: other,
            max_dist: val,
        }
    }
}

/// pymatgen's `is_coord_subset_pbc`: every shifted q site has some p site of its element
/// within the per-axis window.
fn prefilter(p: &Side, q: &Side, t: [f64; 3], tol: [f64; 3]) -> bool {
    q.frac.iter().zip(&q.z).all(|(fq, zq)| {
        let fq = [fq[0] + t[0], fq[1] + t[1], fq[2] + t[2]];
        p.frac.iter().zip(&p.z).any(|(fp, zp)| {
            zp == zq
                && (0..3).all(|k| {
                    let d = fp[k] - fq[k];
                    (d - d.round()).abs() <= tol[k]
                })
        })
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

/// pymatgen's `_cart_dists`: minimum-image vectors from each shifted q site to each p site
/// of its element (pairs outside the reduced-basis window are forbidden), the assignment
/// minimising the sum of squared distances, the mean vector removed, normalised.
#[allow(clippy::too_many_arguments)]
fn cart_dists(
    p: &Side,
    q: &Side,
    t: [f64; 3],
    to_red: &Matrix3<f64>,
    red_rows: &Matrix3<f64>,
    red_tol: [f64; 3],
    norm: f64,
    ws: &mut Workspace,
) -> Option<Scored> {
    let n = p.frac.len();
    ws.p_red.clear();
    ws.q_red.clear();
    ws.p_red
        .extend(p.frac.iter().map(|&f| wrap3(vec_mat(f, to_red))));
    ws.q_red.extend(
        q.frac
            .iter()
            .map(|&f| wrap3(vec_mat([f[0] + t[0], f[1] + t[1], f[2] + t[2]], to_red))),
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
                    let x = ws.p_red[j][k] - ws.q_red[i][k];
                    let x = x - x.round();
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
        let d = norm2([v[0] - mean[0], v[1] - mean[1], v[2] - mean[2]]).sqrt() * norm;
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
fn min_image(d: [f64; 3], rows: &Matrix3<f64>) -> ([f64; 3], f64) {
    let mut best = ([0.0; 3], f64::INFINITY);
    for i in -1..=1 {
        for j in -1..=1 {
            for k in -1..=1 {
                let f = [d[0] + i as f64, d[1] + j as f64, d[2] + k as f64];
                let v = vec_mat(f, rows);
                let d2 = norm2(v);
                if d2 < best.1 {
                    best = (v, d2);
                }
            }
        }
    }
    best
}

#[cfg(test)]
mod tests;
