//! Histogram binning and axis ranges.
//!
//! Small numeric helpers the plots share: equal-width binning of a sample over a range
//! (values outside it or not finite are dropped, the right edge is inclusive), a common
//! range for two samples, and padding of a range so a plot never has zero width.

/// Equal-width histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub lo: f64,
    pub hi: f64,
    pub counts: Vec<usize>,
}

impl Histogram {
    /// Bins `xs` into `nbins` equal bins over [lo, hi]; the last bin includes `hi`.
    pub fn new(xs: &[f64], lo: f64, hi: f64, nbins: usize) -> Histogram {
        let nbins = nbins.max(1);
        let mut counts = vec![0usize; nbins];
        let width = hi - lo;
        if width.is_finite() && width > 0.0 {
            for &x in xs {
                if !x.is_finite() || x < lo || x > hi {
                    continue;
                }
                let b = (((x - lo) / width) * nbins as f64) as usize;
                counts[b.min(nbins - 1)] += 1;
            }
        }
        Histogram { lo, hi, counts }
    }

    /// Width of one bin.
    pub fn bin_width(&self) -> f64 {
        (self.hi - self.lo) / self.counts.len() as f64
    }

    /// (left edge, right edge, share in %) of every bin; shares sum to 100 over the
    /// values inside the range (all zero for an empty sample).
    pub fn percent(&self) -> Vec<(f64, f64, f64)> {
        let total: usize = self.counts.iter().sum();
        let w = self.bin_width();
        self.counts
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let l = self.lo + i as f64 * w;
                let share = if total == 0 {
                    0.0
                } else {
                    100.0 * c as f64 / total as f64
                };
                (l, l + w, share)
            })
            .collect()
    }
}

/// Finite minimum and maximum of all samples, or `None` if there is no finite value.
pub fn range_of<'a>(samples: impl IntoIterator<Item = &'a [f64]>) -> Option<(f64, f64)> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for s in samples {
        for &x in s.iter().filter(|x| x.is_finite()) {
            lo = lo.min(x);
            hi = hi.max(x);
        }
    }
    (lo <= hi).then_some((lo, hi))
}

/// [lo, hi] widened by `frac` of its width on each side; a zero-width range becomes
/// [x − 0.5, x + 0.5] (scaled to |x| when large).
pub fn pad(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    let w = hi - lo;
    if w > 0.0 && w.is_finite() {
        (lo - frac * w, hi + frac * w)
    } else {
        let h = 0.5f64.max(lo.abs() * 0.05);
        (lo - h, lo + h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn binning_edges_and_outliers() {
        let h = Histogram::new(
            &[0.0, 0.25, 0.5, 0.99, 1.0, -0.1, 1.1, f64::NAN],
            0.0,
            1.0,
            4,
        );
        assert_eq!(h.counts, vec![1, 1, 1, 2]);
        assert_relative_eq!(h.bin_width(), 0.25);
        let p = h.percent();
        assert_relative_eq!(p.iter().map(|b| b.2).sum::<f64>(), 100.0);
        assert_relative_eq!(p[3].2, 40.0);
        assert_relative_eq!(p[1].0, 0.25);
    }

    #[test]
    fn degenerate_ranges() {
        let h = Histogram::new(&[1.0, 1.0], 1.0, 1.0, 0);
        assert_eq!(h.counts, vec![0]);
        assert!(h.percent().iter().all(|b| b.2 == 0.0));
        assert_eq!(pad(2.0, 2.0, 0.1), (1.5, 2.5));
        assert_eq!(pad(0.0, 10.0, 0.1), (-1.0, 11.0));
        assert_eq!(range_of([&[f64::NAN][..]]), None);
        assert_eq!(range_of([&[3.0, -1.0][..], &[7.0][..]]), Some((-1.0, 7.0)));
    }
}
