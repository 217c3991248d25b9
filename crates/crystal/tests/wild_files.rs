//! Files as they come from databases and journals (issue "Real files from the wild"): each
//! fixture in `tests/data/wild/` is read to the structure pymatgen 2026.10.24 reads
//! (`CifParser(f).parse_structures(primitive=False)`, formula, atoms, volume in Å³, space
//! group at symprec 0.1), or refused with the message asserted here. Where pymatgen reads a
//! fixture wrongly, the comment says so and the expected values follow the file's own
//! chemistry.

use crystal::io::{read_any, read_any_with, read_cif};
use crystal::limits::{CellLimits, Disorder};
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
    assert_eq!((f.as_str(), n), ("FeH2O", 4));
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
    let (e, f, n, _, sg) = read_one("old_notation_pm3m.cif");
    assert_eq!((f.as_str(), n, sg), ("SrTiO3", 5, Some(221)));
    // pymatgen takes the old notation for P1 (1 atom of each site): we say what we read.
    assert_eq!(
        e.notes,
        ["space group symbol \"P m 3 m\" read as Pm-3m (221)"]
    );
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

/// The one structure of `name` read with `--disorder`, or its error message.
fn read_with_disorder(name: &str, disorder: Disorder) -> Result<crystal::Entry, String> {
    let limits = CellLimits {
        disorder,
        ..CellLimits::default()
    };
    let mut rows = read_any_with(&wild(name), &limits).map_err(|e| e.to_string())?;
    assert_eq!(rows.len(), 1, "{name}");
    rows.remove(0).map_err(|e| e.to_string())
}

#[test]
fn a_site_shared_by_two_species_is_refused_by_default_and_read_as_its_majority_on_request() {
    // pymatgen: Al1 Fe0.6 Co0.4, 2 sites, 24.6422 Å³, disordered.
    let e = read_with_disorder("fe_co_al_disordered.cif", Disorder::Refuse).unwrap_err();
    assert!(
        e.ends_with(
            "fe_co_al_disordered.cif:19: site \"Fe1\" (Fe 0.6) + \"Co1\" (Co 0.4): 2 species \
             share one position (occupancies sum to 1): disordered structures are refused by \
             default; --disorder majority keeps Fe"
        ),
        "{e}"
    );
    let e = read_with_disorder("fe_co_al_disordered.cif", Disorder::Majority).unwrap();
    let c = &e.crystal;
    assert_eq!((c.reduced_formula().as_str(), c.num_atoms()), ("AlFe", 2));
    assert!((c.volume_a3() - 24.6422).abs() < 1e-3);
    assert_eq!(space_group(c, 0.1).unwrap().number, 221);
    assert_eq!(
        e.notes,
        ["--disorder majority: site \"Fe1\" (Fe 0.6) + \"Co1\" (Co 0.4) read as Fe (1 atom)"]
    );
}

#[test]
fn a_partly_empty_site_is_refused_under_every_disorder_choice() {
    // pymatgen: Na2 Cl4 (8 sites, Na half occupied), disordered.
    for d in [Disorder::Refuse, Disorder::Majority] {
        let e = read_with_disorder("half_empty_site.cif", d).unwrap_err();
        assert!(
            e.ends_with(
                "half_empty_site.cif:18: partial occupancy 0.5 on site \"Na1\" (Na 0.5): a \
                 partly empty site is not an ordered structure (refused under every --disorder)"
            ),
            "{d:?}: {e}"
        );
    }
}

#[test]
fn half_occupied_sites_that_symmetry_puts_on_one_another_are_one_atom() {
    // pymatgen: H3C, 4 atoms, 336.0 Å³, ordered; Pm (6).
    let (e, f, n, v, sg) = read_one("split_hydrogen_mirror.cif");
    assert_eq!((f.as_str(), n, sg), ("H3C", 4, Some(6)));
    assert!((v - 336.0).abs() < 1e-9);
    assert_eq!(
        e.notes,
        [
            "sites \"H2\" (H 0.5) + \"H2A\" (H 0.5) fall on one position under symmetry: read as \
          one H site, occupancies added (2 atoms)"
        ]
    );
}

#[test]
fn icsd_dot_coordinates_are_zero_with_a_note() {
    // pymatgen: KMnF3, 5 atoms, 73.4811 Å³, Pm-3m (221).
    let (e, f, n, v, sg) = read_one("icsd_dot_coordinates.cif");
    assert_eq!((f.as_str(), n, sg), ("KMnF3", 5, Some(221)));
    assert!((v - 73.4811).abs() < 1e-3, "{v}");
    assert_eq!(
        e.notes,
        ["5 coordinates written `.` read as 0 (as ICSD writes zero)"]
    );
}

#[test]
fn a_non_standard_centring_of_a_known_symbol_adds_its_translations() {
    // pymatgen: CuCl, 8 atoms, 204.8997 Å³, P-1 (2).
    let (e, f, n, v, sg) = read_one("a_centred_triclinic.cif");
    assert_eq!((f.as_str(), n, sg), ("CuCl", 8, Some(2)));
    assert!((v - 204.8997).abs() < 1e-3, "{v}");
    assert_eq!(
        e.notes,
        [
            "space group \"A -1\" is not a standard setting: read as P-1 (2) with the A \
          centring translations added"
        ]
    );
}

#[test]
fn dummy_sites_are_skipped_with_a_note() {
    // pymatgen: FeC2 (it drops the `.`-typed site), 3 atoms, 210 Å³.
    let (e, f, n, v, _) = read_one("dummy_centroid.cif");
    assert_eq!((f.as_str(), n), ("FeC2", 3));
    assert!((v - 210.0).abs() < 1e-9);
    assert_eq!(
        e.notes,
        ["skipped 1 dummy site (_atom_site_calc_flag dum): Cg1"]
    );
}
