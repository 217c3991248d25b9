//! The Voronoi cell of one atom among its periodic neighbours, by half-space clipping.
//!
//! The cell of the origin among points p_1, p_2, … (sorted by distance) is the intersection of
//! the half-spaces p·x ≤ |p|²/2. We start from a large cube and clip it by one bisector plane
//! after another (Sutherland–Hodgman on every face polygon, then the new face from the points
//! that lie on the plane). A plane at distance |p|/2 beyond the farthest vertex cannot cut,
//! and neither can any later one, so the loop stops there: the result is the exact cell of
//! the whole point set. A face of the initial cube that survives means the cell is unbounded
//! within the given points (pymatgen's "infinite vertex" case).
//!
//! Faces that touch the cell only in an edge or a vertex (degenerate, zero area) are not
//! faces here, just as qhull does not report them.

use crate::geometry::{cross, dot, norm, sub};

/// Label of the six faces of the initial cube.
const BOX: u32 = u32::MAX;
/// Half-width of the initial cube, Å.
const BOX_HALF: f64 = 1.0e3;
/// A vertex within this distance (Å) of a plane lies on it.
const ON_PLANE: f64 = 1.0e-9;
/// Points of a new face closer than this (Å) are the same vertex.
const SAME_POINT: f64 = 1.0e-9;

/// One face of a Voronoi cell: the neighbour it is shared with, its solid angle seen from the
/// centre (sr) and its area (Å²).
#[derive(Debug, Clone, Copy)]
pub(super) struct Face {
    /// Index of the neighbour in the point list given to [`Scratch::cell`].
    pub nb: usize,
    pub solid_angle: f64,
    pub area: f64,
}

/// Reusable buffers (one per thread / structure), so that building a cell allocates nothing
/// once warm.
#[derive(Default)]
pub(super) struct Scratch {
    verts: Vec<[f64; 3]>,
    faces: Vec<(u32, u32, u32)>,
    verts2: Vec<[f64; 3]>,
    faces2: Vec<(u32, u32, u32)>,
    cap: Vec<([f64; 3], f64)>,
    s: Vec<f64>,
}

impl Scratch {
    fn reset_box(&mut self) {
        let h = BOX_HALF;
        self.verts.clear();
        self.faces.clear();
        // Each face of the cube as a cyclic polygon.
        let quads: [[[f64; 3]; 4]; 6] = [
            [[h, -h, -h], [h, h, -h], [h, h, h], [h, -h, h]],
            [[-h, -h, -h], [-h, -h, h], [-h, h, h], [-h, h, -h]],
            [[-h, h, -h], [-h, h, h], [h, h, h], [h, h, -h]],
            [[-h, -h, -h], [h, -h, -h], [h, -h, h], [-h, -h, h]],
            [[-h, -h, h], [h, -h, h], [h, h, h], [-h, h, h]],
            [[-h, -h, -h], [-h, h, -h], [h, h, -h], [h, -h, -h]],
        ];
        for q in quads {
            let start = self.verts.len() as u32;
            self.verts.extend_from_slice(&q);
            self.faces.push((BOX, start, 4));
        }
    }

    /// Clips the current cell by the bisector plane of point `p` (label `nb`).
    fn clip(&mut self, p: [f64; 3], nb: u32) {
        let pn = norm(p);
        let h = 0.5 * pn * pn;
        let eps = ON_PLANE * pn;
        self.s.clear();
        let mut any_out = false;
        for &v in &self.verts {
            let s = dot(p, v) - h;
            any_out |= s > eps;
            self.s.push(s);
        }
        if !any_out {
            return;
        }
        self.verts2.clear();
        self.faces2.clear();
        self.cap.clear();
        for &(label, start, len) in &self.faces {
            let (start, len) = (start as usize, len as usize);
            let out_start = self.verts2.len();
            for k in 0..len {
                let prev = start + (k + len - 1) % len;
                let cur = start + k;
                let (sp, sc) = (self.s[prev], self.s[cur]);
                let (vp, vc) = (self.verts[prev], self.verts[cur]);
                let (prev_in, cur_in) = (sp <= eps, sc <= eps);
                if cur_in {
                    if !prev_in && sc < -eps {
                        let x = intersect(vp, sp, vc, sc);
                        self.verts2.push(x);
                        self.cap.push((x, 0.0));
                    }
                    self.verts2.push(vc);
                    if sc >= -eps {
                        self.cap.push((vc, 0.0));
                    }
                } else if prev_in && sp < -eps {
                    let x = intersect(vp, sp, vc, sc);
                    self.verts2.push(x);
                    self.cap.push((x, 0.0));
                }
            }
            let n_out = self.verts2.len() - out_start;
            if n_out >= 3 {
                self.faces2.push((label, out_start as u32, n_out as u32));
            } else {
                self.verts2.truncate(out_start);
            }
        }
        // The new face: the points on the plane, in angular order around their centroid.
        if self.cap.len() >= 3 {
            let nhat = [p[0] / pn, p[1] / pn, p[2] / pn];
            let helper = if nhat[0].abs() < 0.6 {
                [1.0, 0.0, 0.0]
            } else {
                [0.0, 1.0, 0.0]
            };
            let e1 = {
                let c = cross(nhat, helper);
                let n = norm(c);
                [c[0] / n, c[1] / n, c[2] / n]
            };
            let e2 = cross(nhat, e1);
            let m = self.cap.len() as f64;
            let mut c = [0.0; 3];
            for (q, _) in &self.cap {
                for i in 0..3 {
                    c[i] += q[i] / m;
                }
            }
            for (q, a) in self.cap.iter_mut() {
                let d = sub(*q, c);
                *a = dot(d, e2).atan2(dot(d, e1));
            }
            self.cap.sort_by(|x, y| x.1.total_cmp(&y.1));
            let start = self.verts2.len();
            for &(q, _) in &self.cap {
                let dup = self.verts2.len() > start
                    && norm(sub(q, self.verts2[self.verts2.len() - 1])) <= SAME_POINT;
                if !dup {
                    self.verts2.push(q);
                }
            }
            while self.verts2.len() - start > 1
                && norm(sub(self.verts2[self.verts2.len() - 1], self.verts2[start])) <= SAME_POINT
            {
                self.verts2.pop();
            }
            let n_new = self.verts2.len() - start;
            if n_new >= 3 {
                self.faces2.push((nb, start as u32, n_new as u32));
            } else {
                self.verts2.truncate(start);
            }
        }
        std::mem::swap(&mut self.verts, &mut self.verts2);
        std::mem::swap(&mut self.faces, &mut self.faces2);
    }

    /// Distance (Å) of the farthest vertex of the last cell built.
    pub(super) fn max_vertex_distance(&self) -> f64 {
        self.verts
            .iter()
            .fold(0.0f64, |m, &v| m.max(dot(v, v)))
            .sqrt()
    }

    /// The Voronoi cell of the origin among `points` (Cartesian, Å, sorted by increasing
    /// distance, none at the origin). Writes its faces to `faces` and returns `false` when the
    /// cell is unbounded within these points.
    pub(super) fn cell(&mut self, points: &[[f64; 3]], faces: &mut Vec<Face>) -> bool {
        self.reset_box();
        let mut r2max = 3.0 * BOX_HALF * BOX_HALF;
        for (i, &p) in points.iter().enumerate() {
            let half = 0.5 * norm(p);
            if half * half > r2max * (1.0 + 1e-12) + 1e-12 {
                break;
            }
            self.clip(p, i as u32);
            r2max = self.verts.iter().fold(0.0, |m, &v| m.max(dot(v, v)));
        }
        faces.clear();
        if self.faces.iter().any(|f| f.0 == BOX) {
            return false;
        }
        for &(label, start, len) in &self.faces {
            let poly = &self.verts[start as usize..(start + len) as usize];
            let area = polygon_area(poly);
            if area <= 0.0 {
                continue;
            }
            faces.push(Face {
                nb: label as usize,
                solid_angle: solid_angle(poly),
                area,
            });
        }
        true
    }
}

/// The point where the segment from `a` (signed distance `sa`) to `b` (`sb`) crosses the
/// plane, computed in a fixed order of the two ends so that both faces sharing the edge get the
/// same bits.
#[inline]
fn intersect(a: [f64; 3], sa: f64, b: [f64; 3], sb: f64) -> [f64; 3] {
    let ((x, sx), (y, sy)) = if (sa, a) < (sb, b) {
        ((a, sa), (b, sb))
    } else {
        ((b, sb), (a, sa))
    };
    let t = sx / (sx - sy);
    [
        x[0] + t * (y[0] - x[0]),
        x[1] + t * (y[1] - x[1]),
        x[2] + t * (y[2] - x[2]),
    ]
}

/// Area of a planar convex polygon (fan from its first vertex).
fn polygon_area(poly: &[[f64; 3]]) -> f64 {
    let mut acc = [0.0; 3];
    for k in 1..poly.len() - 1 {
        let c = cross(sub(poly[k], poly[0]), sub(poly[k + 1], poly[0]));
        for i in 0..3 {
            acc[i] += c[i];
        }
    }
    0.5 * norm(acc)
}

/// Solid angle (sr) of a planar convex polygon seen from the origin: the sum over the fan of
/// triangles (v0, vk, vk+1) of the Van Oosterom–Strackee triangle solid angle, as pymatgen's
/// `solid_angle` sums it.
fn solid_angle(poly: &[[f64; 3]]) -> f64 {
    let r0 = poly[0];
    let n0 = norm(r0);
    let mut total = 0.0;
    for k in 1..poly.len() - 1 {
        let (a, b) = (poly[k], poly[k + 1]);
        let (na, nb) = (norm(a), norm(b));
        let tp = dot(r0, cross(a, b)).abs();
        let de = n0 * na * nb + nb * dot(r0, a) + na * dot(r0, b) + n0 * dot(a, b);
        total += 2.0 * tp.atan2(de);
    }
    total
}
