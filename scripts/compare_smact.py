"""Compare `crystal-diffusion validate`'s compositional validity with SMACT itself, run the
way CDVAE's `smact_validity` runs it (one element or all SMACT metals: valid; else any
charge-neutral assignment of SMACT's oxidation states that passes its Pauling test).

    pip install pymatgen && pip install --no-deps --target /tmp/smact221 smact==2.2.1
    cargo build --release
    PYTHONPATH=/tmp/smact221 python3 scripts/compare_smact.py   # 2.2.1: the version CDVAE pins
"""
import itertools, json, subprocess, warnings
from pathlib import Path

warnings.filterwarnings("ignore")
import smact
from smact.screening import pauling_test
from pymatgen.core import Composition

root = Path(__file__).resolve().parents[1]
data = root.parent / "shared" / "data"
files = [str(data / "perov_5/test.csv.gz"), str(data / "carbon_24/test.csv.gz")]
out = subprocess.run([str(root / "target/release/crystal-diffusion"), "validate", *files, "--format", "json"],
                     capture_output=True, check=True, text=True)
ours = json.loads(out.stdout)["structures"]


def smact_valid(symbols, counts):
    elems = [smact.Element(s) for s in symbols]
    if len(symbols) == 1 or all(s in smact.metals for s in symbols):
        return True
    for ox in itertools.product(*[e.oxidation_states for e in elems]):
        if sum(o * c for o, c in zip(ox, counts)) == 0:
            try:
                ok = pauling_test(ox, [e.pauling_eneg for e in elems])
            except TypeError:  # no electronegativity: CDVAE counts it as passing
                ok = True
            if ok:
                return True
    return False


agree = 0
for s in ours:
    comp = Composition(s["formula"])
    symbols = [e.symbol for e in comp.elements]
    agree += smact_valid(symbols, [int(comp[e]) for e in symbols]) == s["valid_composition"]
print(f"SMACT {getattr(smact, '__version__', '2.x')} from {smact.__file__}: agreement {agree}/{len(ours)}; ours valid {sum(s['valid_composition'] for s in ours)}")
