//! The GPU path against the CPU path on the shipped models: one forward pass of the same
//! noised batch through burn's wgpu backend and through the hand-written CPU kernels must
//! agree to 1e-4. Runs where a GPU adapter exists (a build with `--features gpu`); prints
//! SKIPPED with the reason elsewhere (no feature, or no adapter).

use diffusion::periodic::checkpoint::load_denoiser_on;
use diffusion::periodic::model::{HostOutputs, Inference, ViaBurn, Workspace};
use diffusion::periodic::train::noise_batch;
use diffusion::{Compute, Device};
use std::path::Path;

/// Largest relative difference of the CPU kernels' outputs from `other`'s, per output,
/// on a noised batch of the demo crystals, for both shipped models.
fn compare(other: &Device, via_burn: bool) {
    let crystals = crystal::demo::demo_crystals(1);
    let refs: Vec<&crystal::Crystal> = crystals.iter().collect();
    for name in ["perov5-csp", "perov5-dng"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../models")
            .join(name);
        let (cpu, cfg) = load_denoiser_on(&dir, &Device::flex()).unwrap();
        let (there, _) = load_denoiser_on(&dir, other).unwrap();
        let mut rng = crystal::rng::Rng::derive(7, 0);
        let nb = noise_batch(&refs, &cfg.train.schedule(), &cfg.train, &mut rng);
        let with_types = nb.type_target.is_some();
        let run = |net: &dyn Inference| {
            let mut out = HostOutputs::default();
            net.run(&nb.inputs, with_types, &mut Workspace::default(), &mut out);
            out
        };
        let a = run(cpu.inference().as_ref());
        let b = if via_burn {
            run(&ViaBurn(there.as_ref()))
        } else {
            run(there.inference().as_ref())
        };
        for (what, x, y) in [
            ("coordinate score", &a.coord_score, &b.coord_score),
            ("lattice noise", &a.lattice_eps, &b.lattice_eps),
            ("type noise", &a.type_logits, &b.type_logits),
        ] {
            assert_eq!(x.len(), y.len(), "{name} {what}");
            let worst = x
                .iter()
                .zip(y)
                .map(|(p, q)| (p - q).abs() / p.abs().max(1.0))
                .fold(0.0f32, f32::max);
            eprintln!("{name} {what}: largest difference {worst:.2e}");
            assert!(worst <= 1e-4, "{name} {what}: {worst}");
        }
    }
}

#[test]
fn a_gpu_forward_agrees_with_the_cpu_on_the_shipped_models() {
    match Compute::Gpu.device() {
        Ok((d, name)) => {
            eprintln!("GPU: {name}");
            compare(&d, false);
        }
        Err(e) => eprintln!("SKIPPED: {e}"),
    }
}

/// The GPU path's code (burn's tensors, `ViaBurn`) on the CPU backend, which every machine
/// has: the same check without the device.
#[test]
fn burns_forward_agrees_with_the_cpu_kernels_on_the_shipped_models() {
    compare(&Device::flex(), true);
}
