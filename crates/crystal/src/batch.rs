//! Many inputs at once: files, folders (recursive) and dataset CSVs.
//!
//! [`collect_paths`] expands the user's arguments into the files to read; [`load`] reads
//! them on all cores and returns one result per structure, so one bad file (or one bad
//! CSV row) is reported while the rest go on.

use crate::dataset::Entry;
use crate::error::CrystalError;
use crate::io::{is_structure_file, read_any};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CrystalError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| CrystalError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if is_structure_file(&p) {
            out.push(p);
        }
    }
    Ok(())
}

/// The files named by `inputs`: files as given, folders searched recursively for
/// structure files (in sorted order). A missing path is an error.
pub fn collect_paths(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, CrystalError> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(CrystalError::parse(p, None, "no such file or folder"));
        }
    }
    Ok(out)
}

/// One structure read from a file, or the reason it could not be.
#[derive(Debug)]
pub struct Loaded {
    /// The file it came from.
    pub source: PathBuf,
    pub result: Result<Entry, CrystalError>,
}

/// Reads every file on all cores; results keep the files' order.
pub fn load(files: &[PathBuf]) -> Vec<Loaded> {
    files
        .par_iter()
        .map(|f| match read_any(f) {
            Ok(items) => items
                .into_iter()
                .map(|result| Loaded {
                    source: f.clone(),
                    result,
                })
                .collect(),
            Err(e) => vec![Loaded {
                source: f.clone(),
                result: Err(e),
            }],
        })
        .collect::<Vec<Vec<Loaded>>>()
        .into_iter()
        .flatten()
        .collect()
}
