//! # diffusion — generative models of crystals
//!
//! The ML layer of crystal-diffusion, on burn (CPU backend `flex`). It builds on the
//! `crystal` crate and never on the report or CLI layers.
//!
//! ```text
//! schedule ──┐
//! embedding ─┼─> seed_mlp::{model ─> train, sample}
//! clip ──────┘
//! ```
//!
//! Tensor shapes are written beside every forward function; fractional coordinates are
//! rows of 3, one row per atom.

pub mod clip;
pub mod demo;
pub mod embedding;
pub mod error;
pub mod params;
pub mod periodic;
pub mod schedule;
pub mod seed_mlp;

pub use error::DiffusionError;
pub use schedule::LinearSchedule;
