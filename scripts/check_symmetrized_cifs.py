"""Check `crystal-diffusion convert --symmetrize` output with pymatgen and ASE.

    python3 scripts/check_symmetrized_cifs.py FOLDER [--limit N]

FOLDER holds what `convert IN FOLDER --symmetrize` wrote: NAME.cif (P1, every atom) beside
NAME.symmetrized.cif (space group, operations, asymmetric unit). For each pair:

  pymatgen  CifParser(...).parse_structures(primitive=False) on both files: the symmetrized
            one expands to exactly the atoms its multiplicities add up to, with the same
            reduced formula and density (1e-4 relative) as the P1 one, and
            StructureMatcher() (default tolerances) matches the two;
  ASE       ase.io.read on the symmetrized file: the same number of atoms, cell volume
            (1e-6 relative) and chemical formula as pymatgen's expansion.

Prints the counts and every failure; exit 1 when any pair fails.
"""
import argparse
import multiprocessing
import sys
import warnings
from pathlib import Path


def check(sym_path):
    warnings.filterwarnings("ignore")
    from ase.io import read as ase_read
    from pymatgen.analysis.structure_matcher import StructureMatcher
    from pymatgen.io.cif import CifParser

    p1_path = sym_path.with_name(sym_path.name.replace(".symmetrized.cif", ".cif"))
    try:
        text = sym_path.read_text()
        # The multiplicities our writer states: column 3 of the atom-site rows.
        rows = text.split("_atom_site_occupancy\n", 1)[1].split("\n")
        expected = sum(int(r.split()[2]) for r in rows if r.strip())
        p1 = CifParser(p1_path).parse_structures(primitive=False)[0]
        sym = CifParser(sym_path).parse_structures(primitive=False)[0]
        problems = []
        if len(sym) != expected:
            problems.append(f"pymatgen expands {len(sym)} atoms, multiplicities add up to {expected}")
        if sym.composition.reduced_formula != p1.composition.reduced_formula:
            problems.append(f"formula {sym.composition.reduced_formula} vs P1 {p1.composition.reduced_formula}")
        if abs(sym.density - p1.density) > 1e-3 * p1.density:
            problems.append(f"density {sym.density:.6f} vs P1 {p1.density:.6f}")
        if not StructureMatcher(attempt_supercell=True).fit(p1, sym):
            problems.append("StructureMatcher: symmetrized and P1 do not match")
        atoms = ase_read(sym_path)
        if len(atoms) != len(sym):
            problems.append(f"ASE reads {len(atoms)} atoms, pymatgen {len(sym)}")
        if abs(atoms.get_volume() - sym.volume) > 1e-6 * sym.volume:
            problems.append(f"ASE volume {atoms.get_volume():.6f} vs pymatgen {sym.volume:.6f}")
        if sorted(atoms.get_chemical_symbols()) != sorted(str(s.specie) for s in sym):
            problems.append("ASE and pymatgen species differ")
        return str(sym_path), problems, len(sym), len(p1)
    except Exception as e:  # noqa: BLE001 - any failure is a result
        return str(sym_path), [f"{type(e).__name__}: {e}"], 0, 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    paths = sorted(Path(args.folder).rglob("*.symmetrized.cif"))[: args.limit or None]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.map(check, paths, chunksize=16)
    bad = [(p, probs) for p, probs, _, _ in results if probs]
    larger = sum(n_sym > n_p1 for _, probs, n_sym, n_p1 in results if not probs)
    print(f"{len(paths)} symmetrized CIFs: {len(paths) - len(bad)} read back by pymatgen and ASE as the "
          f"P1 structure ({larger} of them in a larger conventional cell), {len(bad)} failed")
    for p, probs in bad[:50]:
        print(f"  {p}: {'; '.join(probs)}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
