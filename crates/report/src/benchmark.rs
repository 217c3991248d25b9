//! The page of a benchmark run (`benchmark.html`): the measured row of a
//! [`BenchmarkRecord`] beside the papers' rows for the same data set and task, the notes
//! on where the protocol differs, and the settings and command that reproduce it. One
//! self-contained file, like the run report.

use crate::html::STYLE_CSS;
use askama::Template;
use crystal::published::{BenchTask, BenchmarkRecord, Row};

#[derive(Template)]
#[template(path = "benchmark.html")]
struct Page<'a> {
    title: String,
    subtitle: String,
    header: Vec<&'static str>,
    rows: Vec<TableRow>,
    notes: &'a [String],
    settings: Vec<(String, String)>,
    style: &'a str,
}

struct TableRow {
    ours: bool,
    cells: Vec<String>,
}

fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{v:.2} %"))
}

fn num(x: Option<f64>, digits: usize) -> String {
    x.map_or("–".into(), |v| format!("{v:.digits$}"))
}

/// The cells of one row, in [`header`]'s order.
pub fn cells(task: BenchTask, r: &Row) -> Vec<String> {
    let mut c = vec![r.method.clone(), r.samples.to_string()];
    match task {
        BenchTask::Csp => c.extend([pct(r.match_rate_pct), num(r.rmse, 4)]),
        BenchTask::Dng => c.extend([
            pct(r.valid_structure_pct),
            pct(r.valid_composition_pct),
            pct(r.cov_recall_pct),
            pct(r.cov_precision_pct),
            num(r.wdist_density, 4),
            num(r.wdist_num_elements, 4),
        ]),
    }
    c.push(r.source.clone());
    c
}

/// Column names of a table of `task` rows.
pub fn header(task: BenchTask) -> Vec<&'static str> {
    match task {
        BenchTask::Csp => vec!["method", "samples", "match rate", "RMSE", "source"],
        BenchTask::Dng => vec![
            "method",
            "structures",
            "valid structure",
            "valid composition",
            "COV-R",
            "COV-P",
            "W(density) g/cm³",
            "W(#elements)",
            "source",
        ],
    }
}

/// The rows of `r`'s table, ours first (flagged true), then ours without the validity
/// gate, ours over unseen compositions, and the published rows.
pub fn rows(r: &BenchmarkRecord) -> Vec<(bool, Row)> {
    let mut rows = vec![(true, r.ours.clone())];
    rows.extend(r.ours_ungated.iter().map(|u| (false, u.clone())));
    if let Some(u) = &r.unseen {
        let row = Row {
            method: "crystal-diffusion, unseen compositions only".into(),
            source: format!(
                "{} of {} test compositions absent from the training data ({} formulas)",
                u.n_unseen, r.n_test, u.n_training_formulas
            ),
            match_rate_pct: u.match_rate_pct,
            rmse: u.rmse,
            ..r.ours.clone()
        };
        rows.push((false, row));
    }
    rows.extend(r.published.iter().map(|p| (false, p.clone())));
    rows
}

/// The HTML page of `r`.
pub fn page(r: &BenchmarkRecord) -> String {
    let rows = rows(r)
        .into_iter()
        .map(|(ours, row)| TableRow {
            ours,
            cells: cells(r.task, &row),
        })
        .collect();
    let task = match r.task {
        BenchTask::Csp => "crystal structure prediction",
        BenchTask::Dng => "de novo generation",
    };
    let settings = vec![
        ("command".to_string(), r.command.clone()),
        (
            "test data".into(),
            format!("{} ({} entries)", r.data, r.n_test),
        ),
        (
            "checkpoint".into(),
            format!(
                "{} (epoch {}, weights FNV-1a {})",
                r.checkpoint, r.checkpoint_epoch, r.weights_fnv1a
            ),
        ),
        (
            "sampling".into(),
            format!(
                "{} reverse steps, seed {}, corrector step {}",
                r.steps, r.seed, r.corrector_lr
            ),
        ),
        ("structures not generated".into(), r.n_failed.to_string()),
        (
            "time".into(),
            format!(
                "sampling {:.1} s, scoring {:.1} s",
                r.sampling_s, r.scoring_s
            ),
        ),
    ];
    let page = Page {
        title: format!("{} · {}", r.dataset, task),
        subtitle: r.checkpoint.clone(),
        header: header(r.task),
        rows,
        notes: &r.notes,
        settings,
        style: STYLE_CSS,
    };
    page.render()
        .unwrap_or_else(|e| format!("<!DOCTYPE html><p>the page could not be rendered: {e}</p>"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crystal::metrics::Benchmark;
    use crystal::published::published;

    #[test]
    fn the_page_holds_our_row_first_and_every_published_row() {
        let r = BenchmarkRecord {
            dataset: "Perov-5".into(),
            task: BenchTask::Csp,
            command: "crystal-diffusion benchmark --checkpoint m --data <t>".into(),
            data: "t".into(),
            n_test: 20,
            checkpoint: "m".into(),
            checkpoint_epoch: 3,
            weights_fnv1a: "ab".into(),
            steps: 50,
            seed: 1,
            corrector_lr: 1e-5,
            ours: Row::csp("crystal-diffusion", "this run", 1, 61.5, 0.0421),
            ours_ungated: None,
            unseen: None,
            published: published(Benchmark::Perov5, BenchTask::Csp, 1),
            n_failed: 0,
            sampling_s: 1.0,
            scoring_s: 1.0,
            notes: vec!["trained on val".into()],
        };
        let html = page(&r);
        let ours = html.find("61.50 %").expect("our match rate");
        let diffcsp = html.find("52.02 %").expect("DiffCSP's");
        assert!(ours < diffcsp);
        assert!(html.contains("53.15 %") && html.contains("45.31 %"));
        // Escaped, not injected.
        assert!(html.contains("&#60;t&#62;") && !html.contains("<t>"));
        assert!(html.contains("trained on val"));
    }
}
