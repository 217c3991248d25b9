//! VASP POSCAR / CONTCAR reading and writing.
//!
//! The reader takes VASP 5 files (a line of species symbols above the counts; VASP 6
//! suffixes such as `Fe_pv` or `Fe/1a2b3c` are ignored; species and counts may each run
//! over several lines) and VASP 4 files (no species line: the species are then read from
//! the first tokens of the comment line when they are as many element symbols as there
//! are counts, else from a label after each position — `0.1 0.2 0.3 Fe` or `# Sn1` — which
//! must name one element per group of counts; else the file is an error that asks for a
//! species line). The scale factor is one number (positive: multiplies the
//! lattice vectors; negative: the target cell volume in Å³, the vectors are scaled so
//! that |det| equals it) or three positive numbers (one per Cartesian axis). An optional
//! `Selective dynamics` line is accepted (the T/F flags after the coordinates are
//! ignored); the coordinate mode is `Direct` or `Cartesian` (first letter, any case;
//! `K` also means Cartesian), and Cartesian coordinates are scaled like the lattice.
//! The comment line is the structure's name (the file stem when it is blank).
//!
//! The writer emits VASP 5 format with scale 1.0, species grouped in order of first
//! appearance (atoms reordered so each species is contiguous) and Direct coordinates
//! with 10 decimals.

use crate::dataset::Entry;
use crate::elements::Element;
use crate::error::CrystalError;
use crate::lattice::Lattice;
use crate::structure::Crystal;
use std::fmt::Write as _;
use std::path::Path;

/// The file's lines, taken one at a time with their 1-based numbers.
struct Lines<'a> {
    lines: Vec<&'a str>,
    next: usize,
    path: &'a Path,
}

impl<'a> Lines<'a> {
    /// The next line and its 1-based number, or an error naming what was expected.
    fn take(&mut self, what: &str) -> Result<(usize, &'a str), CrystalError> {
        match self.lines.get(self.next) {
            Some(l) => {
                self.next += 1;
                Ok((self.next, l))
            }
            None => Err(CrystalError::parse(
                self.path,
                Some(self.next + 1),
                format!("file ends before the {what}"),
            )),
        }
    }

    fn remaining(&self) -> usize {
        self.lines.len().saturating_sub(self.next)
    }
}

fn number(tok: &str, path: &Path, line: usize, what: &str) -> Result<f64, CrystalError> {
    // Fortran writes exponents as `1.0D-3`.
    let t = tok.replace(['D', 'd'], "E");
    t.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| {
            CrystalError::parse(path, Some(line), format!("{what}: not a number: {tok:?}"))
        })
}

/// Three numbers from the first three tokens of a line.
fn three(line: &str, path: &Path, lineno: usize, what: &str) -> Result<[f64; 3], CrystalError> {
    let toks: Vec<&str> = line.split_whitespace().collect();
    if toks.len() < 3 {
        return Err(CrystalError::parse(
            path,
            Some(lineno),
            format!("{what}: expected 3 numbers, found {:?}", line.trim()),
        ));
    }
    let mut v = [0.0; 3];
    for (x, t) in v.iter_mut().zip(&toks) {
        *x = number(t, path, lineno, what)?;
    }
    Ok(v)
}

/// An element from a POSCAR species token: `Fe`, `Fe_pv`, `Fe/abc123`.
fn species_token(tok: &str) -> Result<Element, CrystalError> {
    let sym = tok.split(['_', '/']).next().unwrap_or(tok);
    Element::from_symbol(sym)
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A VASP 4 file's species from the label after each position (`0.1 0.2 0.3 Fe`, or
/// `# Sn1`): one element per group of `counts`, which every label of the group must name.
/// The error is (line, message).
fn elements_from_labels(
    labels: &[(usize, Option<&str>)],
    counts: &[usize],
    counts_line: usize,
) -> Result<Vec<Element>, (usize, String)> {
    let no_species = || {
        format!(
            "VASP 4 file without a species line, and neither the comment line (its first {} \
             tokens) nor labels after the positions name the species: add a line of species \
             symbols (e.g. `Sr Ti O`) above the counts",
            counts.len()
        )
    };
    let mut elements = Vec::with_capacity(counts.len());
    let mut start = 0;
    for &c in counts {
        let group = &labels[start..start + c];
        start += c;
        let mut el: Option<Element> = None;
        for &(n, label) in group {
            let Some(label) = label else {
                return Err((counts_line, no_species()));
            };
            let sym: String = label
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            let e = Element::from_symbol(&sym).map_err(|_| (n, no_species()))?;
            match el {
                Some(prev) if prev != e => {
                    return Err((
                        n,
                        format!(
                            "VASP 4 file: the label {label:?} names {} in a group of {c} atoms \
                             that starts with {}: the labels do not follow the counts",
                            e.symbol(),
                            prev.symbol()
                        ),
                    ))
                }
                _ => el = Some(e),
            }
        }
        // A count of 0: a species with no atoms, whichever.
        elements.push(el.unwrap_or(Element::from_symbol("H").expect("H is an element")));
    }
    Ok(elements)
}

/// Reads one structure from POSCAR text. `path` names the source in errors and gives the
/// name when the comment line is blank.
pub fn parse_poscar(text: &str, path: &Path) -> Result<Entry, CrystalError> {
    let mut lines = Lines {
        lines: text.lines().collect(),
        next: 0,
        path,
    };
    let err = |line: usize, msg: String| CrystalError::parse(path, Some(line), msg);

    if text.trim().is_empty() {
        return Err(CrystalError::parse(path, Some(1), "empty POSCAR file"));
    }
    let (_, comment) = lines.take("comment line")?;
    let comment = comment.trim();

    // Scale factor(s).
    let (scale_line, scale_text) = lines.take("scale factor")?;
    let scale_toks: Vec<&str> = scale_text.split_whitespace().collect();
    let scale: Vec<f64> = match scale_toks.len() {
        0 => return Err(err(scale_line, "missing scale factor".into())),
        1 | 2 => vec![number(scale_toks[0], path, scale_line, "scale factor")?],
        _ => {
            // Three per-axis factors, unless the 2nd token is a comment.
            match (
                number(scale_toks[1], path, scale_line, "scale factor"),
                number(scale_toks[2], path, scale_line, "scale factor"),
            ) {
                (Ok(b), Ok(c)) => vec![
                    number(scale_toks[0], path, scale_line, "scale factor")?,
                    b,
                    c,
                ],
                _ => vec![number(scale_toks[0], path, scale_line, "scale factor")?],
            }
        }
    };
    if scale.contains(&0.0) {
        return Err(err(scale_line, "scale factor is zero".into()));
    }
    if scale.len() == 3 && scale.iter().any(|&s| s < 0.0) {
        return Err(err(
            scale_line,
            "three scale factors must all be positive".into(),
        ));
    }

    let mut raw = [[0.0; 3]; 3];
    for (i, row) in raw.iter_mut().enumerate() {
        let (n, l) = lines.take(&format!("lattice vector {}", i + 1))?;
        *row = three(l, path, n, &format!("lattice vector {}", i + 1))?;
    }
    let lat_line = scale_line + 1;
    let raw_lattice = Lattice::new(raw).map_err(|e| err(lat_line, e.to_string()))?;
    // Per-axis factor applied to every Cartesian component.
    let factor: [f64; 3] = match scale.as_slice() {
        [s] if *s > 0.0 => [*s; 3],
        [v] => {
            let f = (-v / raw_lattice.volume()).cbrt();
            [f; 3]
        }
        [a, b, c] => [*a, *b, *c],
        _ => [1.0; 3],
    };
    let mut rows = raw;
    for row in rows.iter_mut() {
        for (x, f) in row.iter_mut().zip(factor) {
            *x *= f;
        }
    }
    let lattice = Lattice::new(rows).map_err(|e| err(lat_line, e.to_string()))?;

    // Species line (VASP 5) or counts directly (VASP 4). Both may run over several lines
    // (pymatgen writes long lists that way): species lines until a line of numbers, then
    // count lines until there are as many counts as species.
    let (n6, l6) = lines.take("species or counts line")?;
    let first = l6.split_whitespace().next().unwrap_or("");
    if first.is_empty() {
        return Err(err(n6, "expected species symbols or atom counts".into()));
    }
    let starts_with_integer = |l: &str| {
        l.split_whitespace()
            .next()
            .is_some_and(|t| t.parse::<i64>().is_ok())
    };
    let mut symbols: Option<Vec<&str>> = None;
    let symbols_line = n6;
    let (mut counts_line, mut counts_text) = (n6, l6);
    if !starts_with_integer(l6) {
        let mut syms: Vec<&str> = l6.split_whitespace().collect();
        loop {
            let (n, l) = lines.take("atom counts line")?;
            if starts_with_integer(l) {
                (counts_line, counts_text) = (n, l);
                break;
            }
            syms.extend(l.split_whitespace());
        }
        symbols = Some(syms);
    }
    let mut counts = Vec::new();
    loop {
        for tok in counts_text.split_whitespace() {
            match tok.parse::<usize>() {
                Ok(c) => counts.push(c),
                // A comment after the counts ends them.
                Err(_) if !counts.is_empty() && tok.starts_with(['#', '!']) => break,
                Err(_) => {
                    return Err(err(
                        counts_line,
                        format!("atom count is not a non-negative integer: {tok:?}"),
                    ))
                }
            }
        }
        let more = symbols.as_ref().is_some_and(|s| counts.len() < s.len())
            && lines
                .lines
                .get(lines.next)
                .is_some_and(|l| starts_with_integer(l));
        if !more {
            break;
        }
        (counts_line, counts_text) = lines.take("atom counts line")?;
    }
    let elements: Option<Vec<Element>> = match symbols {
        Some(syms) => {
            if syms.len() != counts.len() {
                return Err(err(
                    counts_line,
                    format!(
                        "{} species on line {} but {} counts",
                        syms.len(),
                        symbols_line,
                        counts.len()
                    ),
                ));
            }
            Some(
                syms.iter()
                    .map(|s| species_token(s).map_err(|e| err(symbols_line, e.to_string())))
                    .collect::<Result<_, _>>()?,
            )
        }
        // VASP 4: the comment line's first tokens, else (below) the labels after the
        // coordinates.
        None => {
            let toks: Vec<&str> = comment.split_whitespace().collect();
            toks.get(..counts.len())
                .and_then(|t| t.iter().map(|s| species_token(s).ok()).collect())
        }
    };
    let total = counts
        .iter()
        .try_fold(0usize, |a, &c| a.checked_add(c))
        .ok_or_else(|| err(counts_line, "atom counts overflow".into()))?;
    if total == 0 {
        return Err(err(counts_line, "no atoms".into()));
    }

    // Optional selective dynamics, then the coordinate mode.
    let (mut mode_line, mut mode_text) = lines.take("coordinate mode line (Direct/Cartesian)")?;
    let selective = mode_text.trim_start().starts_with(['S', 's']);
    if selective {
        (mode_line, mode_text) = lines.take("coordinate mode line (Direct/Cartesian)")?;
    }
    let cartesian = match mode_text.trim_start().chars().next() {
        Some('D' | 'd') => false,
        Some('C' | 'c' | 'K' | 'k') => true,
        _ => {
            return Err(err(
                mode_line,
                format!(
                    "expected `Direct` or `Cartesian`, found {:?}",
                    mode_text.trim()
                ),
            ))
        }
    };

    if lines.remaining() < total {
        let n = lines.lines.len() + 1;
        return Err(err(
            n,
            format!(
                "file ends after {} of {} atom positions",
                lines.remaining(),
                total
            ),
        ));
    }
    let mut coords = Vec::with_capacity(total);
    // What follows each position's three numbers (and selective-dynamics flags): a label.
    let mut labels: Vec<(usize, Option<&str>)> = Vec::with_capacity(total);
    for k in 0..total {
        let (n, l) = lines.take("atom positions")?;
        let mut p = three(l, path, n, &format!("position of atom {}", k + 1))?;
        if cartesian {
            for (x, f) in p.iter_mut().zip(factor) {
                *x *= f;
            }
            p = lattice.cart_to_frac(p);
        }
        coords.push(p);
        let label = l
            .split_whitespace()
            // Three numbers, then three T/F flags under selective dynamics (a label `F`
            // after them is fluorine).
            .skip(if selective { 6 } else { 3 })
            .map(|t| t.trim_start_matches(['#', '!']))
            .find(|t| !t.is_empty());
        labels.push((n, label));
    }
    let elements = match elements {
        Some(e) => e,
        None => {
            elements_from_labels(&labels, &counts, counts_line).map_err(|(n, msg)| err(n, msg))?
        }
    };
    let mut species = Vec::with_capacity(total);
    for (&e, &c) in elements.iter().zip(&counts) {
        species.extend(std::iter::repeat_n(e, c));
    }
    // Anything after the positions (velocities, predictor-corrector data) is ignored.

    let crystal =
        Crystal::new(lattice, species, coords).map_err(|e| err(counts_line, e.to_string()))?;
    let name = if comment.is_empty() {
        file_stem(path)
    } else {
        comment.to_string()
    };
    Ok(Entry::new(name, crystal))
}

/// Reads a POSCAR / CONTCAR file.
pub fn read_poscar(path: &Path) -> Result<Entry, CrystalError> {
    let text = super::read_text(path)?;
    parse_poscar(&text, path)
}

/// A VASP 5 POSCAR for one structure: comment line `name`, scale 1.0, species grouped in
/// order of first appearance, Direct coordinates.
pub fn write_poscar(name: &str, c: &Crystal) -> String {
    let comment: String = name
        .chars()
        .map(|ch| if ch == '\n' || ch == '\r' { ' ' } else { ch })
        .collect();
    let comp = c.composition();
    let mut s = String::new();
    let _ = writeln!(s, "{comment}");
    let _ = writeln!(s, "1.0");
    for row in c.lattice().rows() {
        let _ = writeln!(s, "  {:20.12}  {:20.12}  {:20.12}", row[0], row[1], row[2]);
    }
    let syms: Vec<&str> = comp.iter().map(|(e, _)| e.symbol()).collect();
    let counts: Vec<String> = comp.iter().map(|(_, n)| n.to_string()).collect();
    let _ = writeln!(s, "  {}", syms.join("  "));
    let _ = writeln!(s, "  {}", counts.join("  "));
    let _ = writeln!(s, "Direct");
    for (e, _) in &comp {
        for (_, f) in c
            .species()
            .iter()
            .zip(c.frac_coords())
            .filter(|(x, _)| *x == e)
        {
            let _ = writeln!(s, "  {:.10}  {:.10}  {:.10}", f[0], f[1], f[2]);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{diamond_c, fcc_al};
    use crate::test_support::{el, mixed_triclinic};
    use approx::assert_relative_eq;

    fn p(name: &str) -> &Path {
        Path::new(name)
    }

    fn sorted_species(c: &Crystal) -> Vec<Element> {
        let mut v = c.species().to_vec();
        v.sort();
        v
    }

    fn same_lattice(a: &Crystal, b: &Crystal) {
        for (r, q) in a.lattice().rows().iter().zip(b.lattice().rows()) {
            for k in 0..3 {
                assert_relative_eq!(r[k], q[k], epsilon = 1e-6);
            }
        }
    }

    #[test]
    fn poscar_round_trip_regroups_species_and_keeps_positions() {
        for c in [fcc_al(), diamond_c(), mixed_triclinic()] {
            let text = write_poscar("my structure", &c);
            let back = parse_poscar(&text, p("POSCAR")).unwrap();
            assert_eq!(back.name, "my structure");
            assert_eq!(sorted_species(&c), sorted_species(&back.crystal));
            same_lattice(&c, &back.crystal);
            // Each input atom has an identical (species, position) in the output.
            for (e, f) in c.species().iter().zip(c.frac_coords()) {
                assert!(
                    back.crystal
                        .species()
                        .iter()
                        .zip(back.crystal.frac_coords())
                        .any(|(e2, g)| e == e2 && (0..3).all(|k| (f[k] - g[k]).abs() < 1e-9)),
                    "atom {e} {f:?} lost"
                );
            }
            // Written twice, the text is stable.
            assert_eq!(write_poscar("my structure", &back.crystal), text);
        }
        let text = write_poscar("x", &mixed_triclinic());
        assert!(text.contains("O  Sr  Ti\n  3  1  1\nDirect\n"), "{text}");
    }

    #[test]
    fn vasp4_species_from_comment_line() {
        let text = "Sr Ti O perovskite\n3.905\n1 0 0\n0 1 0\n0 0 1\n1 1 3\nDirect\n\
                    0 0 0\n0.5 0.5 0.5\n0.5 0.5 0\n0.5 0 0.5\n0 0.5 0.5\n";
        let e = parse_poscar(text, p("POSCAR")).unwrap();
        assert_eq!(e.crystal.formula(), "SrTiO3");
        assert_eq!(e.name, "Sr Ti O perovskite");
        assert_relative_eq!(e.crystal.volume_a3(), 3.905f64.powi(3), epsilon = 1e-9);

        let bad = "perovskite\n3.905\n1 0 0\n0 1 0\n0 0 1\n1 1 3\nDirect\n\
                   0 0 0\n0.5 0.5 0.5\n0.5 0.5 0\n0.5 0 0.5\n0 0.5 0.5\n";
        let msg = parse_poscar(bad, p("POSCAR")).unwrap_err().to_string();
        assert!(
            msg.contains("POSCAR:6") && msg.contains("species line"),
            "{msg}"
        );
    }

    #[test]
    fn vasp4_species_from_labels_after_the_positions() {
        // pymatgen's FePO4.vasp layout: a symbol after each position; or `# Sn1` comments.
        let text = "rock salt\n5.64\n1 0 0\n0 1 0\n0 0 1\n2 1\nDirect\n\
                    0 0 0 Na\n0.5 0.5 0 Na\n0.5 0 0 # Cl1\n";
        let e = parse_poscar(text, p("POSCAR")).unwrap();
        assert_eq!(e.crystal.formula(), "Na2Cl");
        // Selective-dynamics flags come before the label.
        let text = "x\n5.64\n1 0 0\n0 1 0\n0 0 1\n1 1\nSelective\nDirect\n\
                    0 0 0 T T F Na\n0.5 0 0 F F F F\n";
        assert_eq!(
            parse_poscar(text, p("POSCAR")).unwrap().crystal.formula(),
            "NaF"
        );
        // Labels that do not follow the counts.
        let text = "x\n5.64\n1 0 0\n0 1 0\n0 0 1\n2 1\nDirect\n\
                    0 0 0 Na\n0.5 0.5 0 Cl\n0.5 0 0 Cl\n";
        let msg = parse_poscar(text, p("POSCAR")).unwrap_err().to_string();
        assert_eq!(
            msg,
            "POSCAR:9: VASP 4 file: the label \"Cl\" names Cl in a group of 2 atoms that starts \
             with Na: the labels do not follow the counts"
        );
    }

    #[test]
    fn species_and_counts_over_several_lines() {
        // As pymatgen writes long species lists (its POSCAR_symbols_natoms_multilines).
        let text = "alloy\n1\n3 0 0\n0 3 0\n0 0 3\nFe Cr\nFe\n1 2\n1\nDirect\n\
                    0 0 0\n0.5 0 0\n0 0.5 0\n0 0 0.5\n";
        let e = parse_poscar(text, p("POSCAR")).unwrap();
        assert_eq!(e.crystal.formula(), "Fe2Cr2");
        assert_eq!(
            e.crystal
                .species()
                .iter()
                .map(|s| s.symbol())
                .collect::<Vec<_>>(),
            ["Fe", "Cr", "Cr", "Fe"]
        );
    }

    #[test]
    fn negative_scale_is_the_volume() {
        let text = "Al\n-66.43\n2 0 0\n0 2 0\n0 0 2\nAl\n1\nCartesian\n1 1 1\n";
        let e = parse_poscar(text, p("v.vasp")).unwrap();
        assert_relative_eq!(e.crystal.volume_a3(), 66.43, epsilon = 1e-9);
        // Cartesian (1,1,1) in the unscaled 2 Å cell is the cell centre.
        for x in e.crystal.frac_coords()[0] {
            assert_relative_eq!(x, 0.5, epsilon = 1e-12);
        }
    }

    #[test]
    fn selective_dynamics_and_cartesian_with_scale() {
        let text = "C2\n2.0\n1.0 0 0\n0 1.0 0\n0 0 1.5\nC\n2\nSelective dynamics\ncart\n\
                    0.0 0.0 0.0 T T F\n0.5 1.0 1.5 F F F\n";
        let e = parse_poscar(text, p("POSCAR")).unwrap();
        assert_eq!(e.crystal.num_atoms(), 2);
        assert_relative_eq!(e.crystal.lattice().rows()[2][2], 3.0, epsilon = 1e-12);
        let f = e.crystal.frac_coords()[1];
        assert_relative_eq!(f[0], 0.5, epsilon = 1e-12);
        assert_relative_eq!(f[1], 1.0, epsilon = 1e-12);
        assert_relative_eq!(f[2], 1.0, epsilon = 1e-12);
        // VASP 6 species suffixes and a blank comment (name from the file stem).
        let text = "\n1\n3 0 0\n0 3 0\n0 0 3\nFe_pv/a1b2\n1\nd\n0 0 0\n";
        let e = parse_poscar(text, p("dir/iron.vasp")).unwrap();
        assert_eq!(e.name, "iron");
        assert_eq!(e.crystal.species(), &[el("Fe")]);
    }

    #[test]
    fn malformed_input_is_an_error_naming_the_line() {
        let good = "Si\n1.0\n5 0 0\n0 5 0\n0 0 5\nSi\n2\nDirect\n0 0 0\n0.25 0.25 0.25\n";
        assert!(parse_poscar(good, p("POSCAR")).is_ok());
        let cases: &[(&str, &str)] = &[
            // truncated positions
            (
                "Si\n1.0\n5 0 0\n0 5 0\n0 0 5\nSi\n2\nDirect\n0 0 0\n",
                "POSCAR:10",
            ),
            // truncated header
            ("Si\n1.0\n5 0 0\n", "POSCAR:4"),
            // non-numeric lattice
            (
                "Si\n1.0\n5 x 0\n0 5 0\n0 0 5\nSi\n1\nDirect\n0 0 0\n",
                "POSCAR:3",
            ),
            // non-numeric position
            (
                "Si\n1.0\n5 0 0\n0 5 0\n0 0 5\nSi\n1\nDirect\n0 zero 0\n",
                "POSCAR:9",
            ),
            // unknown element
            (
                "Xx\n1.0\n5 0 0\n0 5 0\n0 0 5\nXx\n1\nDirect\n0 0 0\n",
                "POSCAR:6",
            ),
            // bad mode
            (
                "Si\n1.0\n5 0 0\n0 5 0\n0 0 5\nSi\n1\nFoo\n0 0 0\n",
                "POSCAR:8",
            ),
            // count mismatch
            (
                "Si\n1.0\n5 0 0\n0 5 0\n0 0 5\nSi O\n1\nDirect\n0 0 0\n",
                "POSCAR:7",
            ),
            // singular lattice
            (
                "Si\n1.0\n5 0 0\n5 0 0\n0 0 5\nSi\n1\nDirect\n0 0 0\n",
                "POSCAR:3",
            ),
            // zero scale
            (
                "Si\n0\n5 0 0\n0 5 0\n0 0 5\nSi\n1\nDirect\n0 0 0\n",
                "POSCAR:2",
            ),
            // huge count
            (
                "Si\n1\n5 0 0\n0 5 0\n0 0 5\nSi\n99999999999999\nDirect\n0 0 0\n",
                "POSCAR:",
            ),
            ("", "POSCAR:1"),
            ("\u{0}\u{1}\u{fffd}\u{7f}junk\n\u{0}", "POSCAR:2"),
        ];
        for (text, want) in cases {
            let msg = parse_poscar(text, p("POSCAR")).unwrap_err().to_string();
            assert!(msg.contains(want), "{text:?}: {msg}");
        }
    }

    #[test]
    fn invalid_utf8_file_is_an_error() {
        let dir = std::env::temp_dir().join(format!("crystal-poscar-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("POSCAR");
        std::fs::write(&f, [0xff, 0xfe, 0x00, 0x41, 0x0a, 0x80]).unwrap();
        assert!(read_poscar(&f).is_err());
        assert!(read_poscar(&dir.join("missing")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
