//! Named structures: what readers return and what models train on.
//!
//! This module owns [`Entry`], a [`Crystal`] together with the name it is known by; the file
//! formats that produce entries live in [`crate::io`].

use crate::rng::Rng;
use crate::structure::Crystal;
use serde::{Deserialize, Serialize};

/// A crystal with the name it is known by (a file stem, a CIF data block, a
/// dataset's `material_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Identifier, unique within its data set.
    pub name: String,
    /// The structure.
    pub crystal: Crystal,
    /// What the reader skipped or changed to read it (a data block without a structure,
    /// symmetry images merged, …), one sentence each; empty for a clean read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Which of `n` items a split holds out: round(`fraction`·n) of them, drawn with `seed`
/// (a shuffle of the indices; `mask[i]` is true for a held-out item). The one definition
/// that `train --holdout` splits by and `benchmark --heldout` finds the held-out part by.
/// None when the fraction is outside (0, 1) or leaves either side empty.
pub fn holdout_mask(n: usize, fraction: f64, seed: u64) -> Option<Vec<bool>> {
    if !(fraction > 0.0 && fraction < 1.0) {
        return None;
    }
    let k = (fraction * n as f64).round() as usize;
    if k == 0 || k >= n {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    Rng::new(seed).shuffle(&mut order);
    let mut mask = vec![false; n];
    for &i in &order[..k] {
        mask[i] = true;
    }
    Some(mask)
}

impl Entry {
    /// A named crystal.
    pub fn new(name: impl Into<String>, crystal: Crystal) -> Self {
        Entry {
            name: name.into(),
            crystal,
            notes: Vec::new(),
        }
    }

    /// The entry with `note` added to its [`Entry::notes`].
    pub fn noted(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holdout_takes_its_share_by_seed() {
        let m = holdout_mask(1000, 0.1, 42).unwrap();
        assert_eq!(m.iter().filter(|&&h| h).count(), 100);
        assert_eq!(holdout_mask(1000, 0.1, 42).unwrap(), m);
        assert_ne!(holdout_mask(1000, 0.1, 43).unwrap(), m);
        // Spread over the data, not a block at one end.
        assert!(m[..500].iter().any(|&h| h) && m[500..].iter().any(|&h| h));
        for bad in [0.0, 1.0, -0.1, f64::NAN] {
            assert_eq!(holdout_mask(1000, bad, 1), None, "{bad}");
        }
        assert_eq!(holdout_mask(3, 0.1, 1), None, "nothing held out");
        assert_eq!(holdout_mask(3, 0.9, 1), None, "nothing left");
    }
}
