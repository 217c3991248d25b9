//! File loading: many inputs at once — files, folders (recursive) and dataset CSVs.
//!
//! This module turns the user's path arguments into structures. [`collect_paths`] expands
//! them into the files to read (folders searched recursively, in sorted order); [`load`]
//! reads those files on all cores and returns one result per structure, so that one bad file
//! (or one bad CSV row) is reported while the rest go on; [`load_named`] does both and splits
//! the outcome into the structures read ([`SourcedEntry`]) and the failures
//! ([`Unreadable`]), each keeping the file it came from.

use super::{is_structure_file, read_any_with};
use crate::dataset::Entry;
use crate::error::CrystalError;
use crate::limits::CellLimits;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Deepest folder nesting searched below a path argument.
pub const MAX_FOLDER_DEPTH: usize = 64;

/// Appends the structure files under `dir` in sorted order. Folders reached through a
/// symbolic link are searched once each (by canonical path), so a link loop such as
/// `up -> ..` ends; FIFOs and devices with a structure file name are listed, and then
/// refused by the reader without being opened.
fn walk(
    dir: &Path,
    depth: usize,
    seen: &mut HashSet<PathBuf>,
    out: &mut Vec<PathBuf>,
) -> Result<(), CrystalError> {
    let canonical = dir.canonicalize().map_err(|e| CrystalError::io(dir, e))?;
    if depth > MAX_FOLDER_DEPTH || !seen.insert(canonical) {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| CrystalError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, depth + 1, seen, out)?;
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
    let mut seen = HashSet::new();
    for p in inputs {
        if p.is_dir() {
            walk(p, 0, &mut seen, &mut out)?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(CrystalError::parse(p, None, "no such file or folder"));
        }
    }
    Ok(out)
}

/// Every structure of one file, a whole-file failure as a single error.
fn read_file(f: &Path, limits: &CellLimits) -> Vec<Result<Entry, CrystalError>> {
    read_any_with(f, limits).unwrap_or_else(|e| vec![Err(e)])
}

/// A structure read by [`load_named`], with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourcedEntry {
    /// The file it was read from.
    pub source: PathBuf,
    /// Its position among the structures of that file (CIF data block, XYZ frame or data-set
    /// row, in file order), from 0.
    pub index: usize,
    /// The structure, named by its CIF data block, POSCAR comment, XYZ frame or data-set
    /// `material_id`.
    pub entry: Entry,
}

/// A file, or one structure of a file, that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    /// The file.
    pub source: PathBuf,
    /// The line the problem was found on (for a data set: the row's line), where known.
    pub line: Option<usize>,
    /// What went wrong, as the error prints (path, line and problem; for a data-set row
    /// also its `material_id`).
    pub message: String,
}

impl Unreadable {
    fn new(source: &Path, e: &CrystalError) -> Self {
        let line = match e {
            CrystalError::Parse { line, .. } => *line,
            _ => None,
        };
        Unreadable {
            source: source.to_path_buf(),
            line,
            message: e.to_string(),
        }
    }
}

/// Collects the files named by `paths` (as [`collect_paths`]: folders recursively, in
/// sorted order), reads them on all cores and splits the outcome into the structures read and
/// the failures, both in file order. Errors only when a path does not exist or a folder
/// cannot be listed; unreadable files and rows are reported in the second list.
pub fn load_named(paths: &[PathBuf]) -> Result<(Vec<SourcedEntry>, Vec<Unreadable>), CrystalError> {
    load_named_with(paths, &CellLimits::default())
}

/// [`load_named`] with every structure within `limits`: one outside is reported in the
/// second list, with the file, the structure and the value.
pub fn load_named_with(
    paths: &[PathBuf],
    limits: &CellLimits,
) -> Result<(Vec<SourcedEntry>, Vec<Unreadable>), CrystalError> {
    let files = collect_paths(paths)?;
    let per_file: Vec<Vec<Result<Entry, CrystalError>>> =
        files.par_iter().map(|f| read_file(f, limits)).collect();
    let mut read = Vec::new();
    let mut unreadable = Vec::new();
    for (source, results) in files.iter().zip(per_file) {
        for (index, result) in results.into_iter().enumerate() {
            match result {
                Ok(entry) => read.push(SourcedEntry {
                    source: source.clone(),
                    index,
                    entry,
                }),
                Err(e) => unreadable.push(Unreadable::new(source, &e)),
            }
        }
    }
    Ok((read, unreadable))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{bcc_fe, diamond_c, fcc_al};
    use crate::io::{write_cif, write_poscar};

    #[test]
    fn load_named_keeps_the_source_of_every_structure_and_failure() {
        let dir = std::env::temp_dir().join(format!("crystal-load-named-{}", std::process::id()));
        let sub = dir.join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        // Two data blocks in one CIF, a POSCAR in a subfolder, a broken CIF, a data set with
        // one good and one bad row, and a file of another kind (skipped in folders).
        let two = format!(
            "{}{}",
            write_cif("al", &fcc_al()),
            write_cif("fe", &bcc_fe())
        );
        std::fs::write(dir.join("b_two.cif"), two).unwrap();
        std::fs::write(sub.join("c.vasp"), write_poscar("diamond", &diamond_c())).unwrap();
        std::fs::write(dir.join("a_broken.cif"), "data_x\n_cell_length_a 4.0\n").unwrap();
        let cif = write_cif("nacl", &fcc_al()).replace('"', "\"\"");
        let csv = format!("material_id,cif\nmp-1,\"{cif}\"\nmp-2,\"data_y\n_cell_length_a x\n\"\n");
        std::fs::write(dir.join("d_rows.csv"), &csv).unwrap();
        std::fs::write(dir.join("notes.txt"), "not a structure").unwrap();

        let (read, bad) = load_named(std::slice::from_ref(&dir)).unwrap();
        let got: Vec<(String, usize, String)> = read
            .iter()
            .map(|s| {
                let file = s.source.strip_prefix(&dir).unwrap().display().to_string();
                (file, s.index, s.entry.name.clone())
            })
            .collect();
        assert_eq!(
            got,
            [
                ("b_two.cif".to_string(), 0, "al".to_string()),
                ("b_two.cif".to_string(), 1, "fe".to_string()),
                ("d_rows.csv".to_string(), 0, "mp-1".to_string()),
                ("sub/c.vasp".to_string(), 0, "diamond".to_string()),
            ]
        );
        assert_eq!(read[2].entry.crystal.num_atoms(), 4);
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert_eq!(bad[0].source, dir.join("a_broken.cif"));
        assert_eq!(bad[1].source, dir.join("d_rows.csv"));
        // The bad row's line: where its record starts.
        let row_line = 1 + csv[..csv.find("mp-2").unwrap()].matches('\n').count();
        assert_eq!(bad[1].line, Some(row_line));
        assert!(bad[1].message.contains("mp-2"), "{}", bad[1].message);
        // Failures serialise for run summaries.
        let json = serde_json::to_string(&bad[1]).unwrap();
        assert!(json.contains(&format!("\"line\":{row_line}")), "{json}");
        // Outside the cell limits: reported with file, structure and value; the rest read.
        let tiny = crate::Crystal::new(
            crate::Lattice::cubic(0.01).unwrap(),
            vec![crate::Element::from_symbol("Na").unwrap()],
            vec![[0.0; 3]],
        )
        .unwrap();
        std::fs::write(sub.join("POSCAR_tiny"), write_poscar("tiny", &tiny)).unwrap();
        let (read2, bad2) = load_named(std::slice::from_ref(&dir)).unwrap();
        assert_eq!(read2.len(), read.len());
        assert_eq!(bad2.len(), 3);
        assert_eq!(
            bad2[2].message,
            format!(
                "{}: structure \"tiny\": cell length a = 0.01 Å is under 0.1 Å (--min-length)",
                sub.join("POSCAR_tiny").display()
            )
        );
        let loose = CellLimits {
            min_length_a: 0.001,
            min_volume_per_atom_a3: 1e-9,
            ..CellLimits::default()
        };
        assert_eq!(
            load_named_with(std::slice::from_ref(&dir), &loose)
                .unwrap()
                .1
                .len(),
            2
        );
        std::fs::remove_file(sub.join("POSCAR_tiny")).unwrap();
        // A missing path is the one hard error.
        assert!(load_named(&[dir.join("missing.cif")]).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A link loop (`up -> ..`) ends; a FIFO and a link to a device with structure names
    /// are refused without being opened (a FIFO would block forever, `/dev/zero` fill
    /// memory); the good file is still read.
    #[cfg(unix)]
    #[test]
    fn links_loops_fifos_and_devices() {
        let dir = std::env::temp_dir().join(format!("crystal-walk-{}", std::process::id()));
        let sub = dir.join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("al.cif"), write_cif("al", &fcc_al())).unwrap();
        std::os::unix::fs::symlink("..", sub.join("up")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.join("zero.cif")).unwrap();
        let fifo = dir.join("pipe.cif");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        let (read, bad) = load_named(std::slice::from_ref(&dir)).unwrap();
        assert_eq!(read.len(), 1, "{bad:?}");
        assert_eq!(read[0].entry.name, "al");
        let mut expect = vec![dir.join("zero.cif")];
        if made.is_ok_and(|s| s.success()) {
            expect.insert(0, fifo);
        }
        assert_eq!(
            bad.iter().map(|u| u.source.clone()).collect::<Vec<_>>(),
            expect
        );
        assert!(
            bad.iter().all(|u| u.message.contains("not a regular file")),
            "{bad:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
