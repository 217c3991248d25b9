//! `summary.json`: what a run did and what it found, in one typed record.
//!
//! [`Summary`] is written by `demo`, `train` and `sample` and is all the report reads of
//! a run besides the structure files, the loss history and the snapshots. Every part is
//! optional, because each command fills the parts it has: `train` has no generated
//! structures, `sample` no loss. `config` and `data` are the command's own settings and
//! data description, recorded for the reader as they are (the report lists them).

use crystal::analysis::{Analysis, BatchStats, MeanRdf};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The command that wrote the run folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    Demo,
    Train,
    Sample,
}

/// Everything `summary.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Command>,
    /// Model name (`periodic`, `seed-mlp`).
    pub model: Option<String>,
    /// Task (`csp`, `dng`) of the periodic model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// Trainable parameters of the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<u64>,
    /// Every setting the command used.
    pub config: Value,
    /// Where the data came from.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub data: Value,
    /// Initial, final and best epoch-mean training loss.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<LossSummary>,
    /// How far a training run got (train).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingProgress>,
    /// The checkpoint written (train) or sampled from (sample).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<CheckpointRef>,
    /// Figures of the generated structures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<GenerationSummary>,
    /// The model run beside the main one (demo: seed-mlp beside periodic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared_with: Option<Comparison>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_structures_stats: Option<BatchStats>,
    /// One record per generated structure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub structures: Vec<StructureRecord>,
    /// Generated structures that could not be built (sample).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_structures: Vec<FailedStructure>,
    /// One record per training structure (demo).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub training_structures: Vec<StructureRecord>,
    /// Mean radial distribution functions (demo).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rdf: Option<RdfSummary>,
    /// Seconds per phase (`null`: phase not run). The only figures that change between
    /// two runs with the same seed.
    pub timings_s: BTreeMap<String, Option<f64>>,
}

impl Summary {
    /// Parses `summary.json` text. A structure record that does not parse is left out and
    /// named in the returned warnings, and so is any other part that does not parse (the
    /// rest is kept). Summaries written before the run folder was typed are read too: a
    /// plain `checkpoint` path, `checkpoint_epoch`, train's top-level `epochs`/`steps`
    /// and `wall_s`, and sample's failure records (`name`, `error`).
    pub fn from_json(text: &str) -> Result<(Summary, Vec<String>), String> {
        let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let Value::Object(mut map) = v else {
            return Err("not a JSON object".into());
        };
        let mut warnings = Vec::new();
        let mut failed = Vec::new();
        let mut records =
            |key: &str, map: &mut serde_json::Map<String, Value>| match map.remove(key) {
                Some(Value::Array(list)) => list
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, x)| match serde_json::from_value(x.clone()) {
                        Ok(r) => Some(r),
                        Err(e) => {
                            match serde_json::from_value::<FailedStructure>(x) {
                                Ok(f) => failed.push(f),
                                Err(_) => warnings.push(format!("{key}[{i}]: {e}")),
                            }
                            None
                        }
                    })
                    .collect(),
                None | Some(Value::Null) => Vec::new(),
                Some(_) => {
                    warnings.push(format!("{key}: not a list"));
                    Vec::new()
                }
            };
        let structures = records("structures", &mut map);
        let training_structures = records("training_structures", &mut map);
        upgrade_legacy(&mut map);
        let mut s: Summary = match serde_json::from_value(Value::Object(map.clone())) {
            Ok(s) => s,
            Err(_) => {
                // Keep every part that parses on its own.
                let mut kept = serde_json::Map::new();
                for (k, v) in map {
                    let one: serde_json::Map<String, Value> =
                        [(k.clone(), v.clone())].into_iter().collect();
                    match serde_json::from_value::<Summary>(Value::Object(one)) {
                        Ok(_) => {
                            kept.insert(k, v);
                        }
                        Err(e) => warnings.push(format!("{k}: {e}; left out")),
                    }
                }
                serde_json::from_value(Value::Object(kept)).map_err(|e| e.to_string())?
            }
        };
        s.structures = structures;
        s.training_structures = training_structures;
        s.failed_structures.extend(failed);
        Ok((s, warnings))
    }
}

/// Rewrites the keys of summaries written before the run folder was typed into today's.
fn upgrade_legacy(map: &mut serde_json::Map<String, Value>) {
    let epoch = map
        .remove("checkpoint_epoch")
        .or_else(|| map.get("epochs").cloned());
    if let Some(Value::String(path)) = map.get("checkpoint").cloned() {
        match epoch {
            Some(epoch) => {
                map.insert(
                    "checkpoint".into(),
                    serde_json::json!({"path": path, "epoch": epoch}),
                );
            }
            None => {
                map.remove("checkpoint");
            }
        }
    }
    if !map.contains_key("training") {
        if let (Some(epochs), Some(steps)) = (map.get("epochs"), map.get("steps")) {
            let t = serde_json::json!({"epochs": epochs, "steps": steps, "final": null});
            map.insert("training".into(), t);
        }
    }
    for k in ["epochs", "steps", "final"] {
        map.remove(k);
    }
    if let Some(wall) = map.remove("wall_s") {
        let timings = map
            .entry("timings_s")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Value::Object(t) = timings {
            t.entry("total").or_insert(wall);
        }
    }
}

/// The record of one structure: its analysis, where it came from and where it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StructureRecord {
    /// Name of the training structure that lent its atoms (demo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub donor: Option<String>,
    /// The structure's file, relative to the run folder (`structures/x.cif`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Why the structure file could not be written, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Index of the structure's target in its whole run (`sample`; a shard keeps the
    /// whole run's index): the order in which `report` merges shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_index: Option<usize>,
    #[serde(flatten)]
    pub analysis: Analysis,
}

impl StructureRecord {
    pub fn new(analysis: Analysis) -> Self {
        StructureRecord {
            donor: None,
            file: None,
            error: None,
            target_index: None,
            analysis,
        }
    }
}

/// A structure that sampling could not build (e.g. a degenerate cell).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedStructure {
    pub name: String,
    pub error: String,
    /// As [`StructureRecord::target_index`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_index: Option<usize>,
}

/// Initial, final and best epoch-mean training loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LossSummary {
    pub initial: f64,
    #[serde(rename = "final")]
    pub final_: f64,
    pub best: f64,
    /// (initial − final) / initial × 100.
    pub improvement_pct: f64,
}

impl LossSummary {
    /// The figures of a list of epoch means; `None` when it is empty.
    pub fn of(epoch_means: &[f64]) -> Option<LossSummary> {
        let initial = *epoch_means.first()?;
        let final_ = *epoch_means.last()?;
        Some(LossSummary {
            initial,
            final_,
            best: epoch_means.iter().copied().fold(f64::INFINITY, f64::min),
            improvement_pct: (initial - final_) / initial * 100.0,
        })
    }
}

/// How far a training run got.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainingProgress {
    /// Epochs completed.
    pub epochs: usize,
    /// Optimisation steps taken.
    pub steps: usize,
    /// The last epoch's row of `loss.csv`.
    #[serde(rename = "final")]
    pub final_row: Option<crate::loss::LossRow>,
}

/// A checkpoint folder and the epoch it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointRef {
    pub path: String,
    pub epoch: usize,
}

/// Figures of a batch of generated structures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerationSummary {
    /// Structures generated (built or not).
    pub count: usize,
    /// Share structurally valid under `structural_rule` (unbuilt structures count as
    /// invalid).
    pub pass_rate: Option<f64>,
    /// Structures that could not be built.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<usize>,
    /// Validator threshold in Å.
    pub min_distance_threshold_a: Option<f64>,
    /// The structural-validity rule behind `pass_rate`, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structural_rule: Option<String>,
    /// Coordination cutoff in Å.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coordination_cutoff_a: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coordination_counting: Option<String>,
    /// Pass rate of uniformly random positions on the same cells (demo).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub random_baseline_pass_rate: Option<f64>,
    /// Share matching a base crystal (demo).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_tolerances: Option<MatchTolerances>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<BatchStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub random_baseline_stats: Option<BatchStats>,
}

/// Structure-matcher tolerances and the crystals matched against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchTolerances {
    pub ltol: f64,
    pub stol: f64,
    pub angle_tol_deg: f64,
    pub bases: Vec<String>,
}

/// The model run beside the main one, scored the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub model: String,
    pub pass_rate: f64,
    pub match_rate: f64,
}

/// Mean RDFs of the training and generated structures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RdfSummary {
    pub training: MeanRdf,
    pub generated: MeanRdf,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_record_is_skipped_with_a_warning_and_the_rest_reads() {
        let good = serde_json::to_value(crystal::analysis::analyze(
            &crystal::Entry::new("Al", crystal::demo::fcc_al()),
            &crystal::analysis::AnalysisConfig::default(),
        ))
        .unwrap();
        let text = serde_json::json!({
            "model": "periodic",
            "config": {"seed": 1},
            "structures": [good, {"name": "x"}],
            "timings_s": {"sampling": 1.5, "compared": null},
        })
        .to_string();
        let (s, w) = Summary::from_json(&text).unwrap();
        assert_eq!(s.structures.len(), 1);
        assert_eq!(s.structures[0].analysis.formula, "Al");
        assert_eq!(w.len(), 1);
        assert!(w[0].starts_with("structures[1]"), "{w:?}");
        assert_eq!(s.timings_s["compared"], None);
        assert!(Summary::from_json("[1]").is_err());
    }

    #[test]
    fn summaries_of_the_untyped_writers_still_read() {
        // As `train` wrote it before: a plain checkpoint path, top-level epochs, steps,
        // final and wall_s.
        let train = r#"{"model": "periodic", "task": "csp", "config": {"epochs": 2},
            "checkpoint": "run/checkpoint", "epochs": 2, "steps": 26, "wall_s": 4.5,
            "final": {"epoch": 2}, "data": {"n_train": 800}}"#;
        let (s, w) = Summary::from_json(train).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            s.checkpoint,
            Some(CheckpointRef {
                path: "run/checkpoint".into(),
                epoch: 2
            })
        );
        assert_eq!(s.training.map(|t| (t.epochs, t.steps)), Some((2, 26)));
        assert_eq!(s.timings_s["total"], Some(4.5));
        // As `sample` wrote it: checkpoint_epoch, and a failure among the records.
        let sample = r#"{"model": "periodic", "checkpoint": "m", "checkpoint_epoch": 700,
            "generation": {"count": 1, "pass_rate": 0.0},
            "structures": [{"name": "x", "error": "degenerate cell", "valid_structure": false}]}"#;
        let (s, w) = Summary::from_json(sample).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(s.checkpoint.unwrap().epoch, 700);
        assert_eq!(s.failed_structures[0].error, "degenerate cell");
        // A part that does not parse is left out with a warning; the rest stays.
        let bad = r#"{"model": "periodic", "loss": {"initial": null}, "parameters": 5}"#;
        let (s, w) = Summary::from_json(bad).unwrap();
        assert_eq!(
            (s.model.as_deref(), s.parameters, s.loss),
            (Some("periodic"), Some(5), None)
        );
        assert!(w.len() == 1 && w[0].starts_with("loss:"), "{w:?}");
    }

    #[test]
    fn loss_summary_of_epoch_means() {
        let l = LossSummary::of(&[2.0, 0.5, 1.0]).unwrap();
        assert_eq!((l.initial, l.final_, l.best), (2.0, 1.0, 0.5));
        assert_eq!(l.improvement_pct, 50.0);
        assert_eq!(LossSummary::of(&[]), None);
    }
}
