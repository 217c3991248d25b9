//! Per-structure analysis and batch statistics.
//!
//! [`analyze`] gathers everything reported for one structure — what the notebook reports
//! (volume in Å³, density in g/cm³, mean coordination within a cutoff, minimum distance,
//! validity) and what `analyze` adds (space group, covalent bonds, compositional
//! validity) — as an [`Analysis`]. [`Stats`] summarises one figure over a batch,
//! [`BatchStats`] the figures the notebook reports over a batch of analyses, and
//! [`MeanRdf`] the mean radial distribution function of a set of structures.

use crate::composition::composition_valid;
use crate::dataset::Entry;
use crate::limits::CellLimits;
use crate::pbc::{coordination_numbers, for_each_neighbor, min_distance, Rdf};
use crate::structure::Crystal;
use crate::symmetry::{space_group, DEFAULT_SYMPREC_A};
use crate::validity::{StructuralRule, DEFAULT_MIN_DISTANCE_A};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Default neighbour cutoff for coordination numbers, in Å (the notebook's).
pub const DEFAULT_CUTOFF_A: f64 = 3.2;

/// Default bond tolerance: atoms i, j are bonded when d ≤ (r_i + r_j)·(1 + tolerance),
/// r the covalent radii (pymatgen's `CovalentBondNN` uses the same form with 0.2).
pub const DEFAULT_BOND_TOLERANCE: f64 = 0.2;

/// Default range of radial distribution functions, in Å (the notebook's).
pub const DEFAULT_RDF_MAX_A: f64 = 6.0;

/// Default bin width of radial distribution functions, in Å (the notebook's).
pub const DEFAULT_RDF_BIN_A: f64 = 0.1;

/// Largest RDF range and coordination cutoff accepted, in Å: well past any first or
/// second shell, and the neighbour count grows as the cube of it.
pub const MAX_RANGE_A: f64 = 50.0;

/// Checks a length setting (`name` as the caller calls it): positive, finite and at most
/// `max_a` Å.
pub fn check_length(name: &str, value_a: f64, max_a: f64) -> Result<(), String> {
    if value_a > 0.0 && value_a <= max_a {
        Ok(())
    } else {
        Err(format!(
            "{name} {value_a:?}: must be a positive length of at most {max_a} Å"
        ))
    }
}

/// Settings of [`analyze`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AnalysisConfig {
    /// Validator threshold in Å.
    pub min_distance_a: f64,
    /// Fixed coordination cutoff in Å.
    pub cutoff_a: f64,
    /// Space-group tolerance in Å; `None` skips the symmetry search.
    pub symprec_a: Option<f64>,
    /// Relative tolerance of covalent bonds.
    pub bond_tolerance: f64,
}

impl AnalysisConfig {
    /// The structural-validity rule behind `valid_structure`: the notebook's (all periodic
    /// images, volume above 0.1 Å³) at `min_distance_a`.
    pub fn rule(&self) -> StructuralRule {
        StructuralRule::notebook().with_min_distance(self.min_distance_a)
    }
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            min_distance_a: DEFAULT_MIN_DISTANCE_A,
            cutoff_a: DEFAULT_CUTOFF_A,
            symprec_a: Some(DEFAULT_SYMPREC_A),
            bond_tolerance: DEFAULT_BOND_TOLERANCE,
        }
    }
}

/// Everything `analyze` reports for one structure. Units: Å, Å³, g/cm³.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub name: String,
    /// Reduced formula.
    pub formula: String,
    pub n_atoms: usize,
    /// Cell volume in Å³.
    pub volume: f64,
    /// Density in g/cm³.
    pub density: f64,
    /// Minimum interatomic distance in Å (periodic images included).
    pub min_distance: f64,
    /// Space-group number; `None` when not searched or the search failed.
    pub space_group: Option<u8>,
    /// Hermann–Mauguin symbol of `space_group`.
    pub space_group_symbol: Option<String>,
    /// Mean number of neighbours within the fixed cutoff; `None` when the cell is outside
    /// [`CellLimits`] (a neighbour count of a 0.01 Å cell runs for hours).
    pub coordination_mean: Option<f64>,
    /// Mean number of covalently bonded neighbours (see [`DEFAULT_BOND_TOLERANCE`]);
    /// `None` as `coordination_mean`.
    pub bonded_coordination_mean: Option<f64>,
    /// Every pair at least the threshold apart and volume above 0.1 Å³.
    pub valid_structure: bool,
    /// SMACT-style charge neutrality and electronegativity order.
    pub valid_composition: bool,
    /// Why a figure above was not determined (`space group: ...; coordination: ...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_determined: Option<String>,
    /// What the reader skipped or changed to read the structure ([`Entry::notes`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_notes: Vec<String>,
}

/// Number of covalently bonded neighbours of every atom: d ≤ (r_i + r_j)(1 + tolerance).
/// Elements without a covalent radius bond to nothing.
pub fn bonded_coordination(c: &Crystal, tolerance: f64) -> Vec<usize> {
    let radii: Vec<Option<f64>> = c.species().iter().map(|e| e.covalent_radius()).collect();
    let rmax = radii.iter().flatten().copied().fold(0.0, f64::max);
    let mut cn = vec![0usize; c.num_atoms()];
    for_each_neighbor(c, 2.0 * rmax * (1.0 + tolerance), |i, j, _, d| {
        if let (Some(ri), Some(rj)) = (radii[i], radii[j]) {
            if d <= (ri + rj) * (1.0 + tolerance) {
                cn[i] += 1;
            }
        }
    });
    cn
}

fn mean(xs: &[usize]) -> f64 {
    xs.iter().sum::<usize>() as f64 / xs.len().max(1) as f64
}

/// Analyses one named structure.
pub fn analyze(e: &Entry, cfg: &AnalysisConfig) -> Analysis {
    let c = &e.crystal;
    let d = min_distance(c);
    let mut notes = Vec::new();
    let sg = cfg.symprec_a.and_then(|p| {
        space_group(c, p)
            .map_err(|e| notes.push(format!("space group: {e}")))
            .ok()
    });
    let sane = CellLimits::default().check(c);
    if let Err(v) = &sane {
        notes.push(format!("coordination: {v}"));
    }
    let counted = |f: &dyn Fn() -> Vec<usize>| sane.is_ok().then(|| mean(&f()));
    Analysis {
        name: e.name.clone(),
        formula: c.reduced_formula(),
        n_atoms: c.num_atoms(),
        volume: c.volume_a3(),
        density: c.density_g_cm3(),
        min_distance: d,
        space_group: sg.as_ref().map(|s| s.number),
        space_group_symbol: sg.map(|s| s.symbol),
        coordination_mean: counted(&|| coordination_numbers(c, cfg.cutoff_a)),
        bonded_coordination_mean: counted(&|| bonded_coordination(c, cfg.bond_tolerance)),
        valid_structure: cfg.rule().accepts(d, c.volume_a3()),
        valid_composition: composition_valid(c),
        not_determined: (!notes.is_empty()).then(|| notes.join("; ")),
        read_notes: e.notes.clone(),
    }
}

/// Mean, population standard deviation, minimum and maximum of a figure over a batch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
}

impl Stats {
    /// Statistics of `xs`; all zero for an empty slice.
    pub fn of(xs: &[f64]) -> Stats {
        if xs.is_empty() {
            return Stats {
                mean: 0.0,
                std: 0.0,
                min: 0.0,
                max: 0.0,
            };
        }
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        Stats {
            mean,
            std: var.sqrt(),
            min: xs.iter().copied().fold(f64::INFINITY, f64::min),
            max: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

/// Batch statistics of the figures the notebook reports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatchStats {
    pub count: usize,
    /// Share of structurally valid structures.
    pub pass_rate: f64,
    pub density_g_cm3: Stats,
    pub volume_a3: Stats,
    pub coordination_mean: Stats,
    pub min_distance_a: Stats,
}

impl BatchStats {
    /// Statistics of a batch of analyses (all zero for an empty batch).
    pub fn of<'a>(batch: impl IntoIterator<Item = &'a Analysis>) -> BatchStats {
        let batch: Vec<&Analysis> = batch.into_iter().collect();
        let col = |f: fn(&Analysis) -> Option<f64>| {
            Stats::of(&batch.iter().filter_map(|a| f(a)).collect::<Vec<_>>())
        };
        BatchStats {
            count: batch.len(),
            pass_rate: batch.iter().filter(|a| a.valid_structure).count() as f64
                / batch.len().max(1) as f64,
            density_g_cm3: col(|a| Some(a.density)),
            volume_a3: col(|a| Some(a.volume)),
            // Over the structures whose neighbours were counted.
            coordination_mean: col(|a| a.coordination_mean),
            min_distance_a: col(|a| Some(a.min_distance)),
        }
    }
}

/// Mean radial distribution function over a set of structures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeanRdf {
    /// Bin centres in Å.
    pub r_a: Vec<f64>,
    /// Mean raw pair counts per structure (ordered pairs, see [`Rdf`]).
    pub counts: Vec<f64>,
    /// Mean g(r).
    pub g: Vec<f64>,
}

impl MeanRdf {
    /// The mean of the RDFs of `structures` up to `r_max_a` in bins of `bin_a` (both Å);
    /// empty for no structures. Structures outside [`CellLimits`] are left out (a pair
    /// search in a 0.01 Å cell runs for hours).
    pub fn of(structures: &[Crystal], r_max_a: f64, bin_a: f64) -> MeanRdf {
        let limits = CellLimits::default();
        let rdfs: Vec<Rdf> = structures
            .par_iter()
            .filter(|c| limits.check(c).is_ok())
            .map(|c| Rdf::compute(c, r_max_a, bin_a))
            .collect();
        let Some(first) = rdfs.first() else {
            return MeanRdf {
                r_a: Vec::new(),
                counts: Vec::new(),
                g: Vec::new(),
            };
        };
        let nb = first.r.len();
        let n = rdfs.len() as f64;
        let mut counts = vec![0.0; nb];
        let mut g = vec![0.0; nb];
        for r in &rdfs {
            for b in 0..nb {
                counts[b] += r.counts[b] as f64 / n;
                g[b] += r.g[b] / n;
            }
        }
        MeanRdf {
            r_a: first.r.clone(),
            counts,
            g,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{bcc_fe, fcc_al};
    use approx::assert_relative_eq;

    #[test]
    fn analysis_of_fcc_aluminium_and_bcc_iron() {
        let m = analyze(&Entry::new("Al", fcc_al()), &AnalysisConfig::default());
        assert_eq!(m.formula, "Al");
        assert_eq!(m.n_atoms, 4);
        assert_relative_eq!(m.volume, 66.430125, epsilon = 1e-9);
        assert_relative_eq!(m.density, 2.70, epsilon = 0.01);
        assert_eq!(m.coordination_mean, Some(12.0));
        assert_eq!(m.not_determined, None);
        assert_eq!(m.space_group, Some(225));
        assert!(m.valid_structure && m.valid_composition);
        let cfg = AnalysisConfig {
            cutoff_a: 2.7,
            symprec_a: None,
            ..AnalysisConfig::default()
        };
        let fe = analyze(&Entry::new("Fe", bcc_fe()), &cfg);
        assert_eq!(fe.coordination_mean, Some(8.0));
        assert_eq!(fe.space_group, None);
    }

    #[test]
    fn bonded_neighbours_of_diamond_and_rock_salt() {
        use crate::demo::diamond_c;
        // C–C 1.55 Å, radii 0.76 + 0.76 = 1.52 Å, ×1.2 = 1.82 Å: four bonds, not the
        // twelve second neighbours at 2.52 Å.
        assert!(bonded_coordination(&diamond_c(), 0.2)
            .iter()
            .all(|&n| n == 4));
        let a = analyze(&Entry::new("d", diamond_c()), &AnalysisConfig::default());
        assert_eq!(a.space_group, Some(227));
        assert_eq!(a.formula, "C");
        assert!(a.valid_structure && a.valid_composition);
        assert_eq!(a.bonded_coordination_mean, Some(4.0));
    }

    /// The reproducers: a 0.01 Å cell (9 s of neighbour counting, hours for a
    /// larger cutoff) and a 119.9° rhombohedral cell (moyo filled 8 GB): figures that
    /// cannot be had say why, the rest are reported.
    #[test]
    fn degenerate_cells_are_reported_with_reasons() {
        use crate::test_support::el;
        use crate::Lattice;
        let tiny = Crystal::new(
            Lattice::cubic(0.01).unwrap(),
            vec![el("Na"), el("Cl")],
            vec![[0.0; 3], [0.5; 3]],
        )
        .unwrap();
        let a = analyze(
            &Entry::new("tiny", tiny.clone()),
            &AnalysisConfig::default(),
        );
        assert_eq!((a.space_group, a.coordination_mean), (None, None));
        assert_eq!(a.bonded_coordination_mean, None);
        assert!(!a.valid_structure);
        assert_eq!(
            a.not_determined.as_deref(),
            Some(
                "space group: symmetry: cell length a = 0.01 Å is under 0.1 Å (--min-length); \
                 coordination: cell length a = 0.01 Å is under 0.1 Å (--min-length)"
            )
        );
        let flat = Crystal::new(
            Lattice::from_parameters(4.0, 4.0, 4.0, 119.9, 119.9, 119.9).unwrap(),
            vec![el("Na")],
            vec![[0.0; 3]],
        )
        .unwrap();
        let a = analyze(&Entry::new("flat", flat), &AnalysisConfig::default());
        assert_eq!(a.space_group, None);
        assert!(a.coordination_mean.is_some());
        assert!(a.not_determined.unwrap().starts_with("space group: "));
        // Batch statistics and the mean RDF leave the uncounted structure out.
        let al = analyze(&Entry::new("Al", fcc_al()), &AnalysisConfig::default());
        let t = analyze(
            &Entry::new("tiny", tiny.clone()),
            &AnalysisConfig::default(),
        );
        assert_eq!(BatchStats::of([&al, &t]).coordination_mean.mean, 12.0);
        assert_eq!(
            MeanRdf::of(&[fcc_al(), tiny], 6.0, 0.1),
            MeanRdf::of(&[fcc_al()], 6.0, 0.1)
        );
    }

    #[test]
    fn stats_of_a_small_sample() {
        let s = Stats::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_relative_eq!(s.mean, 2.5);
        assert_relative_eq!(s.std, 1.25f64.sqrt());
        assert_eq!((s.min, s.max), (1.0, 4.0));
        assert_eq!(Stats::of(&[]).mean, 0.0);
    }

    #[test]
    fn batch_stats_and_mean_rdf_of_two_crystals() {
        use crate::demo::{bcc_fe, fcc_al};
        let cfg = AnalysisConfig {
            symprec_a: None,
            ..AnalysisConfig::default()
        };
        let al = analyze(&Entry::new("Al", fcc_al()), &cfg);
        let mut bad = analyze(&Entry::new("Fe", bcc_fe()), &cfg);
        bad.valid_structure = false;
        let b = BatchStats::of([&al, &bad]);
        assert_eq!(b.count, 2);
        assert_eq!(b.pass_rate, 0.5);
        assert_relative_eq!(b.volume_a3.max, 66.430125, epsilon = 1e-9);
        // FCC Al, a = 4.05 Å: the first shell (12 neighbours at a/√2 = 2.864 Å) falls in
        // the 2.8–2.9 Å bin.
        let rdf = MeanRdf::of(&[fcc_al()], 6.0, 0.1);
        assert_eq!(rdf.r_a.len(), 60);
        let first = rdf.counts.iter().position(|&c| c > 0.0).unwrap();
        assert_relative_eq!(rdf.r_a[first], 2.85, epsilon = 1e-9);
        assert_relative_eq!(rdf.counts[first], 4.0 * 12.0);
        assert!(MeanRdf::of(&[], 6.0, 0.1).r_a.is_empty());
    }
}
