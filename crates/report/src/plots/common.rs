//! Drawing helpers the figures share: text styles, a structure drawn in a pixel box, an
//! element legend, a histogram panel (generated bars, training outline, optional
//! threshold line) and a valid/invalid scatter panel.

use super::DResult;
use crate::hist::{pad, range_of, Histogram};
use crate::projection::{Camera, Scene};
use crate::run::View;
use crate::style::{self, FONT};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Text of `size` px, black.
pub fn text(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

/// Text of `size` px centred on its position.
pub fn text_centered(size: u32) -> TextStyle<'static> {
    text(size).pos(Pos::new(HPos::Center, VPos::Center))
}

/// Tick label of a number: integers without decimals, others with at most three.
pub fn tick(v: &f64) -> String {
    let v = *v;
    if !v.is_finite() {
        return String::new();
    }
    if (v - v.round()).abs() < 1e-9 * v.abs().max(1.0) {
        return format!("{}", v.round() as i64);
    }
    let a = v.abs();
    let s = if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else if a >= 0.001 {
        format!("{v:.3}")
    } else {
        format!("{v:.1e}")
    };
    if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A line wider than 1 px as one two-point path per segment, for `draw_series`.
///
/// plotters' bitmap backend draws a wider path by turning the whole polyline into one
/// polygon (`plotters_backend::rasterizer::polygonize`) and filling it. At a sharp turn
/// the inner offset lines meet far from the vertex (only the outer side of a join is
/// capped), so a noisy line shoots spikes out of the frame, and the self-intersecting
/// polygon fills with gaps. A two-point path has no join, so each segment becomes a clean
/// quadrilateral; the SVG backend draws the same segments. Keep such lines short (a few
/// hundred points): the SVG holds one element per segment. A single point draws nothing
/// (give it a marker).
pub fn wide_line(pts: &[(f64, f64)], style: ShapeStyle) -> Vec<PathElement<(f64, f64)>> {
    pts.windows(2)
        .map(|w| PathElement::new(vec![w[0], w[1]], style))
        .collect()
}

/// Caption style of panels.
pub fn caption(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().into()
}

/// Draws a structure (cell edges, atoms back to front) fitted into the pixel box.
pub fn draw_structure<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    view: &View,
    bx: (f64, f64, f64, f64),
) -> DResult
where
    DB::ErrorType: 'static,
{
    let scene = Scene::new(view, Camera::default(), bx);
    let edge = style::CELL.stroke_width(2);
    for (a, b) in &scene.edges {
        area.draw(&PathElement::new(
            vec![
                (a[0].round() as i32, a[1].round() as i32),
                (b[0].round() as i32, b[1].round() as i32),
            ],
            edge,
        ))?;
    }
    for at in &scene.atoms {
        let c = (at.x.round() as i32, at.y.round() as i32);
        let r = at.r.round().max(2.0) as i32;
        area.draw(&Circle::new(
            c,
            r,
            style::element_color(&at.symbol).filled(),
        ))?;
        area.draw(&Circle::new(c, r, BLACK.mix(0.6).stroke_width(1)))?;
    }
    Ok(())
}

/// Distinct element symbols in order of first appearance.
pub fn symbols_of<'a>(views: impl IntoIterator<Item = &'a View>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in views {
        for s in &v.species {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
    }
    out
}

/// An element legend (coloured disc and symbol per element), centred on row `y`.
pub fn element_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    symbols: &[String],
    y: i32,
) -> DResult
where
    DB::ErrorType: 'static,
{
    let (w, _) = area.dim_in_pixel();
    let item = 80;
    let total = item * symbols.len() as i32;
    let mut x = (w as i32 - total) / 2 + 12;
    for s in symbols {
        area.draw(&Circle::new((x, y), 9, style::element_color(s).filled()))?;
        area.draw(&Circle::new((x, y), 9, BLACK.mix(0.6).stroke_width(1)))?;
        area.draw(&Text::new(
            s.clone(),
            (x + 16, y),
            text(18).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += item;
    }
    Ok(())
}

/// What a histogram panel shows.
pub struct HistSpec<'a> {
    pub title: &'a str,
    pub x_desc: &'a str,
    /// What the counts are a share of ("structures", "atoms").
    pub unit: &'a str,
    pub generated: &'a [f64],
    pub training: &'a [f64],
    /// A dashed vertical line: value and legend label.
    pub threshold: Option<(f64, String)>,
    pub nbins: usize,
    /// Fixed x range; else the data's range, padded.
    pub range: Option<(f64, f64)>,
}

/// A histogram panel: `generated` as bars, `training` as an outline, both as a share of
/// their own total (%), and a dashed vertical line at the threshold.
pub fn hist_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, spec: HistSpec) -> DResult
where
    DB::ErrorType: 'static,
{
    let HistSpec {
        title,
        x_desc,
        unit,
        generated,
        training,
        threshold,
        nbins,
        range,
    } = spec;
    let (lo, hi) = match range {
        Some(r) => r,
        None => range_of([generated, training])
            .map(|(lo, hi)| {
                let (lo, hi) = match &threshold {
                    Some((t, _)) => (lo.min(*t), hi.max(*t)),
                    None => (lo, hi),
                };
                pad(lo, hi, 0.05)
            })
            .unwrap_or((0.0, 1.0)),
    };
    let hg = Histogram::new(generated, lo, hi, nbins);
    let ht = Histogram::new(training, lo, hi, nbins);
    let ymax = hg
        .percent()
        .iter()
        .chain(ht.percent().iter())
        .map(|b| b.2)
        .fold(1.0f64, f64::max)
        * 1.3;
    let mut chart = ChartBuilder::on(area)
        .caption(title, caption(20))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(62)
        .build_cartesian_2d(lo..hi, 0.0..ymax)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .x_desc(x_desc)
        .y_desc(format!("share of {unit} (%)"))
        .axis_desc_style(text(16))
        .label_style(text(14))
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .draw()?;
    let n_gen = generated.iter().filter(|x| x.is_finite()).count();
    let n_train = training.iter().filter(|x| x.is_finite()).count();
    if n_gen > 0 {
        chart
            .draw_series(
                hg.percent()
                    .into_iter()
                    .filter(|b| b.2 > 0.0)
                    .map(|(l, r, p)| {
                        Rectangle::new([(l, 0.0), (r, p)], style::GENERATED.mix(0.65).filled())
                    }),
            )?
            .label(format!("generated (n = {n_gen})"))
            .legend(|(x, y)| {
                Rectangle::new(
                    [(x, y - 6), (x + 18, y + 6)],
                    style::GENERATED.mix(0.65).filled(),
                )
            });
    }
    if n_train > 0 {
        let mut pts = vec![(lo, 0.0)];
        for (l, r, p) in ht.percent() {
            pts.push((l, p));
            pts.push((r, p));
        }
        pts.push((hi, 0.0));
        chart
            .draw_series(LineSeries::new(pts, style::TRAINING.stroke_width(2)))?
            .label(format!("training (n = {n_train})"))
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], style::TRAINING.stroke_width(2))
            });
    }
    if let Some((t, label)) = threshold {
        chart
            .draw_series(std::iter::once(DashedPathElement::new(
                vec![(t, 0.0), (t, ymax)],
                8,
                5,
                style::THRESHOLD.stroke_width(2),
            )))?
            .label(label)
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], style::THRESHOLD.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(text(14))
        .draw()?;
    Ok(())
}

/// A scatter panel, invalid points first and valid points on top of them.
#[allow(clippy::too_many_arguments)]
pub fn valid_scatter<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    xs: &[f64],
    ys: &[f64],
    valid: &[Option<bool>],
) -> DResult
where
    DB::ErrorType: 'static,
{
    let (xlo, xhi) = range_of([xs])
        .map(|(a, b)| pad(a, b, 0.08))
        .unwrap_or((0.0, 1.0));
    let (ylo, yhi) = range_of([ys])
        .map(|(a, b)| pad(a, b, 0.08))
        .unwrap_or((0.0, 1.0));
    let yhi = yhi + (yhi - ylo) * 0.2; // room for the legend
    let mut chart = ChartBuilder::on(area)
        .caption(title, caption(20))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(62)
        .build_cartesian_2d(xlo..xhi, ylo..yhi)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(text(16))
        .label_style(text(14))
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .draw()?;
    let pts = |want: Option<bool>| -> Vec<(f64, f64)> {
        xs.iter()
            .zip(ys)
            .zip(valid.iter().chain(std::iter::repeat(&None)))
            .filter(|((x, y), v)| x.is_finite() && y.is_finite() && **v == want)
            .map(|((x, y), _)| (*x, *y))
            .collect()
    };
    // Invalid points are rings drawn first, valid points filled dots drawn over them:
    // where both share a position (same cell) both stay visible.
    for (want, color, name, r, filled) in [
        (None, style::BASELINE, "validity unknown", 5, true),
        (Some(false), style::INVALID, "invalid", 8, false),
        (Some(true), style::VALID, "valid", 4, true),
    ] {
        let p = pts(want);
        if p.is_empty() {
            continue;
        }
        let n = p.len();
        let st = if filled {
            color.mix(0.9).filled()
        } else {
            color.stroke_width(2)
        };
        chart
            .draw_series(p.into_iter().map(move |xy| Circle::new(xy, r, st)))?
            .label(format!("{name} (n = {n})"))
            .legend(move |(x, y)| Circle::new((x + 8, y), r.min(6), st));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(text(14))
        .draw()?;
    Ok(())
}

/// Element symbols of a view list joined for a caption.
pub fn formula_of(view: &View) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for s in &view.species {
        match counts.iter_mut().find(|(x, _)| x == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s.clone(), 1)),
        }
    }
    counts
        .into_iter()
        .map(|(s, n)| if n == 1 { s } else { format!("{s}{n}") })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels() {
        assert_eq!(tick(&50.0), "50");
        assert_eq!(tick(&-2.0), "-2");
        assert_eq!(tick(&0.5), "0.5");
        assert_eq!(tick(&2.25), "2.25");
        assert_eq!(tick(&0.125), "0.125");
        assert_eq!(tick(&1234.6), "1235");
        assert_eq!(tick(&0.0001), "1.0e-4");
        assert_eq!(tick(&f64::NAN), "");
    }
}
