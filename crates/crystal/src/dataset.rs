//! Named structures: what readers return and what models train on.
//!
//! This module owns [`Entry`], a [`Crystal`] together with the name it is known by; the file
//! formats that produce entries live in [`crate::io`].

use crate::structure::Crystal;
use serde::{Deserialize, Serialize};

/// A crystal with the name it is known by (a file stem, a CIF data block, a
/// dataset's `material_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Identifier, unique within its data set.
    pub name: String,
    /// The structure.
    pub crystal: Crystal,
}

impl Entry {
    /// A named crystal.
    pub fn new(name: impl Into<String>, crystal: Crystal) -> Self {
        Entry {
            name: name.into(),
            crystal,
        }
    }
}
