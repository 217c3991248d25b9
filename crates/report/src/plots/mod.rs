//! The report's figures, drawn with plotters.
//!
//! [`PlotData`] collects, once, the numbers every figure needs from a [`RunData`]; each
//! [`Plot`] is then drawn by one generic function for any plotters backend, so the same
//! code writes the SVG (always) and the PNG (on request). Figures whose data are absent
//! from the run folder are simply not made. Submodules hold one figure each, plus the
//! drawing helpers they share ([`common`]).

mod batch;
mod common;
mod compare;
mod diffusion;
mod frac;
mod loss;
mod rdf;

use crate::run::{LossData, RunData, Snapshots, View};
use crate::style;
use crystal::analysis::MeanRdf;
use plotters::coord::Shift;
use plotters::prelude::*;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

pub(crate) type DResult = Result<(), Box<dyn std::error::Error>>;

/// The figures a report can hold, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plot {
    Loss,
    Diffusion,
    Compare,
    Rdf,
    Frac,
    Batch,
}

/// Every figure, in report order.
pub const ALL: [Plot; 6] = [
    Plot::Loss,
    Plot::Diffusion,
    Plot::Compare,
    Plot::Rdf,
    Plot::Frac,
    Plot::Batch,
];

impl Plot {
    /// File stem under `plots/`.
    pub fn file_stem(self) -> &'static str {
        match self {
            Plot::Loss => "loss",
            Plot::Diffusion => "reverse_diffusion",
            Plot::Compare => "real_vs_generated",
            Plot::Rdf => "rdf",
            Plot::Frac => "fractional_coordinates",
            Plot::Batch => "batch_analysis",
        }
    }

    /// Heading in the report.
    pub fn title(self) -> &'static str {
        match self {
            Plot::Loss => "Training loss",
            Plot::Diffusion => "Reverse diffusion",
            Plot::Compare => "Real vs generated structure",
            Plot::Rdf => "Radial distribution function",
            Plot::Frac => "Fractional coordinates",
            Plot::Batch => "Batch analysis",
        }
    }

    /// One sentence under the heading in the report.
    pub fn description(self) -> &'static str {
        match self {
            Plot::Loss => "Training loss of every optimisation step (thin) with its mean per epoch (thick), or per bucket of steps where each epoch is a single step; a run that logs epoch ends only shows its epoch means; and the validation loss where the run has one.",
            Plot::Diffusion => "One structure during reverse diffusion, from the noise it starts from at t = T to the generated structure at t = 0, in its unit cell (the cell at each step where the model generates the cell).",
            Plot::Compare => "A training structure next to a generated one that uses its cell and species; atoms coloured by element (Jmol colours), atoms on cell faces drawn on both faces.",
            Plot::Rdf => "Mean radial distribution function g(r) of the training and of the generated structures; g = 1 is an ideal gas. Pairs closer than 0.5 Å (overlapping atoms) are left out of g(r), shaded, and counted under the plot.",
            Plot::Frac => "Distribution of the fractional coordinates of all atoms, wrapped into [0, 1), training against generated.",
            Plot::Batch => "Distributions of density, volume, coordination and minimum distance (generated bars, training outline, validator threshold dashed), pass/fail shares against the random baseline and the training set, atoms and volume against density coloured by validity, batch statistics and four example structures.",
        }
    }

    /// Canvas size in pixels.
    pub fn size(self) -> (u32, u32) {
        match self {
            Plot::Loss => (1000, 520),
            Plot::Diffusion => (1500, 440),
            Plot::Compare => (1100, 560),
            Plot::Rdf => (1000, 520),
            Plot::Frac => (1500, 460),
            Plot::Batch => (2000, 1420),
        }
    }
}

/// Per-structure figures of one set of structures.
#[derive(Debug, Clone, Default)]
pub struct SetFigures {
    pub density: Vec<f64>,
    pub volume: Vec<f64>,
    pub coordination: Vec<f64>,
    pub min_distance: Vec<f64>,
    pub n_atoms: Vec<f64>,
    /// Structural validity (None = unknown).
    pub valid: Vec<Option<bool>>,
}

impl SetFigures {
    fn of(items: &[crate::run::Item]) -> SetFigures {
        let mut s = SetFigures::default();
        for it in items {
            let r = it.analysis.as_ref();
            let c = it.crystal.as_ref();
            s.density.push(
                r.map(|a| a.density)
                    .or_else(|| c.map(|c| c.density_g_cm3()))
                    .unwrap_or(f64::NAN),
            );
            s.volume.push(
                r.map(|a| a.volume)
                    .or_else(|| c.map(|c| c.volume_a3()))
                    .unwrap_or(f64::NAN),
            );
            s.coordination
                .push(r.and_then(|a| a.coordination_mean).unwrap_or(f64::NAN));
            s.min_distance.push(r.map_or(f64::NAN, |a| a.min_distance));
            s.n_atoms.push(
                r.map(|a| a.n_atoms)
                    .or_else(|| c.map(|c| c.num_atoms()))
                    .map(|n| n as f64)
                    .unwrap_or(f64::NAN),
            );
            s.valid.push(r.map(|a| a.valid_structure));
        }
        s
    }

    /// Share of structures known valid among those whose validity is known.
    pub fn pass_rate(&self) -> Option<f64> {
        let known: Vec<bool> = self.valid.iter().flatten().copied().collect();
        (!known.is_empty())
            .then(|| known.iter().filter(|v| **v).count() as f64 / known.len() as f64)
    }
}

/// An example structure of the batch figure.
#[derive(Debug, Clone)]
pub struct Example {
    pub name: String,
    pub formula: String,
    pub min_distance: Option<f64>,
    pub valid: Option<bool>,
    pub view: View,
}

/// Everything the figures draw, gathered once from a run.
#[derive(Debug, Clone, Default)]
pub struct PlotData {
    pub loss: Option<LossData>,
    pub log_loss: bool,
    pub snapshots: Option<Snapshots>,
    /// (name, view) of the real and of the generated structure compared.
    pub real: Option<(String, View)>,
    pub generated_example: Option<(String, View)>,
    /// Mean RDF (bin centres in Å, mean pair counts per structure, g(r)) of the training
    /// and of the generated structures.
    pub rdf_training: Option<MeanRdf>,
    pub rdf_generated: Option<MeanRdf>,
    /// Fractional coordinates, wrapped into [0, 1).
    pub frac_training: Vec<[f64; 3]>,
    pub frac_generated: Vec<[f64; 3]>,
    pub generated: SetFigures,
    pub training: SetFigures,
    pub threshold_a: f64,
    pub cutoff_a: Option<f64>,
    /// Pass rate of the random baseline, from the summary.
    pub baseline_pass_rate: Option<f64>,
    pub examples: Vec<Example>,
}

fn wrap3(f: [f64; 3]) -> [f64; 3] {
    f.map(crystal::structure::wrap_frac)
}

/// Mean RDF over the structures that have a crystal, computed when the summary has none.
fn mean_rdf(items: &[crate::run::Item]) -> Option<MeanRdf> {
    let crystals: Vec<crystal::Crystal> = items.iter().filter_map(|i| i.crystal.clone()).collect();
    let m = MeanRdf::of(
        &crystals,
        crystal::analysis::DEFAULT_RDF_MAX_A,
        crystal::analysis::DEFAULT_RDF_BIN_A,
    );
    (!m.r_a.is_empty()).then_some(m)
}

/// A mean RDF of the summary, if it is drawable (pair counts of another length than the
/// bins are dropped: the overlap count is then unknown).
fn rdf_from_summary(m: Option<&MeanRdf>) -> Option<MeanRdf> {
    let m = m?;
    (m.r_a.len() == m.g.len() && !m.r_a.is_empty()).then(|| MeanRdf {
        counts: if m.counts.len() == m.r_a.len() {
            m.counts.clone()
        } else {
            Vec::new()
        },
        ..m.clone()
    })
}

impl PlotData {
    /// Gathers the figures' data from a run; `threshold_a` is the validator distance.
    pub fn new(run: &RunData, threshold_a: f64, log_loss: bool) -> PlotData {
        let s = &run.summary;
        let rdf = s.rdf.as_ref();
        let rdf_training =
            rdf_from_summary(rdf.map(|r| &r.training)).or_else(|| mean_rdf(&run.training));
        let rdf_generated =
            rdf_from_summary(rdf.map(|r| &r.generated)).or_else(|| mean_rdf(&run.generated));
        let frac = |items: &[crate::run::Item]| -> Vec<[f64; 3]> {
            items
                .iter()
                .filter_map(|i| i.crystal.as_ref())
                .flat_map(|c| c.frac_coords().iter().map(|f| wrap3(*f)))
                .collect()
        };

        // The compared pair: the first generated structure with a crystal, and the
        // training structure that lent it its cell (else the first training structure).
        let gen_item = run.generated.iter().find(|i| i.crystal.is_some());
        let generated_example = gen_item.map(|i| {
            (
                i.name.clone(),
                View::of(i.crystal.as_ref().expect("filtered")),
            )
        });
        let donor = gen_item
            .and_then(|i| i.donor.clone())
            .or_else(|| run.snapshots.as_ref().and_then(|s| s.donor.clone()));
        let real_item = donor
            .and_then(|d| {
                run.training.iter().find(|t| {
                    t.crystal.is_some()
                        && (t.name == d
                            || t.block
                                .as_deref()
                                .is_some_and(|b| b == d || b.ends_with(&format!("_{d}"))))
                })
            })
            .or_else(|| run.training.iter().find(|t| t.crystal.is_some()));
        let real = real_item.map(|i| {
            (
                i.name.clone(),
                View::of(i.crystal.as_ref().expect("filtered")),
            )
        });

        // Examples: two valid and two invalid where there are, then the first others.
        let mut examples: Vec<&crate::run::Item> = Vec::new();
        let with_crystal: Vec<&crate::run::Item> = run
            .generated
            .iter()
            .filter(|i| i.crystal.is_some())
            .collect();
        for want in [true, false] {
            examples.extend(
                with_crystal
                    .iter()
                    .filter(|i| i.figure(|a| a.valid_structure) == Some(want))
                    .take(2),
            );
        }
        for i in &with_crystal {
            if examples.len() >= 4 {
                break;
            }
            if !examples.iter().any(|e| std::ptr::eq(*e, *i)) {
                examples.push(i);
            }
        }
        let examples = examples
            .into_iter()
            .map(|i| Example {
                name: i.name.clone(),
                formula: i
                    .figure(|a| a.formula.clone())
                    .or_else(|| i.crystal.as_ref().map(|c| c.reduced_formula()))
                    .unwrap_or_default(),
                min_distance: i.figure(|a| a.min_distance),
                valid: i.figure(|a| a.valid_structure),
                view: View::of(i.crystal.as_ref().expect("filtered")),
            })
            .collect();

        PlotData {
            loss: run.loss.clone(),
            log_loss,
            snapshots: run.snapshots.clone(),
            real,
            generated_example,
            rdf_training,
            rdf_generated,
            frac_training: frac(&run.training),
            frac_generated: frac(&run.generated),
            generated: SetFigures::of(&run.generated),
            training: SetFigures::of(&run.training),
            threshold_a,
            cutoff_a: run.cutoff(),
            baseline_pass_rate: s
                .generation
                .as_ref()
                .and_then(|g| g.random_baseline_pass_rate)
                .filter(|x| x.is_finite()),
            examples,
        }
    }

    /// The figures this run has data for.
    pub fn available(&self) -> Vec<Plot> {
        let mut out = Vec::new();
        if self.loss.is_some() {
            out.push(Plot::Loss);
        }
        if self.snapshots.is_some() {
            out.push(Plot::Diffusion);
        }
        if self.real.is_some() || self.generated_example.is_some() {
            out.push(Plot::Compare);
        }
        if self.rdf_training.is_some() || self.rdf_generated.is_some() {
            out.push(Plot::Rdf);
        }
        if !self.frac_training.is_empty() || !self.frac_generated.is_empty() {
            out.push(Plot::Frac);
        }
        if !self.generated.density.is_empty() {
            out.push(Plot::Batch);
        }
        out
    }

    /// Draws `plot` onto a drawing area of any backend.
    pub fn draw<DB: DrawingBackend>(&self, plot: Plot, root: &DrawingArea<DB, Shift>) -> DResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        match plot {
            Plot::Loss => loss::draw(self, root),
            Plot::Diffusion => diffusion::draw(self, root),
            Plot::Compare => compare::draw(self, root),
            Plot::Rdf => rdf::draw(self, root),
            Plot::Frac => frac::draw(self, root),
            Plot::Batch => batch::draw(self, root),
        }
    }

    /// The figure as an SVG document.
    pub fn svg(&self, plot: Plot) -> Result<String, String> {
        style::register_font();
        let mut s = String::new();
        {
            let root = SVGBackend::with_string(&mut s, plot.size()).into_drawing_area();
            self.draw(plot, &root).map_err(|e| e.to_string())?;
            root.present().map_err(|e| e.to_string())?;
        }
        Ok(s)
    }

    /// Writes the figure as a PNG file.
    pub fn png(&self, plot: Plot, path: &Path) -> Result<(), String> {
        style::register_font();
        let root = BitMapBackend::new(path, plot.size()).into_drawing_area();
        self.draw(plot, &root).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// One rendered figure.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub plot: Plot,
    pub svg: String,
    pub svg_path: PathBuf,
    pub png_path: Option<PathBuf>,
}

/// Draws every available figure (in parallel) into `dir` as SVG, and as PNG when `png`.
/// A figure that fails to draw is left out with a warning.
pub fn render_all(
    data: &PlotData,
    dir: &Path,
    png: bool,
) -> Result<(Vec<Rendered>, Vec<String>), crate::ReportError> {
    // A link planted at plots/ or at a figure's name is removed, never written through.
    let is_link = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    if is_link(dir) {
        std::fs::remove_file(dir).map_err(|e| crate::ReportError::io(dir, "remove", e))?;
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| crate::ReportError::io(dir, "create the folder", e))?;
    // Figures of an earlier report that this one does not redraw would be stale.
    for plot in ALL {
        for ext in ["svg", "png"] {
            let p = dir.join(format!("{}.{ext}", plot.file_stem()));
            if p.is_file() || is_link(&p) {
                std::fs::remove_file(&p).map_err(|e| crate::ReportError::io(&p, "remove", e))?;
            }
        }
    }
    let results: Vec<Result<Rendered, String>> = data
        .available()
        .into_par_iter()
        .map(|plot| {
            let svg_path = dir.join(format!("{}.svg", plot.file_stem()));
            let svg = data
                .svg(plot)
                .map_err(|e| format!("{}: {e}", svg_path.display()))?;
            ::run::atomic_write(&svg_path, svg.as_bytes()).map_err(|e| e.to_string())?;
            let png_path = if png {
                let p = dir.join(format!("{}.png", plot.file_stem()));
                data.png(plot, &p)
                    .map_err(|e| format!("{}: {e}", p.display()))?;
                Some(p)
            } else {
                None
            };
            Ok(Rendered {
                plot,
                svg,
                svg_path,
                png_path,
            })
        })
        .collect();
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for r in results {
        match r {
            Ok(r) => out.push(r),
            Err(e) => warnings.push(e),
        }
    }
    Ok((out, warnings))
}
