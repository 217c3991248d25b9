//! Variable-size crystals batched as one graph (no padding): every atom is a node, every
//! ordered pair of distinct atoms of the same crystal an edge. Everything that depends only
//! on the noisy inputs (edge Fourier features, lattice Gram matrices, time embeddings) is
//! computed here on the host, once per batch; the network only gathers and scatters.

use super::model::N_TYPES;
use crate::embedding::sinusoidal_into;

/// One crystal as the network sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct NoisyCrystal {
    /// Atomic numbers (1..=100 for the type table).
    pub z: Vec<u8>,
    /// Noisy fractional coordinates f_t, one row per atom.
    pub frac: Vec<[f64; 3]>,
    /// Noisy lattice L_t, rows = vectors, Å.
    pub lattice: [[f64; 3]; 3],
    /// Timestep 1..=T.
    pub t: usize,
    /// The lattice numbers being diffused (`LatticeRepr::dim` of them: standardised
    /// log-Cholesky numbers, or the 9 entries of `lattice`); the lattice head reads them.
    pub lattice_z: Vec<f64>,
    /// De novo task: noisy one-hot types, (n, 100) row-major, replacing `z` as input.
    pub types_noisy: Option<Vec<f32>>,
}

/// Reference length that scales the Gram matrix features (Å).
pub const GRAM_SCALE_A: f64 = 5.0;

/// Host-side inputs of one batch. N atoms, B crystals, E edges, F edge features.
#[derive(Debug, Clone, Default)]
pub struct GraphInputs {
    pub n_atoms: usize,
    pub n_graphs: usize,
    /// (N,) atomic number − 1.
    pub node_type: Vec<i64>,
    /// (N, 100) noisy one-hot types when any crystal of the batch carries them.
    pub node_type_dense: Option<Vec<f32>>,
    /// (N,) crystal of each atom.
    pub node_graph: Vec<i64>,
    /// (E,) receiving atom i of edge (i ← j).
    pub edge_dst: Vec<i64>,
    /// (E,) sending atom j.
    pub edge_src: Vec<i64>,
    /// (E, F) sin/cos(2π m (f_j − f_i)_d) for m = 1..=K, d = x,y,z (6K values), then the
    /// six distinct entries of L·Lᵀ / GRAM_SCALE_A² of the crystal (6 values).
    pub edge_attr: Vec<f32>,
    /// (N,) 1 / number of incoming edges (0 for a lone atom).
    pub inv_degree: Vec<f32>,
    /// (B, time_dim) sinusoidal embedding of each crystal's timestep.
    pub time_emb: Vec<f32>,
    /// (B, 9) L_t row-major.
    pub lattice: Vec<f32>,
    /// (B, P) each crystal's `lattice_z`.
    pub lattice_z: Vec<f32>,
    /// (B,) 1 / atoms of the crystal, for mean pooling.
    pub inv_count: Vec<f32>,
}

/// Number of edge features for `k_freq` Fourier frequencies.
pub fn edge_features(k_freq: usize) -> usize {
    6 * k_freq + 6
}

impl GraphInputs {
    /// Builds the batch; `time_scale` maps t to the embedding's argument (1000 / T keeps
    /// the embedding independent of the number of steps).
    pub fn build<C: std::borrow::Borrow<NoisyCrystal>>(
        crystals: &[C],
        k_freq: usize,
        time_dim: usize,
        time_scale: f64,
    ) -> Self {
        let mut g = GraphInputs::default();
        g.rebuild(crystals, k_freq, time_dim, time_scale);
        g
    }

    /// [`Self::build`] into this batch's buffers, reusing their memory (the sampler
    /// rebuilds its batch twice per reverse step).
    pub fn rebuild<C: std::borrow::Borrow<NoisyCrystal>>(
        &mut self,
        crystals: &[C],
        k_freq: usize,
        time_dim: usize,
        time_scale: f64,
    ) {
        let g = self;
        g.n_graphs = crystals.len();
        for v in [
            &mut g.node_type,
            &mut g.node_graph,
            &mut g.edge_dst,
            &mut g.edge_src,
        ] {
            v.clear();
        }
        for v in [
            &mut g.edge_attr,
            &mut g.inv_degree,
            &mut g.lattice,
            &mut g.lattice_z,
            &mut g.inv_count,
        ] {
            v.clear();
        }
        let nf = edge_features(k_freq);
        let mut offset = 0usize;
        let mut trig: Vec<(f64, f64)> = Vec::new();
        g.time_emb.clear();
        g.time_emb.resize(crystals.len() * time_dim, 0.0);
        for (b, c) in crystals.iter().enumerate() {
            let c: &NoisyCrystal = c.borrow();
            let n = c.z.len();
            let l = &c.lattice;
            let dot = |a: usize, b: usize| (0..3).map(|k| l[a][k] * l[b][k]).sum::<f64>();
            let s2 = GRAM_SCALE_A * GRAM_SCALE_A;
            let gram = [
                dot(0, 0) / s2,
                dot(1, 1) / s2,
                dot(2, 2) / s2,
                dot(0, 1) / s2,
                dot(0, 2) / s2,
                dot(1, 2) / s2,
            ];
            // (sin, cos)(2π m f) of every atom, axis and frequency: one sin_cos per atom
            // and axis, the higher frequencies by rotation (error ≈ m·1e-16); each edge's
            // terms then follow from the difference formulas, with no libm call per edge.
            trig.clear();
            for f in &c.frac {
                for &x in f {
                    let (s1, c1) = (std::f64::consts::TAU * x).sin_cos();
                    let (mut sm, mut cm) = (s1, c1);
                    for _ in 0..k_freq {
                        trig.push((sm, cm));
                        (sm, cm) = (sm * c1 + cm * s1, cm * c1 - sm * s1);
                    }
                }
            }
            for i in 0..n {
                g.node_type.push(c.z[i].saturating_sub(1) as i64);
                g.node_graph.push(b as i64);
                g.inv_degree
                    .push(if n > 1 { 1.0 / (n - 1) as f32 } else { 0.0 });
                for j in 0..n {
                    if i == j {
                        continue;
                    }
                    g.edge_dst.push((offset + i) as i64);
                    g.edge_src.push((offset + j) as i64);
                    for d in 0..3 {
                        let ti = &trig[(i * 3 + d) * k_freq..(i * 3 + d + 1) * k_freq];
                        let tj = &trig[(j * 3 + d) * k_freq..(j * 3 + d + 1) * k_freq];
                        for (&(si, ci), &(sj, cj)) in ti.iter().zip(tj) {
                            // sin/cos(2π m (f_j − f_i))
                            g.edge_attr.push((sj * ci - cj * si) as f32);
                            g.edge_attr.push((cj * ci + sj * si) as f32);
                        }
                    }
                    g.edge_attr.extend(gram.iter().map(|&x| x as f32));
                }
            }
            debug_assert_eq!(g.edge_attr.len(), g.edge_dst.len() * nf);
            sinusoidal_into(
                c.t as f64 * time_scale,
                &mut g.time_emb[b * time_dim..(b + 1) * time_dim],
            );
            g.lattice.extend(l.iter().flatten().map(|&x| x as f32));
            g.lattice_z.extend(c.lattice_z.iter().map(|&x| x as f32));
            g.inv_count.push(1.0 / n.max(1) as f32);
            offset += n;
        }
        g.n_atoms = offset;
        if crystals.iter().any(|c| c.borrow().types_noisy.is_some()) {
            let mut dense = g.node_type_dense.take().unwrap_or_default();
            dense.clear();
            dense.resize(offset * N_TYPES, 0.0);
            let mut row = 0;
            for c in crystals {
                let c: &NoisyCrystal = c.borrow();
                match &c.types_noisy {
                    Some(v) => dense[row * N_TYPES..(row + c.z.len()) * N_TYPES]
                        .copy_from_slice(&v[..c.z.len() * N_TYPES]),
                    None => {
                        for (i, &z) in c.z.iter().enumerate() {
                            dense[(row + i) * N_TYPES + (z as usize).saturating_sub(1)] = 1.0;
                        }
                    }
                }
                row += c.z.len();
            }
            g.node_type_dense = Some(dense);
        } else {
            g.node_type_dense = None;
        }
    }

    /// Number of edges.
    pub fn n_edges(&self) -> usize {
        self.edge_dst.len()
    }

    /// The crystals `graphs` of this batch as a batch of their own (atom indices
    /// re-based), and the range of their atoms in this batch. Atoms of a crystal are
    /// contiguous, and so are the edges of a receiving atom, as `build` lays them out.
    pub fn slice(&self, graphs: std::ops::Range<usize>) -> (GraphInputs, std::ops::Range<usize>) {
        let b = self.n_graphs;
        let lo = self
            .node_graph
            .partition_point(|&x| (x as usize) < graphs.start);
        let hi = self
            .node_graph
            .partition_point(|&x| (x as usize) < graphs.end);
        let e_lo = self.edge_dst.partition_point(|&d| (d as usize) < lo);
        let e_hi = self.edge_dst.partition_point(|&d| (d as usize) < hi);
        let per = |len: usize, n: usize| len.checked_div(n).unwrap_or(0);
        let nf = per(self.edge_attr.len(), self.n_edges());
        let (td, pz) = (per(self.time_emb.len(), b), per(self.lattice_z.len(), b));
        let rebase = |v: &[i64], by: usize| v.iter().map(|&x| x - by as i64).collect();
        let sub = GraphInputs {
            n_atoms: hi - lo,
            n_graphs: graphs.len(),
            node_type: self.node_type[lo..hi].to_vec(),
            node_type_dense: self
                .node_type_dense
                .as_ref()
                .map(|d| d[lo * N_TYPES..hi * N_TYPES].to_vec()),
            node_graph: rebase(&self.node_graph[lo..hi], graphs.start),
            edge_dst: rebase(&self.edge_dst[e_lo..e_hi], lo),
            edge_src: rebase(&self.edge_src[e_lo..e_hi], lo),
            edge_attr: self.edge_attr[e_lo * nf..e_hi * nf].to_vec(),
            inv_degree: self.inv_degree[lo..hi].to_vec(),
            time_emb: self.time_emb[graphs.start * td..graphs.end * td].to_vec(),
            lattice: self.lattice[graphs.start * 9..graphs.end * 9].to_vec(),
            lattice_z: self.lattice_z[graphs.start * pz..graphs.end * pz].to_vec(),
            inv_count: self.inv_count[graphs.clone()].to_vec(),
        };
        (sub, lo..hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_features_equal_the_direct_formula() {
        let k_freq = 24;
        let frac = vec![[0.01, 0.99, 0.5], [-2.3, 5.7, 0.25], [0.123, 0.456, 0.789]];
        let c = NoisyCrystal {
            z: vec![8, 22, 38],
            frac: frac.clone(),
            lattice: [[4.0, 0.0, 0.0], [0.0, 5.0, 0.0], [1.0, 0.0, 6.0]],
            t: 10,
            lattice_z: vec![0.0; 6],
            types_noisy: None,
        };
        let g = GraphInputs::build(&[c], k_freq, 8, 1.0);
        let nf = edge_features(k_freq);
        assert_eq!(g.n_edges(), 6);
        let mut worst = 0f64;
        for e in 0..g.n_edges() {
            let (i, j) = (g.edge_dst[e] as usize, g.edge_src[e] as usize);
            let row = &g.edge_attr[e * nf..(e + 1) * nf];
            for (d, (fj, fi)) in frac[j].iter().zip(&frac[i]).enumerate() {
                for m in 1..=k_freq {
                    let a = std::f64::consts::TAU * m as f64 * (fj - fi);
                    let k = (d * k_freq + m - 1) * 2;
                    worst = worst.max((row[k] as f64 - a.sin()).abs());
                    worst = worst.max((row[k + 1] as f64 - a.cos()).abs());
                }
            }
            // The Gram entries follow: a·a / 25 = 16/25.
            assert!((row[6 * k_freq] - 0.64).abs() < 1e-7);
        }
        assert!(worst < 2e-7, "worst {worst}");
    }
}
