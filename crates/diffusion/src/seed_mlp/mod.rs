//! `seed-mlp`: the original notebook's DDPM over fractional coordinates, reproduced
//! exactly (architecture, schedule, loss, optimiser, sampler), kept beside the stronger
//! periodic model as a baseline.

pub mod infer;
pub mod model;
pub mod sample;
pub mod train;

pub use model::{SeedMlp, SeedMlpConfig};
pub use sample::{random_positions, sample, Sampled, Snapshot};
pub use train::{train, TrainConfig, TrainOutcome};
