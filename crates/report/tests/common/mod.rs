//! A synthetic run folder for the integration tests, made from the crystal crate's demo
//! structures (no ML crate, nothing outside the repository) and written by the `run`
//! crate's writer, as `demo` writes it.

#![allow(dead_code)]

use crystal::analysis::{analyze, AnalysisConfig, BatchStats, MeanRdf};
use crystal::rng::Rng;
use crystal::{Crystal, Entry};
use run::{
    Command, Frame, GenerationSummary, LossRow, LossSummary, RdfSummary, RunFolder, Snapshots,
    StructureRecord, Summary,
};
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
    let folder = RunFolder::new(dir);
    let mut training_records = Vec::new();
    for (i, e) in training.iter().enumerate() {
        let stem = format!("training_{i:02}");
        let block = format!("{stem}_{}", e.name);
        let (path, rel) = folder.structure_file(&format!("{stem}.cif"));
        crystal::io::write_any(&path, &block, &e.crystal).unwrap();
        training_records.push(StructureRecord {
            file: Some(rel),
            ..StructureRecord::new(analyze(e, &cfg))
        });
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
        let (path, rel) = folder.structure_file(&format!("{name}.cif"));
        crystal::io::write_any(&path, &name, &c).unwrap();
        records.push(StructureRecord {
            donor: Some(donor.name.clone()),
            file: Some(rel),
            ..StructureRecord::new(analyze(&Entry::new(name, c.clone()), &cfg))
        });
        generated.push(c);
    }
    let stats = BatchStats::of(records.iter().map(|r| &r.analysis));
    let training_crystals: Vec<Crystal> = training.iter().map(|e| e.crystal.clone()).collect();
    let summary = Summary {
        command: Some(Command::Demo),
        model: Some("seed-mlp".into()),
        parameters: Some(199043),
        config: json!({"epochs": 5, "seed": 11, "min_distance": 0.7, "cutoff": 3.2}),
        data: json!({"n_structures": 21, "source": "crystal::demo (test fixture) <b>&</b>"}),
        loss: LossSummary::of(&[0.9, 0.4, 0.3]),
        generation: Some(GenerationSummary {
            count: records.len(),
            pass_rate: Some(stats.pass_rate),
            random_baseline_pass_rate: Some(0.5),
            min_distance_threshold_a: Some(0.7),
            coordination_cutoff_a: Some(3.2),
            stats: Some(stats),
            ..GenerationSummary::default()
        }),
        training_structures_stats: Some(BatchStats::of(
            training_records.iter().map(|r| &r.analysis),
        )),
        rdf: Some(RdfSummary {
            training: MeanRdf::of(&training_crystals, 6.0, 0.1),
            generated: MeanRdf::of(&generated, 6.0, 0.1),
        }),
        structures: records,
        training_structures: training_records,
        timings_s: [("training", 0.1), ("sampling", 0.05)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Some(v)))
            .collect(),
        ..Summary::default()
    };
    folder.write_summary(&summary).unwrap();

    let mut loss = Vec::new();
    for step in 1..=25 {
        let epoch = (step - 1) / 5 + 1;
        loss.push(LossRow {
            epoch,
            step,
            loss: 1.0 / (step as f64).sqrt() + 0.1 * rng.uniform(),
            val_loss: (step % 5 == 0).then(|| 1.1 / (step as f64).sqrt()),
            ..LossRow::default()
        });
    }
    folder.write_loss(&loss).unwrap();

    let c = &generated[0];
    let frames: Vec<Frame> = [199, 150, 100, 50, 0]
        .iter()
        .map(|&t| Frame {
            t,
            frac_coords: if t == 0 {
                c.frac_coords().to_vec()
            } else {
                (0..c.num_atoms())
                    .map(|_| [rng.uniform(), rng.uniform(), rng.uniform()])
                    .collect()
            },
            lattice_a: None,
        })
        .collect();
    folder
        .write_snapshots(&Snapshots {
            structure: Some("generated_0000".into()),
            donor: Some(training[0].name.clone()),
            lattice_a: *c.lattice().rows(),
            species: c.species().iter().map(|e| e.symbol().to_string()).collect(),
            snapshots: frames,
        })
        .unwrap();
}
