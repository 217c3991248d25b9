//! The loss curve: training loss per optimisation step (thin), a mean of it (thick,
//! with markers: per epoch where epochs span several steps, per bucket of steps where
//! each epoch is one step) and the validation loss where `loss.csv` has one, on a linear
//! or a logarithmic loss axis. [`Layout::of`] decides what is drawn (series, legend
//! names, axis ranges) and [`draw`] only renders it. Long histories are thinned to bucket
//! means for drawing, and lines wider than 1 px are short and drawn segment by segment
//! (see [`super::common::wide_line`]), which the PNG backend renders like the SVG one.

use super::common::{caption, text, tick, wide_line};
use super::{DResult, PlotData};
use crate::hist::pad;
use crate::run::LossData;
use crate::style;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most points drawn for the per-step line (1 px wide).
const MAX_POINTS: usize = 2000;

/// Most points of a line drawn wider than 1 px (means, validation, short histories).
pub const MAX_WIDE_POINTS: usize = 250;

/// Where each epoch is one step, a run of more steps than this gets a thick line of
/// bucket means over the faint per-step line; shorter runs draw the steps thick.
const SMOOTH_ABOVE: usize = 200;

/// Points of the bucket-mean line of a long run of one-step epochs.
const SMOOTH_POINTS: usize = 100;

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

/// One line of the figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Legend name.
    pub name: String,
    /// (optimisation step, loss) points, inside the axis ranges.
    pub points: Vec<(f64, f64)>,
    /// Stroke width in px.
    pub width: u32,
    /// Whether it is drawn faint (the per-step line under a mean).
    pub faint: bool,
    /// Marker radius in px (0 = none).
    pub marker: u32,
    /// Validation (else training) colour.
    pub validation: bool,
}

/// Everything the loss figure draws: its lines and axis ranges.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub lines: Vec<Line>,
    /// Step axis range.
    pub x: (f64, f64),
    /// Loss axis range (on a log axis: the 1-2-5 bounds of [`log_axis`]).
    pub y: (f64, f64),
    /// Labelled points of a log axis (empty on a linear one).
    pub y_keys: Vec<f64>,
    pub x_desc: &'static str,
    pub y_desc: &'static str,
}

/// Marker radius for a line of `n` points: markers only on short lines.
fn marker(n: usize, r: u32) -> u32 {
    if n <= 100 {
        r
    } else {
        0
    }
}

impl Layout {
    /// The figure of a loss history, `None` when it has nothing drawable. Rows are
    /// optimisation steps where an epoch spans several rows (seed-mlp logs every step) or
    /// every epoch is a single step (the periodic demo, see
    /// [`LossData::one_step_per_epoch`]); otherwise each row is an epoch end carrying the
    /// epoch's mean loss (`train`). Legend names say which.
    pub fn of(loss: &LossData, log_loss: bool) -> Option<Layout> {
        let keep = |y: f64| y.is_finite() && (!log_loss || y > 0.0);
        let steps: Vec<(f64, f64)> = loss
            .steps
            .iter()
            .map(|&(s, _, l)| (s, l))
            .filter(|p| p.0.is_finite() && keep(p.1))
            .collect();
        let val: Vec<(f64, f64)> = loss
            .val
            .iter()
            .copied()
            .filter(|p| p.0.is_finite() && keep(p.1))
            .collect();
        let one_row_per_epoch = loss.one_row_per_epoch();
        let rows_are_steps = !one_row_per_epoch || loss.one_step_per_epoch();

        let mut lines = Vec::new();
        // (name, points, width in px, marker radius in px, faint, validation)
        let mut line = |name: String,
                        pts: &[(f64, f64)],
                        width: u32,
                        marker_r: u32,
                        faint: bool,
                        validation: bool| {
            if pts.is_empty() {
                return;
            }
            let points = thin(
                pts,
                if width > 1 {
                    MAX_WIDE_POINTS
                } else {
                    MAX_POINTS
                },
            );
            lines.push(Line {
                name,
                marker: marker(points.len(), marker_r),
                points,
                width,
                faint,
                validation,
            });
        };
        if !rows_are_steps {
            // `train`: one row per epoch, each the mean of the epoch's steps.
            line(
                "training loss (epoch mean)".into(),
                &steps,
                3,
                3,
                false,
                false,
            );
        } else if !one_row_per_epoch || steps.len() > SMOOTH_ABOVE {
            line("training loss (per step)".into(), &steps, 1, 0, true, false);
            if one_row_per_epoch {
                // Each epoch is one step: epoch means would repeat the steps.
                let per = steps.len().div_ceil(SMOOTH_POINTS);
                let means = thin(&steps, SMOOTH_POINTS);
                line(format!("mean of {per} steps"), &means, 3, 3, false, false);
            } else {
                let means: Vec<(f64, f64)> = loss
                    .epoch_means()
                    .into_iter()
                    .filter(|p| keep(p.1))
                    .collect();
                line("epoch mean".into(), &means, 3, 3, false, false);
            }
        } else {
            // A short run of one-step epochs: the steps themselves, thick.
            line(
                "training loss (per step)".into(),
                &steps,
                3,
                3,
                false,
                false,
            );
        }
        line("validation loss".into(), &val, 3, 4, false, true);

        let all = || lines.iter().flat_map(|l| l.points.iter());
        let (xlo, xhi) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| {
            (a.0.min(p.0), a.1.max(p.0))
        });
        let (ylo, yhi) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| {
            (a.0.min(p.1), a.1.max(p.1))
        });
        if !(xlo <= xhi && ylo <= yhi) {
            return None;
        }
        let x = if xlo < xhi {
            (xlo, xhi)
        } else {
            pad(xlo, xhi, 0.0)
        };
        let (y, y_keys, y_desc) = if log_loss {
            let (lo, hi, keys) = log_axis(ylo, yhi);
            ((lo, hi), keys, "loss (log scale)")
        } else {
            let (lo, hi) = pad(ylo, yhi, 0.05);
            let lo = if ylo >= 0.0 { 0.0 } else { lo };
            ((lo, hi), Vec::new(), "loss")
        };
        Some(Layout {
            lines,
            x,
            y,
            y_keys,
            // Every row carries the step count reached (train logs epoch ends only).
            x_desc: "optimisation step",
            y_desc,
        })
    }
}

pub fn draw<DB: DrawingBackend>(d: &PlotData, root: &DrawingArea<DB, Shift>) -> DResult
where
    DB::ErrorType: 'static,
{
    let Some(loss) = &d.loss else { return Ok(()) };
    let Some(l) = Layout::of(loss, d.log_loss) else {
        return Ok(());
    };
    if d.log_loss {
        let y = (l.y.0..l.y.1).log_scale().with_key_points(l.y_keys.clone());
        chart(root, &l, y)
    } else {
        chart(root, &l, l.y.0..l.y.1)
    }
}

fn chart<DB, Y>(root: &DrawingArea<DB, Shift>, l: &Layout, y: Y) -> DResult
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
        .build_cartesian_2d(l.x.0..l.x.1, y)?;
    chart
        .configure_mesh()
        .light_line_style(BLACK.mix(0.05))
        .bold_line_style(BLACK.mix(0.12))
        .x_desc(l.x_desc)
        .y_desc(l.y_desc)
        .axis_desc_style(text(18))
        .label_style(text(15))
        .x_labels(10)
        .y_labels(14)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .draw()?;
    for line in &l.lines {
        let color = if line.validation {
            style::TRAINING
        } else {
            style::GENERATED
        };
        let st = if line.faint {
            color.mix(0.35).stroke_width(line.width)
        } else {
            color.stroke_width(line.width)
        };
        let series = if line.width > 1 {
            chart.draw_series(wide_line(&line.points, st))?
        } else {
            chart.draw_series(LineSeries::new(line.points.iter().copied(), st))?
        };
        series
            .label(line.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], st));
        if line.marker > 0 {
            let r = line.marker;
            chart.draw_series(
                line.points
                    .iter()
                    .map(move |&p| Circle::new(p, r, color.filled())),
            )?;
        }
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
    use crate::plots::Plot;
    use crate::run::LossData;

    /// A `demo`-like history of the periodic model: one row per optimisation step, each
    /// step its own epoch (`epoch == step`), noisy and decreasing, as `loss.csv` holds it.
    fn one_step_epochs(n: usize) -> LossData {
        let mut rng = crystal::rng::Rng::new(7);
        LossData {
            steps: (1..=n)
                .map(|s| {
                    let x = s as f64;
                    let l = 0.5 + 1.7 * (-x / 300.0).exp() + 0.35 * (rng.uniform() - 0.5);
                    (x, Some(s as i64), l)
                })
                .collect(),
            val: Vec::new(),
        }
    }

    fn plot_data(loss: LossData) -> PlotData {
        PlotData {
            loss: Some(loss),
            ..PlotData::default()
        }
    }

    /// The loss figure rendered by the PNG backend, as RGB rows.
    fn png_pixels(d: &PlotData) -> (u32, u32, Vec<u8>) {
        crate::style::register_font();
        let (w, h) = Plot::Loss.size();
        let mut buf = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            d.draw(Plot::Loss, &root).unwrap();
            root.present().unwrap();
        }
        (w, h, buf)
    }

    /// A `train`-like history: one row per epoch of 13 steps, with validation.
    fn epoch_ends(n: usize) -> LossData {
        LossData {
            steps: (1..=n)
                .map(|e| (13.0 * e as f64, Some(e as i64), 1.0 / e as f64))
                .collect(),
            val: (1..=n).map(|e| (13.0 * e as f64, 1.2 / e as f64)).collect(),
        }
    }

    /// Regression: a 3 px line through 6,000 noisy steps was polygonised as a whole by
    /// the bitmap backend, whose uncapped inner joins shot above the frame and whose
    /// self-intersecting polygon filled in fragments.
    #[test]
    fn png_loss_line_stays_inside_the_frame() {
        let d = plot_data(one_step_epochs(6000));
        let (w, h, px) = png_pixels(&d);
        let blue = |x: u32, y: u32| {
            let i = ((y * w + x) * 3) as usize;
            let (r, g, b) = (px[i] as i32, px[i + 1] as i32, px[i + 2] as i32);
            b > r + 30 && b > g
        };
        // The caption band above the plotting area (top 40 px), the y-label area (left
        // 90 px) and the x-label area (bottom 60 px) hold only black text on white.
        let outside: Vec<(u32, u32)> = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| y < 40 || x < 90 || y >= h - 60)
            .filter(|&(x, y)| blue(x, y))
            .collect();
        assert!(
            outside.is_empty(),
            "{} blue pixels outside the frame, e.g. {:?}",
            outside.len(),
            &outside[..outside.len().min(5)]
        );
    }

    /// Every line lies inside the axis ranges, and only short lines are drawn wider than
    /// 1 px (the per-step line of a long run is 1 px under a thick mean).
    #[test]
    fn lines_lie_inside_the_axes_and_wide_lines_are_short() {
        for (loss, log) in [
            (one_step_epochs(6000), false),
            (one_step_epochs(6000), true),
            (one_step_epochs(50), false),
            (epoch_ends(3000), true),
        ] {
            let l = Layout::of(&loss, log).unwrap();
            for line in &l.lines {
                for &(x, y) in &line.points {
                    assert!(
                        x >= l.x.0 && x <= l.x.1,
                        "{}: x {x} outside {:?}",
                        line.name,
                        l.x
                    );
                    assert!(
                        y >= l.y.0 && y <= l.y.1,
                        "{}: y {y} outside {:?}",
                        line.name,
                        l.y
                    );
                }
                if line.width > 1 {
                    assert!(line.points.len() <= MAX_WIDE_POINTS, "{}", line.name);
                }
            }
        }
        let l = Layout::of(&one_step_epochs(6000), false).unwrap();
        let widths: Vec<(&str, u32)> = l.lines.iter().map(|l| (l.name.as_str(), l.width)).collect();
        assert_eq!(
            widths,
            [("training loss (per step)", 1), ("mean of 60 steps", 3)]
        );
    }

    /// Regression: rows that are optimisation steps (each its own epoch) were labelled
    /// "training loss (epoch)" on the step axis.
    #[test]
    fn legend_names_steps_when_rows_are_steps() {
        let svg = plot_data(one_step_epochs(600)).svg(Plot::Loss).unwrap();
        assert!(svg.contains("optimisation step"), "x axis");
        assert!(svg.contains("training loss (per step)"), "legend");
        assert!(!svg.contains("(epoch)"), "no epoch label on a step series");
        let short = Layout::of(&one_step_epochs(20), false).unwrap();
        assert_eq!(short.lines[0].name, "training loss (per step)");
        // Epoch-end rows (`train`) are epoch means; several rows per epoch (seed-mlp)
        // are steps with their epoch means.
        let names = |l: &LossData| -> Vec<String> {
            Layout::of(l, false)
                .unwrap()
                .lines
                .into_iter()
                .map(|l| l.name)
                .collect()
        };
        assert_eq!(
            names(&epoch_ends(5)),
            ["training loss (epoch mean)", "validation loss"]
        );
        let seed_mlp = LossData {
            steps: (1..=25)
                .map(|s| (s as f64, Some((s as i64 - 1) / 5 + 1), 1.0 / s as f64))
                .collect(),
            val: Vec::new(),
        };
        assert_eq!(names(&seed_mlp), ["training loss (per step)", "epoch mean"]);
    }

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
