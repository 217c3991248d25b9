"""How far apart are two folders of CIFs written from the same seed by two builds?

    python3 scripts/compare_cifs.py OLD/structures NEW/structures

For each file name in both: byte-identical or not, the largest absolute difference over
every decimal number in the file (cell lengths Å, angles °, volume Å³, fractional
coordinates), and whether the files agree when every number is rounded to 4, 5 or 6
decimals (the precision of most published CIFs is 4–5). Prints a summary line per level.
"""
import os
import re
import sys

NUM = re.compile(r"-?\d+\.\d+")


def numbers(text):
    return [float(v) for v in NUM.findall(text)]


def kind(line):
    """What a CIF line's numbers are: lengths (Å), angles (°), volume (Å³) or coordinates."""
    for key, name in (("_cell_length", "length_A"), ("_cell_angle", "angle_deg"), ("_cell_volume", "volume_A3")):
        if line.startswith(key):
            return name
    return "frac"


def per_kind(x, y):
    """Largest difference per kind of number, line by line."""
    out = {}
    for lx, ly in zip(x.splitlines(), y.splitlines()):
        for p, q in zip(numbers(lx), numbers(ly)):
            k = kind(lx)
            out[k] = max(out.get(k, 0.0), abs(p - q))
    return out


def main(a, b):
    names = sorted(set(os.listdir(a)) & set(os.listdir(b)))
    only = sorted(set(os.listdir(a)) ^ set(os.listdir(b)))
    identical, worst, frac_worst = 0, 0.0, 0.0
    agree = {4: 0, 5: 0, 6: 0}
    structural = []
    kinds = {}
    # Structures whose fractional coordinates and cell lengths all agree to 4 decimals
    # (the volume, a derived number of ~100 Å³, carries f32 rounding in its 5th-6th
    # significant digit and is left out of this count).
    coords_agree = 0
    for f in names:
        x = open(os.path.join(a, f)).read()
        y = open(os.path.join(b, f)).read()
        if x == y:
            identical += 1
        xs, ys = numbers(x), numbers(y)
        strip = lambda t: NUM.sub("#", t)
        if len(xs) != len(ys) or strip(x) != strip(y):
            structural.append(f)
            continue
        pk = per_kind(x, y)
        for k, v in pk.items():
            kinds[k] = max(kinds.get(k, 0.0), v)
        if pk.get("frac", 0.0) < 5e-5 and pk.get("length_A", 0.0) < 5e-5 and pk.get("angle_deg", 0.0) < 5e-5:
            coords_agree += 1
        d = max((abs(p - q) for p, q in zip(xs, ys)), default=0.0)
        worst = max(worst, d)
        for k in agree:
            if all(round(p, k) == round(q, k) or abs(p - q) < 0.5 * 10**-k for p, q in zip(xs, ys)):
                agree[k] += 1
    n = len(names)
    print(f"{n} structures in both, {len(only)} in one only")
    print(f"byte-identical: {identical} of {n}")
    print(f"different atoms or layout: {len(structural)} {structural[:5]}")
    print(f"largest difference of any number: {worst:.3g}")
    print("largest difference by kind: " + ", ".join(f"{k} {v:.3g}" for k, v in sorted(kinds.items())))
    print(f"fractional coordinates, lengths and angles within 5e-5: {coords_agree} of {n} ({100 * coords_agree / max(n, 1):.2f} %)")
    for k, v in agree.items():
        print(f"within half a unit of the {k}th decimal everywhere: {v} of {n} ({100 * v / max(n, 1):.2f} %)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
