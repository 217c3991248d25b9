#!/usr/bin/env python3
"""Builds the matcher agreement set of issue 6 and scores it with pymatgen.

Pairs (prediction, ground truth) are made from rows of the shared Perov-5 and Carbon-24 test
splits: identical copies, copies with every atom displaced by 0.01-1.0 A, permuted atoms,
other cell choices of the same crystal (supercells, a non-reduced cell, a shifted origin),
strained lattices, swapped species and different compositions. Each pair is scored with
pymatgen's StructureMatcher(ltol=0.3, stol=0.5, angle_tol=10).get_rms_dist(pred, gt), the
CDVAE/DiffCSP call, and written as one JSON line:
  {"kind", "pred": {...}, "gt": {...}, "pymatgen": [rms, max] | null, "seconds"}
where a structure is {"lattice": 3x3 rows in A, "species": [symbols], "frac": [[x,y,z],...]}.

Usage (offline, never in CI; pymatgen 2026.10 here):
  python3 scripts/matcher_agreement.py --per-dataset 120 --seed 6 \
      | gzip -9 -n > crates/crystal/tests/fixtures/matcher_agreement.jsonl.gz
"""
import argparse, csv, gzip, io, json, sys, time
import numpy as np
from pymatgen.core import Structure, Lattice
from pymatgen.analysis.structure_matcher import StructureMatcher

DATA = "../shared/data"


def rows(path, n, rng):
    with gzip.open(path, "rt") as f:
        all_rows = list(csv.DictReader(f))
    idx = rng.choice(len(all_rows), size=min(n, len(all_rows)), replace=False)
    return [all_rows[i] for i in sorted(idx)]


def to_json(s):
    return {
        "lattice": s.lattice.matrix.tolist(),
        "species": [sp.symbol for sp in s.species],
        "frac": s.frac_coords.tolist(),
    }


def displaced(s, length, rng):
    d = rng.normal(size=(len(s), 3))
    d *= length / np.linalg.norm(d, axis=1)[:, None]
    return Structure(s.lattice, s.species, s.cart_coords + d, coords_are_cartesian=True)


def variants(s, other, rng):
    """(kind, prediction) pairs made from ground truth s; other is a different structure."""
    out = [("identical", s.copy())]
    for length in (0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0):
        out.append((f"displaced_{length}", displaced(s, length, rng)))
    perm = rng.permutation(len(s))
    out.append(("permuted", Structure(s.lattice, [s.species[i] for i in perm], s.frac_coords[perm])))
    shift = rng.random(3)
    out.append(("shifted_origin", Structure(s.lattice, s.species, s.frac_coords + shift)))
    out.append(("supercell_211", s * (2, 1, 1)))
    t = s.copy(); t.make_supercell([[1, 1, 0], [0, 1, 0], [0, 0, 1]])
    out.append(("non_reduced_cell", t))
    out.append(("supercell_noise_0.1", displaced(s * (1, 2, 1), 0.1, rng)))
    for axis, strain in ((0, 1.08), (2, 1.25), (1, 1.45)):
        m = s.lattice.matrix.copy(); m[axis] *= strain
        out.append((f"strain_{axis}_{strain}", displaced(Structure(Lattice(m), s.species, s.frac_coords), 0.05, rng)))
    elems = sorted({sp.symbol for sp in s.species})
    if len(elems) >= 2:
        a, b = elems[0], elems[1]
        sw = [b if x.symbol == a else a if x.symbol == b else x.symbol for x in s.species]
        out.append(("swapped_species", Structure(s.lattice, sw, s.frac_coords)))
    else:
        out.append(("other_element", Structure(s.lattice, ["Si"] * len(s), s.frac_coords)))
    out.append(("different_structure", other.copy()))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-dataset", type=int, default=120)
    ap.add_argument("--seed", type=int, default=6)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    sm = StructureMatcher(ltol=0.3, stol=0.5, angle_tol=10)
    for ds in ("perov_5", "carbon_24"):
        rs = rows(f"{DATA}/{ds}/test.csv.gz", args.per_dataset + 1, rng)
        structs = [Structure.from_str(r["cif"], fmt="cif") for r in rs]
        for i in range(args.per_dataset):
            gt = structs[i]
            for kind, pred in variants(gt, structs[i + 1], rng):
                t0 = time.perf_counter()
                res = sm.get_rms_dist(pred, gt)
                dt = time.perf_counter() - t0
                rec = {
                    "dataset": ds,
                    "material_id": rs[i]["material_id"],
                    "kind": kind,
                    "pred": to_json(pred),
                    "gt": to_json(gt),
                    "pymatgen": None if res is None else [float(res[0]), float(res[1])],
                    "seconds": dt,
                }
                print(json.dumps(rec, separators=(",", ":")))
        print(f"{ds}: done", file=sys.stderr)


if __name__ == "__main__":
    main()
