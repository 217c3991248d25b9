//! Layer constructors shared by the denoisers, seeded so that the same seed gives the
//! same weights on every machine.

use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor, TensorData};
use crystal::rng::Rng;

/// A Linear layer with PyTorch's default initialisation, U(−1/√fan_in, 1/√fan_in) for
/// weight and bias, drawn from `rng` (weight in burn's [in, out] layout, then bias).
pub fn linear(d_in: usize, d_out: usize, rng: &mut Rng, device: &Device) -> Linear {
    let bound = 1.0 / (d_in as f64).sqrt();
    let mut draw = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| rng.uniform_range(-bound, bound) as f32)
            .collect()
    };
    let w = draw(d_in * d_out);
    let b = draw(d_out);
    let mut lin = LinearConfig::new(d_in, d_out).init(device);
    lin.weight = Param::from_tensor(Tensor::from_data(TensorData::new(w, [d_in, d_out]), device));
    lin.bias = Some(Param::from_tensor(Tensor::from_data(
        TensorData::new(b, [d_out]),
        device,
    )));
    lin
}
