//! The crystal structure type: a lattice and any number of atoms.
//!
//! [`Crystal`] holds species and fractional coordinates of the atoms in one periodic
//! cell. It is validated on construction (matching lengths, finite numbers, at least one
//! atom) and holds any number of atoms; padding to a fixed size is a detail of a model's
//! batching, never of the data.

use crate::elements::Element;
use crate::error::CrystalError;
use crate::geometry::gcd;
use crate::lattice::Lattice;
use serde::{Deserialize, Serialize};

/// Wraps a fractional coordinate into [0, 1): defined in [`crate::geometry`], re-exported
/// here where callers have always found it.
pub use crate::geometry::wrap_frac;

/// Avogadro-free conversion: 1 u/Å³ = 1.66053906660 g/cm³ (CODATA 2018 atomic mass
/// constant 1.66053906660e-24 g, 1 Å³ = 1e-24 cm³).
pub const AMU_PER_A3_TO_G_PER_CM3: f64 = 1.660_539_066_60;

/// A periodic crystal structure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Crystal {
    lattice: Lattice,
    species: Vec<Element>,
    /// Fractional coordinates, one row per atom, in units of the lattice vectors.
    frac_coords: Vec<[f64; 3]>,
}

impl Crystal {
    /// A crystal from a lattice, species and fractional coordinates (any real values;
    /// they are kept as given, see [`Crystal::wrapped`]).
    pub fn new(
        lattice: Lattice,
        species: Vec<Element>,
        frac_coords: Vec<[f64; 3]>,
    ) -> Result<Self, CrystalError> {
        if species.len() != frac_coords.len() {
            return Err(CrystalError::InvalidStructure(format!(
                "{} species but {} coordinates",
                species.len(),
                frac_coords.len()
            )));
        }
        if species.is_empty() {
            return Err(CrystalError::InvalidStructure("no atoms".into()));
        }
        if let Some(i) = frac_coords
            .iter()
            .position(|f| f.iter().any(|x| !x.is_finite()))
        {
            return Err(CrystalError::InvalidStructure(format!(
                "atom {i} has a non-finite coordinate {:?}",
                frac_coords[i]
            )));
        }
        Ok(Crystal {
            lattice,
            species,
            frac_coords,
        })
    }

    /// A crystal from Cartesian positions (Å).
    pub fn from_cart(
        lattice: Lattice,
        species: Vec<Element>,
        cart_coords: &[[f64; 3]],
    ) -> Result<Self, CrystalError> {
        let frac = cart_coords
            .iter()
            .map(|&r| lattice.cart_to_frac(r))
            .collect();
        Crystal::new(lattice, species, frac)
    }

    /// The cell.
    pub fn lattice(&self) -> &Lattice {
        &self.lattice
    }

    /// Species of each atom.
    pub fn species(&self) -> &[Element] {
        &self.species
    }

    /// Fractional coordinates of each atom.
    pub fn frac_coords(&self) -> &[[f64; 3]] {
        &self.frac_coords
    }

    /// Number of atoms in the cell.
    pub fn num_atoms(&self) -> usize {
        self.species.len()
    }

    /// Cartesian positions (Å).
    pub fn cart_coords(&self) -> Vec<[f64; 3]> {
        self.frac_coords
            .iter()
            .map(|&f| self.lattice.frac_to_cart(f))
            .collect()
    }

    /// The same structure with every fractional coordinate wrapped into [0, 1).
    pub fn wrapped(&self) -> Crystal {
        let frac_coords = self.frac_coords.iter().map(|f| f.map(wrap_frac)).collect();
        Crystal {
            lattice: self.lattice,
            species: self.species.clone(),
            frac_coords,
        }
    }

    /// The same atoms in another cell of the same fractional coordinates.
    pub fn with_lattice(&self, lattice: Lattice) -> Crystal {
        Crystal {
            lattice,
            ..self.clone()
        }
    }

    /// Cell volume in Å³.
    pub fn volume_a3(&self) -> f64 {
        self.lattice.volume()
    }

    /// Total mass of the cell's atoms in u.
    pub fn mass_amu(&self) -> f64 {
        self.species.iter().map(|e| e.atomic_mass()).sum()
    }

    /// Density in g/cm³ from standard atomic weights.
    pub fn density_g_cm3(&self) -> f64 {
        self.mass_amu() / self.volume_a3() * AMU_PER_A3_TO_G_PER_CM3
    }

    /// Element counts in order of first appearance.
    pub fn composition(&self) -> Vec<(Element, usize)> {
        let mut out: Vec<(Element, usize)> = Vec::new();
        for &e in &self.species {
            match out.iter_mut().find(|(x, _)| *x == e) {
                Some((_, n)) => *n += 1,
                None => out.push((e, 1)),
            }
        }
        out
    }

    /// Full formula of the cell, e.g. `Al4` or `Sr1Ti1O3` written as `SrTiO3`.
    pub fn formula(&self) -> String {
        format_formula(&self.composition())
    }

    /// Formula units in the cell: the greatest common divisor of the element counts
    /// (4 for an Al4 cell, 1 for SrTiO3).
    pub fn formula_units(&self) -> usize {
        self.composition().iter().fold(0, |g, &(_, n)| gcd(g, n))
    }

    /// Reduced formula as pymatgen writes it (`Composition.reduced_formula`): `Al` for an
    /// Al4 cell; elements in order of Pauling electronegativity, then symbol (elements
    /// without one last: `LiHe`); when there are three or more elements and the last two
    /// differ by less than 1.65 in electronegativity, they are a polyanion, written in
    /// brackets when it repeats (`KMnF3`, `LiFePO4`, `Fe2(SO4)3`, `ZnP3C6(NO6)2`); peroxides
    /// and diatomic elements keep their pair (`Li2O2`, `O2`, `H2`), as pymatgen's
    /// `special_formulas`.
    pub fn reduced_formula(&self) -> String {
        let f = self.reduced_formula_unspecial();
        // pymatgen does not fully reduce peroxides and diatomic elements.
        const SPECIAL: [(&str, &str); 11] = [
            ("LiO", "Li2O2"),
            ("NaO", "Na2O2"),
            ("KO", "K2O2"),
            ("HO", "H2O2"),
            ("CsO", "Cs2O2"),
            ("RbO", "Rb2O2"),
            ("O", "O2"),
            ("N", "N2"),
            ("F", "F2"),
            ("Cl", "Cl2"),
            ("H", "H2"),
        ];
        match SPECIAL.iter().find(|(reduced, _)| *reduced == f) {
            Some((_, special)) => special.to_string(),
            None => f,
        }
    }

    fn reduced_formula_unspecial(&self) -> String {
        let g = self.formula_units();
        let mut reduced: Vec<(Element, usize)> = self
            .composition()
            .iter()
            .map(|&(e, n)| (e, n / g))
            .collect();
        electronegativity_order(&mut reduced);
        let n = reduced.len();
        let x = |e: Element| e.electronegativity();
        if n >= 3 {
            if let (Some(a), Some(b)) = (x(reduced[n - 2].0), x(reduced[n - 1].0)) {
                let repeats = gcd(reduced[n - 2].1, reduced[n - 1].1);
                if b - a < 1.65 && repeats != 1 {
                    let poly: Vec<(Element, usize)> = reduced[n - 2..]
                        .iter()
                        .map(|&(e, k)| (e, k / repeats))
                        .collect();
                    return format!(
                        "{}({}){repeats}",
                        format_formula(&reduced[..n - 2]),
                        format_formula(&poly)
                    );
                }
            }
        }
        format_formula(&reduced)
    }
}

/// Sorts by Pauling electronegativity, then symbol; elements without one last (pymatgen's
/// order).
fn electronegativity_order(comp: &mut [(Element, usize)]) {
    comp.sort_by(|a, b| {
        let x = |e: Element| e.electronegativity().unwrap_or(f64::INFINITY);
        x(a.0)
            .total_cmp(&x(b.0))
            .then_with(|| a.0.symbol().cmp(b.0.symbol()))
    });
}

fn format_formula(comp: &[(Element, usize)]) -> String {
    comp.iter()
        .map(|&(e, n)| {
            if n == 1 {
                e.symbol().to_string()
            } else {
                format!("{}{}", e.symbol(), n)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::el;
    use approx::assert_relative_eq;

    #[test]
    fn formula_and_density_of_strontium_titanate() {
        let c = crate::demo::srtio3();
        assert_eq!(c.formula(), "SrTiO3");
        assert_eq!(c.reduced_formula(), "SrTiO3");
        assert_eq!(c.formula_units(), 1);
        assert_eq!(crate::demo::diamond_c().formula_units(), 8);
        // Experimental SrTiO3 density is 5.12 g/cm3.
        assert_relative_eq!(c.density_g_cm3(), 5.12, epsilon = 0.01);
    }

    #[test]
    fn reduced_formulas_are_written_as_pymatgen_writes_them() {
        // Expected strings: pymatgen 2026.10.24, `Composition(f).reduced_formula`.
        let cases = [
            ("Fe O H2", "FeH2O"),
            ("K Mn F3", "KMnF3"),
            ("Li Fe P O4", "LiFePO4"),
            ("Zn P3 C6 N2 O12", "ZnP3C6(NO6)2"),
            ("Cr Br Cl2 N4 C10 H24", "CrH24C10Br(N2Cl)2"),
            ("Fe4 S6 O24", "Fe2(SO4)3"),
            ("Ar He2", "ArHe2"),
            ("He Li", "LiHe"),
            ("Kr Xe Ar", "XeKrAr"),
            ("C4 H16", "H4C"),
            ("Na4 Cl4", "NaCl"),
            ("Sr Ti O3", "SrTiO3"),
            ("Li2 O2", "Li2O2"),
            ("O4", "O2"),
            ("H2 O2", "H2O2"),
        ];
        for (formula, want) in cases {
            let mut species = Vec::new();
            for tok in formula.split_whitespace() {
                let sym: String = tok
                    .chars()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .collect();
                let n: usize = tok[sym.len()..].parse().unwrap_or(1);
                species.extend(std::iter::repeat_n(el(&sym), n));
            }
            let n = species.len();
            let frac = (0..n).map(|i| [i as f64 / n as f64, 0.0, 0.0]).collect();
            let c = Crystal::new(Lattice::cubic(3.0 * n as f64).unwrap(), species, frac).unwrap();
            assert_eq!(c.reduced_formula(), want, "{formula}");
        }
    }

    #[test]
    fn rejects_bad_structures() {
        let l = Lattice::cubic(3.0).unwrap();
        assert!(Crystal::new(l, vec![el("C")], vec![]).is_err());
        assert!(Crystal::new(l, vec![], vec![]).is_err());
        assert!(Crystal::new(l, vec![el("C")], vec![[f64::NAN, 0.0, 0.0]]).is_err());
    }
}
