//! CDVAE / DiffCSP benchmark data sets: CSV files, plain or gzipped.
//!
//! Perov-5, Carbon-24, MP-20 and MPTS-52 are distributed as CSV with one structure per
//! record: a `material_id` column and a `cif` column holding a whole P1 CIF (quoted,
//! with embedded newlines, so the file is read with a real CSV parser, never split on
//! lines). Other columns (the unnamed index column, properties) are ignored here. A
//! gzipped file (`.csv.gz`) is recognised by its magic bytes and decompressed on the fly.
//!
//! Each record becomes one [`Entry`] named by its `material_id` (or
//! `{file stem}_{record index}` when the column is absent or blank), from the first data
//! block of its CIF. One bad record does not stop the others: the reader returns one
//! result per record, and an error names the CSV path, the line where the record starts,
//! the `material_id`, and the line within the CIF. Only an unreadable file or a missing
//! `cif` column fails the whole read.

use crate::dataset::Entry;
use crate::error::CrystalError;
use crate::io::cif::parse_cif_with;
use crate::io::{Capped, MAX_FILE_BYTES};
use crate::limits::CellLimits;
use flate2::read::MultiGzDecoder;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// One result per CSV record (in file order).
pub type DatasetRows = Vec<Result<Entry, CrystalError>>;

fn stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    for ext in [".csv.gz", ".csv", ".gz"] {
        if lower.ends_with(ext) {
            return name[..name.len() - ext.len()].to_string();
        }
    }
    name
}

/// Reads a data set from a reader of CSV or gzipped CSV bytes. `path` names the source in
/// errors.
pub fn parse_dataset<R: Read>(reader: R, path: &Path) -> Result<DatasetRows, CrystalError> {
    parse_dataset_with(reader, path, &CellLimits::default())
}

/// [`parse_dataset`] with a row outside `limits` an error naming its `material_id` and
/// value. At most [`MAX_FILE_BYTES`] are read after decompression.
pub fn parse_dataset_with<R: Read>(
    reader: R,
    path: &Path,
    limits: &CellLimits,
) -> Result<DatasetRows, CrystalError> {
    let mut buf = BufReader::new(reader);
    let gz = buf
        .fill_buf()
        .map_err(|e| CrystalError::io(path, e))?
        .starts_with(&[0x1f, 0x8b]);
    let input: Box<dyn Read> = if gz {
        Box::new(MultiGzDecoder::new(buf))
    } else {
        Box::new(buf)
    };
    let input = Capped {
        inner: input,
        left: MAX_FILE_BYTES,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(input);
    let headers = rdr.headers().map_err(|e| csv_error(path, e))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let cif_col = col("cif").ok_or_else(|| {
        CrystalError::parse(
            path,
            Some(1),
            format!(
                "no `cif` column (columns: {})",
                headers
                    .iter()
                    .map(|h| format!("{h:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let id_col = col("material_id");
    let stem = stem(path);

    let mut out = Vec::new();
    for (index, rec) in rdr.records().enumerate() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                // An I/O error (corrupt gzip, truncated file) ends the stream; a bad
                // record (invalid UTF-8) is skipped.
                let fatal = e.is_io_error();
                out.push(Err(csv_error(path, e)));
                if fatal {
                    break;
                }
                continue;
            }
        };
        let line = rec.position().map(|p| p.line() as usize);
        let name = id_col
            .and_then(|c| rec.get(c))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("{stem}_{index}"));
        let Some(cif_text) = rec.get(cif_col) else {
            out.push(Err(CrystalError::parse(
                path,
                line,
                format!("material_id {name}: record has no `cif` field"),
            )));
            continue;
        };
        let result = parse_cif_with(cif_text, path, limits)
            .and_then(|blocks| {
                blocks
                    .into_iter()
                    .next()
                    .ok_or_else(|| CrystalError::parse(path, None, "no data block"))
            })
            .map(|e| Entry::new(name.clone(), e.crystal))
            .map_err(|e| {
                let message = match e {
                    CrystalError::Parse {
                        line: Some(l),
                        message,
                        ..
                    } => format!("CIF line {l}: {message}"),
                    CrystalError::Parse { message, .. } => message,
                    other => other.to_string(),
                };
                CrystalError::parse(path, line, format!("material_id {name}: {message}"))
            });
        out.push(result);
    }
    Ok(out)
}

fn csv_error(path: &Path, e: csv::Error) -> CrystalError {
    let line = e.position().map(|p| p.line() as usize);
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(io) => CrystalError::io(path, io),
        _ => CrystalError::parse(path, line, message),
    }
}

/// Reads a data set file (`.csv` or `.csv.gz`).
pub fn read_dataset(path: &Path) -> Result<DatasetRows, CrystalError> {
    read_dataset_with(path, &CellLimits::default())
}

/// Reads a data set file, every row within `limits`.
pub fn read_dataset_with(path: &Path, limits: &CellLimits) -> Result<DatasetRows, CrystalError> {
    parse_dataset_with(super::open_regular(path)?, path, limits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;
    use std::path::PathBuf;

    /// Two records in the Perov-5 layout: unnamed index column, quoted multi-line CIFs,
    /// extra property columns.
    const TWO_ROWS: &str = r##",material_id,cif,formula,heat_ref
996,3961,"# generated using pymatgen
data_TiOsNOF
_symmetry_space_group_name_H-M   'P 1'
_cell_length_a   4.05632160
_cell_length_b   4.05632160
_cell_length_c   4.05632160
_cell_angle_alpha   90.00000000
_cell_angle_beta   90.00000000
_cell_angle_gamma   90.00000000
_symmetry_Int_Tables_number   1
_chemical_formula_structural   TiOsNOF
_chemical_formula_sum   'Ti1 Os1 N1 O1 F1'
_cell_volume   66.74168089
_cell_formula_units_Z   1
loop_
 _symmetry_equiv_pos_site_id
 _symmetry_equiv_pos_as_xyz
  1  'x, y, z'
loop_
 _atom_site_type_symbol
 _atom_site_label
 _atom_site_symmetry_multiplicity
 _atom_site_fract_x
 _atom_site_fract_y
 _atom_site_fract_z
 _atom_site_occupancy
  Ti  Ti0  1  -0.39078906  0.00000000  0.00000000  1
  Os  Os1  1  0.77619935  0.50000000  0.50000000  1
  F  F2  1  0.41528400  0.00000000  0.50000000  1
  N  N3  1  0.74200080  0.50000000  0.00000000  1
  O  O4  1  0.23143281  0.50000000  0.50000000  1
",TiOsOFN,1.4383314936574307
7,C-1-2-3,"data_C2
_cell_length_a 2.5
_cell_length_b 2.5
_cell_length_c 2.5
_cell_angle_alpha 60
_cell_angle_beta 60
_cell_angle_gamma 60
loop_
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
C 0 0 0
C 0.25 0.25 0.25
",C,""quoted"" value
"##;

    #[test]
    fn reads_embedded_two_row_csv_plain_and_gzipped() {
        let rows = parse_dataset(TWO_ROWS.as_bytes(), Path::new("mem.csv")).unwrap();
        assert_eq!(rows.len(), 2);
        let a = rows[0].as_ref().unwrap();
        assert_eq!(a.name, "3961");
        assert_eq!(a.crystal.num_atoms(), 5);
        assert_eq!(a.crystal.formula(), "TiOsFNO");
        let b = rows[1].as_ref().unwrap();
        assert_eq!(b.name, "C-1-2-3");
        assert_eq!(b.crystal.formula(), "C2");

        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(TWO_ROWS.as_bytes()).unwrap();
        let gz = enc.finish().unwrap();
        let rows2 = parse_dataset(gz.as_slice(), Path::new("mem.csv.gz")).unwrap();
        assert_eq!(rows2.len(), 2);
        assert_eq!(rows2[0].as_ref().unwrap(), a);
        assert_eq!(rows2[1].as_ref().unwrap(), b);
    }

    #[test]
    fn a_bad_record_is_reported_and_the_rest_still_read() {
        // Record 1 (starting on line 2) has a broken cell length on its 3rd CIF line.
        let text = format!(
            ",material_id,cif\n0,bad-1,\"data_x\n_cell_length_a 4\n_cell_length_b four\n\"\n{}",
            TWO_ROWS
                .lines()
                .skip(1)
                .collect::<Vec<_>>()
                .join("\n")
                .replace(",TiOsOFN,1.4383314936574307", "")
                .replace(",C,\"\"quoted\"\" value", "")
        );
        let rows = parse_dataset(text.as_bytes(), Path::new("d.csv")).unwrap();
        assert_eq!(rows.len(), 3);
        let msg = rows[0].as_ref().unwrap_err().to_string();
        assert!(
            msg.contains("d.csv:2")
                && msg.contains("material_id bad-1")
                && msg.contains("CIF line 3"),
            "{msg}"
        );
        assert!(rows[1].is_ok() && rows[2].is_ok());
        // The second record's line is where it starts in the CSV file.
        let bad_second = TWO_ROWS.replace("_cell_length_a 2.5", "_cell_length_a x");
        let rows = parse_dataset(bad_second.as_bytes(), Path::new("e.csv")).unwrap();
        let msg = rows[1].as_ref().unwrap_err().to_string();
        assert!(msg.contains("e.csv:34") && msg.contains("C-1-2-3"), "{msg}");
    }

    #[test]
    fn whole_file_errors() {
        let e = parse_dataset(
            ",material_id,formula\n0,1,NaCl\n".as_bytes(),
            Path::new("n.csv"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("n.csv:1") && e.contains("no `cif` column"),
            "{e}"
        );
        assert!(parse_dataset(&b""[..], Path::new("empty.csv")).is_err());
        // Corrupt gzip: the header is recognised, the stream fails.
        let junk = [0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01];
        match parse_dataset(&junk[..], Path::new("j.csv.gz")) {
            Err(_) => {}
            Ok(rows) => assert!(rows.iter().all(|r| r.is_err())),
        }
        // Binary junk and invalid UTF-8 give errors, not panics.
        let bin = b"\x00\xff,cif\n\x01,\xfe\xfd\n";
        if let Ok(rows) = parse_dataset(&bin[..], Path::new("b.csv")) {
            assert!(rows.iter().all(|r| r.is_err()));
        }
        assert!(read_dataset(Path::new("/nonexistent/x.csv")).is_err());
    }

    /// The shared benchmark data, where this checkout has it: `shared/` at the
    /// repository root, or beside the checkout.
    fn shared_data() -> Option<PathBuf> {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        [
            crate_dir.join("../../shared/data"),
            crate_dir.join("../../../shared/data"),
        ]
        .into_iter()
        .find(|p| p.is_dir())
    }

    #[test]
    fn reads_every_row_of_the_shared_test_sets() {
        let Some(dir) = shared_data() else {
            println!("skipped: no shared/data beside the crystal crate");
            return;
        };
        for (file, rows_expected, atoms) in [
            ("perov_5/test.csv.gz", 3785, 5..=5),
            ("carbon_24/test.csv.gz", 2030, 6..=24),
        ] {
            let path = dir.join(file);
            if !path.is_file() {
                println!("skipped: {} is absent", path.display());
                continue;
            }
            let rows = read_dataset(&path).unwrap();
            assert_eq!(rows.len(), rows_expected, "{file}");
            for r in &rows {
                let e = r.as_ref().unwrap_or_else(|e| panic!("{e}"));
                assert!(atoms.contains(&e.crystal.num_atoms()), "{}", e.name);
                assert!(!e.name.is_empty());
            }
            if file.starts_with("carbon") {
                assert!(rows.iter().flatten().all(|e| e
                    .crystal
                    .species()
                    .iter()
                    .all(|s| s.symbol() == "C")));
            }
        }
    }
}
