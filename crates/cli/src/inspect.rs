//! `crystal-diffusion validate` and `analyze`: read any structures, score them, print a
//! table, JSON or CSV. Exit 0 when everything parsed, 1 when any input failed to parse
//! (the rest are still reported), and with `--strict` also when any structure is invalid.

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use crystal::analysis::{analyze, Analysis, AnalysisConfig};
use crystal::pbc::Rdf;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Flags shared by `validate` and `analyze`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Structure files (CIF, POSCAR, extended XYZ), folders (searched recursively) or
    /// dataset CSVs (.csv, .csv.gz).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Validator threshold in Å (the literature uses 0.5 Å).
    #[arg(long, default_value_t = crystal::validity::DEFAULT_MIN_DISTANCE_A, allow_hyphen_values = true)]
    min_distance: f64,
    /// Fixed coordination cutoff in Å.
    #[arg(long, default_value_t = crystal::analysis::DEFAULT_CUTOFF_A, allow_hyphen_values = true)]
    cutoff: f64,
    /// Space-group tolerance in Å (`analyze`).
    #[arg(long, default_value_t = crystal::symmetry::DEFAULT_SYMPREC_A, allow_hyphen_values = true)]
    symprec: f64,
    /// Also exit 1 when any structure is invalid.
    #[arg(long)]
    strict: bool,
    /// Include each structure's radial distribution function up to this distance in Å
    /// (0.1 Å bins; ordered-pair counts and g(r)) in the JSON output.
    #[arg(long, allow_hyphen_values = true)]
    rdf_max: Option<f64>,
    #[command(flatten)]
    limits: crate::inputs::LimitArgs,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    structures: usize,
    failed_to_parse: usize,
    valid_structure: usize,
    valid_composition: usize,
    valid: usize,
    valid_structure_rate: f64,
    /// The rule behind `valid_structure_rate`, in words.
    structural_rule: String,
    valid_composition_rate: f64,
    valid_rate: f64,
}

pub fn run(args: InspectArgs, with_symmetry: bool) -> Result<ExitCode> {
    use crystal::analysis::{check_length, MAX_RANGE_A};
    check_length("--cutoff", args.cutoff, MAX_RANGE_A).map_err(anyhow::Error::msg)?;
    if let Some(r) = args.rdf_max {
        check_length("--rdf-max", r, MAX_RANGE_A).map_err(anyhow::Error::msg)?;
    }
    for (flag, v) in [
        ("--min-distance", args.min_distance),
        ("--cutoff", args.cutoff),
        ("--symprec", args.symprec),
    ] {
        if !(v > 0.0 && v.is_finite()) {
            bail!("{flag} {v}: must be a positive length in Å");
        }
    }
    let cfg = AnalysisConfig {
        min_distance_a: args.min_distance,
        cutoff_a: args.cutoff,
        symprec_a: with_symmetry.then_some(args.symprec),
        ..AnalysisConfig::default()
    };
    let inputs = crate::inputs::read(&args.paths, "input", &args.limits.limits()?)?;
    let files = inputs.files;
    let failures = inputs.unreadable;
    let sources: Vec<String> = inputs
        .entries
        .iter()
        .map(|s| s.source.display().to_string())
        .collect();
    let entries: Vec<crystal::Entry> = inputs.entries.into_iter().map(|s| s.entry).collect();
    let pb = crate::progress::bar(entries.len() as u64, "analysing", args.quiet);
    let rows: Vec<Analysis> = entries
        .par_iter()
        .map(|e| {
            let a = analyze(e, &cfg);
            pb.inc(1);
            a
        })
        .collect();
    pb.finish_and_clear();
    let n = rows.len();
    let count = |f: fn(&Analysis) -> bool| rows.iter().filter(|r| f(r)).count();
    let rate = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    let (vs, vc, v) = (
        count(|r| r.valid_structure),
        count(|r| r.valid_composition),
        count(|r| r.valid_structure && r.valid_composition),
    );
    let summary = Summary {
        files,
        structures: n,
        failed_to_parse: failures.len(),
        valid_structure: vs,
        valid_composition: vc,
        valid: v,
        valid_structure_rate: rate(vs),
        structural_rule: cfg.rule().to_string(),
        valid_composition_rate: rate(vc),
        valid_rate: rate(v),
    };
    match args.format {
        Format::Json => {
            let mut structures = serde_json::to_value(&rows)?;
            // Every record says which file it came from (its `name` is the block, frame or
            // row id).
            if let Some(list) = structures.as_array_mut() {
                for (s, src) in list.iter_mut().zip(&sources) {
                    s["source"] = json!(src);
                }
            }
            if let (Some(r), Some(list)) = (args.rdf_max, structures.as_array_mut()) {
                let rdfs: Vec<Rdf> = entries
                    .par_iter()
                    .map(|e| Rdf::compute(&e.crystal, r, 0.1))
                    .collect();
                for (s, rdf) in list.iter_mut().zip(rdfs) {
                    s["rdf"] = serde_json::to_value(rdf)?;
                }
            }
            let out = json!({
                "structures": structures,
                "errors": failures,
                "summary": summary,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Format::Csv => print_csv(&rows, &sources, with_symmetry),
        Format::Table => {
            print_table(&rows, &sources, with_symmetry, args.cutoff);
            if with_symmetry {
                for r in &rows {
                    if let Some(why) = &r.not_determined {
                        eprintln!("note: {}: not determined: {why}", r.name);
                    }
                }
            }
            for f in &failures {
                eprintln!("error: {}", f.message);
            }
            println!(
                "{} structures from {} files ({} failed to parse); valid structure {:.1} % ({}), valid composition {:.1} %, both {:.1} %",
                n,
                files,
                failures.len(),
                100.0 * summary.valid_structure_rate,
                summary.structural_rule,
                100.0 * summary.valid_composition_rate,
                100.0 * summary.valid_rate
            );
        }
    }
    let code = if !failures.is_empty() || (args.strict && v < n) {
        1
    } else {
        0
    };
    Ok(ExitCode::from(code))
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// `s` in at most `width` characters: cut with an ellipsis, keeping the end when
/// `keep_end` (file paths), else the start (formulas).
fn fit(s: &str, width: usize, keep_end: bool) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_string();
    }
    if keep_end {
        format!("…{}", s.chars().skip(n - (width - 1)).collect::<String>())
    } else {
        format!("{}…", s.chars().take(width - 1).collect::<String>())
    }
}

/// The table: names are the block (or frame, row) names, shown as `file:block` when a name
/// repeats (19 of Dans_Diffraction's 25 structures are called `global`); "n≤3.2Å" counts
/// neighbours within the cutoff, "bonds" covalent bonds (diamond: 28 and 4).
fn print_table(rows: &[Analysis], sources: &[String], with_symmetry: bool, cutoff_a: f64) {
    let mut seen = std::collections::HashMap::<&str, usize>::new();
    for r in rows {
        *seen.entry(r.name.as_str()).or_default() += 1;
    }
    let shown_name = |r: &Analysis, src: &str| {
        if seen[r.name.as_str()] > 1 {
            let file = std::path::Path::new(src)
                .file_name()
                .map_or(src.to_string(), |f| f.to_string_lossy().into_owned());
            fit(&format!("{file}:{}", r.name), 28, true)
        } else {
            fit(&r.name, 28, true)
        }
    };
    let cn = format!("n≤{cutoff_a}Å");
    if with_symmetry {
        println!(
            "{:<28} {:<12} {:>5} {:>10} {:>8} {:>8} {:>12} {:>7} {:>6} {:>6} {:>6}",
            "name",
            "formula",
            "atoms",
            "volume Å³",
            "g/cm³",
            "dmin Å",
            "space group",
            cn,
            "bonds",
            "struct",
            "comp"
        );
    } else {
        println!(
            "{:<28} {:<12} {:>5} {:>8} {:>6} {:>6}",
            "name", "formula", "atoms", "dmin Å", "struct", "comp"
        );
    }
    for (r, src) in rows.iter().zip(sources) {
        let name = shown_name(r, src);
        let formula = fit(&r.formula, 12, false);
        if with_symmetry {
            let sg = match (&r.space_group, &r.space_group_symbol) {
                (Some(n), Some(s)) => format!("{s} ({n})"),
                _ => "n/d".into(),
            };
            let two = |x: Option<f64>| x.map_or("n/d".to_string(), |x| format!("{x:.2}"));
            println!(
                "{:<28} {:<12} {:>5} {:>10.3} {:>8.3} {:>8.3} {:>12} {:>7} {:>6} {:>6} {:>6}",
                name,
                formula,
                r.n_atoms,
                r.volume,
                r.density,
                r.min_distance,
                sg,
                two(r.coordination_mean),
                two(r.bonded_coordination_mean),
                yes(r.valid_structure),
                yes(r.valid_composition)
            );
        } else {
            println!(
                "{:<28} {:<12} {:>5} {:>8.3} {:>6} {:>6}",
                name,
                formula,
                r.n_atoms,
                r.min_distance,
                yes(r.valid_structure),
                yes(r.valid_composition)
            );
        }
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// An optional figure as a CSV field: empty when not determined.
fn opt(x: Option<f64>) -> String {
    x.map(|x| x.to_string()).unwrap_or_default()
}

fn print_csv(rows: &[Analysis], sources: &[String], with_symmetry: bool) {
    println!("name,formula,n_atoms,volume,density,min_distance,space_group,space_group_symbol,coordination_mean,bonded_coordination_mean,valid_structure,valid_composition,source");
    for (r, src) in rows.iter().zip(sources) {
        let (sg, sym) = if with_symmetry {
            (
                r.space_group.map(|n| n.to_string()).unwrap_or_default(),
                r.space_group_symbol.clone().unwrap_or_default(),
            )
        } else {
            (String::new(), String::new())
        };
        println!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.name),
            csv_field(&r.formula),
            r.n_atoms,
            r.volume,
            r.density,
            r.min_distance,
            sg,
            csv_field(&sym),
            opt(r.coordination_mean),
            opt(r.bonded_coordination_mean),
            r.valid_structure,
            r.valid_composition,
            csv_field(src)
        );
    }
}
