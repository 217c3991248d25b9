//! Compositional validity, exactly as the crystal-generation literature scores it.
//!
//! CDVAE (Xie et al. 2022) and DiffCSP (Jiao et al. 2023) call a composition valid when
//! SMACT (Davies et al., JOSS 4, 1361, 2019) finds an assignment of oxidation states that
//! makes the cell charge neutral with its element counts and passes the Pauling test (no
//! cation at least as electronegative as an anion; a missing electronegativity passes),
//! with two shortcuts: one element is valid, and so is a composition of SMACT metals only
//! (an alloy). To give the same answers as the published numbers, this module carries the
//! data of SMACT 2.2.1 — the version CDVAE's environment pins and DiffCSP reused: its full
//! lists of known oxidation states (`oxidation_states.txt`), its Pauling
//! electronegativities and its metal list — for Z = 1 … 103, rather than the common states
//! and CRC electronegativities of [`Element`]. SMACT 3+ changed the oxidation-state lists
//! (e.g. Fe₂B and MnB are invalid with 2.2.1's, valid with 4.0's), which would shift every
//! validity-gated metric. Elements beyond Lr have no SMACT data and make a multi-element
//! composition invalid. `scripts/compare_smact.py` checks agreement with SMACT itself.

use crate::elements::Element;
use crate::structure::Crystal;

/// SMACT's data for one element: known oxidation states, Pauling electronegativity, and
/// whether it is in SMACT's metal list.
type SmactData = (&'static [i8], Option<f64>, bool);

/// [`SmactData`] by atomic number − 1, Z = 1 … 103.
const SMACT: [SmactData; 103] = [
    (&[-1, 1], Some(2.2), false),                           // H
    (&[], None, false),                                     // He
    (&[1], Some(0.98), true),                               // Li
    (&[1, 2], Some(1.57), true),                            // Be
    (&[1, 2, 3], Some(2.04), false),                        // B
    (&[-4, -3, -2, -1, 1, 2, 3, 4], Some(2.55), false),     // C
    (&[-3, -2, -1, 1, 2, 3, 4, 5], Some(3.04), false),      // N
    (&[-2, -1, 1, 2], Some(3.44), false),                   // O
    (&[-1], Some(3.98), false),                             // F
    (&[], None, false),                                     // Ne
    (&[-1, 1], Some(0.93), true),                           // Na
    (&[1, 2], Some(1.31), true),                            // Mg
    (&[1, 2, 3], Some(1.61), true),                         // Al
    (&[-4, -3, -2, -1, 1, 2, 3, 4], Some(1.9), false),      // Si
    (&[-3, -2, -1, 1, 2, 3, 4, 5], Some(2.19), false),      // P
    (&[-2, -1, 1, 2, 3, 4, 5, 6], Some(2.58), false),       // S
    (&[-1, 1, 2, 3, 4, 5, 6, 7], Some(3.16), false),        // Cl
    (&[], None, false),                                     // Ar
    (&[-1, 1], Some(0.82), true),                           // K
    (&[1, 2], Some(1.0), true),                             // Ca
    (&[1, 2, 3], Some(1.36), true),                         // Sc
    (&[-1, 1, 2, 3, 4], Some(1.54), true),                  // Ti
    (&[-1, 1, 2, 3, 4, 5], Some(1.63), true),               // V
    (&[-2, -1, 1, 2, 3, 4, 5, 6], Some(1.66), true),        // Cr
    (&[-3, -2, -1, 1, 2, 3, 4, 5, 6, 7], Some(1.55), true), // Mn
    (&[-2, -1, 1, 2, 3, 4, 5, 6], Some(1.83), true),        // Fe
    (&[-1, 1, 2, 3, 4, 5], Some(1.88), true),               // Co
    (&[-1, 1, 2, 3, 4], Some(1.91), true),                  // Ni
    (&[1, 2, 3, 4], Some(1.9), true),                       // Cu
    (&[1, 2], Some(1.65), true),                            // Zn
    (&[1, 2, 3], Some(1.81), true),                         // Ga
    (&[-4, -3, -2, -1, 1, 2, 3, 4], Some(2.01), true),      // Ge
    (&[-3, 1, 2, 3, 5], Some(2.18), false),                 // As
    (&[-2, 1, 2, 4, 6], Some(2.55), false),                 // Se
    (&[-1, 1, 2, 3, 4, 5, 7], Some(2.96), false),           // Br
    (&[2], Some(3.0), false),                               // Kr
    (&[-1, 1], Some(0.82), true),                           // Rb
    (&[1, 2], Some(0.95), true),                            // Sr
    (&[1, 2, 3], Some(1.22), true),                         // Y
    (&[1, 2, 3, 4], Some(0.33), true),                      // Zr
    (&[-1, 1, 2, 3, 4, 5], Some(1.6), true),                // Nb
    (&[-2, -1, 1, 2, 3, 4, 5, 6], Some(2.16), true),        // Mo
    (&[-3, -1, 1, 2, 3, 4, 5, 6, 7], Some(2.1), true),      // Tc
    (&[-2, 1, 2, 3, 4, 5, 6, 7, 8], Some(2.2), true),       // Ru
    (&[-1, 1, 2, 3, 4, 5, 6], Some(2.28), true),            // Rh
    (&[1, 2, 4, 6], Some(2.2), true),                       // Pd
    (&[1, 2, 3, 4], Some(1.93), true),                      // Ag
    (&[1, 2], Some(1.69), true),                            // Cd
    (&[1, 2, 3], Some(1.78), true),                         // In
    (&[-4, 2, 4], Some(1.96), true),                        // Sn
    (&[-3, 3, 5], Some(2.05), true),                        // Sb
    (&[-2, 2, 4, 5, 6], Some(2.1), false),                  // Te
    (&[-1, 1, 3, 4, 5, 7], Some(2.66), false),              // I
    (&[1, 2, 4, 6, 8], Some(2.6), false),                   // Xe
    (&[-1, 1], Some(0.79), true),                           // Cs
    (&[2], Some(0.89), true),                               // Ba
    (&[2, 3], Some(1.1), true),                             // La
    (&[2, 3, 4], Some(1.12), true),                         // Ce
    (&[2, 3, 4], Some(1.13), true),                         // Pr
    (&[2, 3, 4], Some(1.14), true),                         // Nd
    (&[2, 3], None, false),                                 // Pm
    (&[2, 3], Some(1.17), true),                            // Sm
    (&[2, 3], Some(1.2), true),                             // Eu
    (&[1, 2, 3], Some(1.2), true),                          // Gd
    (&[1, 2, 3, 4], Some(1.2), true),                       // Tb
    (&[2, 3, 4], Some(1.22), true),                         // Dy
    (&[2, 3], Some(1.23), true),                            // Ho
    (&[2, 3], Some(1.24), true),                            // Er
    (&[2, 3], Some(1.25), true),                            // Tm
    (&[2, 3], Some(1.1), true),                             // Yb
    (&[3], Some(1.0), true),                                // Lu
    (&[2, 3, 4], Some(1.3), true),                          // Hf
    (&[-1, 2, 3, 4, 5], Some(1.5), true),                   // Ta
    (&[-2, -1, 1, 2, 3, 4, 5, 6], Some(1.7), true),         // W
    (&[-3, -1, 1, 2, 3, 4, 5, 6, 7], Some(1.9), true),      // Re
    (&[-2, -1, 1, 2, 3, 4, 5, 6, 7, 8], Some(2.2), true),   // Os
    (&[-2, -1, 1, 2, 3, 4, 5, 6, 7, 8], Some(2.2), true),   // Ir
    (&[-2, -1, 1, 2, 3, 4, 5, 6], Some(2.2), true),         // Pt
    (&[-1, 1, 2, 3, 5], Some(2.4), true),                   // Au
    (&[1, 2, 4], Some(1.9), true),                          // Hg
    (&[-1, 1, 3], Some(1.8), true),                         // Tl
    (&[-4, 2, 4], Some(1.8), true),                         // Pb
    (&[-3, 1, 3, 5, 7], Some(1.9), true),                   // Bi
    (&[-2, 2, 4, 5, 6], Some(2.0), true),                   // Po
    (&[-1, 1, 3, 5, 7], Some(2.2), false),                  // At
    (&[2, 6], None, false),                                 // Rn
    (&[1], Some(0.7), true),                                // Fr
    (&[2], Some(0.9), true),                                // Ra
    (&[2, 3], Some(1.1), true),                             // Ac
    (&[2, 3, 4], Some(1.3), true),                          // Th
    (&[2, 3, 4, 5], Some(1.5), true),                       // Pa
    (&[2, 3, 4, 5, 6], Some(1.7), true),                    // U
    (&[3, 4, 5, 6, 7], Some(1.3), true),                    // Np
    (&[2, 3, 4, 5, 6, 7, 8], Some(1.3), true),              // Pu
    (&[2, 3, 4, 5, 6, 7], Some(1.3), true),                 // Am
    (&[2, 3, 4, 6, 8], Some(1.3), true),                    // Cm
    (&[2, 3, 4], Some(1.3), true),                          // Bk
    (&[2, 3, 4], Some(1.3), true),                          // Cf
    (&[2, 3, 4], Some(1.3), true),                          // Es
    (&[2, 3], Some(1.3), true),                             // Fm
    (&[2, 3], Some(1.3), true),                             // Md
    (&[2, 3], Some(1.3), true),                             // No
    (&[3], None, false),                                    // Lr
];

/// Valid by SMACT's rules (see the module docs).
pub fn composition_valid(c: &Crystal) -> bool {
    counts_valid(&c.composition())
}

/// The same test on element counts.
pub fn counts_valid(comp: &[(Element, usize)]) -> bool {
    if comp.len() <= 1 {
        return true;
    }
    let data: Option<Vec<SmactData>> = comp
        .iter()
        .map(|(e, _)| SMACT.get(e.z() as usize - 1).copied())
        .collect();
    let Some(data) = data else {
        return false;
    };
    if data.iter().all(|d| d.2) {
        return true;
    }
    if data.iter().any(|d| d.0.is_empty()) {
        return false;
    }
    let mut choice = vec![0usize; comp.len()];
    loop {
        let charge: i64 = comp
            .iter()
            .zip(&choice)
            .zip(&data)
            .map(|(((_, n), &k), d)| d.0[k] as i64 * *n as i64)
            .sum();
        if charge == 0 && pauling_ok(&choice, &data) {
            return true;
        }
        // Next combination (odometer).
        let mut i = 0;
        loop {
            if i == choice.len() {
                return false;
            }
            choice[i] += 1;
            if choice[i] < data[i].0.len() {
                break;
            }
            choice[i] = 0;
            i += 1;
        }
    }
}

/// SMACT's `eneg_states_test`: for every cation–anion pair, the cation must be strictly
/// less electronegative. A pair with an unknown electronegativity passes.
fn pauling_ok(choice: &[usize], data: &[SmactData]) -> bool {
    for (a, (da, &ka)) in data.iter().zip(choice).enumerate() {
        for (db, &kb) in data.iter().zip(choice).skip(a + 1) {
            let (oa, ob) = (da.0[ka], db.0[kb]);
            let (Some(ea), Some(eb)) = (da.1, db.1) else {
                continue;
            };
            if (oa > 0 && ob < 0 && ea >= eb) || (oa < 0 && ob > 0 && ea <= eb) {
                return false;
            }
        }
    }
    true
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
        // Not charge balanced with any known states.
        assert!(!counts_valid(&comp(&[("Na", 2), ("Cl", 1)])));
        assert!(!counts_valid(&comp(&[("Na", 1), ("F", 2)])));
        // Cl2O balances as Cl(+1) O(−2), with Cl (3.16) less electronegative than O (3.44).
        assert!(counts_valid(&comp(&[("Cl", 2), ("O", 1)])));
        // OF2 balances as O(+2) F(−1), and O (3.44) is less electronegative than F (3.98).
        assert!(counts_valid(&comp(&[("O", 1), ("F", 2)])));
        // Fe2B balances only as Fe(−1) B(+2), with the cation B (2.04) more electronegative
        // than the anion Fe (1.83): invalid with SMACT 2.2.1's data (valid with SMACT 4's).
        assert!(!counts_valid(&comp(&[("Fe", 2), ("B", 1)])));
        // Ge and Sb are SMACT metals: an alloy.
        assert!(counts_valid(&comp(&[("Ge", 1), ("Sb", 2)])));
    }
}

/// The most atoms a formula may describe (a count, a group multiplier or their product):
/// far above any cell a model takes, far below what could exhaust memory.
pub const MAX_FORMULA_ATOMS: usize = 10_000;

/// Parses a chemical formula such as `SrTiO3`, `Fe2O3` or `Ca(OH)2` into element counts
/// in order of first appearance (repeated elements are summed). Counts must be whole
/// numbers, and no count, multiplier or total may exceed [`MAX_FORMULA_ATOMS`]; an unknown
/// symbol or a count out of range is named in the error.
pub fn parse_formula(formula: &str) -> Result<Vec<(Element, usize)>, crate::CrystalError> {
    let bad =
        |why: String| crate::CrystalError::InvalidStructure(format!("formula '{formula}': {why}"));
    // The number at `i`, if any digits are there; an error for one beyond the limit.
    let number = |chars: &[char], i: &mut usize| -> Result<Option<usize>, crate::CrystalError> {
        let start = *i;
        while *i < chars.len() && chars[*i].is_ascii_digit() {
            *i += 1;
        }
        if start == *i {
            return Ok(None);
        }
        let digits: String = chars[start..*i].iter().collect();
        match digits.parse::<usize>() {
            Ok(n) if n <= MAX_FORMULA_ATOMS => Ok(Some(n)),
            _ => Err(bad(format!(
                "count {digits} is too large (at most {MAX_FORMULA_ATOMS} atoms)"
            ))),
        }
    };
    let too_many = || bad(format!("more than {MAX_FORMULA_ATOMS} atoms"));
    let chars: Vec<char> = formula.trim().chars().collect();
    if chars.is_empty() {
        return Err(bad("empty".into()));
    }
    // Stack of groups (parentheses); each holds counts in order of appearance.
    let mut stack: Vec<Vec<(Element, usize)>> = vec![Vec::new()];
    let add = |group: &mut Vec<(Element, usize)>,
               e: Element,
               n: usize|
     -> Result<(), crate::CrystalError> {
        match group.iter_mut().find(|x| x.0 == e) {
            Some(x) => {
                x.1 =
                    x.1.checked_add(n)
                        .filter(|&t| t <= MAX_FORMULA_ATOMS)
                        .ok_or_else(too_many)?
            }
            None => group.push((e, n)),
        }
        Ok(())
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '(' {
            stack.push(Vec::new());
            i += 1;
        } else if c == ')' {
            i += 1;
            let mult = number(&chars, &mut i)?.unwrap_or(1);
            if mult == 0 {
                return Err(bad("zero multiplier after ')'".into()));
            }
            let group = stack
                .pop()
                .filter(|_| !stack.is_empty())
                .ok_or_else(|| bad("unbalanced ')'".into()))?;
            let Some(top) = stack.last_mut() else {
                return Err(bad("unbalanced ')'".into()));
            };
            for (e, n) in group {
                let n = n
                    .checked_mul(mult)
                    .filter(|&t| t <= MAX_FORMULA_ATOMS)
                    .ok_or_else(too_many)?;
                add(top, e, n)?;
            }
        } else if c.is_ascii_uppercase() {
            let mut sym = c.to_string();
            i += 1;
            while i < chars.len() && chars[i].is_ascii_lowercase() {
                sym.push(chars[i]);
                i += 1;
            }
            let e =
                Element::from_symbol(&sym).map_err(|_| bad(format!("unknown element '{sym}'")))?;
            let n = number(&chars, &mut i)?.unwrap_or(1);
            if n == 0 {
                return Err(bad(format!("zero count for {sym}")));
            }
            add(stack.last_mut().expect("stack never empty here"), e, n)?;
        } else if c.is_whitespace() {
            i += 1;
        } else {
            return Err(bad(format!("unexpected '{c}' at position {}", i + 1)));
        }
    }
    if stack.len() != 1 {
        return Err(bad("unbalanced '('".into()));
    }
    let out = stack.pop().unwrap_or_default();
    if out.is_empty() {
        return Err(bad("no elements".into()));
    }
    if out.iter().map(|x| x.1).sum::<usize>() > MAX_FORMULA_ATOMS {
        return Err(too_many());
    }
    Ok(out)
}

#[cfg(test)]
mod formula_tests {
    use super::*;
    use crate::test_support::el;

    #[test]
    fn counts_beyond_the_limit_are_errors_not_one_atom() {
        for f in [
            "C99999999999999999999",
            "C4294967295",
            "((((H)99999)99999)99999)99999",
            "(H100)101",
            "H5000O5001",
            "(H)0",
        ] {
            let err = parse_formula(f).unwrap_err().to_string();
            assert!(
                err.contains("too large") || err.contains("more than") || err.contains("zero"),
                "{f}: {err}"
            );
        }
        assert_eq!(parse_formula("C10000").unwrap(), vec![(el("C"), 10_000)]);
        assert_eq!(parse_formula("(H100)100").unwrap(), vec![(el("H"), 10_000)]);
    }

    #[test]
    fn formulas_parse_with_groups_and_errors_name_the_problem() {
        assert_eq!(
            parse_formula("SrTiO3").unwrap(),
            vec![(el("Sr"), 1), (el("Ti"), 1), (el("O"), 3)]
        );
        assert_eq!(
            parse_formula("Ca(OH)2").unwrap(),
            vec![(el("Ca"), 1), (el("O"), 2), (el("H"), 2)]
        );
        assert_eq!(parse_formula("C24").unwrap(), vec![(el("C"), 24)]);
        assert_eq!(
            parse_formula("OFeO").unwrap(),
            vec![(el("O"), 2), (el("Fe"), 1)]
        );
        for (f, needle) in [
            ("SrXx3", "unknown element 'Xx'"),
            ("", "empty"),
            ("Sr(Ti", "unbalanced"),
            ("SrTi)", "unbalanced"),
            ("Sr-Ti", "unexpected '-'"),
            ("O0", "zero count"),
        ] {
            let e = parse_formula(f).unwrap_err().to_string();
            assert!(e.contains(needle), "{f}: {e}");
        }
    }
}
