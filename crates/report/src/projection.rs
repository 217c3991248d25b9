//! 3D projections of a crystal for the static plots.
//!
//! A [`Camera`] turns Cartesian positions (Å) into screen coordinates: a turn about the
//! vertical axis (`yaw`), then a tilt towards the viewer (`pitch`), then an orthographic
//! projection. [`Scene::new`] projects a cell's twelve edges and its atoms (wrapped into
//! the cell), sorts the atoms back to front, and fits everything into a pixel box with
//! the aspect ratio kept, so a plot only has to draw lines and circles.

use crate::run::View;
use crate::style::draw_radius;

/// An orthographic camera: `yaw` about the z axis, then `pitch` (both radians).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    pub yaw: f64,
    pub pitch: f64,
}

impl Default for Camera {
    /// A three-quarter view from slightly above, so all three cell axes are visible.
    fn default() -> Self {
        Camera {
            yaw: 0.45,
            pitch: 0.35,
        }
    }
}

impl Camera {
    /// Screen right, screen up and depth (larger = farther from the viewer) of `p`.
    pub fn project(&self, p: [f64; 3]) -> [f64; 3] {
        let (sa, ca) = self.yaw.sin_cos();
        let (sb, cb) = self.pitch.sin_cos();
        let x1 = p[0] * ca - p[1] * sa;
        let y1 = p[0] * sa + p[1] * ca;
        let z1 = p[2];
        [x1, z1 * cb + y1 * sb, y1 * cb - z1 * sb]
    }
}

/// One atom on screen: pixel centre, pixel radius, depth, element symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenAtom {
    pub x: f64,
    pub y: f64,
    pub r: f64,
    pub depth: f64,
    pub symbol: String,
}

/// A projected structure in pixel coordinates (y pointing down).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scene {
    /// The twelve cell edges.
    pub edges: Vec<([f64; 2], [f64; 2])>,
    /// Atoms, farthest first.
    pub atoms: Vec<ScreenAtom>,
}

/// Cartesian position of fractional `f` in the cell with rows `l`.
pub fn frac_to_cart(l: &[[f64; 3]; 3], f: [f64; 3]) -> [f64; 3] {
    let mut r = [0.0; 3];
    for (k, rk) in r.iter_mut().enumerate() {
        *rk = f[0] * l[0][k] + f[1] * l[1][k] + f[2] * l[2][k];
    }
    r
}

fn wrap(x: f64) -> f64 {
    let w = x - x.floor();
    if w >= 1.0 {
        0.0
    } else {
        w
    }
}

/// How close to a cell face (in fractional units) an atom is drawn on both faces.
pub const FACE_TOL: f64 = 1e-4;

/// A wrapped position and, for an atom on a cell face, edge or corner, its images on
/// the opposite faces (an FCC cell then shows its 14 atoms, as crystallographers draw it).
pub fn boundary_images(f: [f64; 3]) -> Vec<[f64; 3]> {
    let mut out = vec![f];
    for k in 0..3 {
        let near_zero = f[k] < FACE_TOL;
        let near_one = f[k] > 1.0 - FACE_TOL;
        if near_zero || near_one {
            let shift = if near_zero { 1.0 } else { -1.0 };
            let extra: Vec<[f64; 3]> = out
                .iter()
                .map(|g| {
                    let mut g = *g;
                    g[k] += shift;
                    g
                })
                .collect();
            out.extend(extra);
        }
    }
    out
}

/// Atom radius as drawn, as a fraction of the covalent radius.
pub const ATOM_SCALE: f64 = 0.4;

impl Scene {
    /// Projects `view` with `cam` and fits it into the pixel box `(x0, y0, w, h)`.
    pub fn new(view: &View, cam: Camera, bx: (f64, f64, f64, f64)) -> Scene {
        let l = &view.lattice;
        let corners: Vec<[f64; 3]> = (0..8)
            .map(|i| {
                let f = [(i & 1) as f64, ((i >> 1) & 1) as f64, ((i >> 2) & 1) as f64];
                cam.project(frac_to_cart(l, f))
            })
            .collect();
        let mut atoms: Vec<([f64; 3], f64, &str)> = view
            .frac
            .iter()
            .zip(
                view.species
                    .iter()
                    .map(String::as_str)
                    .chain(std::iter::repeat("X")),
            )
            .filter(|(f, _)| f.iter().all(|x| x.is_finite()))
            .flat_map(|(f, s)| {
                boundary_images(f.map(wrap)).into_iter().map(move |g| {
                    let p = cam.project(frac_to_cart(l, g));
                    (p, draw_radius(s) * ATOM_SCALE, s)
                })
            })
            .collect();
        // Bounding box in projected Å.
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        let mut grow = |p: [f64; 3], r: f64| {
            for k in 0..2 {
                lo[k] = lo[k].min(p[k] - r);
                hi[k] = hi[k].max(p[k] + r);
            }
        };
        corners.iter().for_each(|&c| grow(c, 0.0));
        atoms.iter().for_each(|&(p, r, _)| grow(p, r));
        let (x0, y0, w, h) = bx;
        let bw = (hi[0] - lo[0]).max(1e-9);
        let bh = (hi[1] - lo[1]).max(1e-9);
        let scale = (w / bw).min(h / bh);
        if !scale.is_finite() || scale <= 0.0 {
            return Scene::default();
        }
        let cx = x0 + w / 2.0;
        let cy = y0 + h / 2.0;
        let mx = (lo[0] + hi[0]) / 2.0;
        let my = (lo[1] + hi[1]) / 2.0;
        let to_px = |p: [f64; 3]| [cx + (p[0] - mx) * scale, cy - (p[1] - my) * scale];
        let mut edges = Vec::with_capacity(12);
        for i in 0..8usize {
            for bit in [1usize, 2, 4] {
                if i & bit == 0 {
                    edges.push((to_px(corners[i]), to_px(corners[i | bit])));
                }
            }
        }
        atoms.sort_by(|a, b| b.0[2].total_cmp(&a.0[2]));
        let atoms = atoms
            .into_iter()
            .map(|(p, r, s)| {
                let q = to_px(p);
                ScreenAtom {
                    x: q[0],
                    y: q[1],
                    r: (r * scale).max(2.0),
                    depth: p[2],
                    symbol: s.to_string(),
                }
            })
            .collect();
        Scene { edges, atoms }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn camera_is_a_rotation() {
        let cam = Camera::default();
        let p = [1.0, -2.0, 3.0];
        let q = cam.project(p);
        let n = |v: [f64; 3]| v.iter().map(|x| x * x).sum::<f64>();
        assert_relative_eq!(n(p), n(q), epsilon = 1e-12);
        let front = Camera {
            yaw: 0.0,
            pitch: 0.0,
        };
        assert_eq!(front.project([1.0, 2.0, 3.0]), [1.0, 3.0, 2.0]);
        // Looking from above: a point high up is nearer than one below it.
        let above = Camera {
            yaw: 0.0,
            pitch: 0.5,
        };
        assert!(above.project([0.0, 0.0, 1.0])[2] < above.project([0.0, 0.0, -1.0])[2]);
    }

    #[test]
    fn scene_fits_the_box_and_sorts_back_to_front() {
        let view = View {
            lattice: [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]],
            species: vec!["Al".into(), "Fe".into(), "C".into()],
            frac: vec![[0.1, 0.1, 0.1], [0.5, 0.9, 0.5], [1.25, -0.5, 0.3]],
        };
        let s = Scene::new(&view, Camera::default(), (10.0, 20.0, 200.0, 100.0));
        assert_eq!(s.edges.len(), 12);
        assert_eq!(s.atoms.len(), 3);
        for w in s.atoms.windows(2) {
            assert!(w[0].depth >= w[1].depth);
        }
        for a in &s.atoms {
            assert!(a.x - a.r >= 10.0 - 1e-6 && a.x + a.r <= 210.0 + 1e-6);
            assert!(a.y - a.r >= 20.0 - 1e-6 && a.y + a.r <= 120.0 + 1e-6);
        }
        for (p, q) in &s.edges {
            for v in [p, q] {
                assert!(v[0] >= 10.0 - 1e-6 && v[0] <= 210.0 + 1e-6);
                assert!(v[1] >= 20.0 - 1e-6 && v[1] <= 120.0 + 1e-6);
            }
        }
        // Wrapped into the cell: (1.25, -0.5, 0.3) is drawn at (0.25, 0.5, 0.3).
        let c = frac_to_cart(&view.lattice, [0.25, 0.5, 0.3]);
        assert_relative_eq!(c[0], 1.0);
    }

    #[test]
    fn atoms_on_faces_are_drawn_on_both_faces() {
        assert_eq!(boundary_images([0.3, 0.4, 0.5]).len(), 1);
        assert_eq!(
            boundary_images([0.0, 0.5, 0.5]),
            vec![[0.0, 0.5, 0.5], [1.0, 0.5, 0.5]]
        );
        assert_eq!(boundary_images([0.0, 0.0, 0.0]).len(), 8);
        let fcc = View::of(&crystal::demo::fcc_al());
        let s = Scene::new(&fcc, Camera::default(), (0.0, 0.0, 100.0, 100.0));
        assert_eq!(s.atoms.len(), 14);
    }

    #[test]
    fn degenerate_input_gives_an_empty_scene() {
        let view = View {
            lattice: [[0.0; 3]; 3],
            species: vec![],
            frac: vec![],
        };
        let s = Scene::new(&view, Camera::default(), (0.0, 0.0, 0.0, 0.0));
        assert!(s.atoms.is_empty());
    }
}
