//! `crystal-diffusion convert IN OUT`: between CIF, POSCAR and extended XYZ, by file
//! extension. IN may be a file, a folder or a dataset CSV; OUT a file (one structure, or
//! several in one CIF or XYZ file) or a folder (one file per structure, format `--to`),
//! each file named after its input: the input file's stem, with the data block (or frame)
//! name when that file holds several structures; a data set's rows by `material_id`.
//! Inputs that fail to parse are reported and the rest converted (exit 1).

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use crystal::io::{format_any, format_many, is_writable_file};
use crystal::Entry;
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum To {
    Cif,
    Vasp,
    Xyz,
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// A structure file, a folder (searched recursively) or a dataset CSV.
    input: PathBuf,
    /// A file (.cif, .vasp, .poscar, POSCAR…, CONTCAR…, .xyz, .extxyz) or, for any other
    /// name, a folder.
    output: PathBuf,
    /// File format when OUT is a folder.
    #[arg(long, value_enum, default_value_t = To::Cif)]
    to: To,
    #[command(flatten)]
    limits: crate::inputs::LimitArgs,
}

/// OUT is a file when it has a structure extension or a VASP name (`POSCAR…`, `CONTCAR…`,
/// upper case as VASP writes them); anything else is a folder.
fn names_a_file(out: &std::path::Path) -> bool {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    is_writable_file(out)
        && (name.contains('.') || name.starts_with("POSCAR") || name.starts_with("CONTCAR"))
}

pub fn run(args: ConvertArgs) -> Result<ExitCode> {
    let inputs = crate::inputs::read(
        std::slice::from_ref(&args.input),
        "input",
        &args.limits.limits()?,
    )?;
    for u in &inputs.unreadable {
        eprintln!("error: {}", u.message);
    }
    let failed = inputs.unreadable.len();
    // Output stems: after the input file (and block), so that 25 files whose blocks are all
    // called `global` do not become global.cif, global_2.cif, ….
    let mut per_file: std::collections::HashMap<PathBuf, usize> = Default::default();
    for s in &inputs.entries {
        *per_file.entry(s.source.clone()).or_default() += 1;
    }
    let stems: Vec<String> = inputs
        .entries
        .iter()
        .map(|s| {
            let file = s
                .source
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            let is_dataset = file
                .as_deref()
                .is_some_and(|f| f.ends_with(".csv") || f.ends_with(".csv.gz"));
            let stem = s
                .source
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if is_dataset || stem.is_empty() {
                s.entry.name.clone()
            } else if per_file[&s.source] == 1 {
                stem
            } else {
                format!("{stem}_{}", s.entry.name)
            }
        })
        .collect();
    let entries: Vec<Entry> = inputs.entries.into_iter().map(|s| s.entry).collect();
    if entries.is_empty() {
        bail!("nothing to convert: every input failed to parse");
    }
    let out = &args.output;
    if !out.is_dir() && names_a_file(out) {
        let refs: Vec<&Entry> = entries.iter().collect();
        // Written beside the target and renamed over it: a full disk or a kill leaves the
        // old file or none, never half a file; a link at the target is replaced.
        run::atomic_write(out, format_many(out, &refs)?.as_bytes())?;
        println!("wrote {} structure(s) to {}", entries.len(), out.display());
    } else {
        std::fs::create_dir_all(out)
            .with_context(|| format!("cannot create the folder {}", out.display()))?;
        let ext = match args.to {
            To::Cif => "cif",
            To::Vasp => "vasp",
            To::Xyz => "xyz",
        };
        let mut used = HashSet::new();
        for (e, stem) in entries.iter().zip(&stems) {
            let stem = run::structure_file_stem(stem);
            let mut name = format!("{stem}.{ext}");
            let mut k = 2;
            while !used.insert(name.clone()) {
                name = format!("{stem}_{k}.{ext}");
                k += 1;
            }
            let path = out.join(&name);
            run::atomic_write(&path, format_any(&path, &e.name, &e.crystal)?.as_bytes())?;
        }
        println!("wrote {} {ext} file(s) to {}", entries.len(), out.display());
    }
    if failed > 0 {
        eprintln!("{failed} input(s) failed to parse");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
