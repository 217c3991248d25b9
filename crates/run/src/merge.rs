//! Merging the summaries of several `sample` run folders into one (`report A B C --out M`):
//! the shards of a cluster job array, or any sample runs of one checkpoint and one set of
//! settings.
//!
//! Structures (and failures) that carry their index in the run (`target_index`, written by
//! `sample`) are put back in run order, so the merged summary of a complete set of shards
//! is the unsharded run's, apart from timings (summed). Folders without indices (older
//! versions) that form a complete set of shards (`config.shard` = `k/N` for every k of one
//! N) are interleaved (shard k's j-th structure taken as target j·N + k, which holds when
//! no target failed); other folders are concatenated in the order given. The structures'
//! `file` paths are kept: the caller copies the files under the same names, and two
//! folders holding the same file name are refused.

use crate::error::RunError;
use crate::summary::{Command, GenerationSummary, Summary};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

/// Settings that may differ between merged runs: which shard, and where it ran.
const FREE_SETTINGS: [&str; 2] = ["shard", "device"];

/// The merged summary of `parts` (each with the folder it came from, for errors).
pub fn merge_sample_summaries(parts: &[(PathBuf, Summary)]) -> Result<Summary, RunError> {
    let refuse = |path: &PathBuf, message: String| RunError::Format {
        path: path.clone(),
        message,
    };
    let Some((first_path, first)) = parts.first() else {
        return Err(RunError::Format {
            path: PathBuf::new(),
            message: "no run folders to merge".into(),
        });
    };
    let settings = |s: &Summary| -> BTreeMap<String, serde_json::Value> {
        s.config
            .as_object()
            .map(|o| {
                o.iter()
                    .filter(|(k, _)| !FREE_SETTINGS.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let base = settings(first);
    for (path, s) in parts {
        if s.command != Some(Command::Sample) {
            return Err(refuse(
                path,
                format!(
                    "a {} run folder; only `sample` folders merge",
                    s.command
                        .map_or("(unknown)".to_string(), |c| format!("{c:?}").to_lowercase())
                ),
            ));
        }
        let same_model = s.model == first.model
            && s.task == first.task
            && s.checkpoint.as_ref().map(|c| (&c.path, c.epoch))
                == first.checkpoint.as_ref().map(|c| (&c.path, c.epoch));
        if !same_model {
            return Err(refuse(
                path,
                format!(
                    "sampled from another checkpoint than {} ({:?} epoch {:?} there)",
                    first_path.display(),
                    s.checkpoint.as_ref().map(|c| &c.path),
                    s.checkpoint.as_ref().map(|c| c.epoch)
                ),
            ));
        }
        let mine = settings(s);
        if let Some(k) = base
            .keys()
            .chain(mine.keys())
            .find(|k| base.get(*k) != mine.get(*k))
        {
            let show =
                |v: Option<&serde_json::Value>| v.map_or("(not set)".into(), |v| v.to_string());
            return Err(refuse(
                path,
                format!(
                    "sampled with other settings than {} ({k}: {} there, {} here)",
                    first_path.display(),
                    show(mine.get(k)),
                    show(base.get(k))
                ),
            ));
        }
    }
    let mut files = HashSet::new();
    for (path, s) in parts {
        for r in &s.structures {
            if let Some(f) = &r.file {
                if !files.insert(f.clone()) {
                    return Err(refuse(path, format!("{f} is also in an earlier folder")));
                }
            }
        }
    }
    let all_indexed = parts.iter().all(|(_, s)| {
        s.structures.iter().all(|r| r.target_index.is_some())
            && s.failed_structures.iter().all(|f| f.target_index.is_some())
    });
    let structures = match shard_order(parts).filter(|_| !all_indexed) {
        Some(order) => {
            let longest = order
                .iter()
                .map(|&i| parts[i].1.structures.len())
                .max()
                .unwrap_or(0);
            let mut v = Vec::new();
            for j in 0..longest {
                for &i in &order {
                    if let Some(r) = parts[i].1.structures.get(j) {
                        v.push(r.clone());
                    }
                }
            }
            v
        }
        None => parts
            .iter()
            .flat_map(|(_, s)| s.structures.iter().cloned())
            .collect(),
    };
    let mut structures = structures;
    let mut failed_structures: Vec<_> = parts
        .iter()
        .flat_map(|(_, s)| s.failed_structures.iter().cloned())
        .collect();
    if all_indexed {
        // The run's own order (a record's index is where its target stood in the run).
        structures.sort_by_key(|r| r.target_index);
        failed_structures.sort_by_key(|f| f.target_index);
    }
    let count = structures.len() + failed_structures.len();
    let valid = structures
        .iter()
        .filter(|r| r.analysis.valid_structure)
        .count();
    let failed: usize = parts
        .iter()
        .map(|(_, s)| s.generation.as_ref().and_then(|g| g.failed).unwrap_or(0))
        .sum();
    let mut timings_s: BTreeMap<String, Option<f64>> = BTreeMap::new();
    for (_, s) in parts {
        for (k, v) in &s.timings_s {
            let e = timings_s.entry(k.clone()).or_insert(Some(0.0));
            *e = e.zip(*v).map(|(a, b)| a + b);
        }
    }
    let mut config = first.config.clone();
    if let Some(o) = config.as_object_mut() {
        if parts.len() > 1 {
            o.insert("shard".into(), serde_json::Value::Null);
        }
    }
    Ok(Summary {
        config,
        generation: Some(GenerationSummary {
            count,
            pass_rate: (count > 0).then(|| valid as f64 / count as f64),
            failed: Some(failed),
            ..first.generation.clone().unwrap_or_default()
        }),
        structures,
        failed_structures,
        timings_s,
        ..first.clone()
    })
}

/// Indices of `parts` in shard order (0/N, 1/N, …) when they are exactly the N shards of
/// one run.
fn shard_order(parts: &[(PathBuf, Summary)]) -> Option<Vec<usize>> {
    let mut by_shard: Vec<Option<usize>> = Vec::new();
    for (i, (_, s)) in parts.iter().enumerate() {
        let (k, n) = s.config.get("shard")?.as_str()?.split_once('/')?;
        let (k, n): (usize, usize) = (k.parse().ok()?, n.parse().ok()?);
        if by_shard.is_empty() {
            by_shard = vec![None; n];
        }
        if n != by_shard.len() || k >= n || by_shard[k].replace(i).is_some() {
            return None;
        }
    }
    by_shard.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::{CheckpointRef, StructureRecord};

    fn part(shard: &str, names: &[&str]) -> (PathBuf, Summary) {
        let records = names
            .iter()
            .map(|n| {
                let c = crystal::Crystal::new(
                    crystal::Lattice::cubic(4.0).unwrap(),
                    vec![crystal::Element::from_symbol("Na").unwrap()],
                    vec![[0.0; 3]],
                )
                .unwrap();
                let e = crystal::Entry::new(n.to_string(), c);
                StructureRecord {
                    file: Some(format!("structures/{n}.cif")),
                    ..StructureRecord::new(crystal::analysis::analyze(
                        &e,
                        &crystal::analysis::AnalysisConfig::default(),
                    ))
                }
            })
            .collect();
        (
            PathBuf::from(format!("shard_{shard}")),
            Summary {
                command: Some(Command::Sample),
                model: Some("periodic".into()),
                checkpoint: Some(CheckpointRef {
                    path: "m".into(),
                    epoch: 3,
                }),
                config: serde_json::json!({"steps": 10, "shard": shard}),
                structures: records,
                timings_s: [("sampling".to_string(), Some(1.5))].into_iter().collect(),
                ..Summary::default()
            },
        )
    }

    #[test]
    fn a_complete_set_of_shards_is_interleaved_back_into_run_order() {
        // Targets t0..t4 over 2 shards: shard 0 has t0 t2 t4, shard 1 t1 t3.
        let parts = vec![part("1/2", &["t1", "t3"]), part("0/2", &["t0", "t2", "t4"])];
        let m = merge_sample_summaries(&parts).unwrap();
        let names: Vec<&str> = m
            .structures
            .iter()
            .map(|r| r.analysis.name.as_str())
            .collect();
        assert_eq!(names, ["t0", "t1", "t2", "t3", "t4"]);
        assert_eq!(m.generation.as_ref().unwrap().count, 5);
        assert_eq!(m.config["shard"], serde_json::Value::Null);
        assert_eq!(m.timings_s["sampling"], Some(3.0));
        // An incomplete set is concatenated in the order given.
        let m = merge_sample_summaries(&parts[..1]).unwrap();
        assert_eq!(m.structures.len(), 2);
    }

    /// With failures the positions within a shard no longer say the target; the indices do.
    #[test]
    fn indexed_records_and_failures_come_back_in_run_order() {
        let index = |p: &mut (PathBuf, Summary), ix: &[usize]| {
            for (r, &i) in p.1.structures.iter_mut().zip(ix) {
                r.target_index = Some(i);
            }
        };
        // Targets t0..t4 over 2 shards; t2 (shard 0) failed.
        let mut a = part("0/2", &["t0", "t4"]);
        index(&mut a, &[0, 4]);
        a.1.failed_structures.push(crate::summary::FailedStructure {
            name: "t2".into(),
            error: "degenerate cell".into(),
            target_index: Some(2),
        });
        let mut b = part("1/2", &["t1", "t3"]);
        index(&mut b, &[1, 3]);
        let m = merge_sample_summaries(&[b, a]).unwrap();
        let names: Vec<&str> = m
            .structures
            .iter()
            .map(|r| r.analysis.name.as_str())
            .collect();
        assert_eq!(names, ["t0", "t1", "t3", "t4"]);
        assert_eq!(m.failed_structures[0].name, "t2");
        assert_eq!(m.generation.as_ref().unwrap().count, 5);
    }

    #[test]
    fn runs_that_are_not_one_run_are_refused_by_name() {
        let mut other = part("1/2", &["t1"]);
        other.1.config = serde_json::json!({"steps": 20, "shard": "1/2"});
        let e = merge_sample_summaries(&[part("0/2", &["t0"]), other])
            .unwrap_err()
            .to_string();
        assert!(e.contains("steps: 20 there, 10 here"), "{e}");
        let e = merge_sample_summaries(&[part("0/2", &["t0"]), part("1/2", &["t0"])])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("structures/t0.cif is also in an earlier folder"),
            "{e}"
        );
        let mut train = part("1/2", &["t1"]);
        train.1.command = Some(Command::Train);
        let e = merge_sample_summaries(&[part("0/2", &["t0"]), train])
            .unwrap_err()
            .to_string();
        assert!(e.contains("only `sample` folders merge"), "{e}");
    }
}
