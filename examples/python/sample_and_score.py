"""Sample, score and plot from Python, notebook style (run it as a plain script).

    pip install ./crates/python matplotlib pymatgen
    python examples/python/sample_and_score.py [--out sample_and_score.png] [--n 60]

1. Load the shipped Perov-5 CSP model.
2. Predict one structure for each of the first N Perov-5 test compositions (the in-repo
   test rows; pass --data ../shared/data/perov_5/test.csv.gz for the whole split).
3. Score them with the CSP benchmark metrics (match rate, RMSE) and analyse them.
4. Plot the per-structure RMS and the densities of predictions and ground truths.
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files, no window
import matplotlib.pyplot as plt  # noqa: E402

import crystal_diffusion as cd  # noqa: E402

REPO = Path(__file__).resolve().parents[2]

# %% Arguments
ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--data", default=str(REPO / "crates/python/tests/data/perov5_carbon24_test_rows.csv.gz"))
ap.add_argument("--n", type=int, default=60, help="ground truths to predict")
ap.add_argument("--steps", type=int, default=200)
ap.add_argument("--out", default="sample_and_score.png")
args = ap.parse_args()

# %% Ground truths: Perov-5 rows (5 atoms each) from the data file
gts = [s for s in cd.read(args.data) if len(s) == 5][: args.n]
print(f"{len(gts)} ground truths from {args.data}")

# %% Predictions: one structure per composition, seeded
gen = cd.Generator.load(REPO / "models/perov5-csp")
print(gen)
compositions = [s.composition.formula.replace(" ", "") for s in gts]
preds = gen.sample(composition=compositions, count=1, steps=args.steps, seed=0, progress=True)

# %% Scores: the CSP benchmark's match rate and RMSE
names = [s.properties["name"] for s in gts]
m = cd.eval_csp(preds, gts, names=names)
print(f"match rate {100 * m['match_rate']:.1f} %, RMSE {m['rmse']:.4f} (normalised by (V/N)^(1/3))")
rms = [r["rms"] for r in m["per_ground_truth"] if r["rms"] is not None]

# %% Analysis: density and space group of every prediction
pred_density = [cd.analyze(p)["density"] for p in preds if p is not None]
gt_density = [s.density for s in gts]
groups = [cd.analyze(p)["space_group_symbol"] for p in preds if p is not None]
print("most common space groups of the predictions:",
      sorted({g: groups.count(g) for g in groups}.items(), key=lambda kv: -kv[1])[:5])

# %% Plot
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
ax1.hist(rms, bins=20, color="#3b6ea5")
ax1.set_xlabel("RMS displacement / (V/N)^(1/3)")
ax1.set_ylabel("matched ground truths")
ax1.set_title(f"match rate {100 * m['match_rate']:.1f} %")
ax2.hist([gt_density, pred_density], bins=20, label=["ground truth", "predicted"], color=["#999999", "#d9822b"])
ax2.set_xlabel("density (g/cm³)")
ax2.set_ylabel("structures")
ax2.legend()
fig.tight_layout()
fig.savefig(args.out, dpi=120)
print(f"plot: {args.out}")
