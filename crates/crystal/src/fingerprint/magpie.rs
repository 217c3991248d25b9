//! The Magpie composition fingerprint (matminer `ElementProperty.from_preset("magpie")`) and
//! CDVAE's fixed standardisation of it.

use super::cdvae_scaler::{MEANS, STDS};
use super::magpie_data::MAGPIE;
use super::COMPOSITION_FP_LEN;
use crate::structure::Crystal;

/// Number of elemental properties; six statistics each.
const N_PROPS: usize = 22;

/// matminer's 132 raw Magpie features of the crystal's composition, before scaling: for each of
/// the 22 properties (in matminer's order), minimum, maximum, range, mean, mean absolute
/// deviation and mode, weighted by the number of atoms of each element.
///
/// A property that the tables lack for one of the elements (for example the melting point of
/// He, or anything beyond Cn) makes all six statistics of that property NaN, as in matminer
/// 0.7.3 (CDVAE's version; matminer ≥ 0.9 imputes such values by default instead).
pub fn magpie_raw(crystal: &Crystal) -> [f64; COMPOSITION_FP_LEN] {
    // Distinct elements in order of first appearance (the order of CDVAE's `Counter`) with
    // their atom counts; the weights are the counts, as in CDVAE.
    let mut elems: Vec<(usize, f64)> = Vec::with_capacity(8);
    for e in crystal.species() {
        let z = e.z() as usize;
        match elems.iter_mut().find(|(zz, _)| *zz == z) {
            Some((_, n)) => *n += 1.0,
            None => elems.push((z, 1.0)),
        }
    }
    let total: f64 = elems.iter().map(|&(_, n)| n).sum();
    let max_count = elems.iter().fold(f64::NEG_INFINITY, |m, &(_, n)| m.max(n));
    let mut out = [0.0; COMPOSITION_FP_LEN];
    for p in 0..N_PROPS {
        let value = |z: usize| MAGPIE[z - 1][p];
        let any_nan = elems.iter().any(|&(z, _)| value(z).is_nan());
        let stats = &mut out[6 * p..6 * p + 6];
        if any_nan {
            stats.fill(f64::NAN);
            continue;
        }
        let min = elems
            .iter()
            .fold(f64::INFINITY, |m, &(z, _)| m.min(value(z)));
        let max = elems
            .iter()
            .fold(f64::NEG_INFINITY, |m, &(z, _)| m.max(value(z)));
        let mean = elems.iter().map(|&(z, n)| value(z) * n).sum::<f64>() / total;
        let avg_dev = elems
            .iter()
            .map(|&(z, n)| (value(z) - mean).abs() * n)
            .sum::<f64>()
            / total;
        // Mode: the smallest value among the elements with the largest count (numpy
        // `isclose(count, max count)`, i.e. |c − max| ≤ 1e-8 + 1e-5·max).
        let mode = elems
            .iter()
            .filter(|&&(_, n)| (n - max_count).abs() <= 1e-8 + 1e-5 * max_count.abs())
            .fold(f64::INFINITY, |m, &(z, _)| m.min(value(z)));
        stats.copy_from_slice(&[min, max, max - min, mean, avg_dev, mode]);
    }
    out
}

/// [`magpie_raw`] standardised with CDVAE's fixed scaler: (x − mean) / std, and NaN → 0 after
/// scaling (CDVAE `StandardScaler(replace_nan_token=0.)`).
pub fn composition_fingerprint(crystal: &Crystal) -> [f64; COMPOSITION_FP_LEN] {
    let mut x = magpie_raw(crystal);
    for (i, v) in x.iter_mut().enumerate() {
        let s = (*v - MEANS[i]) / STDS[i];
        *v = if s.is_nan() { 0.0 } else { s };
    }
    x
}
