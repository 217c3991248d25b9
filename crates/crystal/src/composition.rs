//! Compositional validity, as the crystal-generation literature scores it.
//!
//! CDVAE and DiffCSP call a composition valid when SMACT finds a charge-neutral
//! assignment of oxidation states that also passes the Pauling electronegativity test
//! (every cation less electronegative than every anion), with two shortcuts: a single
//! element is valid, and so is any all-metal composition (an alloy).
//!
//! Ours differs in one documented way: the oxidation states are the *common* states of
//! [`Element::oxidation_states`] (pymatgen's list), where SMACT uses its longer list of
//! all known states; a few exotic compositions that SMACT accepts through a rare state
//! are therefore invalid here. An element with no Pauling electronegativity fails the
//! Pauling test when it carries a charge.

use crate::elements::Element;
use crate::structure::Crystal;

/// Valid by SMACT's rules (see the module docs).
pub fn composition_valid(c: &Crystal) -> bool {
    counts_valid(&c.composition())
}

/// The same test on element counts.
pub fn counts_valid(comp: &[(Element, usize)]) -> bool {
    if comp.len() <= 1 {
        return true;
    }
    if comp.iter().all(|(e, _)| e.is_metal()) {
        return true;
    }
    let states: Vec<&[i8]> = comp.iter().map(|(e, _)| e.oxidation_states()).collect();
    if states.iter().any(|s| s.is_empty()) {
        return false;
    }
    let mut choice = vec![0usize; comp.len()];
    loop {
        let charge: i64 = comp
            .iter()
            .zip(&choice)
            .zip(&states)
            .map(|(((_, n), &k), s)| s[k] as i64 * *n as i64)
            .sum();
        if charge == 0 && pauling_ok(comp, &choice, &states) {
            return true;
        }
        // Next combination (odometer).
        let mut i = 0;
        loop {
            if i == choice.len() {
                return false;
            }
            choice[i] += 1;
            if choice[i] < states[i].len() {
                break;
            }
            choice[i] = 0;
            i += 1;
        }
    }
}

fn pauling_ok(comp: &[(Element, usize)], choice: &[usize], states: &[&[i8]]) -> bool {
    let mut max_cation = f64::NEG_INFINITY;
    let mut min_anion = f64::INFINITY;
    for (((e, _), &k), s) in comp.iter().zip(choice).zip(states) {
        let ox = s[k];
        if ox == 0 {
            continue;
        }
        let Some(x) = e.electronegativity() else {
            return false;
        };
        if ox > 0 {
            max_cation = max_cation.max(x);
        } else {
            min_anion = min_anion.min(x);
        }
    }
    max_cation < min_anion
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(s: &[(&str, usize)]) -> Vec<(Element, usize)> {
        s.iter()
            .map(|&(e, n)| (Element::from_symbol(e).unwrap(), n))
            .collect()
    }

    #[test]
    fn textbook_compositions() {
        assert!(counts_valid(&comp(&[("Sr", 1), ("Ti", 1), ("O", 3)])));
        assert!(counts_valid(&comp(&[("Na", 1), ("Cl", 1)])));
        assert!(counts_valid(&comp(&[("Fe", 2), ("O", 3)])));
        assert!(counts_valid(&comp(&[("Fe", 1), ("O", 1)])));
        assert!(counts_valid(&comp(&[("C", 8)])));
        // All metals: an alloy.
        assert!(counts_valid(&comp(&[("Cu", 3), ("Au", 1)])));
        // Not charge balanced with common states.
        assert!(!counts_valid(&comp(&[("Na", 2), ("Cl", 1)])));
        assert!(!counts_valid(&comp(&[("Sr", 1), ("Ti", 1), ("O", 2)])));
        // Balanced only with the anion less electronegative than the cation: O(+2)F(-1)2
        // is excluded when O has no positive common state; Cl2O balanced as Cl(+1)O(-2).
        assert!(counts_valid(&comp(&[("Cl", 2), ("O", 1)])));
    }
}
