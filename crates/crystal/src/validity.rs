//! The physics validator: is every pair of atoms far enough apart?
//!
//! A structure passes when its minimum interatomic distance under periodic boundary
//! conditions (exact for any cell, see [`crate::periodic`]) is at least the threshold.
//! The notebook uses 0.7 Å; the crystal-generation literature (CDVAE, DiffCSP) uses
//! 0.5 Å. Our default is the notebook's, and every report names the value used.

use crate::periodic::min_distance;
use crate::structure::Crystal;
use serde::{Deserialize, Serialize};

/// The notebook's threshold, in Å.
pub const DEFAULT_MIN_DISTANCE_A: f64 = 0.7;

/// Outcome of the distance check for one structure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Validity {
    /// True when every pair is at least the threshold apart.
    pub valid: bool,
    /// The smallest interatomic distance found, in Å.
    pub min_distance_a: f64,
}

/// Checks structures against a minimum interatomic distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhysicsValidator {
    /// Threshold in Å; must be positive.
    pub min_distance_a: f64,
}

impl Default for PhysicsValidator {
    fn default() -> Self {
        PhysicsValidator {
            min_distance_a: DEFAULT_MIN_DISTANCE_A,
        }
    }
}

impl PhysicsValidator {
    /// A validator with threshold `min_distance_a` Å.
    pub fn new(min_distance_a: f64) -> Self {
        PhysicsValidator { min_distance_a }
    }

    /// Checks one structure.
    pub fn check(&self, c: &Crystal) -> Validity {
        let d = min_distance(c);
        Validity {
            valid: d >= self.min_distance_a,
            min_distance_a: d,
        }
    }

    /// Checks many structures on all cores; results in input order.
    pub fn check_all(&self, crystals: &[Crystal]) -> Vec<Validity> {
        use rayon::prelude::*;
        crystals.par_iter().map(|c| self.check(c)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{diamond_c, fcc_al};
    use crate::elements::Element;
    use crate::lattice::Lattice;

    #[test]
    fn threshold_decides() {
        let v = PhysicsValidator::default();
        assert!(v.check(&diamond_c()).valid);
        assert!(!PhysicsValidator::new(1.6).check(&diamond_c()).valid);
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
}
