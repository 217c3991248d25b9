//! Agreement and speed of our matcher against pymatgen on an agreement set made by
//! `scripts/matcher_agreement.py` (default: the committed fixture).
//!
//! ```text
//! cargo run --release -p crystal --example matcher_agreement [-- FILE.jsonl.gz]
//! ```
//! Prints the share of pairs with the same decision, the largest RMS difference where both
//! match, the disagreements, and the time per pair (ours on all cores, ours on one thread,
//! pymatgen's as recorded by the script), each ours the median of 5 runs.

#[path = "../tests/common/agreement.rs"]
mod agreement;

use agreement::{agrees, load, ours};
use crystal::matcher::MatcherConfig;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/matcher_agreement.jsonl.gz")
        });
    let pairs = load(&path);
    let cfg = MatcherConfig::csp();
    let results: Vec<Option<f64>> = pairs.par_iter().map(|p| ours(p, &cfg)).collect();
    let mut by_kind: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut max_diff: f64 = 0.0;
    let mut disagreements = Vec::new();
    for (p, o) in pairs.iter().zip(&results) {
        let key = format!("{} {}", p.dataset, p.kind);
        let e = by_kind.entry(key).or_default();
        e.0 += 1;
        e.2 += usize::from(p.pymatgen.is_some());
        if agrees(*o, p.pymatgen, 1e-3) {
            e.1 += 1;
        } else {
            disagreements.push(format!(
                "{} {} {}: ours {o:?}, pymatgen {:?}",
                p.dataset, p.kind, p.material_id, p.pymatgen
            ));
        }
        if let (Some(a), Some(b)) = (o, p.pymatgen) {
            max_diff = max_diff.max((a - b[0]).abs());
        }
    }
    let agree: usize = by_kind.values().map(|v| v.1).sum();
    println!("{}: {} pairs", path.display(), pairs.len());
    println!(
        "{:<40} {:>6} {:>7} {:>9}",
        "dataset kind", "pairs", "agree", "pmg match"
    );
    for (k, (n, a, m)) in &by_kind {
        println!("{k:<40} {n:>6} {a:>7} {m:>9}");
    }
    println!(
        "agreement {agree}/{} = {:.2} %, largest RMS difference where both match {max_diff:.2e}",
        pairs.len(),
        100.0 * agree as f64 / pairs.len() as f64
    );
    for d in &disagreements {
        println!("  {d}");
    }
    let time = |par: bool| {
        median(
            (0..5)
                .map(|_| {
                    let t = Instant::now();
                    if par {
                        pairs.par_iter().for_each(|p| {
                            std::hint::black_box(ours(p, &cfg));
                        });
                    } else {
                        pairs.iter().for_each(|p| {
                            std::hint::black_box(ours(p, &cfg));
                        });
                    }
                    t.elapsed().as_secs_f64()
                })
                .collect(),
        )
    };
    let (t_par, t_one) = (time(true), time(false));
    let t_pmg: f64 = pairs.iter().map(|p| p.seconds).sum();
    let n = pairs.len() as f64;
    println!(
        "time per pair: ours {:.3} ms ({} threads), ours {:.3} ms (1 thread), pymatgen {:.2} ms (1 thread); \
         speed-up {:.0}x single-threaded, {:.0}x on all cores",
        1e3 * t_par / n,
        rayon::current_num_threads(),
        1e3 * t_one / n,
        1e3 * t_pmg / n,
        t_pmg / t_one,
        t_pmg / t_par
    );
}
