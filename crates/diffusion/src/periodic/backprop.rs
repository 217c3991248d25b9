//! The hand-written backward pass of the `periodic` denoiser: the training step's losses
//! and the gradient of their weighted sum with respect to every weight, on host arrays,
//! without burn's autodiff graph (one tensor and one allocation per operation there).
//!
//! The forward is `infer::PeriodicInfer::forward_cached` (the sampler's fused forward,
//! keeping every pre-activation); the backward runs the layers in reverse with the same
//! kernels: each dense layer y = x·W + b gives dW += xᵀ·dy, db += Σ dy, dx = dy·Wᵀ;
//! SiLU multiplies by σ(z)(1 + z(1 − σ(z))); LayerNorm's input gradient is
//! (dx̂ − mean dx̂ − x̂·mean(dx̂ ⊙ x̂))/σ; the mean aggregation sends each receiver's
//! gradient, divided by its degree, to its incoming edges, whose gradients are then
//! scattered to receiver (W_a part) and sender (W_b part). Edges are processed in blocks
//! of up to 2,048, recomputing SiLU(z₁) per block instead of storing it.
//!
//! A batch is split into blocks of [`GRAPHS_PER_BLOCK`] crystals that run on all cores;
//! their gradients are summed in block order, so the result does not depend on the number
//! of threads. Checked against burn's autodiff on the same weights (tests below).

use super::batch::GraphInputs;
use super::infer::{Cache, HostOutputs, PeriodicInfer, Workspace, LAYER_NORM_EPS};
use super::lattice::LatticeRepr;
use super::model::{PeriodicDenoiser, N_TYPES};
use super::train::{LossParts, NoisedBatch, PeriodicTrainConfig};
use crate::kernel::{
    lane_dot, lane_sum, layer_norm_stats, product, silu_backward, silu_into, Dense, Mat,
};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use rayon::prelude::*;

/// Crystals per parallel block of a training batch.
pub const GRAPHS_PER_BLOCK: usize = 16;

/// Edges per step of the backward's edge loop: larger than the forward's blocks, so the
/// weight gradients are few products with a long inner dimension.
const BACK_EDGE_BLOCK: usize = 2048;

/// The targets of a batch (or of a block of it) and the loss weights.
#[derive(Debug, Clone, Copy)]
pub struct Targets<'a> {
    /// (N, 3) normalised coordinate score targets.
    pub coord: &'a [f32],
    /// (B, P) lattice noise.
    pub lattice: &'a [f32],
    /// (N, 100) type noise (de novo task).
    pub types: Option<&'a [f32]>,
    pub lattice_weight: f64,
    pub type_weight: f64,
    /// Entries each mean divides by: those of the whole batch, so that the blocks of a
    /// split batch add up to the batch's gradient. (coordinates, lattice, types)
    pub counts: [usize; 3],
}

impl<'a> Targets<'a> {
    /// The targets of a noised batch with the loss weights of `cfg`.
    pub fn of(nb: &'a NoisedBatch, cfg: &PeriodicTrainConfig) -> Targets<'a> {
        Targets {
            coord: &nb.coord_target,
            lattice: &nb.lattice_target,
            types: nb.type_target.as_deref(),
            lattice_weight: cfg.lattice_weight,
            type_weight: cfg.type_weight,
            counts: [
                nb.coord_target.len(),
                nb.lattice_target.len(),
                nb.type_target.as_ref().map_or(0, |v| v.len()),
            ],
        }
    }

    /// The mean losses from the sums of squared errors of the whole batch.
    pub fn losses(&self, sq: &SquaredErrors) -> LossParts {
        let mean = |s: f64, n: usize| if n == 0 { 0.0 } else { s / n as f64 };
        let (coord, lattice, types) = (
            mean(sq.coord, self.counts[0]),
            mean(sq.lattice, self.counts[1]),
            mean(sq.types, self.counts[2]),
        );
        LossParts {
            total: coord + self.lattice_weight * lattice + self.type_weight * types,
            coord,
            lattice,
            types,
        }
    }

    /// The sums of squared errors of `out` (type noise only where targets have it).
    pub fn squared_errors(&self, out: &HostOutputs) -> SquaredErrors {
        let sum = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y) as f64 * (x - y) as f64)
                .sum::<f64>()
        };
        SquaredErrors {
            coord: sum(&out.coord_score, self.coord),
            lattice: sum(&out.lattice_eps, self.lattice),
            types: self.types.map_or(0.0, |t| sum(&out.type_logits, t)),
        }
    }
}

/// Sums of squared errors of a batch or block (divide by `Targets::counts` for means).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SquaredErrors {
    pub coord: f64,
    pub lattice: f64,
    pub types: f64,
}

/// Buffers of the backward pass, grown to the largest block seen.
#[derive(Debug, Default)]
pub struct BackWorkspace {
    d_coord: Vec<f32>,
    d_lat: Vec<f32>,
    d_types: Vec<f32>,
    dh: Vec<f32>,
    dh_in: Vec<f32>,
    u: Vec<f32>,
    du: Vec<f32>,
    dcat: Vec<f32>,
    dab: Vec<f32>,
    dm: Vec<f32>,
    p: Vec<f32>,
    dp: Vec<f32>,
    d_lh: Vec<f32>,
    d_pooled: Vec<f32>,
    dphi: Vec<f32>,
    dt_emb: Vec<f32>,
    dt_hid: Vec<f32>,
    /// (H,) one LayerNorm row's x̂ and dL/dx̂.
    xhat: Vec<f32>,
    dxhat: Vec<f32>,
}

fn zeroed(v: &mut Vec<f32>, n: usize) -> &mut [f32] {
    v.clear();
    v.resize(n, 0.0);
    v
}

/// `n` values of `v` whose old contents do not matter (every one is written before read).
fn scratch(v: &mut Vec<f32>, n: usize) -> &mut [f32] {
    if v.len() < n {
        v.resize(n, 0.0);
    }
    &mut v[..n]
}

/// Buffers of one block's forward and backward, kept per thread between steps.
#[derive(Debug, Default)]
struct Buffers {
    ws: Workspace,
    cache: Cache,
    out: HostOutputs,
    bw: BackWorkspace,
}

thread_local! {
    static BUFFERS: std::cell::RefCell<Buffers> = std::cell::RefCell::new(Buffers::default());
}

/// db += Σ over rows of d (rows of `db.len()`).
fn add_row_sums(db: &mut [f32], d: &[f32]) {
    for row in d.chunks_exact(db.len()) {
        db.iter_mut().zip(row).for_each(|(a, b)| *a += b);
    }
}

/// Gradients of y = x·W + b for `n` rows: W and b gradients accumulated into `gd`;
/// dx (n, d_in; row stride `ld_dx`) set, or added to when `accumulate_dx`.
#[allow(clippy::too_many_arguments)]
fn dense_backward(
    layer: &Dense,
    gd: &mut Dense,
    n: usize,
    x: &[f32],
    ldx: usize,
    dy: &[f32],
    dx: Option<(&mut [f32], usize, bool)>,
) {
    let (i, o) = (layer.d_in, layer.d_out);
    product(
        i,
        n,
        o,
        Mat::transposed(x, ldx),
        Mat::rows(dy, o),
        &mut gd.w,
        o,
        true,
    );
    add_row_sums(&mut gd.b, &dy[..n * o]);
    if let Some((dx, ld_dx, acc)) = dx {
        product(
            n,
            o,
            i,
            Mat::rows(dy, o),
            Mat::transposed(&layer.w, o),
            dx,
            ld_dx,
            acc,
        );
    }
}

impl PeriodicInfer {
    /// Every weight array in a fixed order (for zeroing, summing and norms).
    fn arrays_mut(&mut self) -> Vec<&mut Vec<f32>> {
        let mut v: Vec<&mut Vec<f32>> = vec![&mut self.type_table];
        for d in [&mut self.t1, &mut self.t2] {
            v.push(&mut d.w);
            v.push(&mut d.b);
        }
        for l in &mut self.layers {
            v.push(&mut l.w_ab);
            for d in [&mut l.e_c, &mut l.e2, &mut l.n1, &mut l.n2] {
                v.push(&mut d.w);
                v.push(&mut d.b);
            }
            v.push(&mut l.gamma);
            v.push(&mut l.beta);
        }
        for d in [
            &mut self.coord_head,
            &mut self.lat1,
            &mut self.lat2,
            &mut self.type_head,
        ] {
            v.push(&mut d.w);
            v.push(&mut d.b);
        }
        v
    }

    /// A gradient holder: this network's shapes, every value 0.
    pub fn zeros_like(&self) -> PeriodicInfer {
        let zero = |d: &Dense| Dense {
            d_in: d.d_in,
            d_out: d.d_out,
            w: vec![0.0; d.w.len()],
            b: vec![0.0; d.b.len()],
        };
        PeriodicInfer {
            hidden: self.hidden,
            type_table: vec![0.0; self.type_table.len()],
            t1: zero(&self.t1),
            t2: zero(&self.t2),
            layers: self
                .layers
                .iter()
                .map(|l| super::infer::Layer {
                    w_ab: vec![0.0; l.w_ab.len()],
                    e_c: zero(&l.e_c),
                    e2: zero(&l.e2),
                    n1: zero(&l.n1),
                    n2: zero(&l.n2),
                    gamma: vec![0.0; l.gamma.len()],
                    beta: vec![0.0; l.beta.len()],
                })
                .collect(),
            coord_head: zero(&self.coord_head),
            lat1: zero(&self.lat1),
            lat2: zero(&self.lat2),
            type_head: zero(&self.type_head),
            lattice_repr: self.lattice_repr,
        }
    }

    /// self += other, array by array.
    /// The sum of `blocks` (one array at a time on all cores, each element summed in
    /// block order).
    fn sum_of(&self, blocks: &mut [PeriodicInfer]) -> PeriodicInfer {
        let mut total = self.zeros_like();
        let n_arrays = total.arrays_mut().len();
        let mut columns: Vec<_> = blocks
            .iter_mut()
            .map(|b| b.arrays_mut().into_iter())
            .collect();
        let per_array: Vec<Vec<&mut Vec<f32>>> = (0..n_arrays)
            .map(|_| columns.iter_mut().filter_map(|c| c.next()).collect())
            .collect();
        total
            .arrays_mut()
            .into_par_iter()
            .zip(per_array.into_par_iter())
            .for_each(|(out, parts)| {
                for p in parts {
                    out.iter_mut().zip(p.iter()).for_each(|(x, y)| *x += y);
                }
            });
        total
    }

    /// The L2 norm of all values together (f64 sum).
    /// Arrays on all cores, each summed in order, then the sums in array order: the same
    /// bits on any number of threads.
    pub fn global_norm(&mut self) -> f64 {
        let sums: Vec<f64> = self
            .arrays_mut()
            .into_par_iter()
            .map(|a| a.iter().map(|&x| x as f64 * x as f64).sum::<f64>())
            .collect();
        sums.iter().sum::<f64>().sqrt()
    }

    /// Every value × `factor`.
    pub fn scale(&mut self, factor: f32) {
        self.arrays_mut()
            .into_par_iter()
            .for_each(|a| a.iter_mut().for_each(|x| *x *= factor));
    }

    /// Forward and backward over one block: its squared errors, and the gradients of
    /// the batch loss (`t.counts` normalisation) added into `grads`.
    #[allow(clippy::too_many_arguments)]
    pub fn backward(
        &self,
        g: &GraphInputs,
        t: &Targets,
        ws: &mut Workspace,
        cache: &mut Cache,
        out: &mut HostOutputs,
        bw: &mut BackWorkspace,
        grads: &mut PeriodicInfer,
    ) -> SquaredErrors {
        crate::kernel::dispatch(
            #[inline(always)]
            || self.backward_body(g, t, ws, cache, out, bw, grads),
        )
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn backward_body(
        &self,
        g: &GraphInputs,
        t: &Targets,
        ws: &mut Workspace,
        cache: &mut Cache,
        out: &mut HostOutputs,
        bw: &mut BackWorkspace,
        grads: &mut PeriodicInfer,
    ) -> SquaredErrors {
        let dng = t.types.is_some();
        self.forward_cached(g, dng, ws, out, Some(cache));
        let h = self.hidden;
        let ld = 2 * h;
        let (n, b, e) = (g.n_atoms, g.n_graphs, g.n_edges());
        let nf = g.edge_attr.len().checked_div(e).unwrap_or(0);

        // Loss gradients: d mean(x − y)² / dx = 2(x − y)/count, times the term's weight.
        let mut sq = SquaredErrors::default();
        let mse_grad = |pred: &[f32], target: &[f32], d: &mut Vec<f32>, w: f64, count| {
            let scale = (2.0 * w / count as f64) as f32;
            d.clear();
            let mut sum = 0.0f64;
            for (p, y) in pred.iter().zip(target) {
                let diff = p - y;
                sum += diff as f64 * diff as f64;
                d.push(scale * diff);
            }
            sum
        };
        sq.coord = mse_grad(&out.coord_score, t.coord, &mut bw.d_coord, 1.0, t.counts[0]);
        sq.lattice = mse_grad(
            &out.lattice_eps,
            t.lattice,
            &mut bw.d_lat,
            t.lattice_weight,
            t.counts[1],
        );
        if let Some(tt) = t.types {
            sq.types = mse_grad(
                &out.type_logits,
                tt,
                &mut bw.d_types,
                t.type_weight,
                t.counts[2],
            );
        }

        // Heads. h (the last layer's output) is ws.cat[:, ..H].
        let cat = &ws.cat;
        let dh = zeroed(&mut bw.dh, n * h);
        dense_backward(
            &self.coord_head,
            &mut grads.coord_head,
            n,
            cat,
            ld,
            &bw.d_coord,
            Some((dh, h, true)),
        );
        if dng {
            dense_backward(
                &self.type_head,
                &mut grads.type_head,
                n,
                cat,
                ld,
                &bw.d_types,
                Some((dh, h, true)),
            );
        }
        let d_lat_out: &[f32] = match self.lattice_repr {
            LatticeRepr::LogCholesky => &bw.d_lat,
            LatticeRepr::Matrix => {
                // ε̂ = Φ·L: dΦ[i][m] = Σ_j dε̂[i][j]·L[m][j].
                let dphi = zeroed(&mut bw.dphi, b * 9);
                for k in 0..b {
                    let (de, l) = (&bw.d_lat[k * 9..k * 9 + 9], &g.lattice[k * 9..k * 9 + 9]);
                    for i in 0..3 {
                        for m in 0..3 {
                            dphi[k * 9 + i * 3 + m] =
                                (0..3).map(|j| de[i * 3 + j] * l[m * 3 + j]).sum();
                        }
                    }
                }
                &bw.dphi
            }
        };
        let pin = self.lat1.d_in;
        let d_lh = scratch(&mut bw.d_lh, b * h);
        dense_backward(
            &self.lat2,
            &mut grads.lat2,
            b,
            &ws.lat_hid,
            h,
            d_lat_out,
            Some((d_lh, h, false)),
        );
        silu_backward(&cache.lat_pre, d_lh);
        let d_pooled = scratch(&mut bw.d_pooled, b * pin);
        dense_backward(
            &self.lat1,
            &mut grads.lat1,
            b,
            &ws.pooled,
            pin,
            d_lh,
            Some((d_pooled, pin, false)),
        );
        for (i, &gi) in g.node_graph.iter().enumerate() {
            let gi = gi as usize;
            let w = g.inv_count[gi];
            let src = &d_pooled[gi * pin..gi * pin + h];
            dh[i * h..(i + 1) * h]
                .iter_mut()
                .zip(src)
                .for_each(|(d, s)| *d += s * w);
        }

        // Layers in reverse; dh is the gradient of the layer's output.
        for (li, layer) in self.layers.iter().enumerate().rev() {
            let lc = &cache.layers[li];
            let gl = &mut grads.layers[li];
            let dh = &mut bw.dh[..n * h];
            // LayerNorm: dh ← dx, the gradient of its input x = h_in + update.
            let xhat = scratch(&mut bw.xhat, h);
            let dxhat = scratch(&mut bw.dxhat, h);
            for i in 0..n {
                let x = &lc.x[i * h..(i + 1) * h];
                let dy = &mut dh[i * h..(i + 1) * h];
                let hf = h as f32;
                let (mean, inv) = layer_norm_stats(x, LAYER_NORM_EPS);
                for k in 0..h {
                    xhat[k] = (x[k] - mean) * inv;
                    gl.gamma[k] += dy[k] * xhat[k];
                    gl.beta[k] += dy[k];
                    dxhat[k] = dy[k] * layer.gamma[k];
                }
                let (m1, m2) = (lane_sum(dxhat) / hf, lane_dot(dxhat, xhat) / hf);
                for k in 0..h {
                    dy[k] = inv * (dxhat[k] - m1 - xhat[k] * m2);
                }
            }
            // Node MLP: update = SiLU([h, agg]·W_n1 + b)·W_n2 + b.
            let u = &mut bw.u;
            u.resize(n * h, 0.0);
            silu_into(&lc.u_pre, &mut u[..n * h]);
            let du = scratch(&mut bw.du, n * h);
            dense_backward(&layer.n2, &mut gl.n2, n, u, h, dh, Some((du, h, false)));
            silu_backward(&lc.u_pre, du);
            let dcat = scratch(&mut bw.dcat, n * ld);
            dense_backward(
                &layer.n1,
                &mut gl.n1,
                n,
                &lc.cat,
                ld,
                du,
                Some((dcat, ld, false)),
            );
            // dh_in = dx (residual) + d[h part]; the agg part, over each receiver's degree.
            let dh_in = scratch(&mut bw.dh_in, n * h);
            for i in 0..n {
                let w = g.inv_degree[i];
                for k in 0..h {
                    dh_in[i * h + k] = dh[i * h + k] + dcat[i * ld + k];
                    dcat[i * ld + h + k] *= w;
                }
            }
            // Edges, block by block.
            let dab = zeroed(&mut bw.dab, n * ld);
            let dm = scratch(&mut bw.dm, BACK_EDGE_BLOCK * h);
            let p = scratch(&mut bw.p, BACK_EDGE_BLOCK * h);
            let dp = scratch(&mut bw.dp, BACK_EDGE_BLOCK * h);
            for e0 in (0..e).step_by(BACK_EDGE_BLOCK) {
                let rows = BACK_EDGE_BLOCK.min(e - e0);
                let span = e0 * h..(e0 + rows) * h;
                let (dm, p, dp) = (&mut dm[..rows * h], &mut p[..rows * h], &mut dp[..rows * h]);
                for r in 0..rows {
                    let dst = g.edge_dst[e0 + r] as usize;
                    dm[r * h..(r + 1) * h].copy_from_slice(&dcat[dst * ld + h..(dst + 1) * ld]);
                }
                silu_backward(&lc.z2[span.clone()], dm);
                silu_into(&lc.z1[span.clone()], p);
                dense_backward(&layer.e2, &mut gl.e2, rows, p, h, dm, Some((dp, h, false)));
                silu_backward(&lc.z1[span], dp);
                dense_backward(
                    &layer.e_c,
                    &mut gl.e_c,
                    rows,
                    &g.edge_attr[e0 * nf..],
                    nf,
                    dp,
                    None,
                );
                for r in 0..rows {
                    let (dst, src) = (g.edge_dst[e0 + r] as usize, g.edge_src[e0 + r] as usize);
                    let d = &dp[r * h..(r + 1) * h];
                    dab[dst * ld..dst * ld + h]
                        .iter_mut()
                        .zip(d)
                        .for_each(|(a, x)| *a += x);
                    dab[src * ld + h..(src + 1) * ld]
                        .iter_mut()
                        .zip(d)
                        .for_each(|(a, x)| *a += x);
                }
            }
            // [A | B] = h_in·[W_a | W_b].
            let (cat_t, dab_rows) = (Mat::transposed(&lc.cat, ld), Mat::rows(dab, ld));
            product(h, n, ld, cat_t, dab_rows, &mut gl.w_ab, ld, true);
            let w_ab_t = Mat::transposed(&layer.w_ab, ld);
            product(n, ld, h, dab_rows, w_ab_t, dh_in, h, true);
            std::mem::swap(&mut bw.dh, &mut bw.dh_in);
        }

        // Input: h⁰ = type embedding + time embedding of the crystal.
        let dh0 = &bw.dh[..n * h];
        match &g.node_type_dense {
            Some(dense) => product(
                N_TYPES,
                n,
                h,
                Mat::transposed(dense, N_TYPES),
                Mat::rows(dh0, h),
                &mut grads.type_table,
                h,
                true,
            ),
            None => {
                for (i, &ty) in g.node_type.iter().enumerate() {
                    let ty = ty as usize;
                    grads.type_table[ty * h..(ty + 1) * h]
                        .iter_mut()
                        .zip(&dh0[i * h..(i + 1) * h])
                        .for_each(|(a, d)| *a += d);
                }
            }
        }
        let dt_emb = zeroed(&mut bw.dt_emb, b * h);
        for (i, &gi) in g.node_graph.iter().enumerate() {
            let gi = gi as usize;
            dt_emb[gi * h..(gi + 1) * h]
                .iter_mut()
                .zip(&dh0[i * h..(i + 1) * h])
                .for_each(|(a, d)| *a += d);
        }
        let dt_hid = scratch(&mut bw.dt_hid, b * h);
        dense_backward(
            &self.t2,
            &mut grads.t2,
            b,
            &ws.t_hid,
            h,
            dt_emb,
            Some((dt_hid, h, false)),
        );
        silu_backward(&cache.t_pre, dt_hid);
        let td = self.t1.d_in;
        dense_backward(&self.t1, &mut grads.t1, b, &g.time_emb, td, dt_hid, None);
        sq
    }

    /// The squared errors and summed gradients of a whole batch, split into blocks of
    /// [`GRAPHS_PER_BLOCK`] crystals run on all cores and summed in block order.
    pub fn batch_gradients(&self, g: &GraphInputs, t: &Targets) -> (SquaredErrors, PeriodicInfer) {
        let p = t.lattice.len().checked_div(g.n_graphs).unwrap_or(0);
        let starts: Vec<usize> = (0..g.n_graphs).step_by(GRAPHS_PER_BLOCK).collect();
        let mut parts: Vec<(SquaredErrors, PeriodicInfer)> = starts
            .par_iter()
            .map(|&s| {
                let end = (s + GRAPHS_PER_BLOCK).min(g.n_graphs);
                let (sub, nodes) = g.slice(s..end);
                let tb = Targets {
                    coord: &t.coord[nodes.start * 3..nodes.end * 3],
                    lattice: &t.lattice[s * p..end * p],
                    types: t
                        .types
                        .map(|v| &v[nodes.start * N_TYPES..nodes.end * N_TYPES]),
                    ..*t
                };
                let mut grads = self.zeros_like();
                let sq = BUFFERS.with(|b| {
                    let b = &mut *b.borrow_mut();
                    self.backward(
                        &sub,
                        &tb,
                        &mut b.ws,
                        &mut b.cache,
                        &mut b.out,
                        &mut b.bw,
                        &mut grads,
                    )
                });
                (sq, grads)
            })
            .collect();
        let mut total_sq = SquaredErrors::default();
        for (sq, _) in &parts {
            total_sq.coord += sq.coord;
            total_sq.lattice += sq.lattice;
            total_sq.types += sq.types;
        }
        let mut blocks: Vec<PeriodicInfer> = parts.drain(..).map(|(_, g)| g).collect();
        (total_sq, self.sum_of(&mut blocks))
    }

    /// The gradients in burn's layouts, by parameter id of `model` (whose weights these
    /// are the gradients of): e1's weight is [W_a; W_b; W_c] stacked by rows. The type
    /// head is left out unless `with_types` (as autodiff leaves out a weight the loss does
    /// not reach, so the optimizer's state has the same entries). Each entry: id, shape,
    /// values.
    pub fn burn_layout(
        &self,
        model: &PeriodicDenoiser,
        with_types: bool,
    ) -> Vec<(u64, Vec<usize>, Vec<f32>)> {
        let p = model.parts();
        let h = self.hidden;
        let mut out = Vec::new();
        let dense =
            |l: &burn::nn::Linear, d: &Dense, out: &mut Vec<(u64, Vec<usize>, Vec<f32>)>| {
                out.push((l.weight.id.val(), vec![d.d_in, d.d_out], d.w.clone()));
                if let Some(bias) = &l.bias {
                    out.push((bias.id.val(), vec![d.d_out], d.b.clone()));
                }
            };
        out.push((
            p.type_table_id.val(),
            vec![N_TYPES, h],
            self.type_table.clone(),
        ));
        dense(p.t1, &self.t1, &mut out);
        dense(p.t2, &self.t2, &mut out);
        for (lp, l) in p.layers.iter().zip(&self.layers) {
            let nf = l.e_c.d_in;
            let mut w = Vec::with_capacity((2 * h + nf) * h);
            for half in 0..2 {
                for k in 0..h {
                    w.extend_from_slice(&l.w_ab[k * 2 * h + half * h..k * 2 * h + (half + 1) * h]);
                }
            }
            w.extend_from_slice(&l.e_c.w);
            out.push((lp.e1.weight.id.val(), vec![2 * h + nf, h], w));
            if let Some(bias) = &lp.e1.bias {
                out.push((bias.id.val(), vec![h], l.e_c.b.clone()));
            }
            dense(lp.e2, &l.e2, &mut out);
            dense(lp.n1, &l.n1, &mut out);
            dense(lp.n2, &l.n2, &mut out);
            out.push((lp.norm.gamma.id.val(), vec![h], l.gamma.clone()));
            if let Some(beta) = &lp.norm.beta {
                out.push((beta.id.val(), vec![h], l.beta.clone()));
            }
        }
        dense(p.coord_head, &self.coord_head, &mut out);
        dense(p.lat1, &self.lat1, &mut out);
        dense(p.lat2, &self.lat2, &mut out);
        if with_types {
            dense(p.type_head, &self.type_head, &mut out);
        }
        out
    }

    /// [`Self::burn_layout`] as burn's `GradientsParams` (for burn's optimizers and for
    /// the comparison with autodiff).
    pub fn to_burn(&self, model: &PeriodicDenoiser, with_types: bool) -> GradientsParams {
        gradients_params(self.burn_layout(model, with_types))
    }
}

/// Gradients (parameter id, shape of a 1-D or 2-D weight, values) as burn's
/// `GradientsParams`, on the plain CPU device.
pub(crate) fn gradients_params(
    entries: impl IntoIterator<Item = (u64, Vec<usize>, Vec<f32>)>,
) -> GradientsParams {
    let device = Device::flex();
    let mut out = GradientsParams::new();
    for (id, shape, v) in entries {
        let id = burn::module::ParamId::from(id);
        match shape[..] {
            [r, c] => out.register::<2>(
                id,
                Tensor::<2>::from_data(TensorData::new(v, [r, c]), &device),
            ),
            _ => {
                let n = v.len();
                out.register::<1>(id, Tensor::<1>::from_data(TensorData::new(v, [n]), &device))
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::model::PeriodicConfig;
    use super::super::train::{batch_loss, noise_batch, DataStats, Task};
    use super::*;
    use burn::module::{Module, ModuleVisitor, Param};
    use crystal::rng::Rng;

    fn setup(lattice: LatticeRepr, task: Task) -> (PeriodicTrainConfig, Vec<crystal::Crystal>) {
        let data = crystal::demo::demo_crystals(2);
        let mut cfg = PeriodicTrainConfig {
            model: PeriodicConfig {
                hidden: 24,
                layers: 2,
                k_freq: 3,
                time_dim: 8,
                lattice,
            },
            timesteps: 100,
            task,
            ..PeriodicTrainConfig::default()
        };
        cfg.lattice_norm = DataStats::fit(&data).lattice_norm;
        (cfg, data)
    }

    struct Compare<'a> {
        ours: &'a GradientsParams,
        theirs: &'a GradientsParams,
        worst: f32,
        missing: Vec<String>,
    }

    impl ModuleVisitor for Compare<'_> {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            let host = |t: Tensor<D>| t.into_data().try_into_vec::<f32>().unwrap();
            match (self.ours.get::<D>(p.id), self.theirs.get::<D>(p.id)) {
                (Some(a), Some(b)) => {
                    let (a, b) = (host(a), host(b));
                    assert_eq!(a.len(), b.len());
                    let scale = b.iter().fold(0f32, |m, x| m.max(x.abs())).max(1e-3);
                    for (x, y) in a.iter().zip(&b) {
                        self.worst = self.worst.max((x - y).abs() / scale);
                    }
                }
                (None, None) => {}
                (a, b) => self.missing.push(format!(
                    "{:?}: ours {} burn {}",
                    p.id,
                    a.is_some(),
                    b.is_some()
                )),
            }
        }
    }

    /// Our gradients against burn's autodiff on one noised batch of the demo crystals.
    fn check_against_autodiff(lattice: LatticeRepr, task: Task) {
        let (cfg, data) = setup(lattice, task);
        let device = Device::flex().autodiff();
        let model = PeriodicDenoiser::new(&cfg.model, 4, &device);
        let crystals: Vec<&crystal::Crystal> = data.iter().take(40).collect();
        let nb = noise_batch(&crystals, &cfg.schedule(), &cfg, &mut Rng::new(8));
        let [loss, coord, lat, types] = batch_loss(&model, &nb, &cfg, &Device::flex());
        let theirs = GradientsParams::from_grads(loss.clone().backward(), &model);

        let net = PeriodicInfer::from_model(&model);
        let t = Targets::of(&nb, &cfg);
        let (sq, grads) = net.batch_gradients(&nb.inputs, &t);
        let ours = grads.to_burn(&model, task == Task::Dng);
        let scalar = |x: Tensor<1>| x.into_scalar::<f32>() as f64;
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-4 * (1.0 + b.abs());
        assert!(close(sq.coord / t.counts[0] as f64, scalar(coord)));
        assert!(close(sq.lattice / t.counts[1] as f64, scalar(lat)));
        if task == Task::Dng {
            assert!(close(sq.types / t.counts[2] as f64, scalar(types)));
        }
        let mut cmp = Compare {
            ours: &ours,
            theirs: &theirs,
            worst: 0.0,
            missing: Vec::new(),
        };
        model.visit(&mut cmp);
        assert!(cmp.missing.is_empty(), "{:?}", cmp.missing);
        assert!(
            cmp.worst < 1e-4,
            "{lattice:?} {task:?}: worst gradient difference {}",
            cmp.worst
        );
        assert!(nb.inputs.n_graphs > GRAPHS_PER_BLOCK, "the batch is split");
        let _ = scalar(loss);
    }

    #[test]
    fn gradients_equal_burns_autodiff_csp() {
        check_against_autodiff(LatticeRepr::LogCholesky, Task::Csp);
    }

    #[test]
    fn gradients_equal_burns_autodiff_de_novo() {
        check_against_autodiff(LatticeRepr::LogCholesky, Task::Dng);
    }

    #[test]
    fn gradients_equal_burns_autodiff_matrix_lattice() {
        check_against_autodiff(LatticeRepr::Matrix, Task::Csp);
    }

    #[test]
    fn gradients_are_the_same_bits_on_one_and_on_three_threads() {
        let (cfg, data) = setup(LatticeRepr::LogCholesky, Task::Dng);
        let model = PeriodicDenoiser::new(&cfg.model, 5, &Device::flex());
        let crystals: Vec<&crystal::Crystal> = data.iter().take(50).collect();
        let nb = noise_batch(&crystals, &cfg.schedule(), &cfg, &mut Rng::new(3));
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let net = PeriodicInfer::from_model(&model);
                let (sq, mut g) = net.batch_gradients(&nb.inputs, &Targets::of(&nb, &cfg));
                let norm = g.global_norm();
                let arrays: Vec<Vec<f32>> = g.arrays_mut().into_iter().map(|a| a.clone()).collect();
                (sq, norm, arrays)
            })
        };
        let (a, b) = (run(1), run(3));
        assert_eq!(a.0, b.0);
        assert_eq!(a.1.to_bits(), b.1.to_bits());
        assert_eq!(a.2, b.2);
        assert!(a.1 > 0.0);
    }

    /// For every weight array: the derivative of the loss along that array's own gradient
    /// (= its norm) against central finite differences (f32 forwards, ε = 1e-3 on the unit
    /// direction), for each array whose gradient is large enough to rise above the f32
    /// noise of the loss differences.
    #[test]
    fn gradients_match_finite_differences() {
        let (cfg, data) = setup(LatticeRepr::LogCholesky, Task::Dng);
        let model = PeriodicDenoiser::new(&cfg.model, 6, &Device::flex());
        let crystals: Vec<&crystal::Crystal> = data.iter().take(6).collect();
        let nb = noise_batch(&crystals, &cfg.schedule(), &cfg, &mut Rng::new(2));
        let t = Targets::of(&nb, &cfg);
        let net = PeriodicInfer::from_model(&model);
        let loss = |net: &PeriodicInfer| t.losses(&net.batch_gradients(&nb.inputs, &t).0).total;
        let (_, mut grads) = net.batch_gradients(&nb.inputs, &t);
        let grad_arrays: Vec<Vec<f32>> =
            grads.arrays_mut().into_iter().map(|a| a.clone()).collect();
        let eps = 1e-3f64;
        let (mut checked, mut failures) = (0, Vec::new());
        for (k, g) in grad_arrays.iter().enumerate() {
            let norm = g.iter().map(|&x| x as f64 * x as f64).sum::<f64>().sqrt();
            if norm < 0.05 {
                continue;
            }
            let shifted = |sign: f64| {
                let mut moved = net.clone();
                let w = &mut moved.arrays_mut()[k];
                w.iter_mut()
                    .zip(g)
                    .for_each(|(w, g)| *w += (sign * eps * *g as f64 / norm) as f32);
                loss(&moved)
            };
            let numeric = (shifted(1.0) - shifted(-1.0)) / (2.0 * eps);
            checked += 1;
            if (numeric - norm).abs() > 0.02 * norm {
                failures.push(format!(
                    "array {k}: finite differences {numeric}, backward {norm}"
                ));
            }
        }
        assert!(failures.is_empty(), "{failures:?}");
        assert!(checked >= 20, "only {checked} arrays checked");
    }
}
