//! The `periodic` denoiser: message passing over all atom pairs of each crystal.
//!
//! ```text
//! h_i⁰ = E[type_i] + MLP_t(sin-emb(t))                                    (N, H)
//! for each layer:
//!   m_ij = SiLU(W₂ SiLU(W₁ [h_i, h_j, fourier(f_j − f_i), L·Lᵀ]))          (E, H)
//!   h_i  = LayerNorm(h_i + MLP([h_i, mean_j m_ij]))                        (N, H)
//! coordinate score  ŝ_i = W_f h_i                                          (N, 3)
//! lattice noise     log-Cholesky: ε̂ = MLP([mean_i h_i, z_t])                (B, 6)
//!                   matrix:       ε̂ = Φ(mean_i h_i) · L_t, Φ: (B, 3, 3)    (B, 9)
//! type noise        W_a h_i                                                (N, 100)
//! ```
//! Every input is invariant to atom order (edges are all pairs, aggregation is a mean),
//! to rotations of the Cartesian frame (fractional coordinates and the Gram matrix L·Lᵀ
//! are), to a common shift of all fractional coordinates and to integer shifts of single
//! atoms (only sin/cos of 2π·(f_j − f_i) enter). With the log-Cholesky lattice
//! (`super::lattice`) every output is invariant; the matrix head multiplies invariant
//! coefficients Φ by L_t, so its output turns with the frame (ε̂ → ε̂·Rᵀ when L → L·Rᵀ).
//! Atom types enter as a table look-up (CSP: known types) or, in the de novo task, as
//! noisy one-hot vectors (N, 100) multiplied by the same table.
//! Shapes: N atoms, E edges, B crystals, H hidden width, F edge features.

use super::backprop::Targets;
use super::batch::{edge_features, GraphInputs};
pub use super::infer::{HostOutputs, PeriodicInfer, Workspace};
use super::lattice::LatticeRepr;
use super::train::{LossParts, NoisedBatch, PeriodicTrainConfig};
use crate::nn::linear;
use burn::module::{Module, Param};
use burn::nn::{LayerNorm, LayerNormConfig, Linear};
use burn::tensor::activation::silu;
use burn::tensor::{Device, IndexingUpdateOp, Int, Tensor, TensorData};
use crystal::rng::Rng;
use serde::{Deserialize, Serialize};

/// Number of element types the network knows (Z = 1..=100).
pub const N_TYPES: usize = 100;

/// Sizes of the periodic denoiser. `Default` is small enough to train on 2 CPU cores
/// (DiffCSP uses hidden 512, 6 layers, 128 frequencies on a GPU).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodicConfig {
    /// Width H of node and edge features.
    pub hidden: usize,
    /// Message-passing layers.
    pub layers: usize,
    /// Fourier frequencies K of the fractional differences (6K edge features).
    pub k_freq: usize,
    /// Width of the sinusoidal time embedding (even).
    pub time_dim: usize,
    /// How the lattice is diffused (absent in format-1 checkpoints: `Matrix`).
    #[serde(default)]
    pub lattice: LatticeRepr,
}

impl PeriodicConfig {
    /// A network small enough to train in a second on one core (hidden 16, one layer,
    /// 2 frequencies, time embedding 8): for tests and examples, not for results.
    pub fn tiny() -> Self {
        PeriodicConfig {
            hidden: 16,
            layers: 1,
            k_freq: 2,
            time_dim: 8,
            ..PeriodicConfig::default()
        }
    }
}

impl Default for PeriodicConfig {
    fn default() -> Self {
        PeriodicConfig {
            hidden: 128,
            layers: 4,
            k_freq: 8,
            time_dim: 64,
            lattice: LatticeRepr::LogCholesky,
        }
    }
}

/// One message-passing layer.
#[derive(Module, Debug)]
pub struct MpLayer {
    e1: Linear,
    e2: Linear,
    n1: Linear,
    n2: Linear,
    norm: LayerNorm,
}

/// The network.
#[derive(Module, Debug)]
pub struct PeriodicDenoiser {
    type_table: Param<Tensor<2>>,
    t1: Linear,
    t2: Linear,
    layers: Vec<MpLayer>,
    coord_head: Linear,
    lat1: Linear,
    lat2: Linear,
    type_head: Linear,
    #[module(skip)]
    lattice_repr: LatticeRepr,
}

/// The batch's index and feature tensors.
pub struct GraphTensors {
    pub n_atoms: usize,
    pub n_graphs: usize,
    pub node_type: Tensor<1, Int>,
    /// (N, 100) noisy one-hot types (de novo task) replacing the look-up.
    pub node_type_dense: Option<Tensor<2>>,
    pub node_graph: Tensor<1, Int>,
    pub edge_dst: Tensor<1, Int>,
    pub edge_src: Tensor<1, Int>,
    /// (E, F)
    pub edge_attr: Tensor<2>,
    /// (N, 1)
    pub inv_degree: Tensor<2>,
    /// (B, time_dim)
    pub time_emb: Tensor<2>,
    /// (B, 3, 3)
    pub lattice: Tensor<3>,
    /// (B, P) the diffused lattice numbers
    pub lattice_z: Tensor<2>,
    /// (B, 1)
    pub inv_count: Tensor<2>,
}

impl GraphTensors {
    pub fn new(g: &GraphInputs, device: &Device) -> Self {
        let ints =
            |v: &[i64]| Tensor::<1, Int>::from_data(TensorData::new(v.to_vec(), [v.len()]), device);
        let (n, b, e) = (g.n_atoms, g.n_graphs, g.n_edges());
        let nf = g.edge_attr.len().checked_div(e).unwrap_or(0);
        let td = g.time_emb.len().checked_div(b).unwrap_or(0);
        GraphTensors {
            n_atoms: n,
            n_graphs: b,
            node_type: ints(&g.node_type),
            node_type_dense: g
                .node_type_dense
                .as_ref()
                .map(|v| Tensor::from_data(TensorData::new(v.clone(), [n, N_TYPES]), device)),
            node_graph: ints(&g.node_graph),
            edge_dst: ints(&g.edge_dst),
            edge_src: ints(&g.edge_src),
            edge_attr: Tensor::from_data(TensorData::new(g.edge_attr.clone(), [e, nf]), device),
            inv_degree: Tensor::from_data(TensorData::new(g.inv_degree.clone(), [n, 1]), device),
            time_emb: Tensor::from_data(TensorData::new(g.time_emb.clone(), [b, td]), device),
            lattice: Tensor::from_data(TensorData::new(g.lattice.clone(), [b, 3, 3]), device),
            lattice_z: Tensor::from_data(
                TensorData::new(
                    g.lattice_z.clone(),
                    [b, g.lattice_z.len().checked_div(b).unwrap_or(0)],
                ),
                device,
            ),
            inv_count: Tensor::from_data(TensorData::new(g.inv_count.clone(), [b, 1]), device),
        }
    }
}

/// The three outputs.
pub struct Outputs {
    /// (N, 3) coordinate score, in units of its root mean square √λ(σ_t).
    pub coord_score: Tensor<2>,
    /// (B, P) predicted lattice noise ε̂_L, P = `LatticeRepr::dim` (matrix: row-major).
    pub lattice_eps: Tensor<2>,
    /// (N, 100) predicted noise of the one-hot types (de novo task).
    pub type_logits: Tensor<2>,
}

/// What training and sampling need of a network: predictions for a batch of noisy
/// crystal graphs at their timesteps. A new denoiser implements this (and its own
/// constructor and checkpoint layout); the noise processes and the sampler stay as they are.
pub trait Denoiser: Send + Sync {
    /// Predictions for the crystals of `g`.
    fn denoise(&self, g: &GraphTensors) -> Outputs;
    /// Number of trainable parameters.
    fn num_parameters(&self) -> usize;
    /// The network for inference on host arrays (sampling, validation): by default
    /// [`Self::denoise`] through burn; a denoiser with a fused forward returns that.
    fn inference(&self) -> Box<dyn Inference + '_> {
        Box::new(ViaBurn(self))
    }
    /// The device the weights are on (`Device::flex()` unless moved, e.g. to a GPU).
    fn device(&self) -> Device {
        Device::flex()
    }
}

/// A network run on host arrays without gradients. `run` is called from several threads
/// at once, each with its own [`Workspace`].
pub trait Inference: Sync {
    /// Predictions for the crystals of `g` into `out` (type noise only when `with_types`).
    fn run(&self, g: &GraphInputs, with_types: bool, ws: &mut Workspace, out: &mut HostOutputs);
    /// Crystals per call that keep the device busy: 64 on the CPU (enough rows for
    /// full-speed matrix products, and chunks for every core), more on a GPU.
    fn batch_crystals(&self) -> usize {
        CPU_BATCH_CRYSTALS
    }
}

/// Any [`Denoiser`] run through burn's tensors on the device its weights are on (the
/// fallback of [`Denoiser::inference`], the GPU path, and the reference the fused paths
/// are tested against).
pub struct ViaBurn<'a, D: ?Sized>(pub &'a D);

/// Crystals per network call on the CPU: 64 Perov-5 crystals are 320 atoms and 1,280
/// edges, enough rows for full-speed matrix products, and 500 targets make 8 chunks for
/// the cores.
pub const CPU_BATCH_CRYSTALS: usize = 64;

/// Crystals per network call on a GPU: 1,024 Perov-5 crystals are 5,120 atoms and 25,600
/// edges, rows enough to fill a GPU's matrix units.
pub const GPU_BATCH_CRYSTALS: usize = 1024;

impl<D: Denoiser + ?Sized> Inference for ViaBurn<'_, D> {
    fn run(&self, g: &GraphInputs, with_types: bool, _: &mut Workspace, out: &mut HostOutputs) {
        let o = self.0.denoise(&GraphTensors::new(g, &self.0.device()));
        let host = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap_or_default();
        out.coord_score = host(o.coord_score);
        out.lattice_eps = host(o.lattice_eps);
        out.type_logits = if with_types {
            host(o.type_logits)
        } else {
            Vec::new()
        };
    }

    fn batch_crystals(&self) -> usize {
        if crate::compute::is_cpu(&self.0.device()) {
            CPU_BATCH_CRYSTALS
        } else {
            GPU_BATCH_CRYSTALS
        }
    }
}

impl Inference for PeriodicInfer {
    fn run(&self, g: &GraphInputs, with_types: bool, ws: &mut Workspace, out: &mut HostOutputs) {
        self.forward(g, with_types, ws, out)
    }
}

impl Denoiser for PeriodicDenoiser {
    fn denoise(&self, g: &GraphTensors) -> Outputs {
        self.forward(g)
    }

    fn num_parameters(&self) -> usize {
        burn::module::Module::num_params(self)
    }

    /// On the CPU the fused host forward (`super::infer`), its weights copied out once;
    /// elsewhere (a GPU) burn's tensors on that device.
    fn inference(&self) -> Box<dyn Inference + '_> {
        if crate::compute::is_cpu(&self.device()) {
            Box::new(PeriodicInfer::from_model(self))
        } else {
            Box::new(ViaBurn(self))
        }
    }

    fn device(&self) -> Device {
        self.type_table.val().device()
    }
}

/// Borrowed views of a [`PeriodicDenoiser`]'s layers, for the fused forward.
pub(crate) struct Parts<'a> {
    pub type_table: Tensor<2>,
    pub type_table_id: burn::module::ParamId,
    pub t1: &'a Linear,
    pub t2: &'a Linear,
    pub layers: Vec<LayerParts<'a>>,
    pub coord_head: &'a Linear,
    pub lat1: &'a Linear,
    pub lat2: &'a Linear,
    pub type_head: &'a Linear,
    pub lattice_repr: LatticeRepr,
}

/// Borrowed views of one [`MpLayer`].
pub(crate) struct LayerParts<'a> {
    pub e1: &'a Linear,
    pub e2: &'a Linear,
    pub n1: &'a Linear,
    pub n2: &'a Linear,
    pub norm: &'a LayerNorm,
}

/// A denoiser the training loop can build, optimise and checkpoint: a burn module with a
/// seeded constructor from the model sizes. [`crate::periodic::train::Trainer`] and the
/// checkpoint functions are generic over it; [`crate::ModelKind::dispatch`] picks it.
pub trait TrainableDenoiser:
    Denoiser + burn::module::Module + Clone + Send + Sized + 'static
{
    /// The name checkpoints record for it.
    const KIND: crate::ModelKind;
    /// A fresh network with the sizes of `cfg` and weights drawn from `seed`.
    fn init(cfg: &PeriodicConfig, seed: u64, device: &Device) -> Self;
    /// A lower bound on the number of weights of a network of `cfg`, computed without
    /// building it: a checkpoint whose weight file holds fewer is refused before its
    /// configuration allocates anything.
    fn min_parameters(cfg: &PeriodicConfig) -> u64;
    /// Whether [`Self::host_gradients`] gives gradients (then the trainer optimises on
    /// host arrays with `crate::adamw::HostAdamW`).
    const HOST_GRADIENTS: bool = false;
    /// The mean losses of a noised batch and the gradients of their weighted total,
    /// clipped to a global L2 norm of `cfg.grad_clip`, from a hand-written backward pass:
    /// by burn parameter id, in burn's layout of each weight; a weight the loss does not
    /// reach has no entry. `None` (the default) makes the trainer use burn's autodiff.
    fn host_gradients(
        &self,
        _batch: &NoisedBatch,
        _cfg: &PeriodicTrainConfig,
    ) -> Option<(LossParts, HostGradients)> {
        None
    }
}

/// Gradients by burn parameter id, each in its weight's burn layout (row-major).
pub type HostGradients = std::collections::HashMap<u64, Vec<f32>>;

impl TrainableDenoiser for PeriodicDenoiser {
    const KIND: crate::ModelKind = crate::ModelKind::Periodic;

    /// Per layer e1 (2h + nf)·h, e2 h², n1 2h², n2 h²; the time MLP and type table; no biases.
    fn min_parameters(cfg: &PeriodicConfig) -> u64 {
        let (h, nf) = (cfg.hidden as u64, edge_features(cfg.k_freq) as u64);
        let layer = (6 * h + nf).saturating_mul(h);
        (cfg.layers as u64)
            .saturating_mul(layer)
            .saturating_add((cfg.time_dim as u64 + N_TYPES as u64 + h).saturating_mul(h))
    }

    fn init(cfg: &PeriodicConfig, seed: u64, device: &Device) -> Self {
        PeriodicDenoiser::new(cfg, seed, device)
    }

    const HOST_GRADIENTS: bool = true;

    /// `super::backprop` on all cores (checked against autodiff in its tests).
    fn host_gradients(
        &self,
        batch: &NoisedBatch,
        cfg: &PeriodicTrainConfig,
    ) -> Option<(LossParts, HostGradients)> {
        let net = PeriodicInfer::from_model(self);
        let t = Targets::of(batch, cfg);
        let (sq, mut grads) = net.batch_gradients(&batch.inputs, &t);
        // Global-norm clipping as `crate::clip::clip_global_norm`.
        let coef = cfg.grad_clip / (grads.global_norm() + 1e-6);
        if coef < 1.0 {
            grads.scale(coef as f32);
        }
        let by_id = grads
            .burn_layout(self, t.types.is_some())
            .into_iter()
            .map(|(id, _, v)| (id, v))
            .collect();
        Some((t.losses(&sq), by_id))
    }
}

impl PeriodicDenoiser {
    /// A freshly initialised network (PyTorch-style uniform init); same seed, same weights.
    pub fn new(cfg: &PeriodicConfig, seed: u64, device: &Device) -> Self {
        let mut rng = Rng::derive(seed, 0x9e71);
        let h = cfg.hidden;
        let nf = edge_features(cfg.k_freq);
        let table: Vec<f32> = (0..N_TYPES * h).map(|_| rng.normal() as f32).collect();
        let type_table = Param::from_tensor(Tensor::from_data(
            TensorData::new(table, [N_TYPES, h]),
            device,
        ));
        let layers = (0..cfg.layers)
            .map(|_| MpLayer {
                e1: linear(2 * h + nf, h, &mut rng, device),
                e2: linear(h, h, &mut rng, device),
                n1: linear(2 * h, h, &mut rng, device),
                n2: linear(h, h, &mut rng, device),
                norm: LayerNormConfig::new(h).init(device),
            })
            .collect();
        PeriodicDenoiser {
            type_table,
            t1: linear(cfg.time_dim, h, &mut rng, device),
            t2: linear(h, h, &mut rng, device),
            layers,
            coord_head: linear(h, 3, &mut rng, device),
            lat1: match cfg.lattice {
                LatticeRepr::Matrix => linear(h, h, &mut rng, device),
                LatticeRepr::LogCholesky => linear(h + 6, h, &mut rng, device),
            },
            lat2: linear(h, cfg.lattice.dim(), &mut rng, device),
            type_head: linear(h, N_TYPES, &mut rng, device),
            lattice_repr: cfg.lattice,
        }
    }

    /// Views of the layers (the fused forward copies their weights).
    pub(crate) fn parts(&self) -> Parts<'_> {
        Parts {
            type_table: self.type_table.val(),
            type_table_id: self.type_table.id,
            t1: &self.t1,
            t2: &self.t2,
            layers: self
                .layers
                .iter()
                .map(|l| LayerParts {
                    e1: &l.e1,
                    e2: &l.e2,
                    n1: &l.n1,
                    n2: &l.n2,
                    norm: &l.norm,
                })
                .collect(),
            coord_head: &self.coord_head,
            lat1: &self.lat1,
            lat2: &self.lat2,
            type_head: &self.type_head,
            lattice_repr: self.lattice_repr,
        }
    }

    /// Runs the network on one batch (shapes in the module docs).
    pub fn forward(&self, g: &GraphTensors) -> Outputs {
        let device = g.edge_attr.device();
        let t_emb = self.t2.forward(silu(self.t1.forward(g.time_emb.clone())));
        let types = match &g.node_type_dense {
            Some(dense) => dense.clone().matmul(self.type_table.val()),
            None => self.type_table.val().select(0, g.node_type.clone()),
        };
        let mut h = types + t_emb.select(0, g.node_graph.clone());
        let width = h.dims()[1];
        for layer in &self.layers {
            // W₁·[h_i, h_j, e_ij] + b = (h·W_a)_i + (h·W_b)_j + e_ij·W_c + b: the node parts
            // are multiplied once per atom instead of once per edge.
            let w = layer.e1.weight.val();
            let wa = w.clone().slice([0..width, 0..width]);
            let wb = w.clone().slice([width..2 * width, 0..width]);
            let wc = w.slice([2 * width..2 * width + g.edge_attr.dims()[1], 0..width]);
            let mut pre = h.clone().matmul(wa).select(0, g.edge_dst.clone())
                + h.clone().matmul(wb).select(0, g.edge_src.clone())
                + g.edge_attr.clone().matmul(wc);
            if let Some(b) = &layer.e1.bias {
                pre = pre + b.val().unsqueeze::<2>();
            }
            let m = silu(layer.e2.forward(silu(pre)));
            let agg = Tensor::<2>::zeros([g.n_atoms, width], &device).select_assign(
                0,
                g.edge_dst.clone(),
                m,
                IndexingUpdateOp::Add,
            ) * g.inv_degree.clone();
            let upd = layer
                .n2
                .forward(silu(layer.n1.forward(Tensor::cat(vec![h.clone(), agg], 1))));
            h = layer.norm.forward(h + upd);
        }
        let coord_score = self.coord_head.forward(h.clone());
        let pooled = Tensor::<2>::zeros([g.n_graphs, width], &device).select_assign(
            0,
            g.node_graph.clone(),
            h.clone(),
            IndexingUpdateOp::Add,
        ) * g.inv_count.clone();
        let lattice_eps = match self.lattice_repr {
            LatticeRepr::Matrix => {
                let phi = self
                    .lat2
                    .forward(silu(self.lat1.forward(pooled)))
                    .reshape([g.n_graphs, 3, 3]);
                phi.matmul(g.lattice.clone()).reshape([g.n_graphs, 9])
            }
            LatticeRepr::LogCholesky => self.lat2.forward(silu(
                self.lat1
                    .forward(Tensor::cat(vec![pooled, g.lattice_z.clone()], 1)),
            )),
        };
        let type_logits = self.type_head.forward(h);
        Outputs {
            coord_score,
            lattice_eps,
            type_logits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::batch::NoisyCrystal;
    use super::*;

    fn cfg() -> PeriodicConfig {
        PeriodicConfig {
            hidden: 32,
            layers: 2,
            k_freq: 4,
            time_dim: 16,
            ..PeriodicConfig::default()
        }
    }

    fn crystals() -> Vec<NoisyCrystal> {
        vec![
            NoisyCrystal {
                z: vec![38, 22, 8, 8, 8],
                frac: vec![
                    [0.01, 0.02, 0.03],
                    [0.52, 0.47, 0.55],
                    [0.5, 0.45, 0.02],
                    [0.48, 0.03, 0.51],
                    [0.04, 0.5, 0.46],
                ],
                lattice: [[3.9, 0.1, 0.0], [0.05, 4.0, 0.2], [0.0, -0.1, 4.1]],
                t: 37,
                lattice_z: vec![0.3, -0.2, 0.1, 0.0, 0.5, -1.0],
                types_noisy: None,
            },
            NoisyCrystal {
                z: vec![6, 6, 6],
                frac: vec![[0.1, 0.2, 0.3], [0.7, 0.1, 0.9], [0.35, 0.6, 0.15]],
                lattice: [[2.5, 0.0, 0.0], [-1.2, 2.2, 0.0], [0.3, 0.1, 6.7]],
                t: 900,
                lattice_z: vec![-0.3, 0.2, 1.1, 0.4, -0.5, 0.7],
                types_noisy: None,
            },
        ]
    }

    struct Out {
        coord: Vec<f32>,
        lat: Vec<f32>,
        types: Vec<f32>,
    }

    /// The network's outputs through burn, or (`FAST.with(true)`) through the fused
    /// forward: every invariance test below runs on both.
    fn run(model: &PeriodicDenoiser, cs: &[NoisyCrystal]) -> Out {
        let c = cfg();
        let g = GraphInputs::build(cs, c.k_freq, c.time_dim, 1.0);
        if FAST.with(|f| f.get()) {
            let mut o = HostOutputs::default();
            model
                .inference()
                .run(&g, true, &mut Workspace::default(), &mut o);
            return Out {
                coord: o.coord_score,
                lat: o.lattice_eps,
                types: o.type_logits,
            };
        }
        let device = Device::flex();
        let o = model.forward(&GraphTensors::new(&g, &device));
        let v = |t: Tensor<2>| t.into_data().try_into_vec::<f32>().unwrap();
        Out {
            coord: v(o.coord_score),
            lat: o.lattice_eps.into_data().try_into_vec::<f32>().unwrap(),
            types: v(o.type_logits),
        }
    }

    thread_local! {
        static FAST: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// Runs `test` through burn, then through the fused forward.
    fn both_paths(test: impl Fn()) {
        for fast in [false, true] {
            FAST.with(|f| f.set(fast));
            test();
        }
        FAST.with(|f| f.set(false));
    }

    fn close(a: &[f32], b: &[f32], tol: f32) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= tol * (1.0 + x.abs()), "{x} vs {y}");
        }
    }

    #[test]
    fn permuting_atoms_permutes_outputs() {
        both_paths(|| {
            let device = Device::flex();
            let model = PeriodicDenoiser::new(&cfg(), 1, &device);
            let cs = crystals();
            let base = run(&model, &cs);
            let perm = [3, 0, 4, 2, 1];
            let mut p = cs.clone();
            p[0].z = perm.iter().map(|&i| cs[0].z[i]).collect();
            p[0].frac = perm.iter().map(|&i| cs[0].frac[i]).collect();
            let out = run(&model, &p);
            for (new, &old) in perm.iter().enumerate() {
                close(
                    &out.coord[new * 3..new * 3 + 3],
                    &base.coord[old * 3..old * 3 + 3],
                    1e-5,
                );
            }
            close(&out.lat, &base.lat, 1e-5);
            close(&out.coord[15..], &base.coord[15..], 1e-5);
        });
    }

    #[test]
    fn shifts_leave_outputs_unchanged() {
        both_paths(|| {
            let device = Device::flex();
            let model = PeriodicDenoiser::new(&cfg(), 2, &device);
            let cs = crystals();
            let base = run(&model, &cs);
            let mut shifted = cs.clone();
            for c in &mut shifted {
                for f in &mut c.frac {
                    *f = [f[0] + 0.37, f[1] - 0.21, f[2] + 0.05];
                }
            }
            // One atom moved by a whole lattice vector.
            shifted[1].frac[2][0] += 1.0;
            shifted[0].frac[4][2] -= 2.0;
            let out = run(&model, &shifted);
            close(&out.coord, &base.coord, 1e-4);
            close(&out.lat, &base.lat, 1e-4);
            close(&out.types, &base.types, 1e-4);
        });
    }

    /// A rotation about (1, 2, 2)/3 by 50° applied to every lattice: L → L·Rᵀ.
    fn rotated(cs: &[NoisyCrystal]) -> ([[f64; 3]; 3], Vec<NoisyCrystal>) {
        let (ax, th) = ([1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0], 50f64.to_radians());
        let (c, s) = (th.cos(), th.sin());
        let r: [[f64; 3]; 3] = std::array::from_fn(|i| {
            std::array::from_fn(|j| {
                let k = [
                    [0.0, -ax[2], ax[1]],
                    [ax[2], 0.0, -ax[0]],
                    [-ax[1], ax[0], 0.0],
                ];
                (if i == j { c } else { 0.0 }) + s * k[i][j] + (1.0 - c) * ax[i] * ax[j]
            })
        });
        let mut rot = cs.to_vec();
        for cr in &mut rot {
            let l = cr.lattice;
            cr.lattice = std::array::from_fn(|i| {
                std::array::from_fn(|j| (0..3).map(|k| l[i][k] * r[j][k]).sum())
            });
        }
        (r, rot)
    }

    #[test]
    fn rotating_the_frame_leaves_every_output_unchanged() {
        both_paths(|| {
            // Log-Cholesky lattice (the default): the lattice numbers z are invariant, and so
            // is every output.
            let device = Device::flex();
            let model = PeriodicDenoiser::new(&cfg(), 3, &device);
            let cs = crystals();
            let base = run(&model, &cs);
            let (_, rot) = rotated(&cs);
            let out = run(&model, &rot);
            close(&out.coord, &base.coord, 1e-4);
            close(&out.types, &base.types, 1e-4);
            close(&out.lat, &base.lat, 1e-4);
            assert_eq!(base.lat.len(), 12);
        });
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn matrix_lattice_noise_turns_with_the_frame() {
        both_paths(|| {
            let device = Device::flex();
            let c = PeriodicConfig {
                lattice: LatticeRepr::Matrix,
                ..cfg()
            };
            let model = PeriodicDenoiser::new(&c, 3, &device);
            let mut cs = crystals();
            for cr in &mut cs {
                cr.lattice_z = cr.lattice.iter().flatten().copied().collect();
            }
            let base = run(&model, &cs);
            let (r, rot) = rotated(&cs);
            let out = run(&model, &rot);
            close(&out.coord, &base.coord, 1e-4);
            close(&out.types, &base.types, 1e-4);
            // The lattice noise turns with the frame: ε̂' = ε̂·Rᵀ.
            for b in 0..2 {
                for i in 0..3 {
                    for j in 0..3 {
                        let expect: f64 = (0..3)
                            .map(|k| base.lat[b * 9 + i * 3 + k] as f64 * r[j][k])
                            .sum();
                        let got = out.lat[b * 9 + i * 3 + j] as f64;
                        assert!(
                            (got - expect).abs() < 1e-4 * (1.0 + expect.abs()),
                            "{got} vs {expect}"
                        );
                    }
                }
            }
        });
    }

    #[test]
    fn same_seed_same_weights_and_outputs() {
        both_paths(|| {
            let device = Device::flex();
            let a = run(&PeriodicDenoiser::new(&cfg(), 9, &device), &crystals());
            let b = run(&PeriodicDenoiser::new(&cfg(), 9, &device), &crystals());
            assert_eq!(a.coord, b.coord);
            assert_eq!(a.lat, b.lat);
        });
    }
}
