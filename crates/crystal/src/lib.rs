//! # crystal — crystal structures without machine learning
//!
//! The bottom layer of crystal-diffusion: everything a materials scientist needs to hold,
//! read, write, check and analyse periodic crystal structures. It knows nothing of
//! neural networks; the `diffusion` crate builds on it.
//!
//! Module graph (arrows point at what a module uses):
//!
//! ```text
//! elements ─┐
//! lattice ──┼─> structure ─> periodic ─> validity ─> analysis
//!           │        │
//!           │        └─> dataset ─> io (cif) , demo
//! rng ──────┴───────────────────────────────────────> demo
//! ```
//!
//! Conventions: lengths in Å, angles in degrees, densities in g/cm³, volumes in Å³.
//! Row i of a lattice matrix is lattice vector i; Cartesian r = f · L for fractional f.

pub mod analysis;
pub mod batch;
pub mod composition;
pub mod dataset;
pub mod demo;
pub mod elements;
pub mod error;
pub mod fingerprint;
pub mod io;
pub mod lattice;
pub mod matcher;
pub mod metrics;
pub mod periodic;
pub mod rng;
pub mod structure;
pub mod symmetry;
pub mod validity;

#[cfg(test)]
mod test_support;

pub use dataset::Entry;
pub use elements::Element;
pub use error::CrystalError;
pub use lattice::Lattice;
pub use structure::Crystal;
pub use validity::{PhysicsValidator, Validity};
