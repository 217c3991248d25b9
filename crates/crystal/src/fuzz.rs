//! Mutated structure files, for robustness tests of the readers and of everything after
//! them.
//!
//! [`seed_files`] are real files of every format this crate reads (CIF with symmetry
//! operations and with P1 sites, POSCAR, extended XYZ, a data-set CSV); [`mutate`] damages
//! one the ways files from the wild are damaged or an attacker would damage them: numbers
//! replaced by extreme values (1e308, 4294967296, −1e-30, 0, NaN, huge counts), spans cut,
//! bytes spliced in, lines duplicated, swapped or dropped, the file truncated. The same
//! seed gives the same files. The CLI harness (`scripts/fuzz_files.sh`) writes them with
//! the `mutate_files` example and runs the binary on each under a time and memory watch;
//! the crate's tests run them in-process.

use crate::demo::{bcc_fe, diamond_c, srtio3};
use crate::io::{write_cif, write_poscar, write_xyz};
use crate::rng::Rng;

/// Values that broke readers and the code after them: overflowing, tiny, zero, negative,
/// non-finite and huge-count numbers.
pub const EXTREME_VALUES: &[&str] = &[
    "1e308",
    "-1e308",
    "1e300",
    "4294967296",
    "18446744073709551616",
    "9223372036854775808",
    "-1e-30",
    "1e-100",
    "0",
    "-1",
    "0.01",
    "1000",
    "119.9",
    "179.999",
    "nan",
    "inf",
    "-inf",
    "99999999999999999999",
    "1/0",
    "",
];

/// Real files to mutate: (file name, contents). The name's extension picks the reader.
pub fn seed_files() -> Vec<(String, Vec<u8>)> {
    let sto = srtio3();
    let nacl_with_ops = "data_NaCl\n_cell_length_a 5.64\n_cell_length_b 5.64\n\
        _cell_length_c 5.64\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
        _symmetry_space_group_name_H-M 'F m -3 m'\nloop_\n_symmetry_equiv_pos_as_xyz\n\
        'x, y, z'\n'x+1/2, y+1/2, z'\n'x+1/2, y, z+1/2'\n'x, y+1/2, z+1/2'\n'-x, -y, -z'\n\
        loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n\
        _atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n\
        Na1 Na 0 0 0 1\nCl1 Cl 0.5 0.5 0.5 1\n";
    let cif = write_cif("SrTiO3", &sto).replace('"', "\"\"");
    let csv = format!("material_id,cif\nmp-5229,\"{cif}\"\nmp-0,\"{cif}\"\n");
    vec![
        (
            "p1.cif".into(),
            write_cif("diamond", &diamond_c()).into_bytes(),
        ),
        ("ops.cif".into(), nacl_with_ops.as_bytes().to_vec()),
        ("POSCAR".into(), write_poscar("SrTiO3", &sto).into_bytes()),
        (
            "frames.xyz".into(),
            write_xyz(&[("Fe", &bcc_fe()), ("SrTiO3", &sto)]).into_bytes(),
        ),
        ("rows.csv".into(), csv.into_bytes()),
    ]
}

/// One to four damages of `file`, chosen by `rng`.
pub fn mutate(file: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = file.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(8) {
            0..=2 => replace_number(&mut b, rng),
            3 => {
                let at = rng.below(b.len() + 1);
                let end = (at + rng.below(40)).min(b.len());
                b.drain(at..end);
            }
            4 => {
                let at = rng.below(b.len() + 1);
                let junk: Vec<u8> = (0..rng.below(12)).map(|_| rng.below(256) as u8).collect();
                b.splice(at..at, junk);
            }
            5 => edit_lines(&mut b, rng),
            6 => {
                // A huge expanded cell: a line repeated many times.
                let lines: Vec<&[u8]> = b.split(|&c| c == b'\n').collect();
                let pick = lines[rng.below(lines.len())].to_vec();
                let at = b.len();
                for _ in 0..rng.below(300) {
                    b.splice(at..at, pick.iter().copied().chain([b'\n']));
                }
            }
            _ => b.truncate(rng.below(b.len() + 1)),
        }
    }
    b
}

/// Replaces one number of the file by an extreme value.
fn replace_number(b: &mut Vec<u8>, rng: &mut Rng) {
    let starts: Vec<usize> = (0..b.len())
        .filter(|&i| {
            b[i].is_ascii_digit()
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.'))
        })
        .collect();
    if starts.is_empty() {
        return;
    }
    let s = starts[rng.below(starts.len())];
    let mut e = s;
    while e < b.len() && (b[e].is_ascii_digit() || b".eE-+/".contains(&b[e])) {
        e += 1;
    }
    let v = EXTREME_VALUES[rng.below(EXTREME_VALUES.len())].as_bytes();
    b.splice(s..e, v.iter().copied());
}

/// Duplicates, drops or swaps lines.
fn edit_lines(b: &mut Vec<u8>, rng: &mut Rng) {
    let mut lines: Vec<Vec<u8>> = b.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect();
    let (i, j) = (rng.below(lines.len()), rng.below(lines.len()));
    match rng.below(3) {
        0 => {
            let l = lines[i].clone();
            lines.insert(j, l);
        }
        1 => {
            lines.remove(i);
        }
        _ => lines.swap(i, j),
    }
    *b = lines.join(&b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_files_and_every_seed_file_reads() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in seed_files() {
            let p = dir.path().join(&name);
            std::fs::write(&p, &bytes).unwrap();
            let rows = crate::io::read_any(&p).unwrap();
            assert!(rows.iter().all(Result::is_ok), "{name}: {rows:?}");
            let (mut a, mut b) = (Rng::new(7), Rng::new(7));
            assert_eq!(mutate(&bytes, &mut a), mutate(&bytes, &mut b));
        }
        // A number replaced: the file differs and holds one of the extreme values.
        let mut rng = Rng::new(1);
        let mut b = b"a 1.5 b".to_vec();
        replace_number(&mut b, &mut rng);
        let s = String::from_utf8(b).unwrap();
        assert!(
            EXTREME_VALUES.iter().any(|v| s == format!("a {v} b")),
            "{s}"
        );
    }
}
