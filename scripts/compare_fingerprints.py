"""Reference values for `crystal::fingerprint` from matminer itself (offline; never run in CI).

Computes, for a sample of the shared Perov-5 and Carbon-24 test rows, the two fingerprints that
CDVAE's coverage metrics (COV-R / COV-P) use, exactly as CDVAE's `scripts/compute_metrics.py`
computes them:

* composition: `ElementProperty.from_preset("magpie")` on `Composition(Counter(atomic numbers))`,
  132 raw values, with `impute_nan=False` (matminer 0.7.3, the version CDVAE pins, had no
  imputation; matminer >= 0.9 imputes by default), plus the values standardised with CDVAE's
  fixed scaler (NaN -> 0 after scaling);
* structure: the mean over sites of `CrystalNNFingerprint.from_preset("ops")` (61 values).

Writes
Each dataset's sampled rows are followed by the first `--n-noisy` of them again with Gaussian
noise (`--noise` Å per Cartesian coordinate), to cover distorted, generated-like crystals.

* a plain-text fixture that the Rust test `fingerprint::tests::agreement_with_matminer` reads
  (`--fixture`, default `crates/crystal/src/fingerprint/testdata/matminer_reference.txt`):
  one block per structure (`structure <id>`, `lattice` 9 numbers (rows, Å), `site Z fx fy fz`
  lines, `comp` 132 raw numbers, `struct` 61 numbers or `struct error`), and
* a JSON file with the same plus the per-site 61-vectors (`--json`, default
  /tmp/fingerprint_reference.json) for closer inspection.

    pip install pymatgen matminer
    python3 scripts/compare_fingerprints.py                       # 60 + 60 rows + 20 + 20 noisy: the fixture
    python3 scripts/compare_fingerprints.py --n-perov 3785 --n-carbon 2030 --n-noisy 0 \
        --fixture /tmp/fp_full.txt --json /tmp/fp_full.json       # every test row (~20 min)
    FINGERPRINT_REFERENCE=/tmp/fp_full.txt CARGO_TARGET_DIR=/work/target-fp \
        cargo test --release -p crystal fingerprint -- --ignored --nocapture

Versions used for the committed fixture: pymatgen-core 2026.10.16, matminer 0.10.1,
scipy 1.17.1, numpy 2.4.6 (CDVAE pins pymatgen 2020.12.31 and matminer 0.7.3).
"""

import argparse
import gzip
import importlib.metadata as md
import json
import math
import random
import warnings
from collections import Counter
from pathlib import Path

warnings.filterwarnings("ignore")

import numpy as np
import pandas as pd
from matminer.featurizers.composition import ElementProperty
from matminer.featurizers.site import CrystalNNFingerprint
from pymatgen.core import Composition, Structure

root = Path(__file__).resolve().parents[1]
data = root.parent / "shared" / "data"

ap = argparse.ArgumentParser()
ap.add_argument("--n-perov", type=int, default=60)
ap.add_argument("--n-carbon", type=int, default=60)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--n-noisy", type=int, default=20,
                help="per dataset, this many of the sampled rows again with Gaussian noise on every "
                     "Cartesian coordinate (like generated crystals)")
ap.add_argument("--noise", type=float, default=0.3, help="noise standard deviation, Å")
ap.add_argument("--fixture", default=str(root / "crates/crystal/src/fingerprint/testdata/matminer_reference.txt"))
ap.add_argument("--json", default="/tmp/fingerprint_reference.json")
ap.add_argument("--write-tables", action="store_true",
                help="regenerate magpie_data.rs and cdvae_scaler.rs in crates/crystal/src/fingerprint and exit")
args = ap.parse_args()

MAGPIE_PROPS = ["Number", "MendeleevNumber", "AtomicWeight", "MeltingT", "Column", "Row", "CovalentRadius",
                "Electronegativity", "NsValence", "NpValence", "NdValence", "NfValence", "NValence", "NsUnfilled",
                "NpUnfilled", "NdUnfilled", "NfUnfilled", "NUnfilled", "GSvolume_pa", "GSbandgap", "GSmagmom",
                "SpaceGroupNumber"]


def write_tables():
    """The data tables embedded in the Rust crate, as Rust source, values copied verbatim."""
    import matminer
    out = root / "crates/crystal/src/fingerprint"
    table_dir = Path(matminer.__file__).parent / "utils/data_files/magpie_elementdata"
    columns = []
    for prop in MAGPIE_PROPS:
        lines = (table_dir / f"{prop}.table").read_text().split("\n")
        col = []
        for z in range(1, 119):  # matminer reads lines 1..118; a missing line or "Missing" is NaN
            text = lines[z - 1].strip() if z - 1 < len(lines) else ""
            try:
                float(text)
                col.append(text if any(c in text for c in ".eE") else text + ".0")
            except ValueError:
                col.append("f64::NAN")
        columns.append(col)
    from pymatgen.core import Element
    with (out / "magpie_data.rs").open("w") as f:
        f.write(f"""//! Magpie elemental property tables (22 properties x Z = 1..118) as matminer's
//! `ElementProperty.from_preset("magpie")` reads them.
//!
//! Source: matminer {md.version("matminer")} (unchanged since v0.7.3, the version CDVAE pins),
//! `matminer/utils/data_files/magpie_elementdata/<Property>.table`, line Z holding element Z;
//! a missing line or the word `Missing` is NaN, as matminer reads it. The tables come from
//! Magpie (L. Ward et al., npj Comput. Mater. 2, 16028 (2016)); matminer is distributed under
//! its BSD-style licence (Copyright (c) 2015, The Regents of the University of California,
//! through Lawrence Berkeley National Laboratory). These are factual data tables, copied
//! verbatim. Generated by `python3 scripts/compare_fingerprints.py --write-tables`; do not edit.

/// Property names in matminer's feature order (property-major, six statistics each).
pub(super) const MAGPIE_PROPERTIES: [&str; 22] = [
""")
        for prop in MAGPIE_PROPS:
            f.write(f"    \"{prop}\",\n")
        f.write("];\n\n/// `MAGPIE[z - 1][p]`: property `p` of element `z`.\n")
        f.write("#[rustfmt::skip]\npub(super) static MAGPIE: [[f64; 22]; 118] = [\n")
        for z in range(1, 119):
            f.write("    [" + ", ".join(col[z - 1] for col in columns) + f"], // {Element.from_Z(z).symbol}\n")
        f.write("];\n")
    scaler = json.loads((data / "cdvae_magpie_scaler.json").read_text())
    with (out / "cdvae_scaler.rs").open("w") as f:
        f.write(f"""//! CDVAE's fixed standardisation of the 132 Magpie composition features (COV metrics).
//!
//! Source: txie-93/cdvae at commit f857f59, `cdvae/common/constants.py`, `CompScalerMeans` and
//! `CompScalerStds` (identical in jiaor17/DiffCSP); MIT licence, Copyright (c) 2021 Tian Xie,
//! Xiang Fu. Copied verbatim (shortest round-trip decimal of each value) from the project's
//! `shared/data/cdvae_magpie_scaler.json`. Generated by
//! `python3 scripts/compare_fingerprints.py --write-tables`; do not edit.

/// Means, in matminer's feature order.
#[rustfmt::skip]
pub(super) const MEANS: [f64; 132] = [
""")
        for i in range(0, 132, 4):
            f.write("    " + " ".join(repr(float(x)) + "," for x in scaler["means"][i:i + 4]) + "\n")
        f.write("];\n\n/// Standard deviations, in matminer's feature order.\n#[rustfmt::skip]\npub(super) const STDS: [f64; 132] = [\n")
        for i in range(0, 132, 4):
            f.write("    " + " ".join(repr(float(x)) + "," for x in scaler["stds"][i:i + 4]) + "\n")
        f.write("];\n")
    print(f"wrote {out / 'magpie_data.rs'} and {out / 'cdvae_scaler.rs'}")


if args.write_tables:
    write_tables()
    raise SystemExit(0)

comp_fp = ElementProperty.from_preset("magpie", impute_nan=False)
struct_fp = CrystalNNFingerprint.from_preset("ops")
scaler = json.loads((data / "cdvae_magpie_scaler.json").read_text())
means, stds = np.array(scaler["means"]), np.array(scaler["stds"])


def sample(path, n, rng):
    df = pd.read_csv(path)
    idx = sorted(rng.sample(range(len(df)), min(n, len(df))))
    return [(f"{path.parent.name}:{df.material_id[i]}", df.cif[i]) for i in idx]


rng = random.Random(args.seed)
rows = sample(data / "perov_5/test.csv.gz", args.n_perov, rng) + sample(data / "carbon_24/test.csv.gz", args.n_carbon, rng)


def num(x):
    return "nan" if x is None or (isinstance(x, float) and math.isnan(x)) else repr(float(x))


noise_rng = np.random.default_rng(args.seed)
jobs = []
for set_name in ("perov_5", "carbon_24"):
    picked = [(n, c) for n, c in rows if n.startswith(set_name + ":")]
    jobs += [(n, c, 0.0) for n, c in picked]
    jobs += [(f"{n}:noise{args.noise}", c, args.noise) for n, c in picked[: args.n_noisy]]

records = []
for name, cif, sigma in jobs:
    s = Structure.from_str(cif, fmt="cif")
    if sigma > 0:
        cart = s.cart_coords + noise_rng.normal(scale=sigma, size=s.cart_coords.shape)
        s = Structure(s.lattice, s.species, cart, coords_are_cartesian=True)
    z = [site.specie.Z for site in s]
    raw = comp_fp.featurize(Composition(Counter(z)))
    scaled = (np.array(raw, dtype=float) - means) / stds
    scaled = np.where(np.isnan(scaled), 0.0, scaled)
    try:
        sites = [struct_fp.featurize(s, i) for i in range(len(s))]
        mean = np.array(sites).mean(axis=0).tolist()
        err = None
    except Exception as exc:  # CDVAE marks such a crystal invalid
        sites, mean, err = None, None, f"{type(exc).__name__}: {exc}"
    records.append(dict(id=name, lattice=s.lattice.matrix.tolist(), z=z, frac=s.frac_coords.tolist(),
                        comp_raw=[float(x) for x in raw], comp_scaled=scaled.tolist(),
                        struct=mean, struct_sites=sites, error=err))

versions = {p: md.version(p) for p in ("pymatgen-core", "matminer", "scipy", "numpy")}
Path(args.json).write_text(json.dumps(dict(versions=versions, records=records)))
fixture = Path(args.fixture)
fixture.parent.mkdir(parents=True, exist_ok=True)
with fixture.open("w") as f:
    f.write("# Reference fingerprints from matminer, written by scripts/compare_fingerprints.py\n")
    f.write("# (" + ", ".join(f"{k} {v}" for k, v in versions.items()) + f"; seed {args.seed}).\n")
    f.write("# Structures: rows of the CDVAE Perov-5 / Carbon-24 test splits (MIT; see shared/data/README.md),\n")
    f.write(f"# ids ending ':noise{args.noise}' with Gaussian noise of {args.noise} A on every Cartesian coordinate.\n")
    f.write("# comp: ElementProperty.from_preset('magpie', impute_nan=False), raw; struct: mean over sites of\n")
    f.write("# CrystalNNFingerprint.from_preset('ops').\n")
    for r in records:
        f.write(f"structure {r['id']}\n")
        f.write("lattice " + " ".join(num(x) for row in r["lattice"] for x in row) + "\n")
        for zz, fc in zip(r["z"], r["frac"]):
            f.write(f"site {zz} " + " ".join(num(x) for x in fc) + "\n")
        f.write("comp " + " ".join(num(x) for x in r["comp_raw"]) + "\n")
        f.write("struct " + ("error" if r["struct"] is None else " ".join(num(x) for x in r["struct"])) + "\n")
print(f"{len(records)} structures ({sum(r['error'] is not None for r in records)} without a structure fingerprint) "
      f"-> {fixture}, {args.json}")
