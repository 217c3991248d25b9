//! Chemical elements: symbols, atomic numbers and standard atomic weights.
//!
//! [`Element`] is a validated atomic number (1–118). Masses are the IUPAC/CIAAW 2021
//! standard atomic weights in their conventional (abridged) form, in g/mol (= u per
//! atom); for elements with no stable isotope the mass number of the longest-lived
//! isotope is used, as pymatgen and ASE do. Source: CIAAW, "Standard atomic weights of
//! the elements 2021", Pure Appl. Chem. 94, 573 (2022).

use crate::error::CrystalError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Symbol and standard atomic weight (g/mol), indexed by atomic number − 1.
const TABLE: [(&str, f64); 118] = [
    ("H", 1.008),
    ("He", 4.002602),
    ("Li", 6.94),
    ("Be", 9.0121831),
    ("B", 10.81),
    ("C", 12.011),
    ("N", 14.007),
    ("O", 15.999),
    ("F", 18.998403163),
    ("Ne", 20.1797),
    ("Na", 22.98976928),
    ("Mg", 24.305),
    ("Al", 26.9815385),
    ("Si", 28.085),
    ("P", 30.973761998),
    ("S", 32.06),
    ("Cl", 35.45),
    ("Ar", 39.948),
    ("K", 39.0983),
    ("Ca", 40.078),
    ("Sc", 44.955908),
    ("Ti", 47.867),
    ("V", 50.9415),
    ("Cr", 51.9961),
    ("Mn", 54.938044),
    ("Fe", 55.845),
    ("Co", 58.933194),
    ("Ni", 58.6934),
    ("Cu", 63.546),
    ("Zn", 65.38),
    ("Ga", 69.723),
    ("Ge", 72.630),
    ("As", 74.921595),
    ("Se", 78.971),
    ("Br", 79.904),
    ("Kr", 83.798),
    ("Rb", 85.4678),
    ("Sr", 87.62),
    ("Y", 88.90584),
    ("Zr", 91.224),
    ("Nb", 92.90637),
    ("Mo", 95.95),
    ("Tc", 98.0),
    ("Ru", 101.07),
    ("Rh", 102.90550),
    ("Pd", 106.42),
    ("Ag", 107.8682),
    ("Cd", 112.414),
    ("In", 114.818),
    ("Sn", 118.710),
    ("Sb", 121.760),
    ("Te", 127.60),
    ("I", 126.90447),
    ("Xe", 131.293),
    ("Cs", 132.90545196),
    ("Ba", 137.327),
    ("La", 138.90547),
    ("Ce", 140.116),
    ("Pr", 140.90766),
    ("Nd", 144.242),
    ("Pm", 145.0),
    ("Sm", 150.36),
    ("Eu", 151.964),
    ("Gd", 157.25),
    ("Tb", 158.92535),
    ("Dy", 162.500),
    ("Ho", 164.93033),
    ("Er", 167.259),
    ("Tm", 168.93422),
    ("Yb", 173.045),
    ("Lu", 174.9668),
    ("Hf", 178.49),
    ("Ta", 180.94788),
    ("W", 183.84),
    ("Re", 186.207),
    ("Os", 190.23),
    ("Ir", 192.217),
    ("Pt", 195.084),
    ("Au", 196.966569),
    ("Hg", 200.592),
    ("Tl", 204.38),
    ("Pb", 207.2),
    ("Bi", 208.98040),
    ("Po", 209.0),
    ("At", 210.0),
    ("Rn", 222.0),
    ("Fr", 223.0),
    ("Ra", 226.0),
    ("Ac", 227.0),
    ("Th", 232.0377),
    ("Pa", 231.03588),
    ("U", 238.02891),
    ("Np", 237.0),
    ("Pu", 244.0),
    ("Am", 243.0),
    ("Cm", 247.0),
    ("Bk", 247.0),
    ("Cf", 251.0),
    ("Es", 252.0),
    ("Fm", 257.0),
    ("Md", 258.0),
    ("No", 259.0),
    ("Lr", 262.0),
    ("Rf", 267.0),
    ("Db", 268.0),
    ("Sg", 269.0),
    ("Bh", 270.0),
    ("Hs", 269.0),
    ("Mt", 278.0),
    ("Ds", 281.0),
    ("Rg", 282.0),
    ("Cn", 285.0),
    ("Nh", 286.0),
    ("Fl", 289.0),
    ("Mc", 290.0),
    ("Lv", 293.0),
    ("Ts", 294.0),
    ("Og", 294.0),
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
            .position(|(sym, _)| sym.eq_ignore_ascii_case(s))
            .map(|i| Element(i as u8 + 1))
            .ok_or_else(|| CrystalError::UnknownElement(format!("symbol {s:?}")))
    }

    /// Atomic number Z.
    pub fn z(self) -> u8 {
        self.0
    }

    /// Chemical symbol, e.g. `"Fe"`.
    pub fn symbol(self) -> &'static str {
        TABLE[self.0 as usize - 1].0
    }

    /// Standard atomic weight in g/mol (numerically, atomic mass in u).
    pub fn atomic_mass(self) -> f64 {
        TABLE[self.0 as usize - 1].1
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
}
