//! The report layer's one error type.
//!
//! A report is built from whatever a run folder holds: missing or malformed inputs become
//! warnings, not errors. [`ReportError`] is kept for what stops a report from being
//! written at all — a run folder that is not a folder, a plot or the HTML file that cannot
//! be written — and always names the path and what failed.

use std::path::PathBuf;
use thiserror::Error;

/// What can stop a report from being written.
#[derive(Debug, Error)]
pub enum ReportError {
    /// The run folder does not exist or is not a folder.
    #[error("{}: not a run folder ({reason})", path.display())]
    NotARunFolder { path: PathBuf, reason: String },

    /// A file or folder could not be created or written.
    #[error("{}: cannot {what}: {source}", path.display())]
    Io {
        path: PathBuf,
        what: String,
        #[source]
        source: std::io::Error,
    },

    /// A file could not be written (the message names the step that failed).
    #[error("{}: cannot write: {message}", path.display())]
    Write { path: PathBuf, message: String },

    /// A plot could not be drawn.
    #[error("{}: cannot draw the plot: {message}", path.display())]
    Plot { path: PathBuf, message: String },

    /// The HTML template could not be rendered.
    #[error("{}: cannot render the report: {message}", path.display())]
    Template { path: PathBuf, message: String },
}

impl ReportError {
    /// An input/output failure on `path` while doing `what` ("write", "create the folder").
    pub fn io(path: impl Into<PathBuf>, what: impl Into<String>, source: std::io::Error) -> Self {
        ReportError::Io {
            path: path.into(),
            what: what.into(),
            source,
        }
    }
}
