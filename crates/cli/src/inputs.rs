//! Reading the structures a command is given — one loader for `analyze`/`validate`,
//! `convert`, `eval` and `train`: paths (files, folders, data-set CSVs) are collected and
//! read on all cores by `crystal::io::load::load_named`, every structure and every
//! failure keeping its source file; an empty input is an error naming the flag.

use anyhow::{bail, Result};
use crystal::io::load::{collect_paths, load_named, SourcedEntry, Unreadable};
use std::path::PathBuf;

/// What was read from a command's paths.
pub struct Inputs {
    /// Structure files found.
    pub files: usize,
    /// Structures read, in file order.
    pub entries: Vec<SourcedEntry>,
    /// Files or rows that could not be read.
    pub unreadable: Vec<Unreadable>,
}

/// Reads `paths`; `what` (a flag, or a word for positional paths) names them in errors.
pub fn read(paths: &[PathBuf], what: &str) -> Result<Inputs> {
    let files = collect_paths(paths)?;
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        bail!("{what}: no structure files found in {}", shown.join(", "));
    }
    let (entries, unreadable) = load_named(&files)?;
    Ok(Inputs {
        files: files.len(),
        entries,
        unreadable,
    })
}

/// Prints the first `limit` failures as warnings on stderr, then how many more there were.
pub fn warn_unreadable(what: &str, unreadable: &[Unreadable], limit: usize) {
    for u in unreadable.iter().take(limit) {
        eprintln!("warning: {what}: {}", u.message);
    }
    if unreadable.len() > limit {
        eprintln!(
            "warning: {what}: {} more unreadable structures",
            unreadable.len() - limit
        );
    }
}
