//! Sampling the `periodic` model: crystal structure prediction (given the atoms of each
//! crystal, generate its lattice and fractional coordinates) and de novo generation (draw
//! the atom count from the training data, then generate types, lattice and coordinates).
//!
//! Start from uniform fractional coordinates, standard-normal lattice numbers (and, de
//! novo, standard-normal one-hot types); then, over a decreasing subsequence of `steps`
//! timesteps t → t′ of 1..=T:
//! - coordinates (variance-exploding reverse step on the torus):
//!   f ← (f + (σ_t² − σ_t′²)·ŝ·√λ_t + √((σ_t² − σ_t′²)·σ_t′²/σ_t²)·z) mod 1,
//!   followed by an optional Langevin corrector step at σ_t′ (DiffCSP's predictor-corrector);
//! - lattice numbers and one-hot types (DDPM ancestral step between ᾱ_t and ᾱ_t′):
//!   x̂₀ = (x − √(1−ᾱ_t)·ε̂)/√ᾱ_t clipped, x ← √ᾱ_t′·x̂₀ + √(1−ᾱ_t′−η²)·ε̂ + η·z with
//!   η² = (1−ᾱ_t′)/(1−ᾱ_t)·(1−ᾱ_t/ᾱ_t′). Near t = T the cosine schedule's ᾱ is ~1e-8 and
//!   the division amplifies any error in ε̂, hence the clip (`LatticeRepr::clip`; ±2 for
//!   types, whose clean values are 0 and 1).
//!
//! Each crystal draws from its own stream (seed, index), so results do not depend on how
//! crystals are batched or on the number of threads; a target may carry the index it has in
//! a larger run ([`Target::stream`]), so that shards of a run reproduce it bit for bit.

use super::batch::{GraphInputs, NoisyCrystal};
use super::lattice::LatticeRepr;
use super::model::{Denoiser, HostOutputs, Inference, Workspace, N_TYPES};
use super::noise::NoiseSchedule;
use super::train::{PeriodicTrainConfig, Task};
use crate::error::DiffusionError;
use crystal::rng::Rng;
use crystal::{Crystal, Element, Lattice};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

// Crystals per network call: `Inference::batch_crystals`. Chunks run in parallel, one
// per thread at a time; on the CPU 64 Perov-5 crystals are 320 atoms and 1,280 edges,
// enough rows for full-speed matrix products, and 500 targets make 8 chunks, enough to
// keep 2 cores evenly busy.

/// The most crystals one `sample` call may be asked for (each holds its state in memory
/// until its chunk is done).
pub const MAX_TARGETS: usize = 1_000_000;

/// Options of [`sample`] and [`sample_traced`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleOptions {
    /// Reverse steps (a subsequence of 1..=T).
    pub steps: usize,
    pub seed: u64,
    /// Langevin corrector on the coordinates after each step (DiffCSP's predictor-corrector):
    /// step ε = corrector_lr·(σ/σ_min)², f ← f + ε·score + √(2ε)·z. 0 turns it off.
    pub corrector_lr: f64,
}

impl Default for SampleOptions {
    /// 200 steps; corrector 1e-5, the best of 1e-6 … 1e-4 on Perov-5 (measured with the
    /// shipped CSP model; the demo's tiny model prefers 1e-4, see its `PeriodicDemo`).
    fn default() -> Self {
        SampleOptions {
            steps: 200,
            seed: 0,
            corrector_lr: 1e-5,
        }
    }
}

/// One crystal during sampling.
struct State {
    /// The network's view; `net.lattice_z` holds the lattice numbers being diffused.
    net: NoisyCrystal,
    rng: Rng,
}

impl std::borrow::Borrow<NoisyCrystal> for State {
    fn borrow(&self) -> &NoisyCrystal {
        &self.net
    }
}

/// The lattice matrix (rows = vectors, Å) of the diffused numbers.
fn lattice_of(cfg: &PeriodicTrainConfig, lat: &[f64]) -> [[f64; 3]; 3] {
    match cfg.model.lattice {
        LatticeRepr::Matrix => std::array::from_fn(|i| std::array::from_fn(|j| lat[i * 3 + j])),
        LatticeRepr::LogCholesky => cfg.lattice_norm.decode(lat),
    }
}

/// The network's outputs for `state` at timestep `t`, into `out` (type noise de novo);
/// `g` is the batch's reused input buffer.
fn predict(
    net: &dyn Inference,
    cfg: &PeriodicTrainConfig,
    state: &mut [State],
    t: usize,
    bufs: &mut (GraphInputs, Workspace),
    out: &mut HostOutputs,
) {
    let tmax = cfg.timesteps;
    for s in state.iter_mut() {
        s.net.t = t;
    }
    let (g, ws) = bufs;
    g.rebuild(
        state,
        cfg.model.k_freq,
        cfg.model.time_dim,
        1000.0 / tmax as f64,
    );
    let dng = g.node_type_dense.is_some();
    net.run(g, dng, ws, out);
}

/// Fractional coordinates and cell of one crystal at timestep `t` of the reverse process.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Timestep (T = pure noise, 0 = the result).
    pub t: usize,
    pub frac_coords: Vec<[f64; 3]>,
    /// The cell being diffused at `t`: row i is lattice vector i, in Å (at T the noisy
    /// starting cell, at 0 the generated one).
    pub lattice_a: [[f64; 3]; 3],
}

/// Runs the reverse process on `state`; records `state[0]` into `trace` (when given) at
/// the start, after a quarter, half and three quarters of the steps, and at the end.
fn reverse(
    net: &dyn Inference,
    cfg: &PeriodicTrainConfig,
    schedule: &NoiseSchedule,
    state: &mut [State],
    opts: &SampleOptions,
    mut trace: Option<&mut Vec<Frame>>,
) {
    let mut bufs = (GraphInputs::default(), Workspace::default());
    let mut out = HostOutputs::default();
    let ts = timestep_sequence(schedule.timesteps, opts.steps);
    let n_steps = ts.len() - 1;
    let marks: Vec<usize> = (0..=4).map(|q| q * n_steps / 4).collect();
    let mut record = |k: usize, t: usize, state: &[State]| {
        if let (Some(tr), Some(s)) = (trace.as_deref_mut(), state.first()) {
            if marks.contains(&k) {
                tr.push(Frame {
                    t,
                    frac_coords: s.net.frac.clone(),
                    lattice_a: s.net.lattice,
                });
            }
        }
    };
    record(0, ts[0], state);
    let p = cfg.model.lattice.dim();
    for (k, w) in ts.windows(2).enumerate() {
        let (t, tp) = (w[0], w[1]);
        predict(net, cfg, state, t, &mut bufs, &mut out);
        let (score, eps, type_eps) = (&out.coord_score, &out.lattice_eps, &out.type_logits);
        let coords = schedule.coords.step(t, tp);
        let lattice = schedule.lattice.step(t, tp);
        let types = schedule.types.step(t, tp);
        let mut row = 0;
        for (b, s) in state.iter_mut().enumerate() {
            let first_atom = row;
            for f in &mut s.net.frac {
                for x in f.iter_mut() {
                    *x = coords.apply(*x, score[row], &mut s.rng);
                    row += 1;
                }
            }
            for (k, x) in s.net.lattice_z.iter_mut().enumerate() {
                *x = lattice.apply(*x, eps[b * p + k] as f64, &mut s.rng);
            }
            s.net.lattice = lattice_of(cfg, &s.net.lattice_z);
            if let Some(noisy) = &mut s.net.types_noisy {
                let base = first_atom / 3 * N_TYPES;
                for (k, x) in noisy.iter_mut().enumerate() {
                    *x = types.apply(*x as f64, type_eps[base + k] as f64, &mut s.rng) as f32;
                }
                s.net.z = argmax_types(noisy);
            }
        }
        if opts.corrector_lr > 0.0 && tp > 0 {
            predict(net, cfg, state, tp, &mut bufs, &mut out);
            let score = &out.coord_score;
            let corrector = schedule.coords.corrector(tp, opts.corrector_lr);
            let mut row = 0;
            for s in state.iter_mut() {
                for f in &mut s.net.frac {
                    for x in f.iter_mut() {
                        *x = corrector.apply(*x, score[row], &mut s.rng);
                        row += 1;
                    }
                }
            }
        }
        record(k + 1, tp, state);
    }
}

/// Atomic numbers of the largest entry of each atom's type vector.
fn argmax_types(types: &[f32]) -> Vec<u8> {
    types
        .chunks(N_TYPES)
        .map(|row| {
            let mut best = 0;
            for (k, &x) in row.iter().enumerate() {
                if x > row[best] {
                    best = k;
                }
            }
            best as u8 + 1
        })
        .collect()
}

/// A fresh state: uniform coordinates, standard-normal lattice numbers and (de novo) types.
fn initial(cfg: &PeriodicTrainConfig, z: Vec<u8>, dng: bool, mut rng: Rng) -> State {
    let n = z.len();
    let frac = (0..n)
        .map(|_| [rng.uniform(), rng.uniform(), rng.uniform()])
        .collect();
    let lat: Vec<f64> = (0..cfg.model.lattice.dim()).map(|_| rng.normal()).collect();
    let types_noisy = dng.then(|| (0..n * N_TYPES).map(|_| rng.normal() as f32).collect());
    let mut net = NoisyCrystal {
        z,
        frac,
        lattice: lattice_of(cfg, &lat),
        t: cfg.timesteps,
        lattice_z: lat,
        types_noisy,
    };
    if let Some(t) = &net.types_noisy {
        net.z = argmax_types(t);
    }
    State { net, rng }
}

fn finish(s: State) -> Result<Crystal, DiffusionError> {
    let lattice = Lattice::new(s.net.lattice)?;
    let species = s
        .net
        .z
        .iter()
        .map(|&z| Element::from_z(z))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Crystal::new(lattice, species, s.net.frac)?)
}

/// The decreasing timesteps visited with `steps` steps out of `t_max` (ends at 0).
pub fn timestep_sequence(t_max: usize, steps: usize) -> Vec<usize> {
    let s = steps.clamp(1, t_max);
    let mut ts: Vec<usize> = (0..=s)
        .rev()
        .map(|k| ((k as f64) * t_max as f64 / s as f64).round() as usize)
        .collect();
    ts.dedup();
    ts
}

/// What to generate: one crystal per target. A condition on the result (a space group,
/// a chemical system, a property) is a field added here and honoured in `sample_all`.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub atoms: TargetAtoms,
    /// The random stream this crystal draws from, with the seed: its index in the whole
    /// run. `None` is its index in the list given to [`sample`]; a shard of a run (every
    /// N-th target) keeps the indices of the whole list, so that the union of the shards
    /// is the whole run, bit for bit.
    pub stream: Option<u64>,
}

/// The atoms of a target.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetAtoms {
    /// Crystal structure prediction: these elements, one per atom.
    Composition(Vec<Element>),
    /// De novo generation: this many atoms, their types generated.
    Count(usize),
}

impl Target {
    /// A CSP target with the given atoms.
    pub fn composition(atoms: Vec<Element>) -> Target {
        Target {
            atoms: TargetAtoms::Composition(atoms),
            stream: None,
        }
    }

    /// A de novo target with `n` atoms.
    pub fn atom_count(n: usize) -> Target {
        Target {
            atoms: TargetAtoms::Count(n),
            stream: None,
        }
    }

    /// This target drawing from stream `index` (see [`Target::stream`]).
    pub fn with_stream(self, index: u64) -> Target {
        Target {
            stream: Some(index),
            ..self
        }
    }

    /// Number of atoms.
    pub fn n_atoms(&self) -> usize {
        match &self.atoms {
            TargetAtoms::Composition(a) => a.len(),
            TargetAtoms::Count(n) => *n,
        }
    }

    /// Checks that a model trained with `cfg` can generate this target: the kind of
    /// target fits the task, every element is in the model's table, the atoms fit
    /// `max_atoms`.
    pub fn check(&self, cfg: &PeriodicTrainConfig) -> Result<(), DiffusionError> {
        match (&self.atoms, cfg.task) {
            (TargetAtoms::Composition(_), Task::Csp) | (TargetAtoms::Count(_), Task::Dng) => {}
            (_, Task::Csp) => {
                return Err(DiffusionError::Target(
                    "a csp model takes compositions".into(),
                ))
            }
            (_, Task::Dng) => {
                return Err(DiffusionError::Target(
                    "a dng model takes atom counts".into(),
                ))
            }
        }
        if let TargetAtoms::Composition(atoms) = &self.atoms {
            if let Some(e) = atoms.iter().find(|e| e.z() as usize > N_TYPES) {
                return Err(DiffusionError::Target(format!(
                    "{} (Z = {}) is beyond the model's elements (Z ≤ {N_TYPES})",
                    e.symbol(),
                    e.z()
                )));
            }
        }
        let n = self.n_atoms();
        if n == 0 || n > cfg.max_atoms {
            return Err(DiffusionError::Target(format!(
                "{n} atoms; the model takes 1 to max_atoms {}",
                cfg.max_atoms
            )));
        }
        Ok(())
    }
}

/// `count` de novo targets whose atom counts are drawn from `atom_counts` (index = atoms,
/// value = training crystals with that many; see `Trainer::atom_counts`) with `seed`.
pub fn de_novo_targets(
    atom_counts: &[u64],
    count: usize,
    seed: u64,
) -> Result<Vec<Target>, DiffusionError> {
    let total = atom_counts
        .iter()
        .skip(1)
        .try_fold(0u64, |a, &x| a.checked_add(x))
        .unwrap_or(0);
    if total == 0 {
        return Err(DiffusionError::Config(
            "the checkpoint records no atom counts to draw from".into(),
        ));
    }
    // A stream apart from the per-crystal ones (which use indices 0..count).
    let mut rng = Rng::derive(seed ^ 0xa70c_5eed_0000_0000, u64::MAX);
    Ok((0..count)
        .map(|_| {
            let mut u = rng.below(total as usize) as u64;
            let mut n = 1;
            while u >= atom_counts[n] {
                u -= atom_counts[n];
                n += 1;
            }
            Target::atom_count(n)
        })
        .collect())
}

/// One result per target: the crystal, or why it could not be built (e.g. a degenerate
/// cell).
pub type Sampled = Vec<Result<Crystal, DiffusionError>>;

/// Generates one crystal per target (all compositions for a CSP model, all atom counts
/// for a de novo one). `progress()` is called once per finished chunk of crystals.
pub fn sample(
    model: &dyn Denoiser,
    cfg: &PeriodicTrainConfig,
    targets: &[Target],
    opts: &SampleOptions,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Sampled, DiffusionError> {
    sample_cancellable(model, cfg, targets, opts, progress, &AtomicBool::new(false))
}

/// [`sample`] that hands each finished chunk of crystals to `sink(first, results)` as soon
/// as it is done (`results[k]` is target `first + k`), from the worker thread that made it,
/// and keeps nothing: for runs too large to hold, and for writing results as they come
/// (a killed run keeps its finished chunks). Chunks finish in any order. Stops early once
/// `cancel` is set, as [`sample_cancellable`]; the crystals are those of [`sample`], bit
/// for bit.
pub fn sample_streaming(
    model: &dyn Denoiser,
    cfg: &PeriodicTrainConfig,
    targets: &[Target],
    opts: &SampleOptions,
    sink: &(dyn Fn(usize, Sampled) + Sync),
    cancel: &AtomicBool,
) -> Result<(), DiffusionError> {
    run_chunks(model, cfg, targets, opts, None, Some(cancel), sink)?;
    if cancel.load(Ordering::Relaxed) {
        return Err(DiffusionError::Cancelled);
    }
    Ok(())
}

/// [`sample`] that stops early once `cancel` is set: chunks not yet started are skipped
/// (a started chunk — 64 crystals on the CPU, 1,024 on a GPU — finishes first) and the call returns
/// [`DiffusionError::Cancelled`]. Uncancelled, the results are those of [`sample`], bit
/// for bit.
pub fn sample_cancellable(
    model: &dyn Denoiser,
    cfg: &PeriodicTrainConfig,
    targets: &[Target],
    opts: &SampleOptions,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
) -> Result<Sampled, DiffusionError> {
    let out = sample_all(model, cfg, targets, opts, progress, None, Some(cancel))?;
    if cancel.load(Ordering::Relaxed) {
        return Err(DiffusionError::Cancelled);
    }
    Ok(out)
}

/// One target per (composition, sample): `count` copies of each named composition, named
/// `{name}_{k}` for k = 0..count, or the names as given when `count` is 1 (the naming of
/// `sample --composition/--compositions --count`).
pub fn composition_targets(
    compositions: Vec<(String, Vec<Element>)>,
    count: usize,
) -> Vec<(String, Target)> {
    if count == 1 {
        return compositions
            .into_iter()
            .map(|(n, atoms)| (n, Target::composition(atoms)))
            .collect();
    }
    compositions
        .into_iter()
        .flat_map(|(n, atoms)| {
            (0..count).map(move |k| (format!("{n}_{k}"), Target::composition(atoms.clone())))
        })
        .collect()
}

/// [`sample`] that also returns the trajectory of crystal 0 (five frames — start,
/// quarters, end — or fewer with fewer than four steps; see [`Frame`]).
pub fn sample_traced(
    model: &dyn Denoiser,
    cfg: &PeriodicTrainConfig,
    targets: &[Target],
    opts: &SampleOptions,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<(Sampled, Vec<Frame>), DiffusionError> {
    let trace = std::sync::Mutex::new(Vec::new());
    let out = sample_all(model, cfg, targets, opts, progress, Some(&trace), None)?;
    Ok((out, trace.into_inner().unwrap_or_default()))
}

/// Each target's random stream: its own, or its index.
fn streams(targets: &[Target]) -> Vec<u64> {
    targets
        .iter()
        .enumerate()
        .map(|(i, t)| t.stream.unwrap_or(i as u64))
        .collect()
}

/// The atomic numbers each target starts from (de novo: placeholders, replaced by the
/// noisy types), after checking that the targets fit the model's task.
fn initial_types(
    cfg: &PeriodicTrainConfig,
    targets: &[Target],
) -> Result<Vec<Vec<u8>>, DiffusionError> {
    targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            t.check(cfg)
                .map_err(|e| DiffusionError::Target(format!("target {i}: {e}")))?;
            Ok(match &t.atoms {
                TargetAtoms::Composition(a) => a.iter().map(|e| e.z()).collect(),
                TargetAtoms::Count(n) => vec![1u8; *n],
            })
        })
        .collect()
}

/// Every target sampled in chunks on all cores, collected in target order.
fn sample_all(
    model: &dyn Denoiser,
    cfg: &PeriodicTrainConfig,
    targets: &[Target],
    opts: &SampleOptions,
    progress: &(dyn Fn(usize) + Sync),
    trace: Option<&std::sync::Mutex<Vec<Frame>>>,
    cancel: Option<&AtomicBool>,
) -> Result<Sampled, DiffusionError> {
    let slots: Vec<std::sync::Mutex<Option<Result<Crystal, DiffusionError>>>> = targets
        .iter()
        .map(|_| std::sync::Mutex::new(None))
        .collect();
    run_chunks(model, cfg, targets, opts, trace, cancel, &|first, chunk| {
        let n = chunk.len();
        for (k, r) in chunk.into_iter().enumerate() {
            if let Ok(mut slot) = slots[first + k].lock() {
                *slot = Some(r);
            }
        }
        progress(n);
    })?;
    Ok(slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .ok()
                .flatten()
                .unwrap_or(Err(DiffusionError::Cancelled))
        })
        .collect())
}

/// Every target sampled in chunks on all cores, each crystal from its own stream
/// ([`Target::stream`], else its index), each finished chunk handed to `sink(first,
/// results)`; crystal 0's trajectory into `trace` when given. A chunk not started when
/// `cancel` is set is skipped (never handed over).
fn run_chunks(
    model: &dyn Denoiser,
    cfg: &PeriodicTrainConfig,
    targets: &[Target],
    opts: &SampleOptions,
    trace: Option<&std::sync::Mutex<Vec<Frame>>>,
    cancel: Option<&AtomicBool>,
    sink: &(dyn Fn(usize, Sampled) + Sync),
) -> Result<(), DiffusionError> {
    let zs = initial_types(cfg, targets)?;
    let streams = streams(targets);
    let schedule = cfg.schedule();
    let dng = cfg.task == Task::Dng;
    let net = model.inference();
    let chunk = net.batch_crystals().max(1);
    let starts: Vec<usize> = (0..zs.len()).step_by(chunk).collect();
    starts.par_iter().for_each(|&s| {
        let end = (s + chunk).min(zs.len());
        if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return;
        }
        let mut state: Vec<State> = (s..end)
            .map(|i| initial(cfg, zs[i].clone(), dng, Rng::derive(opts.seed, streams[i])))
            .collect();
        let mut frames = Vec::new();
        let want = trace.is_some() && s == 0;
        reverse(
            net.as_ref(),
            cfg,
            &schedule,
            &mut state,
            opts,
            want.then_some(&mut frames),
        );
        if let (true, Some(t)) = (want, trace) {
            if let Ok(mut g) = t.lock() {
                *g = frames;
            }
        }
        sink(s, state.into_iter().map(finish).collect());
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn de_novo_draws_atom_counts_from_the_data_and_is_reproducible() {
        use crate::periodic::train::{DataStats, PeriodicTrainConfig, Task, Trainer};
        use crate::periodic::PeriodicConfig;
        let data: Vec<Crystal> = crystal::demo::demo_crystals(5);
        let cfg = PeriodicTrainConfig {
            model: PeriodicConfig::tiny(),
            timesteps: 20,
            epochs: 2,
            batch_size: 21,
            task: Task::Dng,
            ..PeriodicTrainConfig::default()
        };
        let mut tr = Trainer::new(cfg, DataStats::fit(&data)).unwrap();
        for _ in 0..2 {
            let l = tr.run_epoch(&data, |_, _, _| {}).unwrap();
            assert!(l.types > 0.0);
        }
        assert_eq!(tr.atom_counts[2], 7);
        assert_eq!(tr.atom_counts[4], 7);
        assert_eq!(tr.atom_counts[8], 7);
        let model = tr.ema_model().unwrap();
        let opts = SampleOptions {
            steps: 5,
            seed: 3,
            corrector_lr: 0.0,
        };
        let targets = de_novo_targets(&tr.atom_counts, 30, opts.seed).unwrap();
        let a = sample(&model, &tr.cfg, &targets, &opts, &|_| {}).unwrap();
        let b = sample(&model, &tr.cfg, &targets, &opts, &|_| {}).unwrap();
        assert_eq!(a.len(), 30);
        let counts: Vec<usize> = a.iter().map(|c| c.as_ref().unwrap().num_atoms()).collect();
        assert!(counts.iter().all(|n| [2, 4, 8].contains(n)), "{counts:?}");
        assert!(counts.contains(&2) && counts.contains(&8));
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.as_ref().unwrap(), y.as_ref().unwrap());
        }
        // Four shards (every 4th target, keeping its stream) are the whole run, bit for bit.
        for shard in 0..4 {
            let part: Vec<Target> = targets
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 4 == shard)
                .map(|(i, t)| t.clone().with_stream(i as u64))
                .collect();
            let got = sample(&model, &tr.cfg, &part, &opts, &|_| {}).unwrap();
            for (k, c) in got.iter().enumerate() {
                assert_eq!(c.as_ref().unwrap(), a[shard + 4 * k].as_ref().unwrap());
            }
        }
        assert!(de_novo_targets(&[], 3, 0).is_err());
        // A de novo model refuses compositions.
        let csp = [Target::composition(vec![
            crystal::Element::from_z(26)
                .unwrap();
            2
        ])];
        let err = sample(&model, &tr.cfg, &csp, &opts, &|_| {}).unwrap_err();
        assert!(
            err.to_string().contains("dng model takes atom counts"),
            "{err}"
        );
        // Uncancelled, the cancellable sampler gives the same bits; set, it stops.
        let go = AtomicBool::new(false);
        let c = sample_cancellable(&model, &tr.cfg, &targets, &opts, &|_| {}, &go).unwrap();
        for (x, y) in a.iter().zip(&c) {
            assert_eq!(x.as_ref().unwrap(), y.as_ref().unwrap());
        }
        let stop = AtomicBool::new(true);
        let err = sample_cancellable(&model, &tr.cfg, &targets, &opts, &|_| {}, &stop);
        assert!(matches!(err, Err(DiffusionError::Cancelled)));
    }

    #[test]
    fn composition_targets_are_named_as_the_command_line_names_them() {
        let fe = crystal::Element::from_z(26).unwrap();
        let one = composition_targets(vec![("Fe2".into(), vec![fe; 2])], 1);
        assert_eq!(one.len(), 1);
        assert_eq!((one[0].0.as_str(), one[0].1.n_atoms()), ("Fe2", 2));
        let three = composition_targets(
            vec![("Fe2".into(), vec![fe; 2]), ("Fe".into(), vec![fe])],
            3,
        );
        let names: Vec<&str> = three.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(names, ["Fe2_0", "Fe2_1", "Fe2_2", "Fe_0", "Fe_1", "Fe_2"]);
        assert_eq!(three[4].1.n_atoms(), 1);
    }

    #[test]
    fn timestep_sequences_cover_the_range() {
        assert_eq!(timestep_sequence(1000, 4), vec![1000, 750, 500, 250, 0]);
        assert_eq!(
            timestep_sequence(10, 50),
            (0..=10).rev().collect::<Vec<_>>()
        );
        assert_eq!(timestep_sequence(5, 1), vec![5, 0]);
    }
}
