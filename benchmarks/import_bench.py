"""How long `leaflet import` takes for a typical ePI leaflet, and for the other fixtures.

Run: .venv/bin/python benchmarks/import_bench.py  (reads tests/data/import, writes nothing)
Reports the median of several imports of each file (parse, convert, validate; no file written).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from leaflet.importers import read

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "import"
FILES = ["aemps-53508.xml", "aemps-64279.xml", "aemps-07436001.xml", "aemps-39681.xml", "aemps-53508.json",
         "nordic-level1-no.xml", "lipitor-ppi.xml"]


def main(rounds: int = 7) -> None:
    read(DATA / FILES[0])  # imports and first-use set-up are not part of an import
    for name in FILES:
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            read(DATA / name)
            times.append(time.perf_counter() - start)
        size = (DATA / name).stat().st_size // 1024
        print(f"{name:24} {size:5} KiB  median {statistics.median(times) * 1000:6.1f} ms  "
              f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})")


if __name__ == "__main__":
    main()
