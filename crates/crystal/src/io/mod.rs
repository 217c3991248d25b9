//! Readers and writers of crystal structure files, and the loading of many of them.
//!
//! This module owns every byte that goes in or out: one submodule per format ([`cif`],
//! [`poscar`], [`xyz`], [`dataset`] for the benchmark CSVs) and [`load`] for the user's
//! path arguments (files and folders, read on all cores). Each reader returns named
//! structures ([`crate::Entry`]) or an error naming the path, the line and the problem.
//! [`read_any`] and [`write_any`] pick the format from the file name: `.cif`; `.vasp`,
//! `.poscar` or a name starting with `POSCAR` / `CONTCAR`; `.xyz`, `.extxyz`; `.csv`,
//! `.csv.gz` (benchmark data sets, read only).

pub mod cif;
pub mod dataset;
pub mod load;
pub mod poscar;
pub mod xyz;

pub use cif::{parse_cif, read_cif, write_cif, write_symmetrized_cif};
pub use dataset::{parse_dataset, read_dataset, DatasetRows};
pub use poscar::{parse_poscar, read_poscar, write_poscar};
pub use xyz::{parse_xyz, read_xyz, write_xyz, write_xyz_frame};

use crate::dataset::Entry;
use crate::error::CrystalError;
use crate::limits::CellLimits;
use crate::structure::Crystal;
use std::io::Read;
use std::path::Path;

/// Largest input file read, in bytes (1 GiB), and the most a gzipped data set may
/// decompress to: a symlink to `/dev/zero` or a gzip bomb ends in an error, not in memory.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// Opens `path` for reading when it is a regular file (a symbolic link to one is fine) of at
/// most [`MAX_FILE_BYTES`]. FIFOs, devices and sockets are refused before they are opened
/// (a FIFO would block forever).
pub fn open_regular(path: &Path) -> Result<std::fs::File, CrystalError> {
    let regular = |m: &std::fs::Metadata| -> Result<(), CrystalError> {
        if !m.is_file() {
            return Err(CrystalError::parse(
                path,
                None,
                "not a regular file (a folder, FIFO, device or socket)",
            ));
        }
        if m.len() > MAX_FILE_BYTES {
            return Err(CrystalError::parse(
                path,
                None,
                format!("{} bytes, more than the {MAX_FILE_BYTES} read", m.len()),
            ));
        }
        Ok(())
    };
    regular(&std::fs::metadata(path).map_err(|e| CrystalError::io(path, e))?)?;
    let f = std::fs::File::open(path).map_err(|e| CrystalError::io(path, e))?;
    // The file opened may not be the one checked (renamed in between): check it again.
    regular(&f.metadata().map_err(|e| CrystalError::io(path, e))?)?;
    Ok(f)
}

/// A reader that fails once more than `left` bytes have been read from it.
pub(crate) struct Capped<R> {
    pub(crate) inner: R,
    pub(crate) left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            std::io::Error::other(format!(
                "more than {MAX_FILE_BYTES} bytes after decompression"
            ))
        })?;
        Ok(n)
    }
}

/// The text of a regular file of at most [`MAX_FILE_BYTES`]: UTF-8, or, when it is not
/// valid UTF-8, Latin-1 (ISO 8859-1: every byte one character; older CIFs from
/// databases and journals use it for names such as `Müller` or `Å`).
pub(crate) fn read_text(path: &Path) -> Result<String, CrystalError> {
    let mut bytes = Vec::new();
    open_regular(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CrystalError::io(path, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(CrystalError::parse(
            path,
            None,
            format!("more than the {MAX_FILE_BYTES} bytes read"),
        ));
    }
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|e| e.into_bytes().iter().map(|&b| char::from(b)).collect()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Cif,
    Poscar,
    Xyz,
    Dataset,
}

const KNOWN: &str =
    "expected .cif, .mcif, .vasp, .poscar, POSCAR*, *POSCAR, CONTCAR*, .xyz, .extxyz, .csv or .csv.gz";

fn format_of(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_string_lossy();
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".csv") || lower.ends_with(".csv.gz") {
        Some(Format::Dataset)
    } else if lower.ends_with(".cif") || lower.ends_with(".mcif") {
        Some(Format::Cif)
    } else if lower.ends_with(".xyz") || lower.ends_with(".extxyz") {
        Some(Format::Xyz)
    } else if lower.ends_with(".vasp")
        || ["poscar", "contcar"]
            .iter()
            .any(|k| lower.starts_with(k) || lower.ends_with(k))
    {
        Some(Format::Poscar)
    } else {
        None
    }
}

/// Whether the file name is one of the structure formats this crate reads.
pub fn is_structure_file(path: &Path) -> bool {
    format_of(path).is_some()
}

/// Whether the file name is one of the formats [`write_any`] and [`write_many`] write.
pub fn is_writable_file(path: &Path) -> bool {
    matches!(
        format_of(path),
        Some(Format::Cif | Format::Poscar | Format::Xyz)
    )
}

/// Writes several structures into one file: a CIF with one data block each, or an
/// extended XYZ file with one frame each. A POSCAR holds exactly one structure.
pub fn write_many(path: &Path, entries: &[&Entry]) -> Result<(), CrystalError> {
    let text = format_many(path, entries)?;
    std::fs::write(path, text).map_err(|e| CrystalError::io(path, e))
}

/// The text [`write_many`] writes to `path` (the format chosen by its name), for callers
/// that write it themselves (atomically, say).
pub fn format_many(path: &Path, entries: &[&Entry]) -> Result<String, CrystalError> {
    match (format_of(path), entries) {
        (_, [one]) => format_any(path, &one.name, &one.crystal),
        (Some(Format::Cif), _) => Ok(entries
            .iter()
            .map(|e| write_cif(&e.name, &e.crystal))
            .collect()),
        (Some(Format::Xyz), _) => {
            let frames: Vec<(&str, &Crystal)> = entries
                .iter()
                .map(|e| (e.name.as_str(), &e.crystal))
                .collect();
            Ok(write_xyz(&frames))
        }
        (Some(Format::Poscar), _) => Err(CrystalError::parse(
            path,
            None,
            format!(
                "a POSCAR holds one structure, not {}: write to a folder instead",
                entries.len()
            ),
        )),
        (_, []) => Err(CrystalError::parse(path, None, "no structures to write")),
        _ => format_any(path, "", &entries[0].crystal),
    }
}

/// Reads every structure of a file within the default [`CellLimits`] (see
/// [`read_any_with`]).
pub fn read_any(path: &Path) -> Result<DatasetRows, CrystalError> {
    read_any_with(path, &CellLimits::default())
}

/// Reads every structure of a file, choosing the reader by the file name. The outer error
/// is a file that cannot be read at all; each structure then has its own result (a data
/// set or a multi-frame XYZ file can have some good and some bad). A structure outside
/// `limits` is an error naming the file, the structure and the value.
pub fn read_any_with(path: &Path, limits: &CellLimits) -> Result<DatasetRows, CrystalError> {
    let checked = |e: Entry| match limits.check(&e.crystal) {
        Ok(()) => Ok(e),
        Err(v) => Err(CrystalError::parse(
            path,
            None,
            format!("structure {:?}: {v}", e.name),
        )),
    };
    match format_of(path) {
        Some(Format::Cif) => cif::read_cif_blocks(path, limits),
        Some(Format::Poscar) => read_poscar(path).map(|e| vec![checked(e)]),
        Some(Format::Xyz) => read_xyz(path).map(|v| v.into_iter().map(checked).collect()),
        Some(Format::Dataset) => dataset::read_dataset_with(path, limits),
        None => Err(CrystalError::parse(
            path,
            None,
            format!("unknown structure file type ({KNOWN})"),
        )),
    }
}

/// Writes one structure, choosing the format by the file name (CIF, POSCAR or extended
/// XYZ).
pub fn write_any(path: &Path, name: &str, crystal: &Crystal) -> Result<(), CrystalError> {
    let text = format_any(path, name, crystal)?;
    std::fs::write(path, text).map_err(|e| CrystalError::io(path, e))
}

/// The text [`write_any`] writes to `path`.
pub fn format_any(path: &Path, name: &str, crystal: &Crystal) -> Result<String, CrystalError> {
    match format_of(path) {
        Some(Format::Cif) => Ok(write_cif(name, crystal)),
        Some(Format::Poscar) => Ok(write_poscar(name, crystal)),
        Some(Format::Xyz) => Ok(write_xyz_frame(name, crystal)),
        Some(Format::Dataset) | None => Err(CrystalError::parse(
            path,
            None,
            "cannot write this file type: expected .cif, .vasp, .poscar, POSCAR*, \
             CONTCAR*, .xyz or .extxyz",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::diamond_c;
    use proptest::prelude::*;

    #[test]
    fn several_structures_in_one_cif_or_xyz_file() {
        let dir = std::env::temp_dir().join(format!("cd-many-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = Entry::new("a", diamond_c());
        let b = Entry::new("b", crate::demo::fcc_al());
        for f in ["m.cif", "m.xyz"] {
            write_many(&dir.join(f), &[&a, &b]).unwrap();
            let back: Vec<Entry> = read_any(&dir.join(f))
                .unwrap()
                .into_iter()
                .map(|r| r.unwrap())
                .collect();
            assert_eq!(
                back.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
                ["a", "b"]
            );
            assert_eq!(back[1].crystal.num_atoms(), 4);
        }
        assert!(write_many(&dir.join("POSCAR"), &[&a, &b]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn formats_by_file_name() {
        for (name, f) in [
            ("a.cif", Some(Format::Cif)),
            ("A.CIF", Some(Format::Cif)),
            ("dir/POSCAR", Some(Format::Poscar)),
            ("CONTCAR_relaxed", Some(Format::Poscar)),
            ("x.vasp", Some(Format::Poscar)),
            ("x.poscar", Some(Format::Poscar)),
            ("x.xyz", Some(Format::Xyz)),
            ("x.extxyz", Some(Format::Xyz)),
            ("test.csv.gz", Some(Format::Dataset)),
            ("test.csv", Some(Format::Dataset)),
            ("x.txt", None),
            ("", None),
        ] {
            assert_eq!(format_of(Path::new(name)), f, "{name}");
        }
    }

    #[test]
    fn write_any_then_read_any() {
        let dir = std::env::temp_dir().join(format!("crystal-io-any-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let c = diamond_c();
        for file in ["d.cif", "POSCAR", "d.vasp", "d.xyz", "d.extxyz"] {
            let path = dir.join(file);
            write_any(&path, "diamond", &c).unwrap();
            let rows = read_any(&path).unwrap();
            assert_eq!(rows.len(), 1, "{file}");
            let e = rows[0].as_ref().unwrap();
            assert_eq!(e.name, "diamond", "{file}");
            assert_eq!(e.crystal.num_atoms(), 8, "{file}");
            assert!(
                (e.crystal.volume_a3() - c.volume_a3()).abs() < 1e-6,
                "{file}"
            );
        }
        assert!(write_any(&dir.join("d.csv"), "x", &c).is_err());
        assert!(write_any(&dir.join("d.txt"), "x", &c).is_err());
        assert!(read_any(&dir.join("d.txt")).is_err());
        assert!(read_any(&dir.join("missing.cif")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Regression: a keyword check once sliced a token at byte 5, inside a multi-byte
    /// character.
    #[test]
    fn cif_multibyte_value_after_a_tag_does_not_panic() {
        assert!(parse_cif("data_x\n_cell_length_a abcdé\n", Path::new("m.cif")).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parsers_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let text = String::from_utf8_lossy(&bytes);
            let p = Path::new("fuzz");
            let _ = parse_poscar(&text, p);
            let _ = parse_xyz(&text, p);
            let _ = parse_cif(&text, p);
            let _ = parse_dataset(bytes.as_slice(), p);
        }

        #[test]
        fn parsers_never_panic_on_arbitrary_strings(text in "\\PC*") {
            let p = Path::new("fuzz");
            let _ = parse_poscar(&text, p);
            let _ = parse_xyz(&text, p);
            let _ = parse_cif(&text, p);
        }

        /// Almost-valid files: structured lines of numbers, symbols and keywords, so the
        /// parsers get past their first checks.
        #[test]
        fn parsers_never_panic_on_structured_noise(
            lines in proptest::collection::vec(
                "(-?[0-9]{1,3}(\\.[0-9]{0,3})?|Si|O|Fe_pv|Direct|Cartesian|Selective|Lattice=\"[0-9 .]{0,30}\"|Properties=[a-zA-Z:0-9]{0,20}|data_x|loop_|_cell_length_a|_atom_site_fract_x|'x, y, z'|;|é|\"|[ \\t]){0,12}",
                0..20,
            )
        ) {
            let text = lines.join("\n");
            let p = Path::new("fuzz");
            let _ = parse_poscar(&text, p);
            let _ = parse_xyz(&text, p);
            let _ = parse_cif(&text, p);
        }

        /// Real files of every format, mutated: a span cut out, random bytes spliced in,
        /// and the result truncated.
        #[test]
        fn parsers_never_panic_on_mutated_real_files(
            which in 0usize..3,
            cut in (0usize..2000, 0usize..40),
            splice in (0usize..2000, proptest::collection::vec(any::<u8>(), 0..12)),
            keep in 0usize..2000,
        ) {
            let c = diamond_c();
            let real = [write_cif("C8", &c), write_poscar("C8", &c), write_xyz_frame("C8", &c)];
            let mut bytes = real[which].clone().into_bytes();
            let a = cut.0.min(bytes.len());
            let b = (a + cut.1).min(bytes.len());
            bytes.drain(a..b);
            let at = splice.0.min(bytes.len());
            bytes.splice(at..at, splice.1.iter().copied());
            bytes.truncate(keep.max(1));
            let text = String::from_utf8_lossy(&bytes);
            let p = Path::new("mutated");
            let _ = parse_poscar(&text, p);
            let _ = parse_xyz(&text, p);
            let _ = parse_cif(&text, p);
            let _ = parse_dataset(bytes.as_slice(), p);
        }
    }
}
