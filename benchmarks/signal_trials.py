"""Stop a batch with SIGTERM or SIGINT at random moments; count the clean stops.

The moment is chosen at random from when leaflet's own code has started (it notes signals as its first
act; before that, for some tens of milliseconds, Python is still starting and a signal ends it the default
way). A clean stop: the batch exits 130 within 10 s (or 0, when it had already finished), ``manifest.json`` is
there, and no worker process is left running. Usage::

    python benchmarks/signal_trials.py [TRIALS] [--jobs N] [--seed S]

prints one line per failed trial and a summary such as ``100/100 trials stopped cleanly``. The test suite
runs ten of these trials (``tests/test_batch_signals.py``).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_CONTENT = ROOT / "tests" / "data" / "content"


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time) of a process, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), fields[0], int(fields[19])


def catches_sigterm(pid: int) -> bool:
    """Whether the process has a SIGTERM handler yet (leaflet sets one as its first act)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) >> (signal.SIGTERM - 1) & 1)
    except (OSError, ValueError):
        pass
    return False


def children(pid: int) -> dict[int, int]:
    """Child processes of ``pid``: {pid: start time}."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = _stat(int(entry))
            if info and info[0] == pid:
                found[int(entry)] = info[2]
    return found


def alive(processes: dict[int, int]) -> list[int]:
    """Those of ``processes`` still running (not gone, not a zombie, not a reused pid)."""
    out = []
    for pid, started in processes.items():
        info = _stat(pid)
        if info and info[1] != "Z" and info[2] == started:
            out.append(pid)
    return out


def make_jobs(folder: Path, count: int) -> Path:
    jobs = folder / "jobs.csv"
    jobs.write_text("output,medicine,name,notes\n" + "".join(
        f"p{i:03d}.pdf,testamol,Patient {i},Review in {i % 7 + 1} weeks\n" for i in range(count)))
    return jobs


def trial(folder: Path, jobs: Path, delay: float, signum: int, workers: int = 2, limit: float = 10.0) -> dict:
    """Start a batch, signal it after ``delay`` seconds, and see how it ends."""
    out = folder / "out"
    cmd = [sys.executable, "-m", "leaflet", "batch", "--jobs", str(jobs), "--content", str(TEST_CONTENT),
           "-o", str(out), "-j", str(workers), "--force"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers_seen: dict[int, int] = {}
    started = time.monotonic()
    while not catches_sigterm(proc.pid) and proc.poll() is None and time.monotonic() - started < 30:
        time.sleep(0.002)  # Python's own start-up: leaflet's code has not run yet (see the README)
    start = time.monotonic()
    while time.monotonic() - start < delay and proc.poll() is None:
        workers_seen.update(children(proc.pid))
        time.sleep(0.01)
    workers_seen.update(children(proc.pid))
    finished_first = proc.poll() is not None
    total = time.monotonic() - start
    sent = time.monotonic()
    if not finished_first:
        proc.send_signal(signum)
    try:
        stdout, stderr = proc.communicate(timeout=limit)
        seconds = time.monotonic() - sent
    except subprocess.TimeoutExpired:
        stuck_workers = alive(children(proc.pid)) + alive(workers_seen)
        proc.kill()
        for pid in stuck_workers:
            with_suppress_kill(pid)
        proc.communicate()
        return {"ok": False, "why": f"still running {limit:.0f} s after the signal", "delay": delay}
    time.sleep(0.05)  # a process killed a moment ago may still be in the process table
    left = alive(workers_seen)
    for pid in left:
        with_suppress_kill(pid)
    expected = 0 if finished_first else 130
    wanted = len(jobs.read_text().splitlines()) - 1
    if proc.returncode == 0 and out.is_dir() and len(list(out.glob("*.pdf"))) == wanted:
        expected = 0  # every leaflet was built when the signal came: the batch was already ending
    problems = []
    if proc.returncode != expected:
        problems.append(f"exit {proc.returncode}, expected {expected}")
    if out.is_dir() and not (out / "manifest.json").is_file():  # no folder: stopped before it began
        problems.append("no manifest")
    if list(out.glob(".*.part")) if out.is_dir() else []:
        problems.append("half-written files left")
    if left:
        problems.append(f"{len(left)} worker(s) still running")
    if "Traceback" in stderr or "internal error" in stderr:
        problems.append("a traceback: " + stderr[-300:])
    return {"ok": not problems, "why": "; ".join(problems), "delay": delay, "seconds": seconds, "seconds_total": total,
            "code": proc.returncode, "output": stdout + stderr}


def with_suppress_kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trials", type=int, nargs="?", default=100)
    parser.add_argument("--jobs", type=int, default=40, help="leaflets per batch (default 40)")
    parser.add_argument("--max-delay", type=float, default=0.0,
                        help="latest moment to signal, in s (default: 80 %% of an uninterrupted batch)")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    clean = exited_130 = 0
    slowest = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        jobs = make_jobs(Path(tmp), args.jobs)
        (Path(tmp) / "base").mkdir()
        took = []
        for number in range(2):
            (Path(tmp) / f"base{number}").mkdir()
            took.append(trial(Path(tmp) / f"base{number}", jobs, 1000.0, signal.SIGTERM, limit=120.0)["seconds_total"])
        max_delay = args.max_delay if args.max_delay else 0.8 * min(took)
        print(f"an uninterrupted batch of {args.jobs} takes {min(took):.2f} s; "
              f"signals come at random in the first {max_delay:.2f} s")
        for number in range(args.trials):
            folder = Path(tmp) / f"t{number}"
            folder.mkdir()
            signum = rng.choice([signal.SIGTERM, signal.SIGINT])
            result = trial(folder, jobs, rng.uniform(0.0, max_delay), signum)
            clean += result["ok"]
            exited_130 += result.get("code") == 130
            slowest = max(slowest, result.get("seconds", 0.0))
            if not result["ok"]:
                print(f"trial {number}: {signal.Signals(signum).name} after {result['delay']:.2f} s: {result['why']}")
                print("   ", (result.get("output") or "").strip().replace("\n", "\n    "))
    print(f"{clean}/{args.trials} trials clean: {exited_130} exited 130 within 10 s with a manifest and no live "
          f"worker; slowest stop {slowest:.2f} s after the signal")
    return 0 if clean == args.trials else 1


if __name__ == "__main__":
    sys.exit(main())
