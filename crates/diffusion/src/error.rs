//! The diffusion layer's one error type.

use thiserror::Error;

/// Everything that can go wrong while building, training or sampling a model.
#[derive(Debug, Error)]
pub enum DiffusionError {
    /// A configuration value out of range: the field (as named in the config structs),
    /// the value given and what was expected.
    #[error("{field} = {value}: {expected}")]
    InvalidValue {
        field: &'static str,
        value: String,
        expected: String,
    },

    /// A configuration that cannot run for another reason.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// Training diverged.
    #[error("loss became {loss} in epoch {epoch} (step {step}); try a lower learning rate")]
    NonFiniteLoss {
        epoch: usize,
        step: usize,
        loss: f32,
    },

    /// Data the model cannot take.
    #[error("invalid data: {0}")]
    Data(String),

    /// A crystal with more atoms than the model takes (`what` names the data set).
    #[error("{what}: structure {index} ({formula}) has {n_atoms} atoms, more than max_atoms {max_atoms}")]
    TooManyAtoms {
        what: String,
        index: usize,
        formula: String,
        n_atoms: usize,
        max_atoms: usize,
    },

    /// A sampling target the model cannot generate (wrong kind for its task, an element
    /// beyond its table, too many atoms).
    #[error("{0}")]
    Target(String),

    /// Writing a run folder's file failed.
    #[error(transparent)]
    Run(#[from] run::RunError),

    /// A checkpoint that is missing, corrupt, or from another model or version.
    #[error("checkpoint {path}: {message}")]
    Checkpoint { path: String, message: String },

    /// A file that could not be written or read.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// Sampling was stopped by its caller (see `sample_cancellable`).
    #[error("sampling cancelled")]
    Cancelled,

    /// `--device gpu` cannot be served: no GPU backend in this build, or no adapter
    /// (the message says what was looked for and found).
    #[error("--device gpu: {0}")]
    NoGpu(String),

    /// A structure the sampler produced could not be built.
    #[error(transparent)]
    Crystal(#[from] crystal::CrystalError),
}

impl DiffusionError {
    /// A [`DiffusionError::Checkpoint`].
    pub fn checkpoint(path: &std::path::Path, message: impl Into<String>) -> Self {
        DiffusionError::Checkpoint {
            path: path.display().to_string(),
            message: message.into(),
        }
    }

    /// A [`DiffusionError::Io`].
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        DiffusionError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// An [`DiffusionError::InvalidValue`].
    pub fn invalid(field: &'static str, value: impl ToString, expected: impl Into<String>) -> Self {
        DiffusionError::InvalidValue {
            field,
            value: value.to_string(),
            expected: expected.into(),
        }
    }
}
