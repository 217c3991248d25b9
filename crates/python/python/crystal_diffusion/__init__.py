"""crystal-diffusion from Python: structure files, a fast StructureMatcher, the benchmark
metrics and sampling from trained models.

Structures go in as pymatgen ``Structure``, ASE ``Atoms``, this package's ``Structure``, or
plain ``(lattice, frac_coords, species)`` (lattice rows in Å, fractional coordinates,
element symbols or atomic numbers). Structures come out as pymatgen ``Structure`` when
pymatgen is importable, else ASE ``Atoms``, else ``Structure`` (choose with ``output=``:
"pymatgen", "ase" or "plain"). Neither pymatgen nor ASE is required.

Heavy work runs in Rust with the GIL released and on all cores. Errors are ``ValueError``
for bad input, ``OSError`` for files that cannot be opened or written, with the command
line's one-line messages.

>>> import crystal_diffusion as cd
>>> sm = cd.StructureMatcher()              # pymatgen's defaults
>>> sm.fit(s1, s2)                          # doctest: +SKIP
>>> gen = cd.Generator.load("models/perov5-csp")
>>> structures = gen.sample(composition="SrTiO3", count=10, seed=0)   # doctest: +SKIP
"""

from __future__ import annotations

import gc
import json
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from . import _native

__version__: str = _native.version()

__all__ = [
    "__version__",
    "Structure",
    "StructureMatcher",
    "Generator",
    "match_many",
    "fit_many",
    "read",
    "write",
    "analyze",
    "validate",
    "eval_csp",
    "eval_dng",
]

# The periodic table's symbols, index = atomic number.
_SYMBOLS = (
    "X H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga "
    "Ge As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd "
    "Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac "
    "Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og"
).split()
_NUMBERS = {s: z for z, s in enumerate(_SYMBOLS) if z > 0}
# Deuterium and tritium are hydrogen.
_NUMBERS.update({"D": 1, "T": 1})


@dataclass
class Structure:
    """A periodic structure without pymatgen or ASE.

    ``lattice``: 3 rows, row i is lattice vector i in Å. ``frac_coords``: one row of 3
    fractional coordinates per atom. ``numbers``: atomic numbers. ``name`` and ``source``
    say where it came from (a file's data block and path), when it came from a file.
    """

    lattice: List[List[float]]
    frac_coords: List[List[float]]
    numbers: List[int]
    name: Optional[str] = None
    source: Optional[str] = None
    properties: Dict[str, Any] = field(default_factory=dict)

    @property
    def species(self) -> List[str]:
        """Element symbols, one per atom."""
        return [_SYMBOLS[z] for z in self.numbers]

    def __len__(self) -> int:
        return len(self.numbers)


Plain = Tuple[List[List[float]], List[List[float]], List[int]]
StructureLike = Any

_OUTPUTS = ("pymatgen", "ase", "plain")


def _number(sp: Any, where: str) -> int:
    if isinstance(sp, bool):
        raise ValueError(f"{where}: species {sp!r} is not an element")
    if isinstance(sp, int) or type(sp).__name__.startswith(("int", "uint")):
        return int(sp)
    z = getattr(sp, "Z", None)  # pymatgen Element / Species
    if isinstance(z, int):
        return z
    if isinstance(sp, str):
        sym = sp.strip()
        # "Fe2+", "O2-": the element part.
        sym = sym.rstrip("+-0123456789.") or sym
        if sym in _NUMBERS:
            return _NUMBERS[sym]
    raise ValueError(f"{where}: species {sp!r} is not an element")


# Input kind by Python type, decided once per type: "ours", "pymatgen", "ase" or "plain".
_KINDS: Dict[type, str] = {}


def _kind_of(s: Any) -> str:
    if isinstance(s, Structure):
        return "ours"
    if hasattr(s, "frac_coords") and hasattr(s, "lattice") and hasattr(s, "species_and_occu"):
        return "pymatgen"
    if hasattr(s, "get_scaled_positions") and hasattr(s, "cell") and hasattr(s, "numbers"):
        return "ase"
    return "plain"


def _pymatgen_numbers(s: Any, where: str) -> List[int]:
    """Atomic numbers of an ordered pymatgen structure (read from its sites directly: the
    public `species` property costs 3x more), ValueError for a disordered one."""
    try:
        out = []
        for site in s._sites:
            d = site._species._data
            if len(d) != 1:
                raise ValueError
            ((sp, occ),) = d.items()
            if abs(occ - 1) > 1e-8:
                raise ValueError
            out.append(sp.Z)
        return out
    except AttributeError:  # another pymatgen layout: the public API
        if not s.is_ordered:
            raise ValueError from None
        return [sp.Z for sp in s.species]


def _to_plain(s: StructureLike, where: str = "structure") -> Plain:
    """Lattice rows (Å), fractional coordinates and atomic numbers of any supported input."""
    kind = _KINDS.get(type(s))
    if kind is None:
        kind = _KINDS.setdefault(type(s), _kind_of(s))
    if kind == "ours":
        return (
            [list(map(float, r)) for r in s.lattice],
            [list(map(float, f)) for f in s.frac_coords],
            [int(z) for z in s.numbers],
        )
    if kind == "pymatgen":
        try:
            numbers = _pymatgen_numbers(s, where)
        except ValueError:
            raise ValueError(
                f"{where}: a disordered structure (partial occupancies); order it first, "
                "e.g. with pymatgen's OrderDisorderedStructureTransformation"
            ) from None
        return (s.lattice.matrix.tolist(), s.frac_coords.tolist(), numbers)
    if kind == "ase":
        if not all(s.pbc):
            raise ValueError(
                f"{where}: ASE Atoms with pbc={list(map(bool, s.pbc))}: a crystal is periodic in "
                "all three directions (set atoms.pbc = True and a cell)"
            )
        return (
            [list(map(float, r)) for r in s.cell[:]],
            s.get_scaled_positions(wrap=False).tolist(),
            [int(z) for z in s.numbers],
        )
    if isinstance(s, (tuple, list)) and len(s) == 3:
        lattice, frac, species = s
        lattice = lattice.tolist() if hasattr(lattice, "tolist") else lattice
        frac = frac.tolist() if hasattr(frac, "tolist") else frac
        species = species.tolist() if hasattr(species, "tolist") else species
        try:
            lat = [[float(x) for x in row] for row in lattice]
            fr = [[float(x) for x in row] for row in frac]
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where}: lattice and frac_coords must be rows of numbers ({e})") from None
        if len(lat) != 3 or any(len(r) != 3 for r in lat):
            raise ValueError(f"{where}: the lattice must be 3 rows of 3 numbers (Å)")
        if any(len(r) != 3 for r in fr):
            raise ValueError(f"{where}: every fractional coordinate must have 3 numbers")
        return (lat, fr, [_number(sp, where) for sp in species])
    raise ValueError(
        f"{where}: expected a pymatgen Structure, an ASE Atoms, a crystal_diffusion.Structure or "
        f"(lattice, frac_coords, species); got {type(s).__name__}"
    )


def _resolve_output(output: Optional[str]) -> str:
    if output is None:
        try:
            import pymatgen.core  # noqa: F401

            return "pymatgen"
        except ImportError:
            pass
        try:
            import ase  # noqa: F401

            return "ase"
        except ImportError:
            return "plain"
    if output not in _OUTPUTS:
        raise ValueError(f"output {output!r}: must be one of {', '.join(_OUTPUTS)} (or None)")
    return output


def _from_plain(p: Plain, output: str, name: Optional[str] = None, source: Optional[str] = None,
                notes: Optional[List[str]] = None) -> Any:
    lattice, frac, numbers = p
    if output == "pymatgen":
        from pymatgen.core import Lattice, Structure as PmgStructure

        props = {k: v for k, v in (("name", name), ("source", source), ("notes", notes)) if v}
        return PmgStructure(Lattice(lattice), list(numbers), frac, properties=props)
    if output == "ase":
        from ase import Atoms

        atoms = Atoms(numbers=list(numbers), cell=lattice, scaled_positions=frac, pbc=True)
        if name is not None:
            atoms.info["name"] = name
        if source is not None:
            atoms.info["source"] = source
        if notes:
            atoms.info["notes"] = notes
        return atoms
    return Structure(lattice=lattice, frac_coords=frac, numbers=list(numbers), name=name, source=source,
                     properties={"notes": notes} if notes else {})


def _name_of(s: Any, default: str) -> str:
    props = getattr(s, "properties", None) or getattr(s, "info", None) or {}
    name = getattr(s, "name", None) if isinstance(s, Structure) else props.get("name")
    return str(name) if name else default


class StructureMatcher:
    """pymatgen's ``StructureMatcher`` in Rust, with its defaults and method names.

    ``fit``, ``get_rms_dist`` and ``group_structures`` take and return what pymatgen's do;
    ``fit_many`` and ``rms_many`` score many pairs on all cores. Species are elements
    (oxidation states are ignored), as with pymatgen's ``ElementComparator``;
    ``allow_subset``, anonymous grouping and other comparators are not offered.
    """

    def __init__(
        self,
        ltol: float = 0.2,
        stol: float = 0.3,
        angle_tol: float = 5,
        primitive_cell: bool = True,
        scale: bool = True,
        attempt_supercell: bool = False,
        allow_subset: bool = False,
        comparator: Any = None,
        supercell_size: str = "num_sites",
        ignored_species: Optional[Sequence[str]] = None,
    ) -> None:
        if allow_subset:
            raise ValueError("allow_subset=True is not supported by crystal_diffusion.StructureMatcher")
        if comparator is not None and type(comparator).__name__ not in ("SpeciesComparator", "ElementComparator"):
            raise ValueError(
                f"comparator {type(comparator).__name__}: only species/element comparison is supported"
            )
        if supercell_size != "num_sites":
            raise ValueError(f"supercell_size {supercell_size!r}: only 'num_sites' is supported")
        if ignored_species:
            raise ValueError("ignored_species is not supported: remove those sites first")
        self.ltol, self.stol, self.angle_tol = float(ltol), float(stol), float(angle_tol)
        self.primitive_cell, self.scale = bool(primitive_cell), bool(scale)
        self.attempt_supercell = bool(attempt_supercell)
        self._m = _native.Matcher(
            self.ltol, self.stol, self.angle_tol, self.primitive_cell, self.scale, self.attempt_supercell
        )

    def __repr__(self) -> str:
        return (
            f"StructureMatcher(ltol={self.ltol}, stol={self.stol}, angle_tol={self.angle_tol}, "
            f"primitive_cell={self.primitive_cell}, scale={self.scale}, "
            f"attempt_supercell={self.attempt_supercell})"
        )

    def fit(self, struct1: StructureLike, struct2: StructureLike, symmetric: bool = False,
            skip_structure_reduction: bool = False) -> bool:
        """Whether the two structures match. ``symmetric=True`` asks both orders."""
        a, b = _to_plain(struct1, "struct1"), _to_plain(struct2, "struct2")
        if symmetric:
            return self._m.fit(a, b) and self._m.fit(b, a)
        return self._m.fit(a, b)

    def get_rms_dist(self, struct1: StructureLike, struct2: StructureLike) -> Optional[Tuple[float, float]]:
        """(RMS, max) site displacement normalised by (V/N)^(1/3), or None when no match."""
        return self._m.get_rms_dist(_to_plain(struct1, "struct1"), _to_plain(struct2, "struct2"))

    def group_structures(self, s_list: Sequence[StructureLike], anonymous: bool = False) -> List[List[Any]]:
        """Groups of matching structures (the input objects), as pymatgen's."""
        if anonymous:
            raise ValueError("anonymous=True is not supported by crystal_diffusion.StructureMatcher")
        items = list(s_list)
        plain = _plain_list(items, "s_list")
        return [[items[i] for i in g] for g in self._m.group(plain)]

    def fit_many(self, structs1: Sequence[StructureLike], structs2: Sequence[StructureLike]) -> List[bool]:
        """``fit(structs1[i], structs2[i])`` for every i, on all cores."""
        return self._m.fit_many(_plain_list(structs1, "structs1"), _plain_list(structs2, "structs2"))

    def rms_many(self, structs1: Sequence[StructureLike],
                 structs2: Sequence[StructureLike]) -> List[Optional[Tuple[float, float]]]:
        """``get_rms_dist(structs1[i], structs2[i])`` for every i, on all cores."""
        return self._m.rms_many(_plain_list(structs1, "structs1"), _plain_list(structs2, "structs2"))


def _plain_list(items: Sequence[StructureLike], what: str) -> List[Plain]:
    # Thousands of small lists kept alive would trigger the cyclic garbage collector over
    # and over, each pass walking every object of the session (2x the conversion's time
    # on 7,570 pymatgen structures); none of them can form a cycle.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return [_to_plain(s, f"{what}[{i}]") for i, s in enumerate(items)]
    finally:
        if was_enabled:
            gc.enable()


def _csp_matcher(ltol: Optional[float], stol: Optional[float], angle_tol: Optional[float], **kw: Any) -> StructureMatcher:
    d_ltol, d_stol, d_angle = _native.CSP_MATCHER
    return StructureMatcher(
        ltol=d_ltol if ltol is None else ltol,
        stol=d_stol if stol is None else stol,
        angle_tol=d_angle if angle_tol is None else angle_tol,
        **kw,
    )


def match_many(preds: Sequence[StructureLike], gts: Sequence[StructureLike], ltol: Optional[float] = None,
               stol: Optional[float] = None, angle_tol: Optional[float] = None, primitive_cell: bool = True,
               scale: bool = True, attempt_supercell: bool = False) -> List[Optional[Tuple[float, float]]]:
    """``get_rms_dist(preds[i], gts[i])`` for every pair, on all cores, with the CSP
    literature's tolerances by default (ltol 0.3, stol 0.5, angle_tol 10)."""
    m = _csp_matcher(ltol, stol, angle_tol, primitive_cell=primitive_cell, scale=scale,
                     attempt_supercell=attempt_supercell)
    return m.rms_many(preds, gts)


def fit_many(structs1: Sequence[StructureLike], structs2: Sequence[StructureLike], **matcher: Any) -> List[bool]:
    """``StructureMatcher(**matcher).fit`` of every pair, on all cores (pymatgen's defaults)."""
    return StructureMatcher(**matcher).fit_many(structs1, structs2)


def read(path: Any, output: Optional[str] = None, disorder: str = "refuse") -> List[Any]:
    """Every structure of a CIF, POSCAR, extended XYZ or data-set CSV file, or of every such
    file in a folder (recursively). Each carries its name (data block, POSCAR comment,
    frame, material_id), source path and the reader's notes, if any (what it skipped or
    changed: a block without a structure, deuterium read as H, ...; pymatgen: ``properties``;
    ASE: ``info``).
    ``disorder``: a site shared by several species is refused (``"refuse"``, the default)
    or read as its majority species when its occupancies sum to 1 within 0.05
    (``"majority"``, with a note); a partly empty site is refused either way.
    Unreadable structures in a readable file or folder are reported as warnings and
    skipped; a file that cannot be read at all raises."""
    kind = _resolve_output(output)
    entries, bad = _native.read(str(path), disorder)
    for source, line, message in bad:
        warnings.warn(f"skipped: {message}", stacklevel=2)
    return [_from_plain(p, kind, name=name, source=source, notes=notes) for name, source, _index, p, notes in entries]


def write(path: Any, structures: Union[StructureLike, Sequence[StructureLike]],
          names: Optional[Sequence[str]] = None) -> None:
    """Writes one structure (or several: CIF blocks, XYZ frames) to ``path``; the format
    follows the name (.cif, .vasp/POSCAR, .xyz/.extxyz)."""
    items = [structures] if _is_single(structures) else list(structures)
    if names is not None and len(names) != len(items):
        raise ValueError(f"{len(names)} names for {len(items)} structures")
    named = [
        (names[i] if names is not None else _name_of(s, f"structure_{i}"), _to_plain(s, f"structures[{i}]"))
        for i, s in enumerate(items)
    ]
    _native.write(str(path), named)


def _is_single(s: Any) -> bool:
    if isinstance(s, Structure) or hasattr(s, "frac_coords") or hasattr(s, "get_scaled_positions"):
        return True
    # (lattice, frac_coords, species) where the lattice is 3 rows of numbers
    if isinstance(s, tuple) and len(s) == 3:
        try:
            return len(s[0]) == 3 and all(len(r) == 3 for r in s[0]) and not hasattr(s[0][0][0], "__len__")
        except TypeError:
            return False
    return False


def analyze(structure: StructureLike, min_distance: Optional[float] = None, symprec: Optional[float] = None,
            name: Optional[str] = None) -> Dict[str, Any]:
    """The analysis record of ``analyze --format json``: formula, atoms, volume (Å³),
    density (g/cm³), minimum distance (Å), space group, coordination, validity."""
    p = _to_plain(structure)
    return json.loads(_native.analyze(p, name or _name_of(structure, "structure"), min_distance, symprec))


def validate(structure: StructureLike, rule: str = "notebook", min_distance: Optional[float] = None) -> Dict[str, Any]:
    """Structural validity: ``{"valid": bool, "min_distance_a": float}``. Rules: "notebook"
    (every pair ≥ 0.7 Å) and "cdvae" (≥ 0.5 Å and volume above 0.1 Å³);
    ``min_distance`` overrides the rule's threshold."""
    return json.loads(_native.validate(_to_plain(structure), rule, min_distance))


def eval_csp(preds: Sequence[Any], gts: Sequence[StructureLike], names: Optional[Sequence[str]] = None,
             ltol: Optional[float] = None, stol: Optional[float] = None, angle_tol: Optional[float] = None,
             primitive_cell: bool = True, scale: bool = True, attempt_supercell: bool = False) -> Dict[str, Any]:
    """CSP match rate and RMSE, with the keys of ``eval csp --format json``.

    ``preds[i]`` is the prediction for ``gts[i]``: a structure, a list of candidates
    (the best one counts), or None. Tolerances default to the CSP literature's
    (ltol 0.3, stol 0.5, angle_tol 10)."""
    gts = list(gts)
    preds = list(preds)
    if len(preds) != len(gts):
        raise ValueError(f"{len(preds)} predictions for {len(gts)} ground truths: give one entry per ground truth")
    if names is None:
        names = [str(i) for i in range(len(gts))]
    names = [str(n) for n in names]
    if len(set(names)) != len(names):
        raise ValueError("names must be unique")
    cands: List[List[Plain]] = []
    for i, p in enumerate(preds):
        if p is None:
            cands.append([])
        elif _is_single(p):
            cands.append([_to_plain(p, f"preds[{i}]")])
        else:
            cands.append([_to_plain(c, f"preds[{i}][{k}]") for k, c in enumerate(p)])
    m = _csp_matcher(ltol, stol, angle_tol, primitive_cell=primitive_cell, scale=scale,
                     attempt_supercell=attempt_supercell)
    return json.loads(_native.eval_csp(cands, _plain_list(gts, "gts"), names, m._m))


def eval_dng(gen: Sequence[StructureLike], ref: Sequence[StructureLike], dataset: str = "mp-20",
             ltol: Optional[float] = None, stol: Optional[float] = None, angle_tol: Optional[float] = None,
             wdist_samples: int = _native.DEFAULT_WDIST_SAMPLES, seed: int = _native.DEFAULT_DNG_SEED,
             uniqueness: bool = True) -> Dict[str, Any]:
    """De novo metrics (validity, coverage, Wasserstein distances, uniqueness, novelty),
    with the keys of ``eval dng --format json``. ``dataset`` ("perov-5", "carbon-24",
    "mp-20") chooses CDVAE's coverage cutoffs."""
    m = _csp_matcher(ltol, stol, angle_tol)
    return json.loads(
        _native.eval_dng(_plain_list(gen, "gen"), _plain_list(ref, "ref"), dataset, m._m, int(wdist_samples),
                         int(seed), bool(uniqueness))
    )


class Generator:
    """A trained ``periodic`` model (a checkpoint folder or a training run folder)."""

    def __init__(self, native: Any) -> None:
        self._g = native

    @classmethod
    def load(cls, path: Any, device: str = "cpu") -> "Generator":
        """Loads ``path`` (e.g. ``models/perov5-csp``); ``FileNotFoundError`` when there is
        no checkpoint there. ``device="gpu"`` runs the network through burn's wgpu backend
        (a build with the ``gpu`` feature and a GPU adapter; ``RuntimeError`` naming what
        was looked for otherwise)."""
        return cls(_native.Generator.load(str(path), device))

    @property
    def task(self) -> str:
        """"csp" (structures for given compositions) or "dng" (de novo)."""
        return self._g.task

    @property
    def path(self) -> str:
        return self._g.path

    @property
    def epoch(self) -> int:
        return self._g.epoch

    @property
    def num_parameters(self) -> int:
        return self._g.num_parameters

    @property
    def timesteps(self) -> int:
        return self._g.timesteps

    def __repr__(self) -> str:
        return f"Generator({self.path!r}, task={self.task!r}, epoch={self.epoch})"

    def sample(self, composition: Union[None, str, Sequence[str]] = None, count: int = 1,
               steps: int = _native.DEFAULT_STEPS, seed: int = _native.DEFAULT_SEED,
               corrector_lr: float = _native.DEFAULT_CORRECTOR_LR, progress: bool = False,
               output: Optional[str] = None) -> List[Any]:
        """Generates structures: ``count`` per composition (a formula or a list of
        formulas) with a CSP model, or ``count`` de novo with a dng model. The same seed
        gives the same structures as ``crystal-diffusion sample`` with that seed. Each is
        named as the command line names its file (``SrTiO3_0``, ``gen_00000``); a sample
        whose cell could not be built is None (with a warning). Ctrl-C stops it
        (``KeyboardInterrupt``)."""
        kind = _resolve_output(output)
        for flag, v, least in (("count", count, 1), ("steps", steps, 1), ("seed", seed, 0)):
            if isinstance(v, bool) or not isinstance(v, int) and not type(v).__name__.startswith(("int", "uint")):
                raise ValueError(f"{flag} {v!r}: must be a whole number")
            if v < least:
                raise ValueError(f"{flag} {v}: must be at least {least}")
        if composition is None:
            out = self._g.sample_de_novo(int(count), int(steps), int(seed), float(corrector_lr), bool(progress))
        else:
            formulas = [composition] if isinstance(composition, str) else [str(f) for f in composition]
            out = self._g.sample_compositions(formulas, int(count), int(steps), int(seed), float(corrector_lr),
                                              bool(progress))
        result = []
        for name, plain, error in out:
            if plain is None:
                warnings.warn(f"{name}: {error}", stacklevel=2)
                result.append(None)
            else:
                result.append(_from_plain(plain, kind, name=name))
        return result
