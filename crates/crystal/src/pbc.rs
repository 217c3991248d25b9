//! Exact periodic geometry (periodic boundary conditions, hence the name): minimum
//! distances, neighbour lists, coordination numbers and the radial distribution function.
//!
//! All searches here are exact for any cell shape. A pair's fractional separation is
//! first reduced to [-0.5, 0.5]; then every lattice translation k that could bring the
//! pair within the search radius R is visited. Component i of a Cartesian vector v in
//! fractional terms is v·b_i (b_i the reciprocal vectors), so |Δf_i + k_i| ≤ R·|b_i|
//! bounds k_i. The notebook's `Δf − round(Δf)` alone is only right for orthogonal cells;
//! for a skewed cell the closest image can lie further out, and this search finds it.
//!
//! Periodic images of an atom itself count as neighbours (a cell shorter than the
//! validator's distance is an overlap too).

use crate::geometry::{matrix, norm, norm2, reduce_diff, rows_of, sub, vec_mat};
use crate::structure::Crystal;

/// Integer range of k with |d + k| ≤ reach.
#[inline]
fn k_range(d: f64, reach: f64) -> std::ops::RangeInclusive<i32> {
    ((-d - reach).ceil() as i32)..=((-d + reach).floor() as i32)
}

/// Visits every lattice translation k with |Δ + k·L| ≤ `radius` where Δ is the
/// Cartesian form of the reduced fractional separation `d`; calls `f(k, dist²)`.
#[inline]
fn visit_images(
    l: &[[f64; 3]; 3],
    recip_len: [f64; 3],
    d: [f64; 3],
    radius: f64,
    mut f: impl FnMut([i32; 3], f64),
) {
    let r2max = radius * radius;
    let base = vec_mat(d, l);
    for k0 in k_range(d[0], radius * recip_len[0]) {
        let v0 = [
            base[0] + k0 as f64 * l[0][0],
            base[1] + k0 as f64 * l[0][1],
            base[2] + k0 as f64 * l[0][2],
        ];
        for k1 in k_range(d[1], radius * recip_len[1]) {
            let v1 = [
                v0[0] + k1 as f64 * l[1][0],
                v0[1] + k1 as f64 * l[1][1],
                v0[2] + k1 as f64 * l[1][2],
            ];
            for k2 in k_range(d[2], radius * recip_len[2]) {
                let v = [
                    v1[0] + k2 as f64 * l[2][0],
                    v1[1] + k2 as f64 * l[2][1],
                    v1[2] + k2 as f64 * l[2][2],
                ];
                let r2 = norm2(v);
                if r2 <= r2max {
                    f([k0, k1, k2], r2);
                }
            }
        }
    }
}

/// The cell in which the searches run: the stored one when it is well shaped, else its
/// Niggli-reduced equivalent (same lattice, shorter and more orthogonal vectors), with
/// fractional coordinates re-expressed and the integer matrix that maps a translation of
/// the reduced cell back to the stored one. Without the reduction a nearly flat cell
/// makes the image search range R·|b_i| explode (hours for one structure).
struct SearchCell<'a> {
    rows: [[f64; 3]; 3],
    recip_len: [f64; 3],
    frac: std::borrow::Cow<'a, [[f64; 3]]>,
    /// k_stored = k_reduced · back (None: the stored cell is used).
    back: Option<[[i32; 3]; 3]>,
}

/// Cells whose max_i |a_i|·|b_i| exceeds this are reduced first (1 for orthogonal cells).
const SKEW_LIMIT: f64 = 3.0;

impl<'a> SearchCell<'a> {
    fn of(c: &'a Crystal) -> Self {
        let rows = *c.lattice().rows();
        let rl = c.lattice().reciprocal_lengths();
        let skew = (0..3).map(|i| norm(rows[i]) * rl[i]).fold(0.0, f64::max);
        let stored = || SearchCell {
            rows,
            recip_len: rl,
            frac: std::borrow::Cow::Borrowed(c.frac_coords()),
            back: None,
        };
        if skew <= SKEW_LIMIT {
            return stored();
        }
        let m = matrix(&rows);
        let (red, t) = moyo::base::Lattice::new(m).unchecked_niggli_reduce();
        // Reduced rows = Tᵀ · rows; f_reduced = f · (Tᵀ)⁻¹; k_stored = k_reduced · Tᵀ.
        let tt = t.transpose();
        let Some(inv) = tt.map(|x| x as f64).try_inverse() else {
            return stored();
        };
        let red_rows = red.basis.transpose();
        let Ok(lat) = crate::Lattice::new(rows_of(&red_rows)) else {
            return stored();
        };
        let frac = c
            .frac_coords()
            .iter()
            .map(|f| std::array::from_fn(|j| (0..3).map(|k| f[k] * inv[(k, j)]).sum()))
            .collect();
        SearchCell {
            rows: *lat.rows(),
            recip_len: lat.reciprocal_lengths(),
            frac: std::borrow::Cow::Owned(frac),
            back: Some(std::array::from_fn(|i| std::array::from_fn(|j| tt[(i, j)]))),
        }
    }

    /// A translation of the search cell as a translation of the stored cell.
    #[inline]
    fn stored_image(&self, k: [i32; 3]) -> [i32; 3] {
        match &self.back {
            None => k,
            Some(b) => std::array::from_fn(|j| (0..3).map(|i| k[i] * b[i][j]).sum()),
        }
    }
}

/// The shortest non-zero lattice vector's length in Å (the distance from an atom to
/// its own nearest periodic image).
pub fn shortest_lattice_vector(c: &Crystal) -> f64 {
    let cell = SearchCell::of(c);
    let (l, rl) = (&cell.rows, cell.recip_len);
    let mut best2 = norm2(l[0]).min(norm2(l[1])).min(norm2(l[2]));
    let radius = best2.sqrt();
    visit_images(l, rl, [0.0; 3], radius, |k, r2| {
        if k != [0, 0, 0] && r2 < best2 {
            best2 = r2;
        }
    });
    best2.sqrt()
}

/// The minimum interatomic distance in Å under periodic boundary conditions, over all
/// pairs of atoms and all periodic images (an atom's own images included). Exact for any
/// cell shape. Allocation-free.
pub fn min_distance(c: &Crystal) -> f64 {
    let cell = SearchCell::of(c);
    let (l, rl) = (&cell.rows, cell.recip_len);
    let f: &[[f64; 3]] = &cell.frac;
    let n = f.len();
    // Upper bounds: the cell vectors (an atom's own images) and, for every pair, the
    // naive minimum image.
    let mut best2 = norm2(l[0]).min(norm2(l[1])).min(norm2(l[2]));
    for i in 0..n {
        for j in i + 1..n {
            best2 = best2.min(norm2(vec_mat(reduce_diff(sub(f[j], f[i])), l)));
        }
    }
    // An atom's own images: any shorter lattice vector.
    visit_images(l, rl, [0.0; 3], best2.sqrt(), |k, r2| {
        if k != [0, 0, 0] && r2 < best2 {
            best2 = r2;
        }
    });
    // Every image that could beat the bound, tightening it as we go. A pair whose reduced
    // separation already exceeds the bound along one reciprocal direction
    // (|d_i| / |b_i| is the distance between the planes through the two atoms) is skipped.
    for i in 0..n {
        for j in i + 1..n {
            let d = reduce_diff(sub(f[j], f[i]));
            let best = best2.sqrt();
            if (0..3).any(|k| d[k].abs() >= best * rl[k]) {
                continue;
            }
            visit_images(l, rl, d, best, |_, r2| {
                if r2 < best2 {
                    best2 = r2;
                }
            });
        }
    }
    best2.sqrt()
}

/// The minimum distance in Å between *distinct* atoms under periodic boundary conditions
/// (any periodic image of the other atom; an atom's distance to its own images does not
/// count). Infinite for a one-atom cell. Exact for any cell shape: every image within the
/// naive minimum-image distance of the closest pair is visited.
pub fn min_distinct_distance(c: &Crystal) -> f64 {
    let cell = SearchCell::of(c);
    let (l, f): (&[[f64; 3]; 3], &[[f64; 3]]) = (&cell.rows, &cell.frac);
    let n = f.len();
    if n < 2 {
        return f64::INFINITY;
    }
    // Upper bound: the naive minimum image of every pair, a distance some image attains.
    let mut bound2 = f64::INFINITY;
    for i in 0..n {
        for j in i + 1..n {
            bound2 = bound2.min(norm2(vec_mat(reduce_diff(sub(f[j], f[i])), l)));
        }
    }
    // A hair beyond the bound, so that rounding cannot drop the pair that attains it.
    let radius = bound2.sqrt() * (1.0 + 1e-9);
    let mut best = f64::INFINITY;
    for_each_neighbor(c, radius, |i, j, _, d| {
        if i != j && d < best {
            best = d;
        }
    });
    best
}

/// One neighbour of atom `i`: atom `j` in the cell shifted by lattice vector `image`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbor {
    /// Index of the central atom.
    pub i: usize,
    /// Index of the neighbouring atom.
    pub j: usize,
    /// Lattice translation (integer multiples of a, b, c) applied to atom `j`.
    pub image: [i32; 3],
    /// Distance in Å.
    pub distance: f64,
}

/// Calls `f(i, j, distance)` for every ordered pair (atom `i`, periodic image of atom `j`)
/// with 0 < distance ≤ `cutoff` Å. Each pair appears twice (as i→j and j→i); an atom's
/// own images appear too. Allocation-free for well-shaped cells (a very skewed cell is
/// searched in its Niggli-reduced form; reported images still refer to the stored cell).
pub fn for_each_neighbor(c: &Crystal, cutoff: f64, mut f: impl FnMut(usize, usize, [i32; 3], f64)) {
    let cell = SearchCell::of(c);
    let (l, rl) = (&cell.rows, cell.recip_len);
    let fc: &[[f64; 3]] = &cell.frac;
    let n = fc.len();
    for i in 0..n {
        for j in 0..n {
            let raw = sub(fc[j], fc[i]);
            let d = reduce_diff(raw);
            // Integer offset that the reduction applied, so reported images refer to
            // the stored coordinates of atom j.
            let shift = [
                (d[0] - raw[0]).round() as i32,
                (d[1] - raw[1]).round() as i32,
                (d[2] - raw[2]).round() as i32,
            ];
            visit_images(l, rl, d, cutoff, |k, r2| {
                if r2 > 0.0 || i != j {
                    let image = [k[0] + shift[0], k[1] + shift[1], k[2] + shift[2]];
                    f(i, j, cell.stored_image(image), r2.sqrt());
                }
            });
        }
    }
}

/// All neighbours within `cutoff` Å (see [`for_each_neighbor`]).
pub fn neighbors(c: &Crystal, cutoff: f64) -> Vec<Neighbor> {
    let mut out = Vec::new();
    for_each_neighbor(c, cutoff, |i, j, image, distance| {
        out.push(Neighbor {
            i,
            j,
            image,
            distance,
        })
    });
    out
}

/// Coordination number of every atom: the number of atoms, periodic images included
/// and each image counted once, within `cutoff` Å (0 < d ≤ cutoff).
pub fn coordination_numbers(c: &Crystal, cutoff: f64) -> Vec<usize> {
    let mut cn = vec![0usize; c.num_atoms()];
    for_each_neighbor(c, cutoff, |i, _, _, _| cn[i] += 1);
    cn
}

/// Radial distribution function of one structure.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rdf {
    /// Bin width in Å.
    pub bin_width: f64,
    /// Centre of each bin in Å.
    pub r: Vec<f64>,
    /// Raw counts: ordered pairs (atom i, periodic image of atom j) whose distance falls
    /// in the bin, i.e. each unordered pair counted twice. Divide by N for per-atom counts.
    pub counts: Vec<u64>,
    /// g(r) = counts · V / (N² · shell volume), which tends to 1 for an ideal gas.
    pub g: Vec<f64>,
}

impl Rdf {
    /// The pair-distance histogram up to `r_max` Å in bins of `bin_width` Å.
    pub fn compute(c: &Crystal, r_max: f64, bin_width: f64) -> Rdf {
        let nbins = (r_max / bin_width).round().max(1.0) as usize;
        let mut counts = vec![0u64; nbins];
        for_each_neighbor(c, r_max, |_, _, _, d| {
            let b = (d / bin_width) as usize;
            if b < nbins {
                counts[b] += 1;
            }
        });
        let n = c.num_atoms() as f64;
        let v = c.volume_a3();
        let r: Vec<f64> = (0..nbins).map(|b| (b as f64 + 0.5) * bin_width).collect();
        let g = counts
            .iter()
            .enumerate()
            .map(|(b, &cnt)| {
                let r1 = b as f64 * bin_width;
                let r2 = r1 + bin_width;
                let shell = 4.0 / 3.0 * std::f64::consts::PI * (r2.powi(3) - r1.powi(3));
                cnt as f64 * v / (n * n * shell)
            })
            .collect();
        Rdf {
            bin_width,
            r,
            counts,
            g,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{bcc_fe, diamond_c, fcc_al};
    use crate::elements::Element;
    use crate::geometry::add;
    use crate::lattice::Lattice;
    use crate::test_support::el;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    const BRUTE_REACH: i32 = 8;

    /// The same lattice written with very skewed vectors: a = (3,0,0), b = (0,3,0) + 50a,
    /// c = (0,0,3) + 37b. Without reducing the cell first, the image search would visit
    /// ~10⁸ translations per pair.
    #[test]
    fn very_skewed_cells_are_searched_in_reduced_form() {
        let cubic = Crystal::new(
            Lattice::cubic(3.0).unwrap(),
            vec![el("Na"), el("Cl")],
            vec![[0.0; 3], [0.5, 0.5, 0.5]],
        )
        .unwrap();
        let a = [3.0, 0.0, 0.0];
        let b = [150.0, 3.0, 0.0];
        let c = [5550.0, 111.0, 3.0];
        let lat = Lattice::new([a, b, c]).unwrap();
        let skew = Crystal::from_cart(lat, cubic.species().to_vec(), &cubic.cart_coords()).unwrap();
        let start = std::time::Instant::now();
        assert_relative_eq!(min_distance(&skew), min_distance(&cubic), epsilon = 1e-6);
        assert_relative_eq!(shortest_lattice_vector(&skew), 3.0, epsilon = 1e-6);
        assert_eq!(
            coordination_numbers(&skew, 3.0),
            coordination_numbers(&cubic, 3.0)
        );
        // Reported images refer to the stored (skewed) cell.
        let cart = skew.cart_coords();
        for nb in neighbors(&skew, 3.0) {
            let fj = skew.frac_coords()[nb.j];
            let img = [0, 1, 2].map(|k| fj[k] + nb.image[k] as f64);
            let r = skew.lattice().frac_to_cart(img);
            let d = [0, 1, 2].map(|k| r[k] - cart[nb.i][k]);
            assert_relative_eq!(
                (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt(),
                nb.distance,
                epsilon = 1e-6
            );
        }
        // Generous bound; the unreduced search takes minutes.
        assert!(start.elapsed().as_secs_f64() < 5.0);
    }

    /// Brute force over a generous image range, for cross-checking.
    fn brute_min_distance(c: &Crystal, reach: i32) -> f64 {
        let mut best = f64::INFINITY;
        let cart = c.cart_coords();
        let l = c.lattice().rows();
        for i in 0..c.num_atoms() {
            for j in 0..c.num_atoms() {
                for a in -reach..=reach {
                    for b in -reach..=reach {
                        for k in -reach..=reach {
                            if i == j && a == 0 && b == 0 && k == 0 {
                                continue;
                            }
                            let t = vec_mat([a as f64, b as f64, k as f64], l);
                            let v = [
                                cart[j][0] + t[0] - cart[i][0],
                                cart[j][1] + t[1] - cart[i][1],
                                cart[j][2] + t[2] - cart[i][2],
                            ];
                            best = best.min(norm2(v).sqrt());
                        }
                    }
                }
            }
        }
        best
    }

    /// Brute force over distinct atoms only.
    fn brute_distinct_distance(c: &Crystal, reach: i32) -> f64 {
        let mut best = f64::INFINITY;
        let cart = c.cart_coords();
        let l = c.lattice().rows();
        for i in 0..c.num_atoms() {
            for j in (0..c.num_atoms()).filter(|&j| j != i) {
                for a in -reach..=reach {
                    for b in -reach..=reach {
                        for k in -reach..=reach {
                            let t = vec_mat([a as f64, b as f64, k as f64], l);
                            best = best.min(norm(sub(add(cart[j], t), cart[i])));
                        }
                    }
                }
            }
        }
        best
    }

    #[test]
    fn textbook_nearest_neighbour_distances() {
        assert_relative_eq!(min_distance(&fcc_al()), 4.05 / 2f64.sqrt(), epsilon = 1e-9);
        assert_relative_eq!(min_distance(&fcc_al()), 2.864, epsilon = 5e-4);
        assert_relative_eq!(
            min_distance(&bcc_fe()),
            2.87 * 3f64.sqrt() / 2.0,
            epsilon = 1e-9
        );
        assert_relative_eq!(min_distance(&bcc_fe()), 2.485, epsilon = 5e-4);
        assert_relative_eq!(
            min_distance(&diamond_c()),
            3.57 * 3f64.sqrt() / 4.0,
            epsilon = 1e-9
        );
        assert_relative_eq!(min_distance(&diamond_c()), 1.546, epsilon = 5e-4);
    }

    #[test]
    fn distinct_sites_ignore_an_atoms_own_images() {
        // FCC: 12 distinct neighbours at a/√2 in the conventional cell.
        assert_relative_eq!(
            min_distinct_distance(&fcc_al()),
            4.05 / 2f64.sqrt(),
            epsilon = 1e-9
        );
        assert_relative_eq!(
            min_distinct_distance(&diamond_c()),
            3.57 * 3f64.sqrt() / 4.0,
            epsilon = 1e-9
        );
        // One atom: no distinct pair, whatever its own images.
        let one =
            Crystal::new(Lattice::cubic(0.4).unwrap(), vec![el("C")], vec![[0.0; 3]]).unwrap();
        assert_eq!(min_distinct_distance(&one), f64::INFINITY);
        assert_relative_eq!(min_distance(&one), 0.4, epsilon = 1e-12);
        // Two atoms 0.9 Å apart in a 0.5 Å-thin cell: own images at 0.5 Å, the other atom
        // at 0.9 Å straight up (its images along the thin axis are further away).
        let thin = Crystal::from_cart(
            Lattice::new([[0.5, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]]).unwrap(),
            vec![el("C"), el("C")],
            &[[0.0; 3], [0.0, 0.9, 0.0]],
        )
        .unwrap();
        assert_relative_eq!(min_distinct_distance(&thin), 0.9, epsilon = 1e-12);
        assert_relative_eq!(min_distance(&thin), 0.5, epsilon = 1e-12);
    }

    /// A strongly sheared cell: a = (5,0,0), b = (4.6,1,0), c = (0,0,5). Two atoms at
    /// f = (0,0,0) and (0.45, 0.45, 0). Naive rounding keeps Δf = (0.45, 0.45, 0) →
    /// Δr = (4.32, 0.45, 0), |Δr| ≈ 4.34 Å; the true nearest image (k = (0, -1, 0))
    /// is at (-0.28, -0.55, 0), 0.617 Å away — a clash that naive rounding misses.
    #[test]
    fn skewed_cell_where_naive_rounding_is_wrong() {
        let l = Lattice::new([[5.0, 0.0, 0.0], [4.6, 1.0, 0.0], [0.0, 0.0, 5.0]]).unwrap();
        let c = Crystal::new(
            l,
            vec![Element::from_z(6).unwrap(); 2],
            vec![[0.0, 0.0, 0.0], [0.45, 0.45, 0.0]],
        )
        .unwrap();
        let naive = norm2(vec_mat(
            reduce_diff(sub([0.45, 0.45, 0.0], [0.0; 3])),
            l.rows(),
        ))
        .sqrt();
        let exact = min_distance(&c);
        let expected = (0.28f64.powi(2) + 0.55f64.powi(2)).sqrt();
        assert!(naive > 4.0, "naive {naive}");
        assert_relative_eq!(exact, expected, epsilon = 1e-9);
        assert_relative_eq!(exact, brute_min_distance(&c, 8), epsilon = 1e-12);
        // The shortest lattice vector is b − a = (−0.4, 1, 0), not any of a, b, c.
        assert_relative_eq!(
            shortest_lattice_vector(&c),
            (0.16f64 + 1.0).sqrt(),
            epsilon = 1e-12
        );
    }

    #[test]
    fn coordination_numbers_of_textbook_crystals() {
        // FCC: 12 at a/√2 = 2.86 Å, next shell at a = 4.05 Å.
        assert!(coordination_numbers(&fcc_al(), 3.2)
            .iter()
            .all(|&n| n == 12));
        // BCC: 8 at 2.49 Å, next 6 at 2.87 Å: a cutoff between the shells.
        assert!(coordination_numbers(&bcc_fe(), 2.7).iter().all(|&n| n == 8));
        assert!(coordination_numbers(&bcc_fe(), 3.2)
            .iter()
            .all(|&n| n == 14));
        // Diamond: 4 at 1.55 Å, next 12 at 2.52 Å.
        assert!(coordination_numbers(&diamond_c(), 2.0)
            .iter()
            .all(|&n| n == 4));
    }

    #[test]
    fn rdf_first_peak_of_fcc() {
        let rdf = Rdf::compute(&fcc_al(), 6.0, 0.1);
        assert_eq!(rdf.counts.len(), 60);
        // 4 atoms × 12 neighbours in the bin holding 2.864 Å.
        assert_eq!(rdf.counts[28], 48);
        assert_eq!(rdf.counts[..28].iter().sum::<u64>(), 0);
        // Second shell: 6 neighbours at 4.05 Å.
        assert_eq!(rdf.counts[40], 24);
        assert!(rdf.g[28] > 5.0);
    }

    fn arb_crystal() -> impl Strategy<Value = Crystal> {
        (
            prop::array::uniform3(prop::array::uniform3(-4.0f64..4.0)),
            prop::collection::vec(prop::array::uniform3(-1.5f64..1.5), 1..6),
        )
            .prop_filter_map("singular", |(mut rows, fr)| {
                for (i, row) in rows.iter_mut().enumerate() {
                    row[i] += 5.0;
                }
                let l = Lattice::new(rows).ok()?;
                // Keep cells whose images within 6 Å lie inside the brute-force reach.
                if l.volume() < 5.0
                    || l.reciprocal_lengths()
                        .iter()
                        .any(|&b| 6.0 * b + 2.0 > BRUTE_REACH as f64)
                {
                    return None;
                }
                let n = fr.len();
                Crystal::new(l, vec![Element::from_z(14).unwrap(); n], fr).ok()
            })
    }

    proptest! {
        #[test]
        fn min_distance_matches_brute_force(c in arb_crystal()) {
            let fast = min_distance(&c);
            let brute = brute_min_distance(&c, BRUTE_REACH);
            prop_assert!((fast - brute).abs() < 1e-9, "fast {fast} brute {brute}");
        }

        #[test]
        fn min_distinct_distance_matches_brute_force(c in arb_crystal()) {
            let fast = min_distinct_distance(&c);
            // Wrapped, so that every fractional difference is below 1 and the reach suffices.
            let brute = brute_distinct_distance(&c.wrapped(), BRUTE_REACH);
            prop_assert!(fast == brute || (fast - brute).abs() < 1e-9, "fast {fast} brute {brute}");
        }

        #[test]
        fn min_distance_is_invariant_under_translation_and_wrapping(
            c in arb_crystal(), t in prop::array::uniform3(-3.0f64..3.0)
        ) {
            let shifted: Vec<[f64; 3]> = c.frac_coords().iter()
                .map(|f| [f[0] + t[0], f[1] + t[1], f[2] + t[2]]).collect();
            let s = Crystal::new(*c.lattice(), c.species().to_vec(), shifted).unwrap();
            prop_assert!((min_distance(&s) - min_distance(&c)).abs() < 1e-9);
            prop_assert!((min_distance(&s.wrapped()) - min_distance(&c)).abs() < 1e-9);
        }

        #[test]
        fn neighbor_counts_match_brute_force(c in arb_crystal()) {
            let cutoff = 3.5;
            let cart = c.cart_coords();
            let l = c.lattice().rows();
            let mut brute = 0usize;
            for i in 0..c.num_atoms() {
                for j in 0..c.num_atoms() {
                    for a in -BRUTE_REACH..=BRUTE_REACH { for b in -BRUTE_REACH..=BRUTE_REACH { for k in -BRUTE_REACH..=BRUTE_REACH {
                        let t = vec_mat([a as f64, b as f64, k as f64], l);
                        let v = [cart[j][0] + t[0] - cart[i][0], cart[j][1] + t[1] - cart[i][1], cart[j][2] + t[2] - cart[i][2]];
                        let d = norm2(v).sqrt();
                        if d > 1e-12 && d <= cutoff { brute += 1; }
                    }}}
                }
            }
            let found = neighbors(&c, cutoff);
            prop_assert_eq!(found.len(), brute);
            for nb in found {
                let t = vec_mat([nb.image[0] as f64, nb.image[1] as f64, nb.image[2] as f64], l);
                let v = [cart[nb.j][0] + t[0] - cart[nb.i][0], cart[nb.j][1] + t[1] - cart[nb.i][1], cart[nb.j][2] + t[2] - cart[nb.i][2]];
                prop_assert!((norm2(v).sqrt() - nb.distance).abs() < 1e-9);
            }
        }
    }
}
