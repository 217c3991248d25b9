//! Real against generated: a training structure (the one that lent the generated
//! structure its cell, where known) next to a generated one, as 3D projections with the
//! unit cell, atoms coloured by element, and an element legend.

use super::common::{
    caption, draw_structure, element_legend, formula_of, symbols_of, text_centered,
};
use super::{DResult, PlotData};
use plotters::coord::Shift;
use plotters::prelude::*;

pub fn draw<DB: DrawingBackend>(d: &PlotData, root: &DrawingArea<DB, Shift>) -> DResult
where
    DB::ErrorType: 'static,
{
    let mut panels: Vec<(String, &crate::run::View)> = Vec::new();
    if let Some((name, v)) = &d.real {
        panels.push((format!("Real (training): {name}, {}", formula_of(v)), v));
    }
    if let Some((name, v)) = &d.generated_example {
        panels.push((format!("Generated: {name}, {}", formula_of(v)), v));
    }
    if panels.is_empty() {
        return Ok(());
    }
    let title = match (&d.real, &d.generated_example) {
        (Some(_), Some(_)) => "Real vs generated structure",
        (Some(_), None) => "Real (training) structure",
        _ => "Generated structure",
    };
    let area = root.margin(8, 0, 0, 0).titled(title, caption(24))?;
    let (_, h) = area.dim_in_pixel();
    let legend_h = 44;
    let body = area.margin(0, legend_h, 0, 0);
    for (p, (label, view)) in body.split_evenly((1, panels.len())).iter().zip(&panels) {
        let (pw, ph) = p.dim_in_pixel();
        p.draw(&Text::new(
            label.clone(),
            (pw as i32 / 2, 16),
            text_centered(19),
        ))?;
        draw_structure(p, view, (20.0, 40.0, pw as f64 - 40.0, ph as f64 - 50.0))?;
    }
    let symbols = symbols_of(panels.iter().map(|p| p.1));
    element_legend(&area, &symbols, h as i32 - legend_h / 2)?;
    Ok(())
}
