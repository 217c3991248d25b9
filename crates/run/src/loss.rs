//! `loss.csv`: the optimisation history, one layout for every command.
//!
//! One row per logged point: `demo` logs every optimisation step (seed-mlp) or every
//! step of the periodic model (one batch of all demo crystals per step); `train` logs
//! every epoch, with the step count reached. Columns other than `epoch`, `step` and
//! `loss` are empty where a command does not measure them. Numbers are written with
//! Rust's shortest round-trip formatting, so a value read back is the value written.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// One row of `loss.csv`. Losses are means over the row's optimisation steps (train:
/// over the epoch), validation losses over the validation set with the EMA weights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LossRow {
    /// 1-based epoch.
    pub epoch: usize,
    /// Optimisation steps taken when the row was logged.
    pub step: usize,
    /// Training loss (total).
    #[serde(alias = "train_loss")]
    pub loss: f64,
    #[serde(default, alias = "validation_loss")]
    pub val_loss: Option<f64>,
    #[serde(default)]
    pub coord_loss: Option<f64>,
    #[serde(default)]
    pub lattice_loss: Option<f64>,
    #[serde(default)]
    pub val_coord_loss: Option<f64>,
    #[serde(default)]
    pub val_lattice_loss: Option<f64>,
    /// Learning rate at the row's first step.
    #[serde(default)]
    pub lr: Option<f64>,
    /// Wall-clock seconds of the row's training steps.
    #[serde(default)]
    pub seconds: Option<f64>,
    #[serde(default)]
    pub structures_per_s: Option<f64>,
    /// Atom-type loss (de novo training).
    #[serde(default)]
    pub type_loss: Option<f64>,
    #[serde(default)]
    pub val_type_loss: Option<f64>,
}

/// The header of `loss.csv`, in column order.
pub const HEADER: &str = "epoch,step,loss,val_loss,coord_loss,lattice_loss,val_coord_loss,val_lattice_loss,lr,seconds,structures_per_s,type_loss,val_type_loss";

/// The CSV text of `rows`.
pub fn to_csv(rows: &[LossRow]) -> String {
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v}"));
    let mut s = String::with_capacity(64 * (rows.len() + 1));
    s.push_str(HEADER);
    s.push('\n');
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.epoch,
            r.step,
            r.loss,
            opt(r.val_loss),
            opt(r.coord_loss),
            opt(r.lattice_loss),
            opt(r.val_coord_loss),
            opt(r.val_lattice_loss),
            opt(r.lr),
            opt(r.seconds),
            opt(r.structures_per_s),
            opt(r.type_loss),
            opt(r.val_type_loss),
        );
    }
    s
}

/// Rows of a `loss.csv` text (columns found by name; missing optional columns are empty).
/// An error names the line.
pub fn from_csv(text: &str) -> Result<Vec<LossRow>, String> {
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, r) in rd.deserialize::<LossRow>().enumerate() {
        rows.push(r.map_err(|e| format!("line {}: {e}", i + 2))?);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_bit_for_bit_with_empty_columns() {
        let rows = vec![
            LossRow {
                epoch: 1,
                step: 3,
                loss: 0.1 + 0.2,
                ..LossRow::default()
            },
            LossRow {
                epoch: 2,
                step: 6,
                loss: 1e-7,
                val_loss: Some(2.5),
                lr: Some(1e-5),
                type_loss: Some(0.0123),
                ..LossRow::default()
            },
        ];
        let text = to_csv(&rows);
        assert!(text.starts_with(HEADER));
        assert!(text.contains("\n1,3,0.30000000000000004,,,"), "{text}");
        assert_eq!(from_csv(&text).unwrap(), rows);
    }

    #[test]
    fn a_short_file_reads_with_its_columns_and_a_bad_value_names_its_line() {
        let rows = from_csv("epoch,step,loss\n1,1,0.5\n1,2,0.25\n2,3,0.125\n").unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2].val_loss, None);
        assert_eq!((rows[1].epoch, rows[1].step, rows[1].loss), (1, 2, 0.25));
        let err = from_csv("epoch,step,loss\n1,1,0.5\n1,x,0.2\n").unwrap_err();
        assert!(err.starts_with("line 3"), "{err}");
    }
}
