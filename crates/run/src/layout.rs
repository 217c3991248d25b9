//! Where each file of a run folder lives, and the typed readers and writers of those
//! files. Every path into a run folder is made here; no other crate spells a file name.
//!
//! ```text
//! RUN/
//!   summary.json        Summary (see summary)
//!   loss.csv            one LossRow per logged optimisation step or epoch (see loss)
//!   snapshots.json      Snapshots (see snapshots)
//!   structures/         generated (and, for demo, training) structures as CIF
//!   symmetrized/        `sample --symmetrize`: the same names, as symmetrized CIFs
//!   checkpoint/         a training run's checkpoint (owned by the diffusion crate)
//!   plots/              figures (SVG, PNG)
//!   report.html         the report
//! ```

use crate::dir::atomic_write;
use crate::error::RunError;
use crate::loss::LossRow;
use crate::snapshots::Snapshots;
use crate::summary::Summary;
use std::path::{Path, PathBuf};

/// `summary.json`.
pub const SUMMARY: &str = "summary.json";
/// `loss.csv`.
pub const LOSS: &str = "loss.csv";
/// `snapshots.json`.
pub const SNAPSHOTS: &str = "snapshots.json";
/// Folder of structure files.
pub const STRUCTURES: &str = "structures";
/// Folder of the symmetrized CIFs of `sample --symmetrize` (kept out of `structures/`, so
/// that a run's structures are one file each).
pub const SYMMETRIZED: &str = "symmetrized";
/// Folder of a training run's checkpoint.
pub const CHECKPOINT: &str = "checkpoint";
/// Folder of the figures.
pub const PLOTS: &str = "plots";
/// The report page.
pub const REPORT: &str = "report.html";
/// The record of a `benchmark` folder (`crystal::published::BenchmarkRecord`).
pub const BENCHMARK_JSON: &str = "benchmark.json";
/// The page of a `benchmark` folder.
pub const BENCHMARK_HTML: &str = "benchmark.html";
/// File-name prefix of the training structures a demo run writes beside its generated ones.
pub const TRAINING_PREFIX: &str = "training_";

/// The file stem a structure named `name` is written under: letters and digits (any
/// script), `-`, `_`, `.`, `(` and `)` are kept, anything else (path separators, `:`,
/// spaces, quotes) becomes `_`; an empty name becomes `structure`. The name itself is
/// kept in the file (CIF data block) and in the run's record, which is how `eval` pairs
/// it, so no name has to be recovered from a file name.
pub fn structure_file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        return "structure".into();
    }
    // File names are at most 255 bytes; leave room for a `_NN` suffix and an extension.
    let mut end = s.len().min(MAX_STEM_BYTES);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// Longest file stem [`structure_file_stem`] gives, in bytes.
pub const MAX_STEM_BYTES: usize = 200;

/// A run folder at `root` (which may not exist yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFolder {
    root: PathBuf,
}

impl RunFolder {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        RunFolder { root: root.into() }
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn summary_path(&self) -> PathBuf {
        self.root.join(SUMMARY)
    }

    pub fn loss_path(&self) -> PathBuf {
        self.root.join(LOSS)
    }

    pub fn snapshots_path(&self) -> PathBuf {
        self.root.join(SNAPSHOTS)
    }

    pub fn structures_dir(&self) -> PathBuf {
        self.root.join(STRUCTURES)
    }

    pub fn symmetrized_dir(&self) -> PathBuf {
        self.root.join(SYMMETRIZED)
    }

    pub fn checkpoint_dir(&self) -> PathBuf {
        self.root.join(CHECKPOINT)
    }

    pub fn plots_dir(&self) -> PathBuf {
        self.root.join(PLOTS)
    }

    pub fn report_path(&self) -> PathBuf {
        self.root.join(REPORT)
    }

    /// `structures/FILE_NAME`, and the same path relative to the folder (`/`-separated),
    /// which is what a [`crate::StructureRecord`] records as its `file`.
    pub fn structure_file(&self, file_name: &str) -> (PathBuf, String) {
        (
            self.structures_dir().join(file_name),
            format!("{STRUCTURES}/{file_name}"),
        )
    }

    /// Writes `summary.json` (pretty-printed, atomically).
    pub fn write_summary(&self, s: &Summary) -> Result<(), RunError> {
        let path = self.summary_path();
        let text = serde_json::to_string_pretty(s).map_err(|e| RunError::format(&path, e))?;
        atomic_write(&path, text.as_bytes())
    }

    /// Reads `summary.json`. A structure record that does not parse is skipped and named
    /// in the returned warnings; anything else malformed is an error.
    pub fn read_summary(&self) -> Result<(Summary, Vec<String>), RunError> {
        let path = self.summary_path();
        let text = std::fs::read_to_string(&path).map_err(|e| RunError::io(&path, "read", e))?;
        Summary::from_json(&text).map_err(|m| RunError::format(&path, m))
    }

    /// Writes `loss.csv` (atomically).
    pub fn write_loss(&self, rows: &[LossRow]) -> Result<(), RunError> {
        let path = self.loss_path();
        atomic_write(&path, crate::loss::to_csv(rows).as_bytes())
    }

    /// Reads `loss.csv`.
    pub fn read_loss(&self) -> Result<Vec<LossRow>, RunError> {
        let path = self.loss_path();
        let text = std::fs::read_to_string(&path).map_err(|e| RunError::io(&path, "read", e))?;
        crate::loss::from_csv(&text).map_err(|m| RunError::format(&path, m))
    }

    /// Writes `snapshots.json` (pretty-printed, atomically).
    pub fn write_snapshots(&self, s: &Snapshots) -> Result<(), RunError> {
        let path = self.snapshots_path();
        let text = serde_json::to_string_pretty(s).map_err(|e| RunError::format(&path, e))?;
        atomic_write(&path, text.as_bytes())
    }

    /// Reads `snapshots.json`.
    pub fn read_snapshots(&self) -> Result<Snapshots, RunError> {
        let path = self.snapshots_path();
        let text = std::fs::read_to_string(&path).map_err(|e| RunError::io(&path, "read", e))?;
        serde_json::from_str(&text).map_err(|e| RunError::format(&path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_keep_safe_characters_only() {
        assert_eq!(structure_file_stem("Ca(OH)2"), "Ca(OH)2");
        assert_eq!(structure_file_stem("mp-1/2:a b"), "mp-1_2_a_b");
        assert_eq!(structure_file_stem("../x"), ".._x");
        assert_eq!(structure_file_stem(""), "structure");
        assert_eq!(structure_file_stem("Fe₂O₃"), "Fe₂O₃");
    }
}
