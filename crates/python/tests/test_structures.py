"""Structures in and out: pymatgen ↔ ours ↔ ASE, files, analysis, validity, bad input."""

import math

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from pymatgen.core import Lattice, Structure

import crystal_diffusion as cd


def rutile():
    return Structure.from_spacegroup(
        "P4_2/mnm", Lattice.tetragonal(4.594, 2.959), ["Ti", "O"], [[0, 0, 0], [0.3048, 0.3048, 0]]
    )


def same(a: Structure, b: Structure, tol=1e-9):
    assert [str(x) for x in a.species] == [str(x) for x in b.species]
    np.testing.assert_allclose(a.lattice.matrix, b.lattice.matrix, atol=tol)
    np.testing.assert_allclose(a.frac_coords, b.frac_coords, atol=tol)


def test_version():
    assert cd.__version__ == "0.1.0"


def test_round_trips_pymatgen_ours_ase():
    s = rutile()
    # pymatgen → plain Structure → ASE → pymatgen, through analyze's input conversion.
    ours = cd._from_plain(cd._to_plain(s), "plain", name="rutile")
    assert isinstance(ours, cd.Structure) and ours.species == ["Ti", "Ti", "O", "O", "O", "O"]
    atoms = cd._from_plain(cd._to_plain(ours), "ase")
    assert isinstance(atoms, Atoms) and atoms.get_chemical_formula() == "O4Ti2"
    back = cd._from_plain(cd._to_plain(atoms), "pymatgen")
    same(s, back)
    # ASE's own constructors are read the same way: bulk Cu (fcc, primitive, 1 atom).
    cu = bulk("Cu", "fcc", a=3.61)
    a = cd.analyze(cu)
    assert (a["formula"], a["n_atoms"], a["space_group"]) == ("Cu", 1, 225)
    assert math.isclose(a["volume"], 3.61**3 / 4, rel_tol=1e-9)


def test_files_round_trip_in_every_format(tmp_path):
    s = rutile()
    for name in ("r.cif", "POSCAR", "r.vasp", "r.xyz"):
        cd.write(tmp_path / name, s, names=["rutile"])
        got = cd.read(tmp_path / name, output="pymatgen")
        assert len(got) == 1
        # Files carry 8+ significant digits.
        assert cd.StructureMatcher().get_rms_dist(got[0], s)[0] < 1e-6
        assert got[0].properties["source"] == str(tmp_path / name)
        # pymatgen reads what we wrote to the same structure.
        if name != "r.xyz":
            theirs = Structure.from_file(tmp_path / name)
            assert math.isclose(theirs.volume, s.volume, rel_tol=1e-6)
            assert theirs.composition == s.composition
    # Several structures into one CIF (one block each) and one XYZ (one frame each).
    many = [rutile(), Structure(Lattice.cubic(3.6), ["Cu"], [[0, 0, 0]])]
    cd.write(tmp_path / "two.cif", many, names=["rutile", "cu"])
    cd.write(tmp_path / "two.xyz", many)
    for f in ("two.cif", "two.xyz"):
        got = cd.read(tmp_path / f, output="ase")
        assert [a.get_chemical_formula() for a in got] == ["O4Ti2", "Cu"]
    assert [x.name for x in cd.read(tmp_path / "two.cif", output="plain")] == ["rutile", "cu"]
    # A folder: every file, recursively, each with its source.
    got = cd.read(tmp_path, output="plain")
    assert len(got) == 4 + 2 + 2
    assert all(x.source.startswith(str(tmp_path)) for x in got)


def test_reader_notes_travel_with_the_structure(repo):
    gypsum = cd.read(repo / "crates/crystal/tests/data/wild/gypsum_wat_labels.cif", output="pymatgen")
    assert [s.composition.reduced_formula for s in gypsum] == ["CaSO6"]
    assert gypsum[0].properties["notes"] == ['skipped data block "global" (no cell, no atom sites)']
    plain = cd.read(repo / "crates/crystal/tests/data/wild/gypsum_wat_labels.cif", output="plain")
    assert plain[0].properties["notes"] == gypsum[0].properties["notes"]
    clean = cd.read(repo / "crates/crystal/tests/data/wild/latin1_al.cif", output="ase")
    assert "notes" not in clean[0].info


def test_disorder_refused_by_default_and_majority_on_request(repo):
    f = repo / "crates/crystal/tests/data/wild/fe_co_al_disordered.cif"
    with pytest.raises(ValueError, match="--disorder majority keeps Fe"):
        cd.read(f)
    got = cd.read(f, output="pymatgen", disorder="majority")
    assert [s.composition.reduced_formula for s in got] == ["AlFe"]
    assert got[0].properties["notes"] == ['--disorder majority: site "Fe1" (Fe 0.6) + "Co1" (Co 0.4) read as Fe (1 atom)']
    with pytest.raises(ValueError, match="expected"):
        cd.read(f, disorder="most")


def test_symmetrized_cifs_read_back_identically_by_pymatgen_and_ase(repo, cli, bench_rows, tmp_path):
    """`convert --symmetrize` on the wild fixtures and the 220 benchmark rows: pymatgen and
    ASE expand each symmetrized CIF to the same atoms (count, volume, species), the count
    its multiplicities give, and pymatgen matches it to the P1 file."""
    import warnings

    from ase.io import read as ase_read
    from pymatgen.analysis.structure_matcher import StructureMatcher
    from pymatgen.io.cif import CifParser

    rows = tmp_path / "rows"
    rows.mkdir()
    for mid, _, s in bench_rows:
        s.to(filename=str(rows / f"{mid}.cif"))
    checked = 0
    for src in [repo / "crates/crystal/tests/data/wild", rows]:
        out = tmp_path / ("out_" + src.name)
        cli("convert", src, out, "--symmetrize", check=False)
        for sym_path in sorted(out.glob("*.symmetrized.cif")):
            p1_path = sym_path.with_name(sym_path.name.replace(".symmetrized.cif", ".cif"))
            text = sym_path.read_text()
            sites = [r for r in text.split("_atom_site_occupancy\n", 1)[1].splitlines() if r.strip()]
            expected = sum(int(r.split()[2]) for r in sites)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sym = CifParser(sym_path).parse_structures(primitive=False)[0]
                p1 = CifParser(p1_path).parse_structures(primitive=False)[0]
            atoms = ase_read(sym_path)
            assert len(sym) == len(atoms) == expected, sym_path.name
            assert atoms.get_volume() == pytest.approx(sym.volume, rel=1e-9)
            assert sorted(atoms.get_chemical_symbols()) == sorted(str(x.specie) for x in sym)
            assert sym.composition.reduced_formula == p1.composition.reduced_formula
            assert sym.density == pytest.approx(p1.density, rel=1e-3)
            assert StructureMatcher(attempt_supercell=True).fit(p1, sym), sym_path.name
            checked += 1
    assert checked >= 11 + 220


def test_a_bad_file_in_a_folder_is_reported_and_the_rest_read(tmp_path):
    cd.write(tmp_path / "good.cif", rutile())
    (tmp_path / "bad.cif").write_text("data_x\n_cell_length_a 4.0\n")
    with pytest.warns(UserWarning, match="bad.cif"):
        got = cd.read(tmp_path, output="plain")
    assert len(got) == 1 and got[0].source.endswith("good.cif")


def test_analyze_and_validate_give_textbook_values():
    si = Structure.from_spacegroup("Fd-3m", Lattice.cubic(5.431), ["Si"], [[0, 0, 0]])
    a = cd.analyze(si, name="silicon")
    assert a["name"] == "silicon"
    assert (a["formula"], a["n_atoms"], a["space_group"], a["space_group_symbol"]) == ("Si", 8, 227, "Fd-3m")
    assert math.isclose(a["density"], 2.329, abs_tol=0.002)  # g/cm³
    assert math.isclose(a["min_distance"], 5.431 * math.sqrt(3) / 4, rel_tol=1e-9)  # 2.352 Å
    assert a["bonded_coordination_mean"] == 4.0
    assert cd.validate(si) == {"valid": True, "min_distance_a": pytest.approx(2.3517, abs=1e-4)}
    assert cd.validate(si, min_distance=2.5)["valid"] is False
    close = Structure(Lattice.cubic(5), ["C", "C"], [[0, 0, 0], [0.12, 0, 0]])  # 0.6 Å apart
    assert cd.validate(close)["valid"] is False
    assert cd.validate(close, rule="cdvae")["valid"] is True


def test_outputs_can_be_chosen():
    s = rutile()
    assert isinstance(cd._from_plain(cd._to_plain(s), cd._resolve_output(None)), Structure)
    with pytest.raises(ValueError, match="output 'cif'"):
        cd.read("x.cif", output="cif")


@pytest.mark.parametrize(
    "bad, message",
    [
        (([[1, 0, 0], [0, 1, 0], [0, 0, 0]], [[0, 0, 0]], ["Si"]), "invalid lattice"),
        (([[4, 0, 0], [0, 4, 0]], [[0, 0, 0]], ["Si"]), "3 rows of 3"),
        (([[4, 0, 0], [0, 4, 0], [0, 0, 4]], [[0, 0, 0]], ["Xx"]), "'Xx' is not an element"),
        (([[4, 0, 0], [0, 4, 0], [0, 0, 4]], [[0, 0, 0]], [0]), "atomic number 0 is not an element"),
        (([[4, 0, 0], [0, 4, 0], [0, 0, 4]], [[0, 0, 0], [0.5, 0.5, 0.5]], ["Si"]), "2 fractional coordinates but 1"),
        (([[4, 0, 0], [0, 4, 0], [0, 0, 4]], [[0, 0, float("nan")]], ["Si"]), "invalid structure"),
        ("Si", "expected a pymatgen Structure"),
    ],
)
def test_bad_structures_raise_value_error(bad, message):
    with pytest.raises(ValueError, match=message):
        cd.analyze(bad)


def test_files_raise_os_errors_and_bad_files_value_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.cif"):
        cd.read(tmp_path / "missing.cif")
    with pytest.raises(OSError, match="no-such-folder"):
        cd.write(tmp_path / "no-such-folder" / "x.cif", rutile())
    (tmp_path / "broken.cif").write_text("data_x\n_cell_length_a 4.0\n")
    with pytest.raises(ValueError, match=r"broken.cif"):
        cd.read(tmp_path / "broken.cif")
    with pytest.raises(ValueError, match="unknown structure file type"):
        (tmp_path / "notes.txt").write_text("hello")
        cd.read(tmp_path / "notes.txt")
    with pytest.raises(ValueError, match="POSCAR holds one structure"):
        cd.write(tmp_path / "POSCAR", [rutile(), rutile()])
    with pytest.raises(ValueError, match="disordered"):
        d = rutile()
        d.replace_species({"Ti": {"Ti": 0.5, "Zr": 0.5}})
        cd.analyze(d)
    with pytest.raises(ValueError, match="pbc"):
        cd.analyze(Atoms("H2", positions=[[0, 0, 0], [0, 0, 0.74]]))


def test_matcher_options_are_validated():
    with pytest.raises(ValueError, match="ltol 0: must be"):
        cd.StructureMatcher(ltol=0)
    with pytest.raises(ValueError, match="angle_tol 95"):
        cd.StructureMatcher(angle_tol=95)
    with pytest.raises(ValueError, match="allow_subset"):
        cd.StructureMatcher(allow_subset=True)
    with pytest.raises(ValueError, match="same length"):
        cd.StructureMatcher().fit_many([rutile()], [])
