//! Matcher throughput on CSP-like pairs: every structure of a data set (default the shared
//! Perov-5 test split, 3,785 rows) against a copy with each atom displaced by 0.1 Å and
//! the cell strained by up to 3 % (seeded), the work of `eval csp` minus file reading.
//! Times preparation (Niggli + primitive cell) and matching of all pairs on all cores;
//! prints the median of 5 runs and the match rate.
//!
//! ```text
//! cargo run --release -p crystal --example matcher_speed [-- DATASET.csv.gz]
//! ```

use crystal::io::dataset::read_dataset;
use crystal::matcher::{rms_dist, MatcherConfig, Prepared};
use crystal::rng::Rng;
use crystal::{Crystal, Lattice};
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

fn perturbed(c: &Crystal, seed: u64) -> Crystal {
    let mut rng = Rng::new(seed);
    let r = c.lattice().rows();
    let rows: [[f64; 3]; 3] =
        std::array::from_fn(|i| r[i].map(|x| x * (1.0 + 0.03 * (2.0 * rng.uniform() - 1.0))));
    let lat = Lattice::new(rows).unwrap();
    let cart: Vec<[f64; 3]> = c
        .frac_coords()
        .iter()
        .map(|&f| {
            let p = lat.frac_to_cart(f);
            let d = [rng.normal(), rng.normal(), rng.normal()];
            let l = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt() / 0.1;
            [p[0] + d[0] / l, p[1] + d[1] / l, p[2] + d[2] / l]
        })
        .collect();
    Crystal::from_cart(lat, c.species().to_vec(), &cart).unwrap()
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/data/perov_5/test.csv.gz")
        });
    let gts: Vec<Crystal> = read_dataset(&path)
        .unwrap()
        .into_iter()
        .filter_map(|r| r.ok())
        .map(|e| e.crystal)
        .collect();
    let preds: Vec<Crystal> = gts
        .iter()
        .enumerate()
        .map(|(i, c)| perturbed(c, i as u64))
        .collect();
    let cfg = MatcherConfig::csp();
    let mut times = Vec::new();
    let mut matched = 0;
    for _ in 0..5 {
        let t = Instant::now();
        matched = preds
            .par_iter()
            .zip(&gts)
            .filter(|(p, g)| {
                let a = Prepared::new(p, &cfg).unwrap();
                let b = Prepared::new(g, &cfg).unwrap();
                rms_dist(&a, &b, &cfg).is_ok()
            })
            .count();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{}: {} pairs matched in {:.3} s (median of 5, {} threads; runs {:.3}-{:.3} s), {:.3} ms/pair, match rate {:.1} %",
        path.display(),
        gts.len(),
        times[2],
        rayon::current_num_threads(),
        times[0],
        times[4],
        1e3 * times[2] / gts.len() as f64,
        100.0 * matched as f64 / gts.len() as f64
    );
}
