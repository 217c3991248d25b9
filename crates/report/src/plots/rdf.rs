//! The radial distribution function g(r) of the training and of the generated
//! structures (means over each set) on one axis, with g = 1 marked.

use super::common::{caption, text, tick};
use super::{DResult, PlotData};
use crate::style;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

pub fn draw<DB: DrawingBackend>(d: &PlotData, root: &DrawingArea<DB, Shift>) -> DResult
where
    DB::ErrorType: 'static,
{
    type Curve = (Vec<f64>, Vec<f64>);
    let sets: Vec<(&str, &Curve, RGBColor)> = [
        ("training (real)", d.rdf_training.as_ref(), style::TRAINING),
        ("generated", d.rdf_generated.as_ref(), style::GENERATED),
    ]
    .into_iter()
    .filter_map(|(n, s, c)| s.map(|s| (n, s, c)))
    .collect();
    let pts = |s: &(Vec<f64>, Vec<f64>)| -> Vec<(f64, f64)> {
        s.0.iter()
            .zip(&s.1)
            .filter(|(r, g)| r.is_finite() && g.is_finite())
            .map(|(r, g)| (*r, *g))
            .collect()
    };
    let all: Vec<(f64, f64)> = sets.iter().flat_map(|s| pts(s.1)).collect();
    if all.is_empty() {
        return Ok(());
    }
    let rmax = all.iter().map(|p| p.0).fold(0.0, f64::max).max(1.0);
    let gmax = all.iter().map(|p| p.1).fold(1.0, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(root)
        .caption(
            "Radial distribution function, real vs generated",
            caption(24),
        )
        .margin(16)
        .x_label_area_size(52)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..rmax, 0.0..gmax)?;
    chart
        .configure_mesh()
        .light_line_style(BLACK.mix(0.05))
        .bold_line_style(BLACK.mix(0.12))
        .x_desc("r (Å)")
        .y_desc("g(r)")
        .axis_desc_style(text(18))
        .label_style(text(15))
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .draw()?;
    chart
        .draw_series(std::iter::once(DashedPathElement::new(
            vec![(0.0, 1.0), (rmax, 1.0)],
            6,
            6,
            BLACK.mix(0.5).stroke_width(1),
        )))?
        .label("g = 1 (ideal gas)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], BLACK.mix(0.5)));
    for (name, s, color) in &sets {
        let color = *color;
        chart
            .draw_series(LineSeries::new(pts(s), color.stroke_width(3)))?
            .label(*name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(3))
            });
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
