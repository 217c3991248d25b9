//! The host math kernel the fast inference paths share: one matrix product (the `gemm`
//! crate, the kernel burn's CPU backend uses itself) with explicit row strides, and the
//! element-wise activations written so that the compiler vectorises them (no branch, no
//! libm call), compiled twice — for the baseline x86-64 target and for AVX2 — and picked
//! once per call by a run-time CPU check. Neither version contracts `a·b + c` into a
//! fused multiply-add, so both give the same bits.
//!
//! Conventions: every matrix is row-major f32; `ld*` is the distance in elements between
//! the starts of two rows (≥ the row length), so a column block of a wider matrix (the
//! left half of `[h | agg]`) is passed as its first element and the wider row stride.

use gemm::{gemm, Parallelism};

/// One operand of [`product`]: an (r × c) matrix whose element (i, j) is
/// `data[i·row_stride + j·col_stride]`.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    data: &'a [f32],
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Mat<'a> {
    /// A row-major matrix whose rows start `ld` elements apart.
    pub fn rows(data: &'a [f32], ld: usize) -> Mat<'a> {
        Mat {
            data,
            row_stride: ld,
            col_stride: 1,
        }
    }

    /// The transpose of a row-major matrix whose rows start `ld` elements apart (the
    /// weight gradient xᵀ·δ and the input gradient δ·Wᵀ of a dense layer).
    pub fn transposed(data: &'a [f32], ld: usize) -> Mat<'a> {
        Mat {
            data,
            row_stride: 1,
            col_stride: ld,
        }
    }

    /// Panics unless the stored rows (or columns) do not overlap and every element of an
    /// (rows × cols) matrix lies inside the slice.
    fn check(&self, rows: usize, cols: usize, what: &str) {
        let stored = if self.col_stride == 1 { cols } else { rows };
        assert!(
            self.row_stride.max(self.col_stride) >= stored,
            "matmul: {what} stride"
        );
        let last = (rows - 1) * self.row_stride + (cols - 1) * self.col_stride;
        assert!(self.data.len() > last, "matmul: {what} too short");
    }
}

/// out (m × n, row stride `ld_out`) = a (m × k) · b (k × n), or out += a · b when
/// `accumulate`, on the calling thread.
///
/// Panics when a slice is shorter than its shape and stride say (a bug of the caller,
/// never a consequence of user input: shapes come from the network's own sizes).
#[allow(clippy::too_many_arguments)]
pub fn product(
    m: usize,
    k: usize,
    n: usize,
    a: Mat,
    b: Mat,
    out: &mut [f32],
    ld_out: usize,
    accumulate: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(ld_out >= n, "matmul: out stride");
    assert!(out.len() >= (m - 1) * ld_out + n, "matmul: out too short");
    if k == 0 {
        if !accumulate {
            for r in 0..m {
                out[r * ld_out..r * ld_out + n].fill(0.0);
            }
        }
        return;
    }
    a.check(m, k, "a");
    b.check(k, n, "b");
    // SAFETY: the checks above keep every element the strides address inside its slice;
    // `out` is a unique borrow, so it aliases neither input.
    unsafe {
        gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            ld_out as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_stride as isize,
            a.row_stride as isize,
            b.data.as_ptr(),
            b.col_stride as isize,
            b.row_stride as isize,
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// [`product`] of two row-major matrices: a (m × k, row stride `lda`) · b (k × n, `ldb`).
#[allow(clippy::too_many_arguments)]
pub fn matmul(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    out: &mut [f32],
    ld_out: usize,
    accumulate: bool,
) {
    product(
        m,
        k,
        n,
        Mat::rows(a, lda),
        Mat::rows(b, ldb),
        out,
        ld_out,
        accumulate,
    )
}

/// Median GFLOP/s (2·m·n·k per product) of `runs` products (m × k)·(k × n) of this
/// kernel, the rows split into one block per thread of the current rayon pool: the
/// machine's peak that model figures are quoted against.
pub fn sgemm_gflops(m: usize, k: usize, n: usize, runs: usize) -> f64 {
    use rayon::prelude::*;
    let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 * 0.1).collect();
    let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.1).collect();
    let mut out = vec![0f32; m * n];
    let block = m.div_ceil(rayon::current_num_threads());
    let mut product = || {
        out.par_chunks_mut(block * n)
            .zip(a.par_chunks(block * k))
            .for_each(|(o, a)| matmul(a.len() / k, k, n, a, k, &b, n, o, n, false));
    };
    product(); // warm-up
    let mut t: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let s = std::time::Instant::now();
            product();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    2.0 * (m * n * k) as f64 / t[t.len() / 2] / 1e9
}

/// A dense layer on host arrays: y = x·W + b, W stored (d_in, d_out) row-major (burn's layout).
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    pub d_in: usize,
    pub d_out: usize,
    /// (d_in, d_out) row-major.
    pub w: Vec<f32>,
    /// (d_out,); zeros for a layer without bias.
    pub b: Vec<f32>,
}

impl Dense {
    /// Copies a burn `Linear` out of its tensors.
    pub fn from_linear(l: &burn::nn::Linear) -> Dense {
        let w = l.weight.val();
        let [d_in, d_out] = w.dims();
        let host =
            |t: burn::tensor::Tensor<1>| t.into_data().try_to_vec::<f32>().unwrap_or_default();
        Dense {
            d_in,
            d_out,
            w: w.into_data().try_to_vec::<f32>().unwrap_or_default(),
            b: l.bias
                .as_ref()
                .map(|b| host(b.val()))
                .unwrap_or_else(|| vec![0.0; d_out]),
        }
    }

    /// out (n, d_out; row stride `ld_out`) = x (n, d_in; row stride `ldx`) · W + b.
    pub fn apply(&self, n: usize, x: &[f32], ldx: usize, out: &mut [f32], ld_out: usize) {
        for r in 0..n {
            out[r * ld_out..r * ld_out + self.d_out].copy_from_slice(&self.b);
        }
        matmul(
            n, self.d_in, self.d_out, x, ldx, &self.w, self.d_out, out, ld_out, true,
        );
    }

    /// out += x · W + b (a residual connection), shapes as [`Self::apply`].
    pub fn add_to(&self, n: usize, x: &[f32], ldx: usize, out: &mut [f32], ld_out: usize) {
        for r in 0..n {
            out[r * ld_out..r * ld_out + self.d_out]
                .iter_mut()
                .zip(&self.b)
                .for_each(|(o, b)| *o += b);
        }
        matmul(
            n, self.d_in, self.d_out, x, ldx, &self.w, self.d_out, out, ld_out, true,
        );
    }
}

/// e^x for f32 to about 2 ulp over the range where it is finite and normal; x is clamped
/// to [−87.3, 88.7] (so large negative arguments give ≈ 1.2e-38, never a subnormal or 0).
/// Cody–Waite reduction x = n·ln2 + r with |r| ≤ ln2/2, then the degree-7 Taylor
/// polynomial of e^r (truncation error r⁸/8! ≤ 5e-9, under f32 resolution), then 2ⁿ
/// built in the exponent bits.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding 1.5·2²³ rounds to the nearest integer (ties to even) and leaves it in the
    // low mantissa bits: no libm `round`, no saturating float→int cast, so it vectorises.
    const MAGIC: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.7);
    let t = x * std::f32::consts::LOG2_E + MAGIC;
    let n = t - MAGIC;
    let ni = t.to_bits() as i32 - MAGIC.to_bits() as i32;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // n ∈ [−126, 128]: 2ⁿ as bits (n = 128 only at the clamp's top, where p < 1 keeps the
    // product finite: split it into 2^⌊n/2⌋ · 2^⌈n/2⌉).
    let half = ni >> 1;
    let s1 = f32::from_bits(((half + 127) as u32) << 23);
    let s2 = f32::from_bits(((ni - half + 127) as u32) << 23);
    p * s1 * s2
}

/// SiLU(x) = x·σ(x) = x / (1 + e^(−x)).
#[inline(always)]
pub fn silu_f32(x: f32) -> f32 {
    x / (1.0 + exp_f32(-x))
}

/// d SiLU / dx = σ(x)·(1 + x·(1 − σ(x))).
#[inline(always)]
pub fn silu_grad_f32(x: f32) -> f32 {
    let s = 1.0 / (1.0 + exp_f32(-x));
    s * (1.0 + x * (1.0 - s))
}

/// The widest vector unit of this CPU the element-wise loops are compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simd {
    Avx512,
    Avx2,
    Baseline,
}

/// This CPU's [`Simd`] level (checked once).
pub fn simd_level() -> Simd {
    static LEVEL: std::sync::OnceLock<Simd> = std::sync::OnceLock::new();
    *LEVEL.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx2") {
                return Simd::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") {
                return Simd::Avx2;
            }
        }
        Simd::Baseline
    })
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2")]
unsafe fn run_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Runs `f` compiled for this CPU's widest vector unit: `f` (an `#[inline(always)]`
/// closure over `#[inline(always)]` loops) is inlined into a function built with AVX-512
/// or AVX2 enabled. Element-wise results are the same bits at every level: the loops
/// have no reductions the compiler may reorder and no fused multiply-add is formed.
#[inline(always)]
pub fn dispatch<R>(f: impl FnOnce() -> R) -> R {
    match simd_level() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has AVX-512F and AVX2 (checked by `simd_level`).
        Simd::Avx512 => unsafe { run_avx512(f) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has AVX2 (checked by `simd_level`).
        Simd::Avx2 => unsafe { run_avx2(f) },
        _ => f(),
    }
}

/// d ← d ⊙ SiLU′(z): the gradient through y = SiLU(z), given dL/dy in `d`.
pub fn silu_backward(z: &[f32], d: &mut [f32]) {
    assert_eq!(z.len(), d.len());
    dispatch(
        #[inline(always)]
        || {
            for (d, &z) in d.iter_mut().zip(z) {
                *d *= silu_grad_f32(z);
            }
        },
    )
}

/// y ← SiLU(z) for the whole slice, keeping z.
pub fn silu_into(z: &[f32], y: &mut [f32]) {
    assert_eq!(z.len(), y.len());
    dispatch(
        #[inline(always)]
        || {
            for (y, &z) in y.iter_mut().zip(z) {
                *y = silu_f32(z);
            }
        },
    )
}

/// x ← SiLU(x) element-wise.
pub fn silu_in_place(x: &mut [f32]) {
    dispatch(
        #[inline(always)]
        || {
            for v in x.iter_mut() {
                *v = silu_f32(*v);
            }
        },
    )
}

/// Each row r of x (rows of `b.len()`): x_r ← SiLU(x_r + b).
pub fn bias_silu_rows(x: &mut [f32], b: &[f32]) {
    dispatch(
        #[inline(always)]
        || {
            for row in x.chunks_exact_mut(b.len()) {
                for (v, b) in row.iter_mut().zip(b) {
                    *v = silu_f32(*v + b);
                }
            }
        },
    )
}

/// Lanes of [`lane_sum`] and [`lane_dot`].
const LANES: usize = 16;

/// Σ f(a_i, b_i) in 16 interleaved partial sums (lane k takes i ≡ k mod 16), the lanes
/// then added pairwise: a fixed order, so the compiler can vectorise it and every SIMD
/// level gives the same bits.
#[inline(always)]
fn lane_reduce(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f32 {
    let mut acc = [0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..LANES {
            acc[k] += f(x[k], y[k]);
        }
    }
    for (k, (x, y)) in ra.iter().zip(rb).enumerate() {
        acc[k] += f(*x, *y);
    }
    let mut w = LANES;
    while w > 1 {
        w /= 2;
        for k in 0..w {
            acc[k] += acc[k + w];
        }
    }
    acc[0]
}

/// Σ x_i in a fixed lane order (see `lane_reduce`).
#[inline(always)]
pub fn lane_sum(x: &[f32]) -> f32 {
    lane_reduce(x, x, |a, _| a)
}

/// Σ a_i·b_i in a fixed lane order (see `lane_reduce`).
#[inline(always)]
pub fn lane_dot(a: &[f32], b: &[f32]) -> f32 {
    lane_reduce(a, b, |x, y| x * y)
}

/// Mean and 1/√(biased variance + eps) of one row (two passes, lane sums).
#[inline(always)]
pub fn layer_norm_stats(x: &[f32], eps: f32) -> (f32, f32) {
    let n = x.len() as f32;
    let mean = lane_sum(x) / n;
    let var = lane_reduce(x, x, |v, _| (v - mean) * (v - mean)) / n;
    (mean, 1.0 / (var + eps).sqrt())
}

/// LayerNorm of one row in place: (x − mean)/√(var + eps)·γ + β, biased variance (as
/// burn's and PyTorch's LayerNorm), two passes in f32.
#[inline(always)]
pub fn layer_norm_row(x: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let (mean, inv) = layer_norm_stats(x, eps);
    for ((v, g), b) in x.iter_mut().zip(gamma).zip(beta) {
        *v = (*v - mean) * (inv * g) + b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_two_ulp_of_libm() {
        let mut worst = 0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let want = (x as f64).exp();
            let got = exp_f32(x) as f64;
            worst = worst.max(((got - want) / want).abs());
            x += 0.0137;
        }
        assert!(worst < 3e-7, "worst relative error {worst}");
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(-1e4) > 0.0 && exp_f32(-1e4) < 1.3e-38);
        assert!(exp_f32(1e4).is_finite());
    }

    #[test]
    fn silu_matches_its_definition_and_its_limits() {
        for i in -2000..=2000 {
            let x = i as f32 / 20.0;
            let want = x as f64 / (1.0 + (-x as f64).exp());
            let got = silu_f32(x) as f64;
            assert!((got - want).abs() <= 3e-7 * (1.0 + want.abs()), "{x}");
        }
        assert_eq!(silu_f32(0.0), 0.0);
        assert!(silu_f32(-200.0) <= 0.0 && silu_f32(-200.0) > -1e-30);
        assert_eq!(silu_f32(200.0), 200.0);
        // The vectorised slice version gives the scalar's bits.
        let mut v: Vec<f32> = (0..1001).map(|i| (i as f32 - 500.0) * 0.031).collect();
        let want: Vec<f32> = v.iter().map(|&x| silu_f32(x)).collect();
        silu_in_place(&mut v);
        assert_eq!(v, want);
    }

    #[test]
    fn strided_matmul_multiplies_column_blocks() {
        // [[1,2],[3,4]] · [[5,6],[7,8]] = [[19,22],[43,50]], A the left half of a 2×4 array.
        let a = [1.0, 2.0, -9.0, -9.0, 3.0, 4.0, -9.0, -9.0];
        let b = [5.0, 6.0, 7.0, 8.0];
        let mut out = [1.0; 6];
        matmul(2, 2, 2, &a, 4, &b, 2, &mut out, 3, false);
        assert_eq!(out, [19.0, 22.0, 1.0, 43.0, 50.0, 1.0]);
        matmul(2, 2, 2, &a, 4, &b, 2, &mut out, 3, true);
        assert_eq!(out, [38.0, 44.0, 1.0, 86.0, 100.0, 1.0]);
        // Aᵀ·B with A = [[1,2],[3,4]] stored in a 2×4 array: [[1,3],[2,4]]·B = [[26,30],[38,44]].
        product(
            2,
            2,
            2,
            Mat::transposed(&a, 4),
            Mat::rows(&b, 2),
            &mut out,
            3,
            false,
        );
        assert_eq!(out, [26.0, 30.0, 1.0, 38.0, 44.0, 1.0]);
        // A·Bᵀ = [[1,2],[3,4]]·[[5,7],[6,8]] = [[17,23],[39,53]].
        product(
            2,
            2,
            2,
            Mat::rows(&a, 4),
            Mat::transposed(&b, 2),
            &mut out,
            3,
            false,
        );
        assert_eq!(out, [17.0, 23.0, 1.0, 39.0, 53.0, 1.0]);
    }

    #[test]
    fn layer_norm_of_a_textbook_row() {
        // x = (1, 2, 3, 4): mean 2.5, biased variance 1.25.
        let mut x = [1.0f32, 2.0, 3.0, 4.0];
        layer_norm_row(&mut x, &[1.0; 4], &[0.5; 4], 0.0);
        let s = 1.25f32.sqrt();
        for (got, want) in x.iter().zip([-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]) {
            assert!((got - (want + 0.5)).abs() < 1e-6);
        }
    }
}
