//! The diffusion layer's one error type.

use thiserror::Error;

/// Everything that can go wrong while building, training or sampling a model.
#[derive(Debug, Error)]
pub enum DiffusionError {
    /// A configuration value out of range; the message names it and its value.
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
