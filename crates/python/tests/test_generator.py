"""Sampling from the shipped models: the same structures as the command line, clean Ctrl-C."""

import os
import signal
import threading
import time

import numpy as np
import pytest
from pymatgen.core import Structure

import crystal_diffusion as cd


@pytest.fixture(scope="module")
def csp(repo):
    return cd.Generator.load(repo / "models" / "perov5-csp")


@pytest.fixture(scope="module")
def dng(repo):
    return cd.Generator.load(repo / "models" / "perov5-dng")


def cli_samples(cli, tmp_path, *args):
    out = tmp_path / "run"
    cli("sample", *args, "--out", out, "--no-report", "-q")
    by_name = {s.name: s for s in cd.read(out / "structures", output="plain")}
    return by_name


def assert_same(ours, theirs):
    assert ours.numbers == theirs.numbers
    # The CLI's CIFs carry 1e-8 in fractional coordinates and lattice parameters.
    np.testing.assert_allclose(np.array(ours.lattice), np.array(theirs.lattice), atol=1e-5)
    d = np.array(ours.frac_coords) - np.array(theirs.frac_coords)
    np.testing.assert_allclose(d - np.round(d), 0, atol=1e-6)


def test_csp_sampling_gives_the_command_lines_structures(csp, cli, tmp_path):
    assert (csp.task, csp.timesteps) == ("csp", 1000)
    ours = csp.sample(composition=["SrTiO3", "BaZrS3"], count=3, steps=40, seed=5, output="plain")
    assert [s.name for s in ours] == [f"{f}_{k}" for f in ("SrTiO3", "BaZrS3") for k in range(3)]
    assert [s.species for s in ours[:1]] == [["Sr", "Ti", "O", "O", "O"]]
    (tmp_path / "formulas.txt").write_text("SrTiO3\nBaZrS3\n")
    theirs = cli_samples(
        cli, tmp_path, "--checkpoint", csp.path, "--compositions", tmp_path / "formulas.txt",
        "--count", 3, "--steps", 40, "--seed", 5,
    )
    # The formula file names rows `{formula}_{line}`; the CLI then adds `_{k}`.
    for s in ours:
        formula, k = s.name.rsplit("_", 1)
        line = 1 if formula == "SrTiO3" else 2
        assert_same(s, theirs[f"{formula}_{line}_{k}"])
    # Same seed, same structures; another seed, others.
    again = csp.sample(composition="SrTiO3", count=3, steps=40, seed=5, output="plain")
    assert [a.frac_coords for a in again] == [s.frac_coords for s in ours[:3]]
    other = csp.sample(composition="SrTiO3", count=1, steps=40, seed=6, output="plain")
    assert other[0].frac_coords != ours[0].frac_coords


def test_de_novo_sampling_gives_the_command_lines_structures(dng, cli, tmp_path):
    ours = dng.sample(count=6, steps=40, seed=2)
    assert all(isinstance(s, Structure) for s in ours)
    assert [s.properties["name"] for s in ours] == [f"gen_{i:05}" for i in range(6)]
    theirs = cli_samples(cli, tmp_path, "--checkpoint", dng.path, "--count", 6, "--steps", 40, "--seed", 2)
    for s in ours:
        plain = cd._from_plain(cd._to_plain(s), "plain")
        assert_same(plain, theirs[s.properties["name"]])


def test_bad_requests_raise_value_errors(csp, dng, repo, tmp_path):
    with pytest.raises(ValueError, match="task dng"):
        dng.sample(composition="SrTiO3")
    with pytest.raises(ValueError, match="task csp"):
        csp.sample(count=3)
    with pytest.raises(ValueError, match="steps 2000: must be between 1 and 1000"):
        csp.sample(composition="SrTiO3", steps=2000)
    with pytest.raises(ValueError, match="count 0: must be at least 1"):
        csp.sample(composition="SrTiO3", count=0)
    with pytest.raises(ValueError, match="seed -1"):
        csp.sample(composition="SrTiO3", seed=-1)
    with pytest.raises(ValueError, match="composition"):
        csp.sample(composition="Sr2Xq")
    with pytest.raises(ValueError, match="corrector_lr -1"):
        csp.sample(composition="SrTiO3", corrector_lr=-1)
    with pytest.raises(FileNotFoundError, match="no checkpoint here"):
        cd.Generator.load(tmp_path)
    with pytest.raises(ValueError, match="expected \"cpu\" or \"gpu\""):
        cd.Generator.load(csp.path, device="tpu")


def test_a_gpu_that_is_not_there_is_a_runtime_error_naming_what_was_looked_for(csp):
    # The package is built without the gpu feature (or runs where no adapter is).
    try:
        gpu = cd.Generator.load(csp.path, device="gpu")
    except RuntimeError as e:
        assert str(e).startswith("--device gpu: "), e
        assert "--features gpu" in str(e) or "no GPU adapter" in str(e), e
    else:
        print("SKIPPED: a GPU is here:", gpu)


def test_ctrl_c_stops_sampling_cleanly(dng):
    # 20,000 structures take minutes; an interrupt after 0.5 s must end the call within a
    # few seconds (a started chunk of 64 crystals finishes first).
    # A process started in the background by a non-interactive shell (as CI may start us)
    # inherits SIGINT ignored, and Python then installs no handler: install Python's.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    t0 = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            dng.sample(count=20000, steps=200, seed=0)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert time.perf_counter() - t0 < 10
    # The generator still works afterwards.
    assert len(dng.sample(count=2, steps=5, seed=0)) == 2
