//! `crystal-diffusion`: the command-line front end.
//!
//! This binary only parses arguments, turns them into validated configurations, shows
//! progress and maps errors to exit codes: 0 success, 1 some inputs failed to parse (or,
//! with `--strict`, some structure is invalid), 2 usage or run error. All work is
//! done by the `crystal` and `diffusion` crates.

mod benchmark;
mod convert;
mod demo;
mod device;
mod eval;
mod inputs;
mod inspect;
mod progress;
mod report_cmd;
mod rundir;
mod sample;
mod sampler;
mod train;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Learn crystal structures with diffusion models, generate new ones, check them.
#[derive(Parser, Debug)]
#[command(name = "crystal-diffusion", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the whole notebook pipeline on the embedded demo data and write a run folder.
    Demo(demo::DemoArgs),
    /// Check structures: minimum distance, volume and composition (SMACT-style).
    Validate(inspect::InspectArgs),
    /// Analyse structures: volume, density, minimum distance, space group, coordination, validity.
    Analyze(inspect::InspectArgs),
    /// Convert between CIF, POSCAR and extended XYZ (file, folder or dataset CSV in).
    Convert(convert::ConvertArgs),
    /// Score generated structures: CSP match rate / RMSE, or de novo validity, coverage,
    /// Wasserstein distances, uniqueness and novelty.
    Eval(eval::EvalArgs),
    /// Train the periodic model (crystal structure prediction) on structure files or data sets.
    Train(train::TrainArgs),
    /// Generate crystals with a trained checkpoint (given compositions).
    Sample(sample::SampleArgs),
    /// Rebuild plots/ and report.html of a run folder from its files.
    Report(report_cmd::ReportArgs),
    /// Reproduce a paper's table row: sample a test split with a checkpoint, score it, and
    /// print and write our row beside CDVAE's, DiffCSP's and FlowMM's.
    Benchmark(benchmark::BenchmarkArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            // --help, --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // No command at all: the whole help, as a usage error.
            let _ = e.print();
            return ExitCode::from(2);
        }
        Err(e) => {
            // One line naming the flag (and the choices, where clap lists them).
            let text = e.to_string();
            let line: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
                .collect();
            eprintln!("{}", line.join(" "));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Demo(args) => demo::run(args).map(|()| ExitCode::SUCCESS),
        Command::Validate(args) => inspect::run(args, false),
        Command::Analyze(args) => inspect::run(args, true),
        Command::Convert(args) => convert::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Report(args) => report_cmd::run(args),
        Command::Train(args) => train::run(args),
        Command::Sample(args) => sample::run(args),
        Command::Benchmark(args) => benchmark::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", message(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, a cause left out when the text before already
/// says it (our errors name their path and carry the operating system's message in their
/// own text: "X: write: No space left on device", not that twice).
fn message(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg = format!("{msg}: {c}");
        }
    }
    msg
}
