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

pub use cif::{parse_cif, read_cif, write_cif};
pub use dataset::{parse_dataset, read_dataset, DatasetRows};
pub use poscar::{parse_poscar, read_poscar, write_poscar};
pub use xyz::{parse_xyz, read_xyz, write_xyz, write_xyz_frame};

use crate::dataset::Entry;
use crate::error::CrystalError;
use crate::structure::Crystal;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Cif,
    Poscar,
    Xyz,
    Dataset,
}

const KNOWN: &str =
    "expected .cif, .vasp, .poscar, POSCAR*, CONTCAR*, .xyz, .extxyz, .csv or .csv.gz";

fn format_of(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_string_lossy();
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".csv") || lower.ends_with(".csv.gz") {
        Some(Format::Dataset)
    } else if lower.ends_with(".cif") {
        Some(Format::Cif)
    } else if lower.ends_with(".xyz") || lower.ends_with(".extxyz") {
        Some(Format::Xyz)
    } else if lower.ends_with(".vasp")
        || lower.ends_with(".poscar")
        || lower.starts_with("poscar")
        || lower.starts_with("contcar")
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
    match (format_of(path), entries) {
        (_, [one]) => write_any(path, &one.name, &one.crystal),
        (Some(Format::Cif), _) => {
            let text: String = entries
                .iter()
                .map(|e| write_cif(&e.name, &e.crystal))
                .collect();
            std::fs::write(path, text).map_err(|e| CrystalError::io(path, e))
        }
        (Some(Format::Xyz), _) => {
            let frames: Vec<(&str, &Crystal)> = entries
                .iter()
                .map(|e| (e.name.as_str(), &e.crystal))
                .collect();
            std::fs::write(path, write_xyz(&frames)).map_err(|e| CrystalError::io(path, e))
        }
        (Some(Format::Poscar), _) => Err(CrystalError::parse(
            path,
            None,
            format!(
                "a POSCAR holds one structure, not {}: write to a folder instead",
                entries.len()
            ),
        )),
        _ => write_any(path, "", &entries[0].crystal),
    }
}

/// Reads every structure of a file, choosing the reader by the file name. The outer error
/// is a file that cannot be read at all; each structure then has its own result (only a
/// data set can have some good and some bad).
pub fn read_any(path: &Path) -> Result<DatasetRows, CrystalError> {
    let all_ok = |v: Vec<Entry>| v.into_iter().map(Ok).collect();
    match format_of(path) {
        Some(Format::Cif) => read_cif(path).map(all_ok),
        Some(Format::Poscar) => read_poscar(path).map(|e| vec![Ok(e)]),
        Some(Format::Xyz) => read_xyz(path).map(all_ok),
        Some(Format::Dataset) => read_dataset(path),
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
    let text = match format_of(path) {
        Some(Format::Cif) => write_cif(name, crystal),
        Some(Format::Poscar) => write_poscar(name, crystal),
        Some(Format::Xyz) => write_xyz_frame(name, crystal),
        Some(Format::Dataset) | None => {
            return Err(CrystalError::parse(
                path,
                None,
                "cannot write this file type: expected .cif, .vasp, .poscar, POSCAR*, \
                 CONTCAR*, .xyz or .extxyz",
            ))
        }
    };
    std::fs::write(path, text).map_err(|e| CrystalError::io(path, e))
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
