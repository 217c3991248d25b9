//! The matcher's tolerances and options ([`MatcherConfig`]), with pymatgen's names, the
//! presets of the CSP literature and of pymatgen, and their validation.

use crate::error::CrystalError;

/// Tolerances and options of the matcher, named as in pymatgen's `StructureMatcher`
/// (serialised with these field names in the metrics' JSON).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MatcherConfig {
    /// Fractional length tolerance: a lattice vector of length l matches a target X when
    /// 1/(1+ltol) < l/X < 1+ltol.
    pub ltol: f64,
    /// Site tolerance, in units of (V/N)^(1/3): the largest accepted score.
    pub stol: f64,
    /// Angle tolerance, in degrees.
    pub angle_tol_deg: f64,
    /// Reduce both structures to primitive cells before matching.
    pub primitive_cell: bool,
    /// Scale both cells to the same volume per site before matching.
    pub scale: bool,
    /// Allow structures of different (reduced) site counts to match through a supercell.
    pub attempt_supercell: bool,
}

impl MatcherConfig {
    /// The tolerances of the CSP literature: CDVAE (Xie et al. 2022) and DiffCSP (Jiao et
    /// al. 2023) both score with `StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3)`.
    pub fn csp() -> Self {
        MatcherConfig {
            ltol: 0.3,
            stol: 0.5,
            angle_tol_deg: 10.0,
            primitive_cell: true,
            scale: true,
            attempt_supercell: false,
        }
    }

    /// pymatgen's constructor defaults: ltol 0.2, stol 0.3, angle_tol 5°.
    pub fn pymatgen_default() -> Self {
        MatcherConfig {
            ltol: 0.2,
            stol: 0.3,
            angle_tol_deg: 5.0,
            ..Self::csp()
        }
    }

    /// Checks that every tolerance is a finite positive number (angles below 90°).
    pub fn validate(&self) -> Result<(), CrystalError> {
        let bad = |field: &'static str, value: f64, expected: &'static str| {
            Err(CrystalError::InvalidValue {
                field,
                value,
                expected,
            })
        };
        if !(self.ltol.is_finite() && self.ltol > 0.0 && self.ltol <= 1.0) {
            return bad(
                "ltol",
                self.ltol,
                "a positive number of at most 1 (lengths within a factor 2)",
            );
        }
        if !(self.stol.is_finite() && self.stol > 0.0) {
            return bad("stol", self.stol, "a positive number");
        }
        if !(self.angle_tol_deg.is_finite()
            && self.angle_tol_deg > 0.0
            && self.angle_tol_deg < 90.0)
        {
            return bad(
                "angle_tol_deg",
                self.angle_tol_deg,
                "between 0 and 90 degrees",
            );
        }
        Ok(())
    }
}

impl MatcherConfig {
    /// [`MatcherConfig::validate`]'s complaint as one line, the option named by pymatgen's
    /// keyword (`angle_tol`, not the field `angle_tol_deg`) passed through `shown` (the
    /// command line shows `--angle-tol`, Python `angle_tol`): "{name} {value}: must be …".
    pub fn check(&self, shown: impl Fn(&str) -> String) -> Result<(), String> {
        self.validate().map_err(|e| match e {
            CrystalError::InvalidValue {
                field,
                value,
                expected,
            } => {
                let keyword = if field == "angle_tol_deg" {
                    "angle_tol"
                } else {
                    field
                };
                format!("{} {value}: must be {expected}", shown(keyword))
            }
            other => other.to_string(),
        })
    }
}

impl Default for MatcherConfig {
    /// The CSP tolerances ([`MatcherConfig::csp`]), the field's convention for benchmarks.
    fn default() -> Self {
        Self::csp()
    }
}
