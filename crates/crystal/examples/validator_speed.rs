//! Throughput of the physics validator: 1,000,000 eight-atom structures (random positions in
//! random near-cubic cells of 3.5–4.5 Å, like the demo's), checked on all cores. Prints the
//! median of `--repeats N` runs (default 5). `cargo run --release -p crystal --example validator_speed`

use crystal::rng::Rng;
use crystal::{Crystal, Element, Lattice, StructuralRule};
use std::time::Instant;

fn main() {
    let repeats: usize = std::env::args()
        .skip_while(|a| a != "--repeats")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let n = 1_000_000;
    let mut rng = Rng::new(1);
    let c = Element::from_z(6).unwrap();
    let crystals: Vec<Crystal> = (0..n)
        .map(|_| {
            let mut rows = [[0.0; 3]; 3];
            for (i, row) in rows.iter_mut().enumerate() {
                for (j, x) in row.iter_mut().enumerate() {
                    *x = if i == j {
                        rng.uniform_range(3.5, 4.5)
                    } else {
                        rng.uniform_range(-0.3, 0.3)
                    };
                }
            }
            let frac = (0..8)
                .map(|_| [rng.uniform(), rng.uniform(), rng.uniform()])
                .collect();
            Crystal::new(Lattice::new(rows).unwrap(), vec![c; 8], frac).unwrap()
        })
        .collect();
    let v = StructuralRule::notebook();
    let mut times = Vec::new();
    let mut passed = 0;
    for _ in 0..repeats {
        let t0 = Instant::now();
        let r = v.check_all(&crystals);
        times.push(t0.elapsed().as_secs_f64());
        passed = r.iter().filter(|x| x.valid).count();
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("threads: {}", rayon::current_num_threads());
    println!(
        "validator: {n} eight-atom structures in median {:.3} s over {repeats} runs ({:.1} M structures/s; {passed} pass 0.7 Å)  (target < 1 s)",
        times[repeats / 2],
        n as f64 / times[repeats / 2] / 1e6
    );
}
