//! Benchmark metrics of crystal generation: crystal structure prediction (CSP) and de novo
//! generation (DNG), as the CDVAE (Xie et al. 2022) and DiffCSP (Jiao et al. 2023) scripts
//! define them, with every definition written out ([`EXPLAIN_CSP`], [`EXPLAIN_DNG`]).
//!
//! This module scores structures already in memory; reading files, pairing them by name and
//! reporting unreadable ones is the caller's job (the `eval` command). Matching uses
//! [`crate::matcher`]; validity uses [`struct_valid`] (CDVAE's 0.5 Å rule on distinct
//! sites, [`StructuralRule::cdvae`]) and [`crate::composition::composition_valid`] (CDVAE's SMACT rule); coverage uses
//! [`crate::fingerprint`].

use crate::composition::composition_valid;
use crate::dataset::Entry;
use crate::fingerprint::{composition_fingerprint, structure_fingerprint};
use crate::geometry::gcd;
use crate::io::load::Unreadable;
use crate::matcher::{fit, rms_dist, MatcherConfig, Prepared};
use crate::rng::Rng;
use crate::structure::Crystal;
use crate::validity::StructuralRule;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// The definitions behind `eval csp`, printed by `--explain`.
pub const EXPLAIN_CSP: &str = "\
CSP metrics (crystal structure prediction: composition given, structure predicted)
- Pairing: a prediction belongs to the ground truth whose name (material_id, or file stem)
  equals its own name, or its name followed by _K (K digits) for several samples.
- Match: pymatgen StructureMatcher.get_rms_dist(pred, gt) semantics with ltol 0.3,
  stol 0.5, angle_tol 10 deg, primitive_cell and scale on (CDVAE/DiffCSP settings):
  both cells reduced (Niggli, primitive), scaled to equal volume, lattices matched within
  the tolerances, sites assigned by species under periodic boundaries; the match holds
  when the RMS displacement / (V/N)^(1/3) is below stol.
- match_rate = matched ground truths / all ground truths (a ground truth without a
  readable prediction is a miss). With several samples, a ground truth is matched when any
  sample matches; its RMS is the smallest (DiffCSP's k-sample metric).
- rmse = mean normalised RMS displacement over the matched ground truths (unitless).
- gated: DiffCSP's gate - with one prediction per ground truth, it counts only when the
  prediction and its ground truth are both valid; with several, only the prediction's
  validity gates (DiffCSP's k-sample evaluation). Valid: every distance between distinct
  sites >= 0.5 A, volume >= 0.1 A^3, SMACT charge neutrality with Pauling
  electronegativity order (CDVAE rules), and a computable structure fingerprint.
  The ungated figures count every prediction.
- Ground truths that cannot be read still count in n_gt (as misses).";

/// The definitions behind `eval dng`, printed by `--explain`.
pub const EXPLAIN_DNG: &str = "\
DNG metrics (de novo generation), CDVAE's definitions unless marked 'ours'
- valid_structure: share of generated structures whose distinct sites are all >= 0.5 A
  apart (minimum image) and whose volume is >= 0.1 A^3.
- valid_composition: share passing CDVAE's SMACT test (one element, or all metals, or a
  charge-neutral assignment of oxidation states with cations less electronegative than
  anions; SMACT 2.2.1 data).
- valid: share passing both (and whose structure fingerprint can be computed, as CDVAE).
- wdist_density, wdist_num_elements: 1-D Wasserstein (earth mover's) distance between the
  density (g/cm^3) / number of distinct elements of the valid generated structures (at most
  1,000, drawn with the given seed, as CDVAE) and of all reference structures.
- cov_recall (COV-R): share of reference structures with some generated structure within
  the structure-fingerprint cutoff and some (possibly other) within the composition-
  fingerprint cutoff. cov_precision (COV-P): share of generated structures (all of them in
  the denominator) within both cutoffs of some reference structure. Fingerprints: mean
  over sites of matminer's CrystalNNFingerprint 'ops' (61 values; ours agree to 1e-9
  except the bcc order parameter of equal-weight neighbour ties) and Magpie
  ElementProperty (132 values, exact) standardised with CDVAE's fixed scaler. Cutoffs (structure,
  composition): Perov-5 and Carbon-24 0.2 / 4, MP-20 0.4 / 10.
- unique (ours): share of generated structures that match no earlier generated structure.
- novel (ours): share of generated structures that match no reference structure.
  Both judge sameness with StructureMatcher.fit semantics at the CSP tolerances.";

/// Distance below which two distinct sites make a structure invalid (CDVAE, Å).
pub use crate::validity::CDVAE_MIN_DISTANCE_A as STRUCT_VALID_CUTOFF_A;
/// Volume below which a structure is invalid (CDVAE, Å³).
pub use crate::validity::MIN_VOLUME_A3 as STRUCT_VALID_MIN_VOLUME_A3;

/// CDVAE's structural validity, [`StructuralRule::cdvae`]: every pair of *distinct* sites
/// (any periodic image) at least 0.5 Å apart, and a cell volume of at least 0.1 Å³. An
/// atom's distance to its own images is not considered (unlike [`crate::validity::StructuralRule::notebook`]).
pub fn struct_valid(c: &Crystal) -> bool {
    StructuralRule::cdvae().passes(c)
}

/// CDVAE's and DiffCSP's `valid`: structurally and compositionally valid, and the
/// structure fingerprint can be computed (their `Crystal.valid` is false when it raises).
pub fn valid(c: &Crystal) -> bool {
    struct_valid(c) && composition_valid(c) && structure_fingerprint(c).is_ok()
}

/// The ground-truth name a prediction name points at, given the set of ground-truth names:
/// the exact name if present, else the name with a `_K` suffix removed.
fn ground_truth_of(pred: &str, gts: &HashMap<&str, usize>) -> Option<usize> {
    if let Some(&i) = gts.get(pred) {
        return Some(i);
    }
    let (stem, k) = pred.rsplit_once('_')?;
    if k.is_empty() || !k.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    gts.get(stem).copied()
}

/// One ground truth's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct CspRow {
    pub name: String,
    /// Predictions paired with it.
    pub n_candidates: usize,
    /// Best normalised RMS over all candidates (no gate), if any matched.
    pub rms: Option<f64>,
    /// Best over the candidates that pass the gate, if the ground truth passes it.
    pub rms_gated: Option<f64>,
    /// CDVAE validity of the ground truth.
    pub gt_valid: bool,
    /// Why the first candidate (in name order) did not match, if none matched.
    pub reason: Option<String>,
}

/// CSP figures, with and without DiffCSP's validity gate.
#[derive(Debug, Clone, Serialize)]
pub struct CspMetrics {
    pub n_gt: usize,
    /// Ground truths with at least one prediction.
    pub n_gt_with_prediction: usize,
    pub n_predictions: usize,
    pub n_matched: usize,
    pub match_rate: f64,
    /// Mean normalised RMS over matched ground truths; None when nothing matched.
    pub rmse: Option<f64>,
    pub n_matched_gated: usize,
    pub match_rate_gated: f64,
    pub rmse_gated: Option<f64>,
    /// Predictions whose name points at no ground truth.
    pub unpaired_predictions: Vec<String>,
    /// Ground truths without any prediction.
    pub missing_predictions: Vec<String>,
    pub rows: Vec<CspRow>,
}

/// Scores predictions against ground truths (see [`EXPLAIN_CSP`]). `progress` is called
/// once per ground truth scored (from worker threads).
pub fn csp(
    gts: &[Entry],
    preds: &[Entry],
    cfg: &MatcherConfig,
    n_unreadable_gt: usize,
    progress: &(dyn Fn() + Sync),
) -> CspMetrics {
    let index: HashMap<&str, usize> = gts
        .iter()
        .enumerate()
        .map(|(i, e)| (e.name.as_str(), i))
        .collect();
    let mut groups: Vec<Vec<&Entry>> = vec![Vec::new(); gts.len()];
    let mut unpaired = Vec::new();
    for p in preds {
        match ground_truth_of(&p.name, &index) {
            Some(i) => groups[i].push(p),
            None => unpaired.push(p.name.clone()),
        }
    }
    // Candidates in name order, so that the result does not depend on the order the
    // predictions were read in (one folder, or the shards of a run in any order).
    for g in &mut groups {
        g.sort_by(|a, b| a.name.cmp(&b.name));
    }
    unpaired.sort();
    let rows: Vec<CspRow> = gts
        .par_iter()
        .zip(&groups)
        .map(|(gt, cands)| {
            let cands: Vec<&Crystal> = cands.iter().map(|e| &e.crystal).collect();
            let row = score_one(gt, &cands, cfg);
            progress();
            row
        })
        .collect();
    let n_gt = gts.len() + n_unreadable_gt;
    let mean = |v: Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let matched: Vec<f64> = rows.iter().filter_map(|r| r.rms).collect();
    let matched_gated: Vec<f64> = rows.iter().filter_map(|r| r.rms_gated).collect();
    let rate = |k: usize| {
        if n_gt == 0 {
            0.0
        } else {
            k as f64 / n_gt as f64
        }
    };
    CspMetrics {
        n_gt,
        n_gt_with_prediction: groups.iter().filter(|g| !g.is_empty()).count(),
        n_predictions: preds.len(),
        n_matched: matched.len(),
        match_rate: rate(matched.len()),
        n_matched_gated: matched_gated.len(),
        match_rate_gated: rate(matched_gated.len()),
        rmse: mean(matched),
        rmse_gated: mean(matched_gated),
        unpaired_predictions: unpaired,
        missing_predictions: gts
            .iter()
            .zip(&groups)
            .filter(|(_, g)| g.is_empty())
            .map(|(e, _)| e.name.clone())
            .collect(),
        rows,
    }
}

fn score_one(gt: &Entry, cands: &[&Crystal], cfg: &MatcherConfig) -> CspRow {
    let gt_valid = valid(&gt.crystal);
    // DiffCSP gates one prediction on both validities, several on the prediction's only.
    let gt_gate = gt_valid || cands.len() > 1;
    let mut row = CspRow {
        name: gt.name.clone(),
        n_candidates: cands.len(),
        rms: None,
        rms_gated: None,
        gt_valid,
        reason: None,
    };
    if cands.is_empty() {
        row.reason = Some("no prediction".into());
        return row;
    }
    let pg = match Prepared::new(&gt.crystal, cfg) {
        Ok(p) => p,
        Err(e) => {
            row.reason = Some(e.to_string());
            return row;
        }
    };
    for c in cands {
        let outcome = Prepared::new(c, cfg)
            .map_err(|e| e.to_string())
            .and_then(|pp| rms_dist(&pp, &pg, cfg).map_err(|e| e.to_string()));
        match outcome {
            Ok(m) => {
                row.rms = Some(row.rms.map_or(m.rms, |b: f64| b.min(m.rms)));
                if gt_gate && valid(c) {
                    row.rms_gated = Some(row.rms_gated.map_or(m.rms, |b: f64| b.min(m.rms)));
                }
            }
            Err(e) => {
                if row.reason.is_none() {
                    row.reason = Some(e);
                }
            }
        }
    }
    if row.rms.is_some() {
        row.reason = None;
    }
    row
}

/// Coverage cutoffs (structure fingerprint, composition fingerprint), CDVAE's
/// `COV_Cutoffs`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CovCutoffs {
    pub structure: f64,
    pub composition: f64,
}

impl CovCutoffs {
    /// Perov-5 and Carbon-24: 0.2 / 4.
    pub const PEROV_CARBON: CovCutoffs = CovCutoffs {
        structure: 0.2,
        composition: 4.0,
    };
    /// MP-20: 0.4 / 10.
    pub const MP20: CovCutoffs = CovCutoffs {
        structure: 0.4,
        composition: 10.0,
    };
}

/// A benchmark data set, for its coverage cutoffs and its printed name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Benchmark {
    Perov5,
    Carbon24,
    Mp20,
}

impl Benchmark {
    /// Perov-5, Carbon-24 and MP-20 in any of their usual spellings (`perov_5`, `Perov-5`,
    /// `perov5`, `mp_20`, …).
    pub fn parse(name: &str) -> Option<Benchmark> {
        let key: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match key.as_str() {
            "perov5" | "perov" => Some(Benchmark::Perov5),
            "carbon24" | "carbon" => Some(Benchmark::Carbon24),
            "mp20" | "mp" => Some(Benchmark::Mp20),
            _ => None,
        }
    }

    /// Whether a path names one of the sets (`perov`, `carbon`, `mp_20`, `mp-20`, `mp20`).
    pub fn named_in(path_text: &str) -> bool {
        let s = path_text.to_lowercase();
        ["perov", "carbon", "mp_20", "mp-20", "mp20"]
            .iter()
            .any(|k| s.contains(k))
    }

    /// The set a path names (`…perov…`, `…carbon…`), else MP-20.
    pub fn infer_from(path_text: &str) -> Benchmark {
        let s = path_text.to_lowercase();
        if s.contains("perov") {
            Benchmark::Perov5
        } else if s.contains("carbon") {
            Benchmark::Carbon24
        } else {
            Benchmark::Mp20
        }
    }

    /// CDVAE's coverage cutoffs for this set.
    pub fn cutoffs(self) -> CovCutoffs {
        match self {
            Benchmark::Perov5 | Benchmark::Carbon24 => CovCutoffs::PEROV_CARBON,
            Benchmark::Mp20 => CovCutoffs::MP20,
        }
    }

    /// The name papers print: "Perov-5", "Carbon-24", "MP-20".
    pub fn name(self) -> &'static str {
        match self {
            Benchmark::Perov5 => "Perov-5",
            Benchmark::Carbon24 => "Carbon-24",
            Benchmark::Mp20 => "MP-20",
        }
    }
}

/// Options of [`dng`].
#[derive(Debug, Clone, Copy)]
pub struct DngConfig {
    pub matcher: MatcherConfig,
    pub cutoffs: CovCutoffs,
    /// At most this many valid structures enter the Wasserstein distances (CDVAE: 1,000).
    pub n_wdist_samples: usize,
    /// Seed of that draw.
    pub seed: u64,
    /// Compute uniqueness and novelty (pairwise matching; the slowest part).
    pub uniqueness_novelty: bool,
}

impl Default for DngConfig {
    fn default() -> Self {
        DngConfig {
            matcher: MatcherConfig::csp(),
            cutoffs: CovCutoffs::MP20,
            n_wdist_samples: 1000,
            seed: 42,
            uniqueness_novelty: true,
        }
    }
}

/// De novo generation figures (see [`EXPLAIN_DNG`]).
#[derive(Debug, Clone, Serialize)]
pub struct DngMetrics {
    pub n_generated: usize,
    pub n_reference: usize,
    pub valid_structure: f64,
    pub valid_composition: f64,
    pub valid: f64,
    /// Valid structures that entered the Wasserstein distances.
    pub n_wdist_samples: usize,
    pub wdist_density: Option<f64>,
    pub wdist_num_elements: Option<f64>,
    pub cov_recall: f64,
    pub cov_precision: f64,
    /// Mean over reference structures of the nearest generated structure fingerprint
    /// distance (AMSD recall), and the same from the generated side (precision).
    pub amsd_recall: Option<f64>,
    pub amsd_precision: Option<f64>,
    pub cutoffs: CovCutoffs,
    pub unique: Option<f64>,
    pub novel: Option<f64>,
    /// Generated / reference structures whose fingerprint could not be computed.
    pub n_generated_without_fingerprint: usize,
    pub n_reference_without_fingerprint: usize,
}

/// The JSON record of a CSP evaluation (`eval csp --format json`, Python's `eval_csp`):
/// the figures of [`CspMetrics`], the inputs that could not be read, the matcher used and
/// one row per ground truth.
#[derive(Debug, Clone, Serialize)]
pub struct CspReport {
    /// Always "csp".
    pub task: &'static str,
    pub match_rate: f64,
    pub rmse: Option<f64>,
    pub n_gt: usize,
    pub n_matched: usize,
    pub match_rate_gated: f64,
    pub rmse_gated: Option<f64>,
    pub n_matched_gated: usize,
    pub n_predictions: usize,
    pub n_gt_with_prediction: usize,
    pub unreadable_predictions: Vec<Unreadable>,
    pub unreadable_gt: Vec<Unreadable>,
    pub unpaired_predictions: Vec<String>,
    pub missing_predictions: Vec<String>,
    pub matcher: MatcherConfig,
    pub per_ground_truth: Vec<CspRow>,
}

impl CspReport {
    pub fn new(
        m: CspMetrics,
        matcher: MatcherConfig,
        unreadable_predictions: Vec<Unreadable>,
        unreadable_gt: Vec<Unreadable>,
    ) -> Self {
        CspReport {
            task: "csp",
            match_rate: m.match_rate,
            rmse: m.rmse,
            n_gt: m.n_gt,
            n_matched: m.n_matched,
            match_rate_gated: m.match_rate_gated,
            rmse_gated: m.rmse_gated,
            n_matched_gated: m.n_matched_gated,
            n_predictions: m.n_predictions,
            n_gt_with_prediction: m.n_gt_with_prediction,
            unreadable_predictions,
            unreadable_gt,
            unpaired_predictions: m.unpaired_predictions,
            missing_predictions: m.missing_predictions,
            matcher,
            per_ground_truth: m.rows,
        }
    }
}

/// The JSON record of a de novo evaluation (`eval dng --format json`, Python's
/// `eval_dng`): the figures of [`DngMetrics`] and what they were computed with.
#[derive(Debug, Clone, Serialize)]
pub struct DngReport {
    #[serde(flatten)]
    pub metrics: DngMetrics,
    /// Always "dng".
    pub task: &'static str,
    /// The set whose coverage cutoffs were used ("Perov-5", "Carbon-24", "MP-20").
    pub cutoffs_dataset: &'static str,
    pub matcher: MatcherConfig,
    /// Seed of the draw for the Wasserstein distances.
    pub seed: u64,
    pub unreadable_generated: Vec<Unreadable>,
    pub unreadable_reference: Vec<Unreadable>,
}

/// 1-D Wasserstein-1 distance between two empirical distributions (equal weights within
/// each sample): ∫ |F_u(x) − F_v(x)| dx, as scipy's `wasserstein_distance`.
pub fn wasserstein_1d(u: &[f64], v: &[f64]) -> Option<f64> {
    if u.is_empty() || v.is_empty() {
        return None;
    }
    let mut u = u.to_vec();
    let mut v = v.to_vec();
    u.sort_by(f64::total_cmp);
    v.sort_by(f64::total_cmp);
    let mut all: Vec<f64> = u.iter().chain(&v).copied().collect();
    all.sort_by(f64::total_cmp);
    let (mut iu, mut iv) = (0, 0);
    let mut total = 0.0;
    for w in all.windows(2) {
        let x = w[0];
        while iu < u.len() && u[iu] <= x {
            iu += 1;
        }
        while iv < v.len() && v[iv] <= x {
            iv += 1;
        }
        let fu = iu as f64 / u.len() as f64;
        let fv = iv as f64 / v.len() as f64;
        total += (fu - fv).abs() * (w[1] - w[0]);
    }
    Some(total)
}

type Fingerprints = Option<(Vec<f64>, Vec<f64>)>;

/// Both fingerprints of a crystal, or None when the structure fingerprint cannot be
/// computed (CDVAE then drops both and counts the crystal invalid).
fn fingerprints(c: &Crystal) -> Fingerprints {
    let s = structure_fingerprint(c).ok()?;
    Some((s, composition_fingerprint(c).to_vec()))
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Result of [`coverage`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coverage {
    pub recall: f64,
    pub precision: f64,
    pub amsd_recall: Option<f64>,
    pub amsd_precision: Option<f64>,
}

/// CDVAE's `compute_cov` on precomputed (structure, composition) fingerprints; `None`
/// entries are generated/reference structures without fingerprints: they never cover
/// anything, and generated ones still count in COV-P's denominator.
pub fn coverage(gen: &[Fingerprints], refs: &[Fingerprints], cut: CovCutoffs) -> Coverage {
    let g: Vec<&(Vec<f64>, Vec<f64>)> = gen.iter().flatten().collect();
    let r: Vec<&(Vec<f64>, Vec<f64>)> = refs.iter().flatten().collect();
    // For each row of `a`: the smallest structure and composition distances to `b`.
    let mins = |a: &[&(Vec<f64>, Vec<f64>)], b: &[&(Vec<f64>, Vec<f64>)]| -> Vec<(f64, f64)> {
        a.par_iter()
            .map(|x| {
                b.iter().fold((f64::INFINITY, f64::INFINITY), |m, y| {
                    (m.0.min(dist(&x.0, &y.0)), m.1.min(dist(&x.1, &y.1)))
                })
            })
            .collect()
    };
    let ref_min = mins(&r, &g);
    let gen_min = mins(&g, &r);
    let covered = |m: &&(f64, f64)| m.0 <= cut.structure && m.1 <= cut.composition;
    let recall = if refs.is_empty() {
        0.0
    } else {
        ref_min.iter().filter(covered).count() as f64 / refs.len() as f64
    };
    let precision = if gen.is_empty() {
        0.0
    } else {
        gen_min.iter().filter(covered).count() as f64 / gen.len() as f64
    };
    let mean_struct = |v: &[(f64, f64)]| {
        let finite: Vec<f64> = v.iter().map(|m| m.0).filter(|x| x.is_finite()).collect();
        (!finite.is_empty()).then(|| finite.iter().sum::<f64>() / finite.len() as f64)
    };
    Coverage {
        recall,
        precision,
        amsd_recall: mean_struct(&ref_min),
        amsd_precision: mean_struct(&gen_min),
    }
}

/// (reduced element counts, reduced site count).
type BucketKey = (Vec<(u8, usize)>, usize);

/// Buckets of structures that could match each other (same reduced composition and
/// reduced site count), for uniqueness and novelty.
/// With `attempt_supercell`, cells of different sizes may match: bucket by composition only.
fn bucket_key_for(p: &Prepared, cfg: &MatcherConfig) -> BucketKey {
    let (k, n) = bucket_key(p);
    (k, if cfg.attempt_supercell { 0 } else { n })
}

fn bucket_key(p: &Prepared) -> BucketKey {
    let n = p.num_sites();
    let g = p.counts().iter().fold(0, |acc, c| gcd(acc, c.1));
    (
        p.counts().iter().map(|c| (c.0, c.1 / g.max(1))).collect(),
        n,
    )
}

/// Scores generated structures against a reference set (see [`EXPLAIN_DNG`]). `progress`
/// is called with a stage name and a fraction done.
pub fn dng(
    generated: &[Crystal],
    reference: &[Crystal],
    cfg: &DngConfig,
    progress: &(dyn Fn(&str) + Sync),
) -> DngMetrics {
    let n = generated.len();
    progress("validity");
    let validity: Vec<(bool, bool)> = generated
        .par_iter()
        .map(|c| (struct_valid(c), composition_valid(c)))
        .collect();
    progress("fingerprints");
    let gen_fp: Vec<Fingerprints> = generated.par_iter().map(fingerprints).collect();
    let ref_fp: Vec<Fingerprints> = reference.par_iter().map(fingerprints).collect();
    let share = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    // CDVAE counts a crystal whose fingerprint cannot be computed as invalid.
    let valid_idx: Vec<usize> = (0..n)
        .filter(|&i| validity[i].0 && validity[i].1 && gen_fp[i].is_some())
        .collect();
    // Wasserstein distances on at most n_wdist_samples valid structures.
    let mut sample = valid_idx.clone();
    if sample.len() > cfg.n_wdist_samples {
        Rng::new(cfg.seed).shuffle(&mut sample);
        sample.truncate(cfg.n_wdist_samples);
    }
    let density = |c: &Crystal| c.density_g_cm3();
    let n_elem = |c: &Crystal| c.composition().len() as f64;
    let gen_d: Vec<f64> = sample.iter().map(|&i| density(&generated[i])).collect();
    let gen_e: Vec<f64> = sample.iter().map(|&i| n_elem(&generated[i])).collect();
    let ref_d: Vec<f64> = reference.iter().map(density).collect();
    let ref_e: Vec<f64> = reference.iter().map(n_elem).collect();
    progress("coverage");
    let cov = coverage(&gen_fp, &ref_fp, cfg.cutoffs);
    let (unique, novel) = if cfg.uniqueness_novelty {
        progress("uniqueness and novelty");
        let (u, v) = uniqueness_novelty(generated, reference, &cfg.matcher);
        (Some(u), Some(v))
    } else {
        (None, None)
    };
    DngMetrics {
        n_generated: n,
        n_reference: reference.len(),
        valid_structure: share(validity.iter().filter(|v| v.0).count()),
        valid_composition: share(validity.iter().filter(|v| v.1).count()),
        valid: share(valid_idx.len()),
        n_wdist_samples: sample.len(),
        wdist_density: wasserstein_1d(&gen_d, &ref_d),
        wdist_num_elements: wasserstein_1d(&gen_e, &ref_e),
        cov_recall: cov.recall,
        cov_precision: cov.precision,
        amsd_recall: cov.amsd_recall,
        amsd_precision: cov.amsd_precision,
        cutoffs: cfg.cutoffs,
        unique,
        novel,
        n_generated_without_fingerprint: gen_fp.iter().filter(|f| f.is_none()).count(),
        n_reference_without_fingerprint: ref_fp.iter().filter(|f| f.is_none()).count(),
    }
}

/// (unique share, novel share) of `generated`, judged by [`fit`].
pub fn uniqueness_novelty(
    generated: &[Crystal],
    reference: &[Crystal],
    cfg: &MatcherConfig,
) -> (f64, f64) {
    let n = generated.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    let prep = |cs: &[Crystal]| -> Vec<Option<Prepared>> {
        cs.par_iter().map(|c| Prepared::new(c, cfg).ok()).collect()
    };
    let gp = prep(generated);
    let rp = prep(reference);
    let mut ref_buckets: HashMap<BucketKey, Vec<usize>> = HashMap::new();
    for (i, p) in rp.iter().enumerate() {
        if let Some(p) = p {
            ref_buckets
                .entry(bucket_key_for(p, cfg))
                .or_default()
                .push(i);
        }
    }
    let mut gen_buckets: HashMap<BucketKey, Vec<usize>> = HashMap::new();
    for (i, p) in gp.iter().enumerate() {
        if let Some(p) = p {
            gen_buckets
                .entry(bucket_key_for(p, cfg))
                .or_default()
                .push(i);
        }
    }
    // A generated structure is unique when no earlier generated structure matches it.
    let flags: Vec<(bool, bool)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let Some(p) = &gp[i] else {
                return (true, true);
            };
            let key = bucket_key_for(p, cfg);
            let unique = gen_buckets.get(&key).is_none_or(|b| {
                !b.iter()
                    .take_while(|&&j| j < i)
                    .any(|&j| fit(p, gp[j].as_ref().unwrap(), cfg))
            });
            let novel = ref_buckets
                .get(&key)
                .is_none_or(|b| !b.iter().any(|&j| fit(p, rp[j].as_ref().unwrap(), cfg)));
            (unique, novel)
        })
        .collect();
    (
        flags.iter().filter(|f| f.0).count() as f64 / n as f64,
        flags.iter().filter(|f| f.1).count() as f64 / n as f64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::test_support::el;
    use crate::Lattice;
    use approx::assert_relative_eq;

    #[test]
    fn wasserstein_matches_scipy() {
        // scipy.stats.wasserstein_distance([0, 1, 3], [5, 6, 8]) = 5.0
        assert_relative_eq!(
            wasserstein_1d(&[0.0, 1.0, 3.0], &[5.0, 6.0, 8.0]).unwrap(),
            5.0
        );
        // scipy.stats.wasserstein_distance([0, 1], [0, 1, 2, 3]) = 1.0 (unequal sizes)
        assert_relative_eq!(
            wasserstein_1d(&[0.0, 1.0], &[0.0, 1.0, 2.0, 3.0]).unwrap(),
            1.0
        );
        assert_eq!(wasserstein_1d(&[], &[1.0]), None);
        assert_relative_eq!(wasserstein_1d(&[2.0, 2.0], &[2.0]).unwrap(), 0.0);
    }

    #[test]
    fn structural_validity_ignores_own_images_but_not_close_pairs() {
        // One atom in a cell with a 0.4 Å lattice vector: valid for CDVAE.
        let thin = Crystal::new(
            Lattice::new([[0.4, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]]).unwrap(),
            vec![el("C")],
            vec![[0.0; 3]],
        )
        .unwrap();
        assert!(struct_valid(&thin));
        let close = Crystal::from_cart(
            Lattice::cubic(5.0).unwrap(),
            vec![el("C"), el("C")],
            &[[0.0, 0.0, 0.0], [0.45, 0.0, 0.0]],
        )
        .unwrap();
        assert!(!struct_valid(&close));
        assert!(struct_valid(&demo::diamond_c()));
    }

    #[test]
    fn pairing_by_name_accepts_sample_suffixes_only() {
        let one: HashMap<&str, usize> = [("4127", 0)].into_iter().collect();
        assert_eq!(ground_truth_of("4127", &one), Some(0));
        assert_eq!(ground_truth_of("4127_3", &one), Some(0));
        assert_eq!(ground_truth_of("41273", &one), None);
        assert_eq!(ground_truth_of("4127_x", &one), None);
        assert_eq!(ground_truth_of("4127_", &one), None);
        let gts: HashMap<&str, usize> = [("C-1-2", 0), ("C-1-2_5", 1)].into_iter().collect();
        assert_eq!(ground_truth_of("C-1-2_5", &gts), Some(1));
        assert_eq!(ground_truth_of("C-1-2_6", &gts), Some(0));
        assert_eq!(ground_truth_of("C-1-3", &gts), None);
    }

    #[test]
    fn csp_counts_misses_and_takes_the_best_sample() {
        let gts = vec![
            Entry::new("al", demo::fcc_al()),
            Entry::new("fe", demo::bcc_fe()),
            Entry::new("c", demo::diamond_c()),
        ];
        let preds = vec![
            Entry::new("al_0", demo::bcc_fe()), // wrong composition
            Entry::new("al_1", demo::fcc_al()), // exact
            Entry::new("c", demo::diamond_c()),
            Entry::new("zz", demo::diamond_c()), // points at nothing
        ];
        let m = csp(&gts, &preds, &MatcherConfig::csp(), 0, &|| {});
        assert_eq!(m.n_gt, 3);
        assert_eq!(m.n_matched, 2);
        assert_relative_eq!(m.match_rate, 2.0 / 3.0);
        assert!(m.rmse.unwrap() < 1e-9);
        assert_eq!(m.missing_predictions, vec!["fe".to_string()]);
        assert_eq!(m.unpaired_predictions, vec!["zz".to_string()]);
        assert_eq!(m.rows[0].n_candidates, 2);
        // Both Al and diamond pass CDVAE's validity, so the gate changes nothing here.
        assert_eq!(m.n_matched_gated, 2);
        // The record does not depend on the order the predictions come in (the shards of
        // a run, read in any order): candidates are scored in name order.
        let wrong = |n: &str| Entry::new(n, demo::diamond_c());
        let al = demo::fcc_al();
        let fcc_fe = Crystal::new(
            *al.lattice(),
            vec![crate::Element::from_z(26).unwrap(); 4],
            al.frac_coords().to_vec(),
        )
        .unwrap();
        let a = vec![
            wrong("fe_1"),
            Entry::new("fe_0", fcc_fe),
            wrong("zz"),
            wrong("yy"),
        ];
        let b: Vec<Entry> = a.iter().rev().cloned().collect();
        let (ma, mb) = (
            csp(&gts, &a, &MatcherConfig::csp(), 0, &|| {}),
            csp(&gts, &b, &MatcherConfig::csp(), 0, &|| {}),
        );
        assert_eq!(ma.rows[1].reason, mb.rows[1].reason);
        assert!(ma.rows[1].reason.is_some() && ma.rows[1].rms.is_none());
        assert_eq!(ma.unpaired_predictions, ["yy", "zz"]);
        assert_eq!(mb.unpaired_predictions, ["yy", "zz"]);
    }

    #[test]
    fn coverage_uses_independent_minima() {
        // Reference 0 is within the structure cutoff of generated 0 and the composition
        // cutoff of generated 1 only: covered for recall (minima may differ), yet neither
        // generated point covers it on both for precision.
        let f = |s: f64, c: f64| Some((vec![s], vec![c]));
        let refs = vec![f(0.0, 0.0)];
        let gen = vec![f(0.1, 9.0), f(5.0, 1.0), None];
        let cov = coverage(&gen, &refs, CovCutoffs::PEROV_CARBON);
        assert_relative_eq!(cov.recall, 1.0);
        assert_relative_eq!(cov.precision, 0.0);
        let gen2 = vec![f(0.1, 1.0), f(5.0, 9.0)];
        let cov2 = coverage(&gen2, &refs, CovCutoffs::PEROV_CARBON);
        assert_relative_eq!(cov2.precision, 0.5);
    }

    #[test]
    fn duplicates_are_not_unique_and_training_copies_not_novel() {
        let generated = vec![
            demo::fcc_al(),
            demo::fcc_al(),
            demo::diamond_c(),
            demo::bcc_fe(),
        ];
        let reference = vec![demo::diamond_c()];
        let (u, n) = uniqueness_novelty(&generated, &reference, &MatcherConfig::csp());
        assert_relative_eq!(u, 0.75);
        assert_relative_eq!(n, 0.75);
    }
}
