//! Textbook cases of the matcher. Expected values marked "pymatgen" were measured with
//! pymatgen 2026.10 `StructureMatcher(ltol=0.3, stol=0.5, angle_tol=10).get_rms_dist`
//! (docs/design/matcher-and-metrics.md, C.5); the others follow from the definitions.

use super::lattice_search::lattice_candidates;
use super::*;
use crate::rng::Rng;
use crate::test_support::{el, mixed_triclinic, nacl};
use crate::{demo, Lattice};
use approx::assert_relative_eq;
use nalgebra::Matrix3;
use proptest::prelude::*;

fn csp() -> MatcherConfig {
    MatcherConfig::csp()
}

fn rms(a: &Crystal, b: &Crystal, cfg: &MatcherConfig) -> Result<MatchResult, NoMatch> {
    rms_dist_crystals(a, b, cfg).unwrap()
}

/// The `n`×1×1 supercell of `c`.
fn supercell_a(c: &Crystal, n: usize) -> Crystal {
    let r = c.lattice().rows();
    let lat = Lattice::new([r[0].map(|x| x * n as f64), r[1], r[2]]).unwrap();
    let mut species = Vec::new();
    let mut frac = Vec::new();
    for i in 0..n {
        for (s, f) in c.species().iter().zip(c.frac_coords()) {
            species.push(*s);
            frac.push([(f[0] + i as f64) / n as f64, f[1], f[2]]);
        }
    }
    Crystal::new(lat, species, frac).unwrap()
}

/// A P1 cell with no translational symmetry: 6 atoms of 3 elements, triclinic.
fn p1_six() -> Crystal {
    Crystal::new(
        Lattice::from_parameters(4.1, 5.3, 6.2, 81.0, 97.0, 104.0).unwrap(),
        vec![el("Li"), el("O"), el("Li"), el("Mn"), el("O"), el("O")],
        vec![
            [0.03, 0.11, 0.07],
            [0.41, 0.23, 0.19],
            [0.62, 0.55, 0.31],
            [0.18, 0.71, 0.58],
            [0.77, 0.09, 0.83],
            [0.35, 0.87, 0.66],
        ],
    )
    .unwrap()
}

fn displaced(c: &Crystal, cart: &[[f64; 3]]) -> Crystal {
    let pos: Vec<[f64; 3]> = c
        .cart_coords()
        .iter()
        .zip(cart)
        .map(|(r, d)| [r[0] + d[0], r[1] + d[1], r[2] + d[2]])
        .collect();
    Crystal::from_cart(*c.lattice(), c.species().to_vec(), &pos).unwrap()
}

fn random_displacements(n: usize, len: f64, seed: u64) -> Vec<[f64; 3]> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let v = [rng.normal(), rng.normal(), rng.normal()];
            let l = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            v.map(|x| x / l * len)
        })
        .collect()
}

/// RMS of the displacements after removing their mean, over (V/N)^(1/3).
fn expected_rms(c: &Crystal, d: &[[f64; 3]]) -> f64 {
    let n = d.len() as f64;
    let mean: [f64; 3] = std::array::from_fn(|k| d.iter().map(|v| v[k]).sum::<f64>() / n);
    let ms = d
        .iter()
        .map(|v| (0..3).map(|k| (v[k] - mean[k]).powi(2)).sum::<f64>())
        .sum::<f64>()
        / n;
    ms.sqrt() / (c.volume_a3() / n).cbrt()
}

#[test]
fn every_structure_matches_itself_with_zero_rms() {
    let mut all = vec![mixed_triclinic(), nacl(), p1_six()];
    all.extend(demo::bases().into_iter().map(|(_, c)| c));
    for c in &all {
        let m = rms(c, c, &csp()).unwrap();
        assert!(m.rms < 1e-9 && m.max_dist < 1e-9, "{}: {m:?}", c.formula());
        let p = Prepared::new(c, &csp()).unwrap();
        assert!(fit(&p, &p, &csp()));
    }
}

#[test]
fn primitive_search_finds_the_textbook_cells() {
    // FCC Al (4 atoms conventional) → 1, diamond (8) → 2, rocksalt (8) → 2.
    let cases = [
        (demo::fcc_al(), 1),
        (demo::diamond_c(), 2),
        (nacl(), 2),
        (demo::bcc_fe(), 1),
    ];
    for (c, n) in cases {
        let p = Prepared::new(&c, &csp()).unwrap();
        assert_eq!(p.num_sites(), n, "{}", c.formula());
        assert_relative_eq!(
            p.volume_a3(),
            c.volume_a3() * n as f64 / c.num_atoms() as f64,
            max_relative = 1e-9
        );
    }
    // A cell without translational symmetry stays as it is.
    assert_eq!(Prepared::new(&p1_six(), &csp()).unwrap().num_sites(), 6);
}

#[test]
fn supercells_match_through_the_primitive_cell_or_attempt_supercell() {
    let a = nacl();
    let b = supercell_a(&a, 2);
    assert!(rms(&a, &b, &csp()).unwrap().rms < 1e-9);
    let no_prim = MatcherConfig {
        primitive_cell: false,
        ..csp()
    };
    assert_eq!(rms(&a, &b, &no_prim), Err(NoMatch::SiteCount));
    let with_super = MatcherConfig {
        attempt_supercell: true,
        ..no_prim
    };
    assert!(rms(&a, &b, &with_super).unwrap().rms < 1e-9);
    assert!(rms(&b, &a, &with_super).unwrap().rms < 1e-9);
    // P1 cell and its triple supercell.
    let c = p1_six();
    assert!(rms(&c, &supercell_a(&c, 3), &csp()).unwrap().rms < 1e-9);
}

#[test]
fn origin_shift_permutation_and_inversion_cost_nothing() {
    let c = p1_six();
    let shifted = Crystal::new(
        *c.lattice(),
        c.species().to_vec(),
        c.frac_coords()
            .iter()
            .map(|f| [f[0] + 0.123, f[1] + 0.31, f[2] + 0.77])
            .collect(),
    )
    .unwrap();
    assert!(rms(&c, &shifted, &csp()).unwrap().rms < 1e-9);
    let order = [4, 2, 0, 5, 1, 3];
    let permuted = Crystal::new(
        *c.lattice(),
        order.iter().map(|&i| c.species()[i]).collect(),
        order.iter().map(|&i| c.frac_coords()[i]).collect(),
    )
    .unwrap();
    assert!(rms(&c, &permuted, &csp()).unwrap().rms < 1e-9);
    // Improper candidates are accepted, as in pymatgen: the mirror image matches.
    let inverted = Crystal::new(
        *c.lattice(),
        c.species().to_vec(),
        c.frac_coords().iter().map(|f| f.map(|x| -x)).collect(),
    )
    .unwrap();
    assert!(rms(&c, &inverted, &csp()).unwrap().rms < 1e-9);
}

#[test]
fn perturbed_copy_has_the_rms_of_its_displacements() {
    let c = p1_six();
    for (len, seed) in [(0.05, 1), (0.2, 2)] {
        let d = random_displacements(c.num_atoms(), len, seed);
        let m = rms(&c, &displaced(&c, &d), &csp()).unwrap();
        assert_relative_eq!(m.rms, expected_rms(&c, &d), max_relative = 1e-9);
        // 0.05 Å on a 6-atom cell of ~130 Å³: well inside the match, of order 0.01-0.02.
        if len == 0.05 {
            assert!(m.rms > 0.005 && m.rms < 0.03, "{m:?}");
        }
    }
}

#[test]
fn one_atom_moved_far_keeps_the_rms_of_pymatgen() {
    // 8 atoms, one moved by 0.6·(V/N)^(1/3): after removing the mean, its displacement is
    // 0.6·7/8 = 0.525 and the others' 0.6/8; RMS = sqrt((0.525² + 7·0.075²)/8) = 0.1984.
    let lat = Lattice::from_parameters(5.0, 5.5, 6.0, 90.0, 90.0, 90.0).unwrap();
    let frac = vec![
        [0.0, 0.0, 0.0],
        [0.5, 0.1, 0.2],
        [0.1, 0.5, 0.3],
        [0.3, 0.2, 0.5],
        [0.6, 0.6, 0.1],
        [0.2, 0.7, 0.7],
        [0.8, 0.3, 0.6],
        [0.4, 0.9, 0.9],
    ];
    let c = Crystal::new(lat, vec![el("Si"); 8], frac).unwrap();
    let s = (c.volume_a3() / 8.0).cbrt();
    let mut d = vec![[0.0; 3]; 8];
    d[3] = [0.6 * s, 0.0, 0.0];
    let moved = displaced(&c, &d);
    let m = rms(&c, &moved, &csp()).unwrap();
    assert_relative_eq!(
        m.rms,
        (0.525f64.powi(2) + 7.0 * 0.075f64.powi(2)).sqrt() / 8f64.sqrt(),
        max_relative = 1e-6
    );
    assert_relative_eq!(m.max_dist, 0.525, max_relative = 1e-6);
    // `fit` judges by the largest displacement of its own search (it stops at the first
    // candidate below stol), and pymatgen 2026.10 finds one here too:
    //   a = Structure(Lattice.orthorhombic(5.0, 5.5, 6.0), ["Si"] * 8, frac)
    //   b = a.copy(); b.translate_sites([3], [0.6 * s, 0, 0], frac_coords=False)
    //   sm = StructureMatcher(ltol=0.3, stol=0.5, angle_tol=10)
    //   sm.get_rms_dist(a, b) -> (0.19843134832984433, 0.525); sm.fit(a, b) -> True
    let (pa, pb) = (
        Prepared::new(&c, &csp()).unwrap(),
        Prepared::new(&moved, &csp()).unwrap(),
    );
    assert!(fit(&pa, &pb, &csp()));
    // On p1_six, one atom moved 1.7 Å along x: pymatgen gives get_rms_dist
    // (0.22806912543107416, 0.5099780680328078) and fit False (1.6 Å: fit True, 1.9 Å: None).
    let p1 = p1_six();
    let pp = Prepared::new(&p1, &csp()).unwrap();
    for (dx, rms_pmg, fit_pmg) in [
        (1.6, Some(0.21465329452336385), true),
        (1.7, Some(0.22806912543107416), false),
        (1.9, None, false),
    ] {
        let mut d = vec![[0.0; 3]; 6];
        d[3] = [dx, 0.0, 0.0];
        let moved = displaced(&p1, &d);
        let got = rms(&p1, &moved, &csp()).ok().map(|m| m.rms);
        match (got, rms_pmg) {
            (Some(g), Some(e)) => assert_relative_eq!(g, e, max_relative = 1e-9),
            (g, e) => assert_eq!(g, e, "dx {dx}"),
        }
        let pm = Prepared::new(&moved, &csp()).unwrap();
        assert_eq!(fit(&pp, &pm, &csp()), fit_pmg, "dx {dx}");
    }
}

#[test]
fn different_compositions_never_match() {
    let c = p1_six();
    let mut species = c.species().to_vec();
    species[3] = el("Fe");
    let swapped = Crystal::new(*c.lattice(), species, c.frac_coords().to_vec()).unwrap();
    assert_eq!(rms(&c, &swapped, &csp()), Err(NoMatch::Composition));
    let (pa, pb) = (
        Prepared::new(&c, &csp()).unwrap(),
        Prepared::new(&swapped, &csp()).unwrap(),
    );
    assert!(!fit(&pa, &pb, &csp()));
    // Same elements, different proportions.
    assert_eq!(
        rms(&demo::fcc_al(), &demo::bcc_fe(), &csp()),
        Err(NoMatch::Composition)
    );
}

#[test]
fn lattice_tolerances_follow_pymatgen() {
    let base = |c_len: f64, gamma: f64| {
        Crystal::new(
            Lattice::from_parameters(4.0, 4.6, c_len, 90.0, 90.0, gamma).unwrap(),
            vec![el("Mg"), el("O"), el("O")],
            vec![[0.0, 0.0, 0.0], [0.31, 0.27, 0.5], [0.69, 0.73, 0.5]],
        )
        .unwrap()
    };
    let ref_ = base(5.2, 90.0);
    let default = MatcherConfig::pymatgen_default();
    // Isotropic volume error: scaled away.
    let big = ref_.with_lattice(ref_.lattice().scaled(1.1).unwrap());
    assert!(rms(&ref_, &big, &csp()).unwrap().rms < 1e-9);
    // c × 1.4: after volume scaling c/c₀ = 1.4^(2/3) = 1.25 < 1.3 but > 1.2.
    let long = base(5.2 * 1.4, 90.0);
    assert!(rms(&ref_, &long, &csp()).unwrap().rms < 1e-9);
    assert_eq!(rms(&ref_, &long, &default), Err(NoMatch::NoLattice));
    // γ 90° → 99°: inside 10°, outside 5°; 101° is outside both.
    let skew = base(5.2, 99.0);
    assert!(rms(&ref_, &skew, &csp()).unwrap().rms < 1e-9);
    assert_eq!(rms(&ref_, &skew, &default), Err(NoMatch::NoLattice));
    assert!(rms(&ref_, &base(5.2, 101.0), &csp()).is_err());
}

#[test]
fn candidate_counts_are_the_point_group_orders() {
    for cfg in [csp(), MatcherConfig::pymatgen_default()] {
        let cubic = Matrix3::from_diagonal_element(4.0);
        assert_eq!(
            lattice_candidates(&cubic, &cubic, cfg.ltol, cfg.angle_tol_deg, 1)
                .unwrap()
                .len(),
            48
        );
        let h = Lattice::from_parameters(3.0, 3.0, 5.0, 90.0, 90.0, 120.0).unwrap();
        let r = h.rows();
        let hex = crate::geometry::matrix(r);
        assert_eq!(
            lattice_candidates(&hex, &hex, cfg.ltol, cfg.angle_tol_deg, 1)
                .unwrap()
                .len(),
            24
        );
    }
}

#[test]
fn bad_tolerances_are_rejected() {
    assert!(csp().validate().is_ok());
    for cfg in [
        MatcherConfig { stol: 0.0, ..csp() },
        MatcherConfig {
            ltol: f64::NAN,
            ..csp()
        },
        MatcherConfig {
            angle_tol_deg: 95.0,
            ..csp()
        },
        MatcherConfig { ltol: 1.5, ..csp() },
    ] {
        assert!(cfg.validate().is_err());
    }
    let err = MatcherConfig { ltol: 1.5, ..csp() }.validate().unwrap_err();
    assert_eq!(
        err.to_string(),
        "ltol 1.5: must be a positive number of at most 1 (lengths within a factor 2)"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Shifting, permuting or re-celling the prediction never changes its RMS to the truth.
    #[test]
    fn rms_is_invariant_under_shift_permutation_and_supercell(
        seed in 0u64..1000, sx in 0.0..1.0f64, sy in 0.0..1.0f64, sz in 0.0..1.0f64,
    ) {
        let truth = p1_six();
        let d = random_displacements(truth.num_atoms(), 0.1, seed);
        let pred = displaced(&truth, &d);
        let base = rms(&pred, &truth, &csp()).unwrap().rms;
        prop_assert!((base - expected_rms(&truth, &d)).abs() < 1e-9);
        let shifted = Crystal::new(
            *pred.lattice(),
            pred.species().iter().rev().copied().collect(),
            pred.frac_coords().iter().rev().map(|f| [f[0] + sx, f[1] + sy, f[2] + sz]).collect(),
        ).unwrap();
        prop_assert!((rms(&shifted, &truth, &csp()).unwrap().rms - base).abs() < 1e-9);
        // The supercell of the prediction reduces back to the prediction exactly.
        let sc = supercell_a(&pred, 2);
        prop_assert!((rms(&sc, &truth, &csp()).unwrap().rms - base).abs() < 1e-9);
    }
}

#[test]
fn huge_and_collapsed_cells_end_quickly() {
    let one = |rows: [[f64; 3]; 3]| {
        Crystal::new(Lattice::new(rows).unwrap(), vec![el("C")], vec![[0.0; 3]]).unwrap()
    };
    let cube = one([[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]]);
    let start = std::time::Instant::now();
    // 3 × 3 × 30,000 Å against a 3 Å cube: too many lattice points to search.
    let long = one([[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 30000.0]]);
    assert!(rms(
        &long,
        &cube,
        &MatcherConfig {
            scale: false,
            ..csp()
        }
    )
    .is_err());
    // A collapsed cell (0.01 Å³).
    let needle = one([[1e-3, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]]);
    assert_eq!(rms(&needle, &cube, &csp()), Err(NoMatch::Degenerate));
    assert!(start.elapsed().as_secs_f64() < 10.0);
}

#[test]
fn sparse_cells_with_far_moved_atoms_still_match() {
    // 60 × 60 × 6000 Å, two C atoms, one moved 150 Å along c. pymatgen 2026.10:
    // get_rms_dist -> (0.339..., ...) (review of issue 6); the old integer costs overflowed.
    let lat = Lattice::from_parameters(60.0, 60.0, 6000.0, 90.0, 90.0, 90.0).unwrap();
    let a = Crystal::new(
        lat,
        vec![el("C"), el("C")],
        vec![[0.0; 3], [0.3, 0.6, 0.45]],
    )
    .unwrap();
    let b = Crystal::new(
        lat,
        vec![el("C"), el("C")],
        vec![[0.0; 3], [0.3, 0.6, 0.45 + 150.0 / 6000.0]],
    )
    .unwrap();
    let m = rms(&b, &a, &csp()).unwrap();
    let s = (lat.volume() / 2.0).cbrt();
    assert_relative_eq!(m.rms, 75.0 / s, max_relative = 1e-6);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A structure always matches itself: any cell within the reader's limits (angles
    /// 20–160°, lengths 1.5–40 Å), 1–12 atoms of one or two species, some on top of each
    /// other, on the cell's faces (0, 1 − 1e-15, 1.0) or far outside it (±1e3).
    #[test]
    fn a_structure_always_matches_itself(
        lengths in proptest::array::uniform3(1.5..40.0f64),
        angles in proptest::array::uniform3(20.0..160.0f64),
        atoms in proptest::collection::vec(
            (0usize..2, proptest::array::uniform3(prop_oneof![
                0.0..1.0f64, Just(0.0), Just(1.0 - 1e-15), Just(1.0), Just(-1e3), Just(0.5)
            ])),
            1..12,
        ),
    ) {
        let [a, b, c] = lengths;
        let [al, be, ga] = angles;
        let lattice = Lattice::from_parameters(a, b, c, al, be, ga);
        prop_assume!(lattice.is_ok()); // angles that close no cell
        let lattice = lattice.unwrap();
        let species = atoms.iter().map(|(s, _)| if *s == 0 { el("Si") } else { el("O") }).collect();
        let frac = atoms.iter().map(|(_, f)| *f).collect();
        let x = Crystal::new(lattice, species, frac).unwrap();
        prop_assume!(crate::limits::CellLimits::default().check(&x).is_ok());
        let p = Prepared::new(&x, &csp()).unwrap();
        prop_assert!(fit(&p, &p, &csp()), "{x:?}");
        let m = rms(&x, &x, &csp()).unwrap();
        prop_assert!(m.rms < 1e-6, "{x:?}: {m:?}");
    }
}

#[test]
fn group_structures_puts_matching_structures_together_in_input_order() {
    let cfg = MatcherConfig::pymatgen_default();
    let al = demo::fcc_al();
    let salt = nacl();
    let odd = p1_six();
    // A 2×1×1 supercell of salt, salt moved by 0.02 Å, and the P1 cell strained 40 % (no
    // lattice within ltol 0.2).
    let salt_moved = displaced(&salt, &random_displacements(salt.num_atoms(), 0.02, 7));
    let r = odd.lattice().rows();
    let odd_strained = odd.with_lattice(Lattice::new([r[0].map(|x| 1.4 * x), r[1], r[2]]).unwrap());
    let input = vec![
        salt.clone(),
        odd.clone(),
        al.clone(),
        supercell_a(&salt, 2),
        odd_strained,
        salt_moved,
        supercell_a(&al, 3),
        // Salt with its sites listed anions first: the same composition.
        Crystal::new(
            *salt.lattice(),
            salt.species().iter().rev().copied().collect(),
            salt.frac_coords().iter().rev().copied().collect(),
        )
        .unwrap(),
    ];
    let groups = group_structures(&input, &cfg);
    // Buckets in the order of their first structure, members in input order; the strained
    // copy does not fit and stands alone after its original.
    assert_eq!(groups, vec![vec![0, 3, 5, 7], vec![1], vec![4], vec![2, 6]]);
    let mut all: Vec<usize> = groups.concat();
    all.sort_unstable();
    assert_eq!(all, (0..input.len()).collect::<Vec<_>>());
    assert!(group_structures(&[], &cfg).is_empty());
}
