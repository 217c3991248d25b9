//! Sanity limits on the structures read from files.
//!
//! This module owns the one definition of a sane cell: lengths and heights, volume per
//! atom, angles, coordinates before wrapping and the number of atoms, each bounded by a
//! named constant. The readers ([`crate::io`]) refuse a structure outside them with a
//! message naming the file, the structure and the value; [`crate::analysis`] skips its
//! expensive searches (space group, neighbour counts) on a generated structure outside
//! them instead of running for hours or gigabytes. Real crystals sit far inside: the
//! shortest lattice translation of any known crystal is above 2 Å, its volume per atom
//! between about 5 and 100 Å³.
//!
//! The checks are on a [`Crystal`], so every format gets the same ones; the CIF reader also
//! checks its symmetry operations ([`MAX_SYMMETRY_OPERATIONS`], closure) and the size of the
//! expanded cell before building it.

use crate::lattice::Lattice;
use crate::structure::Crystal;

/// Shortest cell length and cell height (distance between opposite faces) read, in Å.
pub const MIN_LENGTH_A: f64 = 0.1;
/// Longest cell length read, in Å.
pub const MAX_LENGTH_A: f64 = 1e4;
/// Smallest volume per atom read, in Å³.
pub const MIN_VOLUME_PER_ATOM_A3: f64 = 0.1;
/// Largest volume per atom read, in Å³ (a 21.5 Å cube per atom).
pub const MAX_VOLUME_PER_ATOM_A3: f64 = 1e4;
/// Smallest cell angle read, in degrees; the largest is 180° minus this.
pub const MIN_ANGLE_DEG: f64 = 2.0;
/// Largest |fractional coordinate| read, before wrapping into the cell.
pub const MAX_ABS_FRAC_COORD: f64 = 1e6;
/// Most atoms in one cell read (after a CIF's symmetry expansion).
pub const MAX_ATOMS: usize = 10_000;
/// Most symmetry operations a CIF may list: 192 is the order of the largest space group
/// (Fm-3m, Fd-3m, ...) in its face-centred conventional cell.
pub const MAX_SYMMETRY_OPERATIONS: usize = 192;
/// Under [`Disorder::Majority`], a site is read when its occupancies sum to 1 within this.
pub const MAJORITY_SUM_TOLERANCE: f64 = 0.05;

/// What the readers do with a partially occupied site (occupancies below 1, after the
/// sites a file puts on one position, directly or by symmetry, are added up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Disorder {
    /// Refuse the structure, naming the site (`--disorder refuse`, the default): a
    /// disordered site has no single species, and silently picking one would be wrong.
    #[default]
    Refuse,
    /// Keep each site's majority species when its occupancies sum to 1 within
    /// [`MAJORITY_SUM_TOLERANCE`], with a note naming every site changed
    /// (`--disorder majority`); a site whose occupancies sum to less (a vacancy) stays
    /// refused.
    Majority,
}

/// The limits a structure read from a file must meet, and how disordered sites are taken;
/// [`Default`] is this module's constants. Each field has a command-line flag of the same
/// name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellLimits {
    /// Shortest cell length and height, Å (`--min-length`).
    pub min_length_a: f64,
    /// Longest cell length, Å (`--max-length`).
    pub max_length_a: f64,
    /// Smallest volume per atom, Å³ (`--min-volume-per-atom`).
    pub min_volume_per_atom_a3: f64,
    /// Largest volume per atom, Å³ (`--max-volume-per-atom`).
    pub max_volume_per_atom_a3: f64,
    /// Smallest cell angle, degrees; the largest is 180° minus this (`--min-angle`).
    pub min_angle_deg: f64,
    /// Largest |fractional coordinate| before wrapping (`--max-coordinate`).
    pub max_abs_frac_coord: f64,
    /// Most atoms in one cell (`--max-atoms`).
    pub max_atoms: usize,
    /// Partially occupied sites (`--disorder`).
    pub disorder: Disorder,
}

impl Default for CellLimits {
    fn default() -> Self {
        CellLimits {
            min_length_a: MIN_LENGTH_A,
            max_length_a: MAX_LENGTH_A,
            min_volume_per_atom_a3: MIN_VOLUME_PER_ATOM_A3,
            max_volume_per_atom_a3: MAX_VOLUME_PER_ATOM_A3,
            min_angle_deg: MIN_ANGLE_DEG,
            max_abs_frac_coord: MAX_ABS_FRAC_COORD,
            max_atoms: MAX_ATOMS,
            disorder: Disorder::Refuse,
        }
    }
}

/// Which limit a structure broke, with the value, as its message prints:
/// `cell length c = 0.01 Å is under 0.1 Å (--min-length)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitViolation {
    /// What was measured ("cell length c", "volume per atom", ...).
    pub what: String,
    /// Its value.
    pub value: f64,
    /// The bound it broke.
    pub bound: f64,
    /// Whether it is above the bound (else below).
    pub above: bool,
    /// The unit of both ("Å", "Å³", "°" or "").
    pub unit: &'static str,
    /// The flag that moves the bound.
    pub flag: &'static str,
}

impl std::fmt::Display for LimitViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sep = if self.unit.is_empty() { "" } else { " " };
        let (cmp, unit) = (if self.above { "over" } else { "under" }, self.unit);
        write!(
            f,
            "{} = {}{sep}{unit} is {cmp} {}{sep}{unit} ({})",
            self.what,
            short(self.value),
            short(self.bound),
            self.flag
        )
    }
}

/// A number as a person writes it: at most six decimals, trailing zeros dropped; an
/// exponent outside 1e-3..1e15.
fn short(x: f64) -> String {
    if x == 0.0 || (1e-3..1e15).contains(&x.abs()) {
        let t = format!("{x:.6}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{x:e}")
    }
}

/// Which bound of [`CellLimits`] a value broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    MinLength,
    MaxLength,
    MinVolume,
    MaxVolume,
    MinAngle,
    MaxAngle,
    MaxCoordinate,
    MaxAtoms,
}

impl CellLimits {
    /// Checks every limit on `c`; the first one broken is the error.
    pub fn check(&self, c: &Crystal) -> Result<(), LimitViolation> {
        let n = c.num_atoms();
        if n > self.max_atoms {
            return Err(self.violation(Bound::MaxAtoms, "number of atoms".into(), n as f64));
        }
        self.check_lattice(c.lattice())?;
        let per_atom = c.lattice().volume() / n as f64;
        let what = || "volume per atom".to_string();
        if per_atom < self.min_volume_per_atom_a3 {
            return Err(self.violation(Bound::MinVolume, what(), per_atom));
        }
        if per_atom > self.max_volume_per_atom_a3 {
            return Err(self.violation(Bound::MaxVolume, what(), per_atom));
        }
        for (i, f) in c.frac_coords().iter().enumerate() {
            self.check_frac(i, *f)?;
        }
        Ok(())
    }

    /// Lengths, angles and heights of a cell, in that order.
    pub fn check_lattice(&self, l: &Lattice) -> Result<(), LimitViolation> {
        let axes = ['a', 'b', 'c'];
        for (k, len) in l.lengths().into_iter().enumerate() {
            let what = || format!("cell length {}", axes[k]);
            if len < self.min_length_a {
                return Err(self.violation(Bound::MinLength, what(), len));
            }
            if len > self.max_length_a {
                return Err(self.violation(Bound::MaxLength, what(), len));
            }
        }
        let names = ["alpha", "beta", "gamma"];
        for (k, ang) in l.angles().into_iter().enumerate() {
            let what = || format!("cell angle {}", names[k]);
            if ang.is_nan() || ang < self.min_angle_deg {
                return Err(self.violation(Bound::MinAngle, what(), ang));
            }
            if ang > 180.0 - self.min_angle_deg {
                return Err(self.violation(Bound::MaxAngle, what(), ang));
            }
        }
        for (k, rl) in l.reciprocal_lengths().into_iter().enumerate() {
            let height = 1.0 / rl;
            if height.is_nan() || height < self.min_length_a {
                let what = format!("cell height along {}", axes[k]);
                return Err(self.violation(Bound::MinLength, what, height));
            }
        }
        Ok(())
    }

    /// One atom's fractional coordinates before wrapping.
    pub fn check_frac(&self, atom: usize, f: [f64; 3]) -> Result<(), LimitViolation> {
        let axes = ['x', 'y', 'z'];
        for k in 0..3 {
            if f[k].is_nan() || f[k].abs() > self.max_abs_frac_coord {
                let what = format!("|fractional {}| of atom {}", axes[k], atom + 1);
                return Err(self.violation(Bound::MaxCoordinate, what, f[k].abs()));
            }
        }
        Ok(())
    }

    /// `value` of `what` beyond `bound`, with the bound's value, unit and flag.
    fn violation(&self, bound: Bound, what: String, value: f64) -> LimitViolation {
        let (limit, unit, flag) = match bound {
            Bound::MinLength => (self.min_length_a, "Å", "--min-length"),
            Bound::MaxLength => (self.max_length_a, "Å", "--max-length"),
            Bound::MinVolume => (self.min_volume_per_atom_a3, "Å³", "--min-volume-per-atom"),
            Bound::MaxVolume => (self.max_volume_per_atom_a3, "Å³", "--max-volume-per-atom"),
            Bound::MinAngle => (self.min_angle_deg, "°", "--min-angle"),
            Bound::MaxAngle => (180.0 - self.min_angle_deg, "°", "--min-angle"),
            Bound::MaxCoordinate => (self.max_abs_frac_coord, "", "--max-coordinate"),
            Bound::MaxAtoms => (self.max_atoms as f64, "", "--max-atoms"),
        };
        let above = !matches!(bound, Bound::MinLength | Bound::MinVolume | Bound::MinAngle);
        LimitViolation {
            what,
            value,
            bound: limit,
            above,
            unit,
            flag,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{diamond_c, fcc_al, srtio3};
    use crate::test_support::el;

    fn cell(a: f64, b: f64, c: f64, al: f64, be: f64, ga: f64, atoms: usize) -> Crystal {
        let l = Lattice::from_parameters(a, b, c, al, be, ga).unwrap();
        let frac = (0..atoms).map(|i| [i as f64 / atoms as f64; 3]).collect();
        Crystal::new(l, vec![el("Na"); atoms], frac).unwrap()
    }

    #[test]
    fn real_crystals_pass() {
        let limits = CellLimits::default();
        for c in [diamond_c(), fcc_al(), srtio3()] {
            assert_eq!(limits.check(&c), Ok(()));
        }
    }

    /// Each limit, just inside and just outside, with the message a user sees.
    #[test]
    fn each_limit_names_its_value_bound_and_flag() {
        let limits = CellLimits::default();
        let msg = |c: &Crystal| limits.check(c).unwrap_err().to_string();
        assert_eq!(
            msg(&cell(4.0, 4.0, 0.05, 90.0, 90.0, 90.0, 1)),
            "cell length c = 0.05 Å is under 0.1 Å (--min-length)"
        );
        assert_eq!(
            msg(&cell(2e4, 4.0, 4.0, 90.0, 90.0, 90.0, 100)),
            "cell length a = 20000 Å is over 10000 Å (--max-length)"
        );
        assert_eq!(
            msg(&cell(4.0, 4.0, 4.0, 90.0, 90.0, 1.0, 1)),
            "cell angle gamma = 1 ° is under 2 ° (--min-angle)"
        );
        assert!(msg(&cell(4.0, 4.0, 4.0, 90.0, 179.0, 90.0, 1)).contains("is over 178 °"));
        // 1000 Å³ for 1 atom passes; 1001 atoms in 100 Å³ do not.
        assert_eq!(
            limits.check(&cell(10.0, 10.0, 10.0, 90.0, 90.0, 90.0, 1)),
            Ok(())
        );
        assert!(msg(&cell(30.0, 30.0, 30.0, 90.0, 90.0, 90.0, 1))
            .starts_with("volume per atom = 27000 Å³ is over 10000 Å³"));
        assert!(msg(&cell(1.0, 1.0, 1.0, 90.0, 90.0, 90.0, 11))
            .starts_with("volume per atom = 0.090909 Å³ is under 0.1 Å³"));
        let mut many = cell(40.0, 40.0, 40.0, 90.0, 90.0, 90.0, 10_001);
        assert_eq!(
            msg(&many),
            "number of atoms = 10001 is over 10000 (--max-atoms)"
        );
        many = Crystal::new(
            Lattice::cubic(4.0).unwrap(),
            vec![el("Na"); 2],
            vec![[0.0; 3], [0.5, 1e7, 0.5]],
        )
        .unwrap();
        assert_eq!(
            msg(&many),
            "|fractional y| of atom 2 = 10000000 is over 1000000 (--max-coordinate)"
        );
    }

    /// The 119.9° rhombohedral cell of the issue: every length 4 Å and 5.3 Å³ per atom,
    /// but nearly flat: its heights are 0.38 Å, inside the default limits (moyo's guard in
    /// [`crate::symmetry`] handles it); a stricter height limit catches it at the reader.
    #[test]
    fn a_nearly_flat_rhombohedral_cell_is_caught_by_its_height() {
        let c = cell(4.0, 4.0, 4.0, 119.9, 119.9, 119.9, 1);
        let strict = CellLimits {
            min_length_a: 1.0,
            ..CellLimits::default()
        };
        let v = strict.check(&c).unwrap_err();
        assert!(v.what.starts_with("cell height"), "{v}");
        assert!(v.value < 1.0, "{v}");
    }

    #[test]
    fn raised_limits_let_a_structure_through() {
        let c = cell(4.0, 4.0, 0.05, 90.0, 90.0, 90.0, 1);
        let loose = CellLimits {
            min_length_a: 0.01,
            min_volume_per_atom_a3: 0.01,
            ..CellLimits::default()
        };
        assert_eq!(loose.check(&c), Ok(()));
    }
}
