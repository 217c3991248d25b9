//! The local structure order parameters of the "ops" preset (pymatgen
//! `LocalStructOrderParams`, as matminer's `CrystalNNFingerprint` calls them: one type at a
//! time, neighbours given explicitly, parameters from pymatgen's `op_params.yaml` overridden
//! by `cn_opt_params.yaml`).
//!
//! Every OP is a function of the unit vectors u_j from the centre to its n neighbours. With
//! neighbour j as the north pole, θ_k = ∠(u_j, u_k) and, for a third neighbour m, φ is the
//! angle between the components of u_k and u_m perpendicular to u_j (the azimuth of m measured
//! from the meridian through k). g(x) = exp(−x²/2). The "max" OPs normalise the sum of each
//! (j, k) separately and take the largest; `bent` and `bcc` sum over all pairs. The formulas
//! were re-derived from the reference implementation's loops, including its conditions
//! (south-pole windows, skipped terms when u_k or u_m is parallel to u_j) and its
//! normalisations; `q_l` uses the addition theorem, Σ_m |Σ_j Y_lm(u_j)|² =
//! (2l+1)/(4π) Σ_jk P_l(u_j·u_k), which is equal to pymatgen's spherical-harmonic sums.

use crate::geometry::dot;
use std::f64::consts::{FRAC_PI_2, PI};

/// Gaussian penalty exp(−x²/2).
#[inline]
fn g(x: f64) -> f64 {
    (-0.5 * x * x).exp()
}

/// One OP type with its parameters.
#[derive(Debug, Clone, Copy)]
pub(super) enum Op {
    /// `sgl_bd`: 1 for one neighbour, else 1 − d₁/d₂ (two shortest distances).
    SingleBond,
    /// `bent`: mean over ordered pairs of g(igw·(θ/π − ta)).
    Bent { ta: f64, igw: f64 },
    /// `tri_plan_max`, `tet_max`.
    AngleMax { ta: f64, igw: f64, fac_aa: f64 },
    /// `T`, `tri_pyr`, `sq_pyr`, `pent_pyr`, `hex_pyr`.
    Pyramid { igw_ep: f64, fac_aa: f64 },
    /// `tri_bipyr`, `oct_max`, `sq_plan_max`, `pent_bipyr`, `hex_bipyr`, and `hex_plan_max`
    /// (`hex` = Some((igw_ta, ta)): equatorial term g(igw_ta·(|θ/π − ½| − ta)) instead of
    /// g(igw_ep·(θ/π − ½))).
    Bipyramid {
        min_spp: f64,
        igw_spp: f64,
        igw_ep: f64,
        fac_aa: f64,
        hex: Option<(f64, f64)>,
    },
    /// `see_saw_rect`.
    SeeSawRect {
        min_spp: f64,
        igw_spp: f64,
        igw_ep: f64,
        fac_aa: f64,
    },
    /// `pent_plan_max`.
    PentPlanMax { ta: f64, igw: f64 },
    /// `bcc` (Peters 2009).
    Bcc {
        min_spp: f64,
        igw_spp: f64,
        w_spp: f64,
    },
    /// `cuboct_max`.
    CuboctMax {
        min_spp: f64,
        igw_spp: f64,
        w_spp: f64,
        lo: f64,
        hi: f64,
        igw_eq: f64,
        igw_tri: f64,
    },
    /// Steinhardt `q_l`.
    Q(u32),
}

/// 3π/4, the `min_SPP` of most pyramid-like OPs.
const SPP_135: f64 = 2.356194490192345;

/// The OP types of each CN of the "ops" preset, in feature order (after that CN's "wt").
pub(super) fn ops_for_cn(cn: usize) -> &'static [Op] {
    const BENT: [Op; 5] = [
        Op::Bent {
            ta: 0.5,
            igw: 15.15,
        }, // L-shaped
        Op::Bent {
            ta: 0.5802777777777778,
            igw: 13.95,
        }, // water-like
        Op::Bent {
            ta: 0.666666666667,
            igw: 13.25,
        }, // bent 120°
        Op::Bent {
            ta: 0.833333333333333,
            igw: 12.45,
        }, // bent 150°
        Op::Bent {
            ta: 1.0,
            igw: 8.667,
        }, // linear
    ];
    const CN3: [Op; 3] = [
        // trigonal planar: tri_plan_max, defaults
        Op::AngleMax {
            ta: 0.66666666667,
            igw: 17.5,
            fac_aa: 1.0,
        },
        // trigonal non-coplanar: tet_max with cn_opt_params
        Op::AngleMax {
            ta: 0.6081734479693927,
            igw: 18.33,
            fac_aa: 1.5,
        },
        // T-shaped: T, defaults
        Op::Pyramid {
            igw_ep: 15.5,
            fac_aa: 1.0,
        },
    ];
    const CN4: [Op; 5] = [
        // square co-planar: sq_plan_max
        Op::Bipyramid {
            min_spp: SPP_135,
            igw_spp: 13.5,
            igw_ep: 17.7,
            fac_aa: 1.0,
            hex: None,
        },
        // tetrahedral: tet_max
        Op::AngleMax {
            ta: 0.6081734479693927,
            igw: 18.5,
            fac_aa: 1.5,
        },
        // rectangular see-saw-like: see_saw_rect
        Op::SeeSawRect {
            min_spp: SPP_135,
            igw_spp: 11.5,
            igw_ep: 27.0,
            fac_aa: 2.0,
        },
        // see-saw-like: tri_bipyr with cn_opt_params
        Op::Bipyramid {
            min_spp: SPP_135,
            igw_spp: 12.75,
            igw_ep: 15.75,
            fac_aa: 1.5,
            hex: None,
        },
        // trigonal pyramidal: tri_pyr
        Op::Pyramid {
            igw_ep: 15.5,
            fac_aa: 1.5,
        },
    ];
    const CN5: [Op; 3] = [
        Op::PentPlanMax {
            ta: 0.6,
            igw: 19.333,
        }, // pentagonal planar
        Op::Pyramid {
            igw_ep: 14.9,
            fac_aa: 2.0,
        }, // square pyramidal
        // trigonal bipyramidal: tri_bipyr, defaults
        Op::Bipyramid {
            min_spp: SPP_135,
            igw_spp: 12.0,
            igw_ep: 16.6,
            fac_aa: 1.5,
            hex: None,
        },
    ];
    const CN6: [Op; 3] = [
        // hexagonal planar: hex_plan_max
        Op::Bipyramid {
            min_spp: 2.6179938779914944,
            igw_spp: 7.5,
            igw_ep: f64::NAN,
            fac_aa: 1.0,
            hex: Some((25.0, 0.16666667)),
        },
        // octahedral: oct_max
        Op::Bipyramid {
            min_spp: SPP_135,
            igw_spp: 15.0,
            igw_ep: 18.0,
            fac_aa: 2.0,
            hex: None,
        },
        Op::Pyramid {
            igw_ep: 13.8,
            fac_aa: 2.5,
        }, // pentagonal pyramidal
    ];
    const CN7: [Op; 2] = [
        Op::Pyramid {
            igw_ep: 12.5,
            fac_aa: 3.0,
        }, // hexagonal pyramidal
        // pentagonal bipyramidal: pent_bipyr
        Op::Bipyramid {
            min_spp: SPP_135,
            igw_spp: 12.5,
            igw_ep: 14.75,
            fac_aa: 2.5,
            hex: None,
        },
    ];
    const CN8: [Op; 2] = [
        Op::Bcc {
            min_spp: 2.5261129449194057,
            igw_spp: 15.0,
            w_spp: 6.0,
        },
        // hexagonal bipyramidal: hex_bipyr
        Op::Bipyramid {
            min_spp: SPP_135,
            igw_spp: 14.1,
            igw_ep: 13.6,
            fac_aa: 3.0,
            hex: None,
        },
    ];
    const Q246: [Op; 3] = [Op::Q(2), Op::Q(4), Op::Q(6)];
    const CN12: [Op; 4] = [
        Op::CuboctMax {
            min_spp: 2.792526803190927,
            igw_spp: 28.75,
            w_spp: 1.8,
            lo: 1.3089969389957472,
            hi: 1.8325957145940461,
            igw_eq: 25.5,
            igw_tri: 31.25,
        },
        Op::Q(2),
        Op::Q(4),
        Op::Q(6),
    ];
    match cn {
        1 => &[Op::SingleBond],
        2 => &BENT,
        3 => &CN3,
        4 => &CN4,
        5 => &CN5,
        6 => &CN6,
        7 => &CN7,
        8 => &CN8,
        9..=11 => &Q246,
        12 => &CN12,
        _ => &[],
    }
}

/// Angles shared by all OPs of one neighbour set.
#[derive(Default)]
pub(super) struct Geometry {
    n: usize,
    dist: Vec<f64>,
    unit: Vec<[f64; 3]>,
    /// u_j·u_k (clamped to [−1, 1]) at [j·n + k].
    cos: Vec<f64>,
    /// θ[j·n + k]
    theta: Vec<f64>,
    /// Unit component of u_k perpendicular to u_j, `None` when (nearly) parallel.
    perp: Vec<Option<[f64; 3]>>,
    /// φ[(j·n + k)·n + m], NaN where undefined.
    phi: Vec<f64>,
}

impl Geometry {
    /// Prepares the angles of the neighbours at `vecs` (centre → neighbour, Å).
    pub(super) fn set(&mut self, vecs: &[[f64; 3]]) {
        let n = vecs.len();
        self.n = n;
        self.dist.clear();
        self.unit.clear();
        for &v in vecs {
            let d = dot(v, v).sqrt();
            self.dist.push(d);
            self.unit.push([v[0] / d, v[1] / d, v[2] / d]);
        }
        self.cos.clear();
        self.theta.clear();
        self.perp.clear();
        for j in 0..n {
            let z = self.unit[j];
            let zz = dot(z, z);
            for k in 0..n {
                let c = dot(z, self.unit[k]).clamp(-1.0, 1.0);
                self.cos.push(c);
                self.theta.push(c.acos());
                // Gram–Schmidt as the reference does it: u_k − (u_k·u_j)/(u_j·u_j)·u_j.
                let f = dot(self.unit[k], z) / zz;
                let x = [
                    self.unit[k][0] - f * z[0],
                    self.unit[k][1] - f * z[1],
                    self.unit[k][2] - f * z[2],
                ];
                let xn = dot(x, x).sqrt();
                self.perp.push(if xn < 1e-12 || j == k {
                    None
                } else {
                    Some([x[0] / xn, x[1] / xn, x[2] / xn])
                });
            }
        }
        self.phi.clear();
        self.phi.resize(n * n * n, f64::NAN);
        for j in 0..n {
            for k in 0..n {
                let Some(xk) = self.perp[j * n + k] else {
                    continue;
                };
                for m in 0..n {
                    if m == j || m == k {
                        continue;
                    }
                    if let Some(xm) = self.perp[j * n + m] {
                        self.phi[(j * n + k) * n + m] = dot(xm, xk).clamp(-1.0, 1.0).acos();
                    }
                }
            }
        }
    }

    /// The value of `op` for the first `n` of these neighbours (the neighbour sets of smaller
    /// CNs are prefixes of larger ones); `None` where the reference returns None.
    pub(super) fn eval(&self, op: &Op, n: usize) -> Option<f64> {
        assert!(n <= self.n);
        let st = self.n;
        match *op {
            Op::SingleBond => match n {
                0 => None,
                1 => Some(1.0),
                _ => {
                    let (mut d1, mut d2) = (f64::INFINITY, f64::INFINITY);
                    for &d in &self.dist[..n] {
                        if d < d1 {
                            d2 = d1;
                            d1 = d;
                        } else if d < d2 {
                            d2 = d;
                        }
                    }
                    Some(1.0 - d1 / d2)
                }
            },
            Op::Q(l) => {
                if n == 0 {
                    return None;
                }
                if l == 2 {
                    // Σ_jk P₂(u_j·u_k) = (3/2)·‖Σ_j (u_j u_jᵀ − I/3)‖²: accurate where q2 ≈ 0.
                    let mut t = [[0.0; 3]; 3];
                    for u in &self.unit[..n] {
                        for (a, row) in t.iter_mut().enumerate() {
                            for (b, x) in row.iter_mut().enumerate() {
                                *x += u[a] * u[b] - if a == b { 1.0 / 3.0 } else { 0.0 };
                            }
                        }
                    }
                    let f2: f64 = t.iter().flatten().map(|x| x * x).sum();
                    return Some((1.5 * f2).sqrt() / n as f64);
                }
                let mut acc = 0.0;
                for j in 0..n {
                    for k in 0..n {
                        acc += legendre(l, if j == k { 1.0 } else { self.cos[j * st + k] });
                    }
                }
                Some(acc.max(0.0).sqrt() / n as f64)
            }
            Op::Bent { ta, igw } => {
                let (mut q, mut norm) = (0.0, 0.0);
                for j in 0..n {
                    for k in 0..n {
                        if j != k {
                            q += g(igw * (self.theta[j * st + k] / PI - ta));
                            norm += 1.0;
                        }
                    }
                }
                (norm > 1e-12).then(|| q / norm)
            }
            Op::Bcc {
                min_spp,
                igw_spp,
                w_spp,
            } => {
                if n <= 3 {
                    return None;
                }
                let fac_bcc = 1.0 / (-0.5f64).exp();
                let asin13 = (1.0f64 / 3.0).asin();
                let mut q = 0.0;
                for j in 0..n {
                    for k in j + 1..n {
                        let tk = self.theta[j * st + k];
                        if tk >= min_spp {
                            q += w_spp * g(igw_spp * (tk / PI - 1.0));
                        }
                        if self.perp[j * st + k].is_none() || tk >= min_spp {
                            continue;
                        }
                        let fac = if tk > FRAC_PI_2 { 1.0 } else { -1.0 };
                        for m in 0..n {
                            let phi = self.phi[(j * st + k) * st + m];
                            if m == j || m == k || phi.is_nan() {
                                continue;
                            }
                            let t = (self.theta[j * st + m] - FRAC_PI_2) / asin13;
                            q += fac * (3.0 * phi).cos() * fac_bcc * t * (-0.5 * t * t).exp();
                        }
                    }
                }
                let nf = n as f64;
                Some(q / (0.5 * nf * (6.0 + (nf - 2.0) * (nf - 3.0))))
            }
            _ => {
                if n <= 1 {
                    return None;
                }
                let mut best = f64::NEG_INFINITY;
                for j in 0..n {
                    for k in 0..n {
                        if j != k {
                            let (q, norm) = self.pair_max_term(op, n, j, k);
                            let v = if norm > 1e-12 { q / norm } else { 0.0 };
                            best = best.max(v);
                        }
                    }
                }
                Some(best)
            }
        }
    }

    /// Sum and normalisation of the (j north pole, k meridian) term of a "max" OP.
    fn pair_max_term(&self, op: &Op, n: usize, j: usize, k: usize) -> (f64, f64) {
        let st = self.n;
        let tk = self.theta[j * st + k];
        let (mut q, mut norm) = (0.0, 0.0);
        // Contribution of the j–i–k angle.
        match *op {
            Op::AngleMax { ta, igw, .. } => {
                q += g(igw * (tk / PI - ta));
                norm += 1.0;
            }
            Op::Pyramid { igw_ep, .. } => {
                q += g(igw_ep * (tk / PI - 0.5));
                norm += 1.0;
            }
            Op::CuboctMax {
                min_spp,
                igw_spp,
                w_spp,
                ..
            } => {
                if tk >= min_spp {
                    q += w_spp * g(igw_spp * (tk / PI - 1.0));
                    norm += w_spp;
                }
            }
            Op::Bipyramid {
                min_spp,
                igw_ep,
                hex,
                ..
            } => {
                if tk < min_spp {
                    q += g(equatorial(tk, igw_ep, hex));
                    norm += 1.0;
                }
            }
            Op::SeeSawRect {
                min_spp, igw_ep, ..
            } => {
                if tk < min_spp {
                    q += g(igw_ep * (tk / PI - 0.5));
                    norm += 1.0;
                }
            }
            Op::PentPlanMax { ta, igw } => {
                let t = if tk <= ta * PI { 0.4 } else { 0.8 };
                q += g(igw * (tk / PI - t));
                norm += 1.0;
            }
            _ => unreachable!("not a max-type OP"),
        }
        // Contributions of every third neighbour m; none when u_k is parallel to u_j.
        if self.perp[j * st + k].is_none() {
            return (q, norm);
        }
        // cuboct_max has m-terms only for lo < θ_k < hi.
        if let Op::CuboctMax { lo, hi, .. } = *op {
            if !(lo < tk && tk < hi) {
                return (q, norm);
            }
        }
        for m in 0..n {
            if m == j || m == k {
                continue;
            }
            let tm = self.theta[j * st + m];
            let phi = self.phi[(j * st + k) * st + m];
            // South-pole term (counted even when u_m is parallel to u_j).
            match *op {
                Op::Bipyramid {
                    min_spp, igw_spp, ..
                }
                | Op::SeeSawRect {
                    min_spp, igw_spp, ..
                } if tm >= min_spp => {
                    q += g(igw_spp * (tm / PI - 1.0));
                    norm += 1.0;
                }
                _ => {}
            }
            if phi.is_nan() {
                continue;
            }
            match *op {
                Op::AngleMax { ta, igw, fac_aa } => {
                    let c = (fac_aa * phi).cos();
                    q += g(igw * (tm / PI - ta)) * c * c;
                    norm += 1.0;
                }
                Op::PentPlanMax { ta, igw } => {
                    let t = if tm <= ta * PI { 0.4 } else { 0.8 };
                    let c = phi.cos();
                    q += g(igw * (tm / PI - t)) * c * c;
                    norm += 1.0;
                }
                Op::Pyramid { igw_ep, fac_aa } => {
                    let c = (fac_aa * phi).cos();
                    q += c * c * g(igw_ep * (tm / PI - 0.5));
                    norm += 1.0;
                }
                Op::Bipyramid {
                    min_spp,
                    igw_ep,
                    fac_aa,
                    hex,
                    ..
                } if tm < min_spp && tk < min_spp => {
                    let c = (fac_aa * phi).cos();
                    q += c * c * g(equatorial(tm, igw_ep, hex));
                    norm += 1.0;
                }
                Op::SeeSawRect {
                    min_spp,
                    igw_ep,
                    fac_aa,
                    ..
                } if tm < min_spp && tk < min_spp && phi < 0.75 * PI => {
                    let c = (fac_aa * phi).cos();
                    q += c * c * g(igw_ep * (tm / PI - 0.5));
                    norm += 1.0;
                }
                Op::CuboctMax {
                    min_spp,
                    lo,
                    hi,
                    igw_eq,
                    igw_tri,
                    ..
                } if tm < min_spp && lo < tk && tk < hi => {
                    if lo < tm && tm < hi {
                        let c = phi.cos();
                        q += c * c * g(igw_eq * (tm / PI - 0.5));
                        norm += 1.0;
                    } else if tm < lo {
                        let a = 0.0556 * ((phi - 0.5 * PI).cos() - 0.81649658);
                        q += g(a) * g(igw_tri * (tm / PI - 1.0 / 3.0));
                        norm += 1.0;
                    } else if tm > hi {
                        let a = 0.0556 * ((phi - 0.5 * PI).cos() - 0.81649658);
                        q += g(a) * g(igw_tri * (tm / PI - 2.0 / 3.0));
                        norm += 1.0;
                    }
                }
                _ => {}
            }
        }
        (q, norm)
    }
}

/// Argument of the equatorial Gaussian of the bipyramid family.
#[inline]
fn equatorial(theta: f64, igw_ep: f64, hex: Option<(f64, f64)>) -> f64 {
    match hex {
        None => igw_ep * (theta / PI - 0.5),
        Some((igw_ta, ta)) => igw_ta * ((theta / PI - 0.5).abs() - ta),
    }
}

/// Legendre polynomial P_l(x) for l = 4, 6.
#[inline]
fn legendre(l: u32, x: f64) -> f64 {
    let x2 = x * x;
    match l {
        4 => (35.0 * x2 * x2 - 30.0 * x2 + 3.0) / 8.0,
        6 => (231.0 * x2 * x2 * x2 - 315.0 * x2 * x2 + 105.0 * x2 - 5.0) / 16.0,
        _ => unreachable!("q_l only for l = 4, 6 here"),
    }
}
