//! The matcher agreement set (issue 6): pairs made from shared Perov-5 and Carbon-24 test
//! rows, scored by pymatgen with `scripts/matcher_agreement.py`, and scored here again.
//! Shared by `tests/matcher_agreement.rs` (asserts) and `examples/matcher_agreement.rs`
//! (prints figures and timings).

use crystal::matcher::{self, MatcherConfig, Prepared};
use crystal::{Crystal, Element, Lattice};
use serde::Deserialize;
use std::io::Read;
use std::path::Path;

#[derive(Deserialize)]
pub struct Structure {
    pub lattice: [[f64; 3]; 3],
    pub species: Vec<String>,
    pub frac: Vec<[f64; 3]>,
}

#[derive(Deserialize)]
pub struct Pair {
    pub dataset: String,
    #[allow(dead_code)] // read by the example only
    pub material_id: String,
    pub kind: String,
    pub pred: Structure,
    pub gt: Structure,
    /// pymatgen's `get_rms_dist(pred, gt)`: [rms, max] or null.
    pub pymatgen: Option<[f64; 2]>,
    /// pymatgen's time for that call, seconds.
    #[allow(dead_code)] // read by the example only
    pub seconds: f64,
}

pub fn crystal(s: &Structure) -> Crystal {
    let species = s
        .species
        .iter()
        .map(|x| Element::from_symbol(x).unwrap())
        .collect();
    Crystal::new(Lattice::new(s.lattice).unwrap(), species, s.frac.clone()).unwrap()
}

/// Reads a gzipped JSON-lines agreement file.
pub fn load(path: &Path) -> Vec<Pair> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Our `rms_dist(pred, gt)` for one pair: Some(rms) or None.
pub fn ours(p: &Pair, cfg: &MatcherConfig) -> Option<f64> {
    let a = Prepared::new(&crystal(&p.pred), cfg).unwrap();
    let b = Prepared::new(&crystal(&p.gt), cfg).unwrap();
    matcher::rms_dist(&a, &b, cfg).ok().map(|m| m.rms)
}

/// Whether our result agrees with pymatgen's: same decision, RMS within `tol`.
pub fn agrees(ours: Option<f64>, theirs: Option<[f64; 2]>, tol: f64) -> bool {
    match (ours, theirs) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b[0]).abs() <= tol,
        _ => false,
    }
}
