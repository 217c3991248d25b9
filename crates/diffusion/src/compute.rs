//! Where the networks run: the CPU (burn's `flex` backend and the hand-written kernels of
//! `kernel`, `periodic::infer` and `periodic::backprop`) or a GPU (burn's `wgpu` backend:
//! Vulkan on Linux, Metal on macOS, DX12 on Windows), which a build has only with the cargo
//! feature `gpu`.
//!
//! [`Compute`] is the user's choice (`--device cpu|gpu`); [`Compute::device`] turns it
//! into a burn [`Device`] once, at the edge, and is the one place that looks for a GPU.
//! A build without the feature, or a machine without a GPU adapter, gets one error
//! ([`DiffusionError::NoGpu`]) that says what was looked for and what was found. Software
//! adapters (llvmpipe, WARP) are named but not taken: they are slower than the CPU path.

use crate::error::DiffusionError;
use burn::tensor::Device;

/// The compute device of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Compute {
    /// The CPU: burn's `flex` backend, with the hand-written forward and backward of the
    /// `periodic` model (all cores).
    #[default]
    Cpu,
    /// The first discrete GPU (else integrated, else virtual) that wgpu finds, through
    /// burn's `wgpu` backend; needs a build with `--features gpu`.
    Gpu,
}

impl Compute {
    /// The name on the command line (`cpu`, `gpu`).
    pub fn name(self) -> &'static str {
        match self {
            Compute::Cpu => "cpu",
            Compute::Gpu => "gpu",
        }
    }

    /// The burn device, and a line naming it (`cpu (flex, 16 threads)`, `NVIDIA H200
    /// (Vulkan)`). [`DiffusionError::NoGpu`] when a GPU is asked for and none can be used.
    pub fn device(self) -> Result<(Device, String), DiffusionError> {
        match self {
            Compute::Cpu => Ok((
                Device::flex(),
                format!("cpu (flex, {} threads)", rayon::current_num_threads()),
            )),
            Compute::Gpu => gpu::device(),
        }
    }
}

/// Whether `device` is the CPU backend (where the hand-written kernels run).
pub fn is_cpu(device: &Device) -> bool {
    *device == Device::flex() || *device == Device::flex().autodiff()
}

#[cfg(not(feature = "gpu"))]
mod gpu {
    use super::*;

    pub(super) fn device() -> Result<(Device, String), DiffusionError> {
        Err(DiffusionError::NoGpu(
            "this build has no GPU backend; rebuild with `cargo build --release --features gpu` (burn's wgpu: Vulkan, Metal or DX12)".into(),
        ))
    }
}

#[cfg(feature = "gpu")]
mod gpu {
    use super::*;
    use burn::tensor::DeviceKind;

    /// Polls a future that native wgpu resolves at once (adapter enumeration).
    fn ready<T>(f: impl std::future::Future<Output = T>) -> Option<T> {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        for _ in 0..1000 {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return Some(v);
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        None
    }

    pub(super) fn device() -> Result<(Device, String), DiffusionError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapters =
            ready(instance.enumerate_adapters(wgpu::Backends::PRIMARY)).unwrap_or_default();
        let infos: Vec<wgpu::AdapterInfo> = adapters.iter().map(|a| a.get_info()).collect();
        let pick = |kind: wgpu::DeviceType| infos.iter().find(|i| i.device_type == kind);
        let chosen = [
            (wgpu::DeviceType::DiscreteGpu, DeviceKind::DiscreteGpu(0)),
            (
                wgpu::DeviceType::IntegratedGpu,
                DeviceKind::IntegratedGpu(0),
            ),
            (wgpu::DeviceType::VirtualGpu, DeviceKind::VirtualGpu(0)),
        ]
        .into_iter()
        .find_map(|(t, k)| pick(t).map(|i| (i, k)));
        match chosen {
            Some((info, kind)) => Ok((
                Device::wgpu(kind),
                format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type),
            )),
            None => {
                let found = if infos.is_empty() {
                    "none".to_string()
                } else {
                    infos
                        .iter()
                        .map(|i| format!("{} ({:?}, {:?})", i.name, i.backend, i.device_type))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                Err(DiffusionError::NoGpu(format!(
                    "no GPU adapter: looked through wgpu for discrete, integrated or virtual GPUs on Vulkan, Metal and DX12 (the APIs burn runs on); found {found}. Check the driver (`vulkaninfo --summary`) or use --device cpu"
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_is_flex_and_always_there() {
        let (d, name) = Compute::Cpu.device().unwrap();
        assert!(is_cpu(&d));
        assert!(name.starts_with("cpu (flex, "), "{name}");
        assert_eq!(Compute::default(), Compute::Cpu);
    }

    #[cfg(not(feature = "gpu"))]
    #[test]
    fn a_build_without_the_feature_says_how_to_get_one() {
        let e = Compute::Gpu.device().unwrap_err().to_string();
        assert!(e.contains("--features gpu"), "{e}");
        assert!(e.starts_with("--device gpu: "), "{e}");
    }

    /// With the feature: a device where an adapter exists, else the error naming what was
    /// looked for (the CI machine and this one have none).
    #[cfg(feature = "gpu")]
    #[test]
    fn the_gpu_is_found_or_the_error_says_what_was_looked_for() {
        match Compute::Gpu.device() {
            Ok((d, name)) => {
                assert!(!is_cpu(&d));
                eprintln!("GPU: {name}");
            }
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains("Vulkan, Metal and DX12"), "{e}");
                eprintln!("SKIPPED (no GPU adapter): {e}");
            }
        }
    }
}
