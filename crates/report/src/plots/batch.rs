//! The batch figure, twelve panels on a 3 × 4 grid: histograms of density, volume,
//! coordination and minimum distance (generated bars, training outline, the validator's
//! distance as a dashed line); the pass/fail share of generated, random-baseline and
//! training structures; atoms vs density and volume vs density coloured valid/invalid
//! (valid drawn last, so on top); the batch statistics as text; and four example
//! structures (two valid, two invalid where the batch has them).

use super::common::{
    caption, draw_structure, formula_of, hist_panel, text, text_centered, valid_scatter, HistSpec,
};
use super::{DResult, PlotData};
use crate::hist::range_of;
use crate::style;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub fn draw<DB: DrawingBackend>(d: &PlotData, root: &DrawingArea<DB, Shift>) -> DResult
where
    DB::ErrorType: 'static,
{
    let n = d.generated.density.len();
    let area = root.margin(8, 0, 0, 0).titled(
        &format!("Batch analysis of {n} generated structures"),
        caption(28),
    )?;
    let panels = area.split_evenly((3, 4));
    let g = &d.generated;
    let t = &d.training;
    let cutoff = d
        .cutoff_a
        .map(|c| format!(" (≤ {c} Å)"))
        .unwrap_or_default();
    hist_panel(
        &panels[0],
        HistSpec {
            title: "Density",
            x_desc: "density (g/cm³)",
            unit: "structures",
            generated: &g.density,
            training: &t.density,
            threshold: None,
            nbins: 25,
            range: None,
        },
    )?;
    hist_panel(
        &panels[1],
        HistSpec {
            title: "Cell volume",
            x_desc: "volume (Å³)",
            unit: "structures",
            generated: &g.volume,
            training: &t.volume,
            threshold: None,
            nbins: 25,
            range: None,
        },
    )?;
    hist_panel(
        &panels[2],
        HistSpec {
            title: "Coordination",
            x_desc: &format!("mean coordination number{cutoff}"),
            unit: "structures",
            generated: &g.coordination,
            training: &t.coordination,
            threshold: None,
            nbins: 25,
            range: None,
        },
    )?;
    hist_panel(
        &panels[3],
        HistSpec {
            title: "Minimum interatomic distance",
            x_desc: "minimum distance (Å)",
            unit: "structures",
            generated: &g.min_distance,
            training: &t.min_distance,
            threshold: Some((d.threshold_a, format!("threshold {} Å", d.threshold_a))),
            nbins: 25,
            range: None,
        },
    )?;
    pass_fail(d, &panels[4])?;
    valid_scatter(
        &panels[5],
        "Atoms vs density",
        "atoms per cell",
        "density (g/cm³)",
        &g.n_atoms,
        &g.density,
        &g.valid,
    )?;
    valid_scatter(
        &panels[6],
        "Volume vs density",
        "volume (Å³)",
        "density (g/cm³)",
        &g.volume,
        &g.density,
        &g.valid,
    )?;
    stats_text(d, &panels[7])?;
    for (k, p) in panels[8..12].iter().enumerate() {
        example(d, k, p)?;
    }
    Ok(())
}

/// Stacked pass/fail bars with the pass share written on each bar.
fn pass_fail<DB: DrawingBackend>(d: &PlotData, area: &DrawingArea<DB, Shift>) -> DResult
where
    DB::ErrorType: 'static,
{
    let bars: Vec<(&str, f64)> = [
        ("generated", d.generated.pass_rate()),
        ("random baseline", d.baseline_pass_rate),
        ("training", d.training.pass_rate()),
    ]
    .into_iter()
    .filter_map(|(n, r)| r.map(|r| (n, (r * 100.0).clamp(0.0, 100.0))))
    .collect();
    let names: Vec<String> = bars.iter().map(|b| b.0.to_string()).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("Pass / fail (min distance ≥ {} Å)", d.threshold_a),
            caption(20),
        )
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(62)
        .build_cartesian_2d(
            (0u32..(bars.len().max(1) as u32 - 1)).into_segmented(),
            0.0..119.0,
        )?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE.mix(0.0))
        .y_desc("share of structures (%)")
        .axis_desc_style(text(16))
        .label_style(text(14))
        .y_labels(7)
        .y_label_formatter(&|y| {
            if *y <= 100.0 {
                format!("{y:.0}")
            } else {
                String::new()
            }
        })
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .draw()?;
    for (i, (_, pass)) in bars.iter().enumerate() {
        let i = i as u32;
        let mut ok = Rectangle::new(
            [
                (SegmentValue::Exact(i), 0.0),
                (SegmentValue::Exact(i + 1), *pass),
            ],
            style::VALID.mix(0.85).filled(),
        );
        ok.set_margin(0, 0, 28, 28);
        let mut bad = Rectangle::new(
            [
                (SegmentValue::Exact(i), *pass),
                (SegmentValue::Exact(i + 1), 100.0),
            ],
            style::INVALID.mix(0.85).filled(),
        );
        bad.set_margin(0, 0, 28, 28);
        chart.draw_series([ok, bad])?;
        // Name each part inside it, where it is tall enough for a line of text.
        let inside = text(15)
            .color(&WHITE)
            .pos(Pos::new(HPos::Center, VPos::Center));
        if *pass >= 8.0 {
            chart.draw_series(std::iter::once(Text::new(
                "pass",
                (SegmentValue::CenterOf(i), pass / 2.0),
                inside.clone(),
            )))?;
        }
        if 100.0 - pass >= 8.0 {
            chart.draw_series(std::iter::once(Text::new(
                "fail",
                (SegmentValue::CenterOf(i), (100.0 + pass) / 2.0),
                inside,
            )))?;
        }
        chart.draw_series(std::iter::once(Text::new(
            format!("{pass:.1} % pass"),
            (SegmentValue::CenterOf(i), 100.0 + 8.0),
            text(15).pos(Pos::new(HPos::Center, VPos::Center)),
        )))?;
    }
    Ok(())
}

fn fmt_stats(xs: &[f64]) -> Option<String> {
    let v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    range_of([&v[..]])?;
    let s = crystal::analysis::Stats::of(&v);
    Some(format!("{:.2} ± {:.2}", s.mean, s.std))
}

/// The batch statistics as text lines.
fn stats_text<DB: DrawingBackend>(d: &PlotData, area: &DrawingArea<DB, Shift>) -> DResult
where
    DB::ErrorType: 'static,
{
    let (w, _) = area.dim_in_pixel();
    area.draw(&Text::new("Summary", (w as i32 / 2, 22), text_centered(20)))?;
    let pct = |r: Option<f64>| {
        r.map(|r| format!("{:.1} %", r * 100.0))
            .unwrap_or("–".into())
    };
    let mut lines: Vec<(String, String, String)> = vec![
        (String::new(), "generated".into(), "training".into()),
        (
            "structures".into(),
            d.generated.density.len().to_string(),
            d.training.density.len().to_string(),
        ),
        (
            "pass rate".into(),
            pct(d.generated.pass_rate()),
            pct(d.training.pass_rate()),
        ),
    ];
    for (name, g, t) in [
        ("density (g/cm³)", &d.generated.density, &d.training.density),
        ("volume (Å³)", &d.generated.volume, &d.training.volume),
        (
            "coordination",
            &d.generated.coordination,
            &d.training.coordination,
        ),
        (
            "min dist. (Å)",
            &d.generated.min_distance,
            &d.training.min_distance,
        ),
    ] {
        lines.push((
            name.into(),
            fmt_stats(g).unwrap_or("–".into()),
            fmt_stats(t).unwrap_or("–".into()),
        ));
    }
    let x0 = 20;
    let x1 = 200;
    let x2 = 345;
    let mut y = 64;
    for (k, (a, b, c)) in lines.iter().enumerate() {
        let st = if k == 0 { text(16) } else { text(15) };
        area.draw(&Text::new(a.clone(), (x0, y), st.clone()))?;
        area.draw(&Text::new(b.clone(), (x1, y), st.clone()))?;
        area.draw(&Text::new(c.clone(), (x2, y), st))?;
        y += 30;
    }
    y += 10;
    let baseline = d
        .baseline_pass_rate
        .map(|r| format!("random baseline pass rate: {:.1} %", r * 100.0));
    for line in [
        baseline,
        Some(format!("validator threshold: {} Å", d.threshold_a)),
        Some("values: mean ± standard deviation".to_string()),
    ]
    .into_iter()
    .flatten()
    {
        area.draw(&Text::new(line, (x0, y), text(15)))?;
        y += 26;
    }
    Ok(())
}

/// Example structure `k`, titled with its name, formula, minimum distance and validity.
fn example<DB: DrawingBackend>(d: &PlotData, k: usize, area: &DrawingArea<DB, Shift>) -> DResult
where
    DB::ErrorType: 'static,
{
    let Some(e) = d.examples.get(k) else {
        return Ok(());
    };
    let (w, h) = area.dim_in_pixel();
    let formula = if e.formula.is_empty() {
        formula_of(&e.view)
    } else {
        e.formula.clone()
    };
    area.draw(&Text::new(
        format!("Example {}: {} ({formula})", k + 1, e.name),
        (w as i32 / 2, 20),
        text_centered(19),
    ))?;
    let (verdict, color) = match e.valid {
        Some(true) => ("valid", style::VALID),
        Some(false) => ("invalid", style::INVALID),
        None => ("validity unknown", style::BASELINE),
    };
    let md = e
        .min_distance
        .map(|m| format!("min distance {m:.2} Å, "))
        .unwrap_or_default();
    area.draw(&Text::new(
        format!("{md}{verdict}"),
        (w as i32 / 2, 46),
        (style::FONT, 17)
            .into_font()
            .color(&color)
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    draw_structure(
        area,
        &e.view,
        (30.0, 64.0, w as f64 - 60.0, h as f64 - 80.0),
    )
}
