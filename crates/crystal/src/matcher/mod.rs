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
//!    per-axis tolerance (pymatgen's `get_primitive_structure`, [`crate::primitive`]), then
//!    Niggli again.
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
//! [`group_structures`] groups a list as pymatgen's `group_structures` does (buckets of one
//! reduced composition, then greedy `fit` within each), on all cores.
//!
//! Differences from pymatgen, all below the tolerances: Niggli reduction is moyo's (the same
//! cell up to the choice among equivalent bases, which the candidate search makes
//! irrelevant); distances use the exact minimum image on a Niggli-reduced basis of the
//! average lattice, where pymatgen searches 27 images of an LLL basis. Species are elements
//! (oxidation states are not part of a [`Crystal`]), so pymatgen's species and element
//! comparators coincide. `allow_subset` is not offered.
//!
//! Layout: this file holds the public API and the steps shared by both scores (composition
//! and volume gates, supercell size, volume scaling); `config.rs` the tolerances
//! ([`MatcherConfig`]); `prepare.rs` step 1 ([`Prepared`]); `lattice_search.rs` step 3;
//! `assign.rs` steps 4 and 5.

mod assign;
mod config;
mod lattice_search;
mod prepare;

#[cfg(test)]
mod tests;

pub use crate::primitive::PRIMITIVE_TOLERANCE_A;
pub use config::MatcherConfig;
pub use prepare::Prepared;

use crate::error::CrystalError;
use crate::structure::Crystal;
use assign::{Pairing, Scored};
use rayon::prelude::*;

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

/// Cells smaller than this (Å³) are not matched: the crate's one volume bound.
pub use crate::validity::MIN_VOLUME_A3;

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
    run_match(a, b, cfg, Mode::RmsDist)
}

/// pymatgen's `fit(a, b)`: the same structure, judged by the largest displacement (not the
/// RMS) being below `stol`; rejects different reduced compositions first.
pub fn fit(a: &Prepared, b: &Prepared, cfg: &MatcherConfig) -> bool {
    if !a.same_reduced_composition(b) {
        return false;
    }
    run_match(a, b, cfg, Mode::Fit).is_ok()
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

/// Which of pymatgen's two questions a match answers.
/// Groups `crystals` into sets of matching structures, as pymatgen's
/// `StructureMatcher.group_structures`: structures are bucketed by reduced composition;
/// within a bucket, the first unmatched structure takes every later unmatched one that it
/// [`fit`]s, and so on. Returns indices into `crystals`, every index exactly once, each
/// group in input order, buckets in the order of their first structure (pymatgen orders
/// them by reduced formula; the groups are the same).
///
/// A structure that cannot be prepared (a degenerate cell) forms a group of its own.
/// Buckets run in parallel, and so do the comparisons of one structure with the rest.
pub fn group_structures(crystals: &[Crystal], cfg: &MatcherConfig) -> Vec<Vec<usize>> {
    let prepared: Vec<Option<Prepared>> = crystals
        .par_iter()
        .map(|c| Prepared::new(c, cfg).ok())
        .collect();
    // Reduced composition, ascending Z (site order does not matter) → bucket number.
    let mut index: std::collections::HashMap<Vec<(u8, usize)>, usize> = Default::default();
    let mut buckets: Vec<Vec<usize>> = Vec::new();
    for (i, c) in crystals.iter().enumerate() {
        let g = c.formula_units().max(1);
        let mut key: Vec<(u8, usize)> = c
            .composition()
            .iter()
            .map(|&(e, n)| (e.z(), n / g))
            .collect();
        key.sort_unstable();
        let b = *index.entry(key).or_insert_with(|| {
            buckets.push(Vec::new());
            buckets.len() - 1
        });
        buckets[b].push(i);
    }
    let grouped: Vec<Vec<Vec<usize>>> = buckets
        .into_par_iter()
        .map(|mut unmatched| {
            let mut groups = Vec::new();
            while !unmatched.is_empty() {
                let first = unmatched.remove(0);
                let Some(p) = &prepared[first] else {
                    groups.push(vec![first]);
                    continue;
                };
                let fits: Vec<bool> = unmatched
                    .par_iter()
                    .map(|&j| prepared[j].as_ref().is_some_and(|q| fit(p, q, cfg)))
                    .collect();
                let mut group = vec![first];
                let mut rest = Vec::with_capacity(unmatched.len());
                for (&j, f) in unmatched.iter().zip(fits) {
                    if f {
                        group.push(j);
                    } else {
                        rest.push(j);
                    }
                }
                groups.push(group);
                unmatched = rest;
            }
            groups
        })
        .collect();
    grouped.into_iter().flatten().collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `get_rms_dist`: the score is the RMS displacement; the search goes on for the
    /// smallest (stopping early only at a perfect match).
    RmsDist,
    /// `fit`: the score is the largest displacement; the first match ends the search.
    Fit,
}

impl Mode {
    /// (the score compared with `stol`, the other figure) of one assignment.
    fn split(self, s: &Scored) -> (f64, f64) {
        match self {
            Mode::RmsDist => (s.rms, s.max),
            Mode::Fit => (s.max, s.rms),
        }
    }

    /// Whether the first assignment below `stol` ends the search.
    fn stops_at_first_match(self) -> bool {
        self == Mode::Fit
    }

    /// The result from the score and the other figure (see [`Mode::split`]).
    fn result(self, score: f64, other: f64) -> MatchResult {
        match self {
            Mode::RmsDist => MatchResult {
                rms: score,
                max_dist: other,
            },
            Mode::Fit => MatchResult {
                rms: other,
                max_dist: score,
            },
        }
    }
}

/// The gates and the set-up shared by [`rms_dist`] and [`fit`]: same reduced composition,
/// both cells above [`MIN_VOLUME_A3`], the supercell size, the volume scaling; then the
/// side with more sites (after expansion) takes the other's sites.
fn run_match(
    a: &Prepared,
    b: &Prepared,
    cfg: &MatcherConfig,
    mode: Mode,
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
    // How many times a's cell is b's after expansion.
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
    // The superset side comes first.
    let pairing = if n1 as f64 * mult >= n2 as f64 {
        Pairing {
            p: a,
            lp: la,
            q: b,
            lq: lb,
            fu,
            expand_p: s1_supercell,
        }
    } else {
        Pairing {
            p: b,
            lp: lb,
            q: a,
            lq: la,
            fu,
            expand_p: !s1_supercell,
        }
    };
    pairing.strict_match(cfg, mode)
}
