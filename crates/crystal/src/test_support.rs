//! Structures shared by the unit tests of several modules.

use crate::{Crystal, Element, Lattice};

/// The element with this symbol.
pub fn el(s: &str) -> Element {
    Element::from_symbol(s).unwrap()
}

/// A triclinic SrTiO3-like cell whose species are interleaved (O, Sr, O, Ti, O), so that
/// writers which group species must reorder them.
pub fn mixed_triclinic() -> Crystal {
    Crystal::new(
        Lattice::from_parameters(3.1, 4.7, 5.3, 77.0, 95.5, 112.0).unwrap(),
        vec![el("O"), el("Sr"), el("O"), el("Ti"), el("O")],
        vec![
            [0.5, 0.5, 0.0],
            [0.0, 0.0, 0.0],
            [0.5, 0.1, 0.5],
            [0.5, 0.5, 0.5],
            [0.0, 0.5, 0.7],
        ],
    )
    .unwrap()
}

/// Rocksalt NaCl, conventional cell (8 atoms).
pub fn nacl() -> Crystal {
    let mut species = Vec::new();
    let mut frac = Vec::new();
    for f in [
        [0.0, 0.0, 0.0],
        [0.5, 0.5, 0.0],
        [0.5, 0.0, 0.5],
        [0.0, 0.5, 0.5],
    ] {
        species.push(el("Na"));
        frac.push(f);
        species.push(el("Cl"));
        frac.push([f[0] + 0.5, f[1], f[2]]);
    }
    Crystal::new(Lattice::cubic(5.64).unwrap(), species, frac).unwrap()
}
