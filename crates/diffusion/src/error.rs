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

    /// A structure the sampler produced could not be built.
    #[error(transparent)]
    Crystal(#[from] crystal::CrystalError),
}

impl DiffusionError {
    /// An [`DiffusionError::InvalidValue`].
    pub fn invalid(field: &'static str, value: impl ToString, expected: impl Into<String>) -> Self {
        DiffusionError::InvalidValue {
            field,
            value: value.to_string(),
            expected: expected.into(),
        }
    }
}
