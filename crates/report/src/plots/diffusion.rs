//! Reverse diffusion: the followed structure at each recorded step t side by side, as 3D
//! projections in its unit cell, from the noise the reverse process starts from (left,
//! t = T) to the generated structure (right, t = 0), with an element legend.
//!
//! [`panels`] decides what each panel shows: frames ordered by decreasing t, each drawn
//! in its own cell where `snapshots.json` records one per frame (models that generate the
//! cell), else in the cell of the finished structure (models that keep the donor's).

use super::common::{caption, draw_structure, element_legend, symbols_of, text_centered};
use super::{DResult, PlotData};
use crate::run::{Snapshots, View};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One panel of the figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel<'a> {
    /// Timestep of the frame (T = the start of the reverse process, 0 = the result).
    pub t: i64,
    /// Heading above the structure.
    pub label: String,
    /// The structure drawn: the frame's coordinates in the frame's cell.
    pub view: &'a View,
}

/// The panels, left to right: the frames by decreasing t (frames taken at one t keep
/// their file order). The leftmost is the frame taken at the start of the reverse process
/// (largest t, labelled noise) and the rightmost the result (t = 0, labelled generated).
pub fn panels(s: &Snapshots) -> Vec<Panel<'_>> {
    let mut frames: Vec<&(i64, View)> = s.frames.iter().collect();
    frames.sort_by_key(|f| std::cmp::Reverse(f.0));
    let t_max = frames.first().map(|f| f.0).unwrap_or(0);
    frames
        .into_iter()
        .map(|(t, view)| Panel {
            t: *t,
            label: if *t == 0 {
                "t = 0 (generated)".to_string()
            } else if *t == t_max {
                format!("t = {t} (noise)")
            } else {
                format!("t = {t}")
            },
            view,
        })
        .collect()
}

pub fn draw<DB: DrawingBackend>(d: &PlotData, root: &DrawingArea<DB, Shift>) -> DResult
where
    DB::ErrorType: 'static,
{
    let Some(s) = &d.snapshots else { return Ok(()) };
    let panels = panels(s);
    if panels.is_empty() {
        return Ok(());
    }
    let mut title = String::from("Reverse diffusion");
    if let Some(name) = &s.structure {
        title.push_str(&format!(" of {name}"));
    }
    if let Some(donor) = &s.donor {
        if s.cell_per_frame {
            title.push_str(&format!(" (atoms of {donor}, cell generated)"));
        } else {
            title.push_str(&format!(" (cell and species of {donor})"));
        }
    }
    let area = root.margin(8, 0, 0, 0).titled(&title, caption(24))?;
    let (_, h) = area.dim_in_pixel();
    let legend_h = 40;
    let body = area.margin(0, legend_h, 0, 0);
    let areas = body.split_evenly((1, panels.len()));
    for (p, panel) in areas.iter().zip(&panels) {
        let (pw, ph) = p.dim_in_pixel();
        p.draw(&Text::new(
            panel.label.clone(),
            (pw as i32 / 2, 16),
            text_centered(19),
        ))?;
        draw_structure(
            p,
            panel.view,
            (12.0, 36.0, pw as f64 - 24.0, ph as f64 - 44.0),
        )?;
    }
    // Element legend under the panels.
    let symbols = symbols_of(panels.iter().map(|p| p.view));
    element_legend(&area, &symbols, h as i32 - legend_h / 2 - 2)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(a: f64, x: f64) -> View {
        View {
            lattice: [[a, 0.0, 0.0], [0.0, a, 0.0], [0.0, 0.0, a]],
            species: vec!["Fe".into()],
            frac: vec![[x, x, x]],
        }
    }

    /// Regression: the panel at t = T showed the final cell. It must show the frame taken
    /// at the start of the reverse process, in that frame's own cell.
    #[test]
    fn panel_at_t_max_is_the_starting_frame() {
        let start = view(7.5, 0.1);
        let end = view(2.9, 0.0);
        let s = Snapshots {
            structure: Some("g0".into()),
            donor: Some("d".into()),
            frames: vec![
                (1000, start.clone()),
                (750, view(5.0, 0.2)),
                (500, view(4.0, 0.3)),
                (250, view(3.2, 0.4)),
                (0, end.clone()),
            ],
            cell_per_frame: true,
        };
        let p = panels(&s);
        assert_eq!(p.len(), 5);
        assert_eq!(p[0].t, 1000);
        assert_eq!(p[0].label, "t = 1000 (noise)");
        assert_eq!(p[0].view, &start);
        assert_eq!(p[4].label, "t = 0 (generated)");
        assert_eq!(p[4].view, &end);
        // Frames listed from t = 0 upwards still put the start on the left.
        let mut rev = s.clone();
        rev.frames.reverse();
        let p = panels(&rev);
        assert_eq!((p[0].t, p[0].view), (1000, &start));
        assert_eq!((p[4].t, p[4].view), (0, &end));
    }
}
