//! `snapshots.json`: one generated structure followed through reverse diffusion.
//!
//! The cell and species are those of the finished structure (the models that generate
//! the cell record it per frame in `Frame::lattice_a` when they have one); frames hold
//! fractional coordinates wrapped into [0, 1), from pure noise (largest t) to the result
//! (t = 0).

use serde::{Deserialize, Serialize};

/// The structure followed and its frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshots {
    /// Name of the generated structure followed.
    #[serde(default)]
    pub structure: Option<String>,
    /// Name of the training structure that lent its atoms (or cell and atoms).
    #[serde(default)]
    pub donor: Option<String>,
    /// Cell of the finished structure: row i is lattice vector i, in Å.
    pub lattice_a: [[f64; 3]; 3],
    /// Element symbols, one per atom.
    #[serde(default)]
    pub species: Vec<String>,
    /// Frames in the order they were taken (decreasing t).
    pub snapshots: Vec<Frame>,
}

/// The structure at one timestep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// Timestep (T = pure noise, 0 = the result).
    pub t: usize,
    /// (n_atoms, 3) fractional coordinates.
    pub frac_coords: Vec<[f64; 3]>,
    /// The cell at this step, row i = lattice vector i in Å, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lattice_a: Option<[[f64; 3]; 3]>,
}
