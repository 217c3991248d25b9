//! Preparation of one structure for matching ([`Prepared`]): wrapped coordinates, the Niggli
//! cell and, with `primitive_cell`, the primitive cell ([`crate::primitive`]); done once per
//! structure, however many structures it is compared with.

use super::MatcherConfig;
use crate::error::CrystalError;
use crate::primitive::{self, Sites, PRIMITIVE_TOLERANCE_A};
use crate::structure::Crystal;
use nalgebra::Matrix3;

/// A structure reduced once for matching: Niggli (and primitive) cell, fractional
/// coordinates wrapped into [0, 1). Sites keep their input order, or, when a smaller cell
/// was found, are grouped by element symbol (alphabetically), as pymatgen orders them.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Row i is lattice vector i, in Å.
    pub(super) lattice: Matrix3<f64>,
    /// Atomic number of each site.
    pub(super) z: Vec<u8>,
    /// Fractional coordinates of each site in `lattice`.
    pub(super) frac: Vec<[f64; 3]>,
    /// (atomic number, number of sites), ascending Z.
    pub(super) counts: Vec<(u8, usize)>,
}

impl Prepared {
    /// Reduces `crystal` as the matcher's preprocessing does (see the module docs).
    pub fn new(crystal: &Crystal, cfg: &MatcherConfig) -> Result<Self, CrystalError> {
        // Site order is kept (pymatgen's anchor choice depends on it).
        let cell = Sites::niggli_of(crystal);
        if cfg.primitive_cell {
            if let Some(p) = primitive::search(&cell, PRIMITIVE_TOLERANCE_A) {
                return Ok(Prepared::from_parts(p));
            }
        }
        Ok(Prepared::from_parts(cell))
    }

    fn from_parts(Sites { lattice, z, frac }: Sites) -> Self {
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
    pub(super) fn same_reduced_composition(&self, other: &Prepared) -> bool {
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
