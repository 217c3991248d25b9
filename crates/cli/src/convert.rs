//! `crystal-diffusion convert IN OUT`: between CIF, POSCAR and extended XYZ, by file
//! extension. IN may be a file, a folder or a dataset CSV; OUT a file (one structure, or
//! several in one CIF or XYZ file) or a folder (one file per structure, format `--to`),
//! each file named after its input: the input file's stem, with the data block (or frame)
//! name when that file holds several structures; a data set's rows by `material_id`.
//! Inputs that fail to parse are reported and the rest converted (exit 1).

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use crystal::io::{format_any, format_many, is_writable_file, write_symmetrized_cif};
use crystal::symmetry::symmetrize;
use crystal::Entry;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
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
    /// Also write each structure as a symmetrized CIF beside its output: the space group
    /// (symbol, number, operations) and the asymmetric unit of the standardized
    /// conventional cell, found and refined by moyo within --symprec
    /// (`NAME.symmetrized.cif`; one file with a block per structure when OUT is a file).
    #[arg(long)]
    symmetrize: bool,
    /// Symmetry tolerance for --symmetrize, in Å.
    #[arg(long, default_value_t = crystal::symmetry::DEFAULT_SYMPREC_A, requires = "symmetrize")]
    symprec: f64,
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

/// The symmetrized CIF of each entry (`None` where moyo found no symmetry: the message
/// is printed, naming the structure).
fn symmetrized(entries: &[Entry], stems: &[String], symprec_a: f64) -> Vec<Option<String>> {
    entries
        .iter()
        .zip(stems)
        .map(|(e, stem)| match symmetrize(&e.crystal, symprec_a) {
            Ok(s) => Some(write_symmetrized_cif(&e.name, &s)),
            Err(err) => {
                eprintln!("error: {stem}: not symmetrized: {err}");
                None
            }
        })
        .collect()
}

/// `dir/stem.symmetrized.cif` for an output `dir/stem.ext`.
fn symmetrized_path(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!("{stem}.symmetrized.cif"))
}

pub fn run(args: ConvertArgs) -> Result<ExitCode> {
    if args.symmetrize && !(args.symprec.is_finite() && args.symprec > 0.0) {
        bail!("--symprec {}: must be a positive number of Å", args.symprec);
    }
    let inputs = crate::inputs::read(
        std::slice::from_ref(&args.input),
        "input",
        &args.limits.limits()?,
    )?;
    for u in &inputs.unreadable {
        eprintln!("error: {}", u.message);
    }
    let mut failed = inputs.unreadable.len();
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
        if args.symmetrize {
            let cifs = symmetrized(&entries, &stems, args.symprec);
            failed += cifs.iter().filter(|c| c.is_none()).count();
            let text: String = cifs.iter().flatten().map(String::as_str).collect();
            if !text.is_empty() {
                let path = symmetrized_path(out);
                run::atomic_write(&path, text.as_bytes())?;
                println!(
                    "wrote {} symmetrized structure(s) to {}",
                    cifs.iter().flatten().count(),
                    path.display()
                );
            }
        }
    } else {
        std::fs::create_dir_all(out)
            .with_context(|| format!("cannot create the folder {}", out.display()))?;
        let ext = match args.to {
            To::Cif => "cif",
            To::Vasp => "vasp",
            To::Xyz => "xyz",
        };
        let mut used = HashSet::new();
        let cifs = if args.symmetrize {
            symmetrized(&entries, &stems, args.symprec)
        } else {
            vec![None; entries.len()]
        };
        failed += cifs
            .iter()
            .filter(|c| args.symmetrize && c.is_none())
            .count();
        for ((e, stem), cif) in entries.iter().zip(&stems).zip(&cifs) {
            let stem = run::structure_file_stem(stem);
            // A file name, and (with --symmetrize) its symmetrized partner, that no earlier
            // structure took: an input named `X.symmetrized` does not overwrite X's copy.
            let partner = |name: &str| symmetrized_path(Path::new(name)).display().to_string();
            let free = |name: &str, used: &HashSet<String>| {
                !(used.contains(name) || args.symmetrize && used.contains(&partner(name)))
            };
            let mut name = format!("{stem}.{ext}");
            let mut k = 2;
            while !free(&name, &used) {
                name = format!("{stem}_{k}.{ext}");
                k += 1;
            }
            used.insert(name.clone());
            if args.symmetrize {
                used.insert(partner(&name));
            }
            let path = out.join(&name);
            run::atomic_write(&path, format_any(&path, &e.name, &e.crystal)?.as_bytes())?;
            if let Some(cif) = cif {
                run::atomic_write(&symmetrized_path(&path), cif.as_bytes())?;
            }
        }
        println!("wrote {} {ext} file(s) to {}", entries.len(), out.display());
        if args.symmetrize {
            println!(
                "wrote {} symmetrized CIF(s) beside them (NAME.symmetrized.cif)",
                cifs.iter().flatten().count()
            );
        }
    }
    if failed > 0 {
        eprintln!("{failed} input(s) failed to parse or to symmetrize");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
