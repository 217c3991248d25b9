"""eval_csp and eval_dng give the command line's JSON records, key for key and value for value."""

import json

import pytest

import crystal_diffusion as cd

FIXTURE = "crates/python/tests/data/perov5_carbon24_test_rows.csv.gz"


@pytest.fixture(scope="module")
def rows(repo):
    return cd.read(repo / FIXTURE, output="plain")


def test_eval_csp_matches_the_command_line(repo, cli, rows, tmp_path):
    # In file-name order, as the command line reads a folder (sums in the same order).
    gts = sorted([s for s in rows if len(s) == 5][:40], key=lambda s: s.name)
    gen = cd.Generator.load(repo / "models" / "perov5-csp")
    comps = ["".join(s.species) for s in gts]
    preds = gen.sample(composition=comps, count=1, steps=60, seed=1, output="plain")
    # Written to files, read back: both sides score the very same numbers.
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    for g, p in zip(gts, preds):
        cd.write(tmp_path / "gt" / f"{g.name}.cif", g, names=[g.name])
        cd.write(tmp_path / "pred" / f"{g.name}_0.cif", p, names=[f"{g.name}_0"])
    gts = [cd.read(tmp_path / "gt" / f"{g.name}.cif", output="plain")[0] for g in gts]
    preds = [cd.read(tmp_path / "pred" / f"{g.name}_0.cif", output="plain")[0] for g in gts]
    ours = cd.eval_csp(preds, gts, names=[g.name for g in gts])
    theirs = json.loads(
        cli("eval", "csp", "--pred", tmp_path / "pred", "--gt", tmp_path / "gt", "--format", "json", "-q").stdout
    )
    assert ours == theirs
    assert ours["n_gt"] == 40 and 0.2 < ours["match_rate"] <= 1.0
    # Candidates lists and missing predictions.
    two = cd.eval_csp([[preds[0], gts[0]], None], gts[:2], names=["a", "b"])
    assert (two["n_matched"], two["missing_predictions"], two["n_predictions"]) == (1, ["b"], 2)
    assert two["per_ground_truth"][0]["rms"] == 0.0
    with pytest.raises(ValueError, match="1 predictions for 2 ground truths"):
        cd.eval_csp([preds[0]], gts[:2])


def test_eval_dng_matches_the_command_line(repo, cli, rows, tmp_path):
    gen = cd.Generator.load(repo / "models" / "perov5-dng").sample(count=30, steps=60, seed=4, output="plain")
    cd.write(tmp_path / "gen.cif", gen)
    gen = cd.read(tmp_path / "gen.cif", output="plain")
    ours = cd.eval_dng(gen, rows, dataset="perov-5")
    theirs = json.loads(
        cli("eval", "dng", "--gen", tmp_path / "gen.cif", "--ref", FIXTURE, "--dataset", "perov-5",
            "--format", "json", "-q").stdout
    )
    assert ours == theirs
    assert ours["cutoffs_dataset"] == "Perov-5" and ours["n_generated"] == 30
    assert 0.5 < ours["valid"] <= 1.0
    with pytest.raises(ValueError, match='dataset "qm9": must be'):
        cd.eval_dng(gen, rows, dataset="qm9")
