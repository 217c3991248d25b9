//! # crystal_diffusion._native — the Rust side of the Python package
//!
//! This crate owns the boundary between Python and the library crates: it turns plain
//! Python values into [`Crystal`]s and configs (validated once, here), runs the library with
//! the GIL released, and turns the results and errors back into Python values. The pure
//! Python layer (`python/crystal_diffusion/__init__.py`) converts pymatgen `Structure`s and
//! ASE `Atoms` to and from the plain form used here, and wraps these functions in the
//! public API (`StructureMatcher`, `Generator`, `read`, `eval_csp`, …).
//!
//! The plain form of one structure, in and out, is a tuple
//! `(lattice, frac_coords, numbers)`: `lattice` is 3 rows of 3 floats (row i is lattice
//! vector i, in Å), `frac_coords` is n rows of 3 fractional coordinates, `numbers` the n
//! atomic numbers. Records (analysis, validity, metrics) cross as JSON text with the keys of
//! the command line's `--format json`, parsed by the Python layer.
//!
//! Errors: a file that cannot be opened or written is `OSError` (`FileNotFoundError` when it
//! is missing); everything else the caller gave wrong is `ValueError`; an interrupted
//! sampling run is `KeyboardInterrupt`. Messages are the command line's one-line messages.

use crystal::analysis::{analyze as analyze_entry, AnalysisConfig};
use crystal::io::load::Unreadable;
use crystal::matcher::{self, MatcherConfig, Prepared};
use crystal::metrics::{self, Benchmark, CspReport, DngConfig, DngReport};
use crystal::{Crystal, CrystalError, Element, Entry, Lattice, StructuralRule};
use diffusion::periodic::checkpoint::{self, CheckpointConfig};
use diffusion::periodic::model::Denoiser;
use diffusion::periodic::sample::{
    composition_targets, de_novo_targets, sample_cancellable, SampleOptions, Target, MAX_TARGETS,
};
use diffusion::{DiffusionError, Task};
use pyo3::exceptions::{
    PyFileNotFoundError, PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyValueError,
};
use pyo3::prelude::*;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// One structure in its plain Python form: (lattice rows in Å, fractional coordinates,
/// atomic numbers).
type Plain = ([[f64; 3]; 3], Vec<[f64; 3]>, Vec<u32>);

/// A file or row that could not be read: (source path, line, message).
type Failure = (String, Option<usize>, String);

/// A structure read from a file, with where it came from: (name, source path, index of the
/// structure in that file, structure, what the reader skipped or changed).
type Sourced = (String, String, usize, Plain, Vec<String>);

fn crystal_error(e: CrystalError) -> PyErr {
    match e {
        CrystalError::Io { ref source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            PyFileNotFoundError::new_err(e.to_string())
        }
        CrystalError::Io { .. } => PyOSError::new_err(e.to_string()),
        other => PyValueError::new_err(other.to_string()),
    }
}

fn diffusion_error(e: DiffusionError) -> PyErr {
    match e {
        DiffusionError::Crystal(c) => crystal_error(c),
        DiffusionError::Io { .. } => PyOSError::new_err(e.to_string()),
        DiffusionError::Cancelled => PyKeyboardInterrupt::new_err(e.to_string()),
        DiffusionError::NoGpu(_) => PyRuntimeError::new_err(e.to_string()),
        other => PyValueError::new_err(other.to_string()),
    }
}

/// `what`'s structure as a [`Crystal`], validated by its constructors.
fn to_crystal(what: &str, (lattice, frac, numbers): &Plain) -> PyResult<Crystal> {
    let bad = |e: CrystalError| PyValueError::new_err(format!("{what}: {e}"));
    if frac.len() != numbers.len() {
        return Err(PyValueError::new_err(format!(
            "{what}: {} fractional coordinates but {} atomic numbers",
            frac.len(),
            numbers.len()
        )));
    }
    let species = numbers
        .iter()
        .map(|&z| {
            u8::try_from(z)
                .ok()
                .and_then(|z| Element::from_z(z).ok())
                .ok_or_else(|| {
                    PyValueError::new_err(format!(
                        "{what}: atomic number {z} is not an element (1-118)"
                    ))
                })
        })
        .collect::<PyResult<Vec<Element>>>()?;
    let lattice = Lattice::new(*lattice).map_err(bad)?;
    Crystal::new(lattice, species, frac.clone()).map_err(bad)
}

fn to_crystals(what: &str, plain: &[Plain]) -> PyResult<Vec<Crystal>> {
    plain
        .iter()
        .enumerate()
        .map(|(i, p)| to_crystal(&format!("{what}[{i}]"), p))
        .collect()
}

fn to_plain(c: &Crystal) -> Plain {
    (
        *c.lattice().rows(),
        c.frac_coords().to_vec(),
        c.species().iter().map(|e| u32::from(e.z())).collect(),
    )
}

fn json<T: serde::Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// pymatgen's `StructureMatcher` options, validated.
#[pyclass(module = "crystal_diffusion._native", frozen)]
struct Matcher {
    cfg: MatcherConfig,
}

#[pymethods]
impl Matcher {
    #[new]
    #[pyo3(signature = (ltol, stol, angle_tol, primitive_cell, scale, attempt_supercell))]
    fn new(
        ltol: f64,
        stol: f64,
        angle_tol: f64,
        primitive_cell: bool,
        scale: bool,
        attempt_supercell: bool,
    ) -> PyResult<Self> {
        let cfg = MatcherConfig {
            ltol,
            stol,
            angle_tol_deg: angle_tol,
            primitive_cell,
            scale,
            attempt_supercell,
        };
        cfg.check(str::to_string).map_err(PyValueError::new_err)?;
        Ok(Matcher { cfg })
    }

    /// Whether `a` and `b` are the same structure (pymatgen's `fit`).
    fn fit(&self, py: Python<'_>, a: Plain, b: Plain) -> PyResult<bool> {
        let (a, b) = (to_crystal("struct1", &a)?, to_crystal("struct2", &b)?);
        let cfg = self.cfg;
        py.detach(move || {
            let (pa, pb) = (Prepared::new(&a, &cfg), Prepared::new(&b, &cfg));
            Ok(match (pa, pb) {
                (Ok(pa), Ok(pb)) => matcher::fit(&pa, &pb, &cfg),
                _ => false,
            })
        })
    }

    /// (rms, max_dist) of the best match, or None (pymatgen's `get_rms_dist`).
    fn get_rms_dist(&self, py: Python<'_>, a: Plain, b: Plain) -> PyResult<Option<(f64, f64)>> {
        let (a, b) = (to_crystal("struct1", &a)?, to_crystal("struct2", &b)?);
        let cfg = self.cfg;
        py.detach(move || Ok(rms_of(&a, &b, &cfg)))
    }

    /// `fit` of every pair (a[i], b[i]), on all cores.
    fn fit_many(&self, py: Python<'_>, a: Vec<Plain>, b: Vec<Plain>) -> PyResult<Vec<bool>> {
        let (a, b) = pairs(&a, &b)?;
        let cfg = self.cfg;
        py.detach(move || {
            Ok(a.par_iter()
                .zip(&b)
                .map(
                    |(x, y)| match (Prepared::new(x, &cfg), Prepared::new(y, &cfg)) {
                        (Ok(px), Ok(py)) => matcher::fit(&px, &py, &cfg),
                        _ => false,
                    },
                )
                .collect())
        })
    }

    /// `get_rms_dist` of every pair (a[i], b[i]), on all cores.
    fn rms_many(
        &self,
        py: Python<'_>,
        a: Vec<Plain>,
        b: Vec<Plain>,
    ) -> PyResult<Vec<Option<(f64, f64)>>> {
        let (a, b) = pairs(&a, &b)?;
        let cfg = self.cfg;
        py.detach(move || {
            Ok(a.par_iter()
                .zip(&b)
                .map(|(x, y)| rms_of(x, y, &cfg))
                .collect())
        })
    }

    /// Groups of indices of matching structures (pymatgen's `group_structures`).
    fn group(&self, py: Python<'_>, structures: Vec<Plain>) -> PyResult<Vec<Vec<usize>>> {
        let cs = to_crystals("structures", &structures)?;
        let cfg = self.cfg;
        py.detach(move || Ok(matcher::group_structures(&cs, &cfg)))
    }
}

fn rms_of(a: &Crystal, b: &Crystal, cfg: &MatcherConfig) -> Option<(f64, f64)> {
    match matcher::rms_dist_crystals(a, b, cfg) {
        Ok(Ok(m)) => Some((m.rms, m.max_dist)),
        _ => None,
    }
}

fn pairs(a: &[Plain], b: &[Plain]) -> PyResult<(Vec<Crystal>, Vec<Crystal>)> {
    if a.len() != b.len() {
        return Err(PyValueError::new_err(format!(
            "{} structures against {}: give two lists of the same length",
            a.len(),
            b.len()
        )));
    }
    Ok((
        to_crystals("structures1", a)?,
        to_crystals("structures2", b)?,
    ))
}

/// Every structure of a file or folder (folders recursively) and the files or rows that
/// could not be read, as (source, line, message).
#[pyfunction]
#[pyo3(signature = (path, disorder = "refuse"))]
fn read(py: Python<'_>, path: PathBuf, disorder: &str) -> PyResult<(Vec<Sourced>, Vec<Failure>)> {
    let limits = crystal::limits::CellLimits {
        disorder: match disorder {
            "refuse" => crystal::limits::Disorder::Refuse,
            "majority" => crystal::limits::Disorder::Majority,
            other => {
                return Err(PyValueError::new_err(format!(
                    "disorder={other:?}: expected \"refuse\" or \"majority\""
                )))
            }
        },
        ..Default::default()
    };
    let (entries, bad) = py
        .detach(|| -> Result<_, CrystalError> {
            if path.is_dir() {
                crystal::io::load::load_named_with(std::slice::from_ref(&path), &limits)
            } else {
                // A single file: a file that cannot be read at all raises.
                let mut rows = crystal::io::read_any_with(&path, &limits)?;
                // Nothing of the file could be read: the file's (first) error.
                if !rows.is_empty() && rows.iter().all(|r| r.is_err()) {
                    return Err(rows.swap_remove(0).expect_err("all rows are errors"));
                }
                let mut read = Vec::new();
                let mut bad = Vec::new();
                for (index, r) in rows.into_iter().enumerate() {
                    match r {
                        Ok(entry) => read.push(crystal::io::load::SourcedEntry {
                            source: path.clone(),
                            index,
                            entry,
                        }),
                        Err(e) => bad.push(unreadable(&path, &e)),
                    }
                }
                Ok((read, bad))
            }
        })
        .map_err(crystal_error)?;
    Ok((
        entries
            .into_iter()
            .map(|s| {
                (
                    s.entry.name,
                    s.source.display().to_string(),
                    s.index,
                    to_plain(&s.entry.crystal),
                    s.entry.notes,
                )
            })
            .collect(),
        bad.into_iter()
            .map(|u| (u.source.display().to_string(), u.line, u.message))
            .collect(),
    ))
}

fn unreadable(path: &Path, e: &CrystalError) -> Unreadable {
    Unreadable {
        source: path.to_path_buf(),
        line: match e {
            CrystalError::Parse { line, .. } => *line,
            _ => None,
        },
        message: e.to_string(),
    }
}

/// Writes structures (name, structure) into one file, the format chosen by its name (CIF,
/// POSCAR, extended XYZ); several structures need CIF or XYZ.
#[pyfunction]
fn write(path: PathBuf, structures: Vec<(String, Plain)>) -> PyResult<()> {
    let entries = structures
        .iter()
        .enumerate()
        .map(|(i, (name, p))| {
            Ok(Entry::new(
                name.clone(),
                to_crystal(&format!("structure {i}"), p)?,
            ))
        })
        .collect::<PyResult<Vec<Entry>>>()?;
    let refs: Vec<&Entry> = entries.iter().collect();
    crystal::io::write_many(&path, &refs).map_err(crystal_error)
}

/// The analysis record of one structure (the keys of `analyze --format json`).
#[pyfunction]
#[pyo3(signature = (structure, name, min_distance, symprec))]
fn analyze(
    py: Python<'_>,
    structure: Plain,
    name: String,
    min_distance: Option<f64>,
    symprec: Option<f64>,
) -> PyResult<String> {
    let c = to_crystal("structure", &structure)?;
    let mut cfg = AnalysisConfig::default();
    if let Some(d) = min_distance {
        if !(d.is_finite() && d > 0.0) {
            return Err(PyValueError::new_err(format!(
                "min_distance {d}: must be a positive length in Å"
            )));
        }
        cfg.min_distance_a = d;
    }
    if let Some(s) = symprec {
        if !(s.is_finite() && s > 0.0) {
            return Err(PyValueError::new_err(format!(
                "symprec {s}: must be a positive length in Å"
            )));
        }
        cfg.symprec_a = Some(s);
    }
    let a = py.detach(|| analyze_entry(&Entry::new(name, c), &cfg));
    json(&a)
}

/// The structural validity of one structure under a rule: "notebook" (every pair at least
/// 0.7 Å apart, or `min_distance`) or "cdvae" (0.5 Å and volume above 0.1 Å³).
#[pyfunction]
#[pyo3(signature = (structure, rule, min_distance))]
fn validate(structure: Plain, rule: &str, min_distance: Option<f64>) -> PyResult<String> {
    let c = to_crystal("structure", &structure)?;
    let mut r = match rule {
        "notebook" => StructuralRule::notebook(),
        "cdvae" => StructuralRule::cdvae(),
        other => {
            return Err(PyValueError::new_err(format!(
                "rule {other:?}: must be \"notebook\" or \"cdvae\""
            )))
        }
    };
    if let Some(d) = min_distance {
        if !(d.is_finite() && d > 0.0) {
            return Err(PyValueError::new_err(format!(
                "min_distance {d}: must be a positive length in Å"
            )));
        }
        r = r.with_min_distance(d);
    }
    json(&r.check(&c))
}

/// CSP metrics: `preds[i]` holds the candidates of ground truth `gts[i]` (named by
/// `names[i]`). Returns the record of `eval csp --format json`.
#[pyfunction]
fn eval_csp(
    py: Python<'_>,
    preds: Vec<Vec<Plain>>,
    gts: Vec<Plain>,
    names: Vec<String>,
    matcher: &Matcher,
) -> PyResult<String> {
    if preds.len() != gts.len() || names.len() != gts.len() {
        return Err(PyValueError::new_err(format!(
            "{} predictions for {} ground truths: give one entry (a structure, a list of candidates or None) per ground truth",
            preds.len(),
            gts.len()
        )));
    }
    let gt_entries = gts
        .iter()
        .zip(&names)
        .enumerate()
        .map(|(i, (g, n))| Ok(Entry::new(n.clone(), to_crystal(&format!("gts[{i}]"), g)?)))
        .collect::<PyResult<Vec<Entry>>>()?;
    let mut pred_entries = Vec::new();
    for (i, cands) in preds.iter().enumerate() {
        for (k, p) in cands.iter().enumerate() {
            let c = to_crystal(&format!("preds[{i}][{k}]"), p)?;
            pred_entries.push(Entry::new(format!("{}_{k}", names[i]), c));
        }
    }
    let cfg = matcher.cfg;
    let m = py.detach(|| metrics::csp(&gt_entries, &pred_entries, &cfg, 0, &|| {}));
    json(&CspReport::new(m, cfg, Vec::new(), Vec::new()))
}

/// De novo metrics of `generated` against `reference`, with the coverage cutoffs of
/// `dataset` ("perov-5", "carbon-24", "mp-20"). Returns the record of `eval dng --format json`.
#[pyfunction]
#[pyo3(signature = (generated, reference, dataset, matcher, wdist_samples, seed, uniqueness))]
#[allow(clippy::too_many_arguments)]
fn eval_dng(
    py: Python<'_>,
    generated: Vec<Plain>,
    reference: Vec<Plain>,
    dataset: &str,
    matcher: &Matcher,
    wdist_samples: usize,
    seed: u64,
    uniqueness: bool,
) -> PyResult<String> {
    let ds = Benchmark::parse(dataset).ok_or_else(|| {
        PyValueError::new_err(format!(
            "dataset {dataset:?}: must be \"perov-5\", \"carbon-24\" or \"mp-20\""
        ))
    })?;
    if wdist_samples == 0 {
        return Err(PyValueError::new_err("wdist_samples 0: must be at least 1"));
    }
    if generated.is_empty() || reference.is_empty() {
        return Err(PyValueError::new_err(
            "eval_dng needs at least one generated and one reference structure",
        ));
    }
    let gen = to_crystals("generated", &generated)?;
    let refs = to_crystals("reference", &reference)?;
    let cfg = DngConfig {
        matcher: matcher.cfg,
        cutoffs: ds.cutoffs(),
        n_wdist_samples: wdist_samples,
        seed,
        uniqueness_novelty: uniqueness,
    };
    let m = py.detach(|| metrics::dng(&gen, &refs, &cfg, &|_| {}));
    json(&DngReport {
        metrics: m,
        task: "dng",
        cutoffs_dataset: ds.name(),
        matcher: matcher.cfg,
        seed,
        unreadable_generated: Vec::new(),
        unreadable_reference: Vec::new(),
    })
}

/// A trained `periodic` checkpoint, ready to sample.
#[pyclass(module = "crystal_diffusion._native", frozen)]
struct Generator {
    model: Box<dyn Denoiser>,
    cfg: CheckpointConfig,
    path: PathBuf,
}

/// (name, structure, why it could not be built) of every sample: one of the last two is
/// None.
type Samples = Vec<(String, Option<Plain>, Option<String>)>;

#[pymethods]
impl Generator {
    /// Loads a checkpoint folder (with `config.json`) or a training run folder onto
    /// `device` ("cpu", or "gpu" in a build with the `gpu` feature).
    #[staticmethod]
    #[pyo3(signature = (path, device = "cpu"))]
    fn load(py: Python<'_>, path: PathBuf, device: &str) -> PyResult<Self> {
        let compute = match device {
            "cpu" => diffusion::Compute::Cpu,
            "gpu" => diffusion::Compute::Gpu,
            other => {
                return Err(PyValueError::new_err(format!(
                    "device {other:?}: expected \"cpu\" or \"gpu\""
                )))
            }
        };
        let (device, _) = compute.device().map_err(diffusion_error)?;
        let dir = checkpoint::resolve_dir(&path);
        if !dir.join("config.json").is_file() {
            return Err(PyFileNotFoundError::new_err(format!(
                "{}: no checkpoint here (expected config.json in it or in its checkpoint/ folder)",
                path.display()
            )));
        }
        let (model, cfg) = py
            .detach(|| checkpoint::load_denoiser_on(&dir, &device))
            .map_err(diffusion_error)?;
        Ok(Generator {
            model,
            cfg,
            path: dir,
        })
    }

    /// "csp" or "dng".
    #[getter]
    fn task(&self) -> &'static str {
        self.cfg.train.task.name()
    }

    #[getter]
    fn path(&self) -> String {
        self.path.display().to_string()
    }

    #[getter]
    fn epoch(&self) -> usize {
        self.cfg.epoch
    }

    #[getter]
    fn num_parameters(&self) -> usize {
        self.model.num_parameters()
    }

    /// The model's largest number of diffusion steps.
    #[getter]
    fn timesteps(&self) -> usize {
        self.cfg.train.timesteps
    }

    /// Samples `count` structures of each formula (CSP checkpoints).
    #[pyo3(signature = (formulas, count, steps, seed, corrector_lr, progress))]
    #[allow(clippy::too_many_arguments)] // the Python call's keyword arguments
    fn sample_compositions(
        &self,
        py: Python<'_>,
        formulas: Vec<String>,
        count: usize,
        steps: usize,
        seed: u64,
        corrector_lr: f64,
        progress: bool,
    ) -> PyResult<Samples> {
        if self.cfg.train.task != Task::Csp {
            return Err(PyValueError::new_err(
                "this checkpoint generates crystals de novo (task dng): call sample(count=N) without composition, or load a csp checkpoint",
            ));
        }
        if formulas.is_empty() {
            return Err(PyValueError::new_err("no compositions to sample"));
        }
        check_count(count, formulas.len())?;
        let base = formulas
            .iter()
            .map(|f| {
                let counts = crystal::composition::parse_formula(f)
                    .map_err(|e| PyValueError::new_err(format!("composition {e}")))?;
                let atoms = counts
                    .iter()
                    .flat_map(|(e, n)| std::iter::repeat_n(*e, *n))
                    .collect();
                Ok((f.trim().to_string(), atoms))
            })
            .collect::<PyResult<Vec<(String, Vec<Element>)>>>()?;
        self.run(
            py,
            composition_targets(base, count),
            steps,
            seed,
            corrector_lr,
            progress,
        )
    }

    /// Samples `count` structures de novo (dng checkpoints), atom counts drawn from the
    /// training data with `seed`.
    #[pyo3(signature = (count, steps, seed, corrector_lr, progress))]
    fn sample_de_novo(
        &self,
        py: Python<'_>,
        count: usize,
        steps: usize,
        seed: u64,
        corrector_lr: f64,
        progress: bool,
    ) -> PyResult<Samples> {
        if self.cfg.train.task != Task::Dng {
            return Err(PyValueError::new_err(
                "this checkpoint predicts structures for given compositions (task csp): call sample(composition=..., count=N), or load a dng checkpoint",
            ));
        }
        check_count(count, 1)?;
        let named = de_novo_targets(&self.cfg.atom_counts, count, seed)
            .map_err(diffusion_error)?
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!("gen_{i:05}"), t))
            .collect();
        self.run(py, named, steps, seed, corrector_lr, progress)
    }
}

fn check_count(count: usize, per: usize) -> PyResult<()> {
    if count == 0 {
        return Err(PyValueError::new_err("count 0: must be at least 1"));
    }
    if count.saturating_mul(per) > MAX_TARGETS {
        return Err(PyValueError::new_err(format!(
            "{per} compositions × count {count}: more than {MAX_TARGETS} structures; split the run"
        )));
    }
    Ok(())
}

impl Generator {
    /// Samples `named` targets with the GIL released, checking for Ctrl-C every 50 ms.
    fn run(
        &self,
        py: Python<'_>,
        named: Vec<(String, Target)>,
        steps: usize,
        seed: u64,
        corrector_lr: f64,
        progress: bool,
    ) -> PyResult<Samples> {
        let max_steps = self.cfg.train.timesteps;
        if steps == 0 || steps > max_steps {
            return Err(PyValueError::new_err(format!(
                "steps {steps}: must be between 1 and {max_steps}"
            )));
        }
        if !(corrector_lr.is_finite() && corrector_lr >= 0.0) {
            return Err(PyValueError::new_err(format!(
                "corrector_lr {corrector_lr}: must be zero or positive"
            )));
        }
        for (n, t) in &named {
            t.check(&self.cfg.train)
                .map_err(|e| PyValueError::new_err(format!("{n}: {e}")))?;
        }
        let opts = SampleOptions {
            steps,
            seed,
            corrector_lr,
        };
        let targets: Vec<Target> = named.iter().map(|t| t.1.clone()).collect();
        let bar = if progress {
            indicatif::ProgressBar::new(targets.len() as u64)
        } else {
            indicatif::ProgressBar::hidden()
        };
        let cancel = AtomicBool::new(false);
        let done = AtomicUsize::new(0);
        let model = &*self.model;
        let train = &self.cfg.train;
        let result = py.detach(|| {
            std::thread::scope(|s| {
                let worker = s.spawn(|| {
                    let r = sample_cancellable(
                        model,
                        train,
                        &targets,
                        &opts,
                        &|k| bar.inc(k as u64),
                        &cancel,
                    );
                    done.store(1, Ordering::Release);
                    r
                });
                while done.load(Ordering::Acquire) == 0 {
                    std::thread::sleep(Duration::from_millis(50));
                    if Python::attach(|py| py.check_signals()).is_err() {
                        cancel.store(true, Ordering::Relaxed);
                    }
                }
                worker.join().unwrap_or(Err(DiffusionError::Cancelled))
            })
        });
        bar.finish_and_clear();
        let results = result.map_err(diffusion_error)?;
        Ok(named
            .into_iter()
            .zip(results)
            .map(|((n, _), r)| match r {
                Ok(c) => (n, Some(to_plain(&c)), None),
                Err(e) => (n, None, Some(e.to_string())),
            })
            .collect())
    }
}

/// The package version (the workspace's).
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let sample = SampleOptions::default();
    m.add("DEFAULT_STEPS", sample.steps)?;
    m.add("DEFAULT_SEED", sample.seed)?;
    m.add("DEFAULT_CORRECTOR_LR", sample.corrector_lr)?;
    let csp = MatcherConfig::csp();
    m.add("CSP_MATCHER", (csp.ltol, csp.stol, csp.angle_tol_deg))?;
    let pmg = MatcherConfig::pymatgen_default();
    m.add("PYMATGEN_MATCHER", (pmg.ltol, pmg.stol, pmg.angle_tol_deg))?;
    let dng = DngConfig::default();
    m.add("DEFAULT_WDIST_SAMPLES", dng.n_wdist_samples)?;
    m.add("DEFAULT_DNG_SEED", dng.seed)?;
    m.add(
        "DEFAULT_MIN_DISTANCE",
        crystal::validity::DEFAULT_MIN_DISTANCE_A,
    )?;
    m.add_class::<Matcher>()?;
    m.add_class::<Generator>()?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(write, m)?)?;
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(eval_csp, m)?)?;
    m.add_function(wrap_pyfunction!(eval_dng, m)?)?;
    Ok(())
}
