//! A synthetic run folder for the integration tests, made from the crystal crate's demo
//! structures (no ML crate, nothing outside the repository).

#![allow(dead_code)]

use crystal::analysis::{analyze, AnalysisConfig};
use crystal::rng::Rng;
use crystal::{Crystal, Entry};
use serde_json::json;
use std::path::Path;

/// A run folder like `demo` writes, made from the demo structures: 21 training
/// structures, `n_generated` generated ones (random positions in training cells, so some invalid),
/// summary, loss with a validation column, and snapshots.
pub fn make_run(dir: &Path, n_generated: usize) {
    let sdir = dir.join("structures");
    std::fs::create_dir_all(&sdir).unwrap();
    let training = crystal::demo::demo_dataset(3);
    let cfg = AnalysisConfig {
        symprec_a: None,
        ..AnalysisConfig::default()
    };
    let mut training_records = Vec::new();
    for (i, e) in training.iter().enumerate() {
        let block = format!("training_{i:02}_{}", e.name);
        crystal::io::write_any(
            &sdir.join(format!("training_{i:02}.cif")),
            &block,
            &e.crystal,
        )
        .unwrap();
        training_records.push(serde_json::to_value(analyze(e, &cfg)).unwrap());
    }
    let mut rng = Rng::new(11);
    let mut records = Vec::new();
    let mut generated: Vec<Crystal> = Vec::new();
    for k in 0..n_generated {
        let donor = &training[k % training.len()];
        let frac = (0..donor.crystal.num_atoms())
            .map(|_| [rng.uniform(), rng.uniform(), rng.uniform()])
            .collect();
        let c = Crystal::new(
            *donor.crystal.lattice(),
            donor.crystal.species().to_vec(),
            frac,
        )
        .unwrap();
        let name = format!("generated_{k:04}");
        crystal::io::write_any(&sdir.join(format!("{name}.cif")), &name, &c).unwrap();
        let mut r = serde_json::to_value(analyze(&Entry::new(name, c.clone()), &cfg)).unwrap();
        r["donor"] = json!(donor.name);
        records.push(r);
        generated.push(c);
    }
    let pass = records
        .iter()
        .filter(|r| r["valid_structure"] == json!(true))
        .count() as f64
        / records.len() as f64;
    let summary = json!({
        "model": "seed-mlp",
        "parameters": 199043,
        "config": {"epochs": 5, "seed": 11, "min_distance": 0.7, "cutoff": 3.2, "rdf_max": 6.0, "rdf_bin": 0.1},
        "data": {"n_structures": 21, "source": "crystal::demo (test fixture) <b>&</b>"},
        "loss": {"initial": 0.9, "final": 0.3, "best": 0.25, "improvement_pct": 66.7},
        "generation": {
            "count": records.len(), "pass_rate": pass, "random_baseline_pass_rate": 0.5,
            "min_distance_threshold_a": 0.7, "coordination_cutoff_a": 3.2
        },
        "structures": records,
        "training_structures": training_records,
        "timings_s": {"training": 0.1, "sampling": 0.05},
    });
    std::fs::write(dir.join("summary.json"), summary.to_string()).unwrap();

    let mut loss = String::from("epoch,step,loss,val_loss\n");
    for step in 1..=25 {
        let epoch = (step - 1) / 5 + 1;
        let l = 1.0 / (step as f64).sqrt() + 0.1 * rng.uniform();
        let val = if step % 5 == 0 {
            format!("{}", 1.1 / (step as f64).sqrt())
        } else {
            String::new()
        };
        loss.push_str(&format!("{epoch},{step},{l},{val}\n"));
    }
    std::fs::write(dir.join("loss.csv"), loss).unwrap();

    let c = &generated[0];
    let frames: Vec<_> = [199, 150, 100, 50, 0]
        .iter()
        .map(|&t| {
            let f: Vec<[f64; 3]> = if t == 0 {
                c.frac_coords().to_vec()
            } else {
                (0..c.num_atoms())
                    .map(|_| [rng.uniform(), rng.uniform(), rng.uniform()])
                    .collect()
            };
            json!({"t": t, "frac_coords": f})
        })
        .collect();
    let species: Vec<&str> = c.species().iter().map(|e| e.symbol()).collect();
    let snapshots = json!({
        "structure": "generated_0000",
        "donor": training[0].name,
        "lattice_a": c.lattice().rows(),
        "species": species,
        "snapshots": frames,
    });
    std::fs::write(dir.join("snapshots.json"), snapshots.to_string()).unwrap();
}
