//! The `periodic` model: a denoiser invariant to atom order, rotation and periodic
//! translation, with wrapped-normal noise on fractional coordinates and DDPM noise on the
//! lattice (the DiffCSP recipe, Jiao et al. 2023), written for burn's CPU backend.
//!
//! ```text
//! noise (schedules, wrapped-normal score) ─┐
//! batch (graph inputs, host side) ─────────┼─> model (PeriodicDenoiser)
//! ```

pub mod batch;
pub mod checkpoint;
pub mod lattice;
pub mod model;
pub mod noise;
pub mod sample;
pub mod train;

pub use batch::{GraphInputs, NoisyCrystal};
pub use lattice::{LatticeNorm, LatticeRepr};
pub use model::{PeriodicConfig, PeriodicDenoiser};
pub use noise::NoiseSchedule;
pub use train::Task;
