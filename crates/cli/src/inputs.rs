//! Reading the structures a command is given — one loader for `analyze`/`validate`,
//! `convert`, `eval` and `train`: paths (files, folders, data-set CSVs) are collected and
//! read on all cores by `crystal::io::load::load_named`, every structure and every
//! failure keeping its source file; an empty input is an error naming the flag.

use anyhow::{bail, Result};
use clap::Args;
use crystal::io::load::{collect_paths, load_named_with, SourcedEntry, Unreadable};
use crystal::limits::{self, CellLimits};
use std::path::PathBuf;

/// The sanity limits on the cells read (`crystal::limits`), one flag each; a structure
/// outside them is reported as unreadable and the rest go on. `train` has these; the other
/// reading commands have [`LimitArgs`], which adds `--max-atoms` (for `train` that flag is
/// the model's size).
#[derive(Args, Debug, Clone)]
pub struct CellArgs {
    /// Shortest cell length and height read, in Å.
    #[arg(long, default_value_t = limits::MIN_LENGTH_A, allow_hyphen_values = true, help_heading = "Input limits")]
    min_length: f64,
    /// Longest cell length read, in Å.
    #[arg(long, default_value_t = limits::MAX_LENGTH_A, allow_hyphen_values = true, help_heading = "Input limits")]
    max_length: f64,
    /// Smallest volume per atom read, in Å³.
    #[arg(long, default_value_t = limits::MIN_VOLUME_PER_ATOM_A3, allow_hyphen_values = true, help_heading = "Input limits")]
    min_volume_per_atom: f64,
    /// Largest volume per atom read, in Å³.
    #[arg(long, default_value_t = limits::MAX_VOLUME_PER_ATOM_A3, allow_hyphen_values = true, help_heading = "Input limits")]
    max_volume_per_atom: f64,
    /// Smallest cell angle read, in degrees (the largest is 180 minus this).
    #[arg(long, default_value_t = limits::MIN_ANGLE_DEG, allow_hyphen_values = true, help_heading = "Input limits")]
    min_angle: f64,
    /// Largest |fractional coordinate| read, before wrapping into the cell.
    #[arg(long, default_value_t = limits::MAX_ABS_FRAC_COORD, allow_hyphen_values = true, help_heading = "Input limits")]
    max_coordinate: f64,
    /// Partially occupied sites: `refuse` the structure, naming the site; or keep each
    /// site's `majority` species when its occupancies sum to 1 within 0.05 (a note names
    /// every site changed; partly empty sites stay refused).
    #[arg(long, value_enum, default_value_t = DisorderArg::Refuse, help_heading = "Input limits")]
    disorder: DisorderArg,
}

/// `--disorder`: [`limits::Disorder`] on the command line.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisorderArg {
    /// Refuse structures with disordered sites.
    Refuse,
    /// Keep each disordered site's majority species.
    Majority,
}

impl From<DisorderArg> for limits::Disorder {
    fn from(d: DisorderArg) -> Self {
        match d {
            DisorderArg::Refuse => limits::Disorder::Refuse,
            DisorderArg::Majority => limits::Disorder::Majority,
        }
    }
}

/// [`CellArgs`] and the most atoms in one cell.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    #[command(flatten)]
    cell: CellArgs,
    /// Most atoms in one cell read (after a CIF's symmetry expansion).
    #[arg(long, default_value_t = limits::MAX_ATOMS, help_heading = "Input limits")]
    max_atoms: usize,
}

impl LimitArgs {
    /// The validated limits (see [`CellArgs::limits`]).
    pub fn limits(&self) -> Result<CellLimits> {
        if self.max_atoms == 0 {
            bail!("--max-atoms 0: must be at least 1");
        }
        Ok(CellLimits {
            max_atoms: self.max_atoms,
            ..self.cell.limits()?
        })
    }
}

impl CellArgs {
    /// The validated limits: every bound a positive finite number, each minimum below its
    /// maximum, the smallest angle under 90°; at most [`limits::MAX_ATOMS`] atoms.
    pub fn limits(&self) -> Result<CellLimits> {
        let positive = [
            ("--min-length", self.min_length),
            ("--max-length", self.max_length),
            ("--min-volume-per-atom", self.min_volume_per_atom),
            ("--max-volume-per-atom", self.max_volume_per_atom),
            ("--min-angle", self.min_angle),
            ("--max-coordinate", self.max_coordinate),
        ];
        for (flag, x) in positive {
            if !(x.is_finite() && x > 0.0) {
                bail!("{flag} {x}: must be a positive number");
            }
        }
        if self.min_length >= self.max_length {
            bail!(
                "--min-length {} must be below --max-length {}",
                self.min_length,
                self.max_length
            );
        }
        if self.min_volume_per_atom >= self.max_volume_per_atom {
            bail!(
                "--min-volume-per-atom {} must be below --max-volume-per-atom {}",
                self.min_volume_per_atom,
                self.max_volume_per_atom
            );
        }
        if self.min_angle >= 90.0 {
            bail!("--min-angle {}: must be under 90 degrees", self.min_angle);
        }
        Ok(CellLimits {
            min_length_a: self.min_length,
            max_length_a: self.max_length,
            min_volume_per_atom_a3: self.min_volume_per_atom,
            max_volume_per_atom_a3: self.max_volume_per_atom,
            min_angle_deg: self.min_angle,
            max_abs_frac_coord: self.max_coordinate,
            max_atoms: limits::MAX_ATOMS,
            disorder: self.disorder.into(),
        })
    }
}

/// Whether `f` is in the `symmetrized/` folder of a run folder.
fn is_symmetrized_copy(f: &std::path::Path) -> bool {
    f.parent().is_some_and(|dir| {
        dir.file_name()
            .is_some_and(|n| n == std::ffi::OsStr::new(run::layout::SYMMETRIZED))
            && dir
                .parent()
                .is_some_and(|root| root.join(run::layout::SUMMARY).is_file())
    })
}

/// What was read from a command's paths.
pub struct Inputs {
    /// Structure files found.
    pub files: usize,
    /// Structures read, in file order.
    pub entries: Vec<SourcedEntry>,
    /// Files or rows that could not be read.
    pub unreadable: Vec<Unreadable>,
}

/// Reads `paths` within `limits`; `what` (a flag, or a word for positional paths) names
/// them in errors.
pub fn read(paths: &[PathBuf], what: &str, limits: &CellLimits) -> Result<Inputs> {
    // A run folder's `symmetrized/` holds copies of its `structures/` (`sample
    // --symmetrize`): a folder search leaves them out, so that each structure counts once.
    let files: Vec<PathBuf> = collect_paths(paths)?
        .into_iter()
        .filter(|f| !is_symmetrized_copy(f) || paths.contains(f))
        .collect();
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        bail!("{what}: no structure files found in {}", shown.join(", "));
    }
    let (entries, unreadable) = load_named_with(&files, limits)?;
    // What the readers skipped or changed, once per file and note.
    let mut seen = std::collections::HashSet::new();
    let notes: Vec<String> = entries
        .iter()
        .flat_map(|s| s.entry.notes.iter().map(move |n| (s, n)))
        .filter(|(s, n)| seen.insert((s.source.clone(), (*n).clone())))
        .map(|(s, n)| format!("note: {}: {}: {n}", s.source.display(), s.entry.name))
        .collect();
    for n in notes.iter().take(20) {
        eprintln!("{n}");
    }
    if notes.len() > 20 {
        eprintln!(
            "note: {} more notes (in --format json: read_notes)",
            notes.len() - 20
        );
    }
    Ok(Inputs {
        files: files.len(),
        entries,
        unreadable,
    })
}

/// Prints the first `limit` failures as warnings on stderr, then how many more there were.
pub fn warn_unreadable(what: &str, unreadable: &[Unreadable], limit: usize) {
    for u in unreadable.iter().take(limit) {
        eprintln!("warning: {what}: {}", u.message);
    }
    if unreadable.len() > limit {
        eprintln!(
            "warning: {what}: {} more unreadable structures",
            unreadable.len() - limit
        );
    }
}
