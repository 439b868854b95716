"""Benchmark: warm milliseconds per leaflet, cold command time, peak memory.

Run with ``make bench`` or ``python benchmarks/bench.py [--runs N] [--json]``. Not a test: numbers
depend on the machine; the issue tracker records them with the machine they came from.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import leaflet  # noqa: E402

EXAMPLES = ROOT / "examples"

WARM_CASES = {
    "en standard a4 (blank handout)": {},
    "ru standard a4 (Cyrillic)": {"language": "ru"},
    "zh-Hans standard a4 (Han)": {"language": "zh-Hans"},
    "hi standard a4 (Devanagari, shaped)": {"language": "hi"},
    "ar standard a4 (Arabic, shaped, right-to-left)": {"language": "ar"},
    "en standard a4 (patient, pharmacy, notes)": {"patient": EXAMPLES / "patient.yaml",
                                                  "pharmacy": EXAMPLES / "pharmacy.yaml"},
    "en large-print a4": {"template": "large-print"},
    "en standard letter, fillable": {"paper": "letter", "fillable": True},
}


#: The case every other is compared with ("x en": the median, over rounds, of case time / this time).
BASELINE = "en standard a4 (blank handout)"


def warm(cases: dict[str, dict], runs: int) -> dict[str, list[float]]:
    """Milliseconds per build of each case, measured in rounds (each case once per round, after a
    warm-up), so that a machine getting slower or faster mid-run moves every case alike."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # draft translations warn
        for options in cases.values():
            leaflet.build_pdf("diazepam", **options)  # warm-up: imports, fonts, caches
        for _ in range(runs):
            for name, options in cases.items():
                start = time.perf_counter()
                leaflet.build_pdf("diazepam", **options)
                times[name].append((time.perf_counter() - start) * 1000)
    return times


#: What tagging and PDF/A post-processing cost: each case against the same build without them.
EXTRA_CASES = {
    "en standard a4, patient": ({"patient": EXAMPLES / "patient.yaml", "pharmacy": EXAMPLES / "pharmacy.yaml"}),
    "ar standard a4": {"language": "ar"},
    "hi standard a4": {"language": "hi"},
}
EXTRAS = {"tagged (default)": {}, "tagged + PDF/A-2b": {"pdfa": "2b"}, "tagged + PDF/A-3b": {"pdfa": "3b"}}


def extra_costs(runs: int) -> dict[str, dict[str, dict[str, float]]]:
    """Milliseconds of each case untagged, tagged and tagged + PDF/A, in interleaved rounds, and the
    median ratio to the same round's untagged build."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for case, options in EXTRA_CASES.items():
        variants = {"untagged": {**options, "tagged": False},
                    **{name: {**options, **extra} for name, extra in EXTRAS.items()}}
        times = warm(variants, runs)
        base = times["untagged"]
        out[case] = {name: {"median": statistics.median(t),
                            "x_untagged": statistics.median(a / b for a, b in zip(t, base, strict=True))}
                     for name, t in times.items()}
    return out


def throughput(workers: int) -> tuple[int, float]:
    """The full diazepam set (every language, template and paper) into an empty folder."""
    from leaflet import batch

    jobs = batch.plan_matrix(["diazepam"], [], [], [], [])
    with tempfile.TemporaryDirectory() as tmp:
        summary = batch.run(jobs, Path(tmp), workers=workers)
    return summary.count("built"), summary.seconds


def cold(runs: int) -> tuple[list[float], float]:
    """Wall time of the whole command, a fresh process each time, and the largest peak RSS (MiB)."""
    times, peak = [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            out = Path(tmp) / f"{i}.pdf"
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "leaflet", "build", "diazepam", "-o", str(out)],
                           check=True, capture_output=True, cwd=ROOT)
            times.append((time.perf_counter() - start) * 1000)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return times, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="warm runs per case (default 30)")
    parser.add_argument("--cold-runs", type=int, default=7, help="cold command runs (default 7)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--only-extras", action="store_true",
                        help="only what tagging and PDF/A cost (against untagged builds)")
    args = parser.parse_args()
    if args.only_extras:
        _print_extras(extra_costs(args.runs))
        return

    results: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "warm_ms": {}}
    # first, while this process is small: a child forked from a big parent starts with its memory
    cold_times, peak = cold(args.cold_runs)
    warm_times = warm(WARM_CASES, args.runs)
    english = warm_times[BASELINE]
    for name, t in warm_times.items():
        results["warm_ms"][name] = {"median": statistics.median(t), "min": min(t),
                                    "p90": sorted(t)[int(len(t) * 0.9) - 1],
                                    # the same round's English build as the yardstick
                                    "x_english": statistics.median(a / b for a, b in zip(t, english, strict=True))}
    results["batch"] = {}
    for workers in (1, 2):
        built, seconds = throughput(workers)
        results["batch"][workers] = {"leaflets": built, "seconds": seconds, "per_second": built / seconds}
    results["cold_command_ms"] = {"median": statistics.median(cold_times), "min": min(cold_times)}
    results["peak_rss_mib"] = round(peak, 1)
    results["pdf_bytes"] = len(leaflet.build_pdf("diazepam"))
    results["extras"] = extra_costs(args.runs)

    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"leaflet {leaflet.__version__} on {results['machine']['cpus']} CPUs, Python {results['machine']['python']}")
    print(f"{'warm render (ms per leaflet)':48} {'median':>8} {'min':>8} {'p90':>8} {'x en':>6}")
    for name, r in results["warm_ms"].items():
        print(f"  {name:46} {r['median']:8.1f} {r['min']:8.1f} {r['p90']:8.1f} {r['x_english']:6.2f}")
    one, two = results["batch"][1], results["batch"][2]
    print(f"{'batch, full diazepam set (' + str(one['leaflets']) + ' leaflets)':48} {'s':>8} {'per s':>8}")
    for workers, r in results["batch"].items():
        print(f"  {workers} worker{'s' if workers > 1 else ''}{'':38} {r['seconds']:8.2f} {r['per_second']:8.1f}")
    print(f"  {'speed-up with 2 workers':46} {two['per_second'] / one['per_second']:8.2f}x")
    c = results["cold_command_ms"]
    print(f"{'cold `leaflet build diazepam` (ms)':48} {c['median']:8.0f} {c['min']:8.0f}")
    print(f"{'peak memory of the command (MiB RSS)':48} {results['peak_rss_mib']:8.1f}")
    print(f"{'PDF size, English standard A4 (bytes)':48} {results['pdf_bytes']:8d}")
    _print_extras(results["extras"])


def _print_extras(extras: dict) -> None:
    print(f"{'tagging and PDF/A (ms per leaflet)':48} {'median':>8} {'x untagged':>11}")
    for case, variants in extras.items():
        print(f"  {case}")
        for name, r in variants.items():
            print(f"    {name:44} {r['median']:8.1f} {r['x_untagged']:11.2f}")


if __name__ == "__main__":
    main()
