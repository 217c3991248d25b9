//! Chemical elements: symbols, atomic numbers, standard atomic weights, covalent radii,
//! electronegativities, common oxidation states and metallic character.
//!
//! [`Element`] is a validated atomic number (1–118). All data live in one table,
//! one row per element, indexed by Z − 1. The values were entered by hand from the
//! published tables below.
//!
//! * **Atomic mass** ([`Element::atomic_mass`]): IUPAC/CIAAW 2021 standard atomic
//!   weights in their conventional (abridged) form, in g/mol (= u per atom); for
//!   elements with no stable isotope the mass number of the longest-lived isotope is
//!   used, as pymatgen and ASE do. Source: CIAAW, "Standard atomic weights of the
//!   elements 2021", Pure Appl. Chem. 94, 573 (2022).
//! * **Covalent radius** ([`Element::covalent_radius`]): single-bond covalent radii in
//!   Å from B. Cordero, V. Gómez, A. E. Platero-Prats, M. Revés, J. Echeverría,
//!   E. Cremades, F. Barragán and S. Alvarez, "Covalent radii revisited", Dalton
//!   Trans. 2008, 2832–2838, doi:10.1039/b801115j (Table 2). Where that table gives
//!   several values we take C sp³ (0.76) and the *high-spin* radii of Mn (1.61),
//!   Fe (1.52) and Co (1.50) (low spin: 1.39, 1.32, 1.26; note that ASE's
//!   `ase.data.covalent_radii` uses the low-spin ones). The table stops at Cm (Z = 96);
//!   heavier elements have no value (`None`), where ASE puts a placeholder.
//! * **Electronegativity** ([`Element::electronegativity`]): Pauling scale as tabulated
//!   in the CRC Handbook of Chemistry and Physics ("Electronegativity of the
//!   elements") and WebElements, i.e. the values pymatgen exposes as `Element.X`.
//!   He, Ne and Ar (no compounds) and Rf–Og have none; Kr (3.00), Xe (2.60) and
//!   Rn (2.2) do.
//! * **Oxidation states** ([`Element::oxidation_states`]): the *common* oxidation states
//!   (the highlighted states of WebElements / Greenwood & Earnshaw, "Chemistry of the
//!   Elements", 2nd ed. 1997), the set pymatgen exposes as
//!   `Element.common_oxidation_states`, with two deliberate differences suited to
//!   charge balancing in inorganic crystals: C is {−4, +4} (recent pymatgen lists every
//!   state from −4 to +4, 0 included), and the noble gases (Kr, Xe included) have none.
//! * **Metals** ([`Element::is_metal`]): pymatgen's `Element.is_metal` classes (alkali,
//!   alkaline-earth, transition metals incl. Rf–Cn, lanthanides La–Lu, actinides
//!   Ac–Lr, post-transition Al, Ga, In, Sn, Tl, Pb, Bi) plus the post-transition
//!   superheavies Nh, Fl, Mc and Lv. The metalloids B, Si, Ge, As, Sb, Te and Po are
//!   *not* metals, nor are Ts and Og.

use crate::error::CrystalError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One element's data; see the module documentation for sources and units.
struct Row {
    symbol: &'static str,
    /// Standard atomic weight, g/mol.
    mass: f64,
    /// Cordero single-bond covalent radius, Å.
    covalent_radius: Option<f64>,
    /// Pauling electronegativity.
    electronegativity: Option<f64>,
    /// Common oxidation states, ascending.
    oxidation_states: &'static [i8],
    metal: bool,
}

const fn row(
    symbol: &'static str,
    mass: f64,
    covalent_radius: Option<f64>,
    electronegativity: Option<f64>,
    oxidation_states: &'static [i8],
    metal: bool,
) -> Row {
    Row {
        symbol,
        mass,
        covalent_radius,
        electronegativity,
        oxidation_states,
        metal,
    }
}

const M: bool = true; // metal
const N: bool = false; // non-metal or metalloid

/// Element data indexed by atomic number − 1:
/// symbol, atomic weight, covalent radius, electronegativity, oxidation states, metal.
#[rustfmt::skip]
const TABLE: [Row; 118] = [
    row("H",  1.008,         Some(0.31), Some(2.20), &[-1, 1],           N),
    row("He", 4.002602,      Some(0.28), None,       &[],                N),
    row("Li", 6.94,          Some(1.28), Some(0.98), &[1],               M),
    row("Be", 9.0121831,     Some(0.96), Some(1.57), &[2],               M),
    row("B",  10.81,         Some(0.84), Some(2.04), &[3],               N),
    row("C",  12.011,        Some(0.76), Some(2.55), &[-4, 4],           N),
    row("N",  14.007,        Some(0.71), Some(3.04), &[-3, 3, 5],        N),
    row("O",  15.999,        Some(0.66), Some(3.44), &[-2],              N),
    row("F",  18.998403163,  Some(0.57), Some(3.98), &[-1],              N),
    row("Ne", 20.1797,       Some(0.58), None,       &[],                N),
    row("Na", 22.98976928,   Some(1.66), Some(0.93), &[1],               M),
    row("Mg", 24.305,        Some(1.41), Some(1.31), &[2],               M),
    row("Al", 26.9815385,    Some(1.21), Some(1.61), &[3],               M),
    row("Si", 28.085,        Some(1.11), Some(1.90), &[-4, 4],           N),
    row("P",  30.973761998,  Some(1.07), Some(2.19), &[-3, 3, 5],        N),
    row("S",  32.06,         Some(1.05), Some(2.58), &[-2, 2, 4, 6],     N),
    row("Cl", 35.45,         Some(1.02), Some(3.16), &[-1, 1, 3, 5, 7],  N),
    row("Ar", 39.948,        Some(1.06), None,       &[],                N),
    row("K",  39.0983,       Some(2.03), Some(0.82), &[1],               M),
    row("Ca", 40.078,        Some(1.76), Some(1.00), &[2],               M),
    row("Sc", 44.955908,     Some(1.70), Some(1.36), &[3],               M),
    row("Ti", 47.867,        Some(1.60), Some(1.54), &[4],               M),
    row("V",  50.9415,       Some(1.53), Some(1.63), &[5],               M),
    row("Cr", 51.9961,       Some(1.39), Some(1.66), &[3, 6],            M),
    row("Mn", 54.938044,     Some(1.61), Some(1.55), &[2, 4, 7],         M),
    row("Fe", 55.845,        Some(1.52), Some(1.83), &[2, 3],            M),
    row("Co", 58.933194,     Some(1.50), Some(1.88), &[2, 3],            M),
    row("Ni", 58.6934,       Some(1.24), Some(1.91), &[2],               M),
    row("Cu", 63.546,        Some(1.32), Some(1.90), &[2],               M),
    row("Zn", 65.38,         Some(1.22), Some(1.65), &[2],               M),
    row("Ga", 69.723,        Some(1.22), Some(1.81), &[3],               M),
    row("Ge", 72.630,        Some(1.20), Some(2.01), &[-4, 2, 4],        N),
    row("As", 74.921595,     Some(1.19), Some(2.18), &[-3, 3, 5],        N),
    row("Se", 78.971,        Some(1.20), Some(2.55), &[-2, 2, 4, 6],     N),
    row("Br", 79.904,        Some(1.20), Some(2.96), &[-1, 1, 3, 5],     N),
    row("Kr", 83.798,        Some(1.16), Some(3.00), &[],                N),
    row("Rb", 85.4678,       Some(2.20), Some(0.82), &[1],               M),
    row("Sr", 87.62,         Some(1.95), Some(0.95), &[2],               M),
    row("Y",  88.90584,      Some(1.90), Some(1.22), &[3],               M),
    row("Zr", 91.224,        Some(1.75), Some(1.33), &[4],               M),
    row("Nb", 92.90637,      Some(1.64), Some(1.60), &[5],               M),
    row("Mo", 95.95,         Some(1.54), Some(2.16), &[4, 6],            M),
    row("Tc", 98.0,          Some(1.47), Some(1.90), &[4, 7],            M),
    row("Ru", 101.07,        Some(1.46), Some(2.20), &[3, 4],            M),
    row("Rh", 102.90550,     Some(1.42), Some(2.28), &[3],               M),
    row("Pd", 106.42,        Some(1.39), Some(2.20), &[2, 4],            M),
    row("Ag", 107.8682,      Some(1.45), Some(1.93), &[1],               M),
    row("Cd", 112.414,       Some(1.44), Some(1.69), &[2],               M),
    row("In", 114.818,       Some(1.42), Some(1.78), &[3],               M),
    row("Sn", 118.710,       Some(1.39), Some(1.96), &[-4, 2, 4],        M),
    row("Sb", 121.760,       Some(1.39), Some(2.05), &[-3, 3, 5],        N),
    row("Te", 127.60,        Some(1.38), Some(2.10), &[-2, 2, 4, 6],     N),
    row("I",  126.90447,     Some(1.39), Some(2.66), &[-1, 1, 3, 5, 7],  N),
    row("Xe", 131.293,       Some(1.40), Some(2.60), &[],                N),
    row("Cs", 132.90545196,  Some(2.44), Some(0.79), &[1],               M),
    row("Ba", 137.327,       Some(2.15), Some(0.89), &[2],               M),
    row("La", 138.90547,     Some(2.07), Some(1.10), &[3],               M),
    row("Ce", 140.116,       Some(2.04), Some(1.12), &[3, 4],            M),
    row("Pr", 140.90766,     Some(2.03), Some(1.13), &[3],               M),
    row("Nd", 144.242,       Some(2.01), Some(1.14), &[3],               M),
    row("Pm", 145.0,         Some(1.99), Some(1.13), &[3],               M),
    row("Sm", 150.36,        Some(1.98), Some(1.17), &[3],               M),
    row("Eu", 151.964,       Some(1.98), Some(1.20), &[2, 3],            M),
    row("Gd", 157.25,        Some(1.96), Some(1.20), &[3],               M),
    row("Tb", 158.92535,     Some(1.94), Some(1.10), &[3],               M),
    row("Dy", 162.500,       Some(1.92), Some(1.22), &[3],               M),
    row("Ho", 164.93033,     Some(1.92), Some(1.23), &[3],               M),
    row("Er", 167.259,       Some(1.89), Some(1.24), &[3],               M),
    row("Tm", 168.93422,     Some(1.90), Some(1.25), &[3],               M),
    row("Yb", 173.045,       Some(1.87), Some(1.10), &[3],               M),
    row("Lu", 174.9668,      Some(1.87), Some(1.27), &[3],               M),
    row("Hf", 178.49,        Some(1.75), Some(1.30), &[4],               M),
    row("Ta", 180.94788,     Some(1.70), Some(1.50), &[5],               M),
    row("W",  183.84,        Some(1.62), Some(2.36), &[4, 6],            M),
    row("Re", 186.207,       Some(1.51), Some(1.90), &[4, 7],            M),
    row("Os", 190.23,        Some(1.44), Some(2.20), &[4],               M),
    row("Ir", 192.217,       Some(1.41), Some(2.20), &[3, 4],            M),
    row("Pt", 195.084,       Some(1.36), Some(2.28), &[2, 4],            M),
    row("Au", 196.966569,    Some(1.36), Some(2.54), &[3],               M),
    row("Hg", 200.592,       Some(1.32), Some(2.00), &[1, 2],            M),
    row("Tl", 204.38,        Some(1.45), Some(1.62), &[1, 3],            M),
    row("Pb", 207.2,         Some(1.46), Some(2.33), &[2, 4],            M),
    row("Bi", 208.98040,     Some(1.48), Some(2.02), &[3],               M),
    row("Po", 209.0,         Some(1.40), Some(2.00), &[-2, 2, 4],        N),
    row("At", 210.0,         Some(1.50), Some(2.20), &[-1, 1],           N),
    row("Rn", 222.0,         Some(1.50), Some(2.20), &[],                N),
    row("Fr", 223.0,         Some(2.60), Some(0.70), &[1],               M),
    row("Ra", 226.0,         Some(2.21), Some(0.90), &[2],               M),
    row("Ac", 227.0,         Some(2.15), Some(1.10), &[3],               M),
    row("Th", 232.0377,      Some(2.06), Some(1.30), &[4],               M),
    row("Pa", 231.03588,     Some(2.00), Some(1.50), &[5],               M),
    row("U",  238.02891,     Some(1.96), Some(1.38), &[6],               M),
    row("Np", 237.0,         Some(1.90), Some(1.36), &[5],               M),
    row("Pu", 244.0,         Some(1.87), Some(1.28), &[4],               M),
    row("Am", 243.0,         Some(1.80), Some(1.30), &[3],               M),
    row("Cm", 247.0,         Some(1.69), Some(1.30), &[3],               M),
    row("Bk", 247.0,         None,       Some(1.30), &[3],               M),
    row("Cf", 251.0,         None,       Some(1.30), &[3],               M),
    row("Es", 252.0,         None,       Some(1.30), &[3],               M),
    row("Fm", 257.0,         None,       Some(1.30), &[3],               M),
    row("Md", 258.0,         None,       Some(1.30), &[3],               M),
    row("No", 259.0,         None,       Some(1.30), &[3],               M),
    row("Lr", 262.0,         None,       Some(1.30), &[3],               M),
    row("Rf", 267.0,         None,       None,       &[4],               M),
    row("Db", 268.0,         None,       None,       &[],                M),
    row("Sg", 269.0,         None,       None,       &[],                M),
    row("Bh", 270.0,         None,       None,       &[],                M),
    row("Hs", 269.0,         None,       None,       &[],                M),
    row("Mt", 278.0,         None,       None,       &[],                M),
    row("Ds", 281.0,         None,       None,       &[],                M),
    row("Rg", 282.0,         None,       None,       &[],                M),
    row("Cn", 285.0,         None,       None,       &[],                M),
    row("Nh", 286.0,         None,       None,       &[],                M),
    row("Fl", 289.0,         None,       None,       &[],                M),
    row("Mc", 290.0,         None,       None,       &[],                M),
    row("Lv", 293.0,         None,       None,       &[],                M),
    row("Ts", 294.0,         None,       None,       &[],                N),
    row("Og", 294.0,         None,       None,       &[],                N),
];

/// A chemical element, stored as its atomic number (1 = H … 118 = Og).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Element(u8);

impl Element {
    /// The element with atomic number `z` (1–118).
    pub fn from_z(z: u8) -> Result<Self, CrystalError> {
        if (1..=118).contains(&z) {
            Ok(Element(z))
        } else {
            Err(CrystalError::UnknownElement(format!("atomic number {z}")))
        }
    }

    /// The element with this symbol; the case of the letters is not significant
    /// (`Fe`, `FE` and `fe` all give iron).
    pub fn from_symbol(symbol: &str) -> Result<Self, CrystalError> {
        let s = symbol.trim();
        TABLE
            .iter()
            .position(|row| row.symbol.eq_ignore_ascii_case(s))
            .map(|i| Element(i as u8 + 1))
            .ok_or_else(|| CrystalError::UnknownElement(format!("symbol {s:?}")))
    }

    /// Atomic number Z.
    pub fn z(self) -> u8 {
        self.0
    }

    /// Chemical symbol, e.g. `"Fe"`.
    pub fn symbol(self) -> &'static str {
        self.row().symbol
    }

    /// Standard atomic weight in g/mol (numerically, atomic mass in u).
    pub fn atomic_mass(self) -> f64 {
        self.row().mass
    }

    /// Single-bond covalent radius in Å (Cordero et al. 2008), or `None` beyond Cm
    /// (Z > 96), for which that table has no value.
    ///
    /// Carbon is the sp³ radius (0.76 Å); Mn, Fe and Co are the *high-spin* radii
    /// (1.61, 1.52, 1.50 Å), not the low-spin ones (1.39, 1.32, 1.26 Å) that ASE uses.
    pub fn covalent_radius(self) -> Option<f64> {
        self.row().covalent_radius
    }

    /// Pauling electronegativity (CRC Handbook values, as pymatgen's `Element.X`), or
    /// `None` for He, Ne, Ar and for Rf–Og, which have no tabulated value.
    pub fn electronegativity(self) -> Option<f64> {
        self.row().electronegativity
    }

    /// Common oxidation states in ascending order, e.g. `[-2]` for O and `[2, 3]` for
    /// Fe; empty for the noble gases and for superheavy elements with none known.
    /// These are pymatgen's `common_oxidation_states` except C = {−4, +4} and no
    /// states for Kr and Xe (see the module documentation).
    pub fn oxidation_states(self) -> &'static [i8] {
        self.row().oxidation_states
    }

    /// Whether the element is a metal: alkali and alkaline-earth metals, transition
    /// metals (groups 3–12, Rf–Cn included), lanthanides, actinides and the
    /// post-transition metals Al, Ga, In, Sn, Tl, Pb, Bi, Nh, Fl, Mc and Lv.
    /// Metalloids (B, Si, Ge, As, Sb, Te, Po) are not metals; neither are Ts and Og.
    pub fn is_metal(self) -> bool {
        self.row().metal
    }

    fn row(self) -> &'static Row {
        &TABLE[self.0 as usize - 1]
    }
}

impl TryFrom<u8> for Element {
    type Error = CrystalError;
    fn try_from(z: u8) -> Result<Self, Self::Error> {
        Element::from_z(z)
    }
}

impl From<Element> for u8 {
    fn from(e: Element) -> u8 {
        e.0
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_and_numbers_round_trip_for_all_118() {
        for z in 1..=118u8 {
            let e = Element::from_z(z).unwrap();
            assert_eq!(Element::from_symbol(e.symbol()).unwrap(), e);
            assert!(e.atomic_mass() > 0.0);
        }
        // Masses increase with Z except for the known inversions (Ar/K, Co/Ni, Te/I, Th/Pa, U/Np ...).
        assert!(Element::from_z(119).is_err());
        assert!(Element::from_z(0).is_err());
    }

    #[test]
    fn textbook_values() {
        assert_eq!(Element::from_symbol("Fe").unwrap().z(), 26);
        assert_eq!(Element::from_symbol("al").unwrap().symbol(), "Al");
        assert_eq!(Element::from_z(6).unwrap().atomic_mass(), 12.011);
        assert_eq!(Element::from_z(118).unwrap().symbol(), "Og");
        assert!(Element::from_symbol("Xx").is_err());
    }

    fn el(symbol: &str) -> Element {
        Element::from_symbol(symbol).unwrap()
    }

    #[test]
    fn covalent_radii_textbook_values() {
        assert_eq!(el("C").covalent_radius(), Some(0.76));
        assert_eq!(el("Si").covalent_radius(), Some(1.11));
        assert_eq!(el("O").covalent_radius(), Some(0.66));
        assert_eq!(el("Fe").covalent_radius(), Some(1.52)); // high spin
        assert_eq!(el("Mn").covalent_radius(), Some(1.61));
        assert_eq!(el("Co").covalent_radius(), Some(1.50));
        assert_eq!(el("Cm").covalent_radius(), Some(1.69));
        assert_eq!(el("Bk").covalent_radius(), None);
    }

    #[test]
    fn covalent_radius_for_every_element_up_to_cm() {
        for z in 1..=118u8 {
            let e = Element::from_z(z).unwrap();
            match e.covalent_radius() {
                Some(r) => {
                    assert!(z <= 96, "{e} should have no Cordero radius");
                    assert!(r > 0.0 && r < 3.0, "{e}: {r}");
                }
                None => assert!(z > 96, "{e} has no covalent radius"),
            }
        }
    }

    #[test]
    fn electronegativity_textbook_values() {
        assert_eq!(el("O").electronegativity(), Some(3.44));
        assert_eq!(el("F").electronegativity(), Some(3.98));
        assert_eq!(el("Na").electronegativity(), Some(0.93));
        assert_eq!(el("He").electronegativity(), None);
        assert_eq!(el("Ne").electronegativity(), None);
        assert_eq!(el("Ar").electronegativity(), None);
        assert_eq!(el("Kr").electronegativity(), Some(3.00));
        assert_eq!(el("Xe").electronegativity(), Some(2.60));
        // F is the most electronegative element; every value lies on the Pauling range.
        for z in 1..=118u8 {
            if let Some(x) = Element::from_z(z).unwrap().electronegativity() {
                assert!((0.7..=3.98).contains(&x), "Z = {z}: {x}");
            }
        }
    }

    #[test]
    fn oxidation_states_textbook_values() {
        assert_eq!(el("O").oxidation_states(), &[-2]);
        assert_eq!(el("Sr").oxidation_states(), &[2]);
        assert_eq!(el("Ti").oxidation_states(), &[4]);
        assert_eq!(el("Fe").oxidation_states(), &[2, 3]);
        assert_eq!(el("N").oxidation_states(), &[-3, 3, 5]);
        assert_eq!(el("C").oxidation_states(), &[-4, 4]);
        assert_eq!(el("Cl").oxidation_states(), &[-1, 1, 3, 5, 7]);
        for gas in ["He", "Ne", "Ar", "Kr", "Xe", "Rn", "Og"] {
            assert!(el(gas).oxidation_states().is_empty(), "{gas}");
        }
        for z in 1..=118u8 {
            let states = Element::from_z(z).unwrap().oxidation_states();
            assert!(
                states.windows(2).all(|w| w[0] < w[1]),
                "Z = {z}: {states:?}"
            );
            assert!(!states.contains(&0), "Z = {z}");
        }
    }

    #[test]
    fn metals_and_non_metals() {
        for m in ["Fe", "Al", "Na", "Ba", "La", "U", "Sn", "Bi", "Cn", "Lv"] {
            assert!(el(m).is_metal(), "{m} is a metal");
        }
        for n in [
            "O", "Si", "H", "B", "Ge", "As", "Sb", "Te", "Po", "At", "Ts", "Og",
        ] {
            assert!(!el(n).is_metal(), "{n} is not a metal");
        }
        // Not metals: 18 non-metals and 7 metalloids up to Rn, plus Ts and Og.
        let metals = (1..=118u8)
            .filter(|&z| Element::from_z(z).unwrap().is_metal())
            .count();
        assert_eq!(metals, 118 - 27);
    }
}
