//! The errors of reading and writing run folders: each names the file it concerns.

use std::path::{Path, PathBuf};

/// What went wrong with a run folder's file.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Reading or writing `path` failed.
    #[error("{path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    /// `path` exists but its contents are not what the run folder contract says.
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    /// The folder cannot be used as a run folder (it holds other files, or is a file).
    #[error("{path}: {message}")]
    NotARunFolder { path: PathBuf, message: String },
}

impl RunError {
    pub(crate) fn io(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        RunError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }

    pub(crate) fn format(path: &Path, message: impl std::fmt::Display) -> Self {
        RunError::Format {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }
}
