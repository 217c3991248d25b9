//! CIF 1.1 reading and P1 writing.
//!
//! The reader tokenises the file (comments, quoted strings, semicolon text fields,
//! loops, several data blocks), takes the cell from `_cell_length_*` / `_cell_angle_*`
//! (numbers may carry uncertainties such as `4.0496(3)`; `?` and `.` mean unknown), the
//! atoms from the `_atom_site_*` loop (species from `_atom_site_type_symbol`, else from
//! the label: `Fe1`, `O2-`), fractional or Cartesian coordinates, and applies the
//! symmetry operations of `_symmetry_equiv_pos_as_xyz` or
//! `_space_group_symop_operation_xyz` to the asymmetric unit, merging images closer than
//! [`MERGE_TOLERANCE_A`]. Partially occupied sites are an error: a disordered site has no
//! single species, and silently picking one would be wrong.
//!
//! The writer emits a P1 CIF (every atom listed, identity operation only) with formula,
//! volume and cell, in the layout pymatgen writes, which pymatgen, ASE and VESTA read.

use crate::dataset::Entry;
use crate::elements::Element;
use crate::error::CrystalError;
use crate::geometry::{norm2, reduce_diff, reduce_frac, sub};
use crate::lattice::Lattice;
use crate::limits::{CellLimits, LimitViolation, MAX_SYMMETRY_OPERATIONS};
use crate::structure::{wrap_frac, Crystal};
use crate::symmetry::{number_from_symbol, operations_for_number};
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
    items: HashMap<String, Token>,
    loops: Vec<Loop>,
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
            return Err(CrystalError::parse(
                path,
                Some(tok.line),
                format!("expected 'data_' before {:?}", tok.text),
            ));
        };
        if !tok.quoted && lower == "loop_" {
            let mut lp = Loop::default();
            while let Some(t) = it.peek() {
                if !t.quoted && t.text.starts_with('_') {
                    lp.tags.push(t.text.to_ascii_lowercase());
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
                    block.items.insert(lower, v);
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
            return Err(CrystalError::parse(
                path,
                Some(tok.line),
                format!("unexpected value {:?}", tok.text),
            ));
        }
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

/// The element named by a type symbol or label: `Fe`, `Fe1`, `O2-`, `Sr2+`.
pub fn element_from_label(label: &str) -> Result<Element, CrystalError> {
    let letters: String = label
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let mut chars = letters.chars();
    let (Some(first), second) = (chars.next(), chars.next()) else {
        return Err(CrystalError::UnknownElement(format!("label {label:?}")));
    };
    if let Some(s) = second {
        if s.is_ascii_lowercase() || letters.len() == 2 {
            if let Ok(e) = Element::from_symbol(&letters[..2]) {
                return Ok(e);
            }
        }
    }
    Element::from_symbol(&first.to_string())
        .map_err(|_| CrystalError::UnknownElement(format!("label {label:?}")))
}

/// A symmetry operation x' = R·x + t in fractional coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymOp {
    pub rot: [[f64; 3]; 3],
    pub trans: [f64; 3],
}

impl SymOp {
    /// Parses `x, y, z`, `-x+1/2, y-x, z+0.25` and the like.
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
    for (k, name) in names.iter().enumerate() {
        let tok = block.items.get(*name).ok_or_else(|| {
            err(
                block.line,
                format!("data block {:?} has no {name}", block.name),
            )
        })?;
        cell[k] =
            cif_number(tok, path)?.ok_or_else(|| err(tok.line, format!("{name} is unknown")))?;
    }
    let cell_line = block.items["_cell_length_a"].line;
    let lattice = Lattice::from_parameters(cell[0], cell[1], cell[2], cell[3], cell[4], cell[5])
        .map_err(|e| err(cell_line, e.to_string()))?;
    limits
        .check_lattice(&lattice)
        .map_err(|v| err(cell_line, in_block(v)))?;

    let sites = block
        .loops
        .iter()
        .find(|l| l.col("_atom_site_fract_x").is_some() || l.col("_atom_site_cartn_x").is_some())
        .ok_or_else(|| {
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
    let species_col = sites
        .col("_atom_site_type_symbol")
        .or_else(|| sites.col("_atom_site_label"))
        .ok_or_else(|| {
            err(
                block.line,
                "atom_site loop has neither _atom_site_type_symbol nor _atom_site_label".into(),
            )
        })?;
    let occ_col = sites.col("_atom_site_occupancy");

    let mut asym: Vec<(Element, [f64; 3])> = Vec::with_capacity(sites.rows.len());
    for row in &sites.rows {
        let st = &row[species_col];
        let el = element_from_label(&st.text).map_err(|e| err(st.line, e.to_string()))?;
        if let Some(oc) = occ_col {
            if let Some(occ) = cif_number(&row[oc], path)? {
                if occ < 1.0 - OCCUPANCY_TOLERANCE {
                    return Err(err(row[oc].line, format!("partial occupancy {occ} on site {:?}: disordered structures are not supported", st.text)));
                }
            }
        }
        let mut p = [0.0; 3];
        for k in 0..3 {
            p[k] = cif_number(&row[xyz[k]], path)?
                .ok_or_else(|| err(row[xyz[k]].line, "unknown coordinate".into()))?;
        }
        if cartesian {
            p = lattice.cart_to_frac(p);
        }
        limits
            .check_frac(asym.len(), p)
            .map_err(|v| err(row[xyz[0]].line, in_block(v)))?;
        asym.push((el, p));
    }
    if asym.is_empty() {
        return Err(err(block.line, "no atoms".into()));
    }

    let ops_loop = block.loops.iter().find_map(|l| {
        l.col("_symmetry_equiv_pos_as_xyz")
            .or_else(|| l.col("_space_group_symop_operation_xyz"))
            .map(|c| (l, c))
    });
    let mut ops = Vec::new();
    if let Some((l, c)) = ops_loop {
        for row in &l.rows {
            ops.push(SymOp::parse(&row[c].text).ok_or_else(|| {
                err(
                    row[c].line,
                    format!("bad symmetry operation {:?}", row[c].text),
                )
            })?);
        }
    } else if let Some(t) = block
        .items
        .get("_symmetry_equiv_pos_as_xyz")
        .or_else(|| block.items.get("_space_group_symop_operation_xyz"))
    {
        ops.push(
            SymOp::parse(&t.text)
                .ok_or_else(|| err(t.line, format!("bad symmetry operation {:?}", t.text)))?,
        );
    }
    if ops.is_empty() {
        ops = space_group_operations(block, path)?;
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
    let is_identity_only = ops.is_empty()
        || (ops.len() == 1
            && ops[0].rot == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
            && ops[0].trans == [0.0; 3]);

    let (species, frac) = if is_identity_only {
        asym.into_iter().unzip()
    } else {
        expand_symmetry(&lattice, &asym, &ops, limits.max_atoms)
    };
    let crystal =
        Crystal::new(lattice, species, frac).map_err(|e| err(block.line, e.to_string()))?;
    limits
        .check(&crystal)
        .map_err(|v| err(block.line, in_block(v)))?;
    Ok(Entry::new(block.name.clone(), crystal))
}

/// Operations of the space group a block names by number or Hermann–Mauguin symbol
/// (standard setting), for files without an explicit list; empty when it names none.
fn space_group_operations(block: &Block, path: &Path) -> Result<Vec<SymOp>, CrystalError> {
    let number_tok = ["_space_group_it_number", "_symmetry_int_tables_number"]
        .iter()
        .find_map(|t| block.items.get(*t));
    let symbol_tok = [
        "_space_group_name_h-m_alt",
        "_symmetry_space_group_name_h-m",
    ]
    .iter()
    .find_map(|t| block.items.get(*t));
    let number = match (number_tok, symbol_tok) {
        (Some(t), _) if t.text != "?" && t.text != "." => match t.text.parse::<u8>() {
            Ok(n) if (1..=230).contains(&n) => n,
            _ => {
                return Err(CrystalError::parse(
                    path,
                    Some(t.line),
                    format!("space group number {:?} is not 1–230", t.text),
                ))
            }
        },
        (_, Some(t)) if t.text != "?" && t.text != "." => {
            number_from_symbol(&t.text).ok_or_else(|| {
                CrystalError::parse(
                    path,
                    Some(t.line),
                    format!("unknown space group symbol {:?}", t.text),
                )
            })?
        }
        _ => return Ok(Vec::new()),
    };
    Ok(operations_for_number(number)?
        .into_iter()
        .map(|(rot, trans)| SymOp { rot, trans })
        .collect())
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
    let tokens = tokenize(text, path)?;
    let blocks = parse_blocks(tokens, path)?;
    if blocks.is_empty() {
        return Err(CrystalError::parse(path, None, "no data_ block"));
    }
    blocks
        .iter()
        .map(|b| block_to_entry(b, path, limits))
        .collect()
}

/// Reads a CIF file within the default [`CellLimits`].
pub fn read_cif(path: &Path) -> Result<Vec<Entry>, CrystalError> {
    read_cif_with(path, &CellLimits::default())
}

/// Reads a CIF file within `limits`.
pub fn read_cif_with(path: &Path, limits: &CellLimits) -> Result<Vec<Entry>, CrystalError> {
    let text = super::read_text(path)?;
    parse_cif_with(&text, path, limits)
}

/// A P1 CIF for one structure, named `name` (spaces become underscores).
pub fn write_cif(name: &str, c: &Crystal) -> String {
    let [a, b, cc] = c.lattice().lengths();
    let [al, be, ga] = c.lattice().angles();
    let block: String = name
        .chars()
        .map(|ch| if ch.is_whitespace() { '_' } else { ch })
        .collect();
    let comp = c.composition();
    let z = c.formula_units();
    let sum: Vec<String> = comp
        .iter()
        .map(|(e, n)| format!("{}{}", e.symbol(), n))
        .collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# generated using crystal-diffusion {}",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(s, "data_{block}");
    let _ = writeln!(s, "_symmetry_space_group_name_H-M   'P 1'");
    let _ = writeln!(s, "_cell_length_a   {a:.8}");
    let _ = writeln!(s, "_cell_length_b   {b:.8}");
    let _ = writeln!(s, "_cell_length_c   {cc:.8}");
    let _ = writeln!(s, "_cell_angle_alpha   {al:.8}");
    let _ = writeln!(s, "_cell_angle_beta   {be:.8}");
    let _ = writeln!(s, "_cell_angle_gamma   {ga:.8}");
    let _ = writeln!(s, "_symmetry_Int_Tables_number   1");
    let _ = writeln!(s, "_chemical_formula_structural   {}", c.reduced_formula());
    let _ = writeln!(s, "_chemical_formula_sum   '{}'", sum.join(" "));
    let _ = writeln!(s, "_cell_volume   {:.8}", c.volume_a3());
    let _ = writeln!(s, "_cell_formula_units_Z   {z}");
    let _ = writeln!(
        s,
        "loop_\n _symmetry_equiv_pos_site_id\n _symmetry_equiv_pos_as_xyz\n  1  'x, y, z'"
    );
    let _ = writeln!(s, "loop_\n _atom_site_type_symbol\n _atom_site_label\n _atom_site_symmetry_multiplicity\n _atom_site_fract_x\n _atom_site_fract_y\n _atom_site_fract_z\n _atom_site_occupancy");
    let mut counters: HashMap<Element, usize> = HashMap::new();
    for (e, f) in c.species().iter().zip(c.frac_coords()) {
        let k = counters.entry(*e).or_insert(0);
        let _ = writeln!(
            s,
            "  {}  {}{}  1  {:.8}  {:.8}  {:.8}  1",
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
        ] {
            assert_eq!(element_from_label(l).unwrap().symbol(), s, "{l}");
        }
        assert!(element_from_label("123").is_err());
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
}
