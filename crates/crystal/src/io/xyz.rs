//! Extended XYZ reading and writing.
//!
//! A file holds one or more frames. Each frame is an atom-count line, a comment line of
//! `key=value` pairs (values may be quoted with `"` or `'`, with `\` escapes, or
//! bracketed with `{}` / `[]`; a key without `=` is a flag), then one line per atom. The
//! reader needs `Lattice="a1 a2 a3 b1 b2 b3 c1 c2 c3"` (Å, one lattice vector after the
//! other): a crystal needs a cell, so a plain XYZ frame without one is an error. The
//! columns are described by `Properties=name:type:count:...` (default
//! `species:S:1:pos:R:3`); the reader takes the species from `species` (or atomic numbers
//! from `Z`) and Cartesian positions (Å) from `pos`, skipping every other column by its
//! count. A frame is named by its `name=` or `material_id=` key, else
//! `{file stem}_{frame index}` (from 0). `pbc` is read by nothing: every structure here
//! is periodic in three dimensions.
//!
//! The writer emits `Lattice=... Properties=species:S:1:pos:R:3 pbc="T T T" name=...`
//! and Cartesian positions with 10 decimals, the layout ASE and OVITO read.

use crate::dataset::Entry;
use crate::elements::Element;
use crate::error::CrystalError;
use crate::lattice::Lattice;
use crate::structure::Crystal;
use std::fmt::Write as _;
use std::path::Path;

/// The `key=value` pairs of a comment line, in order; a bare key has value `None`.
fn parse_comment(line: &str) -> Result<Vec<(String, Option<String>)>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    let skip_ws = |it: &mut std::iter::Peekable<std::str::Chars<'_>>| {
        while it.peek().is_some_and(|c| c.is_whitespace()) {
            it.next();
        }
    };
    loop {
        skip_ws(&mut chars);
        let Some(&c) = chars.peek() else { break };
        let key = if c == '"' || c == '\'' {
            chars.next();
            read_quoted(&mut chars, c)?
        } else {
            let mut k = String::new();
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() || ch == '=' {
                    break;
                }
                k.push(ch);
                chars.next();
            }
            k
        };
        skip_ws(&mut chars);
        if chars.peek() != Some(&'=') {
            if key.is_empty() {
                return Err("empty key".into());
            }
            out.push((key, None));
            continue;
        }
        chars.next();
        skip_ws(&mut chars);
        let value = match chars.peek() {
            Some(&q) if q == '"' || q == '\'' => {
                chars.next();
                read_quoted(&mut chars, q)?
            }
            Some(&open) if open == '{' || open == '[' => {
                let close = if open == '{' { '}' } else { ']' };
                let mut depth = 0usize;
                let mut v = String::new();
                loop {
                    let Some(ch) = chars.next() else {
                        return Err(format!("value of {key:?} lacks a closing '{close}'"));
                    };
                    v.push(ch);
                    if ch == open {
                        depth += 1;
                    } else if ch == close {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            break;
                        }
                    }
                }
                v
            }
            _ => {
                let mut v = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() {
                        break;
                    }
                    v.push(ch);
                    chars.next();
                }
                v
            }
        };
        if key.is_empty() {
            return Err(format!("value {value:?} has no key"));
        }
        out.push((key, Some(value)));
    }
    Ok(out)
}

/// Reads up to the closing `quote` (the opening one already taken); `\` escapes.
fn read_quoted(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    quote: char,
) -> Result<String, String> {
    let mut s = String::new();
    loop {
        match chars.next() {
            None => return Err(format!("unterminated {quote} quote")),
            Some('\\') => match chars.next() {
                Some('n') => s.push('\n'),
                Some(c) => s.push(c),
                None => return Err(format!("unterminated {quote} quote")),
            },
            Some(c) if c == quote => return Ok(s),
            Some(c) => s.push(c),
        }
    }
}

/// One column group of `Properties`: name, type letter, number of columns.
struct Property {
    name: String,
    kind: String,
    count: usize,
}

fn parse_properties(s: &str) -> Result<Vec<Property>, String> {
    let parts: Vec<&str> = s.split(':').collect();
    if !parts.len().is_multiple_of(3) {
        return Err(format!(
            "Properties={s:?} is not a list of name:type:count triples"
        ));
    }
    parts
        .chunks(3)
        .map(|c| match c {
            [name, kind, count] => {
                let count = count
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| format!("Properties: bad column count {count:?} for {name}"))?;
                Ok(Property {
                    name: name.to_string(),
                    kind: kind.to_ascii_uppercase(),
                    count,
                })
            }
            _ => Err(format!("Properties={s:?} is malformed")),
        })
        .collect()
}

fn lookup<'a>(pairs: &'a [(String, Option<String>)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, v)| v.as_deref())
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn element_token(tok: &str) -> Result<Element, CrystalError> {
    match tok.parse::<u8>() {
        Ok(z) => Element::from_z(z),
        Err(_) => Element::from_symbol(tok),
    }
}

/// Reads every frame of extended XYZ text. `path` names the source in errors and gives
/// the default names.
pub fn parse_xyz(text: &str, path: &Path) -> Result<Vec<Entry>, CrystalError> {
    let err = |line: usize, msg: String| CrystalError::parse(path, Some(line), msg);
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let mut out = Vec::new();
    loop {
        while lines.get(i).is_some_and(|l| l.trim().is_empty()) {
            i += 1;
        }
        let Some(count_text) = lines.get(i) else {
            break;
        };
        let count_line = i + 1;
        let frame = out.len();
        let n: usize = count_text
            .split_whitespace()
            .next()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| {
                err(
                    count_line,
                    format!(
                        "expected the atom count of frame {frame}, found {:?}",
                        count_text.trim()
                    ),
                )
            })?;
        if n == 0 {
            return Err(err(count_line, format!("frame {frame} has no atoms")));
        }
        let comment_line = count_line + 1;
        let comment = lines.get(i + 1).ok_or_else(|| {
            err(
                comment_line,
                format!("file ends before the comment line of frame {frame}"),
            )
        })?;
        let pairs = parse_comment(comment).map_err(|m| err(comment_line, m))?;

        let lat_text = lookup(&pairs, "Lattice").ok_or_else(|| {
            err(
                comment_line,
                "no Lattice=\"...\" on the comment line: a crystal needs a cell".into(),
            )
        })?;
        let nums: Vec<&str> = lat_text
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '(' | ')'))
            .filter(|t| !t.is_empty())
            .collect();
        if nums.len() != 9 {
            return Err(err(
                comment_line,
                format!("Lattice needs 9 numbers, found {}", nums.len()),
            ));
        }
        let mut rows = [[0.0; 3]; 3];
        for (k, t) in nums.iter().enumerate() {
            rows[k / 3][k % 3] = t
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| err(comment_line, format!("Lattice: not a number: {t:?}")))?;
        }
        let lattice = Lattice::new(rows).map_err(|e| err(comment_line, e.to_string()))?;

        let props = parse_properties(lookup(&pairs, "Properties").unwrap_or("species:S:1:pos:R:3"))
            .map_err(|m| err(comment_line, m))?;
        let mut species_col = None;
        let mut z_col = None;
        let mut pos_col = None;
        let mut ncols = 0usize;
        for p in &props {
            let name = p.name.to_ascii_lowercase();
            if name == "species" && p.kind == "S" && p.count == 1 {
                species_col = Some(ncols);
            } else if name == "z" && p.kind == "I" && p.count == 1 {
                z_col = Some(ncols);
            } else if (name == "pos" || name == "positions") && p.kind == "R" && p.count == 3 {
                pos_col = Some(ncols);
            }
            ncols = ncols.saturating_add(p.count);
        }
        let species_col = species_col.or(z_col).ok_or_else(|| {
            err(
                comment_line,
                "Properties has no species:S:1 (or Z:I:1) column".into(),
            )
        })?;
        let pos_col =
            pos_col.ok_or_else(|| err(comment_line, "Properties has no pos:R:3 column".into()))?;

        let first_atom = i + 2;
        let available = lines.len().saturating_sub(first_atom);
        if available < n {
            return Err(err(
                lines.len() + 1,
                format!("file ends after {available} of {n} atoms of frame {frame}"),
            ));
        }
        let mut species = Vec::with_capacity(n);
        let mut cart = Vec::with_capacity(n);
        for k in 0..n {
            let lineno = first_atom + k + 1;
            let l = lines.get(first_atom + k).copied().unwrap_or("");
            let toks: Vec<&str> = l.split_whitespace().collect();
            if toks.len() < ncols {
                return Err(err(
                    lineno,
                    format!(
                        "atom line has {} columns, Properties describes {ncols}",
                        toks.len()
                    ),
                ));
            }
            let sp = toks.get(species_col).copied().unwrap_or("");
            species.push(element_token(sp).map_err(|e| err(lineno, e.to_string()))?);
            let mut r = [0.0; 3];
            for (d, x) in r.iter_mut().enumerate() {
                let t = toks.get(pos_col + d).copied().unwrap_or("");
                *x = t
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| err(lineno, format!("position: not a number: {t:?}")))?;
            }
            cart.push(r);
        }
        let crystal = Crystal::from_cart(lattice, species, &cart)
            .map_err(|e| err(count_line, e.to_string()))?;
        let name = lookup(&pairs, "name")
            .or_else(|| lookup(&pairs, "material_id"))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("{}_{frame}", file_stem(path)));
        out.push(Entry::new(name, crystal));
        i = first_atom + n;
    }
    if out.is_empty() {
        return Err(CrystalError::parse(
            path,
            Some(1),
            "no XYZ frames (empty file)",
        ));
    }
    Ok(out)
}

/// Reads an extended XYZ file (every frame).
pub fn read_xyz(path: &Path) -> Result<Vec<Entry>, CrystalError> {
    let text = super::read_text(path)?;
    parse_xyz(&text, path)
}

/// `name` as a comment-line value: bare when that is unambiguous, else double-quoted
/// with `\` escapes.
fn quote_value(name: &str) -> String {
    let bare = !name.is_empty()
        && !name.chars().any(|c| {
            c.is_whitespace() || matches!(c, '"' | '\'' | '=' | '\\' | '{' | '}' | '[' | ']')
        });
    if bare {
        return name.to_string();
    }
    let mut s = String::from("\"");
    for c in name.chars() {
        match c {
            '"' | '\\' => {
                s.push('\\');
                s.push(c);
            }
            '\n' => s.push_str("\\n"),
            '\r' => {}
            _ => s.push(c),
        }
    }
    s.push('"');
    s
}

/// One extended XYZ frame.
pub fn write_xyz_frame(name: &str, c: &Crystal) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", c.num_atoms());
    let lat: Vec<String> = c
        .lattice()
        .rows()
        .iter()
        .flatten()
        .map(|x| format!("{x:.10}"))
        .collect();
    let _ = writeln!(
        s,
        "Lattice=\"{}\" Properties=species:S:1:pos:R:3 pbc=\"T T T\" name={}",
        lat.join(" "),
        quote_value(name)
    );
    for (e, r) in c.species().iter().zip(c.cart_coords()) {
        let _ = writeln!(
            s,
            "{:<2}  {:18.10}  {:18.10}  {:18.10}",
            e.symbol(),
            r[0],
            r[1],
            r[2]
        );
    }
    s
}

/// An extended XYZ file of several frames, one per `(name, crystal)`.
pub fn write_xyz(entries: &[(&str, &Crystal)]) -> String {
    entries
        .iter()
        .map(|(name, c)| write_xyz_frame(name, c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{bcc_fe, diamond_c, fcc_al};
    use crate::io::cif::{parse_cif, write_cif};
    use crate::io::poscar::{parse_poscar, write_poscar};
    use crate::test_support::{el, mixed_triclinic};
    use approx::assert_relative_eq;

    fn same(a: &Crystal, b: &Crystal) {
        assert_eq!(a.species(), b.species());
        for (r, q) in a.lattice().rows().iter().zip(b.lattice().rows()) {
            for k in 0..3 {
                assert_relative_eq!(r[k], q[k], epsilon = 1e-6);
            }
        }
        for (f, g) in a.frac_coords().iter().zip(b.frac_coords()) {
            for k in 0..3 {
                assert_relative_eq!(f[k], g[k], epsilon = 1e-8);
            }
        }
    }

    #[test]
    fn xyz_round_trip_of_several_frames() {
        let (al, fe, c, tri) = (fcc_al(), bcc_fe(), diamond_c(), mixed_triclinic());
        let frames: Vec<(&str, &Crystal)> = vec![
            ("al", &al),
            ("iron bcc", &fe),
            ("", &c),
            ("odd \"name\" = x", &tri),
        ];
        let text = write_xyz(&frames);
        let back = parse_xyz(&text, Path::new("dir/frames.xyz")).unwrap();
        assert_eq!(back.len(), 4);
        assert_eq!(back[0].name, "al");
        assert_eq!(back[1].name, "iron bcc");
        assert_eq!(back[2].name, "frames_2");
        assert_eq!(back[3].name, "odd \"name\" = x");
        for ((_, c), e) in frames.iter().zip(&back) {
            same(c, &e.crystal);
        }
        let again: Vec<(&str, &Crystal)> =
            back.iter().map(|e| (e.name.as_str(), &e.crystal)).collect();
        assert_eq!(
            parse_xyz(&write_xyz(&again), Path::new("x.xyz"))
                .unwrap()
                .len(),
            4
        );
    }

    #[test]
    fn cif_to_poscar_to_xyz_to_cif_keeps_the_structure() {
        let start =
            &parse_cif(&write_cif("tri", &mixed_triclinic()), Path::new("a.cif")).unwrap()[0];
        let pos = parse_poscar(
            &write_poscar(&start.name, &start.crystal),
            Path::new("POSCAR"),
        )
        .unwrap();
        let xyz = &parse_xyz(
            &write_xyz_frame(&pos.name, &pos.crystal),
            Path::new("b.xyz"),
        )
        .unwrap()[0];
        let end = &parse_cif(&write_cif(&xyz.name, &xyz.crystal), Path::new("c.cif")).unwrap()[0];
        assert_eq!(end.name, "tri");
        let (a, b) = (&start.crystal, &end.crystal);
        let mut sa = a.species().to_vec();
        let mut sb = b.species().to_vec();
        sa.sort();
        sb.sort();
        assert_eq!(sa, sb);
        for (r, q) in a.lattice().rows().iter().zip(b.lattice().rows()) {
            for k in 0..3 {
                assert_relative_eq!(r[k], q[k], epsilon = 1e-6);
            }
        }
        for (e, f) in a.species().iter().zip(a.frac_coords()) {
            assert!(
                b.species()
                    .iter()
                    .zip(b.frac_coords())
                    .any(|(e2, g)| e == e2 && (0..3).all(|k| (f[k] - g[k]).abs() < 1e-7)),
                "atom {e} {f:?} lost"
            );
        }
    }

    #[test]
    fn reads_ase_style_frames_with_extra_columns() {
        let text = "2\n\
            Lattice=\"0.0 1.785 1.785 1.785 0.0 1.785 1.785 1.785 0.0\" \
            Properties=species:S:1:pos:R:3:forces:R:3:tags:I:1 energy=-10.5 pbc=\"T T T\" \
            material_id=mp-66 free_flag\n\
            C 0.0 0.0 0.0 0.1 0.2 0.3 0\n\
            C 0.8925 0.8925 0.8925 -0.1 -0.2 -0.3 1\n\
            \n\
            1\n\
            Lattice=[[3,0,0],[0,3,0],[0,0,3]] Properties=Z:I:1:pos:R:3\n\
            26 1.5 1.5 1.5\n";
        let e = parse_xyz(text, Path::new("ase.extxyz")).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].name, "mp-66");
        assert_eq!(e[0].crystal.formula(), "C2");
        let f = e[0].crystal.frac_coords()[1];
        for x in f {
            assert_relative_eq!(x, 0.25, epsilon = 1e-12);
        }
        assert_eq!(e[1].name, "ase_1");
        assert_eq!(e[1].crystal.species(), &[el("Fe")]);
        assert_relative_eq!(e[1].crystal.volume_a3(), 27.0, epsilon = 1e-12);
    }

    #[test]
    fn malformed_input_is_an_error_naming_the_line() {
        let lat = "Lattice=\"3 0 0 0 3 0 0 0 3\"";
        let cases: Vec<(String, &str)> = vec![
            // no cell
            ("1\nplain xyz\nC 0 0 0\n".into(), "m.xyz:2"),
            // truncated atoms
            (format!("2\n{lat}\nC 0 0 0\n"), "m.xyz:4"),
            // truncated before comment
            ("3\n".into(), "m.xyz:2"),
            // non-numeric count
            ("three\n".into(), "m.xyz:1"),
            // non-numeric position
            (format!("1\n{lat}\nC 0 x 0\n"), "m.xyz:3"),
            // unknown element
            (format!("1\n{lat}\nQq 0 0 0\n"), "m.xyz:3"),
            // missing column
            (format!("1\n{lat}\nC 0 0\n"), "m.xyz:3"),
            // bad lattice
            (
                "1\nLattice=\"3 0 0 0 3 0 0 0\"\nC 0 0 0\n".into(),
                "m.xyz:2",
            ),
            (
                "1\nLattice=\"3 0 0 3 0 0 0 0 3\"\nC 0 0 0\n".into(),
                "m.xyz:2",
            ),
            // unterminated quote
            (
                "1\nLattice=\"3 0 0 0 3 0 0 0 3\nC 0 0 0\n".into(),
                "m.xyz:2",
            ),
            // bad Properties
            (
                format!("1\n{lat} Properties=species:S\nC 0 0 0\n"),
                "m.xyz:2",
            ),
            (
                format!("1\n{lat} Properties=species:S:1\nC 0 0 0\n"),
                "m.xyz:2",
            ),
            // zero atoms; second frame broken
            (format!("0\n{lat}\n"), "m.xyz:1"),
            (
                format!("1\n{lat}\nC 0 0 0\n1\n{lat}\nC 0 0 zz\n"),
                "m.xyz:6",
            ),
            ("".into(), "m.xyz:1"),
            ("\u{0}\u{1}\u{fffd}\u{7f}junk\n\u{0}".into(), "m.xyz:1"),
        ];
        for (text, want) in &cases {
            let msg = parse_xyz(text, Path::new("m.xyz")).unwrap_err().to_string();
            assert!(msg.contains(want), "{text:?}: {msg}");
        }
    }
}
