//! Per-structure analysis and batch statistics.
//!
//! [`StructureMetrics`] gathers what the notebook reports for every structure: volume
//! (Å³), density (g/cm³), mean coordination number within a cutoff, minimum distance and
//! validity. [`Stats`] summarises one figure over a batch.

use crate::periodic::coordination_numbers;
use crate::structure::Crystal;
use crate::validity::PhysicsValidator;
use serde::{Deserialize, Serialize};

/// Default neighbour cutoff for coordination numbers, in Å (the notebook's).
pub const DEFAULT_CUTOFF_A: f64 = 3.2;

/// The figures the notebook reports for one structure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StructureMetrics {
    /// Chemical formula of the cell.
    pub formula: String,
    /// Number of atoms in the cell.
    pub n_atoms: usize,
    /// |det L| in Å³.
    pub volume_a3: f64,
    /// Density in g/cm³.
    pub density_g_cm3: f64,
    /// Mean coordination number: neighbours (periodic images included, each counted)
    /// within the cutoff, averaged over atoms.
    pub coordination_mean: f64,
    /// Minimum interatomic distance in Å.
    pub min_distance_a: f64,
    /// Passed the validator's distance check.
    pub valid: bool,
}

impl StructureMetrics {
    /// Analyses one structure with the given validator and coordination cutoff (Å).
    pub fn compute(c: &Crystal, validator: &PhysicsValidator, cutoff_a: f64) -> Self {
        let v = validator.check(c);
        let cn = coordination_numbers(c, cutoff_a);
        StructureMetrics {
            formula: c.formula(),
            n_atoms: c.num_atoms(),
            volume_a3: c.volume_a3(),
            density_g_cm3: c.density_g_cm3(),
            coordination_mean: cn.iter().sum::<usize>() as f64 / cn.len() as f64,
            min_distance_a: v.min_distance_a,
            valid: v.valid,
        }
    }
}

/// Mean, population standard deviation, minimum and maximum of a figure over a batch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
}

impl Stats {
    /// Statistics of `xs`; all zero for an empty slice.
    pub fn of(xs: &[f64]) -> Stats {
        if xs.is_empty() {
            return Stats {
                mean: 0.0,
                std: 0.0,
                min: 0.0,
                max: 0.0,
            };
        }
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        Stats {
            mean,
            std: var.sqrt(),
            min: xs.iter().copied().fold(f64::INFINITY, f64::min),
            max: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{bcc_fe, fcc_al};
    use approx::assert_relative_eq;

    #[test]
    fn metrics_of_fcc_aluminium() {
        let m = StructureMetrics::compute(&fcc_al(), &PhysicsValidator::default(), 3.2);
        assert_eq!(m.formula, "Al4");
        assert_eq!(m.n_atoms, 4);
        assert_relative_eq!(m.volume_a3, 66.430125, epsilon = 1e-9);
        assert_relative_eq!(m.density_g_cm3, 2.70, epsilon = 0.01);
        assert_relative_eq!(m.coordination_mean, 12.0);
        assert!(m.valid);
        let fe = StructureMetrics::compute(&bcc_fe(), &PhysicsValidator::default(), 2.7);
        assert_relative_eq!(fe.coordination_mean, 8.0);
    }

    #[test]
    fn stats_of_a_small_sample() {
        let s = Stats::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_relative_eq!(s.mean, 2.5);
        assert_relative_eq!(s.std, 1.25f64.sqrt());
        assert_eq!((s.min, s.max), (1.0, 4.0));
        assert_eq!(Stats::of(&[]).mean, 0.0);
    }
}
