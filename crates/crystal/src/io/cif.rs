//! CIF 1.1 reading and P1 writing.
//!
//! The reader tokenises the file (comments, quoted strings, semicolon text fields,
//! loops, several data blocks), takes the cell from `_cell_length_*` / `_cell_angle_*`
//! (numbers may carry uncertainties such as `4.0496(3)`; `?` and `.` mean unknown), the
//! atoms from the `_atom_site_*` loop (species from `_atom_site_type_symbol`, else from
//! the label: `Fe1`, `O2-`), fractional or Cartesian coordinates, and applies the
//! symmetry operations of `_symmetry_equiv_pos_as_xyz` or
//! `_space_group_symop_operation_xyz` to the asymmetric unit, merging images closer than
//! [`MERGE_TOLERANCE_A`]. Partially occupied sites are added up per position (sites that
//! symmetry puts on one another); a position that is not then one full species is
//! disordered, refused by default ([`Disorder`]: a disordered site has no single species,
//! and silently picking one would be wrong) or read as its majority species on request.
//!
//! The writer emits a P1 CIF (every atom listed, identity operation only) with formula,
//! volume and cell, in the layout pymatgen writes, which pymatgen, ASE and VESTA read.

use crate::dataset::Entry;
use crate::elements::Element;
use crate::error::CrystalError;
use crate::geometry::{norm2, reduce_diff, reduce_frac, sub};
use crate::lattice::Lattice;
use crate::limits::{
    CellLimits, Disorder, LimitViolation, MAJORITY_SUM_TOLERANCE, MAX_SYMMETRY_OPERATIONS,
};
use crate::structure::{wrap_frac, Crystal};
use crate::symmetry::{hall_from_hall_symbol, hall_from_symbol, operations_for_hall, Symmetrized};
use moyo::data::hall_symbol_entry;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

/// Symmetry images of one site closer than this (Å) are one atom.
pub const MERGE_TOLERANCE_A: f64 = 0.01;

/// Occupancies below 1 − this are partial.
const OCCUPANCY_TOLERANCE: f64 = 1e-3;

#[derive(Debug, Clone)]
struct Token {
    text: String,
    line: usize,
    /// Quoted or text-field values are never keywords.
    quoted: bool,
}

fn tokenize(src: &str, path: &Path) -> Result<Vec<Token>, CrystalError> {
    let mut out = Vec::new();
    let lines: Vec<&str> = src.lines().collect();
    let mut li = 0;
    while li < lines.len() {
        let line = lines[li];
        let lineno = li + 1;
        if let Some(rest) = line.strip_prefix(';') {
            // Semicolon text field: up to the next line that starts with ';'.
            let mut text = rest.to_string();
            let mut end = None;
            for (k, l) in lines.iter().enumerate().skip(li + 1) {
                if l.starts_with(';') {
                    end = Some(k);
                    break;
                }
                text.push('\n');
                text.push_str(l);
            }
            let Some(end) = end else {
                return Err(CrystalError::parse(
                    path,
                    Some(lineno),
                    "unterminated ';' text field",
                ));
            };
            out.push(Token {
                text,
                line: lineno,
                quoted: true,
            });
            li = end + 1;
            continue;
        }
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if c.is_ascii_whitespace() {
                i += 1;
            } else if c == b'#' {
                break;
            } else if c == b'\'' || c == b'"' {
                // A quote closes only when followed by whitespace or the line's end.
                let mut j = i + 1;
                loop {
                    if j >= bytes.len() {
                        return Err(CrystalError::parse(
                            path,
                            Some(lineno),
                            "unterminated quoted string",
                        ));
                    }
                    if bytes[j] == c && (j + 1 == bytes.len() || bytes[j + 1].is_ascii_whitespace())
                    {
                        break;
                    }
                    j += 1;
                }
                out.push(Token {
                    text: line[i + 1..j].to_string(),
                    line: lineno,
                    quoted: true,
                });
                i = j + 1;
            } else {
                let mut j = i;
                while j < bytes.len() && !bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                out.push(Token {
                    text: line[i..j].to_string(),
                    line: lineno,
                    quoted: false,
                });
                i = j;
            }
        }
        li += 1;
    }
    Ok(out)
}

#[derive(Debug, Default)]
struct Block {
    name: String,
    line: usize,
    /// What the tokenizer skipped in this block (stray values), for the entry's notes.
    notes: Vec<String>,
    items: HashMap<String, Token>,
    loops: Vec<Loop>,
}

impl Block {
    /// Whether the block has a cell or an atom-site loop with coordinates.
    fn has_structure(&self) -> bool {
        self.items.contains_key("_cell_length_a") || self.sites_loop().is_some()
    }

    /// The atom-site loop: the first loop with fractional or Cartesian coordinates.
    fn sites_loop(&self) -> Option<&Loop> {
        self.loops.iter().find(|l| {
            l.col("_atom_site_fract_x").is_some() || l.col("_atom_site_cartn_x").is_some()
        })
    }
}

#[derive(Debug, Default)]
struct Loop {
    tags: Vec<String>,
    rows: Vec<Vec<Token>>,
}

impl Loop {
    fn col(&self, tag: &str) -> Option<usize> {
        self.tags.iter().position(|t| t == tag)
    }
}

/// A tag as looked up: lower case, CIF2/DDLm dots as underscores
/// (`_atom_site.fract_x` is `_atom_site_fract_x`).
fn tag_key(tag: &str) -> String {
    tag.to_ascii_lowercase().replace('.', "_")
}

fn is_keyword(t: &Token) -> bool {
    !t.quoted
        && (t.text.starts_with('_')
            || t.text.eq_ignore_ascii_case("loop_")
            || t.text
                .get(..5)
                .is_some_and(|p| p.eq_ignore_ascii_case("data_")))
}

fn parse_blocks(tokens: Vec<Token>, path: &Path) -> Result<Vec<Block>, CrystalError> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut before_data: Option<usize> = None;
    let mut it = tokens.into_iter().peekable();
    while let Some(tok) = it.next() {
        let lower = tok.text.to_ascii_lowercase();
        if !tok.quoted && lower.starts_with("data_") {
            blocks.push(Block {
                name: tok.text[5..].to_string(),
                line: tok.line,
                ..Block::default()
            });
            continue;
        }
        let Some(block) = blocks.last_mut() else {
            // Text before the first data block (a journal's header): skipped, and said so.
            if before_data.is_none() {
                before_data = Some(tok.line);
            }
            continue;
        };
        if !tok.quoted && lower == "loop_" {
            let mut lp = Loop::default();
            while let Some(t) = it.peek() {
                if !t.quoted && t.text.starts_with('_') {
                    lp.tags.push(tag_key(&t.text));
                    it.next();
                } else {
                    break;
                }
            }
            if lp.tags.is_empty() {
                return Err(CrystalError::parse(
                    path,
                    Some(tok.line),
                    "loop_ without tags",
                ));
            }
            let mut values = Vec::new();
            while let Some(t) = it.peek() {
                if is_keyword(t) {
                    break;
                }
                values.push(it.next().expect("peeked"));
            }
            if values.len() % lp.tags.len() != 0 {
                return Err(CrystalError::parse(
                    path,
                    Some(tok.line),
                    format!(
                        "loop has {} values for {} tags",
                        values.len(),
                        lp.tags.len()
                    ),
                ));
            }
            lp.rows = values.chunks(lp.tags.len()).map(|c| c.to_vec()).collect();
            block.loops.push(lp);
        } else if !tok.quoted && tok.text.starts_with('_') {
            match it.peek() {
                Some(v) if !is_keyword(v) => {
                    let v = it.next().expect("peeked");
                    block.items.insert(tag_key(&tok.text), v);
                }
                _ => {
                    return Err(CrystalError::parse(
                        path,
                        Some(tok.line),
                        format!("tag {} has no value", tok.text),
                    ))
                }
            }
        } else {
            // A value no tag owns (an unquoted value with a space in it, a tag without its
            // leading underscore): skipped, as pymatgen skips it, and said so.
            block.notes.push(format!(
                "skipped the stray value {:?} on line {} (unquoted text with spaces?)",
                tok.text, tok.line
            ));
        }
    }
    if let (Some(line), Some(first)) = (before_data, blocks.first_mut()) {
        first.notes.insert(
            0,
            format!("skipped text before the first data_ block (from line {line})"),
        );
    }
    Ok(blocks)
}

/// A CIF number: `4.0496(3)` → 4.0496; `?` and `.` → None.
fn cif_number(t: &Token, path: &Path) -> Result<Option<f64>, CrystalError> {
    let s = t.text.trim();
    if s == "?" || s == "." {
        return Ok(None);
    }
    let s = s.split('(').next().unwrap_or(s);
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map(Some)
        .ok_or_else(|| {
            CrystalError::parse(path, Some(t.line), format!("not a number: {:?}", t.text))
        })
}

/// The element named by a type symbol or site label: `Fe`, `Fe1`, `O2-`, `Sr2+`, `FE`.
///
/// A leading element symbol counts only when the rest of the label does not contradict it:
/// at most one lowercase letter may follow it as a site suffix (`Ala` is Al, `Ob1` is O),
/// two mean the name goes on (`Wet1` is refused, not W; hydrogen's `Hha` excepted, a
/// mineral-database convention); a symbol whose second letter is a
/// capital counts only in an all-capitals label (`FE1` is Fe, but `HOh1` is H, not Ho).
/// Water labels of mineral databases (AMCSD's `Wat`, `WatOW`, and `Ow`, `OW1`, `Hw`,
/// `HwL`) are oxygen and hydrogen, as pymatgen reads them; deuterium `D` (`D1`, `D2+`) is
/// hydrogen. Anything else is an error naming the label.
pub fn element_from_label(label: &str) -> Result<Element, CrystalError> {
    let t = label.trim();
    let letters: String = t.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let lower = letters.to_ascii_lowercase();
    if lower.starts_with("wat") || lower.starts_with("ow") {
        return Element::from_symbol("O");
    }
    if lower.starts_with("hw") || lower == "d" {
        return Element::from_symbol("H");
    }
    let all_caps = !letters.chars().any(|c| c.is_ascii_lowercase());
    // A symbol of `n` letters followed by at most one lowercase letter.
    let symbol_of = |n: usize| -> Option<Element> {
        if letters.len() < n {
            return None;
        }
        let rest = &letters[n..];
        let suffix_lower = rest.chars().take_while(|c| c.is_ascii_lowercase()).count();
        let sym = &letters[..n];
        // Mineral databases label hydrogens `Hha`, `Hhb` (the only longer suffixes seen
        // on real files: a symbol + 2 letters is otherwise refused).
        if suffix_lower > 1 && sym != "H" {
            return None;
        }
        if n == 2 && sym.as_bytes()[1].is_ascii_uppercase() && !all_caps {
            return None;
        }
        Element::from_symbol(sym).ok()
    };
    symbol_of(2).or_else(|| symbol_of(1)).ok_or_else(|| {
        CrystalError::UnknownElement(format!(
            "label {label:?} (give _atom_site_type_symbol for this site)"
        ))
    })
}

/// A symmetry operation x' = R·x + t in fractional coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymOp {
    pub rot: [[f64; 3]; 3],
    pub trans: [f64; 3],
}

impl SymOp {
    /// Parses `x, y, z`, `-x+1/2, y-x, z+0.25` and the like.
    /// [`SymOp::parse`], also of a magnetic operation `x,y,z,+1` (its time-reversal
    /// flag, ±1, is dropped: the atoms' positions do not depend on it).
    pub fn parse_magnetic(s: &str) -> Option<SymOp> {
        let parts: Vec<&str> = s.split(',').collect();
        if parts.len() == 4 && matches!(parts[3].trim(), "+1" | "1" | "-1") {
            return SymOp::parse(&parts[..3].join(","));
        }
        SymOp::parse(s)
    }

    pub fn parse(s: &str) -> Option<SymOp> {
        let parts: Vec<&str> = s.split(',').collect();
        if parts.len() != 3 {
            return None;
        }
        let mut op = SymOp {
            rot: [[0.0; 3]; 3],
            trans: [0.0; 3],
        };
        for (row, part) in parts.iter().enumerate() {
            let p: String = part
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            if p.is_empty() {
                return None;
            }
            // Split into signed terms.
            let mut terms = Vec::new();
            let mut cur = String::new();
            for ch in p.chars() {
                if (ch == '+' || ch == '-') && !cur.is_empty() {
                    terms.push(std::mem::take(&mut cur));
                }
                cur.push(ch);
            }
            terms.push(cur);
            for term in terms {
                let (sign, body) = match term.strip_prefix('-') {
                    Some(b) => (-1.0, b),
                    None => (1.0, term.strip_prefix('+').unwrap_or(&term)),
                };
                if let Some(var) = body.chars().last().filter(|c| matches!(c, 'x' | 'y' | 'z')) {
                    let coef_str = body[..body.len() - 1].trim_end_matches('*');
                    let coef = if coef_str.is_empty() {
                        1.0
                    } else {
                        parse_fraction(coef_str)?
                    };
                    let col = (var as u8 - b'x') as usize;
                    op.rot[row][col] += sign * coef;
                } else {
                    op.trans[row] += sign * parse_fraction(body)?;
                }
            }
        }
        Some(op)
    }

    /// Applies the operation to fractional coordinates.
    pub fn apply(&self, f: [f64; 3]) -> [f64; 3] {
        let r = &self.rot;
        [
            r[0][0] * f[0] + r[0][1] * f[1] + r[0][2] * f[2] + self.trans[0],
            r[1][0] * f[0] + r[1][1] * f[1] + r[1][2] * f[2] + self.trans[1],
            r[2][0] * f[0] + r[2][1] * f[1] + r[2][2] * f[2] + self.trans[2],
        ]
    }
}

fn parse_fraction(s: &str) -> Option<f64> {
    match s.split_once('/') {
        Some((n, d)) => {
            let d: f64 = d.parse().ok()?;
            (d != 0.0).then_some(n.parse::<f64>().ok()? / d)
        }
        None => s.parse().ok(),
    }
}

fn block_to_entry(block: &Block, path: &Path, limits: &CellLimits) -> Result<Entry, CrystalError> {
    let err = |line: usize, msg: String| CrystalError::parse(path, Some(line), msg);
    let in_block = |v: LimitViolation| format!("data block {:?}: {v}", block.name);
    let mut cell = [0.0; 6];
    let names = [
        "_cell_length_a",
        "_cell_length_b",
        "_cell_length_c",
        "_cell_angle_alpha",
        "_cell_angle_beta",
        "_cell_angle_gamma",
    ];
    let mut notes: Vec<String> = block.notes.clone();
    for (k, name) in names.iter().enumerate() {
        let Some(tok) = block.items.get(*name) else {
            // A missing angle is a right angle (orthogonal cells often omit them, and
            // pymatgen assumes 90°); a missing length is an error.
            if k >= 3 {
                cell[k] = 90.0;
                notes.push(format!("no {name}: 90° assumed"));
                continue;
            }
            return Err(err(
                block.line,
                format!("data block {:?} has no {name}", block.name),
            ));
        };
        cell[k] =
            cif_number(tok, path)?.ok_or_else(|| err(tok.line, format!("{name} is unknown")))?;
    }
    let cell_line = block
        .items
        .get("_cell_length_a")
        .map_or(block.line, |t| t.line);
    let lattice = Lattice::from_parameters(cell[0], cell[1], cell[2], cell[3], cell[4], cell[5])
        .map_err(|e| err(cell_line, e.to_string()))?;
    limits
        .check_lattice(&lattice)
        .map_err(|v| err(cell_line, in_block(v)))?;

    let sites = block.sites_loop().ok_or_else(|| {
        err(
            block.line,
            format!(
                "data block {:?} has no _atom_site loop with coordinates",
                block.name
            ),
        )
    })?;
    let (cols, cartesian) = match sites.col("_atom_site_fract_x") {
        Some(_) => (
            [
                "_atom_site_fract_x",
                "_atom_site_fract_y",
                "_atom_site_fract_z",
            ],
            false,
        ),
        None => (
            [
                "_atom_site_cartn_x",
                "_atom_site_cartn_y",
                "_atom_site_cartn_z",
            ],
            true,
        ),
    };
    let xyz: Vec<usize> = cols
        .iter()
        .map(|c| {
            sites
                .col(c)
                .ok_or_else(|| err(block.line, format!("atom_site loop lacks {c}")))
        })
        .collect::<Result<_, _>>()?;
    let type_col = sites.col("_atom_site_type_symbol");
    let label_col = sites.col("_atom_site_label");
    if type_col.is_none() && label_col.is_none() {
        return Err(err(
            block.line,
            "atom_site loop has neither _atom_site_type_symbol nor _atom_site_label".into(),
        ));
    }
    let occ_col = sites.col("_atom_site_occupancy");
    // `_atom_site_calc_flag dum`: a dummy site (a ring centroid, say), no atom.
    let calc_col = sites.col("_atom_site_calc_flag");
    let mut dummies: Vec<String> = Vec::new();

    let mut asym: Vec<(Element, [f64; 3])> = Vec::with_capacity(sites.rows.len());
    // Per asymmetric site: its occupancy (1 when not given), label and the line of its
    // occupancy (for errors).
    let mut occupancy: Vec<Occupied> = Vec::with_capacity(sites.rows.len());
    let mut deuterium = false;
    let mut dot_coordinates = 0usize;
    for row in &sites.rows {
        if let Some(c) = calc_col.filter(|&c| row[c].text.eq_ignore_ascii_case("dum")) {
            let label = label_col.map_or(&row[c].text, |l| &row[l].text);
            dummies.push(label.clone());
            continue;
        }
        // The type symbol, unless it is unknown (`?`, `.`); else the label.
        let st = type_col
            .map(|c| &row[c])
            .filter(|t| t.text != "?" && t.text != ".")
            .or(label_col.map(|c| &row[c]))
            // An unknown type symbol and no label: the error names the `?`.
            .unwrap_or_else(|| &row[type_col.or(label_col).unwrap_or(0)]);
        let letters: String = st
            .text
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        deuterium |= letters == "D";
        let site = label_col.map_or(st.text.as_str(), |c| row[c].text.as_str());
        let el = element_from_label(&st.text)
            .map_err(|e| err(st.line, format!("site {site:?}: {e}")))?;
        let mut occ = 1.0;
        let mut occ_line = st.line;
        if let Some(oc) = occ_col {
            if let Some(o) = cif_number(&row[oc], path)? {
                if o.abs() < 1e-6 {
                    // An empty site (a placeholder): dropped, and said so.
                    notes.push(format!("dropped site {site:?}: occupancy 0"));
                    continue;
                }
                if o < 0.0 {
                    return Err(err(
                        row[oc].line,
                        format!("site {site:?}: occupancy {o} is negative"),
                    ));
                }
                occ = o;
                occ_line = row[oc].line;
            }
        }
        let mut p = [0.0; 3];
        for k in 0..3 {
            let tok = &row[xyz[k]];
            p[k] = match cif_number(tok, path)? {
                Some(x) => x,
                // ICSD writes a zero coordinate as `.`; `?` is unknown.
                None if tok.text == "." => {
                    dot_coordinates += 1;
                    0.0
                }
                None => {
                    return Err(err(
                        tok.line,
                        format!("site {site:?}: unknown coordinate {:?}", tok.text),
                    ))
                }
            };
        }
        if cartesian {
            p = lattice.cart_to_frac(p);
        }
        limits
            .check_frac(asym.len(), p)
            .map_err(|v| err(row[xyz[0]].line, in_block(v)))?;
        asym.push((el, p));
        occupancy.push(Occupied {
            occupancy: occ,
            label: site.to_string(),
            line: occ_line,
        });
    }
    if asym.is_empty() {
        return Err(err(block.line, "no atoms".into()));
    }
    if !dummies.is_empty() {
        notes.push(format!(
            "skipped {} dummy site{} (_atom_site_calc_flag dum): {}",
            dummies.len(),
            if dummies.len() == 1 { "" } else { "s" },
            dummies.join(", ")
        ));
    }
    if dot_coordinates > 0 {
        notes.push(format!(
            "{dot_coordinates} coordinate{} written `.` read as 0 (as ICSD writes zero)",
            if dot_coordinates == 1 { "" } else { "s" }
        ));
    }

    // The operations: the ordinary list, or a magnetic CIF's operations and centring
    // translations (their time-reversal flag dropped; the closure below composes them).
    const OPS_TAGS: [&str; 4] = [
        "_symmetry_equiv_pos_as_xyz",
        "_space_group_symop_operation_xyz",
        "_space_group_symop_magn_operation_xyz",
        "_space_group_symop_magn_centering_xyz",
    ];
    let ops_loop = block
        .loops
        .iter()
        .find_map(|l| OPS_TAGS.iter().find_map(|t| l.col(t)).map(|c| (l, c)));
    let mut ops = Vec::new();
    let mut listed: Vec<&Token> = Vec::new();
    for l in &block.loops {
        for tag in OPS_TAGS {
            if let Some(c) = l.col(tag) {
                listed.extend(l.rows.iter().map(|r| &r[c]));
                break;
            }
        }
    }
    if listed.is_empty() {
        listed.extend(OPS_TAGS.iter().filter_map(|t| block.items.get(*t)));
    }
    let magnetic = block.loops.iter().any(|l| {
        l.col("_space_group_symop_magn_operation_xyz").is_some()
            || l.col("_space_group_symop_magn_centering_xyz").is_some()
    }) || OPS_TAGS[2..].iter().any(|t| block.items.contains_key(*t));
    for t in listed {
        ops.push(
            SymOp::parse_magnetic(&t.text)
                .ok_or_else(|| err(t.line, format!("bad symmetry operation {:?}", t.text)))?,
        );
    }
    if ops.is_empty() {
        let (named, note) = space_group_operations(block, path, &cell)?;
        ops = named;
        notes.extend(note);
    }
    let ops_line = ops_loop
        .and_then(|(l, c)| l.rows.first().map(|r| r[c].line))
        .unwrap_or(block.line);
    if ops.len() > MAX_SYMMETRY_OPERATIONS {
        return Err(err(
            ops_line,
            format!(
                "data block {:?}: {} symmetry operations, more than any space group has \
                 ({MAX_SYMMETRY_OPERATIONS})",
                block.name,
                ops.len()
            ),
        ));
    }
    if deuterium {
        notes.push(
            "deuterium (D) read as hydrogen: mass and density use hydrogen's (pymatgen uses 2.014 u)"
                .to_string(),
        );
    }
    if magnetic {
        notes.push(format!(
            "magnetic CIF: {} magnetic operations and centring translations applied to the positions, time reversal ignored",
            ops.len()
        ));
    }
    let n_listed = ops.len();
    let ops = closed_group(&ops).ok_or_else(|| {
        err(
            ops_line,
            format!(
                "data block {:?}: the {} symmetry operations generate more than \
                 {MAX_SYMMETRY_OPERATIONS} (no space group has more)",
                block.name,
                ops.len()
            ),
        )
    })?;
    // Each site gives at least |ops| / 48 distinct atoms (48: the largest point group).
    let at_least = asym.len().saturating_mul(ops.len().max(1)) / 48;
    if at_least > limits.max_atoms {
        return Err(err(
            block.line,
            format!(
                "data block {:?}: {} sites under {} symmetry operations give more than {} \
                 atoms (--max-atoms)",
                block.name,
                asym.len(),
                ops.len(),
                limits.max_atoms
            ),
        ));
    }
    if !magnetic && n_listed > 0 && ops.len() > n_listed {
        notes.push(format!(
            "the {n_listed} symmetry operations listed are not a group: completed to {} \
             (a typing error in the list would add atoms; check the formula)",
            ops.len()
        ));
    }
    let is_identity_only = ops.is_empty()
        || (ops.len() == 1
            && ops[0].rot == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
            && ops[0].trans == [0.0; 3]);

    let partial = occupancy
        .iter()
        .any(|o| o.occupancy < 1.0 - OCCUPANCY_TOLERANCE);
    let (species, frac) = if partial {
        let ops: &[SymOp] = if is_identity_only { &[] } else { &ops };
        let (species, frac, disorder_notes) =
            resolve_occupancies(&lattice, &asym, &occupancy, ops, limits)
                .map_err(|(line, msg)| err(line, msg))?;
        notes.extend(disorder_notes);
        (species, frac)
    } else if is_identity_only {
        asym.into_iter().unzip()
    } else {
        expand_symmetry(&lattice, &asym, &ops, limits.max_atoms)
    };
    if let Some(note) = formula_check(block, &species) {
        notes.push(note);
    }
    if let Some((i, j, d)) = coincident_pair(&lattice, &species, &frac) {
        notes.push(format!(
            "atoms {} ({}) and {} ({}) are {d:.3} Å apart: coincident sites of different \
             species (a disordered site written as two?)",
            i + 1,
            species[i].symbol(),
            j + 1,
            species[j].symbol()
        ));
    }
    let crystal =
        Crystal::new(lattice, species, frac).map_err(|e| err(block.line, e.to_string()))?;
    limits
        .check(&crystal)
        .map_err(|v| err(block.line, in_block(v)))?;
    let mut entry = Entry::new(block.name.clone(), crystal);
    entry.notes = notes;
    Ok(entry)
}

/// A note when the atoms read differ from the block's own `_chemical_formula_sum` times
/// `_cell_formula_units_Z` (both given): a symmetry list with a typing error, the wrong
/// origin choice, hydrogens not located, … None when they agree or either is missing or
/// unreadable.
fn formula_check(block: &Block, species: &[Element]) -> Option<String> {
    let formula = block.items.get("_chemical_formula_sum")?;
    let z = cif_number(block.items.get("_cell_formula_units_z")?, Path::new(""))
        .ok()
        .flatten()?;
    let mut want: Vec<(Element, f64)> = Vec::new();
    for tok in formula.text.split_whitespace() {
        let sym: String = tok
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        let rest = &tok[sym.len()..];
        let n: f64 = if rest.is_empty() {
            1.0
        } else {
            rest.parse().ok()?
        };
        let e = Element::from_symbol(&sym).ok()?;
        match want.iter_mut().find(|w| w.0 == e) {
            Some(w) => w.1 += n * z,
            None => want.push((e, n * z)),
        }
    }
    let count = |e: Element| species.iter().filter(|&&s| s == e).count() as f64;
    let agrees = want
        .iter()
        .all(|&(e, n)| (count(e) - n).abs() < 0.01 * n.max(1.0))
        && species.iter().all(|s| want.iter().any(|w| w.0 == *s));
    if agrees {
        return None;
    }
    let expected: f64 = want.iter().map(|w| w.1).sum();
    Some(format!(
        "{} atoms read, but _chemical_formula_sum '{}' × Z {z} gives {expected}: check the \
         symmetry operations, or hydrogens missing from the atom sites",
        species.len(),
        formula.text.trim()
    ))
}

/// The first pair of atoms of different species closer than [`MERGE_TOLERANCE_A`]
/// (indices and distance in Å), if any.
fn coincident_pair(
    lattice: &Lattice,
    species: &[Element],
    frac: &[[f64; 3]],
) -> Option<(usize, usize, f64)> {
    let tol2 = MERGE_TOLERANCE_A * MERGE_TOLERANCE_A;
    (0..frac.len()).find_map(|i| {
        (i + 1..frac.len()).find_map(|j| {
            if species[i] == species[j] {
                return None;
            }
            let d2 = norm2(lattice.frac_to_cart(reduce_diff(sub(frac[j], frac[i]))));
            (d2 < tol2).then(|| (i, j, d2.sqrt()))
        })
    })
}

/// Operations of the space group a block names by number or Hermann–Mauguin symbol, for
/// files without an explicit list; empty when it names none. The symbol's setting is used
/// (`P2_1/n`, `R-3:R`, origin choices); a number alone means the standard setting. The cell
/// must fit the group's lattice system (a primitive rhombohedral cell of Si named Fd-3m
/// would otherwise become 8 atoms at 9.5 g/cm³): a cell that does not is an error.
fn space_group_operations(
    block: &Block,
    path: &Path,
    cell: &[f64; 6],
) -> Result<(Vec<SymOp>, Option<String>), CrystalError> {
    let number_tok = ["_space_group_it_number", "_symmetry_int_tables_number"]
        .iter()
        .filter_map(|t| block.items.get(*t))
        .find(|t| t.text != "?" && t.text != ".");
    let symbol_tok = [
        "_space_group_name_h-m_alt",
        "_symmetry_space_group_name_h-m",
    ]
    .iter()
    .filter_map(|t| block.items.get(*t))
    .find(|t| t.text != "?" && t.text != ".");
    let [a, b, c, al, be, ga] = *cell;
    let close = |x: f64, y: f64| (x - y).abs() <= 2e-3 * x.max(y);
    let right = |x: f64| (x - 90.0).abs() <= 0.5;
    let rhombohedral_axes = close(a, b)
        && close(b, c)
        && (al - be).abs() <= 0.5
        && (be - ga).abs() <= 0.5
        && !right(al);
    let number_of = |t: &Token| match t.text.parse::<u8>() {
        Ok(n) if (1..=230).contains(&n) => Ok(n),
        _ => Err(CrystalError::parse(
            path,
            Some(t.line),
            format!("space group number {:?} is not 1–230", t.text),
        )),
    };
    let hall_tok = ["_space_group_name_hall", "_symmetry_space_group_name_hall"]
        .iter()
        .filter_map(|t| block.items.get(*t))
        .find(|t| t.text != "?" && t.text != ".");
    // A centring letter and its translations, for a symbol read as a primitive one.
    let mut centring: Option<(char, &[[f64; 3]])> = None;
    let (hall, tok) = match (
        hall_tok.and_then(|t| Some((hall_from_hall_symbol(&t.text)?, t))),
        symbol_tok,
        number_tok,
    ) {
        // A Hall symbol names the setting exactly (origin choice included).
        (Some((hall, t)), _, _) => (hall, t),
        (None, Some(t), n) => {
            let hall = match hall_from_symbol(&t.text, rhombohedral_axes) {
                Some(hall) => hall,
                None => {
                    // A non-standard centring of a known primitive symbol (`A -1`, `I 2/b`):
                    // the primitive group's operations with the centring translations.
                    let (hall, letter, vectors) = centred_symbol(&t.text, rhombohedral_axes)
                        .ok_or_else(|| {
                            CrystalError::parse(
                                path,
                                Some(t.line),
                                format!(
                                    "unknown space group symbol {:?} (and no symmetry operations)",
                                    t.text
                                ),
                            )
                        })?;
                    centring = Some((letter, vectors));
                    hall
                }
            };
            // A number that contradicts the symbol is an error, not a guess.
            if let Some(n) = n {
                let named = hall_symbol_entry(hall).map_or(0, |e| e.number as u8);
                if number_of(n)? != named {
                    return Err(CrystalError::parse(
                        path,
                        Some(n.line),
                        format!(
                            "space group number {} contradicts the symbol {:?} (number {named}), and there are no symmetry operations",
                            n.text, t.text
                        ),
                    ));
                }
            }
            (hall, t)
        }
        (None, None, Some(t)) => {
            let n = number_of(t)?;
            let hall = match (rhombohedral_axes, (146..=167).contains(&n)) {
                // R groups on rhombohedral axes: the `R` setting, one after the `H` one.
                (true, true) if [146, 148, 155, 160, 161, 166, 167].contains(&n) => {
                    standard_hall(n) + 1
                }
                _ => standard_hall(n),
            };
            (hall, t)
        }
        (None, None, None) => return Ok((Vec::new(), None)),
    };
    let entry = hall_symbol_entry(hall).expect("a Hall number from the table");
    let number = entry.number as u8;
    let system_ok = match number {
        1..=2 => true,
        3..=15 => [al, be, ga].iter().filter(|x| right(**x)).count() >= 2,
        16..=74 => right(al) && right(be) && right(ga),
        75..=142 => right(al) && right(be) && right(ga) && close(a, b),
        143..=194 if entry.setting.eq_ignore_ascii_case("r") => rhombohedral_axes,
        143..=194 => close(a, b) && right(al) && right(be) && (ga - 120.0).abs() <= 0.5,
        _ => close(a, b) && close(b, c) && right(al) && right(be) && right(ga),
    };
    if !system_ok {
        return Err(CrystalError::parse(
            path,
            Some(tok.line),
            format!(
                "the cell (a={a}, b={b}, c={c} Å, α={al}, β={be}, γ={ga}°) does not fit space \
                 group {} ({number}) named here, and the file lists no symmetry operations: \
                 give the operations or the group's conventional cell",
                entry.hm_short.replace(' ', "")
            ),
        ));
    }
    let mut ops: Vec<SymOp> = operations_for_hall(hall)?
        .into_iter()
        .map(|(rot, trans)| SymOp { rot, trans })
        .collect();
    // A symbol spelled other than the tables' (old notation `P m 3 m`, subscripts as
    // `2_1` or `2(1)`, a brace remark) is said, with the group it was read as: other
    // readers take such names for P1. Spaces, case and a `:setting` suffix are not
    // spelling; `P 21/n` is the usual short form of the full `P 1 21/n 1`.
    let spelling = |t: &str| -> String {
        t.split(':')
            .next()
            .unwrap_or(t)
            .chars()
            .filter(|c| *c != ' ')
            .collect::<String>()
            .to_ascii_lowercase()
    };
    // The table's symbols with `21` for moyo's `2_1`; the full one also without its `1`
    // axes (monoclinic `P 1 21/n 1` is written `P 21/n`).
    let full_without_ones: String = entry
        .hm_full
        .split(' ')
        .filter(|t| *t != "1")
        .collect::<Vec<_>>()
        .join(" ");
    let usual = [entry.hm_short, entry.hm_full, full_without_ones.as_str()]
        .map(|h| spelling(&h.replace('_', "")));
    let unusual =
        symbol_tok.is_some_and(|t| std::ptr::eq(t, tok)) && !usual.contains(&spelling(&tok.text));
    let named = unusual.then(|| {
        let standard = standard_hall(number) == hall;
        format!(
            "space group symbol {:?} read as {} ({number}{})",
            tok.text,
            if standard {
                entry.hm_short.replace(' ', "")
            } else {
                full_without_ones.replace(' ', "")
            },
            if standard {
                String::new()
            } else {
                format!(", setting {}", entry.setting)
            },
        )
    });
    let note = centring.map(|(letter, vectors)| {
        let primitive = ops.clone();
        for v in vectors {
            ops.extend(primitive.iter().map(|o| SymOp {
                rot: o.rot,
                trans: [0, 1, 2].map(|k| wrap_frac(o.trans[k] + v[k])),
            }));
        }
        format!(
            "space group {:?} is not a standard setting: read as {} ({number}) with the {letter} \
             centring translations added",
            tok.text,
            entry.hm_short.replace(' ', "")
        )
    });
    Ok((ops, note.or(named)))
}

/// A triclinic symbol under a centring letter (`A -1` is P-1 with A centring): the
/// primitive group's Hall number, the letter and its centring translations.
fn centred_symbol(
    symbol: &str,
    rhombohedral_axes: bool,
) -> Option<(i32, char, &'static [[f64; 3]])> {
    const A: [[f64; 3]; 1] = [[0.0, 0.5, 0.5]];
    const B: [[f64; 3]; 1] = [[0.5, 0.0, 0.5]];
    const C: [[f64; 3]; 1] = [[0.5, 0.5, 0.0]];
    const I: [[f64; 3]; 1] = [[0.5, 0.5, 0.5]];
    const F: [[f64; 3]; 3] = [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]];
    let t = symbol.trim();
    let letter = t.chars().next()?.to_ascii_uppercase();
    let vectors: &'static [[f64; 3]] = match letter {
        'A' => &A,
        'B' => &B,
        'C' => &C,
        'I' => &I,
        'F' => &F,
        _ => return None,
    };
    let hall = hall_from_symbol(&format!("P{}", &t[1..]), rhombohedral_axes)?;
    // Only triclinic: a centring added to P1 or P-1 keeps the group (a non-reduced cell);
    // monoclinic and higher centred settings are in the table, and a centring added to
    // another primitive group makes a different group (C added to P m m a is not Cmma).
    let triclinic = hall_symbol_entry(hall).is_some_and(|e| e.number <= 2);
    triclinic.then_some((hall, letter, vectors))
}

/// The Hall number of the standard (spglib) setting of space group `number`.
fn standard_hall(number: u8) -> i32 {
    moyo::data::Setting::Spglib
        .hall_number(number as i32)
        .unwrap_or(1)
}

/// The group `ops` generate: every composition of them, translations modulo 1 (equal
/// within 0.01), added until nothing new appears. A file's list is usually the whole group
/// already; a partial list (centring and inversion only, say) is completed as pymatgen does.
/// `None` when more than [`MAX_SYMMETRY_OPERATIONS`] appear (bogus operations, or
/// rotations that are not of finite order, generate without end).
fn closed_group(ops: &[SymOp]) -> Option<Vec<SymOp>> {
    let same = |a: &SymOp, b: &SymOp| {
        (0..3).all(|r| {
            (0..3).all(|c| (a.rot[r][c] - b.rot[r][c]).abs() < 1e-6)
                && reduce_frac(a.trans[r] - b.trans[r]).abs() < 0.01
        })
    };
    let mut group: Vec<SymOp> = Vec::with_capacity(ops.len());
    for o in ops {
        if !group.iter().any(|g| same(g, o)) {
            group.push(*o);
        }
    }
    let mut i = 0;
    while i < group.len() {
        for j in 0..ops.len().min(group.len()) {
            let (a, b) = (group[i], group[j]);
            // (b ∘ a)(x) = Rb (Ra x + ta) + tb
            let mut c = SymOp {
                rot: [[0.0; 3]; 3],
                trans: b.apply(a.trans),
            };
            for r in 0..3 {
                for k in 0..3 {
                    c.rot[r][k] = (0..3).map(|m| b.rot[r][m] * a.rot[m][k]).sum();
                }
            }
            if !group.iter().any(|g| same(g, &c)) {
                if group.len() == MAX_SYMMETRY_OPERATIONS {
                    return None;
                }
                group.push(c);
            }
        }
        i += 1;
    }
    Some(group)
}

/// The atoms of the asymmetric unit under every operation, images closer than
/// [`MERGE_TOLERANCE_A`] merged; stops after `max_atoms + 1` atoms (the caller's limit check
/// then refuses the cell).
fn expand_symmetry(
    lattice: &Lattice,
    asym: &[(Element, [f64; 3])],
    ops: &[SymOp],
    max_atoms: usize,
) -> (Vec<Element>, Vec<[f64; 3]>) {
    let mut species = Vec::new();
    let mut frac: Vec<[f64; 3]> = Vec::new();
    let tol2 = MERGE_TOLERANCE_A * MERGE_TOLERANCE_A;
    for &(el, p) in asym {
        for op in ops {
            let q = op.apply(p).map(wrap_frac);
            let dup = frac.iter().zip(&species).any(|(f, &e)| {
                if e != el {
                    return false;
                }
                norm2(lattice.frac_to_cart(reduce_diff(sub(q, *f)))) < tol2
            });
            if !dup {
                species.push(el);
                frac.push(q);
                if species.len() > max_atoms {
                    return (species, frac);
                }
            }
        }
    }
    (species, frac)
}

/// Species and fractional coordinates of the atoms kept, and notes on what was changed.
type ResolvedSites = (Vec<Element>, Vec<[f64; 3]>, Vec<String>);

/// One asymmetric site's occupancy, as read.
struct Occupied {
    /// Occupancy, 1 when the file gives none.
    occupancy: f64,
    /// The site's label (its type symbol when it has none).
    label: String,
    /// The line of its occupancy, for errors.
    line: usize,
}

/// The atoms of a block with partially occupied sites, and notes on what was changed.
///
/// Each site is expanded by `ops` on its own (empty `ops`: the identity); images of
/// different sites closer than [`MERGE_TOLERANCE_A`] are one position, whose occupancies
/// add up. A position holding one species at total occupancy ≥ 1 − `OCCUPANCY_TOLERANCE`
/// is an ordinary atom: two half-occupied sites that symmetry puts on one another (how some
/// refinements write a hydrogen beside a mirror plane) are one full site, as pymatgen reads
/// them. Every other position is disordered: under [`Disorder::Refuse`] it is an error
/// naming its sites; under [`Disorder::Majority`] a position whose occupancies sum to 1
/// within [`MAJORITY_SUM_TOLERANCE`] keeps its majority species (the first listed on a
/// tie), with a note; a partly empty position (a vacancy) is refused under both. The
/// error is (line, message).
fn resolve_occupancies(
    lattice: &Lattice,
    asym: &[(Element, [f64; 3])],
    occupancy: &[Occupied],
    ops: &[SymOp],
    limits: &CellLimits,
) -> Result<ResolvedSites, (usize, String)> {
    let tol2 = MERGE_TOLERANCE_A * MERGE_TOLERANCE_A;
    // Each position: fractional coordinates and the asymmetric sites on it.
    let mut positions: Vec<([f64; 3], Vec<usize>)> = Vec::new();
    'sites: for (i, &(el, p)) in asym.iter().enumerate() {
        let orbit = if ops.is_empty() {
            vec![p.map(wrap_frac)]
        } else {
            expand_symmetry(lattice, &[(el, p)], ops, limits.max_atoms).1
        };
        for q in orbit {
            let near = |f: &[f64; 3]| norm2(lattice.frac_to_cart(reduce_diff(sub(q, *f)))) < tol2;
            match positions.iter_mut().find(|(f, _)| near(f)) {
                Some((_, on)) => {
                    if !on.contains(&i) {
                        on.push(i);
                    }
                }
                None => {
                    positions.push((q, vec![i]));
                    if positions.len() > limits.max_atoms {
                        // The caller's limit check refuses the cell.
                        break 'sites;
                    }
                }
            }
        }
    }
    let describe = |on: &[usize]| {
        on.iter()
            .map(|&i| {
                let o = &occupancy[i];
                format!(
                    "{:?} ({} {})",
                    o.label,
                    asym[i].0.symbol(),
                    short(o.occupancy)
                )
            })
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let mut species = Vec::with_capacity(positions.len());
    let mut frac = Vec::with_capacity(positions.len());
    // Notes by the sites they describe, with the number of atoms each covers.
    let mut changed: Vec<(String, usize)> = Vec::new();
    for (q, on) in &positions {
        let mut composition: Vec<(Element, f64)> = Vec::new();
        for &i in on {
            let (el, o) = (asym[i].0, occupancy[i].occupancy);
            match composition.iter_mut().find(|c| c.0 == el) {
                Some(c) => c.1 += o,
                None => composition.push((el, o)),
            }
        }
        let total: f64 = composition.iter().map(|c| c.1).sum();
        let (majority, _) =
            composition.iter().fold(
                composition[0],
                |best, &c| if c.1 > best.1 { c } else { best },
            );
        // The line of the first partly occupied site on the position.
        let line = on
            .iter()
            .map(|&i| &occupancy[i])
            .find(|o| o.occupancy < 1.0 - OCCUPANCY_TOLERANCE)
            .unwrap_or(&occupancy[on[0]])
            .line;
        let sum_is_one = (total - 1.0).abs() <= MAJORITY_SUM_TOLERANCE;
        let note = if composition.len() == 1 && total >= 1.0 - OCCUPANCY_TOLERANCE {
            (on.len() > 1).then(|| {
                format!(
                    "sites {} fall on one position under symmetry: read as one {} site, \
                     occupancies added",
                    describe(on),
                    majority.symbol()
                )
            })
        } else if limits.disorder == Disorder::Majority && sum_is_one {
            Some(format!(
                "--disorder majority: site {} read as {}",
                describe(on),
                majority.symbol()
            ))
        } else if total > 1.0 + MAJORITY_SUM_TOLERANCE {
            return Err((
                line,
                format!(
                    "site {}: occupancies sum to {}, over 1 (refused under every --disorder)",
                    describe(on),
                    short(total)
                ),
            ));
        } else if composition.len() == 1 || !sum_is_one {
            let hint = if sum_is_one {
                format!("; --disorder majority reads it as {}", majority.symbol())
            } else {
                " (refused under every --disorder)".to_string()
            };
            return Err((
                line,
                format!(
                    "partial occupancy {} on site {}: a partly empty site is not an ordered \
                     structure{hint}",
                    short(total),
                    describe(on)
                ),
            ));
        } else {
            return Err((
                line,
                format!(
                    "site {}: {} species share one position (occupancies sum to {}): \
                     disordered structures are refused by default; --disorder majority keeps {}",
                    describe(on),
                    composition.len(),
                    short(total),
                    majority.symbol()
                ),
            ));
        };
        if let Some(note) = note {
            match changed.iter_mut().find(|c| c.0 == note) {
                Some(c) => c.1 += 1,
                None => changed.push((note, 1)),
            }
        }
        species.push(majority);
        frac.push(*q);
    }
    let notes = changed
        .into_iter()
        .map(|(note, n)| format!("{note} ({n} atom{})", if n == 1 { "" } else { "s" }))
        .collect();
    Ok((species, frac, notes))
}

/// A number as a person writes it: at most four decimals, trailing zeros dropped.
fn short(x: f64) -> String {
    let t = format!("{x:.4}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Reads every data block of CIF text within the default [`CellLimits`]. `path` only
/// names the source in errors.
pub fn parse_cif(text: &str, path: &Path) -> Result<Vec<Entry>, CrystalError> {
    parse_cif_with(text, path, &CellLimits::default())
}

/// Reads every data block of CIF text; a block outside `limits` is an error naming the
/// line, the block and the value.
pub fn parse_cif_with(
    text: &str,
    path: &Path,
    limits: &CellLimits,
) -> Result<Vec<Entry>, CrystalError> {
    parse_cif_blocks(text, path, limits)?.into_iter().collect()
}

/// Every structure of CIF text, one result per data block that holds one (so that one bad
/// block does not hide the others); the outer error is text that is no CIF at all.
pub fn parse_cif_blocks(
    text: &str,
    path: &Path,
    limits: &CellLimits,
) -> Result<Vec<Result<Entry, CrystalError>>, CrystalError> {
    let tokens = tokenize(text, path)?;
    let blocks = parse_blocks(tokens, path)?;
    if blocks.is_empty() {
        return Err(CrystalError::parse(path, None, "no data_ block"));
    }
    // Blocks without a cell and without atom sites (a publication block, IUCr's
    // `data_global`) hold no structure: skipped, and said so on the file's structures.
    let (structural, skipped): (Vec<&Block>, Vec<&Block>) =
        blocks.iter().partition(|b| b.has_structure());
    if structural.is_empty() {
        return Err(CrystalError::parse(
            path,
            None,
            format!(
                "no data block with a cell or atom sites (blocks: {})",
                blocks
                    .iter()
                    .map(|b| b.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let notes: Vec<String> = skipped
        .iter()
        .map(|b| format!("skipped data block {:?} (no cell, no atom sites)", b.name))
        .collect();
    Ok(structural
        .into_iter()
        .map(|b| {
            block_to_entry(b, path, limits).map(|mut e| {
                e.notes.extend(notes.iter().cloned());
                e
            })
        })
        .collect())
}

/// Reads a CIF file within the default [`CellLimits`].
pub fn read_cif(path: &Path) -> Result<Vec<Entry>, CrystalError> {
    read_cif_with(path, &CellLimits::default())
}

/// Every structure of a CIF file within `limits`, one result per data block (see
/// [`parse_cif_blocks`]).
pub fn read_cif_blocks(
    path: &Path,
    limits: &CellLimits,
) -> Result<Vec<Result<Entry, CrystalError>>, CrystalError> {
    let text = super::read_text(path)?;
    parse_cif_blocks(&text, path, limits)
}

/// Reads a CIF file within `limits`.
pub fn read_cif_with(path: &Path, limits: &CellLimits) -> Result<Vec<Entry>, CrystalError> {
    let text = super::read_text(path)?;
    parse_cif_with(&text, path, limits)
}

/// A P1 CIF of `c` (every atom listed, identity operation only) in the layout pymatgen
/// writes, which pymatgen, ASE and VESTA read.
pub fn write_cif(name: &str, c: &Crystal) -> String {
    let sites: Vec<(usize, usize)> = (0..c.num_atoms()).map(|i| (i, 1)).collect();
    cif_text(name, c, "P 1", 1, &["x, y, z".to_string()], &sites, c)
}

/// A symmetrized CIF: the space group (Hermann–Mauguin symbol, number and every
/// operation) and the asymmetric unit of moyo's standardized cell, each site with its
/// multiplicity. pymatgen and ASE expand it back to the standardized cell.
pub fn write_symmetrized_cif(name: &str, s: &Symmetrized) -> String {
    let entry = hall_symbol_entry(s.hall_number).expect("a Hall number from moyo");
    let ops: Vec<String> = s
        .operations
        .iter()
        .map(|(rot, t)| xyz_string(rot, t))
        .collect();
    let c = &s.conventional;
    cif_text(
        name,
        c,
        entry.hm_short,
        entry.number as u8,
        &ops,
        &s.asymmetric_unit,
        c,
    )
}

/// An operation as CIF writes it: `-y, x-y, z+1/3`.
fn xyz_string(rot: &[[f64; 3]; 3], t: &[f64; 3]) -> String {
    let rows: Vec<String> = (0..3)
        .map(|r| {
            let mut term = String::new();
            for (k, var) in ['x', 'y', 'z'].iter().enumerate() {
                let v = rot[r][k].round() as i64;
                match v {
                    0 => {}
                    1 if term.is_empty() => term.push(*var),
                    1 => {
                        term.push('+');
                        term.push(*var)
                    }
                    -1 => {
                        term.push('-');
                        term.push(*var)
                    }
                    _ if term.is_empty() => term.push_str(&format!("{v}*{var}")),
                    _ => term.push_str(&format!("{v:+}*{var}")),
                }
            }
            let tr = wrap_frac(t[r]);
            if tr.abs() > 1e-9 && (1.0 - tr).abs() > 1e-9 {
                // Translations of the standard settings are multiples of 1/12 or 1/8.
                let fraction = [2u32, 3, 4, 6, 8, 12, 24]
                    .iter()
                    .find_map(|&d| {
                        let n = (tr * d as f64).round();
                        ((tr * d as f64 - n).abs() < 1e-6).then(|| {
                            let g = gcd_u32(n as u32, d);
                            format!("{}/{}", n as u32 / g, d / g)
                        })
                    })
                    .unwrap_or_else(|| format!("{tr:.8}"));
                term.push('+');
                term.push_str(&fraction);
            }
            if term.is_empty() {
                term.push('0');
            }
            term
        })
        .collect();
    rows.join(", ")
}

fn gcd_u32(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd_u32(b, a % b)
    }
}

/// The CIF text: cell of `cell`, the group (symbol, number, operations), the listed
/// `sites` of `cell` (index, multiplicity), formula and Z of `full`.
fn cif_text(
    name: &str,
    cell: &Crystal,
    hm: &str,
    number: u8,
    ops: &[String],
    sites: &[(usize, usize)],
    full: &Crystal,
) -> String {
    let [a, b, cc] = cell.lattice().lengths();
    let [al, be, ga] = cell.lattice().angles();
    let block: String = name
        .chars()
        .map(|ch| if ch.is_whitespace() { '_' } else { ch })
        .collect();
    let comp = full.composition();
    let z = full.formula_units();
    let sum: Vec<String> = comp
        .iter()
        .map(|(e, n)| format!("{}{}", e.symbol(), n / z))
        .collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# generated using crystal-diffusion {}",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(s, "data_{block}");
    let _ = writeln!(s, "_symmetry_space_group_name_H-M   '{hm}'");
    let _ = writeln!(s, "_cell_length_a   {a:.8}");
    let _ = writeln!(s, "_cell_length_b   {b:.8}");
    let _ = writeln!(s, "_cell_length_c   {cc:.8}");
    let _ = writeln!(s, "_cell_angle_alpha   {al:.8}");
    let _ = writeln!(s, "_cell_angle_beta   {be:.8}");
    let _ = writeln!(s, "_cell_angle_gamma   {ga:.8}");
    let _ = writeln!(s, "_symmetry_Int_Tables_number   {number}");
    let _ = writeln!(
        s,
        "_chemical_formula_structural   {}",
        full.reduced_formula()
    );
    let _ = writeln!(s, "_chemical_formula_sum   '{}'", sum.join(" "));
    let _ = writeln!(s, "_cell_volume   {:.8}", cell.volume_a3());
    let _ = writeln!(s, "_cell_formula_units_Z   {z}");
    let _ = writeln!(
        s,
        "loop_\n _symmetry_equiv_pos_site_id\n _symmetry_equiv_pos_as_xyz"
    );
    for (k, op) in ops.iter().enumerate() {
        let _ = writeln!(s, "  {}  '{op}'", k + 1);
    }
    let _ = writeln!(s, "loop_\n _atom_site_type_symbol\n _atom_site_label\n _atom_site_symmetry_multiplicity\n _atom_site_fract_x\n _atom_site_fract_y\n _atom_site_fract_z\n _atom_site_occupancy");
    let mut counters: HashMap<Element, usize> = HashMap::new();
    for &(i, multiplicity) in sites {
        let (e, f) = (cell.species()[i], cell.frac_coords()[i]);
        let k = counters.entry(e).or_insert(0);
        let _ = writeln!(
            s,
            "  {}  {}{}  {multiplicity}  {:.8}  {:.8}  {:.8}  1",
            e.symbol(),
            e.symbol(),
            k,
            f[0],
            f[1],
            f[2]
        );
        *k += 1;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{diamond_c, fcc_al};
    use approx::assert_relative_eq;

    fn same_structure(a: &Crystal, b: &Crystal) {
        assert_eq!(a.species(), b.species());
        for (x, y) in a.lattice().lengths().iter().zip(b.lattice().lengths()) {
            assert_relative_eq!(*x, y, epsilon = 1e-6);
        }
        for (x, y) in a.lattice().angles().iter().zip(b.lattice().angles()) {
            assert_relative_eq!(*x, y, epsilon = 1e-6);
        }
        for (p, q) in a.frac_coords().iter().zip(b.frac_coords()) {
            for k in 0..3 {
                assert_relative_eq!(p[k], q[k], epsilon = 1e-7);
            }
        }
    }

    #[test]
    fn p1_round_trip_keeps_species_cell_and_positions() {
        let tri = Crystal::new(
            Lattice::from_parameters(3.1, 4.7, 5.3, 77.0, 95.5, 112.0).unwrap(),
            vec![
                Element::from_z(38).unwrap(),
                Element::from_z(22).unwrap(),
                Element::from_z(8).unwrap(),
            ],
            vec![[0.1, 0.2, 0.3], [0.5, 0.5, 0.5], [0.9, 0.05, 0.7]],
        )
        .unwrap();
        for c in [fcc_al(), diamond_c(), tri] {
            let text = write_cif("test structure", &c);
            let back = parse_cif(&text, Path::new("mem.cif")).unwrap();
            assert_eq!(back.len(), 1);
            assert_eq!(back[0].name, "test_structure");
            same_structure(&c, &back[0].crystal);
        }
    }

    /// Bogus operations (a rotation of infinite order, here a shear) are refused once they
    /// have generated more than any space group has; 200 listed operations are refused
    /// before anything is built; a partial list is completed.
    #[test]
    fn symmetry_operations_are_a_bounded_group() {
        let head = "data_x\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n\
            _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\nloop_\n\
            _symmetry_equiv_pos_as_xyz\n";
        let atoms = "loop_\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n\
            _atom_site_fract_z\nNa 0.1 0.2 0.3\n";
        let shear = format!("{head}'x, y, z'\n'x+y, y, z'\n{atoms}");
        let e = parse_cif(&shear, Path::new("s.cif"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "s.cif:10: data block \"x\": the 2 symmetry operations generate more than 192 \
             (no space group has more)"
        );
        let many: String = (0..200).map(|k| format!("'x, y, z+{k}/200'\n")).collect();
        let e = parse_cif(&format!("{head}{many}{atoms}"), Path::new("m.cif"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("200 symmetry operations, more than any space group has (192)"),
            "{e}"
        );
        // -x, -y, -z alone generates the identity: a Na pair.
        let inv = format!("{head}'-x, -y, -z'\n{atoms}");
        assert_eq!(
            parse_cif(&inv, Path::new("i.cif")).unwrap()[0]
                .crystal
                .num_atoms(),
            2
        );
    }

    #[test]
    fn symmetry_operations_expand_the_asymmetric_unit() {
        // Rock salt from its two-site asymmetric unit and the F-centring + inversion subset
        // of Fm-3m needed to generate the 8 conventional sites.
        let text = "data_NaCl\n_cell_length_a 5.64(1)\n_cell_length_b 5.64\n_cell_length_c 5.64\n\
            _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90.0\n\
            loop_\n_symmetry_equiv_pos_as_xyz\n'x, y, z'\n'x+1/2, y+1/2, z'\n'x+1/2, y, z+1/2'\n'x, y+1/2, z+1/2'\n'-x, -y, -z'\n\
            loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n\
            Na1 0 0 0 1.0\nCl1 0.5 0.5 0.5 1\n";
        let e = &parse_cif(text, Path::new("nacl.cif")).unwrap()[0];
        assert_eq!(e.crystal.num_atoms(), 8);
        assert_eq!(e.crystal.reduced_formula(), "NaCl");
        assert_relative_eq!(crate::pbc::min_distance(&e.crystal), 2.82, epsilon = 1e-9);
    }

    #[test]
    fn space_group_symbol_alone_gives_the_operations() {
        let cell = "_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n";
        let sites = "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nNa1 0 0 0\nCl1 0.5 0.5 0.5\n";
        for sg in [
            "_symmetry_space_group_name_H-M 'F m -3 m'\n",
            "_space_group_IT_number 225\n",
        ] {
            let text = format!("data_NaCl\n{cell}{sg}{sites}");
            let e = &parse_cif(&text, Path::new("nacl.cif")).unwrap()[0];
            assert_eq!(e.crystal.num_atoms(), 8, "{sg}");
            // The same structure written as P1 and read back.
            let p1 = &parse_cif(&write_cif("NaCl", &e.crystal), Path::new("p1.cif")).unwrap()[0];
            assert_eq!(p1.crystal.num_atoms(), 8);
            assert_eq!(
                crate::symmetry::space_group(&p1.crystal, 0.1)
                    .unwrap()
                    .number,
                225
            );
        }
        let bad = format!("data_x\n{cell}_space_group_IT_number 999\n{sites}");
        assert!(parse_cif(&bad, Path::new("bad.cif"))
            .unwrap_err()
            .to_string()
            .contains("bad.cif:8"));
    }

    #[test]
    fn labels_name_elements() {
        for (l, s) in [
            ("Fe1", "Fe"),
            ("O2-", "O"),
            ("Sr2+", "Sr"),
            ("C", "C"),
            ("Cl12", "Cl"),
            ("N3", "N"),
            ("FE", "Fe"),
            ("Ca1", "Ca"),
            ("SI1", "Si"),
            // Mineral-database water and deuterium.
            ("Wat", "O"),
            ("Wat2", "O"),
            ("OW1", "O"),
            ("Hw3", "H"),
            ("D", "H"),
            ("D1", "H"),
            ("WatOW", "O"),
            ("HwL", "H"),
            // One lowercase letter after a symbol is a site suffix.
            ("Ala", "Al"),
            ("Ob1", "O"),
            ("Pbl", "Pb"),
            ("Hh", "H"),
            ("Hha", "H"),
            // A capital second letter makes a symbol only in an all-capitals label.
            ("HOh1", "H"),
            ("CA1", "Ca"),
        ] {
            assert_eq!(element_from_label(l).unwrap().symbol(), s, "{l}");
        }
        for bad in ["123", "Xx1", "Wet", "Qz"] {
            let e = element_from_label(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("label {bad:?}")), "{e}");
        }
    }

    #[test]
    fn errors_name_the_line() {
        let text = "data_x\n_cell_length_a 4.0\n_cell_length_b abc\n";
        let e = parse_cif(text, Path::new("bad.cif"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.cif:3"), "{e}");
        let partial = "data_x\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
            loop_\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\nFe 0 0 0 0.5\n";
        let e = parse_cif(partial, Path::new("p.cif"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("partial occupancy") && e.contains("p.cif:14"),
            "{e}"
        );
        assert!(parse_cif("", Path::new("empty.cif")).is_err());
        assert!(parse_cif("data_x\n_cell_length_a 'unterminated\n", Path::new("q.cif")).is_err());
    }

    #[test]
    fn symop_parsing() {
        let op = SymOp::parse("-x+1/2, y-x, z+0.25").unwrap();
        assert_eq!(
            op.rot,
            [[-1.0, 0.0, 0.0], [-1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
        );
        assert_eq!(op.trans, [0.5, 0.0, 0.25]);
        assert!(SymOp::parse("x, y").is_none());
    }

    #[test]
    fn a_symmetrized_cif_reads_back_to_the_conventional_cell() {
        use crate::test_support::el;
        // Rock salt given as its 2-atom primitive cell: the symmetrized CIF holds Fm-3m's
        // 192 operations and two sites (4a, 4b), and reads back as the 8-atom cubic cell.
        let primitive = Crystal::new(
            Lattice::from_parameters(3.988, 3.988, 3.988, 60.0, 60.0, 60.0).unwrap(),
            vec![el("Na"), el("Cl")],
            vec![[0.0; 3], [0.5; 3]],
        )
        .unwrap();
        let s = crate::symmetry::symmetrize(&primitive, 0.1).unwrap();
        let text = write_symmetrized_cif("NaCl", &s);
        assert!(
            text.contains("_symmetry_space_group_name_H-M   'F m -3 m'"),
            "{text}"
        );
        assert!(text.contains("_symmetry_Int_Tables_number   225"));
        assert!(text.contains("_chemical_formula_sum   'Na1 Cl1'"), "{text}");
        assert!(text.contains("_cell_formula_units_Z   4"));
        assert!(text.contains("'x+1/2, y+1/2, z'") || text.contains("'x, y+1/2, z+1/2'"));
        let back = parse_cif(&text, Path::new("NaCl.symmetrized.cif")).unwrap();
        let c = &back[0].crystal;
        assert_eq!(c.num_atoms(), 8);
        assert_eq!(c.reduced_formula(), "NaCl");
        assert_relative_eq!(c.volume_a3(), 4.0 * primitive.volume_a3(), epsilon = 1e-6);
        assert!(back[0].notes.is_empty(), "{:?}", back[0].notes);
    }

    #[test]
    fn operations_are_written_as_cif_writes_them() {
        let hex = [[0.0, -1.0, 0.0], [1.0, -1.0, 0.0], [0.0, 0.0, 1.0]];
        assert_eq!(xyz_string(&hex, &[0.0, 0.0, 1.0 / 3.0]), "-y, x-y, z+1/3");
        let id = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        assert_eq!(xyz_string(&id, &[0.75, 0.5, 0.0]), "x+3/4, y+1/2, z");
    }

    #[test]
    fn an_over_full_site_is_refused_as_over_full() {
        let text = "data_x\n_cell_length_a 3\n_cell_length_b 3\n_cell_length_c 3\n\
                    loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n\
                    _atom_site_fract_z\n_atom_site_occupancy\nFe1 0 0 0 1.0\nNi1 0 0 0 0.5\n";
        let e = parse_cif(text, Path::new("x.cif")).unwrap_err().to_string();
        assert_eq!(
            e,
            "x.cif:12: site \"Fe1\" (Fe 1) + \"Ni1\" (Ni 0.5): occupancies sum to 1.5, over 1 \
             (refused under every --disorder)"
        );
    }
}
