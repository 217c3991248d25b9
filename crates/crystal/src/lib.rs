//! # crystal — crystal structures without machine learning
//!
//! The bottom layer of crystal-diffusion: everything a materials scientist needs to hold,
//! read, write, check and analyse periodic crystal structures. It knows nothing of
//! neural networks; the `diffusion` crate builds on it.
//!
//! Module graph, every module with what it uses (`error` is used nearly everywhere and left
//! out); lower layers never use higher ones:
//!
//! ```text
//! 0  error        the crate's one error type
//!    rng          seeded random numbers                    (nothing)
//!    geometry     vector kernel, wrapping, parameters      (nothing)
//! 1  elements     the periodic table                       (nothing)
//!    lattice      three lattice vectors                    geometry
//! 2  structure    Crystal: lattice + atoms                 lattice, elements, geometry
//!    dataset      Entry: a named Crystal                   structure
//!    limits       sanity limits on cells read              structure, lattice
//! 3  pbc          exact periodic distances, neighbours     structure, geometry
//!    symmetry     space groups (moyo), guarded             structure, geometry, limits
//!    primitive    primitive-cell search                    structure, lattice, elements, geometry
//!    composition  formulas, SMACT charge balance           structure, elements
//!    io           CIF, POSCAR, XYZ, data-set CSV           structure, dataset, lattice, elements,
//!      io::load   files and folders → many entries          symmetry, geometry
//!    fingerprint  CrystalNN and Magpie fingerprints        structure, elements, geometry
//!    demo         the notebook's 21 demo crystals          structure, dataset, lattice, rng
//!    fuzz         mutated files for robustness tests       io, demo, rng
//! 4  validity     structural validity rules                pbc, structure
//!    matcher      pymatgen's StructureMatcher              primitive, validity, structure, geometry
//! 5  analysis     per-structure report, batch statistics   pbc, symmetry, composition, validity
//!    metrics      CSP and DNG benchmark metrics            matcher, validity, fingerprint,
//!                                                          composition, dataset, rng, geometry
//! 6  published    the papers' benchmark rows, our record   metrics, dataset
//! ```
//!
//! Conventions: lengths in Å, angles in degrees, densities in g/cm³, volumes in Å³.
//! Row i of a lattice matrix is lattice vector i; Cartesian r = f · L for fractional f.
//!
//! Read a CIF, analyse it, check it and match it against a reference:
//!
//! ```
//! use crystal::analysis::{analyze, AnalysisConfig};
//! use crystal::matcher::{fit, MatcherConfig, Prepared};
//! let text = crystal::io::write_cif("Al", &crystal::demo::fcc_al());
//! let entries = crystal::io::cif::parse_cif(&text, std::path::Path::new("Al.cif"))?;
//! let al = &entries[0];
//! let a = analyze(al, &AnalysisConfig::default());
//! assert_eq!((a.formula.as_str(), a.n_atoms, a.space_group), ("Al", 4, Some(225)));
//! assert!((a.density - 2.70).abs() < 0.01); // g/cm³
//! assert!(crystal::StructuralRule::notebook().passes(&al.crystal));
//! let cfg = MatcherConfig::csp();
//! let (x, y) = (Prepared::new(&al.crystal, &cfg)?, Prepared::new(&crystal::demo::fcc_al(), &cfg)?);
//! assert!(fit(&x, &y, &cfg));
//! # Ok::<(), crystal::CrystalError>(())
//! ```

pub mod analysis;
pub mod composition;
pub mod dataset;
pub mod demo;
pub mod elements;
pub mod error;
pub mod fingerprint;
pub mod fuzz;
pub mod geometry;
pub mod io;
pub mod lattice;
pub mod limits;
pub mod matcher;
pub mod metrics;
pub mod pbc;
pub mod primitive;
pub mod published;
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
pub use validity::{StructuralRule, Validity};
