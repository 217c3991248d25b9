//! # diffusion — generative models of crystals
//!
//! The ML layer of crystal-diffusion, on burn (CPU backend `flex`). It builds on the
//! `crystal` crate (structures) and the `run` crate (atomic folder writing for
//! checkpoints) and never on the report or CLI layers.
//!
//! Module graph (arrows point at what a module uses):
//!
//! ```text
//! kind (ModelKind, Task) ──────────────────────────────────────────────┐
//! nn (seeded layers) ─┬─> seed_mlp::{model ─> train, sample, infer}    │
//! schedule ───────────┤                                                │
//! embedding ──────────┤                                                │
//! kernel (gemm, SiLU, │                                                │
//!   SIMD dispatch) ───┤                                                │
//! clip, params, adamw ┴─> periodic::{                                  │
//!       lattice (log-Cholesky numbers)                                 │
//!       noise   (TorusVe, LatticeDdpm, TypeDdpm: one process per variable)
//!       batch   (graph inputs) ─> model (Denoiser, TrainableDenoiser, PeriodicDenoiser)
//!       infer   (fused host forward) ─> backprop (hand-written backward)
//!       train   (Trainer<M>::fit, Observer, DataStats) ─> checkpoint   │
//!       sample  (Target, sample, sample_traced) }  <───────────────────┘
//! ```
//!
//! `compute` (`Compute::Cpu | Gpu` → a burn device) is the one place that looks for a GPU;
//! on a GPU the models run through burn's tensors (`ViaBurn`, autodiff), on the CPU
//! through the hand-written kernels.
//!
//! `kernel` is the one host math kernel the fast paths share (the seed sampler keeps its
//! own GELU loop); `periodic::infer` runs the trained network for sampling and validation,
//! `periodic::backprop` its training step, `adamw` the optimizer on host arrays.
//!
//! Adding a denoiser touches two files: its own module (a burn `Module` implementing
//! [`periodic::model::Denoiser`] and [`periodic::model::TrainableDenoiser`]) and `kind.rs`
//! (a [`ModelKind`] variant and its arm in [`ModelKind::dispatch`]). The noise processes,
//! `Trainer<M>`, checkpoints (`checkpoint::load_denoiser`, `load_trainer_as::<M>`) and the
//! sampler are shared; the CLI's `train` and `sample` reach the type only through
//! `dispatch`. Tensor
//! shapes are written beside every forward function; fractional coordinates are rows of
//! 3, one row per atom.
//!
//! Train a small model on the demo crystals and generate one structure:
//!
//! ```
//! use diffusion::periodic::sample::{sample, SampleOptions, Target};
//! use diffusion::periodic::train::{DataStats, PeriodicTrainConfig, Trainer};
//! use diffusion::periodic::PeriodicConfig;
//! let data: Vec<crystal::Crystal> =
//!     crystal::demo::demo_crystals(1);
//! let cfg = PeriodicTrainConfig {
//!     model: PeriodicConfig::tiny(),
//!     timesteps: 20,
//!     epochs: 2,
//!     batch_size: 21,
//!     ..PeriodicTrainConfig::default()
//! };
//! let mut trainer = Trainer::new(cfg, DataStats::fit(&data))?;
//! trainer.fit(&data, &[], None, &mut ())?;
//! assert_eq!(trainer.history.len(), 2);
//! let model = trainer.ema_model()?;
//! let al = crystal::Element::from_symbol("Al").unwrap();
//! let opts = SampleOptions { steps: 5, ..SampleOptions::default() };
//! let out = sample(&model, &trainer.cfg, &[Target::composition(vec![al; 4])], &opts, &|_| {})?;
//! assert_eq!(out[0].as_ref().unwrap().num_atoms(), 4);
//! # Ok::<(), diffusion::DiffusionError>(())
//! ```

pub mod adamw;
pub mod clip;
pub mod compute;
pub mod embedding;
pub mod error;
pub mod kernel;
pub mod kind;
pub mod nn;
pub mod params;
pub mod periodic;
pub mod schedule;
pub mod seed_mlp;

pub use burn::tensor::Device;
pub use compute::Compute;
pub use error::DiffusionError;
pub use kind::{ModelKind, Task};
pub use schedule::LinearSchedule;
