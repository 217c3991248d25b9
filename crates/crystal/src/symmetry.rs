//! Space groups, through moyo (the Rust successor of spglib).
//!
//! [`space_group`] finds the space-group type of a structure within a distance
//! tolerance `symprec` in Å (moyo's unit is that of the lattice). [`operations_for_number`]
//! and [`number_from_symbol`] give the operations of a space-group type in its standard
//! (spglib default) setting, for files that name a space group but list no operations.
//!
//! moyo's search does not end on some nearly flat cells: when the tolerance is a sizeable
//! fraction of the shortest lattice translation of an anisotropic cell, the lattice
//! "rotations" it accepts generate an infinite set and it fills memory (a 4 Å rhombohedral
//! cell at 119.9°, whose shortest translation a + b + c is 0.38 Å, reached 8 GB). So
//! [`space_group`] first checks the cell against [`CellLimits`] and the tolerance against
//! the Niggli-reduced cell ([`tolerance_fits_cell`]), and answers "not determined" with the
//! reason instead of calling moyo on a cell it cannot finish.

use crate::error::CrystalError;
use crate::geometry::{matrix, norm, rows_of};
use crate::limits::CellLimits;
use crate::structure::Crystal;
use moyo::base::{Cell, Lattice as MoyoLattice};
use moyo::data::{hall_symbol_entry, operations_from_number, Setting};
use moyo::MoyoDataset;
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

/// The default symmetry tolerance, in Å.
pub const DEFAULT_SYMPREC_A: f64 = 0.1;

/// A space-group type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceGroup {
    /// International Tables number, 1–230.
    pub number: u8,
    /// Hermann–Mauguin symbol, short notation without spaces (e.g. `Fm-3m`).
    pub symbol: String,
}

fn to_cell(c: &Crystal) -> Cell {
    let r = c.lattice().rows();
    let lattice = MoyoLattice::new(matrix(r));
    let positions = c
        .frac_coords()
        .iter()
        .map(|f| Vector3::new(f[0], f[1], f[2]))
        .collect();
    let numbers = c.species().iter().map(|e| e.z() as i32).collect();
    Cell::new(lattice, positions, numbers)
}

/// moyo is not run when the tolerance exceeds this fraction of the shortest translation
/// of the Niggli-reduced cell while its longest reduced vector is more than
/// [`GUARD_ANISOTROPY`] times the shortest. Measured over rhombohedral cells of 2–100 Å at
/// 110–119.995° and tolerances of 0.003–0.3 Å (300 runs, 1 s each): no search failed to end
/// below 0.05 at any anisotropy; the first failures were at 0.07 (anisotropy 23) and at
/// anisotropy 3.3. Real crystals sit far inside: hcp Be (shortest translation 2.29 Å)
/// at 0.1 Å is 0.044.
pub const GUARD_SYMPREC_OVER_SHORTEST: f64 = 0.05;
/// See [`GUARD_SYMPREC_OVER_SHORTEST`].
pub const GUARD_ANISOTROPY: f64 = 2.5;
/// moyo is never run when the tolerance exceeds this fraction of the shortest translation.
pub const GUARD_SYMPREC_OVER_SHORTEST_ANY: f64 = 0.25;

/// Whether moyo's search can be trusted to end on `c` at `symprec_a` Å: the cell is within
/// [`CellLimits::default`] and the tolerance is small beside its shortest translation (see
/// [`GUARD_SYMPREC_OVER_SHORTEST`]). The error is the reason, for "space group: not
/// determined (reason)".
pub fn tolerance_fits_cell(c: &Crystal, symprec_a: f64) -> Result<(), String> {
    if !(symprec_a.is_finite() && symprec_a > 0.0) {
        return Err(format!("tolerance {symprec_a} Å is not a positive number"));
    }
    CellLimits::default().check(c).map_err(|v| v.to_string())?;
    // Every lattice vector is at least as long as the smallest cell height: when that
    // height already passes, so does the shortest translation (no reduction needed).
    let min_height = 1.0
        / c.lattice()
            .reciprocal_lengths()
            .into_iter()
            .fold(0.0, f64::max);
    if symprec_a / min_height <= GUARD_SYMPREC_OVER_SHORTEST {
        return Ok(());
    }
    let (reduced, _) = MoyoLattice::new(matrix(c.lattice().rows())).unchecked_niggli_reduce();
    let lengths = rows_of(&reduced.basis.transpose()).map(norm);
    let shortest = lengths.iter().copied().fold(f64::INFINITY, f64::min);
    let longest = lengths.iter().copied().fold(0.0, f64::max);
    let ratio = symprec_a / shortest;
    if !ratio.is_finite()
        || ratio > GUARD_SYMPREC_OVER_SHORTEST_ANY
        || (ratio > GUARD_SYMPREC_OVER_SHORTEST && longest / shortest > GUARD_ANISOTROPY)
    {
        return Err(format!(
            "tolerance {symprec_a} Å is too coarse for the shortest lattice translation \
             {shortest:.3} Å of this {:.1}:1 cell",
            longest / shortest
        ));
    }
    Ok(())
}

/// The space-group type of `c` within `symprec_a` Å. Cells on which moyo's search may not
/// end (see [`tolerance_fits_cell`]) are an error naming the reason.
pub fn space_group(c: &Crystal, symprec_a: f64) -> Result<SpaceGroup, CrystalError> {
    tolerance_fits_cell(c, symprec_a).map_err(CrystalError::Symmetry)?;
    let ds = MoyoDataset::with_default(&to_cell(c), symprec_a)
        .map_err(|e| CrystalError::Symmetry(format!("{e:?} (symprec {symprec_a} Å)")))?;
    Ok(SpaceGroup {
        number: ds.number as u8,
        // Written without spaces, as pymatgen does: `Fd-3m`, `P4_2/mnm`.
        symbol: ds.hm_symbol.replace(' ', ""),
    })
}

/// A crystal as a symmetrized CIF holds it: moyo's standardized conventional cell (lattice
/// and positions refined to the symmetry found), the operations of its space group in that
/// cell, and one atom per orbit.
#[derive(Debug, Clone)]
pub struct Symmetrized {
    /// The space-group type found.
    pub space_group: SpaceGroup,
    /// Hall number (1–530) of the setting `operations` are in: the standard (spglib)
    /// setting of the group.
    pub hall_number: i32,
    /// The standardized conventional cell, every atom; row i of its lattice matrix is
    /// lattice vector i, in Å.
    pub conventional: Crystal,
    /// The group's operations on `conventional`'s fractional coordinates.
    pub operations: Vec<FracOp>,
    /// The asymmetric unit: per orbit, the index in `conventional` of its first atom and
    /// the orbit's size (the site multiplicity), in order of first atom.
    pub asymmetric_unit: Vec<(usize, usize)>,
}

/// Images of a site closer than this (Å) are one atom when orbits are formed.
const ORBIT_TOLERANCE_A: f64 = 0.01;

/// `c` standardized and reduced to its asymmetric unit within `symprec_a` Å (see
/// [`Symmetrized`]); an error when moyo finds no symmetry (see [`space_group`]) or the
/// operations do not map the refined cell onto itself.
pub fn symmetrize(c: &Crystal, symprec_a: f64) -> Result<Symmetrized, CrystalError> {
    tolerance_fits_cell(c, symprec_a).map_err(CrystalError::Symmetry)?;
    let ds = MoyoDataset::with_default(&to_cell(c), symprec_a).map_err(|e| {
        CrystalError::Symmetry(format!(
            "no space group found within {symprec_a} Å (moyo: {e:?}; atoms closer than the \
             tolerance, or a tolerance too coarse for the cell?)"
        ))
    })?;
    let std = &ds.std_cell;
    let lattice = crate::lattice::Lattice::new(rows_of(&std.lattice.basis.transpose()))?;
    let species = std
        .numbers
        .iter()
        .map(|&z| crate::elements::Element::from_z(z as u8))
        .collect::<Result<Vec<_>, _>>()?;
    let frac: Vec<[f64; 3]> = std
        .positions
        .iter()
        .map(|p| [p[0], p[1], p[2]].map(crate::geometry::wrap_frac))
        .collect();
    let conventional = Crystal::new(lattice, species, frac)?;
    let operations = operations_for_hall(ds.hall_number)?;
    let asymmetric_unit = orbits(&conventional, &operations)?;
    Ok(Symmetrized {
        space_group: SpaceGroup {
            number: ds.number as u8,
            symbol: ds.hm_symbol.replace(' ', ""),
        },
        hall_number: ds.hall_number,
        conventional,
        operations,
        asymmetric_unit,
    })
}

/// One (first atom, orbit size) per orbit of `ops` on `c`'s atoms; an error when an image
/// of an atom is no atom of its species.
fn orbits(c: &Crystal, ops: &[FracOp]) -> Result<Vec<(usize, usize)>, CrystalError> {
    use crate::geometry::{norm2, reduce_diff, sub};
    let (frac, species) = (c.frac_coords(), c.species());
    let tol2 = ORBIT_TOLERANCE_A * ORBIT_TOLERANCE_A;
    let mut covered = vec![false; frac.len()];
    let mut out = Vec::new();
    for i in 0..frac.len() {
        if covered[i] {
            continue;
        }
        let mut orbit: Vec<usize> = Vec::new();
        for (rot, t) in ops {
            let p = frac[i];
            let q: [f64; 3] =
                std::array::from_fn(|r| (0..3).map(|k| rot[r][k] * p[k]).sum::<f64>() + t[r]);
            let j = (0..frac.len())
                .find(|&j| {
                    species[j] == species[i]
                        && norm2(c.lattice().frac_to_cart(reduce_diff(sub(q, frac[j])))) < tol2
                })
                .ok_or_else(|| {
                    CrystalError::Symmetry(format!(
                        "an image of atom {} ({}) is no atom of the standardized cell",
                        i + 1,
                        species[i].symbol()
                    ))
                })?;
            if !orbit.contains(&j) {
                orbit.push(j);
                covered[j] = true;
            }
        }
        out.push((i, orbit.len()));
    }
    Ok(out)
}

/// A symmetry operation in fractional coordinates: x' = R·x + t.
pub type FracOp = ([[f64; 3]; 3], [f64; 3]);

/// The operations of space group `number` (1–230) in its conventional cell, standard
/// setting.
pub fn operations_for_number(number: u8) -> Result<Vec<FracOp>, CrystalError> {
    operations_in(number, Setting::Spglib)
}

/// The operations of the setting with Hall number `hall` (1–530; see [`hall_from_symbol`]).
pub fn operations_for_hall(hall: i32) -> Result<Vec<FracOp>, CrystalError> {
    let e = hall_symbol_entry(hall)
        .ok_or_else(|| CrystalError::Symmetry(format!("Hall number {hall} is not 1–530")))?;
    operations_in(e.number as u8, Setting::HallNumber(hall))
}

fn operations_in(number: u8, setting: Setting) -> Result<Vec<FracOp>, CrystalError> {
    let ops = operations_from_number(number as i32, setting, false)
        .map_err(|e| CrystalError::Symmetry(format!("space group {number}: {e:?}")))?;
    Ok(ops
        .iter()
        .map(|op| {
            let r = op.rotation;
            let rot = [0, 1, 2].map(|i| [0, 1, 2].map(|j| r[(i, j)] as f64));
            let t = op.translation;
            (rot, [t[0], t[1], t[2]])
        })
        .collect())
}

/// A Hermann–Mauguin symbol reduced for comparison: lower case, without spaces,
/// underscores and parentheses (`P 2(1)/c` and `P2_1/c` alike), without a trailing
/// `{…}` remark.
fn normalise_symbol(s: &str) -> String {
    s.split('{')
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '(' | ')'))
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The setting (Hall number, 1–530) a Hermann–Mauguin symbol names, in any of the usual
/// spellings: short or full notation, with or without spaces and underscores (`P m -3 m`,
/// `Fd-3m`, `P 1 21/n 1`, `P2(1)/c`), the pre-1983 notation without bars (`P m 3 m`), and a
/// setting suffix: `:H` / `:R` (hexagonal or rhombohedral axes), `:1` / `:2` (origin
/// choice). Without a suffix, a short symbol names the standard setting of its group when
/// that setting has this symbol (`P2_1/c`), else the first setting that has it (`P2_1/n`);
/// `rhombohedral_axes` picks `:R` for an R group whose cell is given on rhombohedral axes.
pub fn hall_from_symbol(symbol: &str, rhombohedral_axes: bool) -> Option<i32> {
    let norm = normalise_symbol(symbol);
    let (body, suffix) = match norm.split_once(':') {
        Some((b, s)) => (b.to_string(), Some(s.to_string())),
        None => (norm, None),
    };
    let find = |body: &str, strip_bars: bool| -> Option<i32> {
        let key = |s: &str| {
            let n = normalise_symbol(s);
            if strip_bars {
                n.replace('-', "")
            } else {
                n
            }
        };
        let want = if strip_bars {
            body.replace('-', "")
        } else {
            body.to_string()
        };
        let suffix_ok = |e: &moyo::data::HallSymbolEntry| match suffix.as_deref() {
            Some(sfx) => e.setting.eq_ignore_ascii_case(sfx),
            None if e.setting.eq_ignore_ascii_case("r") => rhombohedral_axes,
            None if e.setting.eq_ignore_ascii_case("h") => !rhombohedral_axes,
            None => true,
        };
        // moyo's short symbol of a monoclinic setting is the standard one (`P 2_1/c` for
        // all nine settings of group 14); the setting's own short symbol is its full symbol
        // without the 1s (`P 1 2_1/n 1` → `P 2_1/n`; unique axis b comes first).
        let monoclinic_short = |e: &moyo::data::HallSymbolEntry| {
            (3..=15).contains(&e.number).then(|| {
                e.hm_full
                    .split_whitespace()
                    .filter(|t| *t != "1")
                    .collect::<String>()
            })
        };
        let matches: Vec<moyo::data::HallSymbolEntry> = (1..=530)
            .filter_map(hall_symbol_entry)
            .filter(|e| {
                (key(e.hm_short) == want
                    || key(e.hm_full) == want
                    || monoclinic_short(e).is_some_and(|m| key(&m) == want))
                    && suffix_ok(e)
            })
            .collect();
        let first = matches.first()?;
        if matches.iter().any(|e| e.number != first.number) {
            return None; // ambiguous (only possible without bars)
        }
        // A full-symbol match names its setting exactly; else the standard setting when it
        // matches, else the first.
        let full = matches
            .iter()
            .find(|e| key(e.hm_full) == want && key(e.hm_short) != want);
        let standard = Setting::Spglib
            .hall_numbers()
            .get(first.number as usize - 1)
            .copied();
        full.or_else(|| matches.iter().find(|e| Some(e.hall_number) == standard))
            .or(Some(first))
            .map(|e| e.hall_number)
    };
    find(&body, false)
        .or_else(|| find(&body, true))
        .or_else(|| legacy_e_glide(&body, |b| find(b, false)))
}

/// The groups whose double glide is written `e` since 2002 (Cmce, Cmme, Ccce, Aem2, Aea2 in
/// any setting) under their older names (`C m c a`, `C m m a`, `C c c a`, `A b m 2`,
/// `A b a 2`, `B b c m`, …): one glide letter after the lattice letter read as `e`, when
/// exactly one group answers.
fn legacy_e_glide(body: &str, find: impl Fn(&str) -> Option<i32>) -> Option<i32> {
    let chars: Vec<char> = body.chars().collect();
    let mut found: Vec<i32> = (1..chars.len())
        .filter(|&i| matches!(chars[i], 'a' | 'b' | 'c'))
        .filter_map(|i| {
            let mut c = chars.clone();
            c[i] = 'e';
            find(&c.into_iter().collect::<String>())
        })
        .collect();
    found.dedup();
    match found.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// The setting (Hall number) of a Hall symbol (`-F 4vw 2vw 3`), spaces and case ignored.
pub fn hall_from_hall_symbol(symbol: &str) -> Option<i32> {
    let key = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '_')
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let want = key(symbol);
    (1..=530)
        .filter_map(hall_symbol_entry)
        .find(|e| key(e.hall_symbol) == want)
        .map(|e| e.hall_number)
}

/// The space-group number named by a Hermann–Mauguin symbol (see [`hall_from_symbol`]).
pub fn number_from_symbol(symbol: &str) -> Option<u8> {
    hall_from_symbol(symbol, false)
        .and_then(hall_symbol_entry)
        .map(|e| e.number as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{bcc_fe, diamond_c, fcc_al};
    use crate::test_support::el;

    #[test]
    fn symmetrized_cells_hold_one_atom_per_wyckoff_orbit() {
        // Textbook: diamond is Fd-3m (227), all atoms on 8a; rock salt is Fm-3m (225), Na
        // on 4a and Cl on 4b; perovskite SrTiO3 is Pm-3m (221), O on 3c/3d.
        let rock_salt = Crystal::new(
            crate::lattice::Lattice::from_parameters(3.988, 3.988, 3.988, 60.0, 60.0, 60.0)
                .unwrap(),
            vec![el("Na"), el("Cl")],
            vec![[0.0; 3], [0.5; 3]],
        )
        .unwrap();
        for (c, number, atoms, multiplicities) in [
            (diamond_c(), 227, 8, vec![8]),
            (rock_salt, 225, 8, vec![4, 4]),
            (crate::demo::srtio3(), 221, 5, vec![1, 1, 3]),
            (fcc_al(), 225, 4, vec![4]),
        ] {
            let s = symmetrize(&c, 0.1).unwrap();
            assert_eq!(s.space_group.number, number);
            assert_eq!(s.conventional.num_atoms(), atoms);
            let mut m: Vec<usize> = s.asymmetric_unit.iter().map(|a| a.1).collect();
            m.sort_unstable();
            assert_eq!(m, multiplicities, "{number}");
            assert_eq!(s.operations.len(), if number == 221 { 48 } else { 192 });
            // The conventional cell has the input's density.
            assert!((s.conventional.density_g_cm3() - c.density_g_cm3()).abs() < 1e-6);
        }
    }

    #[test]
    fn symbols_in_their_usual_spellings_name_their_settings() {
        let hall = |s: &str| hall_from_symbol(s, false);
        for (s, h) in [
            ("P2_1/c", 81),
            ("P 21/c", 81),
            ("P2(1)/c", 81),
            ("P 1 21/c 1", 81),
            ("P 21/n", 82),
            ("P 1 21/n 1", 82),
            ("P 21/a", 83),
            ("P n m a", 292),
            ("Pbnm", 294),
            ("R 3 :H", 433),
            ("R 3:R", 434),
            ("R -3 m", 458),
            ("Fd-3m", 525),
            ("F d -3 m :2", 526),
        ] {
            assert_eq!(hall(s), Some(h), "{s}");
        }
        // Rhombohedral axes pick the R setting when the symbol has no suffix.
        assert_eq!(hall_from_symbol("R -3 m", true), Some(459));
        // The pre-1983 notation without bars, and remarks in braces.
        assert_eq!(number_from_symbol("P m 3 m"), Some(221));
        // Pre-2002 names of the e-glide groups, in their standard settings.
        for (old, new, number) in [
            ("C m c a", "C m c e", 64),
            ("Cmca", "Cmce", 64),
            ("C m m a", "C m m e", 67),
            ("C c c a", "C c c e", 68),
            ("A b m 2", "A e m 2", 39),
            ("A b a 2", "A e a 2", 41),
        ] {
            let hall = hall_from_symbol(old, false);
            assert_eq!(hall, hall_from_symbol(new, false), "{old}");
            assert_eq!(
                hall_symbol_entry(hall.unwrap()).unwrap().number,
                number,
                "{old}"
            );
        }
        assert_eq!(number_from_symbol("F d 3 m"), Some(227));
        assert_eq!(number_from_symbol("F d -3 m {origin at -3m}"), Some(227));
        // Without bars, P 3 is P3 (143), never P-3 (147).
        assert_eq!(number_from_symbol("P 3"), Some(143));
        assert_eq!(number_from_symbol("A -1"), None);
        // Hall symbols name the setting exactly: Fd-3m origin choice 2.
        assert_eq!(hall_from_hall_symbol("-F 4vw 2vw 3"), Some(526));
        assert_eq!(hall_from_hall_symbol("-P 2yn"), Some(82));
        assert_eq!(hall_from_hall_symbol("P 9"), None);
        assert_eq!(number_from_symbol("Q 42"), None);
    }

    #[test]
    fn textbook_space_groups() {
        assert_eq!(space_group(&fcc_al(), 0.1).unwrap().number, 225);
        assert_eq!(space_group(&bcc_fe(), 0.1).unwrap().number, 229);
        let d = space_group(&diamond_c(), 0.1).unwrap();
        assert_eq!(d.number, 227);
        assert_eq!(d.symbol, "Fd-3m");
    }

    fn build(l: crate::Lattice, sites: &[(&str, [f64; 3])]) -> Crystal {
        Crystal::new(
            l,
            sites.iter().map(|s| el(s.0)).collect(),
            sites.iter().map(|s| s.1).collect(),
        )
        .unwrap()
    }

    /// Textbook structures: rock salt, rutile, wurtzite, CsCl and a triclinic cell.
    #[test]
    fn textbook_structures() {
        use crate::pbc::min_distance;
        use crate::Lattice;
        let h = 0.5;
        let nacl = build(
            Lattice::cubic(5.64).unwrap(),
            &[
                ("Na", [0.0, 0.0, 0.0]),
                ("Na", [h, h, 0.0]),
                ("Na", [h, 0.0, h]),
                ("Na", [0.0, h, h]),
                ("Cl", [h, 0.0, 0.0]),
                ("Cl", [0.0, h, 0.0]),
                ("Cl", [0.0, 0.0, h]),
                ("Cl", [h, h, h]),
            ],
        );
        assert_eq!(space_group(&nacl, 0.1).unwrap().number, 225);
        assert!((min_distance(&nacl) - 2.82).abs() < 1e-9);

        let x = 0.3053;
        let rutile = build(
            Lattice::from_parameters(4.594, 4.594, 2.959, 90.0, 90.0, 90.0).unwrap(),
            &[
                ("Ti", [0.0, 0.0, 0.0]),
                ("Ti", [h, h, h]),
                ("O", [x, x, 0.0]),
                ("O", [-x, -x, 0.0]),
                ("O", [h + x, h - x, h]),
                ("O", [h - x, h + x, h]),
            ],
        );
        let sg = space_group(&rutile, 0.1).unwrap();
        assert_eq!((sg.number, sg.symbol.as_str()), (136, "P4_2/mnm"));

        let u = 0.382;
        let wurtzite = build(
            Lattice::from_parameters(3.25, 3.25, 5.207, 90.0, 90.0, 120.0).unwrap(),
            &[
                ("Zn", [1.0 / 3.0, 2.0 / 3.0, 0.0]),
                ("Zn", [2.0 / 3.0, 1.0 / 3.0, h]),
                ("O", [1.0 / 3.0, 2.0 / 3.0, u]),
                ("O", [2.0 / 3.0, 1.0 / 3.0, h + u]),
            ],
        );
        assert_eq!(space_group(&wurtzite, 0.1).unwrap().number, 186);

        let cscl = build(
            Lattice::cubic(4.12).unwrap(),
            &[("Cs", [0.0; 3]), ("Cl", [h, h, h])],
        );
        assert_eq!(space_group(&cscl, 0.1).unwrap().number, 221);

        let triclinic = build(
            Lattice::from_parameters(3.1, 4.7, 5.3, 77.0, 95.5, 112.0).unwrap(),
            &[("Si", [0.1, 0.2, 0.3]), ("O", [0.55, 0.4, 0.8])],
        );
        assert_eq!(space_group(&triclinic, 0.1).unwrap().number, 1);
    }

    use crate::Lattice;

    fn rhombohedral(a: f64, angle: f64) -> Crystal {
        build(
            Lattice::from_parameters(a, a, a, angle, angle, angle).unwrap(),
            &[("Na", [0.0; 3])],
        )
    }

    /// The issue's reproducer (8 GB in 60 s, then an abort) ends in a reason; the
    /// measured boundary of the guard; real crystals unaffected.
    #[test]
    fn cells_moyo_cannot_finish_are_not_determined() {
        let e = space_group(&rhombohedral(4.0, 119.9), 0.1).unwrap_err();
        assert!(
            e.to_string()
                .contains("too coarse for the shortest lattice translation 0.381 Å"),
            "{e}"
        );
        // The same cell at a tolerance 1/20 of its shortest translation is searched.
        assert_eq!(
            space_group(&rhombohedral(4.0, 119.9), 0.01).unwrap().number,
            166
        );
        // A mildly sheared cell at the default tolerance is searched.
        assert_eq!(
            space_group(&rhombohedral(10.0, 119.0), 0.1).unwrap().number,
            166
        );
        // Outside the cell limits: the limit is the reason.
        let flat = build(
            Lattice::from_parameters(4.0, 4.0, 0.01, 90.0, 90.0, 90.0).unwrap(),
            &[("Na", [0.0; 3])],
        );
        let e = space_group(&flat, 0.1).unwrap_err().to_string();
        assert!(e.contains("cell length c = 0.01 Å is under 0.1 Å"), "{e}");
        assert!(space_group(&fcc_al(), f64::NAN).is_err());
    }

    /// A long layered cell (3 × 3 × 60 Å) and hcp Be (the shortest translation among the
    /// elements, 2.29 Å) at the default tolerance: still searched.
    #[test]
    fn anisotropic_real_cells_are_searched() {
        let slab = build(
            Lattice::from_parameters(3.0, 3.0, 60.0, 90.0, 90.0, 120.0).unwrap(),
            &[("Mo", [0.0; 3]), ("S", [1.0 / 3.0, 2.0 / 3.0, 0.026])],
        );
        assert_eq!(space_group(&slab, 0.1).unwrap().number, 156);
        let be = build(
            Lattice::from_parameters(2.29, 2.29, 3.58, 90.0, 90.0, 120.0).unwrap(),
            &[
                ("Be", [1.0 / 3.0, 2.0 / 3.0, 0.25]),
                ("Be", [2.0 / 3.0, 1.0 / 3.0, 0.75]),
            ],
        );
        assert_eq!(space_group(&be, 0.1).unwrap().number, 194);
    }

    #[test]
    fn symbols_and_operations() {
        assert_eq!(number_from_symbol("F m -3 m"), Some(225));
        assert_eq!(number_from_symbol("P4_2/mnm"), Some(136));
        assert_eq!(number_from_symbol("P 1"), Some(1));
        assert_eq!(number_from_symbol("Q 7"), None);
        assert_eq!(operations_for_number(1).unwrap().len(), 1);
        // Fm-3m: 48 point operations × 4 centring translations.
        assert_eq!(operations_for_number(225).unwrap().len(), 192);
        assert!(operations_for_number(231).is_err());
    }
}
