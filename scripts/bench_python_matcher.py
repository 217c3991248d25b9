#!/usr/bin/env python3
"""Speed and agreement of crystal_diffusion.StructureMatcher against pymatgen's, from Python.

Pairs: every Perov-5 test structure (3,785) with the shipped CSP model's prediction for its
composition (the pairs every CSP evaluation script scores). Times, in one run, interleaved:
pymatgen's `fit` (one thread), ours one call per pair, ours `fit_many` (all cores), and
`group_structures` over the 3,785 test structures; prints agreement of the decisions and
RMS values, and the per-call cost of crossing into Rust.

    python scripts/bench_python_matcher.py [--data ../shared/data/perov_5/test.csv.gz] [--limit N]
"""

import argparse
import statistics
import time
from pathlib import Path

import crystal_diffusion as cd
from pymatgen.analysis.structure_matcher import StructureMatcher as PmgMatcher

REPO = Path(__file__).resolve().parents[1]


print = __import__("functools").partial(print, flush=True)  # noqa: A001 (a log as it goes)


def timed(f, repeat=1):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        ts.append(time.perf_counter() - t0)
    return out, statistics.median(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(REPO.parent / "shared/data/perov_5/test.csv.gz"))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--steps", type=int, default=200)
    a = ap.parse_args()
    gts = cd.read(a.data, output="pymatgen")
    if a.limit:
        gts = gts[: a.limit]
    gen = cd.Generator.load(REPO / "models/perov5-csp")
    comps = [s.composition.formula.replace(" ", "") for s in gts]
    preds, t_sample = timed(lambda: gen.sample(composition=comps, steps=a.steps, seed=0))
    print(f"{len(gts)} pairs; predictions sampled in {t_sample:.1f} s")
    pairs = [(p, g) for p, g in zip(preds, gts) if p is not None]

    ours, theirs = cd.StructureMatcher(), PmgMatcher()
    plain = [(cd._to_plain(p), cd._to_plain(g)) for p, g in pairs]
    rows = []
    for rnd in range(3):  # interleaved rounds; medians reported
        fit_pmg, t_pmg = timed(lambda: [theirs.fit(p, g) for p, g in pairs])
        fit_one, t_one = timed(lambda: [ours.fit(p, g) for p, g in pairs])
        fit_many, t_many = timed(lambda: ours.fit_many([p for p, _ in pairs], [g for _, g in pairs]))
        _, t_plain = timed(lambda: ours._m.fit_many([p for p, _ in plain], [g for _, g in plain]))
        rows.append((t_pmg, t_one, t_many, t_plain))
        print(f"round {rnd}: pymatgen fit {t_pmg:.2f} s, ours per call {t_one:.3f} s, "
              f"fit_many {t_many:.3f} s (plain input {t_plain:.3f} s)")
    t_pmg, t_one, t_many, t_plain = (statistics.median(c) for c in zip(*rows))
    same = sum(x == y for x, y in zip(fit_pmg, fit_one))
    assert fit_one == fit_many
    print(f"fit over {len(pairs)} pairs: pymatgen {t_pmg:.2f} s; ours {t_one:.3f} s one call per pair "
          f"({t_pmg / t_one:.0f}x), {t_many:.3f} s fit_many ({t_pmg / t_many:.0f}x)")
    print(f"fit decisions agree on {same}/{len(pairs)} ({100 * same / len(pairs):.2f} %); "
          f"matched: ours {sum(fit_one)}, pymatgen {sum(fit_pmg)}")

    rms_pmg, t_rms_pmg = timed(lambda: [theirs.get_rms_dist(p, g) for p, g in pairs])
    rms_ours, t_rms_ours = timed(lambda: ours.rms_many([p for p, _ in pairs], [g for _, g in pairs]))
    both = [(x[0], y[0]) for x, y in zip(rms_ours, rms_pmg) if x is not None and y is not None]
    one_side = sum((x is None) != (y is None) for x, y in zip(rms_ours, rms_pmg))
    diff = max(abs(x - y) for x, y in both) if both else float("nan")
    print(f"get_rms_dist: pymatgen {t_rms_pmg:.2f} s, ours rms_many {t_rms_ours:.3f} s "
          f"({t_rms_pmg / t_rms_ours:.0f}x); both matched {len(both)}, one side only {one_side}, "
          f"max |RMS difference| {diff:.2e}")

    # Grouping: the test structures alone (every composition differs: bucketing only), and
    # with their predictions (each bucket a ground truth and its prediction: real fits).
    key = lambda groups: sorted(sorted(id(s) for s in g) for g in groups)  # noqa: E731
    both_sets = [s for p, g in pairs for s in (g, p)]
    for label, items in (("test structures", gts), ("test structures + predictions", both_sets)):
        g_rows = []
        for _ in range(3):
            g_pmg, t_g_pmg = timed(lambda: theirs.group_structures(items))
            g_ours, t_g_ours = timed(lambda: ours.group_structures(items))
            g_rows.append((t_g_pmg, t_g_ours))
        t_g_pmg, t_g_ours = (statistics.median(c) for c in zip(*g_rows))
        print(f"group_structures over {len(items)} {label}: pymatgen {t_g_pmg:.2f} s ({len(g_pmg)} groups), "
              f"ours {t_g_ours:.3f} s ({len(g_ours)} groups), {t_g_pmg / t_g_ours:.0f}x; "
              f"same groups: {key(g_pmg) == key(g_ours)}")

    # Crossing into Rust: the cheapest native call, and one fit of a 1-atom cell.
    one = ([[3.0, 0, 0], [0, 3.0, 0], [0, 0, 3.0]], [[0.0, 0.0, 0.0]], [29])
    n = 20000
    _, t_ver = timed(lambda: [cd._native.version() for _ in range(n)], 3)
    _, t_fit1 = timed(lambda: [ours._m.fit(one, one) for _ in range(n)], 3)
    p0, g0 = pairs[0]
    _, t_conv = timed(lambda: [cd._to_plain(p0) for _ in range(2000)], 3)
    print(f"per call: empty native call {1e6 * t_ver / n:.2f} us; fit of a 1-atom pair (plain input) "
          f"{1e6 * t_fit1 / n:.1f} us; converting one pymatgen Structure {1e6 * t_conv / 2000:.1f} us")


if __name__ == "__main__":
    main()
