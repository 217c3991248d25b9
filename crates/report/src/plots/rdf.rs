//! The radial distribution function g(r) of the training and of the generated
//! structures (means over each set) on one axis, with g = 1 marked.
//!
//! Pairs of atoms closer than [`OVERLAP_CUTOFF_A`] are overlapping atoms, not structure:
//! g(r) divides a bin's pair count by its shell volume 4πr²dr, so a few such pairs in the
//! first bins become a spike of hundreds near r = 0 that flattens every real peak (de novo
//! samples have them). [`Curve::of`] leaves those bins out of the curve; the figure shades
//! the range left out and states, under the axis, how many such pairs each set has (mean
//! per structure, from the bins' pair counts) and in how many structures (from the
//! structures' minimum distances).

use super::common::{caption, text, text_centered, tick, wide_line};
use super::{DResult, PlotData, SetFigures};
use crate::style;
use crystal::analysis::MeanRdf;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

/// Distance in Å below which a pair of atoms counts as overlapping: bins that start below
/// it are left out of the drawn g(r) and their pairs counted instead. Well under any bond
/// (H–H 0.74 Å) and the validator's default threshold (0.7 Å).
pub const OVERLAP_CUTOFF_A: f64 = 0.5;

/// One set's g(r) as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// (r in Å, g) of the bins that start at or beyond the cutoff; finite values only.
    pub points: Vec<(f64, f64)>,
    /// Lower edge in Å of the first bin kept: pairs closer than this are left out.
    pub from_a: f64,
    /// Mean number of atom pairs per structure left out (unordered, periodic images
    /// included); `None` when the pair counts are not known.
    pub overlap_pairs_per_structure: Option<f64>,
}

impl Curve {
    /// The drawn curve of a mean RDF, bins starting below [`OVERLAP_CUTOFF_A`] left out.
    pub fn of(m: &MeanRdf) -> Curve {
        // Bin width from the centres (the first centre is half a bin when there is one).
        let bin_a = match m.r_a.as_slice() {
            [a, b, ..] if b > a => b - a,
            [a, ..] if *a > 0.0 => 2.0 * a,
            _ => 0.0,
        };
        let starts_below = |r: f64| r - bin_a / 2.0 < OVERLAP_CUTOFF_A - 1e-9;
        let points: Vec<(f64, f64)> = m
            .r_a
            .iter()
            .zip(&m.g)
            .filter(|(r, g)| r.is_finite() && g.is_finite() && !starts_below(**r))
            .map(|(r, g)| (*r, *g))
            .collect();
        let from_a = m
            .r_a
            .iter()
            .copied()
            .filter(|r| r.is_finite() && !starts_below(*r))
            .map(|r| r - bin_a / 2.0)
            .fold(f64::INFINITY, f64::min);
        let from_a = if from_a.is_finite() {
            from_a.max(0.0)
        } else {
            OVERLAP_CUTOFF_A
        };
        // `counts` are ordered pairs (each pair twice), mean per structure.
        let overlap_pairs_per_structure = (m.counts.len() == m.r_a.len()).then(|| {
            m.r_a
                .iter()
                .zip(&m.counts)
                .filter(|(r, c)| starts_below(**r) && c.is_finite())
                .map(|(_, c)| c)
                .sum::<f64>()
                / 2.0
        });
        Curve {
            points,
            from_a,
            overlap_pairs_per_structure,
        }
    }
}

/// Structures with atoms closer than [`OVERLAP_CUTOFF_A`], of those whose minimum distance
/// is known: `(with overlaps, known)`.
pub fn structures_with_overlaps(set: &SetFigures) -> (usize, usize) {
    let known: Vec<f64> = set
        .min_distance
        .iter()
        .copied()
        .filter(|d| d.is_finite())
        .collect();
    let with = known.iter().filter(|d| **d < OVERLAP_CUTOFF_A).count();
    (with, known.len())
}

/// The sentence on one set's left-out pairs, e.g. "generated: 0.95 pairs per structure,
/// in 12 of 60 structures", or "training (real): none".
pub fn overlap_note(name: &str, c: &Curve, set: &SetFigures) -> String {
    let (with, known) = structures_with_overlaps(set);
    let pairs = match c.overlap_pairs_per_structure {
        Some(p) if p == 0.0 && with == 0 => return format!("{name}: none"),
        Some(p) => format!("{} pairs per structure", tick(&p)),
        None => "pairs not counted".to_string(),
    };
    if known > 0 {
        format!("{name}: {pairs}, in {with} of {known} structures")
    } else {
        format!("{name}: {pairs}")
    }
}

pub fn draw<DB: DrawingBackend>(d: &PlotData, root: &DrawingArea<DB, Shift>) -> DResult
where
    DB::ErrorType: 'static,
{
    let sets: Vec<(&str, Curve, &SetFigures, RGBColor)> = [
        (
            "training (real)",
            d.rdf_training.as_ref(),
            &d.training,
            style::TRAINING,
        ),
        (
            "generated",
            d.rdf_generated.as_ref(),
            &d.generated,
            style::GENERATED,
        ),
    ]
    .into_iter()
    .filter_map(|(n, m, f, c)| m.map(|m| (n, Curve::of(m), f, c)))
    .collect();
    let all: Vec<(f64, f64)> = sets.iter().flat_map(|s| s.1.points.clone()).collect();
    if all.is_empty() {
        return Ok(());
    }
    let rmax = all.iter().map(|p| p.0).fold(0.0, f64::max).max(1.0);
    let gmax = all.iter().map(|p| p.1).fold(1.0, f64::max) * 1.1;
    let from_a = sets
        .iter()
        .map(|s| s.1.from_a)
        .fold(OVERLAP_CUTOFF_A, f64::max);

    // Two lines under the chart: what is left out, and each set's count.
    let (w, h) = root.dim_in_pixel();
    let note_h = 52;
    let (chart_area, note_area) = root.split_vertically(h.saturating_sub(note_h));
    note_area.draw(&Text::new(
        format!(
            "Shaded: pairs closer than {} Å (overlapping atoms), left out of g(r).",
            tick(&from_a)
        ),
        (w as i32 / 2, 12),
        text_centered(15),
    ))?;
    let counts: Vec<String> = sets
        .iter()
        .map(|(n, c, f, _)| overlap_note(n, c, f))
        .collect();
    note_area.draw(&Text::new(
        counts.join("; "),
        (w as i32 / 2, 34),
        text_centered(15),
    ))?;

    let mut chart = ChartBuilder::on(&chart_area)
        .caption(
            "Radial distribution function, real vs generated",
            caption(24),
        )
        .margin(16)
        .margin_bottom(4)
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
    let shade = BLACK.mix(0.08).filled();
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(0.0, 0.0), (from_a.min(rmax), gmax)],
            shade,
        )))?
        .label(format!("r < {} Å: left out", tick(&from_a)))
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 22, y + 6)], shade));
    chart
        .draw_series(std::iter::once(DashedPathElement::new(
            vec![(0.0, 1.0), (rmax, 1.0)],
            6,
            6,
            BLACK.mix(0.5).stroke_width(1),
        )))?
        .label("g = 1 (ideal gas)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], BLACK.mix(0.5)));
    for (name, c, _, color) in &sets {
        let st = color.stroke_width(3);
        chart
            .draw_series(wide_line(&c.points, st))?
            .label(*name)
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
    use crate::plots::Plot;

    /// A de novo-like mean RDF: a few overlapping pairs at 0.05 Å (g in the hundreds) and
    /// the real first-neighbour peak at 2.45 Å.
    fn overlapping() -> MeanRdf {
        let r_a: Vec<f64> = (0..60).map(|b| (b as f64 + 0.5) * 0.1).collect();
        let mut counts = vec![0.0; 60];
        let mut g = vec![0.0; 60];
        counts[0] = 0.4; // 0.2 unordered pairs per structure at 0.05 Å
        g[0] = 350.0;
        counts[3] = 0.1; // 0.35 Å
        g[3] = 3.0;
        counts[5] = 0.2; // 0.55 Å: beyond the cutoff, kept
        g[5] = 0.6;
        for (b, gb) in g.iter_mut().enumerate().skip(20) {
            *gb = if b == 24 { 4.0 } else { 1.0 };
            counts[b] = 2.0;
        }
        MeanRdf { r_a, counts, g }
    }

    #[test]
    fn overlapping_pairs_are_left_out_and_counted() {
        let c = Curve::of(&overlapping());
        assert!((c.from_a - OVERLAP_CUTOFF_A).abs() < 1e-9, "{}", c.from_a);
        assert!(c.points.iter().all(|p| p.0 > OVERLAP_CUTOFF_A));
        assert_eq!(c.points.len(), 55);
        assert!((c.points[0].0 - 0.55).abs() < 1e-9);
        // The real peak is now the largest value.
        let gmax = c.points.iter().map(|p| p.1).fold(0.0, f64::max);
        assert_eq!(gmax, 4.0);
        // (0.4 + 0.1) ordered pairs per structure = 0.25 pairs.
        let p = c.overlap_pairs_per_structure.unwrap();
        assert!((p - 0.25).abs() < 1e-12, "{p}");
        let set = SetFigures {
            min_distance: vec![0.04, 0.3, 2.4, f64::NAN, 2.5],
            ..SetFigures::default()
        };
        assert_eq!(structures_with_overlaps(&set), (2, 4));
        assert_eq!(
            overlap_note("generated", &c, &set),
            "generated: 0.25 pairs per structure, in 2 of 4 structures"
        );
        // Unknown pair counts are said so.
        let m = MeanRdf {
            counts: Vec::new(),
            ..overlapping()
        };
        assert_eq!(Curve::of(&m).overlap_pairs_per_structure, None);
    }

    #[test]
    fn figure_states_the_cutoff_and_the_count() {
        let d = PlotData {
            rdf_generated: Some(overlapping()),
            generated: SetFigures {
                min_distance: vec![0.04, 2.4],
                ..SetFigures::default()
            },
            ..PlotData::default()
        };
        let svg = d.svg(Plot::Rdf).unwrap();
        assert!(
            svg.contains("pairs closer than 0.5 Å (overlapping atoms)"),
            "cutoff stated"
        );
        assert!(
            svg.contains("generated: 0.25 pairs per structure, in 1 of 2 structures"),
            "count stated"
        );
        // The y axis is scaled to the kept bins (peak 4), not to the 350 spike.
        assert!(!svg.contains(">350<") && !svg.contains(">300<"));
        assert!(Plot::Rdf
            .description()
            .contains(&format!("{} Å", tick(&OVERLAP_CUTOFF_A))));
    }
}
