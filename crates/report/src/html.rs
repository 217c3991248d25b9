//! `report.html`: one self-contained page.
//!
//! Renders the askama template `templates/report.html` with the run's configuration,
//! training and generation figures, the statistics against the random baseline, the
//! plots inlined as SVG, a sortable table of the generated structures (linking their
//! files) and the structure viewer (`templates/viewer.js`, plain JavaScript on a 2D
//! canvas). The structures reach the viewer as JSON in a `<script type="application/json">`
//! tag; nothing is fetched from anywhere, so the page opens from `file://`.

use crate::plots::{PlotData, Rendered, SetFigures};
use crate::run::{Item, RunData};
use crate::style;
use askama::Template;
use crystal::analysis::{BatchStats, Stats};
use run::Summary;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The viewer, table sorting and self-test code.
const VIEWER_JS: &str = include_str!("../templates/viewer.js");
/// The page's style sheet.
pub(crate) const STYLE_CSS: &str = include_str!("../templates/report.css");

/// One figure of the page.
pub struct Figure {
    pub id: String,
    pub title: String,
    pub description: String,
    pub svg: String,
    /// Natural width in pixels (the figure is never drawn wider).
    pub width: u32,
    pub svg_file: String,
    pub png_file: Option<String>,
}

/// One row of the structure table; `v_*` are sort keys, the rest display text.
pub struct Row {
    pub index: usize,
    /// Index into the viewer's structure list, or -1 without a structure.
    pub viewer: i64,
    pub name: String,
    pub file: Option<String>,
    pub formula: String,
    pub n_atoms: String,
    pub volume: String,
    pub v_volume: String,
    pub density: String,
    pub v_density: String,
    pub min_distance: String,
    pub v_min_distance: String,
    pub space_group: String,
    pub v_space_group: String,
    pub coordination: String,
    pub v_coordination: String,
    pub bonded: String,
    pub v_bonded: String,
    pub valid_structure: String,
    pub valid_composition: String,
    pub donor: String,
}

/// A row of the statistics table.
pub struct StatRow {
    pub name: String,
    pub generated: String,
    pub baseline: String,
    pub training: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    title: &'a str,
    subtitle: String,
    config: Vec<(String, String)>,
    data: Vec<(String, String)>,
    training: Vec<(String, String)>,
    timings: Vec<(String, String)>,
    headline: Vec<(String, String)>,
    stats: Vec<StatRow>,
    figures: Vec<Figure>,
    rows: Vec<Row>,
    n_structures: usize,
    /// Structures the viewer can show (generated and training).
    n_viewer: usize,
    structures_json: String,
    warnings: &'a [String],
    style: &'a str,
    script: &'a str,
}

/// A JSON value as plain text (strings unquoted).
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "–".into(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Key/value pairs of a JSON object, nested objects flattened as `a.b`.
fn flatten(v: Option<&Value>) -> Vec<(String, String)> {
    fn go(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    go(&key, x, out);
                }
            }
            other => out.push((prefix.to_string(), plain(other))),
        }
    }
    let mut out = Vec::new();
    if let Some(v) = v {
        go("", v, &mut out);
    }
    out
}

fn f(x: Option<f64>, digits: usize) -> (String, String) {
    match x.filter(|x| x.is_finite()) {
        Some(x) => (format!("{x:.digits$}"), format!("{x}")),
        None => ("–".into(), String::new()),
    }
}

fn yes_no(b: Option<bool>) -> String {
    match b {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => "–".into(),
    }
}

/// `mean ± std [min, max]` of a figure's statistics in the summary.
fn stats_cell(v: Option<&Stats>, digits: usize) -> Option<String> {
    let v = v.filter(|v| v.mean.is_finite())?;
    let s = if v.std.is_finite() { v.std } else { 0.0 };
    let range = if v.min.is_finite() && v.max.is_finite() {
        format!(" [{:.digits$}, {:.digits$}]", v.min, v.max)
    } else {
        String::new()
    };
    Some(format!("{:.digits$} ± {s:.digits$}{range}", v.mean))
}

fn stats_of(xs: &[f64], digits: usize) -> Option<String> {
    let v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    let s = crystal::analysis::Stats::of(&v);
    Some(format!(
        "{:.digits$} ± {:.digits$} [{:.digits$}, {:.digits$}]",
        s.mean, s.std, s.min, s.max
    ))
}

fn pct(x: Option<f64>) -> String {
    x.map(|r| format!("{:.1} %", r * 100.0))
        .unwrap_or_else(|| "–".into())
}

fn stat_rows(
    s: &Summary,
    g: &SetFigures,
    t: &SetFigures,
    baseline_rate: Option<f64>,
) -> Vec<StatRow> {
    let dash = || "–".to_string();
    let gen_stats = s.generation.as_ref().and_then(|g| g.stats.as_ref());
    let base_stats = s
        .generation
        .as_ref()
        .and_then(|g| g.random_baseline_stats.as_ref());
    let train_stats = s.training_structures_stats.as_ref();
    let mut rows = vec![
        StatRow {
            name: "structures".into(),
            generated: g.density.len().to_string(),
            baseline: base_stats.map(|b| b.count.to_string()).unwrap_or_else(dash),
            training: t.density.len().to_string(),
        },
        StatRow {
            name: "pass rate (structural validity)".into(),
            generated: pct(pass_rate(s).or(g.pass_rate())),
            baseline: pct(baseline_rate),
            training: pct(t.pass_rate()),
        },
    ];
    /// Which statistics, the row's name, digits, and the per-structure values of the
    /// generated and training sets (for a summary without statistics).
    type Metric<'a> = (
        fn(&BatchStats) -> &Stats,
        &'a str,
        usize,
        &'a [f64],
        &'a [f64],
    );
    let metrics: [Metric; 4] = [
        (
            |b| &b.density_g_cm3,
            "density (g/cm³)",
            3,
            &g.density,
            &t.density,
        ),
        (|b| &b.volume_a3, "volume (Å³)", 2, &g.volume, &t.volume),
        (
            |b| &b.coordination_mean,
            "mean coordination",
            2,
            &g.coordination,
            &t.coordination,
        ),
        (
            |b| &b.min_distance_a,
            "minimum distance (Å)",
            3,
            &g.min_distance,
            &t.min_distance,
        ),
    ];
    for (pick, name, digits, gx, tx) in metrics {
        rows.push(StatRow {
            name: name.into(),
            generated: stats_cell(gen_stats.map(pick), digits)
                .or_else(|| stats_of(gx, digits))
                .unwrap_or_else(dash),
            baseline: stats_cell(base_stats.map(pick), digits).unwrap_or_else(dash),
            training: stats_cell(train_stats.map(pick), digits)
                .or_else(|| stats_of(tx, digits))
                .unwrap_or_else(dash),
        });
    }
    rows
}

/// The pass rate the run recorded.
fn pass_rate(s: &Summary) -> Option<f64> {
    s.generation.as_ref()?.pass_rate.filter(|x| x.is_finite())
}

#[derive(Serialize)]
struct ElementJson {
    color: String,
    radius: f64,
}

#[derive(Serialize)]
struct StructureJson<'a> {
    name: &'a str,
    set: &'a str,
    formula: String,
    valid: Option<bool>,
    lattice: [[f64; 3]; 3],
    /// Element symbol of each atom.
    species: Vec<&'static str>,
    /// Fractional coordinates, rounded to 1e-5.
    frac: Vec<[f64; 3]>,
}

#[derive(Serialize)]
struct ViewerJson<'a> {
    elements: BTreeMap<&'static str, ElementJson>,
    structures: Vec<StructureJson<'a>>,
    bond_tolerance: f64,
}

fn round(x: f64, scale: f64) -> f64 {
    (x * scale).round() / scale
}

/// The viewer's data: every structure with a crystal (generated first, then training).
/// Returns the JSON text (safe inside a script element) and, per generated item, its
/// index in the list.
fn viewer_json(run: &RunData) -> (String, Vec<i64>) {
    let mut elements = BTreeMap::new();
    let mut structures = Vec::new();
    let mut gen_index = Vec::with_capacity(run.generated.len());
    fn add<'a>(
        it: &'a Item,
        set: &'static str,
        structures: &mut Vec<StructureJson<'a>>,
        elements: &mut BTreeMap<&'static str, ElementJson>,
    ) -> i64 {
        let Some(c) = &it.crystal else { return -1 };
        for e in c.species() {
            elements.entry(e.symbol()).or_insert_with(|| ElementJson {
                color: style::element_css(e.symbol()),
                radius: style::draw_radius(e.symbol()),
            });
        }
        structures.push(StructureJson {
            name: &it.name,
            set,
            formula: it
                .figure(|a| a.formula.clone())
                .unwrap_or_else(|| c.reduced_formula()),
            valid: it.figure(|a| a.valid_structure),
            lattice: c.lattice().rows().map(|r| r.map(|x| round(x, 1e5))),
            species: c.species().iter().map(|e| e.symbol()).collect(),
            frac: c
                .frac_coords()
                .iter()
                .map(|f| f.map(|x| round(x, 1e5)))
                .collect(),
        });
        structures.len() as i64 - 1
    }
    for it in &run.generated {
        gen_index.push(add(it, "generated", &mut structures, &mut elements));
    }
    for it in &run.training {
        add(it, "training", &mut structures, &mut elements);
    }
    let json = serde_json::to_string(&ViewerJson {
        elements,
        structures,
        bond_tolerance: crystal::analysis::DEFAULT_BOND_TOLERANCE,
    })
    .unwrap_or_else(|_| "{\"elements\":{},\"structures\":[]}".into());
    // No `<` at all inside the script element (`</script>`, `<!--`): in JSON it can only
    // occur inside strings, where `\u003c` means the same.
    (json.replace('<', "\\u003c"), gen_index)
}

fn rows(run: &RunData, viewer: &[i64]) -> Vec<Row> {
    run.generated
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let a = it.analysis.as_ref();
            let (volume, v_volume) = f(
                a.map(|a| a.volume)
                    .or(it.crystal.as_ref().map(|c| c.volume_a3())),
                2,
            );
            let (density, v_density) = f(
                a.map(|a| a.density)
                    .or(it.crystal.as_ref().map(|c| c.density_g_cm3())),
                3,
            );
            let (min_distance, v_min_distance) = f(a.map(|a| a.min_distance), 3);
            let (coordination, v_coordination) = f(a.and_then(|a| a.coordination_mean), 2);
            let (bonded, v_bonded) = f(a.and_then(|a| a.bonded_coordination_mean), 2);
            let sg = a.and_then(|a| a.space_group);
            let space_group = match (a.and_then(|a| a.space_group_symbol.as_ref()), sg) {
                (Some(s), Some(n)) => format!("{s} ({n})"),
                (None, Some(n)) => n.to_string(),
                (Some(s), None) => s.clone(),
                (None, None) => "–".into(),
            };
            Row {
                index: i + 1,
                viewer: viewer.get(i).copied().unwrap_or(-1),
                name: it.name.clone(),
                file: it.file.clone(),
                formula: a
                    .map(|a| a.formula.clone())
                    .or_else(|| it.crystal.as_ref().map(|c| c.reduced_formula()))
                    .unwrap_or_else(|| "–".into()),
                n_atoms: a
                    .map(|a| a.n_atoms)
                    .or(it.crystal.as_ref().map(|c| c.num_atoms()))
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                volume,
                v_volume,
                density,
                v_density,
                min_distance,
                v_min_distance,
                space_group,
                v_space_group: sg.map(|n| n.to_string()).unwrap_or_default(),
                coordination,
                v_coordination,
                bonded,
                v_bonded,
                valid_structure: yes_no(a.map(|a| a.valid_structure)),
                valid_composition: yes_no(a.map(|a| a.valid_composition)),
                donor: it.donor.clone().unwrap_or_default(),
            }
        })
        .collect()
}

/// Strips the XML prologue plotters may write and fixes the SVG's size to scale with
/// the page (the viewBox keeps the aspect ratio).
fn inline_svg(svg: &str) -> String {
    let s = svg.trim_start();
    let s = match s.strip_prefix("<?xml") {
        Some(rest) => rest
            .split_once("?>")
            .map(|x| x.1)
            .unwrap_or(rest)
            .trim_start(),
        None => s,
    };
    s.replacen("<svg ", "<svg class=\"plot\" role=\"img\" ", 1)
}

/// A part of the summary as JSON, for the key/value tables (`None` when absent).
fn to_value<T: Serialize>(x: &T) -> Option<Value> {
    serde_json::to_value(x).ok().filter(|v| !v.is_null())
}

/// Renders the page, titled `title` (the run folder's name).
pub fn render(
    title: &str,
    run: &RunData,
    data: &PlotData,
    rendered: &[Rendered],
    warnings: &[String],
) -> Result<String, String> {
    let s = &run.summary;
    let title = title.to_string();
    let mut subtitle = Vec::new();
    if let Some(m) = &s.model {
        subtitle.push(format!("model {m}"));
    }
    if let Some(t) = &s.task {
        subtitle.push(format!("task {t}"));
    }
    if let Some(p) = s.parameters {
        subtitle.push(format!("{p} parameters"));
    }
    if !run.generated.is_empty() {
        subtitle.push(format!("{} generated structures", run.generated.len()));
    }
    if !run.training.is_empty() {
        subtitle.push(format!("{} training structures", run.training.len()));
    }

    let mut headline = Vec::new();
    if let Some(r) = pass_rate(s).or(data.generated.pass_rate()) {
        headline.push((
            match s
                .generation
                .as_ref()
                .and_then(|g| g.structural_rule.as_ref())
            {
                Some(rule) => format!("pass rate ({rule})"),
                None => format!("pass rate (min distance ≥ {} Å)", data.threshold_a),
            },
            pct(Some(r)),
        ));
    }
    if let Some(r) = data.baseline_pass_rate {
        headline.push(("random baseline".into(), pct(Some(r))));
    }
    if let Some(l) = &s.loss {
        if l.final_.is_finite() {
            headline.push(("final loss".into(), format!("{:.4}", l.final_)));
        }
        if l.improvement_pct.is_finite() {
            headline.push((
                "loss improvement".into(),
                format!("{:.1} %", l.improvement_pct),
            ));
        }
    }

    let training: Vec<(String, String)> = flatten(to_value(&s.loss).as_ref())
        .into_iter()
        .map(|(k, v)| {
            let v = v.parse::<f64>().map(|x| format!("{x:.4}")).unwrap_or(v);
            (format!("loss {k}"), v)
        })
        .collect();
    let timings = flatten(to_value(&s.timings_s).as_ref())
        .into_iter()
        .map(|(k, v)| {
            let v = v.parse::<f64>().map(|x| format!("{x:.3} s")).unwrap_or(v);
            (k, v)
        })
        .collect();

    let figures = rendered
        .iter()
        .map(|r| Figure {
            id: r.plot.file_stem().to_string(),
            title: r.plot.title().to_string(),
            description: r.plot.description().to_string(),
            svg: inline_svg(&r.svg),
            width: r.plot.size().0,
            svg_file: format!("plots/{}.svg", r.plot.file_stem()),
            png_file: r
                .png_path
                .as_ref()
                .map(|_| format!("plots/{}.png", r.plot.file_stem())),
        })
        .collect();

    let (structures_json, viewer_index) = viewer_json(run);
    let n_viewer = run
        .generated
        .iter()
        .chain(&run.training)
        .filter(|i| i.crystal.is_some())
        .count();
    let rows = rows(run, &viewer_index);
    let page = Page {
        title: &title,
        subtitle: subtitle.join(" · "),
        config: flatten(Some(&s.config).filter(|v| !v.is_null())),
        data: flatten(Some(&s.data).filter(|v| !v.is_null())),
        training,
        timings,
        headline,
        stats: stat_rows(s, &data.generated, &data.training, data.baseline_pass_rate),
        figures,
        n_structures: rows.len(),
        n_viewer,
        rows,
        structures_json,
        warnings,
        style: STYLE_CSS,
        script: VIEWER_JS,
    };
    page.render().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_nested_objects() {
        let v: Value = serde_json::json!({"a": 1, "b": {"c": "x", "d": null}});
        assert_eq!(
            flatten(Some(&v)),
            vec![
                ("a".to_string(), "1".to_string()),
                ("b.c".to_string(), "x".to_string()),
                ("b.d".to_string(), "–".to_string())
            ]
        );
    }

    #[test]
    fn svg_prologue_is_stripped() {
        let s = inline_svg("<?xml version=\"1.0\"?>\n<svg width=\"10\">x</svg>");
        assert!(s.starts_with("<svg class=\"plot\""));
    }

    #[test]
    fn script_json_cannot_close_its_element() {
        let mut run = RunData::default();
        run.generated.push(Item {
            name: "</script><b>".into(),
            file: None,
            block: None,
            crystal: Some(crystal::demo::fcc_al()),
            ..Item::default()
        });
        let (json, idx) = viewer_json(&run);
        assert!(!json.contains('<'));
        assert_eq!(idx, vec![0]);
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["structures"][0]["name"], "</script><b>");
        assert_eq!(v["elements"]["Al"]["color"], "#bfa6a6");
    }
}
