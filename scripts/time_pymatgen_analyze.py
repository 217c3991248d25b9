"""Time the `analyze` checks in pymatgen (+SMACT) on the first N rows of the shared
Perov-5 test set, for the speed ratio. `python3 scripts/time_pymatgen_analyze.py [N]`"""
import csv, gzip, itertools, sys, time, warnings
from pathlib import Path

warnings.filterwarnings("ignore")
import smact
from smact.screening import pauling_test
from pymatgen.core import Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
path = Path(__file__).resolve().parents[2] / "shared/data/perov_5/test.csv.gz"
rows = list(csv.DictReader(gzip.open(path, "rt", newline="")))[:n]


def smact_valid(s):
    comp = s.composition
    els = [e.symbol for e in comp.elements]
    if len(els) == 1 or all(e in smact.metals for e in els):
        return True
    data = [smact.Element(e) for e in els]
    counts = [int(comp[e]) for e in els]
    for ox in itertools.product(*[d.oxidation_states for d in data]):
        if sum(o * c for o, c in zip(ox, counts)) == 0 and pauling_test(ox, [d.pauling_eneg for d in data]):
            return True
    return False


t0 = time.perf_counter()
for row in rows:
    s = Structure.from_str(row["cif"], fmt="cif")
    s.volume, s.density, s.composition.reduced_formula
    dm = s.distance_matrix
    SpacegroupAnalyzer(s, symprec=0.1).get_space_group_number()
    s.get_all_neighbors(3.2)
    smact_valid(s)
dt = time.perf_counter() - t0
print(f"pymatgen: {n} structures in {dt:.2f} s = {100 * dt / n:.2f} s per 100")
