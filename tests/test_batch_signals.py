"""A batch stopped at any moment ends cleanly, and its workers never outlive it.

``benchmarks/signal_trials.py`` runs the same trial a hundred times; ten random ones run here.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT

spec = importlib.util.spec_from_file_location("signal_trials", ROOT / "benchmarks" / "signal_trials.py")
trials = importlib.util.module_from_spec(spec)
spec.loader.exec_module(trials)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_ten_random_sigterm_and_sigint_stops_are_clean(tmp_path):
    rng = random.Random()
    jobs = trials.make_jobs(tmp_path, 24)
    failures = []
    for number in range(10):
        folder = tmp_path / f"t{number}"
        folder.mkdir()
        signum = (signal.SIGTERM, signal.SIGINT)[number % 2]
        delay = rng.uniform(0.0, 1.5)
        result = trials.trial(folder, jobs, delay, signum)
        if not result["ok"]:
            failures.append(f"{signal.Signals(signum).name} after {delay:.2f} s: {result['why']}")
    assert not failures, failures


def test_workers_die_with_the_batch_even_after_kill_9(tmp_path):
    jobs = trials.make_jobs(tmp_path, 200)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "leaflet", "batch", "--jobs", str(jobs), "--content",
                             str(trials.TEST_CONTENT), "-o", str(out), "-j", "2"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    workers: dict[int, int] = {}
    while time.monotonic() < deadline and (len(workers) < 2 or len(list(out.glob("*.pdf"))) < 2):
        workers.update(trials.children(proc.pid))
        time.sleep(0.02)
    assert len(workers) >= 2, "the workers never started"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and trials.alive(workers):
        time.sleep(0.05)
    left = trials.alive(workers)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} worker(s) kept running after their batch was killed"
    count = len(list(out.glob("*.pdf")))
    time.sleep(0.5)
    assert len(list(out.glob("*.pdf"))) == count  # and nothing is written any more


def test_a_worker_dies_when_its_parent_has_gone_even_without_prctl(tmp_path, monkeypatch):
    """The watchdog thread alone (where prctl is not available) ends an orphaned worker."""
    code = ("import os, sys, time\n"
            "sys.path.insert(0, sys.argv[1])\n"
            "from leaflet import executors\n"
            "parent = os.getpid()  # before the fork: the parent may be gone before the child runs\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    executors.sys.platform = 'not-linux'  # skip prctl: only the watchdog is left\n"
            "    executors.die_with_parent(parent)\n"
            "    time.sleep(60)\n"
            "    os._exit(0)\n"
            "print(pid, flush=True)\n"
            "os._exit(0)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=30)
    child = int(proc.stdout)
    started = trials._stat(child)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and started and trials.alive({child: started[2]}):
        time.sleep(0.05)
    still = started and trials.alive({child: started[2]})
    if still:
        os.kill(child, signal.SIGKILL)
    assert not still


def test_sigterm_while_planning_is_a_clean_stop(tmp_path):
    jobs = tmp_path / "jobs.csv"
    jobs.write_text("output,medicine,name\n" + "".join(f"p{i}.pdf,testamol,P{i}\n" for i in range(3)))
    code = ("import os, signal, sys\n"
            "from leaflet import batch, interrupt\n"
            "from leaflet.cli import main\n"
            "real = batch.plan_jobs_file\n"
            "def plan(path):\n"
            "    os.kill(os.getpid(), signal.SIGTERM)  # arrives in the middle of planning\n"
            "    return real(path)\n"
            "batch.plan_jobs_file = plan\n"
            "interrupt.note_signals()\n"
            "sys.exit(main(sys.argv[1:]))\n")
    proc = subprocess.run([sys.executable, "-c", code, "batch", "--jobs", str(jobs), "--content",
                           str(trials.TEST_CONTENT), "-o", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 130 and "interrupted before the batch began" in proc.stderr
    assert not Path(tmp_path / "out").exists()


def test_an_interrupted_rebuild_leaves_no_out_of_date_leaflet_printable(tmp_path):
    from .conftest import all_text

    out = tmp_path / "out"
    jobs = tmp_path / "jobs.csv"

    def write_jobs(dose: str) -> None:
        jobs.write_text("output,medicine,name,dose,unit\n" + "".join(
            f"p{i:03d}.pdf,testamol,Patient {i},{dose},mg\n" for i in range(60)))

    write_jobs("2")
    cmd = [sys.executable, "-m", "leaflet", "batch", "--jobs", str(jobs), "--content", str(trials.TEST_CONTENT),
           "-o", str(out), "-j", "2"]
    assert subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=120).returncode == 0
    write_jobs("10")  # day 2: every leaflet is out of date
    before = {p.name: p.stat().st_ino for p in out.glob("*.pdf")}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sum(
            1 for p in out.glob("*.pdf") if p.stat().st_ino != before.get(p.name)) < 3:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, stdout
    printable = sorted(out.glob("*.pdf"))
    aside = sorted(out.glob("*.pdf.stale-interrupted"))
    assert printable and aside and len(printable) + len(aside) == 60
    for pdf in printable:
        assert "Dose: 10 mg" in all_text(pdf.read_bytes()), pdf.name
    listed = {e["output"] for e in json.loads((out / "manifest.json").read_text())["outputs"]}
    assert listed <= {p.name for p in printable}
    assert subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=120).returncode == 0
    assert len(list(out.glob("*.pdf"))) == 60 and not list(out.glob("*.stale-*"))
