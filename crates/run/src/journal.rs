//! The sampling journal: what a `sample` run has finished so far, written as it goes, so
//! that a killed run (a preempted cluster job) loses only the chunk it was working on and
//! `sample --resume` carries on from the rest.
//!
//! `journal.jsonl` lives in the run's staging folder (see [`crate::dir::RunDir::resume`])
//! beside `structures/`. Its first line is the run's [`JournalHeader`]: everything that
//! decides what the run produces (checkpoint, settings, number and names of the targets).
//! Each further line is one finished target ([`JournalEntry`]): its index in the run's
//! target list and its record, appended and flushed chunk by chunk after the chunk's files
//! are written. A line cut short by a kill is ignored on reading, and its target is
//! sampled again. The finished folder has no journal: `summary.json` replaces it.
//!
//! Floating-point values survive the round trip exactly (serde_json's `float_roundtrip`),
//! so a resumed run's `summary.json` equals an uninterrupted one's.

use crate::error::RunError;
use crate::summary::{FailedStructure, StructureRecord};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// File name of the journal in a staging folder.
pub const JOURNAL: &str = "journal.jsonl";

/// What a run is: a resumed run must be the same run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalHeader {
    /// The settings that decide the output (checkpoint, steps, seed, …), by name.
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// Number of targets of this run (of this shard, for a sharded run).
    pub targets: usize,
    /// FNV-1a hash of the targets' names, one after another, each ended by a newline.
    pub names_fnv1a: String,
}

impl JournalHeader {
    /// The header of a run with these settings and targets (each a line that names it and
    /// its atoms).
    pub fn new<'a>(
        settings: serde_json::Map<String, serde_json::Value>,
        names: impl IntoIterator<Item = &'a str>,
    ) -> JournalHeader {
        let mut h = crate::fnv::Fnv1a::default();
        let mut n = 0;
        for name in names {
            h.update(name.as_bytes());
            h.update(b"\n");
            n += 1;
        }
        JournalHeader {
            settings,
            targets: n,
            names_fnv1a: h.hex(),
        }
    }

    /// The first difference from `other` in words (`steps: 20 there, 50 here`), or `None`
    /// when they are the same run. `self` is the journal's, `other` this invocation's.
    pub fn difference(&self, other: &JournalHeader) -> Option<String> {
        let keys = self.settings.keys().chain(other.settings.keys());
        for k in keys {
            let (a, b) = (self.settings.get(k), other.settings.get(k));
            if a != b {
                let show = |v: Option<&serde_json::Value>| {
                    v.map_or("(not set)".to_string(), |v| v.to_string())
                };
                return Some(format!("{k}: {} there, {} here", show(a), show(b)));
            }
        }
        if self.targets != other.targets {
            return Some(format!(
                "{} targets there, {} here",
                self.targets, other.targets
            ));
        }
        (self.names_fnv1a != other.names_fnv1a).then(|| "the targets' names differ".to_string())
    }
}

/// The outcome of one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Built (and, when `record.file` is set, written).
    Record(Box<StructureRecord>),
    /// Could not be built.
    Failed(FailedStructure),
}

/// One finished target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Index in the run's target list.
    pub index: usize,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// An open journal, appended to chunk by chunk.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: std::fs::File,
}

impl Journal {
    /// Starts a journal in `dir` with `header` (replacing any there).
    pub fn create(dir: &Path, header: &JournalHeader) -> Result<Journal, RunError> {
        let path = dir.join(JOURNAL);
        let mut line = serde_json::to_string(header).map_err(|e| RunError::Format {
            path: path.clone(),
            message: e.to_string(),
        })?;
        line.push('\n');
        crate::dir::atomic_write(&path, line.as_bytes())?;
        Self::append_to(path)
    }

    fn append_to(path: PathBuf) -> Result<Journal, RunError> {
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| RunError::io(&path, "open", e))?;
        Ok(Journal { path, file })
    }

    /// Reads the journal in `dir`: its header and its complete entries (a last line cut
    /// short is left out), and opens it for appending. `Ok(None)` when there is none.
    pub fn resume(
        dir: &Path,
    ) -> Result<Option<(Journal, JournalHeader, Vec<JournalEntry>)>, RunError> {
        let path = dir.join(JOURNAL);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(RunError::io(&path, "read", e)),
        };
        // Whole lines only: a kill can cut the last one anywhere, even inside a character.
        let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let text = String::from_utf8_lossy(&bytes[..whole]).into_owned();
        let mut lines = text.split_inclusive('\n');
        let header: JournalHeader = lines
            .next()
            .and_then(|l| serde_json::from_str(l).ok())
            .ok_or_else(|| RunError::Format {
                path: path.clone(),
                message: "line 1: not a journal header".into(),
            })?;
        let mut entries = Vec::new();
        let mut kept = header_len(&text);
        for line in lines {
            // Only whole lines count: a kill can cut the last one anywhere.
            let Some(body) = line.strip_suffix('\n') else {
                break;
            };
            match serde_json::from_str::<JournalEntry>(body) {
                Ok(e) if e.index < header.targets => entries.push(e),
                _ => break,
            }
            kept += line.len();
        }
        // Cut a torn tail so that the entries appended next start on a line of their own.
        if kept < bytes.len() {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| RunError::io(&path, "open", e))?;
            f.set_len(kept as u64)
                .map_err(|e| RunError::io(&path, "truncate", e))?;
        }
        Ok(Some((Self::append_to(path)?, header, entries)))
    }

    /// Appends `entries` as one write and flushes it to disk.
    pub fn append(&mut self, entries: &[JournalEntry]) -> Result<(), RunError> {
        let mut text = String::new();
        for e in entries {
            let line = serde_json::to_string(e).map_err(|err| RunError::Format {
                path: self.path.clone(),
                message: err.to_string(),
            })?;
            text.push_str(&line);
            text.push('\n');
        }
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| RunError::io(&self.path, "append", e))
    }

    /// Removes the journal (the run is complete).
    pub fn remove(self) -> Result<(), RunError> {
        std::fs::remove_file(&self.path).map_err(|e| RunError::io(&self.path, "remove", e))
    }
}

/// Bytes of the first line, its newline included.
fn header_len(text: &str) -> usize {
    text.find('\n').map_or(text.len(), |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(steps: u64) -> JournalHeader {
        let mut s = serde_json::Map::new();
        s.insert("steps".into(), steps.into());
        JournalHeader::new(s, ["a", "b", "c"])
    }

    fn failed(index: usize) -> JournalEntry {
        JournalEntry {
            index,
            outcome: Outcome::Failed(FailedStructure {
                name: format!("t{index}"),
                error: "degenerate cell".into(),
                target_index: Some(index),
            }),
        }
    }

    #[test]
    fn entries_come_back_and_a_torn_last_line_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let mut j = Journal::create(tmp.path(), &header(20)).unwrap();
        j.append(&[failed(0), failed(2)]).unwrap();
        drop(j);
        // A kill in the middle of the next write.
        let p = tmp.path().join(JOURNAL);
        let mut bytes = std::fs::read(&p).unwrap();
        // Cut inside the two bytes of "Å".
        bytes.extend_from_slice("{\"index\":1,\"failed\":{\"name\":\"Å".as_bytes());
        bytes.pop();
        std::fs::write(&p, &bytes).unwrap();
        let (mut j, h, e) = Journal::resume(tmp.path()).unwrap().unwrap();
        assert_eq!(h, header(20));
        assert_eq!(e, vec![failed(0), failed(2)]);
        j.append(&[failed(1)]).unwrap();
        let (_, _, e) = Journal::resume(tmp.path()).unwrap().unwrap();
        assert_eq!(e, vec![failed(0), failed(2), failed(1)]);
        assert!(Journal::resume(&tmp.path().join("none")).unwrap().is_none());
    }

    #[test]
    fn a_different_run_is_named_by_its_first_difference() {
        assert_eq!(header(20).difference(&header(20)), None);
        assert_eq!(
            header(20).difference(&header(50)).unwrap(),
            "steps: 20 there, 50 here"
        );
        let mut s = serde_json::Map::new();
        s.insert("steps".into(), 20.into());
        let other = JournalHeader::new(s, ["a", "b", "d"]);
        assert_eq!(
            header(20).difference(&other).unwrap(),
            "the targets' names differ"
        );
    }
}
