"""Do two builds of crystal-diffusion write the same results? The check behind every
"behaviour stays the same" refactor: the same demo, train and sample runs with two
binaries, then the structure files byte for byte and every figure compared (timings aside).

    cargo build --release && cp target/release/crystal-diffusion /tmp/new
    (an older checkout, built the same way) -> /tmp/old
    python3 scripts/same_outputs.py /tmp/old /tmp/new /tmp/same_outputs [--default-demo]

Runs (small enough for a few minutes on 2 cores; the data come from ../shared/data):
  demo (periodic, 400 steps, 100 reverse steps, 40 structures), demo --model seed-mlp,
  train (800 Perov-5 val rows, 100 validation rows, 2 epochs; CSP and a small de novo model),
  sample with the shipped models (100 Perov-5 test compositions; 60 de novo structures).
Compares: structures/ (diff -r, byte for byte), loss.csv (every value but the timing
columns), snapshots.json, checkpoint tensors (by name and bytes; the burn parameter ids in
the safetensors header are random per process, so the files' bytes differ between two runs
of one binary too), and the figures of summary.json present in both (timings and the keys
only one side has aside). Exits 1 on any difference.
"""
import csv
import gzip
import json
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "perov_5"
TIMING = {"timings_s", "seconds", "structures_per_s", "wall_s", "written_by"}


def subset(src, dst, start, n):
    csv.field_size_limit(10**9)
    with gzip.open(src, "rt") as f:
        r = csv.reader(f)
        head = next(r)
        rows = [row for _, row in zip(range(start + n), r)][start:]
    with open(dst, "w", newline="") as g:
        w = csv.writer(g)
        w.writerow(head)
        w.writerows(rows)


def runs(work, default_demo):
    comp, train, val = work / "perov100.csv", work / "train800.csv", work / "val100.csv"
    subset(DATA / "test.csv.gz", comp, 0, 100)
    subset(DATA / "val.csv.gz", train, 0, 800)
    subset(DATA / "test.csv.gz", val, 100, 100)
    out = {
        "demo": ["demo", "--periodic-steps", "400", "--sample-steps", "100", "--n-generate", "40"],
        "demo_seed": ["demo", "--model", "seed-mlp"],
        "train": ["train", "--data", train, "--val", val, "--epochs", "2"],
        "train_dng": ["train", "--data", train, "--epochs", "2", "--task", "dng", "--hidden", "32", "--layers", "2"],
        "sample_csp": ["sample", "--checkpoint", ROOT / "models/perov5-csp", "--compositions", comp, "--steps", "50", "--seed", "1"],
        "sample_dng": ["sample", "--checkpoint", ROOT / "models/perov5-dng", "--count", "60", "--steps", "50", "--seed", "1"],
    }
    if default_demo:
        out["demo_default"] = ["demo"]
    return out


def tensors(path):
    b = path.read_bytes()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8 : 8 + n])
    header.pop("__metadata__", None)
    data = b[8 + n :]
    return {k: (v["dtype"], v["shape"], data[v["data_offsets"][0] : v["data_offsets"][1]]) for k, v in header.items()}


def strip(v):
    """A summary without its timings."""
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in TIMING}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v


def common(a, b, path, diffs):
    """Differences between the values present in both (a key whose layout changed, a
    value against an object, is a change of layout, not of a figure, and is left out)."""
    if isinstance(a, str) and isinstance(b, str):
        a, b = a.replace("/old/", "/RUN/"), b.replace("/new/", "/RUN/")
    if isinstance(a, dict) != isinstance(b, dict) or isinstance(a, list) != isinstance(b, list):
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a.keys() & b.keys():
            common(a[k], b[k], f"{path}.{k}", diffs)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            diffs.append(f"{path}: {len(a)} vs {len(b)} items")
        for i, (x, y) in enumerate(zip(a, b)):
            common(x, y, f"{path}[{i}]", diffs)
    elif a != b:
        diffs.append(f"{path}: {a!r} vs {b!r}")


def compare(old, new):
    lines, bad = [], False
    s_old, s_new = old / "structures", new / "structures"
    if s_old.is_dir():
        same = subprocess.run(["diff", "-r", s_old, s_new], capture_output=True).returncode == 0
        bad |= not same
        lines.append(f"structures/: {len(list(s_new.iterdir()))} files, {'identical (diff -r)' if same else 'DIFFER'}")
    if (old / "loss.csv").is_file():
        def rows(p):
            return [{k: v for k, v in r.items() if k not in TIMING and v != ""} for r in csv.DictReader(open(p))]
        a, b = rows(old / "loss.csv"), rows(new / "loss.csv")
        diffs = []
        common(a, b, "loss.csv", diffs)
        bad |= bool(diffs)
        lines.append(f"loss.csv: {len(b)} rows, " + ("every value identical (timing columns aside)" if not diffs else f"DIFFER: {diffs[:3]}"))
    if (old / "snapshots.json").is_file():
        same = json.load(open(old / "snapshots.json")) == json.load(open(new / "snapshots.json"))
        bad |= not same
        lines.append(f"snapshots.json: {'identical' if same else 'DIFFER'}")
    for f in ["weights", "model"]:
        p = old / "checkpoint" / f"{f}.safetensors"
        if p.is_file():
            same = tensors(p) == tensors(new / "checkpoint" / f"{f}.safetensors")
            bad |= not same
            lines.append(f"checkpoint/{f}.safetensors: {'every tensor identical' if same else 'tensors DIFFER'}")
    diffs = []
    common(strip(json.load(open(old / "summary.json"))), strip(json.load(open(new / "summary.json"))), "summary", diffs)
    bad |= bool(diffs)
    lines.append("summary.json: " + ("every figure present in both identical (timings aside)" if not diffs else f"DIFFER: {diffs[:5]}"))
    return lines, bad


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    old_bin, new_bin, work = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    work.mkdir(parents=True, exist_ok=True)
    any_bad = False
    for name, args in runs(work, "--default-demo" in sys.argv).items():
        for tag, b in [("old", old_bin), ("new", new_bin)]:
            out = work / tag / name
            subprocess.run(["rm", "-rf", out])
            r = subprocess.run([b, *map(str, args), "--out", out, "-q"], cwd=ROOT, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"{tag} {name}: exit {r.returncode}\n{r.stderr}")
        lines, bad = compare(work / "old" / name, work / "new" / name)
        any_bad |= bad
        print(f"== {name}")
        for line in lines:
            print(f"  {line}")
    sys.exit(1 if any_bad else 0)


if __name__ == "__main__":
    main()
