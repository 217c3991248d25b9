//! The names a user chooses between: which model ([`ModelKind`]) and what it generates
//! ([`Task`]). One definition each, shared by checkpoints, run summaries and the
//! command line (with the `clap` feature, both are `clap::ValueEnum`s).

use crate::periodic::model::{PeriodicDenoiser, TrainableDenoiser};
use crate::DiffusionError;
use serde::{Deserialize, Serialize};

/// A denoiser design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// Invariant message-passing denoiser on the torus (DiffCSP recipe): lattice and
    /// coordinates (and, de novo, atom types).
    Periodic,
    /// The original notebook's MLP over padded fractional coordinates in a donor's cell.
    SeedMlp,
}

impl ModelKind {
    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Periodic => "periodic",
            ModelKind::SeedMlp => "seed-mlp",
        }
    }
}

/// Work that needs a denoiser's type (train it, load it), run by [`ModelKind::dispatch`]
/// with the type the kind names — the one place that maps kinds to types.
pub trait WithDenoiser {
    type Output;
    fn run<M: TrainableDenoiser>(self) -> Self::Output;
}

impl ModelKind {
    /// Runs `work` with this kind's denoiser type. seed-mlp has none: it is the notebook's
    /// design, trained and sampled by `demo --model seed-mlp` (see `crate::seed_mlp`).
    pub fn dispatch<W: WithDenoiser>(self, work: W) -> Result<W::Output, DiffusionError> {
        match self {
            ModelKind::Periodic => Ok(work.run::<PeriodicDenoiser>()),
            ModelKind::SeedMlp => Err(DiffusionError::Config(
                "seed-mlp has no checkpoints: it runs in `demo --model seed-mlp`".into(),
            )),
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a model generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Crystal structure prediction: composition given, lattice and coordinates generated.
    #[default]
    Csp,
    /// De novo generation: atom count, types, lattice and coordinates generated.
    Dng,
}

impl Task {
    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Task::Csp => "csp",
            Task::Dng => "dng",
        }
    }
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_those_of_files_and_flags() {
        assert_eq!(
            serde_json::to_string(&ModelKind::SeedMlp).unwrap(),
            "\"seed-mlp\""
        );
        assert_eq!(ModelKind::Periodic.to_string(), "periodic");
        assert_eq!(serde_json::to_string(&Task::Dng).unwrap(), "\"dng\"");
        assert_eq!(serde_json::from_str::<Task>("\"csp\"").unwrap(), Task::Csp);
    }

    #[test]
    fn dispatch_runs_with_the_kinds_denoiser_type() {
        struct Kind;
        impl WithDenoiser for Kind {
            type Output = ModelKind;
            fn run<M: TrainableDenoiser>(self) -> ModelKind {
                M::KIND
            }
        }
        assert_eq!(
            ModelKind::Periodic.dispatch(Kind).unwrap(),
            ModelKind::Periodic
        );
        let err = ModelKind::SeedMlp.dispatch(Kind).unwrap_err();
        assert!(err.to_string().contains("demo --model seed-mlp"), "{err}");
    }
}
