//! The `periodic` model: a denoiser invariant to atom order, rotation and periodic
//! translation, with wrapped-normal noise on fractional coordinates and DDPM noise on the
//! lattice (and, de novo, on one-hot atom types) — the DiffCSP recipe (Jiao et al. 2023),
//! written for burn's CPU backend.
//!
//! ```text
//! noise (TorusVe, LatticeDdpm, TypeDdpm) ───────────────┬─> train (Trainer::fit) ─> checkpoint
//! lattice (log-Cholesky) ─┐                             │
//! batch (graph inputs) ───┴─> model (Denoiser) ─────────┴─> sample (Target)
//!                               └─> infer (fused host forward) ─> backprop (training step)
//! ```

pub mod backprop;
pub mod batch;
pub mod checkpoint;
pub mod infer;
pub mod lattice;
pub mod model;
pub mod noise;
pub mod sample;
pub mod train;

pub use crate::kind::Task;
pub use batch::{GraphInputs, NoisyCrystal};
pub use lattice::{LatticeNorm, LatticeRepr};
pub use model::{Denoiser, PeriodicConfig, PeriodicDenoiser};
pub use noise::{LatticeDdpm, NoiseSchedule, TorusVe, TypeDdpm};
pub use sample::{Target, TargetAtoms};
pub use train::{DataStats, Observer, Trainer};
