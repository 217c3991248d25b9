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
    /// What the reader skipped or changed to read it (a data block without a structure,
    /// symmetry images merged, …), one sentence each; empty for a clean read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Entry {
    /// A named crystal.
    pub fn new(name: impl Into<String>, crystal: Crystal) -> Self {
        Entry {
            name: name.into(),
            crystal,
            notes: Vec::new(),
        }
    }

    /// The entry with `note` added to its [`Entry::notes`].
    pub fn noted(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}
