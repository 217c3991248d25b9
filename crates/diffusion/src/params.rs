//! Parameters of a burn module as plain named arrays: collected in the module's visiting
//! order with their paths (`layers.0.e1.weight`) and burn parameter ids, written to and
//! read from safetensors files (readable by any safetensors library), restored into a
//! module with shape checks, and blended into an exponential moving average.

use crate::error::DiffusionError;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{Tensor, TensorData};
use safetensors::tensor::{Dtype, TensorView};
use std::collections::HashMap;
use std::path::Path;

/// One float parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedParam {
    /// Path of the parameter in the module (`layers.0.e1.weight`).
    pub name: String,
    /// burn's parameter id (optimizer state is keyed by it).
    pub id: u64,
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

struct Collect {
    path: Vec<String>,
    out: Vec<NamedParam>,
}

impl ModuleVisitor for Collect {
    fn enter_module(&mut self, name: &str, _container: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
        let t = p.val();
        let shape = t.dims().to_vec();
        let data = t
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap_or_default();
        self.out.push(NamedParam {
            name: self.path.join("."),
            id: p.id.val(),
            shape,
            data,
        });
    }
}

struct HostGrads<'a> {
    grads: &'a burn::optim::GradientsParams,
    out: HashMap<u64, Vec<f32>>,
}

impl ModuleVisitor for HostGrads<'_> {
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.get::<D>(p.id) {
            let data = g
                .into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .unwrap_or_default();
            self.out.insert(p.id.val(), data);
        }
    }
}

/// The gradients of `m`'s parameters as host arrays by parameter id (each in its weight's
/// layout, row-major), read back from whichever device computed them; a parameter
/// without a gradient has no entry.
pub fn gradients_to_host<M: Module>(
    m: &M,
    grads: &burn::optim::GradientsParams,
) -> HashMap<u64, Vec<f32>> {
    let mut v = HostGrads {
        grads,
        out: HashMap::new(),
    };
    m.visit(&mut v);
    v.out
}

/// Every float parameter of `m`, in visiting order.
pub fn collect<M: Module>(m: &M) -> Vec<NamedParam> {
    let mut c = Collect {
        path: Vec::new(),
        out: Vec::new(),
    };
    m.visit(&mut c);
    c.out
}

struct Restore<'a> {
    params: &'a [NamedParam],
    next: usize,
    error: Option<String>,
}

impl ModuleMapper for Restore<'_> {
    fn map_float<const D: usize>(&mut self, p: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(src) = self.params.get(self.next) else {
            self.error
                .get_or_insert_with(|| format!("parameter {} missing", self.next));
            return p;
        };
        self.next += 1;
        let t = p.val();
        let shape = t.dims().to_vec();
        if shape != src.shape {
            self.error.get_or_insert_with(|| {
                format!(
                    "{}: shape {:?} in the file, {:?} in the model",
                    src.name, src.shape, shape
                )
            });
            return p;
        }
        let device = t.device();
        let value = Tensor::<D>::from_data(TensorData::new(src.data.clone(), shape), &device);
        let value = if p.is_require_grad() {
            value.require_grad()
        } else {
            value
        };
        Param::initialized(ParamId::from(src.id), value)
    }
}

/// Puts `params` (in the order [`collect`] gives) into `m`, keeping their ids.
pub fn restore<M: Module>(m: M, params: &[NamedParam], path: &Path) -> Result<M, DiffusionError> {
    let mut r = Restore {
        params,
        next: 0,
        error: None,
    };
    let m = m.map(&mut r);
    if let Some(e) = r.error {
        return Err(DiffusionError::checkpoint(path, e));
    }
    if r.next != params.len() {
        return Err(DiffusionError::checkpoint(
            path,
            format!(
                "{} parameters in the file, {} in the model",
                params.len(),
                r.next
            ),
        ));
    }
    Ok(m)
}

/// Writes the parameters to a safetensors file (names as tensor names; ids and
/// `metadata` in the header's metadata).
pub fn save_safetensors(
    params: &[NamedParam],
    metadata: &HashMap<String, String>,
    path: &Path,
) -> Result<(), DiffusionError> {
    let bytes: Vec<Vec<u8>> = params
        .iter()
        .map(|p| p.data.iter().flat_map(|x| x.to_le_bytes()).collect())
        .collect();
    let mut views = Vec::with_capacity(params.len());
    for (p, b) in params.iter().zip(&bytes) {
        let v = TensorView::new(Dtype::F32, p.shape.clone(), b)
            .map_err(|e| DiffusionError::checkpoint(path, e.to_string()))?;
        views.push((format!("{:04}.{}", views.len(), p.name), v));
    }
    let mut meta = metadata.clone();
    let ids: Vec<String> = params.iter().map(|p| p.id.to_string()).collect();
    meta.insert("param_ids".into(), ids.join(","));
    meta.insert(CHECKSUM_KEY.into(), checksum(&bytes));
    let data = safetensors::tensor::serialize(views, Some(meta))
        .map_err(|e| DiffusionError::checkpoint(path, e.to_string()))?;
    let data = sorted_header(data).map_err(|e| DiffusionError::checkpoint(path, e))?;
    std::fs::write(path, data).map_err(|e| DiffusionError::io(path, e))
}

/// The same safetensors file with its header's keys in sorted order: the crate writes the
/// metadata map in a `HashMap`'s random order, so two saves of the same weights differed in
/// their header bytes. The header is padded with spaces to a multiple of 8 bytes, as the
/// crate does; tensor offsets count from the end of the header and are unchanged.
fn sorted_header(file: Vec<u8>) -> Result<Vec<u8>, String> {
    let n = file
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()) as usize)
        .ok_or("no header")?;
    let header = file.get(8..8 + n).ok_or("short header")?;
    // Keys sorted explicitly at both levels (tensor names; the metadata's string map).
    let mut v: std::collections::BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(header).map_err(|e| e.to_string())?;
    if let Some(meta) = v.get_mut("__metadata__") {
        let sorted: std::collections::BTreeMap<String, String> =
            serde_json::from_value(meta.take()).map_err(|e| e.to_string())?;
        *meta = serde_json::to_value(sorted).map_err(|e| e.to_string())?;
    }
    let mut text = serde_json::to_vec(&v).map_err(|e| e.to_string())?;
    while text.len() % 8 != 0 {
        text.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + text.len() + file.len() - 8 - n);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(&text);
    out.extend_from_slice(&file[8 + n..]);
    Ok(out)
}

/// The metadata key of the weights' checksum ([`checksum`]).
pub const CHECKSUM_KEY: &str = "checksum";

/// FNV-1a (64 bit) over the little-endian bytes of every tensor in file order, as
/// `fnv1a64:` and 16 hex digits: a flipped weight byte changes it.
pub fn checksum<B: AsRef<[u8]>>(tensors: &[B]) -> String {
    let mut h = run::fnv::Fnv1a::default();
    for t in tensors {
        h.update(t.as_ref());
    }
    format!("fnv1a64:{}", h.hex())
}

/// Reads a file written by [`save_safetensors`]: parameters in order, and the metadata.
/// A file with a checksum (written since it was introduced) must match it.
pub fn load_safetensors(
    path: &Path,
) -> Result<(Vec<NamedParam>, HashMap<String, String>), DiffusionError> {
    let bad = |m: String| DiffusionError::checkpoint(path, m);
    let file = std::fs::metadata(path).map_err(|e| DiffusionError::io(path, e))?;
    if !file.is_file() {
        return Err(bad("not a regular file".into()));
    }
    let bytes = std::fs::read(path).map_err(|e| DiffusionError::io(path, e))?;
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes)
        .map_err(|e| bad(format!("not a safetensors file ({e})")))?;
    let meta = header.metadata().clone().unwrap_or_default();
    let st = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| bad(format!("not a safetensors file ({e})")))?;
    let mut names: Vec<String> = st.names().into_iter().map(|n| n.to_string()).collect();
    names.sort();
    let ids: Vec<u64> = meta
        .get("param_ids")
        .map(|s| s.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_default();
    if let Some(want) = meta.get(CHECKSUM_KEY) {
        let data: Vec<&[u8]> = names
            .iter()
            .map(|n| st.tensor(n).map(|t| t.data()))
            .collect::<Result<_, _>>()
            .map_err(|e| bad(e.to_string()))?;
        let got = checksum(&data);
        if &got != want {
            return Err(bad(format!(
                "the weights changed since they were written (checksum {got}, recorded \
                 {want}): the file is corrupt"
            )));
        }
    }
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let t = st.tensor(name).map_err(|e| bad(e.to_string()))?;
        if t.dtype() != Dtype::F32 {
            return Err(bad(format!("{name}: dtype {:?}, expected F32", t.dtype())));
        }
        let data: Vec<f32> = t
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        out.push(NamedParam {
            name: name
                .split_once('.')
                .map_or_else(|| name.clone(), |(_, n)| n.to_string()),
            id: ids.get(i).copied().unwrap_or(i as u64),
            shape: t.shape().to_vec(),
            data,
        });
    }
    Ok((out, meta))
}

/// ema ← decay·ema + (1 − decay)·current, parameter by parameter (both in visiting order).
pub fn ema_update(ema: &mut [NamedParam], current: &[NamedParam], decay: f64) {
    use rayon::prelude::*;
    let (d, e) = (decay as f32, (1.0 - decay) as f32);
    ema.par_iter_mut().zip(current).for_each(|(a, b)| {
        for (x, y) in a.data.iter_mut().zip(&b.data) {
            *x = d * *x + e * *y;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::periodic::{PeriodicConfig, PeriodicDenoiser};
    use burn::tensor::Device;

    #[test]
    fn safetensors_round_trip_restores_weights_and_ids() {
        let device = Device::flex();
        let cfg = PeriodicConfig {
            hidden: 16,
            layers: 1,
            k_freq: 2,
            time_dim: 8,
            ..PeriodicConfig::default()
        };
        let a = PeriodicDenoiser::new(&cfg, 1, &device);
        let pa = collect(&a);
        assert!(
            pa.iter().any(|p| p.name.contains("layers.0.e1")),
            "{:?}",
            pa.iter().map(|p| &p.name).collect::<Vec<_>>()
        );
        let dir = std::env::temp_dir().join(format!("cd-params-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("w.safetensors");
        // Several metadata keys: every save gives the same bytes (the crate alone wrote
        // them in a random order).
        let meta: HashMap<String, String> = ["model", "format", "a", "z", "m"]
            .iter()
            .map(|k| (k.to_string(), format!("value of {k}")))
            .collect();
        save_safetensors(&pa, &meta, &path).unwrap();
        let first = std::fs::read(&path).unwrap();
        assert_eq!(u64::from_le_bytes(first[..8].try_into().unwrap()) % 8, 0);
        for _ in 0..4 {
            save_safetensors(&pa, &meta.clone().into_iter().collect(), &path).unwrap();
            assert!(
                std::fs::read(&path).unwrap() == first,
                "header order changed"
            );
        }
        let (loaded, read_meta) = load_safetensors(&path).unwrap();
        assert_eq!(read_meta["z"], "value of z");
        let b = restore(PeriodicDenoiser::new(&cfg, 2, &device), &loaded, &path).unwrap();
        assert_eq!(collect(&b), pa);
        // A model of another size is refused with the parameter's name.
        let other = PeriodicConfig { hidden: 8, ..cfg };
        let err = restore(PeriodicDenoiser::new(&other, 2, &device), &loaded, &path).unwrap_err();
        assert!(err.to_string().contains("shape"), "{err}");
        // A corrupt file is refused.
        std::fs::write(&path, b"not a checkpoint").unwrap();
        assert!(load_safetensors(&path).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
