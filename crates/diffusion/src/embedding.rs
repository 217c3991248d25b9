//! Sinusoidal time embeddings (Vaswani et al. 2017, as used by DDPM).

/// Writes the interleaved embedding of timestep `t` into `out` (length d, even):
/// PE(t, 2i) = sin(t / 10000^(2i/d)), PE(t, 2i+1) = cos(t / 10000^(2i/d)).
pub fn sinusoidal_into(t: f64, out: &mut [f32]) {
    let d = out.len();
    for i in 0..d / 2 {
        let freq = 10000f64.powf(-((2 * i) as f64) / d as f64);
        let arg = t * freq;
        out[2 * i] = arg.sin() as f32;
        out[2 * i + 1] = arg.cos() as f32;
    }
}

/// Embeddings of several timesteps, row-major (ts.len(), d).
pub fn sinusoidal(ts: &[usize], d: usize) -> Vec<f32> {
    let mut out = vec![0f32; ts.len() * d];
    for (row, &t) in out.chunks_exact_mut(d).zip(ts) {
        sinusoidal_into(t as f64, row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaved_sin_cos() {
        let e = sinusoidal(&[0, 3], 8);
        // t = 0: sin 0 = 0, cos 0 = 1 alternately.
        assert_eq!(&e[..8], &[0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]);
        // t = 3, i = 0: frequency 1.
        assert!((e[8] - 3f32.sin()).abs() < 1e-7);
        assert!((e[9] - 3f32.cos()).abs() < 1e-7);
        // i = 1: frequency 10000^(-2/8) = 0.1.
        assert!((e[10] - 0.3f32.sin()).abs() < 1e-7);
    }
}
