use super::*;
use crate::test_support::el;
use crate::{Element, Lattice};
use proptest::prelude::*;

/// One structure of a reference file written by `scripts/compare_fingerprints.py`.
struct Reference {
    id: String,
    crystal: Crystal,
    comp: Vec<f64>,
    /// None where matminer raised.
    structure: Option<Vec<f64>>,
}

fn nums(s: &str) -> Vec<f64> {
    s.split_whitespace().map(|x| x.parse().unwrap()).collect()
}

fn parse_reference(text: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    let (mut id, mut rows, mut species, mut frac, mut comp) = (
        String::new(),
        [[0.0; 3]; 3],
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for line in text.lines() {
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "structure" => id = rest.to_string(),
            "lattice" => {
                let v = nums(rest);
                rows = [[v[0], v[1], v[2]], [v[3], v[4], v[5]], [v[6], v[7], v[8]]];
            }
            "site" => {
                let v = nums(rest);
                species.push(Element::from_z(v[0] as u8).unwrap());
                frac.push([v[1], v[2], v[3]]);
            }
            "comp" => comp = nums(rest),
            "struct" => {
                let structure = (rest != "error").then(|| nums(rest));
                let crystal = Crystal::new(
                    Lattice::new(rows).unwrap(),
                    std::mem::take(&mut species),
                    std::mem::take(&mut frac),
                )
                .unwrap();
                out.push(Reference {
                    id: std::mem::take(&mut id),
                    crystal,
                    comp: std::mem::take(&mut comp),
                    structure,
                });
            }
            _ => {}
        }
    }
    out
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Agreement statistics of our structure fingerprints with the reference ones: per-feature
/// |difference|, and |difference| of the Euclidean distance of every pair within a dataset.
struct Agreement {
    n: usize,
    mean_abs: f64,
    max_abs: f64,
    max_abs_at: String,
    pair_mean: f64,
    pair_max: f64,
    pairs: usize,
    /// Pairs on different sides of the COV cutoff 0.2.
    cutoff_flips: usize,
}

fn structure_agreement(refs: &[Reference]) -> Agreement {
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let mut groups = Vec::new();
    let (mut sum_abs, mut count, mut max_abs, mut max_abs_at) =
        (0.0, 0usize, 0.0f64, String::new());
    for r in refs {
        let got = structure_fingerprint(&r.crystal);
        let Some(want) = &r.structure else {
            assert!(got.is_err(), "{}: matminer failed, we did not", r.id);
            continue;
        };
        let got = got.unwrap_or_else(|e| panic!("{}: {e}", r.id));
        for (k, (a, b)) in got.iter().zip(want).enumerate() {
            let d = (a - b).abs();
            sum_abs += d;
            count += 1;
            if d > max_abs {
                max_abs = d;
                max_abs_at = format!(
                    "{} feature {k} ({}): ours {a}, matminer {b}",
                    r.id,
                    structure_feature_labels()[k]
                );
            }
        }
        groups.push(r.id.split(':').next().unwrap().to_string());
        ours.push(got);
        theirs.push(want.clone());
    }
    let (mut pair_sum, mut pair_max, mut pairs, mut flips) = (0.0, 0.0f64, 0usize, 0usize);
    for a in 0..ours.len() {
        for b in a + 1..ours.len() {
            if groups[a] != groups[b] {
                continue;
            }
            let (d1, d2) = (dist(&ours[a], &ours[b]), dist(&theirs[a], &theirs[b]));
            pair_sum += (d1 - d2).abs();
            pair_max = pair_max.max((d1 - d2).abs());
            pairs += 1;
            flips += usize::from((d1 <= 0.2) != (d2 <= 0.2));
        }
    }
    Agreement {
        n: ours.len(),
        mean_abs: sum_abs / count.max(1) as f64,
        max_abs,
        max_abs_at,
        pair_mean: pair_sum / pairs.max(1) as f64,
        pair_max,
        pairs,
        cutoff_flips: flips,
    }
}

/// Agreement with matminer on 60 Perov-5 + 60 Carbon-24 test rows and 20 + 20 of them with
/// 0.3 Å Gaussian noise. The reference values are written by `scripts/compare_fingerprints.py`
/// (matminer 0.10.1, pymatgen-core 2026.10.16).
#[test]
fn agreement_with_matminer() {
    let refs = parse_reference(include_str!("testdata/matminer_reference.txt"));
    assert!(refs.len() >= 100);
    // Composition: exact up to rounding.
    let (mut worst_raw, mut worst_scaled) = (0.0f64, 0.0f64);
    for r in &refs {
        let raw = magpie_raw(&r.crystal);
        let scaled = composition_fingerprint(&r.crystal);
        for k in 0..COMPOSITION_FP_LEN {
            let want = r.comp[k];
            if want.is_nan() {
                assert!(
                    raw[k].is_nan(),
                    "{} feature {k}: ours {}, matminer NaN",
                    r.id,
                    raw[k]
                );
                assert_eq!(scaled[k], 0.0);
                continue;
            }
            worst_raw = worst_raw.max((raw[k] - want).abs() / want.abs().max(1.0));
            let want_scaled = (want - cdvae_scaler::MEANS[k]) / cdvae_scaler::STDS[k];
            worst_scaled = worst_scaled.max((scaled[k] - want_scaled).abs());
        }
    }
    eprintln!("composition: max relative difference {worst_raw:.2e} (raw), max |difference| {worst_scaled:.2e} (scaled)");
    assert!(worst_raw < 1e-12 && worst_scaled < 1e-9);

    let a = structure_agreement(&refs);
    eprintln!(
        "structure ({} crystals): mean |Δ feature| {:.2e}, max {:.2e} at {}; \
         pair distances ({} pairs): mean |Δ| {:.2e}, max {:.2e}; pairs across the 0.2 cutoff: {}",
        a.n, a.mean_abs, a.max_abs, a.max_abs_at, a.pairs, a.pair_mean, a.pair_max, a.cutoff_flips
    );
    assert!(a.max_abs < 1e-9, "{}", a.max_abs_at);
    assert!(a.pair_max < 1e-9 && a.cutoff_flips == 0);
}

/// The same on a larger reference file (`FINGERPRINT_REFERENCE=path`, see the script).
#[test]
#[ignore = "needs a reference file written by scripts/compare_fingerprints.py"]
fn agreement_with_matminer_full() {
    let path = std::env::var("FINGERPRINT_REFERENCE").expect("FINGERPRINT_REFERENCE");
    let refs = parse_reference(&std::fs::read_to_string(path).unwrap());
    let mut comp_max = 0.0f64;
    for r in &refs {
        for (got, want) in magpie_raw(&r.crystal).iter().zip(&r.comp) {
            if !(got.is_nan() && want.is_nan()) {
                comp_max = comp_max.max((got - want).abs());
            }
        }
    }
    eprintln!("composition: max |difference| of the raw values {comp_max:.2e}");
    // Which features differ by more than 1e-9, in how many crystals.
    let labels = structure_feature_labels();
    let mut counts = vec![0usize; STRUCTURE_FP_LEN];
    for r in &refs {
        if let (Ok(got), Some(want)) = (structure_fingerprint(&r.crystal), &r.structure) {
            for k in 0..STRUCTURE_FP_LEN {
                counts[k] += usize::from((got[k] - want[k]).abs() > 1e-9);
            }
        }
    }
    for (k, &n) in counts.iter().enumerate().filter(|(_, &n)| n > 0) {
        eprintln!("  {}: differs (> 1e-9) in {n} crystals", labels[k]);
    }
    let t = std::time::Instant::now();
    let a = structure_agreement(&refs);
    eprintln!(
        "structure ({} crystals, {:.2} s): mean |Δ feature| {:.2e}, max {:.2e} at {}; \
         pair distances ({} pairs): mean |Δ| {:.2e}, max {:.2e}; pairs across the 0.2 cutoff: {}",
        a.n,
        t.elapsed().as_secs_f64(),
        a.mean_abs,
        a.max_abs,
        a.max_abs_at,
        a.pairs,
        a.pair_mean,
        a.pair_max,
        a.cutoff_flips
    );
}

/// A cubic crystal of one cell.
fn cubic(a: f64, species: &[&str], frac: &[[f64; 3]]) -> Crystal {
    Crystal::new(
        Lattice::cubic(a).unwrap(),
        species.iter().map(|s| el(s)).collect(),
        frac.to_vec(),
    )
    .unwrap()
}

const FCC: [[f64; 3]; 4] = [
    [0.0, 0.0, 0.0],
    [0.5, 0.5, 0.0],
    [0.5, 0.0, 0.5],
    [0.0, 0.5, 0.5],
];

/// The non-zero features of `c`'s structure fingerprint equal `want` (label, value) to 1e-9.
fn assert_features(c: &Crystal, want: &[(&str, f64)]) {
    let fp = structure_fingerprint(c).unwrap();
    let labels = structure_feature_labels();
    for (k, (label, v)) in labels.iter().zip(&fp).enumerate() {
        let expected = want
            .iter()
            .find(|(l, _)| l == label)
            .map_or(0.0, |&(_, x)| x);
        assert!(
            (v - expected).abs() < 1e-9,
            "feature {k} {label}: got {v}, want {expected}"
        );
    }
}

// Expected values of the textbook structures: matminer 0.10.1 (same script as the fixture).

#[test]
fn fcc_is_cuboctahedral() {
    let cu = cubic(3.61, &["Cu"; 4], &FCC);
    assert_features(
        &cu,
        &[
            ("wt CN_12", 1.0),
            ("cuboctahedral CN_12", 1.0),
            ("q4 CN_12", 0.190940653956),
            ("q6 CN_12", 0.574524259714),
        ],
    );
}

#[test]
fn diamond_is_tetrahedral() {
    let mut frac = FCC.to_vec();
    frac.extend(FCC.iter().map(|f| [f[0] + 0.25, f[1] + 0.25, f[2] + 0.25]));
    let c = cubic(3.567, &["C"; 8], &frac);
    assert_features(
        &c,
        &[
            ("wt CN_4", 1.0),
            ("square co-planar CN_4", 0.079968070666),
            ("tetrahedral CN_4", 1.0),
            ("rectangular see-saw-like CN_4", 0.007024564548),
            ("see-saw-like CN_4", 0.234253589978),
            ("trigonal pyramidal CN_4", 0.245209564603),
        ],
    );
}

#[test]
fn rocksalt_is_octahedral() {
    let mut frac = FCC.to_vec();
    frac.extend(FCC.iter().map(|f| [f[0] + 0.5, f[1], f[2]]));
    let c = cubic(
        5.64,
        &["Na", "Na", "Na", "Na", "Cl", "Cl", "Cl", "Cl"],
        &frac,
    );
    assert_features(
        &c,
        &[
            ("wt CN_6", 1.0),
            ("hexagonal planar CN_6", 0.200067942647),
            ("octahedral CN_6", 1.0),
            ("pentagonal pyramidal CN_6", 0.5),
        ],
    );
}

#[test]
fn bcc_splits_between_cn8_and_cn14() {
    let fe = cubic(2.87, &["Fe", "Fe"], &[[0.0; 3], [0.5; 3]]);
    assert_features(
        &fe,
        &[
            ("wt CN_8", 0.579184303706),
            ("body-centered cubic CN_8", 0.579184303706),
            ("hexagonal bipyramidal CN_8", 0.250967877209),
            ("wt CN_14", 0.420815696294),
        ],
    );
}

#[test]
fn simple_cubic_distance_taper() {
    // Po–Po 3.35 Å lies beyond 2·1.40 + 0.5 Å: every weight is tapered to 0.976.
    let po = cubic(3.35, &["Po"], &[[0.0; 3]]);
    assert_features(
        &po,
        &[
            ("wt CN_6", 0.995552857348),
            ("hexagonal planar CN_6", 0.199178211966),
            ("octahedral CN_6", 0.995552857348),
            ("pentagonal pyramidal CN_6", 0.497776428674),
        ],
    );
}

#[test]
fn cubic_perovskite() {
    let c = cubic(
        3.905,
        &["Sr", "Ti", "O", "O", "O"],
        &[
            [0.0; 3],
            [0.5; 3],
            [0.5, 0.5, 0.0],
            [0.5, 0.0, 0.5],
            [0.0, 0.5, 0.5],
        ],
    );
    assert_features(
        &c,
        &[
            ("wt CN_2", 0.310500723362),
            ("water-like CN_2", 1.1161e-08),
            ("bent 120 degrees CN_2", 1.8037795e-05),
            ("bent 150 degrees CN_2", 0.036066834496),
            ("linear CN_2", 0.310500723362),
            ("wt CN_6", 0.489499276638),
            ("hexagonal planar CN_6", 0.097933113204),
            ("octahedral CN_6", 0.489499276638),
            ("pentagonal pyramidal CN_6", 0.244749638319),
            ("wt CN_12", 0.2),
            ("cuboctahedral CN_12", 0.2),
            ("q4 CN_12", 0.038188130791),
            ("q6 CN_12", 0.114904851943),
        ],
    );
}

#[test]
fn graphite_is_trigonal_planar() {
    let c = Crystal::new(
        Lattice::from_parameters(2.464, 2.464, 6.711, 90.0, 90.0, 120.0).unwrap(),
        vec![el("C"); 4],
        vec![
            [0.0, 0.0, 0.25],
            [0.0, 0.0, 0.75],
            [1.0 / 3.0, 2.0 / 3.0, 0.25],
            [2.0 / 3.0, 1.0 / 3.0, 0.75],
        ],
    )
    .unwrap();
    assert_features(
        &c,
        &[
            ("wt CN_3", 1.0),
            ("trigonal planar CN_3", 1.0),
            ("trigonal non-coplanar CN_3", 0.281412727556),
            ("T-shaped CN_3", 0.035550340115),
        ],
    );
}

#[test]
fn labels_and_lengths() {
    assert_eq!(structure_feature_labels().len(), STRUCTURE_FP_LEN);
    assert_eq!(composition_feature_labels().len(), COMPOSITION_FP_LEN);
    assert_eq!(structure_feature_labels()[14], "tetrahedral CN_4");
    assert_eq!(
        composition_feature_labels()[45],
        "MagpieData mean Electronegativity"
    );
}

#[test]
fn magpie_of_simple_compositions() {
    // One element: min = max = mean = mode, range = avg_dev = 0.
    let c = cubic(3.567, &["C"], &[[0.0; 3]]);
    let raw = magpie_raw(&c);
    assert_eq!(&raw[0..6], &[6.0, 6.0, 0.0, 6.0, 0.0, 6.0]);
    // NaCl: Number 11 and 17, equal counts → mode is the smaller.
    let nacl = cubic(5.64, &["Na", "Cl"], &[[0.0; 3], [0.5; 3]]);
    assert_eq!(
        &magpie_raw(&nacl)[0..6],
        &[11.0, 17.0, 6.0, 14.0, 3.0, 11.0]
    );
    // SrTiO3: mode is O's value, weights are atom counts.
    let sto = cubic(3.9, &["Sr", "Ti", "O", "O", "O"], &[[0.0; 3]; 5]);
    let raw = magpie_raw(&sto);
    assert_eq!(raw[5], 8.0);
    assert!((raw[3] - (38.0 + 22.0 + 24.0) / 5.0).abs() < 1e-12);
    // He has no melting point: the six MeltingT statistics are NaN raw, 0 scaled.
    let he = cubic(3.0, &["He", "O"], &[[0.0; 3], [0.5; 3]]);
    assert!(magpie_raw(&he)[18..24].iter().all(|x| x.is_nan()));
    assert!(composition_fingerprint(&he)[18..24]
        .iter()
        .all(|&x| x == 0.0));
}

#[test]
fn errors_instead_of_panics() {
    // No covalent radius beyond Cm (pymatgen raises there).
    let bk = cubic(4.0, &["Bk", "O"], &[[0.0; 3], [0.5; 3]]);
    assert!(structure_fingerprint(&bk).is_err());
    // Two atoms on the same spot.
    let twin = cubic(4.0, &["Na", "Cl"], &[[0.1; 3], [0.1; 3]]);
    assert!(structure_fingerprint(&twin).is_err());
    // A collapsed cell: a 0.001 Å lattice vector puts millions of images within 7 Å.
    let flat = Crystal::new(
        Lattice::new([[0.001, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 5.0]]).unwrap(),
        vec![el("C")],
        vec![[0.0; 3]],
    )
    .unwrap();
    assert!(structure_fingerprint(&flat).is_err());
    // Composition fingerprints always exist.
    assert!(composition_fingerprint(&bk).iter().all(|x| x.is_finite()));
}

/// The committed reference structures.
fn fixture() -> Vec<Reference> {
    parse_reference(include_str!("testdata/matminer_reference.txt"))
}

/// The crystal doubled along a.
fn supercell_a(c: &Crystal) -> Crystal {
    let l = c.lattice().rows();
    let rows = [[2.0 * l[0][0], 2.0 * l[0][1], 2.0 * l[0][2]], l[1], l[2]];
    let mut species = c.species().to_vec();
    species.extend_from_slice(c.species());
    let mut frac: Vec<[f64; 3]> = c
        .frac_coords()
        .iter()
        .map(|f| [f[0] / 2.0, f[1], f[2]])
        .collect();
    frac.extend(
        c.frac_coords()
            .iter()
            .map(|f| [(f[0] + 1.0) / 2.0, f[1], f[2]]),
    );
    Crystal::new(Lattice::new(rows).unwrap(), species, frac).unwrap()
}

#[test]
fn supercell_invariance_on_fixture() {
    for r in fixture().iter().step_by(4) {
        let a = structure_fingerprint(&r.crystal).unwrap();
        let b = structure_fingerprint(&supercell_a(&r.crystal)).unwrap();
        assert!(dist(&a, &b) < 1e-9, "{}: {}", r.id, dist(&a, &b));
        assert_eq!(
            composition_fingerprint(&r.crystal),
            composition_fingerprint(&supercell_a(&r.crystal))
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Permuting the atoms, shifting the origin and choosing another cell (a → a + b) change
    /// neither fingerprint.
    #[test]
    fn invariant_under_permutation_shift_and_cell(
        idx in 0usize..120,
        shift in prop::array::uniform3(-1.0f64..1.0),
        seed in any::<u64>(),
    ) {
        let refs = fixture();
        let c = &refs[idx % refs.len()].crystal;
        let n = c.num_atoms();
        let mut order: Vec<usize> = (0..n).collect();
        let mut s = seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let l = c.lattice().rows();
        // New cell a' = a + b, b, c: fractional (f0, f1 − f0, f2).
        let rows = [[l[0][0] + l[1][0], l[0][1] + l[1][1], l[0][2] + l[1][2]], l[1], l[2]];
        let moved = Crystal::new(
            Lattice::new(rows).unwrap(),
            order.iter().map(|&i| c.species()[i]).collect(),
            order
                .iter()
                .map(|&i| {
                    let f = c.frac_coords()[i];
                    let g = [f[0] + shift[0], f[1] + shift[1], f[2] + shift[2]];
                    [g[0], g[1] - g[0], g[2]]
                })
                .collect(),
        )
        .unwrap();
        let a = structure_fingerprint(c).unwrap();
        let b = structure_fingerprint(&moved).unwrap();
        prop_assert!(dist(&a, &b) < 1e-9, "{}", dist(&a, &b));
        let (ca, cb) = (composition_fingerprint(c), composition_fingerprint(&moved));
        prop_assert!(dist(&ca, &cb) < 1e-12);
    }
}

/// Time of both fingerprints for every Perov-5 and Carbon-24 test row (reading excluded),
/// sequential and with rayon over structures:
/// `cargo test --release -p crystal fingerprint_speed -- --ignored --nocapture`.
#[test]
#[ignore = "timing; needs ../shared/data"]
fn fingerprint_speed() {
    use rayon::prelude::*;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    for set in ["perov_5", "carbon_24"] {
        let rows = crate::io::dataset::read_dataset(&root.join(set).join("test.csv.gz")).unwrap();
        let crystals: Vec<Crystal> = rows.into_iter().map(|r| r.unwrap().crystal).collect();
        let t = std::time::Instant::now();
        let seq: Vec<_> = crystals
            .iter()
            .map(|c| (structure_fingerprint(c).is_ok(), composition_fingerprint(c)))
            .collect();
        let t_seq = t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        let par: Vec<_> = crystals
            .par_iter()
            .map(|c| (structure_fingerprint(c).is_ok(), composition_fingerprint(c)))
            .collect();
        let t_par = t.elapsed().as_secs_f64();
        assert_eq!(seq.len(), par.len());
        eprintln!(
            "{set}: {} structures, {} without a structure fingerprint; {t_seq:.3} s on one core, \
             {t_par:.3} s with rayon ({} threads)",
            crystals.len(),
            seq.iter().filter(|x| !x.0).count(),
            rayon::current_num_threads()
        );
    }
}
