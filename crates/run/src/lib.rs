//! # run — the run folder, typed
//!
//! Every command that leaves results on disk (`demo`, `train`, `sample`) writes a *run
//! folder*, and the report reads one back. This crate owns that contract, so writers and
//! the reader share one set of types instead of string keys:
//!
//! ```text
//! layout ──┬─> summary   (summary.json: Summary and its parts)
//!          ├─> loss      (loss.csv: one LossRow layout for every command)
//!          ├─> snapshots (snapshots.json: one structure during reverse diffusion)
//!          ├─> dir       (RunDir: a folder that appears whole; atomic file writes;
//!          │              the staging-and-rename that checkpoints use too)
//!          ├─> journal   (journal.jsonl: what an unfinished `sample` has done, for
//!          │              `--resume`)
//!          └─> merge     (several `sample` summaries, e.g. shards, as one)
//! fnv (FNV-1a: checkpoint checksums, journal identities)
//! ```
//!
//! It sits between `crystal` (whose per-structure [`crystal::analysis::Analysis`] is the
//! record of every structure) and the ML, report and CLI layers, and knows nothing of ML.
//! Units follow the project's conventions: Å, Å³, g/cm³, seconds.
//!
//! ```
//! use run::{RunFolder, Summary, Command};
//! let tmp = tempfile::tempdir()?;
//! let folder = RunFolder::new(tmp.path());
//! let summary = Summary { command: Some(Command::Sample), model: Some("periodic".into()), ..Summary::default() };
//! folder.write_summary(&summary)?;
//! let (back, warnings) = folder.read_summary()?;
//! assert_eq!(back, summary);
//! assert!(warnings.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod dir;
pub mod error;
pub mod fnv;
pub mod journal;
pub mod layout;
pub mod loss;
pub mod merge;
pub mod snapshots;
pub mod summary;

pub use dir::{atomic_write, check_out, is_run_folder, mark, RunDir, RunLock, Staging, MARKER};
pub use error::RunError;
pub use journal::{Journal, JournalEntry, JournalHeader, Outcome};
pub use layout::{structure_file_stem, RunFolder};
pub use loss::LossRow;
pub use snapshots::{Frame, Snapshots};
pub use summary::{
    CheckpointRef, Command, Comparison, FailedStructure, GenerationSummary, LossSummary,
    MatchTolerances, RdfSummary, StructureRecord, Summary, TrainingProgress,
};
