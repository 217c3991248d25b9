//! The crystal layer's one error type.
//!
//! This module owns [`CrystalError`], which every fallible function of the crate returns;
//! each variant carries the values that failed, so that its message can be shown as it is.

use std::path::PathBuf;
use thiserror::Error;

/// Everything that can go wrong in the crystal layer. Each variant carries the values
/// that failed, so a message can be shown to a user as it is.
#[derive(Debug, Error)]
pub enum CrystalError {
    /// A symbol or atomic number that names no element.
    #[error("unknown element: {0}")]
    UnknownElement(String),

    /// A lattice whose matrix has a non-finite entry or (near) zero volume.
    #[error("invalid lattice: {reason} (rows {rows:?})")]
    InvalidLattice { reason: String, rows: [[f64; 3]; 3] },

    /// Lattice parameters that describe no cell (angles that cannot close, lengths ≤ 0).
    #[error("invalid lattice parameters a={a}, b={b}, c={c}, alpha={alpha}, beta={beta}, gamma={gamma}: {reason}")]
    InvalidLatticeParameters {
        a: f64,
        b: f64,
        c: f64,
        alpha: f64,
        beta: f64,
        gamma: f64,
        reason: String,
    },

    /// Species and coordinates of different lengths, or a non-finite coordinate.
    #[error("invalid structure: {0}")]
    InvalidStructure(String),

    /// A setting out of its range: the field (as named in its config struct), its value
    /// and what was expected.
    #[error("{field} {value}: must be {expected}")]
    InvalidValue {
        field: &'static str,
        value: f64,
        expected: &'static str,
    },

    /// Symmetry search or space-group lookup failed.
    #[error("symmetry: {0}")]
    Symmetry(String),

    /// A file that could not be parsed; `line` is 1-based where known.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Parse {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },

    /// An input/output failure on a named path.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl CrystalError {
    /// A parse error at `path`, `line` (1-based).
    pub fn parse(
        path: impl Into<PathBuf>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        CrystalError::Parse {
            path: path.into(),
            line,
            message: message.into(),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CrystalError::Io {
            path: path.into(),
            source,
        }
    }
}
