//! Readers and writers of crystal structure files.
//!
//! Each reader returns named structures ([`crate::Entry`]) or an error naming the path,
//! the line and the problem.

pub mod cif;

pub use cif::{parse_cif, read_cif, write_cif};
