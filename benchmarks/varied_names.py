"""Warm per-patient builds with varied names (issue 14): what a counter sees, where most names carry
letters the leaflet's own words do not have (accents, Arabic letters), unlike ``per_patient.py``, whose
names differ only in a number.

Run with ``python benchmarks/varied_names.py [--runs N]`` (from a checkout: that checkout's leaflet is
measured). Each build takes two names at random (fixed seed) from a pool per language; the median of
the builds after five to warm up is printed. Not a test: compare two checkouts one after the other.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

import leaflet  # noqa: E402

POOLS = {
    "en": ["Ann", "Zoë", "José", "Łukasz", "Bob", "Renée", "Jürgen", "Siobhán", "Ægir", "Núñez", "Smith", "Olsen"],
    "ar": ["محمد", "أحمد", "فاطمة", "زينب", "يوسف", "خديجة", "عمر", "ليلى", "حسن", "مريم", "طارق", "سلمى",
           "ژینا", "غادة", "ظافر", "ثامر"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    base = yaml.safe_load((ROOT / "examples" / "patient.yaml").read_text("utf-8"))
    rnd = random.Random(7)
    print(f"leaflet at {ROOT}: median of {args.runs} builds, two names from a pool each")
    for language, pool in POOLS.items():
        times = []
        for number in range(args.runs + 5):
            name = " ".join(rnd.sample(pool, 2))
            start = time.perf_counter()
            leaflet.build_pdf("diazepam", language=language, patient=dict(base, name=name), notes=f"Review {number}.")
            if number >= 5:
                times.append(time.perf_counter() - start)
        print(f"{language}  varied names  {statistics.median(times) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
