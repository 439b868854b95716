"""Batch throughput on two local worker processes against a Dask LocalCluster of two workers.

    python benchmarks/cluster_bench.py [--rounds 5] [--copies 2]

The job list is the full diazepam set (every language, template and paper: 44 leaflets), ``--copies``
times over (as different output names), built with ``--force`` so every round builds everything. Local
and cluster rounds alternate (a machine that slows down mid-run slows both alike); the first round of each
is reported apart (cold: a new pool forks fresh workers every batch, while a cluster's workers stay up and
keep their caches between batches). Also prints the mean build time per leaflet inside a worker, the cost
the README's estimate for a whole formulary is made from, and checks that both wrote the same bytes.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import warnings
from dataclasses import replace
from pathlib import Path

from leaflet import batch
from leaflet.translations import TranslationWarning


def jobs(copies: int) -> list[batch.Job]:
    base = batch.plan_matrix(["diazepam"], [], [], [], [])
    return [replace(job, output=f"{n}-{job.output}") for n in range(copies) for job in base]


def one_round(todo: list[batch.Job], out: Path, **where) -> batch.Summary:
    summary = batch.run(todo, out, force=True, **where)
    assert summary.count("built") == len(todo), [r.message for r in summary.results if r.status == "failed"]
    return summary


def main() -> int:
    from distributed import LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of each (default 5)")
    parser.add_argument("--copies", type=int, default=2, help="copies of the 44-leaflet set per round")
    args = parser.parse_args()
    warnings.simplefilter("ignore", TranslationWarning)
    todo = jobs(args.copies)
    local_rates, cluster_rates, per_leaflet = [], [], []
    with tempfile.TemporaryDirectory() as tmp, \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                         dashboard_address=None, silence_logs=logging.ERROR) as cluster:
        address = cluster.scheduler_address
        cold_local = one_round(todo, Path(tmp) / "local", workers=2)
        cold_cluster = one_round(todo, Path(tmp) / "cluster", cluster=address)
        same = (batch.load_manifest(Path(tmp) / "local").keys() == batch.load_manifest(Path(tmp) / "cluster").keys()
                and all(batch.load_manifest(Path(tmp) / "local")[k]["sha256"]
                        == batch.load_manifest(Path(tmp) / "cluster")[k]["sha256"]
                        for k in batch.load_manifest(Path(tmp) / "local")))
        for _ in range(args.rounds):
            local = one_round(todo, Path(tmp) / "local", workers=2)
            remote = one_round(todo, Path(tmp) / "cluster", cluster=address)
            local_rates.append(len(todo) / local.seconds)
            cluster_rates.append(len(todo) / remote.seconds)
            per_leaflet += [r.seconds for r in local.results + remote.results]
    lm, cm = statistics.median(local_rates), statistics.median(cluster_rates)
    cost = statistics.mean(per_leaflet)
    print(f"{len(todo)} leaflets a round (the diazepam set x {args.copies}), 2 workers, {args.rounds} rounds")
    print(f"  process pool   cold {len(todo) / cold_local.seconds:6.1f}/s   warm median {lm:6.1f}/s  "
          f"(rounds: {', '.join(f'{r:.1f}' for r in local_rates)})")
    print(f"  Dask cluster   cold {len(todo) / cold_cluster.seconds:6.1f}/s   warm median {cm:6.1f}/s  "
          f"(rounds: {', '.join(f'{r:.1f}' for r in cluster_rates)})")
    print(f"  cluster / pool: {cm / lm:.2f}x (warm medians)")
    print(f"  mean build time per leaflet in a worker: {cost * 1000:.1f} ms")
    print(f"  same bytes (manifest hashes) from both: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
