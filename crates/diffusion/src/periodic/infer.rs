//! The fused CPU forward of the `periodic` denoiser, used wherever no gradient is needed
//! (sampling, validation losses). Same network and weights as `model::PeriodicDenoiser`
//! (copied out of burn once), computed on host arrays with `kernel::matmul` and reused
//! buffers instead of one tensor allocation per operation:
//!
//! ```text
//! per layer, for a batch of N atoms, E edges, hidden H, F edge features:
//!   [A | B] = h · [W_a | W_b]                          one gemm (N, H)·(H, 2H)
//!   for each block of ≤ EDGE_BLOCK edges (i ← j):
//!     P = SiLU(E_blk · W_c + A_i + B_j + b₁)          gemm (e, F)·(F, H), gather-add, SiLU
//!     M = SiLU(P · W₂ + b₂)                           gemm (e, H)·(H, H), SiLU
//!     agg_i += M                                       rows of one receiver are contiguous
//!   [h | agg/deg] · W_n1 → SiLU → · W_n2, + h, LayerNorm   two gemms over the atoms
//! ```
//!
//! Only one edge block (≤ EDGE_BLOCK × H floats, L2-resident) exists at a time; `h` and the
//! mean message share one (N, 2H) array so the node MLP's input needs no concatenation.
//! Each call runs on one thread: callers run independent batches in parallel (crystals
//! never interact, so a batch can be split anywhere between crystals).
//! SiLU uses `kernel::exp_f32` (≤ 2 ulp), LayerNorm two f32 passes; outputs equal burn's
//! forward to float rounding (tested on the shipped models to 1e-4 relative).

use super::batch::GraphInputs;
use super::lattice::LatticeRepr;
use super::model::{PeriodicDenoiser, N_TYPES};
use crate::kernel::{bias_silu_rows, layer_norm_row, matmul, silu_in_place, Dense};

/// Edges per block of the message computation.
pub(super) const EDGE_BLOCK: usize = 256;

/// Edges per block when the forward keeps its values for a backward pass.
const TRAIN_EDGE_BLOCK: usize = 2048;

/// burn's `LayerNormConfig` default, which `PeriodicDenoiser::new` uses.
pub(super) const LAYER_NORM_EPS: f32 = 1e-5;

/// One message-passing layer's weights on the host.
#[derive(Debug, Clone)]
pub(super) struct Layer {
    /// (H, 2H): [W_a | W_b], the receiver's and sender's parts of e1.
    pub(super) w_ab: Vec<f32>,
    /// (F, H) edge-feature part of e1, with e1's bias.
    pub(super) e_c: Dense,
    pub(super) e2: Dense,
    /// (2H, H) on [h, mean message].
    pub(super) n1: Dense,
    pub(super) n2: Dense,
    pub(super) gamma: Vec<f32>,
    pub(super) beta: Vec<f32>,
}

/// A trained `PeriodicDenoiser` as host arrays, ready for [`PeriodicInfer::forward`].
#[derive(Debug, Clone)]
pub struct PeriodicInfer {
    pub(super) hidden: usize,
    /// (100, H) type embedding.
    pub(super) type_table: Vec<f32>,
    pub(super) t1: Dense,
    pub(super) t2: Dense,
    pub(super) layers: Vec<Layer>,
    pub(super) coord_head: Dense,
    pub(super) lat1: Dense,
    pub(super) lat2: Dense,
    pub(super) type_head: Dense,
    pub(super) lattice_repr: LatticeRepr,
}

/// Reusable buffers of [`PeriodicInfer::forward`]; grown to the largest batch seen.
#[derive(Debug, Default)]
pub struct Workspace {
    /// (N, 2H): h | mean message.
    pub(super) cat: Vec<f32>,
    /// (N, 2H): h·W_a | h·W_b.
    ab: Vec<f32>,
    /// (EDGE_BLOCK, H) pre-activations, then (EDGE_BLOCK, H) messages.
    pre: Vec<f32>,
    msg: Vec<f32>,
    /// (N, H) node MLP.
    u: Vec<f32>,
    v: Vec<f32>,
    /// (B, H) time MLP.
    pub(super) t_hid: Vec<f32>,
    t_emb: Vec<f32>,
    /// (B, H + 6) pooled features (and lattice numbers), (B, H) lattice MLP.
    pub(super) pooled: Vec<f32>,
    pub(super) lat_hid: Vec<f32>,
    /// (B, 9) Φ of the matrix lattice head.
    phi: Vec<f32>,
}

/// What the backward pass (`super::backprop`) needs of a forward: every pre-activation
/// and each layer's input, kept by [`PeriodicInfer::forward_cached`].
#[derive(Debug, Default)]
pub struct Cache {
    pub(super) layers: Vec<LayerCache>,
    /// (B, H) time MLP pre-activation.
    pub(super) t_pre: Vec<f32>,
    /// (B, H) lattice MLP pre-activation.
    pub(super) lat_pre: Vec<f32>,
}

/// One layer's kept values.
#[derive(Debug, Default)]
pub(super) struct LayerCache {
    /// (N, 2H): the layer's input h and its mean message.
    pub(super) cat: Vec<f32>,
    /// (E, H) pre-activations of the two edge layers.
    pub(super) z1: Vec<f32>,
    pub(super) z2: Vec<f32>,
    /// (N, H) node MLP pre-activation.
    pub(super) u_pre: Vec<f32>,
    /// (N, H) h + update, the LayerNorm's input.
    pub(super) x: Vec<f32>,
}

/// z ← SiLU(z + b) row-wise (rows of `b.len()`); with `keep`, z + b is copied there first.
fn activate(z: &mut [f32], b: &[f32], keep: Option<&mut [f32]>) {
    match keep {
        None => bias_silu_rows(z, b),
        Some(keep) => {
            for row in z.chunks_exact_mut(b.len()) {
                row.iter_mut().zip(b).for_each(|(x, b)| *x += b);
            }
            keep.copy_from_slice(z);
            silu_in_place(z);
        }
    }
}

/// `v` resized to exactly `n` values (kept values must have their batch's length).
fn sized(v: &mut Vec<f32>, n: usize) -> &mut [f32] {
    v.resize(n, 0.0);
    v
}

/// Host outputs of one batch, row-major (shapes as `model::Outputs`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostOutputs {
    /// (N, 3) coordinate score in units of √λ(σ_t).
    pub coord_score: Vec<f32>,
    /// (B, P) lattice noise.
    pub lattice_eps: Vec<f32>,
    /// (N, 100) type noise; empty unless asked for.
    pub type_logits: Vec<f32>,
}

fn grow(v: &mut Vec<f32>, n: usize) -> &mut [f32] {
    if v.len() < n {
        v.resize(n, 0.0);
    }
    &mut v[..n]
}

impl PeriodicInfer {
    /// Copies the weights out of `m`.
    pub fn from_model(m: &PeriodicDenoiser) -> PeriodicInfer {
        let p = m.parts();
        let hidden = p.t2.weight.dims()[1];
        let h = hidden;
        let layers = p
            .layers
            .iter()
            .map(|l| {
                let e1 = Dense::from_linear(l.e1);
                let mut w_ab = vec![0.0; h * 2 * h];
                for k in 0..h {
                    w_ab[k * 2 * h..k * 2 * h + h].copy_from_slice(&e1.w[k * h..(k + 1) * h]);
                    w_ab[k * 2 * h + h..(k + 1) * 2 * h]
                        .copy_from_slice(&e1.w[(h + k) * h..(h + k + 1) * h]);
                }
                let nf = e1.d_in - 2 * h;
                let host = |t: burn::tensor::Tensor<1>| {
                    t.into_data().try_to_vec::<f32>().unwrap_or_default()
                };
                Layer {
                    w_ab,
                    e_c: Dense {
                        d_in: nf,
                        d_out: h,
                        w: e1.w[2 * h * h..].to_vec(),
                        b: e1.b,
                    },
                    e2: Dense::from_linear(l.e2),
                    n1: Dense::from_linear(l.n1),
                    n2: Dense::from_linear(l.n2),
                    gamma: host(l.norm.gamma.val()),
                    beta: l
                        .norm
                        .beta
                        .as_ref()
                        .map(|b| host(b.val()))
                        .unwrap_or_else(|| vec![0.0; h]),
                }
            })
            .collect();
        PeriodicInfer {
            hidden,
            type_table: p
                .type_table
                .into_data()
                .try_to_vec::<f32>()
                .unwrap_or_default(),
            t1: Dense::from_linear(p.t1),
            t2: Dense::from_linear(p.t2),
            layers,
            coord_head: Dense::from_linear(p.coord_head),
            lat1: Dense::from_linear(p.lat1),
            lat2: Dense::from_linear(p.lat2),
            type_head: Dense::from_linear(p.type_head),
            lattice_repr: p.lattice_repr,
        }
    }

    /// Multiply–adds of one forward over `g` (×2 for FLOPs), counted from the shapes.
    pub fn macs(&self, g: &GraphInputs, with_types: bool) -> u64 {
        self.forward_macs(
            g.n_atoms,
            g.n_edges(),
            g.n_graphs,
            g.node_type_dense.is_some(),
            with_types,
        )
    }

    /// Multiply–adds of one forward over `n` atoms, `e` edges and `b` crystals (dense noisy
    /// types as input when `dense_types`; the type head when `with_types`).
    pub fn forward_macs(
        &self,
        n: usize,
        e: usize,
        b: usize,
        dense_types: bool,
        with_types: bool,
    ) -> u64 {
        let (n, e, b, h) = (n as u64, e as u64, b as u64, self.hidden as u64);
        let size = |d: &Dense| (d.d_in * d.d_out) as u64;
        let mut macs = b * (size(&self.t1) + size(&self.t2));
        if dense_types {
            macs += n * N_TYPES as u64 * h;
        }
        for l in &self.layers {
            macs += n * h * 2 * h + e * (l.e_c.d_in as u64 * h + h * h) + n * (2 * h * h + h * h);
        }
        macs += n * size(&self.coord_head) + b * (size(&self.lat1) + size(&self.lat2));
        if with_types {
            macs += n * size(&self.type_head);
        }
        macs
    }

    /// Multiply–adds of one training step (forward and backward) over a batch: every
    /// product of the forward once more for its weight gradient and once more for its
    /// input gradient, except the input gradients nobody needs (edge features, time
    /// embedding, noisy types).
    pub fn train_macs(&self, n: usize, e: usize, b: usize, dng: bool) -> u64 {
        let fwd = self.forward_macs(n, e, b, dng, dng);
        let no_dx =
            (e * self.layers.first().map_or(0, |l| l.e_c.d_in) * self.hidden * self.layers.len()
                + b * self.t1.d_in * self.t1.d_out) as u64
                + if dng {
                    (n * N_TYPES * self.hidden) as u64
                } else {
                    0
                };
        3 * fwd - no_dx
    }

    /// Runs the network on `g` into `out` (its vectors resized; type noise only when
    /// `with_types`), with scratch space from `ws`.
    pub fn forward(
        &self,
        g: &GraphInputs,
        with_types: bool,
        ws: &mut Workspace,
        out: &mut HostOutputs,
    ) {
        self.forward_cached(g, with_types, ws, out, None)
    }

    /// [`Self::forward`] that also keeps, in `cache`, what the backward pass needs.
    pub fn forward_cached(
        &self,
        g: &GraphInputs,
        with_types: bool,
        ws: &mut Workspace,
        out: &mut HostOutputs,
        cache: Option<&mut Cache>,
    ) {
        crate::kernel::dispatch(
            #[inline(always)]
            || self.forward_body(g, with_types, ws, out, cache),
        )
    }

    #[inline(always)]
    fn forward_body(
        &self,
        g: &GraphInputs,
        with_types: bool,
        ws: &mut Workspace,
        out: &mut HostOutputs,
        mut cache: Option<&mut Cache>,
    ) {
        let h = self.hidden;
        let (n, b, e) = (g.n_atoms, g.n_graphs, g.n_edges());
        let nf = g.edge_attr.len().checked_div(e).unwrap_or(0);
        // Time embedding MLP: (B, time_dim) → (B, H).
        let t_hid = grow(&mut ws.t_hid, b * h);
        matmul(
            b,
            self.t1.d_in,
            h,
            &g.time_emb,
            self.t1.d_in,
            &self.t1.w,
            h,
            t_hid,
            h,
            false,
        );
        activate(
            t_hid,
            &self.t1.b,
            cache.as_deref_mut().map(|c| sized(&mut c.t_pre, b * h)),
        );
        let t_emb = grow(&mut ws.t_emb, b * h);
        self.t2.apply(b, t_hid, h, t_emb, h);

        // h⁰ = type embedding + time embedding of the atom's crystal, into cat[:, ..H].
        let ld = 2 * h;
        let cat = grow(&mut ws.cat, n * ld);
        match &g.node_type_dense {
            Some(dense) => matmul(
                n,
                N_TYPES,
                h,
                dense,
                N_TYPES,
                &self.type_table,
                h,
                cat,
                ld,
                false,
            ),
            None => {
                for (i, &t) in g.node_type.iter().enumerate() {
                    let t = t as usize;
                    cat[i * ld..i * ld + h].copy_from_slice(&self.type_table[t * h..(t + 1) * h]);
                }
            }
        }
        for (i, &gi) in g.node_graph.iter().enumerate() {
            let te = &t_emb[gi as usize * h..(gi as usize + 1) * h];
            for (x, t) in cat[i * ld..i * ld + h].iter_mut().zip(te) {
                *x += t;
            }
        }

        let ab = grow(&mut ws.ab, n * ld);
        // Training keeps every pre-activation anyway, so it takes longer blocks (fewer,
        // larger products); inference keeps one L2-sized block.
        let block = if cache.is_some() {
            TRAIN_EDGE_BLOCK
        } else {
            EDGE_BLOCK
        };
        let pre = grow(&mut ws.pre, block * h);
        let msg = grow(&mut ws.msg, block * h);
        let u = grow(&mut ws.u, n * h);
        let v = grow(&mut ws.v, n * h);
        if let Some(c) = cache.as_deref_mut() {
            c.layers.resize_with(self.layers.len(), LayerCache::default);
        }
        for (li, layer) in self.layers.iter().enumerate() {
            let mut lc = cache.as_deref_mut().map(|c| &mut c.layers[li]);
            if let Some(lc) = lc.as_deref_mut() {
                sized(&mut lc.z1, e * h);
                sized(&mut lc.z2, e * h);
            }
            // [A | B] = h · [W_a | W_b].
            matmul(n, h, ld, cat, ld, &layer.w_ab, ld, ab, ld, false);
            for i in 0..n {
                cat[i * ld + h..(i + 1) * ld].fill(0.0);
            }
            for e0 in (0..e).step_by(block) {
                let rows = block.min(e - e0);
                let (pre, msg) = (&mut pre[..rows * h], &mut msg[..rows * h]);
                matmul(
                    rows,
                    nf,
                    h,
                    &g.edge_attr[e0 * nf..],
                    nf,
                    &layer.e_c.w,
                    h,
                    pre,
                    h,
                    false,
                );
                for r in 0..rows {
                    let (dst, src) = (g.edge_dst[e0 + r] as usize, g.edge_src[e0 + r] as usize);
                    let a = &ab[dst * ld..dst * ld + h];
                    let bs = &ab[src * ld + h..(src + 1) * ld];
                    for ((p, a), bv) in pre[r * h..(r + 1) * h].iter_mut().zip(a).zip(bs) {
                        *p += a + bv;
                    }
                }
                let span = e0 * h..(e0 + rows) * h;
                activate(
                    pre,
                    &layer.e_c.b,
                    lc.as_deref_mut().map(|c| &mut c.z1[span.clone()]),
                );
                matmul(rows, h, h, pre, h, &layer.e2.w, h, msg, h, false);
                activate(msg, &layer.e2.b, lc.as_deref_mut().map(|c| &mut c.z2[span]));
                for r in 0..rows {
                    let dst = g.edge_dst[e0 + r] as usize;
                    let agg = &mut cat[dst * ld + h..(dst + 1) * ld];
                    for (a, m) in agg.iter_mut().zip(&msg[r * h..(r + 1) * h]) {
                        *a += m;
                    }
                }
            }
            for (i, &w) in g.inv_degree.iter().enumerate() {
                cat[i * ld + h..(i + 1) * ld]
                    .iter_mut()
                    .for_each(|a| *a *= w);
            }
            // Node MLP on [h, agg], residual, LayerNorm.
            matmul(n, ld, h, cat, ld, &layer.n1.w, h, u, h, false);
            if let Some(lc) = lc.as_deref_mut() {
                sized(&mut lc.cat, n * ld).copy_from_slice(&cat[..n * ld]);
                sized(&mut lc.x, n * h);
            }
            activate(
                u,
                &layer.n1.b,
                lc.as_deref_mut().map(|c| sized(&mut c.u_pre, n * h)),
            );
            layer.n2.apply(n, u, h, v, h);
            for i in 0..n {
                let hi = &mut cat[i * ld..i * ld + h];
                for (x, d) in hi.iter_mut().zip(&v[i * h..(i + 1) * h]) {
                    *x += d;
                }
                if let Some(lc) = lc.as_deref_mut() {
                    lc.x[i * h..(i + 1) * h].copy_from_slice(hi);
                }
                layer_norm_row(hi, &layer.gamma, &layer.beta, LAYER_NORM_EPS);
            }
        }

        out.coord_score.resize(n * 3, 0.0);
        self.coord_head.apply(n, cat, ld, &mut out.coord_score, 3);

        // Mean over each crystal's atoms (atoms of a crystal are contiguous), then the
        // lattice head.
        let lz = g.lattice_z.len().checked_div(b).unwrap_or(0);
        let pin = self.lat1.d_in;
        let pooled = grow(&mut ws.pooled, b * pin);
        pooled.fill(0.0);
        for (i, &gi) in g.node_graph.iter().enumerate() {
            let row = &mut pooled[gi as usize * pin..gi as usize * pin + h];
            for (p, x) in row.iter_mut().zip(&cat[i * ld..i * ld + h]) {
                *p += x;
            }
        }
        for (k, &w) in g.inv_count.iter().enumerate() {
            pooled[k * pin..k * pin + h]
                .iter_mut()
                .for_each(|p| *p *= w);
            if self.lattice_repr == LatticeRepr::LogCholesky {
                pooled[k * pin + h..(k + 1) * pin]
                    .copy_from_slice(&g.lattice_z[k * lz..(k + 1) * lz]);
            }
        }
        let lat_hid = grow(&mut ws.lat_hid, b * h);
        matmul(b, pin, h, pooled, pin, &self.lat1.w, h, lat_hid, h, false);
        activate(
            lat_hid,
            &self.lat1.b,
            cache.map(|c| sized(&mut c.lat_pre, b * h)),
        );
        let p = self.lat2.d_out;
        match self.lattice_repr {
            LatticeRepr::LogCholesky => {
                out.lattice_eps.resize(b * p, 0.0);
                self.lat2.apply(b, lat_hid, h, &mut out.lattice_eps, p);
            }
            LatticeRepr::Matrix => {
                // ε̂ = Φ · L_t, Φ (3, 3) per crystal.
                let phi = grow(&mut ws.phi, b * 9);
                self.lat2.apply(b, lat_hid, h, phi, 9);
                out.lattice_eps.resize(b * 9, 0.0);
                for k in 0..b {
                    let (f, l) = (&phi[k * 9..k * 9 + 9], &g.lattice[k * 9..k * 9 + 9]);
                    for i in 0..3 {
                        for j in 0..3 {
                            out.lattice_eps[k * 9 + i * 3 + j] =
                                (0..3).map(|m| f[i * 3 + m] * l[m * 3 + j]).sum();
                        }
                    }
                }
            }
        }
        if with_types {
            out.type_logits.resize(n * N_TYPES, 0.0);
            self.type_head
                .apply(n, cat, ld, &mut out.type_logits, N_TYPES);
        } else {
            out.type_logits.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::batch::NoisyCrystal;
    use super::super::model::{Denoiser, Inference, PeriodicConfig, ViaBurn};
    use super::*;
    use crystal::rng::Rng;

    /// Noisy crystals of 1, 2, 5, 5 and 20 atoms (a lone atom, and a crystal whose 380
    /// edges straddle an edge block) at several timesteps.
    fn crystals(lattice_dim: usize, dng: bool, seed: u64) -> Vec<NoisyCrystal> {
        let mut rng = Rng::new(seed);
        [1usize, 2, 5, 5, 20]
            .iter()
            .enumerate()
            .map(|(k, &n)| {
                let z: Vec<u8> = (0..n).map(|_| 1 + rng.below(94) as u8).collect();
                let lattice = std::array::from_fn(|i| {
                    std::array::from_fn(|j| {
                        (if i == j { 4.0 } else { 0.0 }) + rng.uniform_range(-0.5, 0.5)
                    })
                });
                NoisyCrystal {
                    frac: (0..n)
                        .map(|_| [rng.uniform(), rng.uniform(), rng.uniform()])
                        .collect(),
                    lattice,
                    t: [1, 17, 250, 600, 1000][k],
                    lattice_z: (0..lattice_dim).map(|_| rng.normal()).collect(),
                    types_noisy: dng
                        .then(|| (0..n * N_TYPES).map(|_| rng.normal() as f32).collect()),
                    z,
                }
            })
            .collect()
    }

    /// Largest |fast − burn| / (1 + |burn|) over every output.
    fn worst_difference(model: &PeriodicDenoiser, cfg: &PeriodicConfig, g: &GraphInputs) -> f32 {
        let (mut fast, mut slow) = (HostOutputs::default(), HostOutputs::default());
        let mut ws = Workspace::default();
        model.inference().run(g, true, &mut ws, &mut fast);
        // Run twice on one workspace: a reused buffer must not leak into the result.
        model.inference().run(g, true, &mut ws, &mut fast);
        ViaBurn(model).run(g, true, &mut ws, &mut slow);
        assert_eq!(fast.coord_score.len(), g.n_atoms * 3);
        assert_eq!(fast.lattice_eps.len(), g.n_graphs * cfg.lattice.dim());
        assert_eq!(fast.type_logits.len(), g.n_atoms * N_TYPES);
        let mut worst = 0f32;
        for (a, b) in [
            (&fast.coord_score, &slow.coord_score),
            (&fast.lattice_eps, &slow.lattice_eps),
            (&fast.type_logits, &slow.type_logits),
        ] {
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(b.iter()) {
                assert!(x.is_finite());
                worst = worst.max((x - y).abs() / (1.0 + y.abs()));
            }
        }
        worst
    }

    #[test]
    fn equals_burns_forward_on_the_shipped_models() {
        for (name, dng) in [("perov5-csp", false), ("perov5-dng", true)] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../models")
                .join(name);
            let (model, ck) = super::super::checkpoint::load_model(&dir).unwrap();
            let c = ck.train.model;
            let cs = crystals(c.lattice.dim(), dng, 7);
            let g = GraphInputs::build(&cs, c.k_freq, c.time_dim, 1.0);
            assert!(g.n_edges() > EDGE_BLOCK);
            let worst = worst_difference(&model, &c, &g);
            assert!(worst < 1e-4, "{name}: worst relative difference {worst}");
        }
    }

    #[test]
    fn equals_burns_forward_with_the_matrix_lattice_head() {
        let c = PeriodicConfig {
            lattice: LatticeRepr::Matrix,
            ..PeriodicConfig::tiny()
        };
        let model = PeriodicDenoiser::new(&c, 11, &burn::tensor::Device::flex());
        let cs = crystals(9, false, 3);
        let g = GraphInputs::build(&cs, c.k_freq, c.time_dim, 1.0);
        let worst = worst_difference(&model, &c, &g);
        assert!(worst < 1e-5, "worst relative difference {worst}");
    }

    #[test]
    fn a_batch_split_between_crystals_gives_the_same_bits() {
        let c = PeriodicConfig::tiny();
        let model = PeriodicDenoiser::new(&c, 5, &burn::tensor::Device::flex());
        let net = model.inference();
        let cs = crystals(6, false, 9);
        let run = |cs: &[NoisyCrystal]| {
            let mut o = HostOutputs::default();
            let g = GraphInputs::build(cs, c.k_freq, c.time_dim, 1.0);
            net.run(&g, false, &mut Workspace::default(), &mut o);
            o
        };
        let whole = run(&cs);
        let (a, b) = (run(&cs[..3]), run(&cs[3..]));
        assert_eq!(whole.coord_score, [a.coord_score, b.coord_score].concat());
        assert_eq!(whole.lattice_eps, [a.lattice_eps, b.lattice_eps].concat());
        assert!(whole.type_logits.is_empty());
        let flops = 2 * PeriodicInfer::from_model(&model)
            .macs(&GraphInputs::build(&cs, c.k_freq, c.time_dim, 1.0), false);
        assert!(flops > 0);
    }
}
