//! Structural validity: is every pair of atoms far enough apart, and is the cell a cell?
//!
//! This module owns the one definition of "structurally valid" the crate uses. A
//! [`StructuralRule`] names its three choices — the distance threshold, which pairs count
//! ([`Pairs`]: all periodic images, an atom's own included, or distinct sites only) and the
//! volume bound ([`VolumeBound`]) — and prints them in one line for run summaries. Two presets
//! cover the project's uses: [`StructuralRule::notebook`] (0.7 Å over all images, volume
//! above 0.1 Å³; what [`crate::analysis`] reports) and [`StructuralRule::cdvae`] (0.5 Å between
//! distinct sites, volume ≥ 0.1 Å³; the benchmark metrics' [`crate::metrics::struct_valid`]).
//! [`MIN_VOLUME_A3`] is the volume bound everyone uses, the matcher's degenerate-cell gate
//! included. Distances come from [`crate::pbc`], exact for any cell shape.

use crate::pbc::{for_each_neighbor, min_distance, min_distinct_distance};
use crate::structure::Crystal;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// The notebook's threshold, in Å.
pub const DEFAULT_MIN_DISTANCE_A: f64 = 0.7;

/// CDVAE's (and DiffCSP's) threshold between distinct sites, in Å.
pub const CDVAE_MIN_DISTANCE_A: f64 = 0.5;

/// Smallest cell volume of a structurally valid crystal, in Å³ (CDVAE's check; the notebook's
/// analysis and the matcher's degenerate-cell gate use the same number).
pub const MIN_VOLUME_A3: f64 = 0.1;

/// Outcome of the distance check for one structure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Validity {
    /// True when every pair is at least the threshold apart.
    pub valid: bool,
    /// The smallest interatomic distance found, in Å.
    pub min_distance_a: f64,
}

/// Which pairs of atoms the distance threshold applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pairs {
    /// Every pair and every periodic image, an atom's own images included: a cell vector
    /// shorter than the threshold is an overlap too ([`crate::pbc::min_distance`]).
    AllImages,
    /// Pairs of distinct sites only, any periodic image (CDVAE's `structure_validity`): an
    /// atom's distance to its own images does not count
    /// ([`crate::pbc::min_distinct_distance`]).
    DistinctSites,
}

/// The condition on the cell volume V. Two inclusive/exclusive forms exist because the two
/// conventions the project reproduces differ exactly there.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum VolumeBound {
    /// No condition.
    Unbounded,
    /// V > bound, strict (the notebook's analysis).
    Above(f64),
    /// V ≥ bound: only V < bound is rejected (CDVAE).
    AtLeast(f64),
}

impl VolumeBound {
    /// Whether a cell of `volume_a3` Å³ satisfies the bound.
    pub fn admits(&self, volume_a3: f64) -> bool {
        match *self {
            VolumeBound::Unbounded => true,
            VolumeBound::Above(v) => volume_a3 > v,
            // Written so that only V < bound fails (a NaN volume passes, as in CDVAE's check).
            VolumeBound::AtLeast(v) => volume_a3.partial_cmp(&v) != Some(Ordering::Less),
        }
    }
}

/// One definition of structural validity: a minimum distance over a set of pairs and a
/// bound on the cell volume.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StructuralRule {
    /// Threshold in Å: a pair closer than this makes the structure invalid.
    pub min_distance_a: f64,
    /// Which pairs the threshold applies to.
    pub pairs: Pairs,
    /// Condition on the cell volume.
    pub volume: VolumeBound,
}

impl StructuralRule {
    /// The notebook's rule, as [`crate::analysis`] reports it: every pair over all periodic
    /// images (an atom's own included) at least 0.7 Å apart, volume above 0.1 Å³.
    pub fn notebook() -> Self {
        StructuralRule {
            min_distance_a: DEFAULT_MIN_DISTANCE_A,
            pairs: Pairs::AllImages,
            volume: VolumeBound::Above(MIN_VOLUME_A3),
        }
    }

    /// CDVAE's rule ([`crate::metrics::struct_valid`]): distinct sites at least 0.5 Å apart
    /// (any periodic image), volume at least 0.1 Å³.
    pub fn cdvae() -> Self {
        StructuralRule {
            min_distance_a: CDVAE_MIN_DISTANCE_A,
            pairs: Pairs::DistinctSites,
            volume: VolumeBound::AtLeast(MIN_VOLUME_A3),
        }
    }

    /// The same rule with another distance threshold (Å).
    pub fn with_min_distance(self, min_distance_a: f64) -> Self {
        StructuralRule {
            min_distance_a,
            ..self
        }
    }

    /// The smallest distance over the rule's pairs, in Å (infinite when there is no pair,
    /// e.g. one atom under [`Pairs::DistinctSites`]).
    pub fn min_distance(&self, c: &Crystal) -> f64 {
        match self.pairs {
            Pairs::AllImages => min_distance(c),
            Pairs::DistinctSites => min_distinct_distance(c),
        }
    }

    /// The verdict from a distance measured over the rule's pairs ([`Self::min_distance`])
    /// and a volume. All images: valid when d ≥ threshold; distinct sites: valid when no
    /// pair is below the threshold (the two differ only for a NaN threshold, as the original
    /// checks did).
    pub fn accepts(&self, min_distance_a: f64, volume_a3: f64) -> bool {
        let distance_ok = match self.pairs {
            Pairs::AllImages => min_distance_a >= self.min_distance_a,
            Pairs::DistinctSites => {
                min_distance_a.partial_cmp(&self.min_distance_a) != Some(Ordering::Less)
            }
        };
        distance_ok && self.volume.admits(volume_a3)
    }

    /// Checks one structure: the verdict and the smallest distance over the rule's pairs.
    pub fn check(&self, c: &Crystal) -> Validity {
        match self.pairs {
            Pairs::AllImages => {
                let d = min_distance(c);
                Validity {
                    valid: self.accepts(d, c.volume_a3()),
                    min_distance_a: d,
                }
            }
            Pairs::DistinctSites => Validity {
                valid: self.passes(c),
                min_distance_a: min_distinct_distance(c),
            },
        }
    }

    /// Checks many structures on all cores; results in input order.
    pub fn check_all(&self, crystals: &[Crystal]) -> Vec<Validity> {
        use rayon::prelude::*;
        crystals.par_iter().map(|c| self.check(c)).collect()
    }

    /// The verdict of [`Self::check`] alone. Under [`Pairs::DistinctSites`] it searches only
    /// within the threshold (cheaper than measuring the smallest distance).
    pub fn passes(&self, c: &Crystal) -> bool {
        match self.pairs {
            Pairs::AllImages => self.check(c).valid,
            Pairs::DistinctSites => {
                if !self.volume.admits(c.volume_a3()) {
                    return false;
                }
                let mut ok = true;
                for_each_neighbor(c, self.min_distance_a, |i, j, _, d| {
                    if i != j && d < self.min_distance_a {
                        ok = false;
                    }
                });
                ok
            }
        }
    }
}

impl std::fmt::Display for StructuralRule {
    /// One line, e.g. `min distance ≥ 0.7 Å over all periodic images, volume > 0.1 Å³`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pairs = match self.pairs {
            Pairs::AllImages => "over all periodic images",
            Pairs::DistinctSites => "between distinct sites (any periodic image)",
        };
        write!(f, "min distance ≥ {} Å {pairs}", self.min_distance_a)?;
        match self.volume {
            VolumeBound::Unbounded => Ok(()),
            VolumeBound::Above(v) => write!(f, ", volume > {v} Å³"),
            VolumeBound::AtLeast(v) => write!(f, ", volume ≥ {v} Å³"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{diamond_c, fcc_al};
    use crate::elements::Element;
    use crate::lattice::Lattice;
    use crate::test_support::el;
    use approx::assert_relative_eq;

    #[test]
    fn threshold_decides() {
        let v = StructuralRule::notebook();
        assert!(v.check(&diamond_c()).valid);
        assert!(!v.with_min_distance(1.6).check(&diamond_c()).valid);
        let close = Crystal::new(
            Lattice::cubic(4.0).unwrap(),
            vec![Element::from_z(13).unwrap(); 2],
            vec![[0.0, 0.0, 0.0], [0.1, 0.0, 0.0]],
        )
        .unwrap();
        let r = v.check(&close);
        assert!(!r.valid);
        assert!((r.min_distance_a - 0.4).abs() < 1e-12);
        let all = v.check_all(&[fcc_al(), close]);
        assert_eq!(
            all.iter().map(|x| x.valid).collect::<Vec<_>>(),
            [true, false]
        );
    }

    /// One atom in a cell with a 0.4 Å lattice vector (the metrics' thin-cell case).
    fn thin() -> Crystal {
        Crystal::new(
            Lattice::new([[0.4, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]]).unwrap(),
            vec![el("C")],
            vec![[0.0; 3]],
        )
        .unwrap()
    }

    #[test]
    fn thin_cell_is_valid_for_cdvae_and_not_for_the_notebook() {
        let (nb, cd) = (StructuralRule::notebook(), StructuralRule::cdvae());
        let t = thin();
        assert!(cd.passes(&t) && cd.check(&t).valid);
        assert_eq!(cd.check(&t).min_distance_a, f64::INFINITY);
        assert!(!nb.passes(&t) && !nb.check(&t).valid);
        assert_relative_eq!(nb.check(&t).min_distance_a, 0.4, epsilon = 1e-12);
    }

    #[test]
    fn textbook_minimum_distances_of_fcc_aluminium_and_diamond() {
        for rule in [StructuralRule::notebook(), StructuralRule::cdvae()] {
            // FCC Al, a = 4.05 Å: nearest neighbours at a/√2 = 2.864 Å.
            let al = rule.check(&fcc_al());
            assert!(al.valid && rule.passes(&fcc_al()));
            assert_relative_eq!(al.min_distance_a, 4.05 / 2f64.sqrt(), epsilon = 1e-9);
            // Diamond, a = 3.57 Å: C–C bond a·√3/4 = 1.546 Å.
            let c = rule.check(&diamond_c());
            assert!(c.valid);
            assert_relative_eq!(c.min_distance_a, 3.57 * 3f64.sqrt() / 4.0, epsilon = 1e-9);
            // Above the bond length, diamond fails under either rule.
            assert!(!rule.with_min_distance(1.6).passes(&diamond_c()));
        }
    }

    #[test]
    fn the_volume_bounds_differ_exactly_at_the_bound() {
        let (nb, cd) = (StructuralRule::notebook(), StructuralRule::cdvae());
        assert!(!nb.accepts(1.0, MIN_VOLUME_A3));
        assert!(cd.accepts(1.0, MIN_VOLUME_A3));
        assert!(nb.accepts(1.0, 0.1000001) && cd.accepts(1.0, 0.1000001));
        assert!(!nb.accepts(1.0, 0.09) && !cd.accepts(1.0, 0.09));
        assert!(!nb.accepts(0.69, 10.0) && cd.accepts(0.69, 10.0) && !cd.accepts(0.49, 10.0));
        assert!(VolumeBound::Unbounded.admits(0.0));
        // A 0.1 × 1 × 1 Å cell holds exactly 0.1 Å³.
        let flat = Crystal::new(
            Lattice::new([[0.1, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]).unwrap(),
            vec![el("H")],
            vec![[0.0; 3]],
        )
        .unwrap();
        assert_eq!(flat.volume_a3(), MIN_VOLUME_A3);
        assert!(cd.passes(&flat));
        assert!(!nb.with_min_distance(0.05).passes(&flat));
    }

    #[test]
    fn rules_print_in_one_line_and_round_trip_through_json() {
        assert_eq!(
            StructuralRule::notebook().to_string(),
            "min distance ≥ 0.7 Å over all periodic images, volume > 0.1 Å³"
        );
        assert_eq!(
            StructuralRule::cdvae().to_string(),
            "min distance ≥ 0.5 Å between distinct sites (any periodic image), volume ≥ 0.1 Å³"
        );
        assert_eq!(
            StructuralRule::notebook()
                .with_min_distance(0.5)
                .to_string(),
            "min distance ≥ 0.5 Å over all periodic images, volume > 0.1 Å³"
        );
        for rule in [StructuralRule::notebook(), StructuralRule::cdvae()] {
            let json = serde_json::to_string(&rule).unwrap();
            assert_eq!(serde_json::from_str::<StructuralRule>(&json).unwrap(), rule);
        }
    }
}
