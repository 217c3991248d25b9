//! Files as they come from databases and journals (issue "Real files from the wild"): each
//! fixture in `tests/data/wild/` is read to the structure pymatgen 2026.10.24 reads
//! (`CifParser(f).parse_structures(primitive=False)`, formula, atoms, volume in Å³, space
//! group at symprec 0.1), or refused with the message asserted here. Where pymatgen reads a
//! fixture wrongly, the comment says so and the expected values follow the file's own
//! chemistry.

use crystal::io::{read_any, read_cif};
use crystal::symmetry::space_group;
use std::path::{Path, PathBuf};

fn wild(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/wild")
        .join(name)
}

/// (reduced formula, atoms, volume Å³, space group) of the one structure of `name`.
fn read_one(name: &str) -> (crystal::Entry, String, usize, f64, Option<u8>) {
    let rows = read_any(&wild(name)).unwrap();
    assert_eq!(rows.len(), 1, "{name}");
    let e = rows.into_iter().next().unwrap().unwrap();
    let c = &e.crystal;
    let sg = space_group(c, 0.1).ok().map(|g| g.number);
    let (f, n, v) = (c.reduced_formula(), c.num_atoms(), c.volume_a3());
    (e, f, n, v, sg)
}

#[test]
fn water_labels_are_oxygen_and_a_block_without_a_structure_is_skipped_with_a_note() {
    // pymatgen: CaSO6, 8 atoms, 495.1532 Å³, P1 (1); density 0.5639 (a fixture cell).
    let (e, f, n, v, sg) = read_one("gypsum_wat_labels.cif");
    assert_eq!((f.as_str(), n, sg), ("CaSO6", 8, Some(1)));
    assert!((v - 495.1532).abs() < 1e-3, "{v}");
    assert_eq!(e.name, "gypsum");
    assert_eq!(
        e.notes,
        ["skipped data block \"global\" (no cell, no atom sites)"]
    );
}

#[test]
fn labels_give_elements_only_when_the_rest_does_not_contradict() {
    // OW1 (type "?") is O, HOh1 (type ".") is H, not Ho; D2 is deuterium, read as H.
    // pymatgen 2026.10 reads this file as FeH with 2 atoms (it drops the `?`/`.` sites).
    let (e, f, n, _, _) = read_one("labels_only.cif");
    assert_eq!((f.as_str(), n), ("FeOH2", 4));
    assert_eq!(
        e.notes,
        ["deuterium (D) read as hydrogen: mass and density use hydrogen's (pymatgen uses 2.014 u)"]
    );
    // A label that is no element symbol followed by more letters is refused by site.
    // (pymatgen reads "Wet1" as tungsten.)
    let e = read_cif(&wild("bad_label.cif")).unwrap_err().to_string();
    assert!(
        e.ends_with(
            "bad_label.cif:14: site \"Wet1\": unknown element: label \"Wet1\" (give _atom_site_type_symbol for this site)"
        ),
        "{e}"
    );
}

#[test]
fn magnetic_cif_operations_and_centrings_are_applied() {
    // pymatgen: MnO, 8 atoms, 87.8244 Å³, Fm-3m (225).
    let (e, f, n, v, sg) = read_one("mno_magnetic.mcif");
    assert_eq!((f.as_str(), n, sg), ("MnO", 8, Some(225)));
    assert!((v - 87.8244).abs() < 1e-3, "{v}");
    assert!(
        e.notes[0].starts_with("magnetic CIF: 8 magnetic operations"),
        "{:?}",
        e.notes
    );
}

#[test]
fn space_group_symbols_name_their_setting() {
    // pymatgen: Si, 4 atoms, 209.2009 Å³, P2_1/c (14).
    let (e, f, n, v, sg) = read_one("p21n_symbol_only.cif");
    assert_eq!((f.as_str(), n, sg), ("Si", 4, Some(14)));
    assert!((v - 209.2009).abs() < 1e-3, "{v}");
    // The n glide of P2_1/n: (x+1/2, -y+1/2, z+1/2), not P2_1/c's (x, -y+1/2, z+1/2).
    let has = |p: [f64; 3]| {
        e.crystal.frac_coords().iter().any(|q| {
            (0..3).all(|k| {
                let d = q[k] - p[k];
                (d - d.round()).abs() < 1e-9
            })
        })
    };
    assert!(has([0.6, 0.3, 0.8]), "{:?}", e.crystal.frac_coords());
    assert!(!has([0.1, 0.3, 0.8]));
    // The pre-1983 "P m 3 m" is Pm-3m: SrTiO3, 5 atoms (pymatgen: 3 atoms, P4/mmm, as it
    // does not recognise the symbol and keeps the asymmetric unit).
    let (_, f, n, _, sg) = read_one("old_notation_pm3m.cif");
    assert_eq!((f.as_str(), n, sg), ("SrTiO3", 5, Some(221)));
}

#[test]
fn a_cell_that_does_not_fit_the_named_group_is_refused() {
    // pymatgen refuses it too ("Invalid CIF file with no structures!").
    let e = read_cif(&wild("si_primitive_named_fd3m.cif"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("si_primitive_named_fd3m.cif:9: the cell (a=3.8403, b=3.8403, c=3.8403 Å, α=60, β=60, γ=60°) does not fit space group Fd-3m (227) named here"),
        "{e}"
    );
}

#[test]
fn latin1_files_are_read() {
    // pymatgen: Al, 4 atoms, 66.4301 Å³, Fm-3m (225).
    let (_, f, n, v, sg) = read_one("latin1_al.cif");
    assert_eq!((f.as_str(), n, sg), ("Al", 4, Some(225)));
    assert!((v - 66.4301).abs() < 1e-3);
}

#[test]
fn coincident_sites_of_different_species_are_reported() {
    // pymatgen refuses the file (site occupancy above 1).
    let (e, f, n, _, _) = read_one("coincident_sites.cif");
    assert_eq!((f.as_str(), n), ("FeCoO", 3));
    assert_eq!(
        e.notes,
        ["atoms 1 (Fe) and 2 (Co) are 0.000 Å apart: coincident sites of different species (a disordered site written as two?)"]
    );
}

#[test]
fn journal_text_stray_values_and_missing_angles_are_skipped_with_notes() {
    // pymatgen refuses the file ("Invalid CIF file with no structures!"); its content is
    // rock salt: NaCl, 8 atoms, 5.64³ = 179.4061 Å³, Fm-3m (225).
    let (e, f, n, v, sg) = read_one("sloppy_journal.cif");
    assert_eq!((f.as_str(), n, sg), ("NaCl", 8, Some(225)));
    assert!((v - 179.4061).abs() < 1e-3, "{v}");
    assert_eq!(
        e.notes,
        [
            "skipped text before the first data_ block (from line 1)",
            "skipped the stray value \"chloride\" on line 3 (unquoted text with spaces?)",
            "no _cell_angle_alpha: 90° assumed",
            "no _cell_angle_beta: 90° assumed",
            "no _cell_angle_gamma: 90° assumed",
        ]
    );
}

#[test]
fn empty_sites_are_dropped_with_a_note() {
    // pymatgen: CsCl, 2 atoms, 70.0874 Å³, Pm-3m (221).
    let (e, f, n, v, sg) = read_one("zero_occupancy.cif");
    assert_eq!((f.as_str(), n, sg), ("CsCl", 2, Some(221)));
    assert!((v - 70.0874).abs() < 1e-3, "{v}");
    assert_eq!(e.notes, ["dropped site \"Li1\": occupancy 0"]);
}
