"""Read a corpus of real-world structure files with pymatgen and with `crystal-diffusion analyze`,
and report where the two disagree.

    python3 scripts/corpus_vs_pymatgen.py CORPUS_DIR [--bin target/release/crystal-diffusion]
                                          [--out /tmp/corpus_report.json] [--limit N]

Files taken (recursively, sorted by path): *.cif and *.mcif, and POSCAR-like files (*.vasp, or a
name containing POSCAR/CONTCAR), skipping compressed files, volumetric data (CHGCAR, LOCPOT, ...)
and files over 2 MB.

pymatgen side (2 worker processes, 60 s per file, warnings silenced): CifParser(path)
.parse_structures(primitive=False) for CIFs, Poscar.from_file for POSCAR-like files,
Structure.from_file otherwise. For each structure: is_ordered, reduced formula, atoms, volume (Å³),
density (g/cm³) and, for ordered ones, SpacegroupAnalyzer(s, symprec=0.1) space-group number.

Our side (2 threads, 60 s per file): `crystal-diffusion analyze FILE --format json -q`; exit
codes 0 and 1 both mean it ran. Its JSON holds "structures" and "errors" (messages, path removed).

Structures are paired by order within a file (when the counts differ, by reduced formula first).
Each file falls in one class:
  pymatgen_failed                 pymatgen raised or found no structure (what we did is recorded)
  pymatgen_guessed_species        a POSCAR without species names: pymatgen made up H, He, ... (likewise)
  pymatgen_disordered             pymatgen read a partially occupied structure (likewise)
  ours_refused_pymatgen_ordered   pymatgen read only ordered structures; we read fewer (or none)
  ours_differs                    a pair differs in atoms, volume or density (rel 1e-3), or in
                                  composition, and we print no note: the dangerous case
  ours_differs_with_note          likewise, but our reader printed a note on the file
  pymatgen_contradicts_file       likewise, but the file's own _chemical_formula_sum x
                                  _cell_formula_units_Z (composition and atoms; the formula's
                                  ratios alone without Z), or else its
                                  _exptl_crystal_density_diffrn (0.25 %), matches ours and
                                  not pymatgen's
  space_group_differs             every pair agrees but for the space-group number
  both_agree                      everything agrees
The summary goes to stdout; every per-file record to the --out JSON.
"""
import argparse, json, multiprocessing, os, re, signal, subprocess, sys, warnings
from collections import Counter
from multiprocessing.pool import ThreadPool
from pathlib import Path

TIMEOUT_S = 60
MAX_BYTES = 2 * 1024 * 1024
REL_TOL = 1e-3
SKIP_EXT = {"gz", "bz2", "xz", "zip", "lzma", "tgz", "py", "rb", "rst", "md", "json", "yaml", "yml",
            "txt", "sh", "ipynb", "html", "pdf", "png", "args", "purpose", "result", "log", "out"}
VOLUMETRIC = re.compile(r"CHGCAR|LOCPOT|AECCAR|ELFCAR|PARCHG|WAVECAR", re.I)


def file_kind(name):
    """'cif', 'mcif', 'poscar', or None for a file that is not taken."""
    low = name.lower()
    if low.endswith(".mcif"):
        return "mcif"
    if low.endswith(".cif"):
        return "cif"
    if ("." in name and name.rsplit(".", 1)[1] in SKIP_EXT) or VOLUMETRIC.search(name):
        return None
    if low.endswith(".vasp") or "poscar" in low or "contcar" in low:
        return "poscar"
    return None


def collect(root):
    files = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            if file_kind(n) and os.path.isfile(p) and os.path.getsize(p) <= MAX_BYTES:
                files.append(p)
    return sorted(files)


# ---------------------------------------------------------------- pymatgen side (worker processes)
def _init_worker():
    warnings.filterwarnings("ignore")
    import logging
    logging.disable(logging.CRITICAL)


def _alarm(signum, frame):
    raise TimeoutError(f"pymatgen took over {TIMEOUT_S} s")


def _pymatgen_structures(path):
    from pymatgen.core import Structure
    from pymatgen.io.cif import CifParser
    from pymatgen.io.vasp import Poscar
    kind = file_kind(os.path.basename(path))
    if kind in ("cif", "mcif"):
        return CifParser(path).parse_structures(primitive=False)
    if kind == "poscar":
        return [Poscar.from_file(path).structure]
    return [Structure.from_file(path)]


def pymatgen_read(path):
    """{"structures": [...], "error": str | None, "species_guessed": bool} for one file."""
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIMEOUT_S)
    with warnings.catch_warnings(record=True) as seen:  # kept: they say why a CIF gave nothing
        warnings.simplefilter("always")
        try:
            out = []
            for s in _pymatgen_structures(path):
                rec = {"ordered": s.is_ordered, "formula": s.composition.reduced_formula, "n_atoms": len(s),
                       "volume": float(s.volume), "density": float(s.density), "space_group": None}
                if s.is_ordered:
                    try:
                        rec["space_group"] = SpacegroupAnalyzer(s, symprec=0.1).get_space_group_number()
                    except Exception as e:  # noqa: BLE001 - recorded, not fatal
                        rec["space_group_error"] = f"{type(e).__name__}: {e}"[:300]
                out.append(rec)
            if not out:
                raise ValueError("no structure found")
            guessed = any("Defaulting to false names" in str(w.message) for w in seen)
            return {"structures": out, "error": None, "species_guessed": guessed, "stated": stated_values(path)}
        except Exception as e:  # noqa: BLE001 - any failure of pymatgen is a result here
            why = next((str(w.message) for w in seen if "No structure parsed" in str(w.message)), "")
            return {"structures": [], "error": f"{type(e).__name__}: {e} {why}".strip()[:300]}
        finally:
            signal.alarm(0)


def _number(text):
    """A CIF number ('1.402(3)') as a float, or None."""
    try:
        return float(str(text).split("(")[0])
    except ValueError:
        return None


def stated_values(path):
    """What a CIF says of its own structures, per data block (lower-cased name):
    {"formula": _chemical_formula_sum, "z": _cell_formula_units_Z, "density":
    _exptl_crystal_density_diffrn}, each None when absent. Empty for other files."""
    if file_kind(os.path.basename(path)) not in ("cif", "mcif"):
        return {}
    from pymatgen.io.cif import CifParser
    try:
        blocks = CifParser(path).as_dict()
    except Exception:  # noqa: BLE001 - the values are only an arbiter
        return {}
    out = {}
    for name, d in blocks.items():
        d = {k.lower(): v for k, v in d.items()}
        formula = d.get("_chemical_formula_sum")
        out[name.lower()] = {"formula": formula if isinstance(formula, str) and formula not in "?." else None,
                             "z": _number(d.get("_cell_formula_units_z", "")),
                             "density": _number(d.get("_exptl_crystal_density_diffrn", ""))}
    return out


def agrees_with_file(s, stated):
    """Whether a structure (formula, n_atoms, density) matches what its file states, or
    None when the file states nothing to judge by:
      - the formula sum times Z: composition and atom count (the formula's element ratios
        alone when Z is not given);
      - else the stated _exptl_crystal_density_diffrn within 0.25 % (a density computed
        from the cell and formula, printed to 3 decimals)."""
    if not stated:
        return None
    formula, z, density = stated["formula"], stated["z"], stated["density"]
    if formula:
        from pymatgen.core import Composition
        try:
            c = Composition(formula.replace(" ", ""))
            same = same_composition(c.reduced_formula, s["formula"] or "")
            if same and (not z or abs(c.num_atoms * z - s["n_atoms"]) < 0.5):
                return True
            if not same and not density:
                return False
        except Exception:  # noqa: BLE001 - an unparsable formula decides nothing
            pass
    if density and s["density"]:
        return abs(density - s["density"]) <= 0.0025 * density
    return False if formula and z else None


# ---------------------------------------------------------------- our side (subprocesses)
def ours_read(binary, path):
    try:
        p = subprocess.run([binary, "analyze", path, "--format", "json", "-q"],
                           capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"structures": [], "errors": [f"timeout after {TIMEOUT_S} s"], "rc": None, "stderr": ""}
    rec = {"rc": p.returncode, "stderr": p.stderr.replace(path, "FILE").strip()[-500:]}
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        first = rec["stderr"].splitlines()[0] if rec["stderr"] else ""
        return {**rec, "structures": [], "errors": [f"no JSON (exit {p.returncode}): {first}"[:300]]}
    keys = ("name", "formula", "n_atoms", "volume", "density", "space_group")
    rec["structures"] = [{k: s.get(k) for k in keys} for s in doc.get("structures", [])]
    rec["errors"] = []
    for e in doc.get("errors", []):
        msg = e.get("message", str(e)) if isinstance(e, dict) else str(e)
        rec["errors"].append(re.sub(r"^:\d+:", "", msg.replace(path, "")).strip(" :"))
    return rec


# ---------------------------------------------------------------- comparison
def same_composition(a, b):
    from pymatgen.core import Composition
    try:
        return Composition(a).reduced_formula == Composition(b).reduced_formula
    except Exception:  # noqa: BLE001 - unparsable formula: compare the text
        return a == b


def close(a, b):
    return a is not None and b is not None and abs(a - b) <= REL_TOL * max(abs(a), abs(b), 1e-12)


def pair(pm, ours):
    """Pairs (pymatgen, ours): by order when the counts match, else by formula, then by order."""
    if len(pm) == len(ours):
        return list(zip(pm, ours))
    left, pairs = list(ours), []
    for s in pm:
        match = next((o for o in left if o.get("formula") and same_composition(s["formula"], o["formula"])), None)
        match = match or (left[0] if left else None)
        if match is not None:
            left.remove(match)
            pairs.append((s, match))
    return pairs


def classify(pm, ours):
    """(class, list of difference notes) for one file."""
    got = len(ours["structures"])
    if pm["error"]:
        return "pymatgen_failed", [f"ours read {got}" if got else "ours refused too"]
    if pm.get("species_guessed"):
        return "pymatgen_guessed_species", [f"ours read {got}" if got else "ours refused"]
    if not all(s["ordered"] for s in pm["structures"]):
        return "pymatgen_disordered", [f"ours read {got}" if got else "ours refused"]
    notes, sg_diff = [], False
    for i, (s, o) in enumerate(pair(pm["structures"], ours["structures"])):
        if s["n_atoms"] != o["n_atoms"]:
            notes.append(f"#{i} n_atoms {s['n_atoms']} vs {o['n_atoms']}")
        if not close(s["volume"], o["volume"]):
            notes.append(f"#{i} volume {num(s['volume'], 4)} vs {o['volume']}")
        if not close(s["density"], o["density"]):
            notes.append(f"#{i} density {num(s['density'], 4)} vs {o['density']}")
        if not same_composition(s["formula"], o["formula"] or ""):
            notes.append(f"#{i} formula {s['formula']} vs {o['formula']}")
        sg_diff |= s["space_group"] != o["space_group"]
    if notes:
        # The file's own formula x Z, or its stated density, as the arbiter.
        stated = pm.get("stated") or {}
        verdicts = [(agrees_with_file(o, stated.get((o.get("name") or "").lower())),
                     agrees_with_file(s, stated.get((o.get("name") or "").lower())))
                    for s, o in pair(pm["structures"], ours["structures"])
                    if not (s["n_atoms"] == o["n_atoms"] and close(s["volume"], o["volume"])
                            and close(s["density"], o["density"]) and same_composition(s["formula"], o["formula"] or ""))]
        if verdicts and all(v_ours is True and v_pm is False for v_ours, v_pm in verdicts):
            return "pymatgen_contradicts_file", notes + ["ours matches the file's formula x Z or density; pymatgen does not"]
        if ours.get("stderr", "").count("note:"):
            return "ours_differs_with_note", notes
        return "ours_differs", notes
    if got < len(pm["structures"]):
        return "ours_refused_pymatgen_ordered", [f"ours read {got} of {len(pm['structures'])}"]
    return ("space_group_differs" if sg_diff else "both_agree"), []


def reason_key(msg):
    """An error message with quoted text and numbers masked, to group similar refusals."""
    msg = re.sub(r'"[^"]*"|`[^`]*`|\'[^\']*\'', '"…"', msg)
    return re.sub(r"\d+(\.\d+)?", "N", msg)


def num(x, digits=3):
    return "None" if x is None else f"{x:.{digits}f}"


def pct(a, b):
    return f"{a}/{b} ({100.0 * a / b:.1f}%)" if b else f"{a}/0"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("--bin", default=str(Path(__file__).resolve().parents[1] / "target/release/crystal-diffusion"))
    ap.add_argument("--out", default="/tmp/corpus_report.json")
    ap.add_argument("--limit", type=int, default=0, help="first N files only (for a quick try)")
    args = ap.parse_args()
    root = os.path.abspath(args.corpus)
    files = collect(root)[: args.limit or None]
    print(f"{len(files)} files under {root}", file=sys.stderr, flush=True)

    with multiprocessing.get_context("fork").Pool(2, initializer=_init_worker) as pool:
        pm_results = []
        for i, r in enumerate(pool.imap(pymatgen_read, files, chunksize=1), 1):
            pm_results.append(r)
            if i % 250 == 0:
                print(f"  pymatgen {i}/{len(files)}", file=sys.stderr)
    with ThreadPool(2) as tp:
        our_results = tp.map(lambda f: ours_read(args.bin, f), files, chunksize=1)

    records = []
    for f, pm, ours in zip(files, pm_results, our_results):
        cls, notes = classify(pm, ours)
        records.append({"file": os.path.relpath(f, root), "kind": file_kind(os.path.basename(f)),
                        "class": cls, "notes": notes, "pymatgen": pm, "ours": ours})

    # ------------------------------------------------------------ summary
    classes = Counter(r["class"] for r in records)
    not_ordered = ("pymatgen_failed", "pymatgen_guessed_species", "pymatgen_disordered")
    ordered = [r for r in records if r["class"] not in not_ordered]
    read = [r for r in ordered if r["ours"]["structures"]]
    differ = ("ours_differs", "ours_differs_with_note", "pymatgen_contradicts_file")
    both = [r for r in ordered if r["class"] in ("both_agree", "space_group_differs") + differ]
    pairs = [(s, o) for r in both for s, o in pair(r["pymatgen"]["structures"], r["ours"]["structures"])]
    agree = [(s, o) for s, o in pairs if s["n_atoms"] == o["n_atoms"] and close(s["volume"], o["volume"])
             and close(s["density"], o["density"]) and same_composition(s["formula"], o["formula"] or "")]
    print(f"files: {len(records)}  ({', '.join(f'{k} {v}' for k, v in sorted(Counter(r['kind'] for r in records).items()))})")
    print(f"pymatgen read as ordered: {pct(len(ordered), len(records))}; disordered "
          f"{classes['pymatgen_disordered']}; species guessed {classes['pymatgen_guessed_species']}; "
          f"failed {classes['pymatgen_failed']}")
    print(f"our read rate among pymatgen-ordered files: {pct(len(read), len(ordered))}")
    print(f"agreement (atoms+volume+density+composition) among both-read files: "
          f"{pct(classes['both_agree'] + classes['space_group_differs'], len(both))}; structures {pct(len(agree), len(pairs))}")
    n_agree = classes["both_agree"] + classes["space_group_differs"]
    print(f"  where they differ: the file's own formula x Z or density sides with ours in "
          f"{classes['pymatgen_contradicts_file']}; we print a note in {classes['ours_differs_with_note']}; "
          f"silent differences {classes['ours_differs']}")
    print(f"agreement counting files where pymatgen contradicts the file as agreeing: "
          f"{pct(n_agree + classes['pymatgen_contradicts_file'], len(both))}")
    print(f"space-group agreement among agreeing structures: "
          f"{pct(sum(s['space_group'] == o['space_group'] for s, o in agree), len(agree))}")
    print("\nclasses:")
    for k, v in classes.most_common():
        print(f"  {k:32s} {v}")
    for cls in not_ordered:
        rs = [r for r in records if r["class"] == cls]
        print(f"  {cls}: ours read {sum(bool(r['ours']['structures']) for r in rs)}, refused "
              f"{sum(not r['ours']['structures'] for r in rs)}")

    print("\nper repository (first folder): " + ", ".join(sorted(classes)))
    by_repo = {}
    for r in records:
        by_repo.setdefault(r["file"].split(os.sep)[0], Counter())[r["class"]] += 1
    for repo, c in sorted(by_repo.items()):
        print(f"  {repo:50s} " + "  ".join(f"{k}={c[k]}" for k in sorted(classes) if c[k]))

    refused = [r for r in ordered if len(r["ours"]["structures"]) < len(r["pymatgen"]["structures"])]
    reasons, example = Counter(), {}
    for r in refused:
        for m in set(r["ours"]["errors"] or ["(no error message)"]):
            reasons[reason_key(m)] += 1
            example.setdefault(reason_key(m), (m, r["file"]))
    print(f"\ntop 20 reasons we refused a pymatgen-ordered file ({len(refused)} files):")
    for k, n in reasons.most_common(20):
        print(f"  {n:5d}  {k[:160]}\n         e.g. {example[k][1]}")

    sg = [r for r in records if r["class"] == "space_group_differs"]
    print(f"\nspace_group_differs ({len(sg)}):")
    for r in sg:
        p = [(s["space_group"], o["space_group"]) for s, o in pair(r["pymatgen"]["structures"], r["ours"]["structures"])]
        print(f"  {r['file']}  pymatgen/ours {p}")

    diff = [r for r in records if r["class"] in differ]
    print(f"\ndiffering files ({len(diff)}): pymatgen | ours  formula n_atoms volume density")
    for r in diff:
        print(f"  {r['file']}  [{r['class']}]")
        for s, o in pair(r["pymatgen"]["structures"], r["ours"]["structures"]):
            print(f"      {s['formula']} {s['n_atoms']} {num(s['volume'])} {num(s['density'], 4)} | "
                  f"{o['formula']} {o['n_atoms']} {num(o['volume'])} {num(o['density'], 4)}")
        print(f"      {'; '.join(r['notes'])}")

    with open(args.out, "w") as fh:
        json.dump({"corpus": root, "binary": args.bin, "classes": dict(classes), "files": records}, fh, indent=1)
    print(f"\nper-file records: {args.out}")


if __name__ == "__main__":
    main()
