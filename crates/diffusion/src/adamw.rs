//! AdamW on host arrays: the update of burn's `AdamW` (burn-optim 0.22.1, defaults
//! β₁ = 0.9, β₂ = 0.999, ε = 1e-5; Loshchilov & Hutter 2019), element by element in the
//! same f32 operations and order, on all cores, without one tensor allocation per
//! operation and parameter. Its state file is burn's: a burnpack `optimizer.bpk` holding,
//! per parameter id, tensors `{id}.momentum.moment_1` and `{id}.momentum.moment_2`,
//! scalars `{id}.momentum.time` and `{id}.__rank`, and the parameter's path as metadata
//! under `{id}`. A checkpoint written by either optimizer resumes with the other.

use crate::error::DiffusionError;
use crate::params::NamedParam;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// One parameter's moments.
#[derive(Debug, Clone, PartialEq)]
struct Moments {
    m: Vec<f32>,
    v: Vec<f32>,
    /// Steps taken (burn's `time`).
    time: u64,
    shape: Vec<usize>,
    path: String,
}

/// A parameter's first and second moments as read from a file, and its shape.
type ReadMoments = (Option<Vec<f32>>, Option<Vec<f32>>, Vec<usize>);

/// AdamW with decoupled weight decay; state keyed by burn parameter id.
#[derive(Debug, Clone, PartialEq)]
pub struct HostAdamW {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    weight_decay: f32,
    state: BTreeMap<u64, Moments>,
}

impl HostAdamW {
    /// burn's `AdamWConfig` defaults with this weight decay.
    pub fn new(weight_decay: f64) -> HostAdamW {
        HostAdamW {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-5,
            weight_decay: weight_decay as f32,
            state: BTreeMap::new(),
        }
    }

    /// One step at learning rate `lr`: each parameter with a gradient (same order and
    /// lengths as `params`; `None` = no gradient, left alone as burn leaves it) is updated
    /// in place, its moments created at its first gradient.
    pub fn step(&mut self, lr: f64, params: &mut [NamedParam], grads: &[Option<Vec<f32>>]) {
        let (b1, b2, eps) = (self.beta_1, self.beta_2, self.epsilon);
        let (f1, f2) = (1.0 - b1, 1.0 - b2);
        let decay_rate = lr * self.weight_decay as f64;
        let keep = (1.0 - decay_rate) as f32;
        let lr32 = lr as f32;
        for (p, g) in params.iter().zip(grads) {
            if g.is_some() && !self.state.contains_key(&p.id) {
                self.state.insert(
                    p.id,
                    Moments {
                        m: Vec::new(),
                        v: Vec::new(),
                        time: 0,
                        shape: p.shape.clone(),
                        path: p.name.clone(),
                    },
                );
            }
        }
        // Pair each parameter with its moments (ids are unique), then update in parallel.
        let mut work: Vec<(&mut NamedParam, &[f32], &mut Moments)> = Vec::new();
        let mut by_id: BTreeMap<u64, &mut Moments> =
            self.state.iter_mut().map(|(k, v)| (*k, v)).collect();
        for (p, g) in params.iter_mut().zip(grads) {
            if let Some(g) = g {
                if let Some(s) = by_id.remove(&p.id) {
                    work.push((p, g.as_slice(), s));
                }
            }
        }
        work.into_par_iter().for_each(|(p, g, s)| {
            let first = s.time == 0;
            if first {
                s.m = vec![0.0; g.len()];
                s.v = vec![0.0; g.len()];
            }
            s.time += 1;
            let t = s.time.min(i32::MAX as u64) as i32;
            let (c1, c2) = (1f32 - b1.powi(t), 1f32 - b2.powi(t));
            let (w, m, v) = (&mut p.data[..], &mut s.m[..], &mut s.v[..]);
            let n = w.len().min(m.len()).min(v.len()).min(g.len());
            let (w, m, v, g) = (&mut w[..n], &mut m[..n], &mut v[..n], &g[..n]);
            // The element-wise update, vectorised for this CPU (same bits at every level).
            // burn: the first step sets m = g·(1 − β₁), v = g²·(1 − β₂); later ones
            // m·β₁ + g·(1 − β₁) and v·β₂ + g²·(1 − β₂).
            crate::kernel::dispatch(
                #[inline(always)]
                || {
                    if first {
                        for ((m, v), &g) in m.iter_mut().zip(v.iter_mut()).zip(g) {
                            *m = g * f1;
                            *v = (g * g) * f2;
                        }
                    } else {
                        for ((m, v), &g) in m.iter_mut().zip(v.iter_mut()).zip(g) {
                            *m = *m * b1 + g * f1;
                            *v = *v * b2 + (g * g) * f2;
                        }
                    }
                    let delta = |m: f32, v: f32| (m / c1) / ((v / c2).sqrt() + eps);
                    if decay_rate == 0.0 {
                        for ((w, &m), &v) in w.iter_mut().zip(m.iter()).zip(v.iter()) {
                            *w -= delta(m, v) * lr32;
                        }
                    } else {
                        for ((w, &m), &v) in w.iter_mut().zip(m.iter()).zip(v.iter()) {
                            *w = *w * keep - delta(m, v) * lr32;
                        }
                    }
                },
            );
        });
    }

    /// Writes the state as burn's `optimizer.bpk` (see the module docs).
    pub fn save(&self, path: &Path) -> Result<(), DiffusionError> {
        let mut tensors = Vec::new();
        let mut writer_scalars = Vec::new();
        let mut meta = Vec::new();
        for (id, s) in &self.state {
            for (leaf, data) in [("moment_1", &s.m), ("moment_2", &s.v)] {
                let bytes: Vec<u8> = data.iter().flat_map(|x| x.to_le_bytes()).collect();
                tensors.push(burn_pack::Tensor::new(
                    format!("{id}.momentum.{leaf}"),
                    burn_pack::DType::F32,
                    s.shape.clone(),
                    Some(*id),
                    burn_pack::Bytes::from_bytes_vec(bytes),
                ));
            }
            writer_scalars.push((format!("{id}.momentum.time"), s.time));
            writer_scalars.push((format!("{id}.__rank"), s.shape.len() as u64));
            meta.push((id.to_string(), s.path.clone()));
        }
        let mut w = burn_pack::Writer::new(tensors);
        for (k, v) in &writer_scalars {
            w = w.with_scalar(k, burn_pack::Scalar::UInt(*v));
        }
        for (k, v) in &meta {
            w = w.with_metadata(k, v);
        }
        w.overwrite(true)
            .auto_extension(false)
            .write_to_file(path)
            .map_err(|e| DiffusionError::checkpoint(path, e.to_string()))
    }

    /// Reads a state written by [`Self::save`] or by burn's AdamW.
    pub fn load(path: &Path, weight_decay: f64) -> Result<HostAdamW, DiffusionError> {
        let bad = |m: String| DiffusionError::checkpoint(path, m);
        let r = burn_pack::Reader::from_file(path).map_err(|e| bad(e.to_string()))?;
        let scalars = r.scalars().clone();
        let meta = r.metadata().clone();
        let mut out = HostAdamW::new(weight_decay);
        let mut pending: BTreeMap<u64, ReadMoments> = BTreeMap::new();
        for t in r.into_tensors().map_err(|e| bad(e.to_string()))? {
            let (name, dtype, shape, id, bytes) = t.into_parts().map_err(|e| bad(e.to_string()))?;
            let id = id.ok_or_else(|| bad(format!("{name}: no parameter id")))?;
            if dtype != burn_pack::DType::F32 {
                return Err(bad(format!("{name}: {dtype:?}, expected F32")));
            }
            let data: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let dims: Vec<usize> = shape.to_vec();
            if data.len() != dims.iter().product::<usize>() {
                return Err(bad(format!(
                    "{name}: {} values for shape {dims:?}",
                    data.len()
                )));
            }
            let e = pending.entry(id).or_insert((None, None, dims));
            if name.ends_with(".momentum.moment_1") {
                e.0 = Some(data);
            } else if name.ends_with(".momentum.moment_2") {
                e.1 = Some(data);
            }
        }
        for (id, (m, v, shape)) in pending {
            let (Some(m), Some(v)) = (m, v) else {
                return Err(bad(format!("parameter {id}: a moment is missing")));
            };
            let time = match scalars.get(&format!("{id}.momentum.time")) {
                Some(burn_pack::Scalar::UInt(t)) => *t,
                Some(burn_pack::Scalar::Int(t)) if *t >= 0 => *t as u64,
                _ => return Err(bad(format!("parameter {id}: no step count"))),
            };
            out.state.insert(
                id,
                Moments {
                    m,
                    v,
                    time,
                    shape,
                    path: meta.get(&id.to_string()).cloned().unwrap_or_default(),
                },
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::collect;
    use burn::optim::{AdamWConfig, GradientsParams};
    use burn::tensor::{Device, Tensor, TensorData};
    use crystal::rng::Rng;

    /// Random gradients for every parameter of `m` (2-D weight, 1-D bias of a Linear).
    fn gradients(m: &burn::nn::Linear, rng: &mut Rng) -> (GradientsParams, Vec<Option<Vec<f32>>>) {
        let dev = Device::flex();
        let mut burn_grads = GradientsParams::new();
        let mut host = Vec::new();
        let [i, o] = m.weight.val().dims();
        let w: Vec<f32> = (0..i * o).map(|_| rng.normal() as f32).collect();
        let b: Vec<f32> = (0..o).map(|_| rng.normal() as f32 * 1e-3).collect();
        burn_grads.register::<2>(
            m.weight.id,
            Tensor::<2>::from_data(TensorData::new(w.clone(), [i, o]), &dev),
        );
        let bias = m.bias.as_ref().expect("bias");
        burn_grads.register::<1>(
            bias.id,
            Tensor::<1>::from_data(TensorData::new(b.clone(), [o]), &dev),
        );
        host.push(Some(w));
        host.push(Some(b));
        (burn_grads, host)
    }

    fn linear() -> burn::nn::Linear {
        let dev = Device::flex().autodiff();
        crate::nn::linear(5, 3, &mut Rng::new(4), &dev)
    }

    #[test]
    fn steps_give_burns_adamw_bits_and_the_state_file_is_shared() {
        for wd in [0.0, 0.05] {
            let mut model = linear();
            let mut burn_opt = AdamWConfig::new().with_weight_decay(wd as f32).init();
            let mut host = HostAdamW::new(wd);
            let mut params = collect(&model);
            let mut rng = Rng::new(7);
            for step in 0..4 {
                let lr = 1e-2 / (1.0 + step as f64);
                let (g_burn, g_host) = gradients(&model, &mut rng);
                model = burn_opt.step(lr, model, g_burn);
                host.step(lr, &mut params, &g_host);
                let theirs = collect(&model);
                for (a, b) in params.iter().zip(&theirs) {
                    assert_eq!(a.data, b.data, "weight decay {wd}, step {step}, {}", a.name);
                }
            }
            // burn's file read by the host optimizer, and the host's file by burn: both
            // continue exactly as the uninterrupted optimizers.
            let dir = std::env::temp_dir().join(format!("adamw-test-{}-{wd}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let (from_burn, from_host) = (dir.join("burn.bpk"), dir.join("host.bpk"));
            burn_opt.save(&from_burn).unwrap();
            host.save(&from_host).unwrap();
            let loaded = HostAdamW::load(&from_burn, wd).unwrap();
            assert_eq!(loaded, host);
            let mut burn_again = AdamWConfig::new()
                .with_weight_decay(wd as f32)
                .init()
                .load(&from_host)
                .unwrap();
            let mut rng2 = rng.clone();
            let (g_burn, g_host) = gradients(&model, &mut rng);
            let (g_burn2, _) = gradients(&model, &mut rng2);
            let model2 = burn_again.step(1e-3, model.clone(), g_burn2);
            let model3 = burn_opt.step(1e-3, model, g_burn);
            host.step(1e-3, &mut params, &g_host);
            assert_eq!(collect(&model2), collect(&model3));
            for (a, b) in params.iter().zip(collect(&model3)) {
                assert_eq!(a.data, b.data);
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn a_damaged_state_file_is_refused_with_its_path() {
        let dir = std::env::temp_dir().join(format!("adamw-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("optimizer.bpk");
        std::fs::write(&f, b"not a burnpack file").unwrap();
        let err = HostAdamW::load(&f, 0.0).unwrap_err().to_string();
        assert!(err.contains("optimizer.bpk"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
