"""Load benchmark of ``leaflet serve`` on 127.0.0.1 only, compared with ``leaflet batch``.

    python benchmarks/service_load.py [--requests 2000] [--concurrency 16] [--workers 2]

Sends a fixed number of requests (mixed languages and patients), then stops by itself. Checks: zero
errors, every PDF identical to the same leaflet built alone (in this process, one at a time), and the
server's memory (RSS of uvicorn and its workers) flat after warm-up. Prints throughput, client latency
p50/p95, the server-side build time (the ``Server-Timing`` header) p50/p95 overall and for English
per-patient leaflets, RSS over the run, and the same jobs' throughput through ``leaflet batch --jobs``.
Not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import leaflet  # noqa: E402
from tests.serving import free_port  # noqa: E402

PHARMACY = ROOT / "examples" / "pharmacy.yaml"
LANGUAGES = ["en", "en", "en", "en", "es", "fr", "de", "ru", "zh-Hans", "ar", "hi", "vi"]
NAMES = ["Ann Example", "José García", "Li Wei", "Priya Sharma", "Oluwaseun Adeyemi", "Małgorzata Nowak",
         "Nguyễn Văn An", "Søren Kierkegaard", "Fatima Zahra", "Ivan Petrov", "Chloé Dubois", "Kim Min-jun"]
DIRECTIONS = [
    {"dose": "2", "unit": "mg", "route": "by-mouth", "frequency": "three-times-daily", "as_needed": "anxiety",
     "days": "14", "max_doses_per_day": "3"},
    {"dose": "5", "unit": "mg", "route": "by-mouth", "frequency": "at-bedtime", "days": "7"},
    {"dose": "0.5", "unit": "tablet", "route": "by-mouth", "frequency": "twice-daily", "days": "5"},
    {"dose": "10", "unit": "mg", "route": "rectal", "as_needed": "seizure", "max_doses_per_day": "2"},
    "Take one tablet at night when needed.",
]
NOTES = [None, "Review at your appointment on 4 December.", "Do not drive while taking this medicine.\nCall us."]


def patients() -> list[dict]:
    out = []
    for i, name in enumerate(NAMES):
        out.append({"name": name, "prescriber": "Dr Sam Rivera", "date_dispensed": f"2026-11-{10 + i:02d}",
                    "directions": DIRECTIONS[i % len(DIRECTIONS)], "notes": NOTES[i % len(NOTES)]})
    return out


def jobs(count: int) -> list[tuple[str, int]]:
    people = len(NAMES)
    return [(LANGUAGES[i % len(LANGUAGES)], (i * 7 + i // len(LANGUAGES)) % people) for i in range(count)]


def request_body(language: str, patient: dict) -> dict:
    person = {k: v for k, v in patient.items() if k != "notes"}
    body = {"medicine": "diazepam", "language": language, "patient": person}
    if patient["notes"]:
        body["notes"] = patient["notes"]
    return body


def built_alone(cases: set[tuple[str, int]], people: list[dict]) -> tuple[dict[tuple[str, int], str], list[float]]:
    """Each case built alone in this process: its SHA-256; and warm English build times (ms), for comparison
    with the server's."""
    digests, english = {}, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for round_ in range(2):  # the second round of English cases is warm
            for language, p in sorted(cases):
                if round_ and language != "en":
                    continue
                body = request_body(language, people[p])
                start = time.perf_counter()
                pdf = leaflet.build_pdf("diazepam", language=language, patient=body["patient"],
                                        notes=body.get("notes"), pharmacy=PHARMACY)
                if round_:
                    english.append((time.perf_counter() - start) * 1000)
                digests[(language, p)] = hashlib.sha256(pdf).hexdigest()
    return digests, english


def rss_mib(pid: int) -> float:
    """RSS of ``pid`` and its children, MiB."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def run_batch(work: list[tuple[str, int]], people: list[dict], folder: Path, workers: int) -> float:
    jobs_file = folder / "jobs.csv"
    fields = ["output", "medicine", "language", "name", "prescriber", "date_dispensed", "directions", "notes",
              "dose", "unit", "route", "frequency", "as_needed", "days", "max_doses_per_day"]
    with open(jobs_file, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for i, (language, p) in enumerate(work):
            person = people[p]
            row = {"output": f"job-{i:05d}.pdf", "medicine": "diazepam", "language": language, "name": person["name"],
                   "prescriber": person["prescriber"], "date_dispensed": person["date_dispensed"],
                   "notes": person["notes"] or ""}
            if isinstance(person["directions"], dict):
                row.update(person["directions"])
            else:
                row["directions"] = person["directions"]
            writer.writerow(row)
    out = subprocess.run([sys.executable, "-m", "leaflet", "batch", "--jobs", str(jobs_file), "--pharmacy",
                          str(PHARMACY), "-o", str(folder / "out"), "-j", str(workers)],
                         capture_output=True, text=True, cwd=folder)
    match = re.search(r"(\d+) built, \d+ unchanged, (\d+) failed in ([\d.]+) s \(([\d.]+) leaflets/s\)", out.stdout)
    if not match or match.group(2) != "0":
        raise SystemExit(f"batch failed:\n{out.stdout}\n{out.stderr}")
    return float(match.group(4))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (and batch workers)")
    parser.add_argument("--skip-batch", action="store_true")
    args = parser.parse_args()

    people = patients()
    work = jobs(args.requests)
    print(f"building the {len(set(work))} distinct leaflets alone for comparison ...", flush=True)
    expected, english_alone = built_alone(set(work), people)

    folder = Path(tempfile.mkdtemp(prefix="leaflet-load-"))
    batch_rate = None
    if not args.skip_batch:
        print(f"leaflet batch --jobs with the same {len(work)} jobs, -j {args.workers} ...", flush=True)
        batch_rate = run_batch(work, people, folder, args.workers)

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "leaflet", "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", str(args.workers), "--pharmacy", str(PHARMACY),
                               "--log", str(folder / "issued.sqlite3")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=120, limits=httpx.Limits(max_connections=args.concurrency)) as client:
            # warm-up: every language a few times, so both workers have laid out every body
            warm = [(lang, i % len(people)) for i in range(4) for lang in sorted(set(LANGUAGES))]
            with ThreadPoolExecutor(args.concurrency) as pool:
                list(pool.map(lambda case: client.post("/v1/leaflets", json=request_body(case[0], people[case[1]])),
                              warm))
            rss = [("after warm-up", rss_mib(server.pid))]
            results: list[tuple[tuple[str, int], int, str, float, float]] = []
            done = 0
            lock = threading.Lock()

            def one(case):
                nonlocal done
                start = time.perf_counter()
                response = client.post("/v1/leaflets", json=request_body(case[0], people[case[1]]))
                latency = (time.perf_counter() - start) * 1000
                timing = re.search(r"build;dur=([\d.]+)", response.headers.get("server-timing", ""))
                with lock:
                    done += 1
                    if done % (len(work) // 4) == 0:
                        rss.append((f"after {done}", rss_mib(server.pid)))
                return (case, response.status_code, hashlib.sha256(response.content).hexdigest(), latency,
                        float(timing.group(1)) if timing else float("nan"))

            start = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                results = list(pool.map(one, work))
            seconds = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(30)

    errors = [r for r in results if r[1] != 200]
    mismatched = [r for r in results if r[1] == 200 and r[2] != expected[r[0]]]
    latency = [r[3] for r in results]
    build = [r[4] for r in results]
    english = [r[4] for r in results if r[0][0] == "en"]
    rate = len(results) / seconds
    print(f"\n{len(results)} requests, {args.concurrency} concurrent, {args.workers} worker(s), 127.0.0.1")
    print(f"errors: {len(errors)}; PDFs different from the same build alone: {len(mismatched)}")
    print(f"throughput: {rate:.1f} leaflets/s ({seconds:.1f} s)")
    print(f"client latency: p50 {percentile(latency, 50):.1f} ms, p95 {percentile(latency, 95):.1f} ms")
    print(f"server build (Server-Timing): p50 {percentile(build, 50):.1f} ms, p95 {percentile(build, 95):.1f} ms; "
          f"English per-patient p50 {percentile(english, 50):.1f} ms, p95 {percentile(english, 95):.1f} ms")
    print(f"the same English leaflets built alone in one process, warm: p50 {percentile(english_alone, 50):.1f} ms")
    print("server RSS (all processes): " + ", ".join(f"{label} {value:.0f} MiB" for label, value in rss))
    if batch_rate is not None:
        print(f"leaflet batch --jobs, same jobs, -j {args.workers}: {batch_rate:.1f} leaflets/s; "
              f"service / batch = {rate / batch_rate:.2f}")
    shutil.rmtree(folder, ignore_errors=True)
    return 1 if errors or mismatched else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server on the way out
    sys.exit(main())
