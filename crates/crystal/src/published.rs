//! The field's published benchmark rows, so that a measured row can be printed beside them
//! (`crystal-diffusion benchmark`), and the record of such a measurement.
//!
//! Every figure is written as its paper prints it (percentages as percentages), with the
//! paper and table it comes from. The papers' protocols, which our `benchmark` command
//! follows:
//! - CSP: one prediction (or k) per composition of the test split; StructureMatcher with
//!   ltol 0.3, stol 0.5, angle_tol 10°; RMSE is the mean normalised RMS displacement over
//!   matched compositions. CDVAE's and DiffCSP's one-sample figures count a prediction only
//!   when it and its ground truth are valid (DiffCSP's gate, [`crate::metrics`]).
//! - De novo: 10,000 generated structures (DiffCSP's `generation.py`: 20 batches of 500);
//!   coverage against the test split over all of them; Wasserstein distances over 1,000
//!   valid ones drawn at random (CDVAE's `compute_metrics.py`).
//!
//! Sources:
//! - CDVAE: Xie et al., ICLR 2022 (arXiv 2110.06197); its CSP figures as DiffCSP reports them.
//! - DiffCSP: Jiao et al., NeurIPS 2023 (arXiv 2309.04475), Table 1 (CSP) and Table 3
//!   (de novo).
//! - FlowMM: Miller et al., ICML 2024 (arXiv 2406.04713), Table 1 (CSP, one sample).

use crate::dataset::Entry;
use crate::metrics::{Benchmark, CspRow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Crystal structure prediction or de novo generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BenchTask {
    Csp,
    Dng,
}

/// One row of a benchmark table: a method's figures on one data set. Percentages are in
/// percent (52.02 means 52.02 %); a figure the source does not give is `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// "CDVAE", "DiffCSP", "FlowMM", or "crystal-diffusion (this run)".
    pub method: String,
    /// Where the figures come from ("DiffCSP, Table 1", or the command that measured them).
    pub source: String,
    /// CSP: predictions per composition (1 or 20 in the papers). De novo: structures
    /// generated.
    pub samples: usize,
    /// CSP match rate, %.
    pub match_rate_pct: Option<f64>,
    /// CSP mean normalised RMS displacement of the matched compositions (unitless).
    pub rmse: Option<f64>,
    /// De novo: structurally valid, %.
    pub valid_structure_pct: Option<f64>,
    /// De novo: compositionally valid (SMACT), %.
    pub valid_composition_pct: Option<f64>,
    /// De novo: coverage recall, %.
    pub cov_recall_pct: Option<f64>,
    /// De novo: coverage precision, %.
    pub cov_precision_pct: Option<f64>,
    /// De novo: Wasserstein distance of the density distributions, g/cm³.
    pub wdist_density: Option<f64>,
    /// De novo: Wasserstein distance of the numbers of distinct elements.
    pub wdist_num_elements: Option<f64>,
}

impl Row {
    fn empty(method: &str, source: &str, samples: usize) -> Row {
        Row {
            method: method.into(),
            source: source.into(),
            samples,
            match_rate_pct: None,
            rmse: None,
            valid_structure_pct: None,
            valid_composition_pct: None,
            cov_recall_pct: None,
            cov_precision_pct: None,
            wdist_density: None,
            wdist_num_elements: None,
        }
    }

    /// A CSP row.
    /// A de novo row with no figures yet.
    pub fn dng(method: &str, source: &str, structures: usize) -> Row {
        Row::empty(method, source, structures)
    }

    pub fn csp(method: &str, source: &str, samples: usize, rate_pct: f64, rmse: f64) -> Row {
        Row {
            match_rate_pct: Some(rate_pct),
            rmse: Some(rmse),
            ..Row::empty(method, source, samples)
        }
    }
}

/// (method, source, samples, match rate %, RMSE) per data set.
type CspFigures = (&'static str, &'static str, usize, f64, f64);

fn csp_figures(ds: Benchmark) -> &'static [CspFigures] {
    const T1: &str = "DiffCSP (arXiv 2309.04475), Table 1";
    const F1: &str = "FlowMM (arXiv 2406.04713), Table 1";
    match ds {
        Benchmark::Perov5 => &[
            ("CDVAE", T1, 1, 45.31, 0.1138),
            ("DiffCSP", T1, 1, 52.02, 0.0760),
            ("FlowMM", F1, 1, 53.15, 0.0992),
            ("CDVAE", T1, 20, 88.51, 0.0464),
            ("DiffCSP", T1, 20, 98.60, 0.0128),
        ],
        Benchmark::Carbon24 => &[
            ("CDVAE", T1, 1, 17.09, 0.2969),
            ("DiffCSP", T1, 1, 17.54, 0.2759),
            ("FlowMM", F1, 1, 23.47, 0.4122),
            ("CDVAE", T1, 20, 88.37, 0.2286),
            ("DiffCSP", T1, 20, 88.47, 0.2192),
        ],
        Benchmark::Mp20 => &[
            ("CDVAE", T1, 1, 33.90, 0.1045),
            ("DiffCSP", T1, 1, 51.49, 0.0631),
            ("FlowMM", F1, 1, 61.39, 0.0566),
            ("CDVAE", T1, 20, 66.95, 0.1026),
            ("DiffCSP", T1, 20, 77.93, 0.0492),
        ],
    }
}

/// (method, valid structure %, valid composition %, COV-R %, COV-P %, W density, W #elements)
type DngFigures = (&'static str, f64, Option<f64>, f64, f64, f64, Option<f64>);

fn dng_figures(ds: Benchmark) -> &'static [DngFigures] {
    match ds {
        Benchmark::Perov5 => &[
            (
                "CDVAE",
                100.0,
                Some(98.59),
                99.45,
                98.46,
                0.1258,
                Some(0.0628),
            ),
            (
                "DiffCSP",
                100.0,
                Some(98.85),
                99.74,
                98.27,
                0.1110,
                Some(0.0128),
            ),
        ],
        // Carbon-24 is one element: no composition figures.
        Benchmark::Carbon24 => &[
            ("CDVAE", 100.0, None, 99.80, 83.08, 0.1407, None),
            ("DiffCSP", 100.0, None, 99.90, 97.27, 0.0805, None),
        ],
        Benchmark::Mp20 => &[
            (
                "CDVAE",
                100.0,
                Some(86.70),
                99.15,
                99.49,
                0.6875,
                Some(1.432),
            ),
            (
                "DiffCSP",
                100.0,
                Some(83.25),
                99.71,
                99.76,
                0.3502,
                Some(0.3398),
            ),
        ],
    }
}

/// The published rows of `task` on `ds`. CSP rows are those with `samples` predictions per
/// composition when the papers give any, else all (so that a 5-sample run is printed
/// beside both the 1- and the 20-sample rows).
pub fn published(ds: Benchmark, task: BenchTask, samples: usize) -> Vec<Row> {
    match task {
        BenchTask::Csp => {
            let all = csp_figures(ds);
            let same: Vec<&CspFigures> = all.iter().filter(|r| r.2 == samples).collect();
            let chosen: Vec<&CspFigures> = if same.is_empty() {
                all.iter().collect()
            } else {
                same
            };
            chosen
                .into_iter()
                .map(|&(m, s, k, rate, rmse)| Row::csp(m, s, k, rate, rmse))
                .collect()
        }
        BenchTask::Dng => dng_figures(ds)
            .iter()
            .map(|&(m, vs, vc, r, p, wd, we)| Row {
                valid_structure_pct: Some(vs),
                valid_composition_pct: vc,
                cov_recall_pct: Some(r),
                cov_precision_pct: Some(p),
                wdist_density: Some(wd),
                wdist_num_elements: we,
                ..Row::empty(m, "DiffCSP (arXiv 2309.04475), Table 3", 10_000)
            })
            .collect(),
    }
}

/// DiffCSP's and CDVAE's de novo protocol: structures generated per evaluation.
pub const DNG_PROTOCOL_COUNT: usize = 10_000;

/// The CSP match rate over the test compositions that never occur in the training data
/// (by reduced formula), beside the standard figure: random splits put polymorphs of one
/// composition in both, and this shows how much of the match rate is memory
/// (arXiv 2509.12178).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnseenCompositions {
    /// Where the training formulas came from (a checkpoint's record, or files).
    pub training_data: String,
    /// Distinct reduced formulas of the training data.
    pub n_training_formulas: usize,
    /// Readable test compositions (ground truths) whose reduced formula is not among them.
    pub n_unseen: usize,
    /// Readable test compositions whose reduced formula is among them.
    pub n_seen: usize,
    /// Of those, matched.
    pub n_unseen_matched: usize,
    /// n_unseen_matched / n_unseen, %; None when every test composition was seen.
    pub match_rate_pct: Option<f64>,
    /// Mean RMS over the matched unseen ones.
    pub rmse: Option<f64>,
    /// Matched share of the test compositions that do occur in the training data, %.
    pub seen_match_rate_pct: Option<f64>,
}

impl UnseenCompositions {
    /// The figure of a CSP evaluation: `gts` are the ground truths and `rows` their
    /// outcomes, in the same order ([`crate::metrics::csp`] keeps it); `training` holds the
    /// reduced formulas of the training data, which `training_data` describes. Matches are
    /// counted with DiffCSP's validity gate (`rms_gated`), as the headline figure.
    pub fn of(
        gts: &[Entry],
        rows: &[CspRow],
        training: &BTreeSet<String>,
        training_data: String,
    ) -> UnseenCompositions {
        let (mut unseen, mut seen) = (Vec::new(), Vec::new());
        for (gt, row) in gts.iter().zip(rows) {
            if training.contains(&gt.crystal.reduced_formula()) {
                seen.push(row.rms_gated);
            } else {
                unseen.push(row.rms_gated);
            }
        }
        let rate = |v: &[Option<f64>]| {
            (!v.is_empty())
                .then(|| 100.0 * v.iter().filter(|r| r.is_some()).count() as f64 / v.len() as f64)
        };
        let matched: Vec<f64> = unseen.iter().flatten().copied().collect();
        UnseenCompositions {
            training_data,
            n_training_formulas: training.len(),
            n_unseen: unseen.len(),
            n_seen: seen.len(),
            n_unseen_matched: matched.len(),
            match_rate_pct: rate(&unseen),
            rmse: (!matched.is_empty()).then(|| matched.iter().sum::<f64>() / matched.len() as f64),
            seen_match_rate_pct: rate(&seen),
        }
    }
}

/// The record `crystal-diffusion benchmark` writes (`benchmark.json`): our row, the
/// published rows beside it, and everything needed to run it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkRecord {
    /// "Perov-5", "Carbon-24" or "MP-20".
    pub dataset: String,
    pub task: BenchTask,
    /// The command line that reproduces this record.
    pub command: String,
    /// The test data scored against.
    pub data: String,
    /// Compositions (CSP) or reference structures (de novo) in it.
    pub n_test: usize,
    pub checkpoint: String,
    /// Epochs the checkpoint was trained.
    pub checkpoint_epoch: usize,
    /// FNV-1a of its weights file.
    pub weights_fnv1a: String,
    /// Reverse-diffusion steps, seed and corrector step of the sampling.
    pub steps: usize,
    pub seed: u64,
    pub corrector_lr: f64,
    /// Our figures (`method` "crystal-diffusion").
    pub ours: Row,
    /// Our CSP figures counting every prediction (no validity gate); `ours` holds the
    /// papers' gated figures.
    pub ours_ungated: Option<Row>,
    /// The CSP figure over compositions absent from the training data.
    pub unseen: Option<UnseenCompositions>,
    /// The papers' rows for the same data set and task.
    pub published: Vec<Row>,
    /// Structures that could not be generated (counted as misses / invalid).
    pub n_failed: usize,
    /// Seconds spent sampling and scoring.
    pub sampling_s: f64,
    pub scoring_s: f64,
    /// Notes on how this row differs from the papers' protocol.
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issues_anchor_figures_are_in_the_table() {
        // The anchors quoted by the benchmark issue, from the papers.
        let p = published(Benchmark::Perov5, BenchTask::Csp, 1);
        let diffcsp = p.iter().find(|r| r.method == "DiffCSP").unwrap();
        assert_eq!(
            (diffcsp.match_rate_pct, diffcsp.rmse),
            (Some(52.02), Some(0.0760))
        );
        assert_eq!(p.len(), 3, "1-sample rows only: {p:?}");
        let m = published(Benchmark::Mp20, BenchTask::Csp, 20);
        assert_eq!(m.len(), 2);
        assert!(m.iter().all(|r| r.samples == 20));
        assert_eq!(m[1].match_rate_pct, Some(77.93));
        // No paper row at 5 samples: all of them.
        assert_eq!(published(Benchmark::Carbon24, BenchTask::Csp, 5).len(), 5);
        let d = published(Benchmark::Carbon24, BenchTask::Dng, 10_000);
        assert_eq!(d[1].cov_precision_pct, Some(97.27));
        assert_eq!(d[1].valid_composition_pct, None);
        let d = published(Benchmark::Mp20, BenchTask::Dng, 10_000);
        assert_eq!(d[1].valid_composition_pct, Some(83.25));
    }

    #[test]
    fn unseen_compositions_are_counted_by_reduced_formula() {
        use crate::demo::fcc_al;
        let al = Entry::new("al", fcc_al());
        let sto = Entry::new("sto", crate::demo::srtio3());
        let fe = Entry::new("fe", crate::demo::bcc_fe());
        let row = |name: &str, rms: Option<f64>| CspRow {
            name: name.into(),
            n_candidates: 1,
            rms,
            rms_gated: rms,
            gt_valid: true,
            reason: None,
        };
        let rows = [row("al", Some(0.1)), row("sto", None), row("fe", Some(0.3))];
        // Al is in the training data; SrTiO3 and Fe are not.
        let training: BTreeSet<String> = ["Al".to_string(), "KCl".into()].into();
        let u = UnseenCompositions::of(&[al, sto, fe], &rows, &training, "t".into());
        assert_eq!(
            (
                u.n_training_formulas,
                u.n_unseen,
                u.n_unseen_matched,
                u.n_seen
            ),
            (2, 2, 1, 1)
        );
        assert_eq!(u.match_rate_pct, Some(50.0));
        assert_eq!(u.rmse, Some(0.3));
        assert_eq!(u.seen_match_rate_pct, Some(100.0));
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let r = BenchmarkRecord {
            dataset: "Perov-5".into(),
            task: BenchTask::Csp,
            command: "crystal-diffusion benchmark".into(),
            data: "test.csv.gz".into(),
            n_test: 3,
            checkpoint: "models/perov5-csp".into(),
            checkpoint_epoch: 7,
            weights_fnv1a: "0123".into(),
            steps: 50,
            seed: 1,
            corrector_lr: 1e-5,
            ours: Row::csp("crystal-diffusion", "here", 1, 33.3, 0.05),
            ours_ungated: None,
            unseen: Some(UnseenCompositions {
                training_data: "x".into(),
                n_training_formulas: 2,
                n_unseen: 1,
                n_seen: 2,
                n_unseen_matched: 0,
                match_rate_pct: Some(0.0),
                rmse: None,
                seen_match_rate_pct: Some(50.0),
            }),
            published: published(Benchmark::Perov5, BenchTask::Csp, 1),
            n_failed: 0,
            sampling_s: 1.5,
            scoring_s: 0.5,
            notes: vec!["n".into()],
        };
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains("\"task\":\"csp\""), "{text}");
        let back: BenchmarkRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
    }
}
