//! The loss curve: training loss per optimisation step (thin), its epoch means (thick,
//! with markers) and the validation loss where `loss.csv` has one, on a linear or a
//! logarithmic loss axis. Long histories are thinned to bucket means for drawing.

use super::common::{caption, text, tick};
use super::{DResult, PlotData};
use crate::hist::pad;
use crate::style;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most points drawn for the per-step line.
const MAX_POINTS: usize = 2000;

/// Bucket means of `pts` down to at most `max` points (unchanged when already short).
pub fn thin(pts: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if pts.len() <= max || max == 0 {
        return pts.to_vec();
    }
    let per = pts.len().div_ceil(max);
    pts.chunks(per)
        .map(|c| {
            let n = c.len() as f64;
            (
                c.iter().map(|p| p.0).sum::<f64>() / n,
                c.iter().map(|p| p.1).sum::<f64>() / n,
            )
        })
        .collect()
}

/// A logarithmic axis for values in [lo, hi] (both > 0): bounds on the 1-2-5 sequence
/// around them, and labelled key points at 1, 2, 5 × 10^k (powers of ten only when
/// the range spans many decades).
pub fn log_axis(lo: f64, hi: f64) -> (f64, f64, Vec<f64>) {
    if !(lo > 0.0 && lo.is_finite() && hi.is_finite() && hi >= lo) {
        return (0.1, 1.0, vec![0.1, 0.2, 0.5, 1.0]);
    }
    let seq = |k: i32| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k));
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let all: Vec<f64> = (k0..=k1).flat_map(seq).collect();
    let a = all
        .iter()
        .copied()
        .filter(|v| *v <= lo * (1.0 + 1e-12))
        .fold(all[0], f64::max);
    let b = all
        .iter()
        .copied()
        .filter(|v| *v >= hi * (1.0 - 1e-12))
        .fold(f64::INFINITY, f64::min);
    let b = if b.is_finite() && b > a { b } else { a * 10.0 };
    let mut keys: Vec<f64> = all.into_iter().filter(|v| *v >= a && *v <= b).collect();
    if keys.len() > 12 {
        keys.retain(|v| (v.log10() - v.log10().round()).abs() < 1e-9);
    }
    (a, b, keys)
}

pub fn draw<DB: DrawingBackend>(d: &PlotData, root: &DrawingArea<DB, Shift>) -> DResult
where
    DB::ErrorType: 'static,
{
    let Some(loss) = &d.loss else { return Ok(()) };
    let keep = |y: f64| y.is_finite() && (!d.log_loss || y > 0.0);
    let steps: Vec<(f64, f64)> = loss
        .steps
        .iter()
        .map(|&(s, _, l)| (s, l))
        .filter(|p| keep(p.1))
        .collect();
    let per_epoch_only = loss.one_row_per_epoch();
    let means: Vec<(f64, f64)> = if per_epoch_only {
        Vec::new()
    } else {
        loss.epoch_means()
            .into_iter()
            .filter(|p| keep(p.1))
            .collect()
    };
    let val: Vec<(f64, f64)> = loss.val.iter().copied().filter(|p| keep(p.1)).collect();
    let all = || steps.iter().chain(&means).chain(&val);
    let (xlo, xhi) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| {
        (a.0.min(p.0), a.1.max(p.0))
    });
    let (ylo, yhi) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| {
        (a.0.min(p.1), a.1.max(p.1))
    });
    if !(xlo <= xhi && ylo <= yhi) {
        return Ok(());
    }
    let x = if xlo < xhi {
        (xlo, xhi)
    } else {
        pad(xlo, xhi, 0.0)
    };
    // Every row carries the step count reached (train logs epoch ends only).
    let x_desc = "optimisation step";
    let series = Series {
        steps: thin(&steps, MAX_POINTS),
        per_epoch_only,
        means,
        val,
        x_desc,
        x_labels: 10,
    };
    if d.log_loss {
        let (lo, hi, keys) = log_axis(ylo, yhi);
        chart(
            root,
            &series,
            x,
            (lo..hi).log_scale().with_key_points(keys),
            "loss (log scale)",
        )
    } else {
        let (lo, hi) = pad(ylo, yhi, 0.05);
        let lo = if ylo >= 0.0 { 0.0 } else { lo };
        chart(root, &series, x, lo..hi, "loss")
    }
}

struct Series {
    steps: Vec<(f64, f64)>,
    per_epoch_only: bool,
    means: Vec<(f64, f64)>,
    val: Vec<(f64, f64)>,
    x_desc: &'static str,
    x_labels: usize,
}

fn chart<DB, Y>(
    root: &DrawingArea<DB, Shift>,
    s: &Series,
    x: (f64, f64),
    y: Y,
    y_desc: &str,
) -> DResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption("Training loss", caption(24))
        .margin(16)
        .x_label_area_size(52)
        .y_label_area_size(80)
        .build_cartesian_2d(x.0..x.1, y)?;
    chart
        .configure_mesh()
        .light_line_style(BLACK.mix(0.05))
        .bold_line_style(BLACK.mix(0.12))
        .x_desc(s.x_desc)
        .y_desc(y_desc)
        .axis_desc_style(text(18))
        .label_style(text(15))
        .x_labels(s.x_labels)
        .y_labels(14)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .draw()?;
    if !s.steps.is_empty() {
        let (name, st) = if s.per_epoch_only {
            ("training loss (epoch)", style::GENERATED.stroke_width(3))
        } else {
            (
                "training loss (per step)",
                style::GENERATED.mix(0.35).stroke_width(1),
            )
        };
        chart
            .draw_series(LineSeries::new(s.steps.iter().copied(), st))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], st));
    }
    if !s.means.is_empty() {
        let st = style::GENERATED.stroke_width(3);
        chart
            .draw_series(
                LineSeries::new(s.means.iter().copied(), st).point_size(if s.means.len() <= 100 {
                    3
                } else {
                    0
                }),
            )?
            .label("epoch mean")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], st));
    }
    if !s.val.is_empty() {
        let st = style::TRAINING.stroke_width(3);
        chart
            .draw_series(
                LineSeries::new(s.val.iter().copied(), st).point_size(if s.val.len() <= 100 {
                    4
                } else {
                    0
                }),
            )?
            .label("validation loss")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], st));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(text(16))
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axis_uses_the_one_two_five_sequence() {
        let (a, b, k) = log_axis(0.013, 0.94);
        assert!(
            (a - 0.01).abs() < 1e-12 && (b - 1.0).abs() < 1e-12,
            "{a} {b}"
        );
        assert_eq!(k.len(), 7); // 0.01 0.02 0.05 0.1 0.2 0.5 1
        let (a, b, _) = log_axis(0.2, 1.0);
        assert!(
            (a - 0.2).abs() < 1e-12 && (b - 1.0).abs() < 1e-12,
            "{a} {b}"
        );
        let (_, _, k) = log_axis(1e-9, 1e3);
        assert!(
            k.len() <= 13
                && k.iter()
                    .all(|v| (v.log10() - v.log10().round()).abs() < 1e-9)
        );
        let (a, b, _) = log_axis(0.5, 0.5);
        assert!(a <= 0.5 && b > a);
    }

    #[test]
    fn thinning_keeps_short_series_and_averages_long_ones() {
        let pts: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, i as f64)).collect();
        assert_eq!(thin(&pts, 20), pts);
        let t = thin(&pts, 5);
        assert_eq!(
            t,
            vec![(0.5, 0.5), (2.5, 2.5), (4.5, 4.5), (6.5, 6.5), (8.5, 8.5)]
        );
        assert!(thin(&pts, 3).len() <= 3);
    }
}
