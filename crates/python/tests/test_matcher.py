"""Our StructureMatcher against pymatgen's on pairs built from Perov-5 and Carbon-24 test rows."""

import numpy as np
import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher as PmgMatcher

import crystal_diffusion as cd


def perturbed(s, rng, sigma_a, strain):
    """A copy with every atom moved by N(0, sigma_a) Å per axis, the cell strained by up to
    `strain`, the sites shuffled and the origin shifted."""
    t = s.copy()
    t.apply_strain(rng.uniform(-strain, strain, 3).tolist())
    order = rng.permutation(len(t))
    shift = rng.uniform(0, 1, 3)
    cart = t.cart_coords + rng.normal(0, sigma_a, (len(t), 3))
    frac = t.lattice.get_fractional_coords(cart) + shift
    from pymatgen.core import Structure

    return Structure(t.lattice, [t.species[i] for i in order], frac[order])


@pytest.fixture(scope="module")
def pairs(bench_rows):
    rng = np.random.default_rng(20261130)
    perov = [s for _, d, s in bench_rows if d == "perov_5"]
    carbon = [s for _, d, s in bench_rows if d == "carbon_24"]
    out = []
    # Perturbed copies: noise from well inside to beyond stol.
    for i, s in enumerate(perov):
        out.append((s, perturbed(s, rng, sigma_a=[0.02, 0.1, 0.3][i % 3], strain=0.05)))
    for i, s in enumerate(carbon):
        out.append((s, perturbed(s, rng, sigma_a=[0.02, 0.1, 0.25][i % 3], strain=0.05)))
    # Different carbon polymorphs: same composition, mostly different structures.
    for a, b in zip(carbon, carbon[1:]):
        out.append((a, b))
    # A supercell of a perovskite against its cell.
    for s in perov[:20]:
        out.append((s * (1, 1, 2), s))
    return out


@pytest.mark.parametrize("tol", [dict(), dict(ltol=0.3, stol=0.5, angle_tol=10)], ids=["pymatgen", "csp"])
def test_decisions_and_rms_agree_with_pymatgen(pairs, tol):
    assert len(pairs) >= 200
    ours, theirs = cd.StructureMatcher(**tol), PmgMatcher(**tol)
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    fit_ours = ours.fit_many(a, b)
    rms_ours = ours.rms_many(a, b)
    same = 0
    rms_diffs = []
    for (x, y), f, r in zip(pairs, fit_ours, rms_ours):
        f_pmg = theirs.fit(x, y)
        same += f == f_pmg
        r_pmg = theirs.get_rms_dist(x, y)
        if r is not None and r_pmg is not None:
            rms_diffs.append(abs(r[0] - r_pmg[0]))
        # The single-pair calls give what the batch gives.
    assert same / len(pairs) >= 0.99, f"{same} of {len(pairs)} decisions agree"
    assert len(rms_diffs) >= 100
    assert max(rms_diffs) < 1e-3, max(rms_diffs)
    # Both outcomes occur: the pairs test the decision, not one answer.
    assert 0.2 < sum(fit_ours) / len(fit_ours) < 0.9
    assert [ours.fit(x, y) for x, y in pairs[:10]] == fit_ours[:10]


def test_group_structures_agrees_with_pymatgen(bench_rows):
    rng = np.random.default_rng(7)
    carbon = [s for _, d, s in bench_rows if d == "carbon_24"][:40]
    perov = [s for _, d, s in bench_rows if d == "perov_5"][:40]
    # Every structure twice (once perturbed a little, its sites shuffled), shuffled: about
    # 80 groups, unless two polymorphs match each other.
    items = carbon + perov + [perturbed(s, rng, 0.02, 0.02) for s in carbon + perov]
    order = rng.permutation(len(items))
    items = [items[i] for i in order]
    ours = cd.StructureMatcher().group_structures(items)
    theirs = PmgMatcher().group_structures(items)
    as_sets = lambda groups: sorted(sorted(id(s) for s in g) for g in groups)  # noqa: E731
    assert as_sets(ours) == as_sets(theirs)
    assert sum(len(g) for g in ours) == len(items)
    assert len(ours) <= 80
    assert sum(len(g) == 2 for g in ours) >= 60


def test_textbook_cases():
    from pymatgen.core import Lattice, Structure

    nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    prim = nacl.get_primitive_structure()
    sm = cd.StructureMatcher()
    assert sm.fit(nacl, prim)
    rms = sm.get_rms_dist(nacl, prim)
    assert rms is not None and rms[0] < 1e-8 and rms[1] < 1e-8
    kcl = nacl.copy()
    kcl.replace_species({"Na": "K"})
    assert not sm.fit(nacl, kcl)
    assert sm.get_rms_dist(nacl, kcl) is None
    # Scaled 30 % in length (beyond ltol): matches with scale=True only, as in pymatgen.
    big = nacl.copy()
    big.scale_lattice(nacl.volume * 1.3**3)
    assert sm.fit(nacl, big) and PmgMatcher().fit(nacl, big)
    assert not cd.StructureMatcher(scale=False).fit(nacl, big)
    assert not PmgMatcher(scale=False).fit(nacl, big)
    # A supercell with primitive_cell=False needs attempt_supercell.
    assert not cd.StructureMatcher(primitive_cell=False).fit(nacl, prim)
    assert cd.StructureMatcher(primitive_cell=False, attempt_supercell=True).fit(nacl, prim)
    # Plain arrays and ASE Atoms are accepted.
    plain = (prim.lattice.matrix, prim.frac_coords, ["Na", "Cl"])
    assert sm.fit(plain, nacl)
    assert sm.fit(plain, (prim.lattice.matrix.tolist(), prim.frac_coords.tolist(), [11, 17]))
    assert repr(sm).startswith("StructureMatcher(ltol=0.2, stol=0.3, angle_tol=5.0")


def test_match_many_uses_the_csp_tolerances(pairs):
    a = [p[0] for p in pairs[:30]]
    b = [p[1] for p in pairs[:30]]
    assert cd.match_many(a, b) == cd.StructureMatcher(ltol=0.3, stol=0.5, angle_tol=10).rms_many(a, b)
    assert cd.fit_many(a, b) == cd.StructureMatcher().fit_many(a, b)
