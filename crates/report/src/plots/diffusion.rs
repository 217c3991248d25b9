//! Reverse diffusion: the followed structure at each recorded step t (199 … 0) side by
//! side, as 3D projections in its unit cell, from noise (left) to the generated
//! structure (right), with an element legend.

use super::common::{caption, draw_structure, element_legend, symbols_of, text_centered};
use super::{DResult, PlotData};
use plotters::coord::Shift;
use plotters::prelude::*;

pub fn draw<DB: DrawingBackend>(d: &PlotData, root: &DrawingArea<DB, Shift>) -> DResult
where
    DB::ErrorType: 'static,
{
    let Some(s) = &d.snapshots else { return Ok(()) };
    let frames = &s.frames;
    if frames.is_empty() {
        return Ok(());
    }
    let mut title = String::from("Reverse diffusion");
    if let Some(name) = &s.structure {
        title.push_str(&format!(" of {name}"));
    }
    if let Some(donor) = &s.donor {
        title.push_str(&format!(" (cell and species of {donor})"));
    }
    let area = root.margin(8, 0, 0, 0).titled(&title, caption(24))?;
    let (_, h) = area.dim_in_pixel();
    let legend_h = 40;
    let body = area.margin(0, legend_h, 0, 0);
    let panels = body.split_evenly((1, frames.len()));
    let t_max = frames.iter().map(|f| f.0).max().unwrap_or(0);
    for (p, (t, view)) in panels.iter().zip(frames) {
        let (pw, ph) = p.dim_in_pixel();
        let label = if *t == 0 {
            "t = 0 (generated)".to_string()
        } else if *t == t_max {
            format!("t = {t} (noise)")
        } else {
            format!("t = {t}")
        };
        p.draw(&Text::new(label, (pw as i32 / 2, 16), text_centered(19)))?;
        draw_structure(p, view, (12.0, 36.0, pw as f64 - 24.0, ph as f64 - 44.0))?;
    }
    // Element legend under the panels.
    let symbols = symbols_of(frames.iter().map(|f| &f.1));
    element_legend(&area, &symbols, h as i32 - legend_h / 2 - 2)?;
    Ok(())
}
