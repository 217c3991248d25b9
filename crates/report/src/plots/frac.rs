//! Histograms of the fractional coordinates x, y and z of all atoms (wrapped into
//! [0, 1)), real (training) against generated, one panel per axis.

use super::common::{caption, hist_panel, HistSpec};
use super::{DResult, PlotData};
use plotters::coord::Shift;
use plotters::prelude::*;

pub fn draw<DB: DrawingBackend>(d: &PlotData, root: &DrawingArea<DB, Shift>) -> DResult
where
    DB::ErrorType: 'static,
{
    let area = root
        .margin(8, 0, 0, 0)
        .titled("Fractional coordinates, real vs generated", caption(24))?;
    for (k, p) in area.split_evenly((1, 3)).iter().enumerate() {
        let axis = ["x", "y", "z"][k];
        let g: Vec<f64> = d.frac_generated.iter().map(|f| f[k]).collect();
        let t: Vec<f64> = d.frac_training.iter().map(|f| f[k]).collect();
        hist_panel(
            p,
            HistSpec {
                title: &format!("fractional {axis}"),
                x_desc: &format!("fractional {axis} (units of the cell vector)"),
                unit: "atoms",
                generated: &g,
                training: &t,
                threshold: None,
                nbins: 20,
                range: Some((0.0, 1.0)),
            },
        )?;
    }
    Ok(())
}
