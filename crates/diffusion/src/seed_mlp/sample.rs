//! DDPM ancestral sampling with the seed MLP (Ho et al. 2020, Algorithm 2).
//!
//! x_T ~ N(0, I); for t = T−1 … 0: μ = (x_t − β_t/√(1−ᾱ_t) · ε̂)/√α_t, and
//! x_{t−1} = μ + √(posterior variance_t) · z except at t = 0; finally wrap into [0, 1).
//! Lattice, species and atom count are borrowed from a donor structure.
//!
//! Only real atoms are sampled (no padding rows: the network treats atoms independently,
//! so padding never changed a real atom's output). Structures are split into chunks that
//! run on all cores; each structure draws its noise from its own random stream, so the
//! result does not depend on the chunking or the number of threads.

use super::infer::{SeedMlpInfer, Workspace};
use super::model::SeedMlp;
use crate::error::DiffusionError;
use crate::schedule::LinearSchedule;
use crystal::rng::Rng;
use crystal::structure::wrap_frac;
use crystal::Crystal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Most structures per chunk of parallel work.
const MAX_CHUNK: usize = 128;

/// Positions of one structure at one step of the reverse process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Step t after whose update the positions were taken (0-based).
    pub t: usize,
    /// Fractional coordinates wrapped into [0, 1).
    pub frac_coords: Vec<[f64; 3]>,
}

/// Generated structures and the trajectory of the first one.
#[derive(Debug, Clone)]
pub struct Sampled {
    pub crystals: Vec<Crystal>,
    /// Snapshots of structure 0 at the requested steps, from high t to low.
    pub snapshots: Vec<Snapshot>,
}

/// Samples one structure per donor. `snapshot_ts` lists the steps at which structure 0
/// is recorded. The same `seed` gives the same structures, bit for bit.
pub fn sample(
    model: &SeedMlp,
    schedule: &LinearSchedule,
    donors: &[&Crystal],
    seed: u64,
    snapshot_ts: &[usize],
) -> Result<Sampled, DiffusionError> {
    if donors.is_empty() {
        return Err(DiffusionError::Config(
            "nothing to sample: no donor structures".into(),
        ));
    }
    // Enough chunks to keep every core busy; results do not depend on the chunk size.
    let chunk = donors
        .len()
        .div_ceil(rayon::current_num_threads())
        .clamp(1, MAX_CHUNK);
    let chunks: Vec<(usize, &[&Crystal])> = donors
        .chunks(chunk)
        .enumerate()
        .map(|(i, c)| (i * chunk, c))
        .collect();
    let net = SeedMlpInfer::from_model(model);
    let results: Vec<ChunkResult> = chunks
        .into_par_iter()
        .map(|(first, chunk)| sample_chunk(&net, schedule, first, chunk, seed, snapshot_ts))
        .collect();
    let mut crystals = Vec::with_capacity(donors.len());
    let mut snapshots = Vec::new();
    for (coords, snaps) in results {
        if snapshots.is_empty() {
            snapshots = snaps;
        }
        for (frac, donor) in coords.into_iter().zip(&donors[crystals.len()..]) {
            crystals.push(Crystal::new(
                *donor.lattice(),
                donor.species().to_vec(),
                frac,
            )?);
        }
    }
    Ok(Sampled {
        crystals,
        snapshots,
    })
}

/// Wrapped fractional coordinates of each structure of a chunk, and its snapshots.
type ChunkResult = (Vec<Vec<[f64; 3]>>, Vec<Snapshot>);

fn sample_chunk(
    net: &SeedMlpInfer,
    schedule: &LinearSchedule,
    first: usize,
    chunk: &[&Crystal],
    seed: u64,
    snapshot_ts: &[usize],
) -> ChunkResult {
    let counts: Vec<usize> = chunk.iter().map(|c| c.num_atoms()).collect();
    let n: usize = counts.iter().sum();
    let mut rngs: Vec<Rng> = (0..chunk.len())
        .map(|i| Rng::derive(seed, (first + i) as u64))
        .collect();
    let mut x = vec![0f32; n * 3];
    let fill_normal = |buf: &mut [f32], rngs: &mut [Rng]| {
        let mut off = 0;
        for (r, &c) in rngs.iter_mut().zip(&counts) {
            for v in &mut buf[off..off + 3 * c] {
                *v = r.normal() as f32;
            }
            off += 3 * c;
        }
    };
    fill_normal(&mut x, &mut rngs);
    let mut z = vec![0f32; n * 3];
    let mut eps = vec![0f32; n * 3];
    let mut ws = Workspace::default();
    let mut snapshots = Vec::new();
    let n0 = counts[0];
    for t in (0..schedule.timesteps()).rev() {
        net.forward(&x, n, t, &mut ws, &mut eps);
        let coef = schedule.betas[t] / schedule.sqrt_one_minus_alphas_cumprod[t];
        let inv_sqrt_alpha = 1.0 / schedule.alphas[t].sqrt();
        let sigma = schedule.posterior_variance[t].sqrt();
        if t > 0 {
            fill_normal(&mut z, &mut rngs);
        }
        for i in 0..n * 3 {
            let mu = inv_sqrt_alpha * (x[i] as f64 - coef * eps[i] as f64);
            x[i] = if t > 0 {
                (mu + sigma * z[i] as f64) as f32
            } else {
                mu as f32
            };
        }
        if first == 0 && snapshot_ts.contains(&t) {
            let frac_coords = x[..n0 * 3]
                .chunks_exact(3)
                .map(|p| [p[0], p[1], p[2]].map(|v| wrap_frac(v as f64)))
                .collect();
            snapshots.push(Snapshot { t, frac_coords });
        }
    }
    let mut out = Vec::with_capacity(chunk.len());
    let mut off = 0;
    for &c in &counts {
        out.push(
            x[off * 3..(off + c) * 3]
                .chunks_exact(3)
                .map(|p| [p[0], p[1], p[2]].map(|v| wrap_frac(v as f64)))
                .collect(),
        );
        off += c;
    }
    (out, snapshots)
}

/// The baseline the model must beat: uniformly random fractional positions on each donor.
pub fn random_positions(donors: &[&Crystal], seed: u64) -> Result<Vec<Crystal>, DiffusionError> {
    donors
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut rng = Rng::derive(seed ^ 0xba5e_11e0, i as u64);
            let frac = (0..d.num_atoms())
                .map(|_| [rng.uniform(), rng.uniform(), rng.uniform()])
                .collect();
            Ok(Crystal::new(*d.lattice(), d.species().to_vec(), frac)?)
        })
        .collect()
}
