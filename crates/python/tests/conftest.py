"""Shared fixtures: the repository root, the in-repo benchmark rows, and the command line."""

import csv
import gzip
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def bench_rows():
    """(material_id, dataset, pymatgen Structure) of the 220 in-repo test rows."""
    from pymatgen.core import Structure

    csv.field_size_limit(1 << 30)
    with gzip.open(DATA / "perov5_carbon24_test_rows.csv.gz", "rt", newline="") as f:
        rows = list(csv.DictReader(f))
    return [(r["material_id"], r["dataset"], Structure.from_str(r["cif"], fmt="cif")) for r in rows]


@pytest.fixture(scope="session")
def cli(repo):
    """Runs the command line and returns the finished process: the binary named by
    $CD_BIN (CI sets it to the one `cargo test --release` just built), else the one
    `cargo build --release` makes now."""
    if os.environ.get("CD_BIN"):
        exe = Path(os.environ["CD_BIN"]).resolve()
    else:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "crystal-diffusion"], cwd=repo, check=True)
        exe = repo / "target" / "release" / "crystal-diffusion"

    def run(*args, check=True):
        return subprocess.run([str(exe), *map(str, args)], cwd=repo, capture_output=True, text=True, check=check)

    return run
