//! Reading a run folder, tolerantly.
//!
//! [`RunData::load`] gathers everything a report can show from a run folder written by
//! `demo`, `train` or `sample`: `summary.json`, `loss.csv`, `snapshots.json` and the
//! structure files under `structures/`, each read through the `run` crate's types. Every
//! file is optional, and nothing in them is an error: a missing or malformed file, a
//! summary part or structure record that does not parse, is left out and explained in
//! [`RunData::warnings`]. A structure without a record is analysed from its file with
//! [`crystal::analysis::analyze`].

use crystal::analysis::{analyze, Analysis, AnalysisConfig};
use crystal::{Crystal, Element, Entry, Lattice};
use rayon::prelude::*;
use run::{RunFolder, StructureRecord, Summary};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A structure of the run: its analysis, and its crystal and file where there is one.
#[derive(Debug, Clone, Default)]
pub struct Item {
    /// Name shown in the report (record name, else file stem).
    pub name: String,
    /// Path of its file relative to the run folder, `/`-separated.
    pub file: Option<String>,
    /// Name of the structure inside its file (a CIF data block).
    pub block: Option<String>,
    pub crystal: Option<Crystal>,
    /// Its analysis (from the summary, else computed from the crystal).
    pub analysis: Option<Analysis>,
    /// Name of the training structure that lent its atoms (demo).
    pub donor: Option<String>,
}

impl Item {
    /// A figure of the analysis, if there is one.
    pub fn figure<T>(&self, f: impl FnOnce(&Analysis) -> T) -> Option<T> {
        self.analysis.as_ref().map(f)
    }
}

/// The optimisation history of `loss.csv`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LossData {
    /// (step, epoch, training loss) per row with a finite loss.
    pub steps: Vec<(f64, Option<i64>, f64)>,
    /// (step, validation loss) per row with a finite `val_loss`.
    pub val: Vec<(f64, f64)>,
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

    /// Whether every epoch was a single optimisation step (the periodic demo trains on one
    /// batch of all its crystals), so that its rows are steps, not epoch means. Step counts
    /// are cumulative and every epoch takes at least one step, so this holds exactly when
    /// no row's step count exceeds its epoch number.
    pub fn one_step_per_epoch(&self) -> bool {
        !self.steps.is_empty()
            && self
                .steps
                .iter()
                .all(|&(step, epoch, _)| epoch.is_some_and(|e| step <= e as f64))
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
    /// (t, structure at t), in file order; each in its own cell where the file records one
    /// per frame, else in the cell of the finished structure.
    pub frames: Vec<(i64, View)>,
    /// Whether every frame has its own cell (`lattice_a` per frame: a model that generates
    /// the cell); otherwise every frame is drawn in the finished structure's cell.
    pub cell_per_frame: bool,
}

/// Everything read from a run folder.
#[derive(Debug, Clone, Default)]
pub struct RunData {
    pub dir: PathBuf,
    /// `summary.json` as read (all parts absent when there is none).
    pub summary: Summary,
    pub loss: Option<LossData>,
    pub snapshots: Option<Snapshots>,
    pub generated: Vec<Item>,
    pub training: Vec<Item>,
    pub warnings: Vec<String>,
}

impl RunData {
    /// Reads the run folder `dir`; `min_distance_a` and `cutoff_a` are used only when
    /// records have to be computed and the summary does not give them.
    pub fn load(dir: &Path, min_distance_a: f64) -> RunData {
        let mut run = RunData {
            dir: dir.to_path_buf(),
            ..Default::default()
        };
        let folder = RunFolder::new(dir);
        if folder.summary_path().exists() {
            match folder.read_summary() {
                Ok((s, warnings)) => {
                    run.summary = s;
                    run.warnings
                        .extend(warnings.into_iter().map(|w| format!("summary.json: {w}")));
                }
                Err(e) => run.warn(e.to_string()),
            }
        } else {
            run.warn("no summary.json: configuration and statistics are left out".into());
        }

        if folder.loss_path().exists() {
            match folder.read_loss() {
                Ok(rows) => {
                    let l = LossData::of(&rows);
                    if l.steps.is_empty() && l.val.is_empty() {
                        run.warn(format!("{}: no loss values", folder.loss_path().display()));
                    } else {
                        run.loss = Some(l);
                    }
                }
                Err(e) => run.warn(e.to_string()),
            }
        }

        if folder.snapshots_path().exists() {
            match folder
                .read_snapshots()
                .map_err(|e| e.to_string())
                .and_then(snapshots_of)
            {
                Ok(s) => run.snapshots = Some(s),
                Err(e) => run.warn(format!("{}: {e}", folder.snapshots_path().display())),
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
        self.summary
            .generation
            .as_ref()?
            .min_distance_threshold_a
            .filter(|x| x.is_finite())
    }

    /// The coordination cutoff recorded by the run, if any.
    pub fn cutoff(&self) -> Option<f64> {
        self.summary
            .generation
            .as_ref()?
            .coordination_cutoff_a
            .filter(|x| x.is_finite())
    }

    fn load_structures(&mut self, min_distance_a: f64) {
        let gen_records = std::mem::take(&mut self.summary.structures);
        let train_records = std::mem::take(&mut self.summary.training_structures);

        // Structure files, read in parallel.
        let sdir = RunFolder::new(&self.dir).structures_dir();
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
                            ..Item::default()
                        };
                        if stem.starts_with(run::layout::TRAINING_PREFIX) {
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
        self.generated = merge(&gen_records, gen_files, &cfg);
        self.training = merge(&train_records, train_files, &cfg);
        self.summary.structures = gen_records;
        self.summary.training_structures = train_records;
    }
}

/// Joins records and structure files. Records come first (their order); a file matches a
/// record by the file the record names, else by file stem or data-block name, or by
/// position when no names match and there are as many files as records. Files without a
/// record are analysed.
fn merge(records: &[StructureRecord], files: Vec<Item>, cfg: &AnalysisConfig) -> Vec<Item> {
    if records.is_empty() {
        let mut files = files;
        files.par_iter_mut().for_each(|it| fill_missing(it, cfg));
        return files;
    }
    let by_file: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.file.as_deref().map(|p| (p, i)))
        .collect();
    let by_stem: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.as_str(), i))
        .collect();
    let mut used = vec![false; files.len()];
    let mut matched: Vec<Option<usize>> = records
        .iter()
        .map(|r| {
            if let Some(i) = r.file.as_deref().and_then(|p| by_file.get(p)) {
                return Some(*i);
            }
            let name = r.analysis.name.as_str();
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
        .iter()
        .zip(matched)
        .map(|(record, m)| {
            let f = m.map(|i| &files[i]);
            Item {
                name: record.analysis.name.clone(),
                file: f.and_then(|f| f.file.clone()),
                block: f.and_then(|f| f.block.clone()),
                crystal: f.and_then(|f| f.crystal.clone()),
                analysis: Some(record.analysis.clone()),
                donor: record.donor.clone(),
            }
        })
        .collect();
    // Files without a record are still shown.
    let rest: Vec<Item> = files
        .into_iter()
        .zip(used)
        .filter(|(_, u)| !u)
        .map(|(f, _)| f)
        .collect();
    if !rest.is_empty() {
        out.extend(merge(&[], rest, cfg));
    }
    out
}

/// Analyses an item that has a structure but no analysis.
fn fill_missing(it: &mut Item, cfg: &AnalysisConfig) {
    if it.analysis.is_some() {
        return;
    }
    if let Some(c) = &it.crystal {
        it.analysis = Some(analyze(&Entry::new(it.name.clone(), c.clone()), cfg));
    }
}

impl LossData {
    /// The plotted series of `loss.csv` rows (non-finite values left out).
    pub fn of(rows: &[run::LossRow]) -> LossData {
        let mut out = LossData::default();
        for r in rows {
            let step = r.step as f64;
            if r.loss.is_finite() {
                out.steps.push((step, Some(r.epoch as i64), r.loss));
            }
            if let Some(v) = r.val_loss.filter(|v| v.is_finite()) {
                out.val.push((step, v));
            }
        }
        out
    }
}

/// Checks a `snapshots.json` and turns it into drawable frames.
fn snapshots_of(f: run::Snapshots) -> Result<Snapshots, String> {
    if Lattice::new(f.lattice_a).is_err() {
        return Err(format!("lattice_a {:?} is not a cell", f.lattice_a));
    }
    let species = f.species;
    let species_ok = species.iter().all(|s| Element::from_symbol(s).is_ok());
    let cell_per_frame =
        !f.snapshots.is_empty() && f.snapshots.iter().all(|s| s.lattice_a.is_some());
    // A frame with a non-finite coordinate or cell is left out (drawing it in another
    // cell would misstate it).
    let frames: Vec<(i64, View)> = f
        .snapshots
        .into_iter()
        .filter(|s| s.frac_coords.iter().flatten().all(|x| x.is_finite()))
        .filter(|s| {
            s.lattice_a
                .is_none_or(|l| l.iter().flatten().all(|x| x.is_finite()))
        })
        .map(|s| {
            (
                s.t as i64,
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
        cell_per_frame,
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
        assert_eq!(run.summary, Summary::default());
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
        let l = RunData::load(d.path(), 0.7).loss.unwrap();
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
        assert_eq!(g.figure(|a| a.n_atoms), Some(4));
        assert_eq!(g.figure(|a| a.valid_structure), Some(true));
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

    /// A model that generates the cell records it per frame: the frame at t = T is drawn
    /// in its own (noisy) cell, not in the finished structure's.
    #[test]
    fn snapshots_keep_each_frames_own_cell() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "snapshots.json",
            r#"{"structure": "g0", "species": ["Fe"], "lattice_a": [[2.9,0,0],[0,2.9,0],[0,0,2.9]],
                "snapshots": [{"t": 1000, "frac_coords": [[0.1,0.2,0.3]],
                               "lattice_a": [[7.5,0.4,0],[0,6.1,0],[0.2,0,5.3]]},
                              {"t": 0, "frac_coords": [[0,0,0]],
                               "lattice_a": [[2.9,0,0],[0,2.9,0],[0,0,2.9]]}]}"#,
        );
        let s = RunData::load(d.path(), 0.7).snapshots.unwrap();
        assert!(s.cell_per_frame);
        assert_eq!(s.frames[0].0, 1000);
        assert_eq!(s.frames[0].1.lattice[0], [7.5, 0.4, 0.0]);
        assert_eq!(s.frames[1].1.lattice[0], [2.9, 0.0, 0.0]);
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
        let al = analyze(
            &Entry::new("Al_fcc", crystal::demo::fcc_al()),
            &AnalysisConfig::default(),
        );
        let mut bad = serde_json::to_value(&al).unwrap();
        bad["name"] = "gone".into();
        bad["n_atoms"] = "bad".into();
        let summary = serde_json::json!({
            "training_structures": [serde_json::to_value(&al).unwrap(), bad],
        });
        write(d.path(), "summary.json", &summary.to_string());
        let run = RunData::load(d.path(), 0.7);
        assert_eq!(run.training.len(), 1, "{:?}", run.warnings);
        assert_eq!(run.training[0].name, "Al_fcc");
        assert!(run.training[0].crystal.is_some());
        assert_eq!(run.warnings.len(), 1);
    }
}
