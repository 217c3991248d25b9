//! Reading a run folder, tolerantly.
//!
//! [`RunData::load`] gathers everything a report can show from a run folder written by
//! `demo`, `train` or `sample`: `summary.json`, `loss.csv`, `snapshots.json` and the
//! structure files under `structures/`. Every file and every key is optional: what is
//! missing or malformed is left out and explained in [`RunData::warnings`], never an
//! error. When `summary.json` has no per-structure records, they are computed from the
//! structure files with [`crystal::analysis::analyze`].

use crystal::analysis::{analyze, AnalysisConfig};
use crystal::{Crystal, Element, Entry, Lattice};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One structure's record, as in `summary.json` (`structures`, `training_structures`)
/// or computed by `analyze`. Every field is optional. Units: Å, Å³, g/cm³.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Record {
    pub name: Option<String>,
    pub formula: Option<String>,
    pub n_atoms: Option<usize>,
    pub volume: Option<f64>,
    pub density: Option<f64>,
    pub min_distance: Option<f64>,
    pub space_group: Option<u32>,
    pub space_group_symbol: Option<String>,
    pub coordination_mean: Option<f64>,
    pub bonded_coordination_mean: Option<f64>,
    pub valid_structure: Option<bool>,
    pub valid_composition: Option<bool>,
    pub donor: Option<String>,
}

/// A structure of the run: its record, and its crystal and file where there is one.
#[derive(Debug, Clone)]
pub struct Item {
    /// Name shown in the report (record name, else file stem).
    pub name: String,
    /// Path of its file relative to the run folder, `/`-separated.
    pub file: Option<String>,
    /// Name of the structure inside its file (a CIF data block).
    pub block: Option<String>,
    pub crystal: Option<Crystal>,
    pub record: Record,
}

/// The optimisation history of `loss.csv`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LossData {
    /// (step, epoch, training loss) per row with a finite loss.
    pub steps: Vec<(f64, Option<i64>, f64)>,
    /// (step, validation loss) per row with a finite `val_loss`.
    pub val: Vec<(f64, f64)>,
    /// Whether the x values come from a `step` column (else from `epoch` or the row number).
    pub x_is_step: bool,
}

impl LossData {
    /// Mean training loss of every epoch, placed at the epoch's last step.
    pub fn epoch_means(&self) -> Vec<(f64, f64)> {
        let mut out: Vec<(i64, f64, f64, usize)> = Vec::new();
        for &(step, epoch, loss) in &self.steps {
            let Some(e) = epoch else { continue };
            match out.last_mut() {
                Some(last) if last.0 == e => {
                    last.1 = last.1.max(step);
                    last.2 += loss;
                    last.3 += 1;
                }
                _ => out.push((e, step, loss, 1)),
            }
        }
        out.into_iter()
            .map(|(_, step, sum, n)| (step, sum / n as f64))
            .collect()
    }

    /// Whether every epoch has exactly one row (a `train` run that logs epoch ends only).
    pub fn one_row_per_epoch(&self) -> bool {
        let means = self.epoch_means();
        !means.is_empty() && means.len() == self.steps.len()
    }
}

/// A structure drawn by the plots: a cell and its atoms (symbols, fractional coordinates).
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub lattice: [[f64; 3]; 3],
    pub species: Vec<String>,
    pub frac: Vec<[f64; 3]>,
}

impl View {
    /// The view of a crystal.
    pub fn of(c: &Crystal) -> View {
        View {
            lattice: *c.lattice().rows(),
            species: c.species().iter().map(|e| e.symbol().to_string()).collect(),
            frac: c.frac_coords().to_vec(),
        }
    }
}

/// `snapshots.json`: one structure during reverse diffusion.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshots {
    /// Name of the structure followed (`structure`), if recorded.
    pub structure: Option<String>,
    pub donor: Option<String>,
    /// (t, structure at t), in file order.
    pub frames: Vec<(i64, View)>,
}

/// Everything read from a run folder.
#[derive(Debug, Clone, Default)]
pub struct RunData {
    pub dir: PathBuf,
    /// `summary.json` as read (`Value::Null` when absent).
    pub summary: Value,
    pub loss: Option<LossData>,
    pub snapshots: Option<Snapshots>,
    pub generated: Vec<Item>,
    pub training: Vec<Item>,
    pub warnings: Vec<String>,
}

/// A number at a `/`-separated path of keys in a JSON value.
pub fn num(v: &Value, path: &str) -> Option<f64> {
    get(v, path)?.as_f64().filter(|x| x.is_finite())
}

/// The value at a `/`-separated path of keys.
pub fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('/')
        .try_fold(v, |v, k| v.get(k))
        .filter(|v| !v.is_null())
}

/// A JSON array of numbers (non-numbers become NaN).
pub fn num_array(v: &Value, path: &str) -> Option<Vec<f64>> {
    let a = get(v, path)?.as_array()?;
    Some(a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect())
}

impl RunData {
    /// Reads the run folder `dir`; `min_distance_a` and `cutoff_a` are used only when
    /// records have to be computed and the summary does not give them.
    pub fn load(dir: &Path, min_distance_a: f64) -> RunData {
        let mut run = RunData {
            dir: dir.to_path_buf(),
            summary: Value::Null,
            ..Default::default()
        };
        let summary_path = dir.join("summary.json");
        if summary_path.exists() {
            match std::fs::read_to_string(&summary_path)
                .map_err(|e| e.to_string())
                .and_then(|s| serde_json::from_str::<Value>(&s).map_err(|e| e.to_string()))
            {
                Ok(v) if v.is_object() => run.summary = v,
                Ok(_) => run.warn(format!("{}: not a JSON object", summary_path.display())),
                Err(e) => run.warn(format!("{}: {e}", summary_path.display())),
            }
        } else {
            run.warn("no summary.json: configuration and statistics are left out".into());
        }

        let loss_path = dir.join("loss.csv");
        if loss_path.exists() {
            match read_loss(&loss_path) {
                Ok(l) if !l.steps.is_empty() || !l.val.is_empty() => run.loss = Some(l),
                Ok(_) => run.warn(format!("{}: no loss values", loss_path.display())),
                Err(e) => run.warn(format!("{}: {e}", loss_path.display())),
            }
        }

        let snap_path = dir.join("snapshots.json");
        if snap_path.exists() {
            match read_snapshots(&snap_path) {
                Ok(s) => run.snapshots = Some(s),
                Err(e) => run.warn(format!("{}: {e}", snap_path.display())),
            }
        }

        run.load_structures(min_distance_a);

        // Snapshots without species take them from the structure they follow.
        if let Some(s) = run.snapshots.as_mut() {
            let n = s.frames.first().map(|f| f.1.frac.len()).unwrap_or(0);
            if s.frames.iter().any(|f| f.1.species.len() != n || n == 0) {
                let from = s
                    .structure
                    .as_ref()
                    .and_then(|name| run.generated.iter().find(|i| &i.name == name))
                    .and_then(|i| i.crystal.as_ref())
                    .filter(|c| c.num_atoms() == n)
                    .map(|c| View::of(c).species);
                let species = from.unwrap_or_else(|| vec!["X".to_string(); n]);
                for f in &mut s.frames {
                    f.1.species = species.clone();
                }
            }
        }
        run
    }

    fn warn(&mut self, w: String) {
        self.warnings.push(w);
    }

    /// The validator threshold recorded by the run, if any.
    pub fn min_distance_threshold(&self) -> Option<f64> {
        num(&self.summary, "generation/min_distance_threshold_a")
            .or_else(|| num(&self.summary, "config/min_distance"))
    }

    /// The coordination cutoff recorded by the run, if any.
    pub fn cutoff(&self) -> Option<f64> {
        num(&self.summary, "generation/coordination_cutoff_a")
            .or_else(|| num(&self.summary, "config/cutoff"))
    }

    fn load_structures(&mut self, min_distance_a: f64) {
        let gen_records = self.records("structures");
        let train_records = self.records("training_structures");

        // Structure files, read in parallel.
        let sdir = self.dir.join("structures");
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&sdir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file() && crystal::io::is_writable_file(p) // CIF, POSCAR, XYZ
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        files.sort();
        let read: Vec<(PathBuf, Result<Vec<Entry>, String>)> = files
            .into_par_iter()
            .map(|p| {
                let r = crystal::io::read_any(&p)
                    .map_err(|e| e.to_string())
                    .and_then(|rows| {
                        rows.into_iter()
                            .map(|r| r.map_err(|e| e.to_string()))
                            .collect()
                    });
                (p, r)
            })
            .collect();
        let mut gen_files = Vec::new();
        let mut train_files = Vec::new();
        for (p, r) in read {
            let stem = p
                .file_name()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let stem = stem
                .strip_suffix(".cif")
                .or_else(|| stem.strip_suffix(".vasp"))
                .or_else(|| stem.strip_suffix(".xyz"))
                .or_else(|| stem.strip_suffix(".extxyz"))
                .or_else(|| stem.strip_suffix(".poscar"))
                .unwrap_or(&stem)
                .to_string();
            let rel = format!(
                "structures/{}",
                p.file_name()
                    .map(|s| s.to_string_lossy())
                    .unwrap_or_default()
            );
            match r {
                Ok(entries) => {
                    let single = entries.len() == 1;
                    for e in entries {
                        let name = if single { stem.clone() } else { e.name.clone() };
                        let item = Item {
                            name,
                            file: Some(rel.clone()),
                            block: Some(e.name),
                            crystal: Some(e.crystal),
                            record: Record::default(),
                        };
                        if stem.starts_with("training_") {
                            train_files.push(item);
                        } else {
                            gen_files.push(item);
                        }
                    }
                }
                Err(e) => self.warn(format!("{}: {e}", p.display())),
            }
        }
        let cfg = AnalysisConfig {
            min_distance_a: self.min_distance_threshold().unwrap_or(min_distance_a),
            cutoff_a: self.cutoff().unwrap_or(crystal::analysis::DEFAULT_CUTOFF_A),
            ..AnalysisConfig::default()
        };
        self.generated = merge(gen_records, gen_files, &cfg);
        self.training = merge(train_records, train_files, &cfg);
    }

    /// The records of a summary list, skipping (with a warning) any that do not parse.
    fn records(&mut self, key: &str) -> Option<Vec<Record>> {
        let list = get(&self.summary, key)?.as_array()?.clone();
        let mut out = Vec::with_capacity(list.len());
        for (i, v) in list.into_iter().enumerate() {
            match serde_json::from_value::<Record>(v) {
                Ok(r) => out.push(r),
                Err(e) => self.warn(format!("summary.json: {key}[{i}]: {e}")),
            }
        }
        Some(out)
    }
}

/// Joins records and structure files. Records come first (their order); a file matches a
/// record by file stem or data-block name, or by position when neither names match and
/// there are as many files as records. Without records, records are computed.
fn merge(records: Option<Vec<Record>>, files: Vec<Item>, cfg: &AnalysisConfig) -> Vec<Item> {
    let Some(records) = records.filter(|r| !r.is_empty()) else {
        let mut files = files;
        files.par_iter_mut().for_each(|it| {
            it.record.name = Some(it.name.clone());
            fill_missing(it, cfg);
        });
        return files;
    };
    let by_stem: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.as_str(), i))
        .collect();
    let mut used = vec![false; files.len()];
    let mut matched: Vec<Option<usize>> = records
        .iter()
        .map(|r| {
            let name = r.name.as_deref()?;
            by_stem.get(name).copied().or_else(|| {
                files.iter().position(|f| {
                    f.block
                        .as_deref()
                        .is_some_and(|b| b == name || b.ends_with(&format!("_{name}")))
                })
            })
        })
        .collect();
    for m in matched.iter_mut() {
        if let Some(i) = *m {
            if used[i] {
                *m = None;
            } else {
                used[i] = true;
            }
        }
    }
    if matched.iter().all(|m| m.is_none()) && files.len() == records.len() {
        matched = (0..files.len()).map(Some).collect();
        used = vec![true; files.len()];
    }
    let mut out: Vec<Item> = records
        .into_iter()
        .zip(matched)
        .enumerate()
        .map(|(k, (record, m))| {
            let f = m.map(|i| &files[i]);
            Item {
                name: record
                    .name
                    .clone()
                    .or_else(|| f.map(|f| f.name.clone()))
                    .unwrap_or_else(|| format!("structure_{k}")),
                file: f.and_then(|f| f.file.clone()),
                block: f.and_then(|f| f.block.clone()),
                crystal: f.and_then(|f| f.crystal.clone()),
                record,
            }
        })
        .collect();
    // Records lacking figures get them from their structure.
    out.par_iter_mut().for_each(|it| fill_missing(it, cfg));
    // Files without a record are still shown.
    let rest: Vec<Item> = files
        .into_iter()
        .zip(used)
        .filter(|(_, u)| !u)
        .map(|(f, _)| f)
        .collect();
    if !rest.is_empty() {
        out.extend(merge(None, rest, cfg));
    }
    out
}

/// Fills the figures a record lacks from its structure (with `analyze`), keeping every
/// figure the record has. Does nothing without a structure or when nothing is missing.
fn fill_missing(it: &mut Item, cfg: &AnalysisConfig) {
    let Some(c) = &it.crystal else { return };
    let r = &mut it.record;
    let complete = r.formula.is_some()
        && r.n_atoms.is_some()
        && r.volume.is_some()
        && r.density.is_some()
        && r.min_distance.is_some()
        && r.coordination_mean.is_some()
        && r.bonded_coordination_mean.is_some()
        && r.valid_structure.is_some()
        && r.valid_composition.is_some();
    if complete {
        return;
    }
    let a = analyze(&Entry::new(it.name.clone(), c.clone()), cfg);
    r.formula.get_or_insert(a.formula);
    r.n_atoms.get_or_insert(a.n_atoms);
    r.volume.get_or_insert(a.volume);
    r.density.get_or_insert(a.density);
    r.min_distance.get_or_insert(a.min_distance);
    if r.space_group.is_none() && r.space_group_symbol.is_none() {
        r.space_group = a.space_group.map(u32::from);
        r.space_group_symbol = a.space_group_symbol;
    }
    r.coordination_mean.get_or_insert(a.coordination_mean);
    r.bonded_coordination_mean
        .get_or_insert(a.bonded_coordination_mean);
    r.valid_structure.get_or_insert(a.valid_structure);
    r.valid_composition.get_or_insert(a.valid_composition);
}

fn read_loss(path: &Path) -> Result<LossData, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| e.to_string())?;
    let headers = rdr.headers().map_err(|e| e.to_string())?.clone();
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let (c_epoch, c_step) = (col(&["epoch"]), col(&["step"]));
    let c_loss = col(&["loss", "train_loss"]);
    let c_val = col(&["val_loss", "validation_loss"]);
    if c_loss.is_none() && c_val.is_none() {
        return Err("no `loss` or `val_loss` column".into());
    }
    let mut out = LossData {
        x_is_step: c_step.is_some(),
        ..LossData::default()
    };
    for (i, rec) in rdr.records().enumerate() {
        let Ok(rec) = rec else { continue };
        let field = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|x| x.is_finite())
        };
        let epoch = field(c_epoch).map(|e| e as i64);
        let step = field(c_step)
            .or_else(|| {
                if c_step.is_none() {
                    epoch.map(|e| e as f64)
                } else {
                    None
                }
            })
            .unwrap_or((i + 1) as f64);
        if let Some(l) = field(c_loss) {
            out.steps.push((step, epoch, l));
        }
        if let Some(v) = field(c_val) {
            out.val.push((step, v));
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct SnapshotsFile {
    #[serde(default)]
    structure: Option<String>,
    #[serde(default)]
    donor: Option<String>,
    lattice_a: [[f64; 3]; 3],
    #[serde(default)]
    species: Option<Vec<String>>,
    snapshots: Vec<SnapshotFrame>,
}

#[derive(Deserialize)]
struct SnapshotFrame {
    t: f64,
    frac_coords: Vec<[f64; 3]>,
    #[serde(default)]
    lattice_a: Option<[[f64; 3]; 3]>,
}

fn read_snapshots(path: &Path) -> Result<Snapshots, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let f: SnapshotsFile = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    if Lattice::new(f.lattice_a).is_err() {
        return Err(format!("lattice_a {:?} is not a cell", f.lattice_a));
    }
    let species = f.species.unwrap_or_default();
    let species_ok = species.iter().all(|s| Element::from_symbol(s).is_ok());
    let frames: Vec<(i64, View)> = f
        .snapshots
        .into_iter()
        .filter(|s| s.frac_coords.iter().flatten().all(|x| x.is_finite()))
        .map(|s| {
            (
                s.t.round() as i64,
                View {
                    lattice: s.lattice_a.unwrap_or(f.lattice_a),
                    species: if species_ok && species.len() == s.frac_coords.len() {
                        species.clone()
                    } else {
                        Vec::new()
                    },
                    frac: s.frac_coords,
                },
            )
        })
        .collect();
    if frames.is_empty() {
        return Err("no snapshots".into());
    }
    Ok(Snapshots {
        structure: f.structure,
        donor: f.donor,
        frames,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn empty_folder_loads_with_warnings() {
        let d = tempfile::tempdir().unwrap();
        let run = RunData::load(d.path(), 0.7);
        assert!(run.summary.is_null());
        assert!(run.loss.is_none() && run.snapshots.is_none());
        assert!(run.generated.is_empty() && run.training.is_empty());
        assert!(!run.warnings.is_empty());
    }

    #[test]
    fn malformed_files_become_warnings() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "summary.json", "{ not json");
        write(d.path(), "loss.csv", "a,b\n1,2\n");
        write(d.path(), "snapshots.json", "{\"snapshots\": []}");
        std::fs::create_dir(d.path().join("structures")).unwrap();
        write(
            &d.path().join("structures"),
            "bad.cif",
            "data_x\n_cell_length_a 1\n",
        );
        let run = RunData::load(d.path(), 0.7);
        assert!(run.loss.is_none() && run.snapshots.is_none());
        assert!(run.warnings.len() >= 4, "{:?}", run.warnings);
    }

    #[test]
    fn loss_with_validation_and_epoch_means() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "loss.csv",
            "epoch,step,loss,val_loss\n1,1,1.0,\n1,2,3.0,2.5\n2,3,0.5,\n2,4,0.5,nan\n2,5,2.0,1.5\n",
        );
        let l = read_loss(&d.path().join("loss.csv")).unwrap();
        assert_eq!(l.steps.len(), 5);
        assert_eq!(l.val, vec![(2.0, 2.5), (5.0, 1.5)]);
        assert_eq!(l.epoch_means(), vec![(2.0, 2.0), (5.0, 1.0)]);
        assert!(!l.one_row_per_epoch());
    }

    #[test]
    fn records_are_computed_from_cifs_when_summary_lacks_them() {
        let d = tempfile::tempdir().unwrap();
        let s = d.path().join("structures");
        std::fs::create_dir(&s).unwrap();
        crystal::io::write_any(&s.join("mp-1.cif"), "mp-1", &crystal::demo::fcc_al()).unwrap();
        crystal::io::write_any(&s.join("training_00.cif"), "t", &crystal::demo::bcc_fe()).unwrap();
        let run = RunData::load(d.path(), 0.7);
        assert_eq!(run.generated.len(), 1);
        assert_eq!(run.training.len(), 1);
        let g = &run.generated[0];
        assert_eq!(g.name, "mp-1");
        assert_eq!(g.file.as_deref(), Some("structures/mp-1.cif"));
        assert_eq!(g.record.n_atoms, Some(4));
        assert_eq!(g.record.valid_structure, Some(true));
    }

    #[test]
    fn snapshots_without_species_take_them_from_their_structure() {
        let d = tempfile::tempdir().unwrap();
        let s = d.path().join("structures");
        std::fs::create_dir(&s).unwrap();
        crystal::io::write_any(&s.join("g0.cif"), "g0", &crystal::demo::bcc_fe()).unwrap();
        write(
            d.path(),
            "snapshots.json",
            r#"{"structure": "g0", "lattice_a": [[2.87,0,0],[0,2.87,0],[0,0,2.87]],
                "snapshots": [{"t": 199, "frac_coords": [[0.1,0.2,0.3],[0.4,0.5,0.6]]},
                              {"t": 0, "frac_coords": [[0,0,0],[0.5,0.5,0.5]]}]}"#,
        );
        let run = RunData::load(d.path(), 0.7);
        let snaps = run.snapshots.unwrap();
        assert_eq!(snaps.frames.len(), 2);
        assert_eq!(snaps.frames[0].0, 199);
        assert_eq!(snaps.frames[1].1.species, vec!["Fe", "Fe"]);
    }

    #[test]
    fn records_match_files_by_block_name_or_position() {
        let d = tempfile::tempdir().unwrap();
        let s = d.path().join("structures");
        std::fs::create_dir(&s).unwrap();
        crystal::io::write_any(
            &s.join("training_00.cif"),
            "training_00_Al_fcc",
            &crystal::demo::fcc_al(),
        )
        .unwrap();
        write(
            d.path(),
            "summary.json",
            r#"{"training_structures": [{"name": "Al_fcc", "n_atoms": 4}, {"name": "gone", "n_atoms": "bad"}]}"#,
        );
        let run = RunData::load(d.path(), 0.7);
        assert_eq!(run.training.len(), 1, "{:?}", run.warnings);
        assert_eq!(run.training[0].name, "Al_fcc");
        assert!(run.training[0].crystal.is_some());
        assert_eq!(run.warnings.len(), 1);
    }
}
