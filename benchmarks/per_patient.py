"""Benchmark: warm milliseconds to build one leaflet for a new patient (issue 10's speed criterion).

Each build has a new patient name and new notes, the same medicine and template: what a pharmacy
counter does all day. Prints the median of ``--runs`` builds per case, after 5 warm-up builds.

Compare two versions of leaflet on one machine in one sitting by running this file from each
checkout (``python benchmarks/per_patient.py`` in each; the leaflet it imports is the checkout's).
Not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

import leaflet  # noqa: E402

CASES = (("en", "standard"), ("en", "large-print"), ("ar", "standard"), ("en", "compact"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    base = yaml.safe_load((ROOT / "examples" / "patient.yaml").read_text("utf-8"))
    print(f"leaflet at {ROOT}: median of {args.runs} builds, each for a new patient with new notes")
    for language, template in CASES:
        try:
            builds = [dict(base, name=f"Patient Number {i}") for i in range(args.runs + 5)]
            times = []
            for i, patient in enumerate(builds):
                start = time.perf_counter()
                leaflet.build_pdf("diazepam", language=language, template=template, patient=patient,
                                  notes=f"Take with food. Review on day {i}.")
                if i >= 5:
                    times.append((time.perf_counter() - start) * 1000)
        except leaflet.LeafletError as e:  # a template or field an older version lacks
            print(f"{language:3} {template:12} (not in this version: {str(e).splitlines()[0]})")
            continue
        print(f"{language:3} {template:12} {statistics.median(times):7.1f} ms")


if __name__ == "__main__":
    main()
