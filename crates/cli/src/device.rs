//! `--device cpu|gpu`, one flag for `train`, `sample` and `demo`, turned into a burn device
//! once, before anything is read or written, so that a missing GPU costs one line and
//! exit 2 rather than a half-made run folder.

use anyhow::Result;
use clap::Args;
use diffusion::Compute;
use diffusion::Device;

/// The compute-device flag.
#[derive(Args, Debug, Clone, Copy)]
pub struct DeviceArgs {
    /// Where the network runs: `cpu` (all cores, hand-written kernels) or `gpu` (burn's
    /// wgpu backend: Vulkan, Metal or DX12; needs a build with `--features gpu`).
    #[arg(long, value_enum, default_value_t = Compute::default())]
    pub device: Compute,
}

impl DeviceArgs {
    /// The burn device; a GPU's name is printed to standard error unless `quiet`.
    pub fn resolve(&self, quiet: bool) -> Result<Device> {
        let (device, name) = self.device.device()?;
        if !quiet && self.device != Compute::Cpu {
            eprintln!("device: {name}");
        }
        Ok(device)
    }
}
