"""Cross-check `crystal-diffusion analyze` against pymatgen on a seeded sample of the
shared Perov-5 and Carbon-24 test sets.

    pip install pymatgen
    cargo build --release
    python3 scripts/compare_analyze_pymatgen.py [N_PER_SET]

Compares volume, density, minimum distance (pymatgen: smallest off-diagonal entry of the
distance matrix, and the shortest lattice vector for an atom's own images), space-group
number (SpacegroupAnalyzer, symprec 0.1 Å, the tool's default) and the mean number of
neighbours within 3.2 Å (Structure.get_all_neighbors, periodic images included).
"""
import csv, gzip, json, random, subprocess, sys, warnings
from pathlib import Path

warnings.filterwarnings("ignore")
from pymatgen.core import Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

root = Path(__file__).resolve().parents[1]
data = root.parent / "shared" / "data"
n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
csv.field_size_limit(10**8)
rng = random.Random(0)
worst = {"volume": 0.0, "density": 0.0, "min_distance": 0.0, "coordination_mean": 0.0}
sg_agree = total = 0
for name in ["perov_5/test.csv.gz", "carbon_24/test.csv.gz"]:
    path = data / name
    out = subprocess.run([str(root / "target/release/crystal-diffusion"), "analyze", str(path), "--format", "json"],
                         capture_output=True, check=True, text=True)
    ours = {s["name"]: s for s in json.loads(out.stdout)["structures"]}
    with gzip.open(path, "rt", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rng.sample(rows, n):
        s = Structure.from_str(row["cif"], fmt="cif")
        o = ours[row["material_id"]]
        dm = s.distance_matrix
        off = min(dm[i][j] for i in range(len(s)) for j in range(len(s)) if i != j)
        md = min(off, min(s.lattice.abc))
        cn = sum(len(x) for x in s.get_all_neighbors(3.2)) / len(s)
        sg = SpacegroupAnalyzer(s, symprec=0.1).get_space_group_number()
        for key, ref in [("volume", s.volume), ("density", s.density), ("min_distance", md), ("coordination_mean", cn)]:
            worst[key] = max(worst[key], abs(ref - o[key]))
        sg_agree += sg == o["space_group"]
        total += 1
print(f"{total} structures; space group agreement {sg_agree}/{total}")
for key, v in worst.items():
    print(f"largest |pymatgen - ours| {key}: {v:.2e}")
