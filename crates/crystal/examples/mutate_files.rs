//! Writes N mutated structure files (see `crystal::fuzz`) into a folder, for the CLI
//! harness `scripts/fuzz_files.sh`:
//! `cargo run --release -p crystal --example mutate_files -- OUT_DIR N [SEED]`.

use crystal::fuzz::{mutate, seed_files};
use crystal::rng::Rng;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(n)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: mutate_files OUT_DIR N [SEED]");
        std::process::exit(2);
    };
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out).expect("create OUT_DIR");
    let seeds = seed_files();
    for k in 0..n {
        let (name, bytes) = &seeds[k % seeds.len()];
        let mut rng = Rng::derive(seed, k as u64);
        std::fs::write(out.join(format!("{k:05}_{name}")), mutate(bytes, &mut rng))
            .expect("write a mutated file");
    }
    println!("{n} files in {}", out.display());
}
