"""The batch on a Dask cluster: a LocalCluster on 127.0.0.1, two worker processes, compared with local."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from leaflet import batch
from leaflet.cli import main
from leaflet.executors import ClusterWorkers

from .conftest import DATA, ROOT

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=logging.CRITICAL) as local:
        yield local


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(DATA / "content", folder)
    return folder


def jobs_for(count: int, medicine: str = "testamol", language: str = "en") -> list[batch.Job]:
    return [batch.Job(f"{medicine}-{language}-{i:03d}.pdf", medicine, language, patient={
        "name": f"Patient {i}", "notes": f"Review in {i % 5 + 1} weeks.",
        "directions": {"dose": i % 3 + 1, "unit": "tablet", "frequency": "twice-daily"}}) for i in range(count)]


def hashes(out: Path) -> dict[str, str]:
    return {e["output"]: e["sha256"] for e in json.loads((out / "manifest.json").read_text())["outputs"]}


def run_cli(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


def test_the_cluster_makes_the_same_files_as_the_local_batch(tmp_path, cluster):
    jobs = batch.plan_matrix(["diazepam"], ["en", "ar"], [], ["a4"], []) + jobs_for(6)
    jobs += [batch.Job("broken.pdf", "diazepam", "xx")]
    content_dirs = [DATA / "content"]
    local = batch.run(jobs, tmp_path / "local", workers=2, content_dirs=content_dirs,
                      pharmacy=Path(__file__).parent.parent / "examples" / "pharmacy.yaml")
    seen = []
    remote = batch.run(jobs, tmp_path / "cluster", cluster=cluster.scheduler_address, content_dirs=content_dirs,
                       pharmacy=Path(__file__).parent.parent / "examples" / "pharmacy.yaml",
                       progress=lambda result, done, total: seen.append((done, total)))
    assert local.count("built") == remote.count("built") == len(jobs) - 1
    assert hashes(tmp_path / "local") == hashes(tmp_path / "cluster")
    assert [r.message for r in local.results if r.status == "failed"] == \
           [r.message for r in remote.results if r.status == "failed"]
    assert seen == [(n, len(jobs)) for n in range(1, len(jobs) + 1)]  # the progress bar moves the same way
    workers = {r.worker for r in remote.results if r.status == "built"}
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        cluster_pids = set(client.run(os.getpid).values())
    assert workers <= cluster_pids and len(workers) == 2 and os.getpid() not in workers
    again = batch.run(jobs, tmp_path / "cluster", cluster=cluster.scheduler_address, content_dirs=content_dirs,
                      pharmacy=Path(__file__).parent.parent / "examples" / "pharmacy.yaml")
    assert again.count("unchanged") == len(jobs) - 1 and again.count("built") == 0  # incremental, as locally


def test_one_task_per_medicine_and_language_the_costliest_first():
    todo = [(job, "fp") for job in jobs_for(3, "a", "en") + jobs_for(2, "a", "fr") + jobs_for(3, "b", "en")
            + jobs_for(2, "a", "hi") + jobs_for(1, "a", "zh-Hans")]
    groups = batch.tasks(todo, workers=2)
    assert [[job.output for job, _ in group] for group in groups] == [
        [j.output for j in jobs_for(2, "a", "hi")],  # 2 shaped leaflets: 3.6 English ones
        [j.output for j in jobs_for(3, "a", "en")], [j.output for j in jobs_for(3, "b", "en")],
        [j.output for j in jobs_for(2, "a", "fr")], [j.output for j in jobs_for(1, "a", "zh-Hans")]]
    big = batch.tasks([(job, "fp") for job in jobs_for(1000)], workers=2)
    assert len(big) == 16 and max(map(len, big)) == batch.MAX_TASK  # a mail-merge is cut into pieces


def test_the_command_line_on_a_cluster(tmp_path, content, cluster):
    jobs = tmp_path / "jobs.csv"
    jobs.write_text("output,medicine,name,dose,unit\nann.pdf,testamol,Ann,2,mg\nbob.pdf,testamol,Bob,1,bucket\n"
                    "cy.pdf,testamol,Cy,1,tablet\n")
    args = ["batch", "--jobs", str(jobs), "--content", str(content)]
    code, text = run_cli(*args, "-o", str(tmp_path / "local"))
    code_c, text_c = run_cli(*args, "-o", str(tmp_path / "cluster"), "--cluster", cluster.scheduler_address)
    assert code == code_c == 1 and "2 built, 0 unchanged, 1 failed" in text_c
    failures = [line for line in text.splitlines() if line.startswith("FAILED")]
    assert failures and failures == [line for line in text_c.splitlines() if line.startswith("FAILED")]
    assert hashes(tmp_path / "local") == hashes(tmp_path / "cluster")


@pytest.fixture()
def client(cluster):
    """A client of the test's own (closed after it: a live one keeps timers that use ``random``)."""
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as own:
        yield own


def test_a_worker_killed_mid_batch_loses_nothing(tmp_path, content, cluster, client):
    jobs = jobs_for(80)
    out = tmp_path / "out"
    killed = []

    def kill_one_worker():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(list(out.glob("*.pdf"))) < 8:
            time.sleep(0.01)
        pid = next(iter(client.run(os.getpid).values()))
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    summary = batch.run(jobs, out, cluster=ClusterWorkers(cluster.scheduler_address), content_dirs=[content])
    killer.join()
    assert killed and summary.count("built") == 80 and summary.count("failed") == 0
    listed = hashes(out)
    assert sorted(listed) == sorted(j.output for j in jobs)
    for name, digest in listed.items():
        data = (out / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest and len(PdfReader(io.BytesIO(data)).pages) >= 2
    assert not list(out.glob(".*.part"))  # a killed worker's half-written file is cleared
    client.wait_for_workers(2, timeout=60)  # the nanny started a new one


def test_a_worker_with_other_library_versions_refuses(tmp_path):
    jobs = [(job, "fp") for job in jobs_for(2)]
    context = {"content_dirs": [DATA / "content"], "versions": {**batch._versions(), "reportlab": "0.0"}}
    results = batch.build_group(jobs, str(tmp_path), context)
    assert [r.status for r in results] == ["failed", "failed"]
    assert "the worker has other versions: reportlab" in results[0].message and not list(tmp_path.iterdir())


def test_ctrl_c_on_a_cluster_batch(tmp_path, content, cluster):
    jobs = tmp_path / "jobs.csv"
    jobs.write_text("output,medicine,name\n" + "".join(f"p{i:03d}.pdf,testamol,P{i}\n" for i in range(150)))
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "leaflet", "batch", "--jobs", str(jobs), "--content",
                             str(content), "-o", str(out), "--cluster", cluster.scheduler_address],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(out.glob("*.pdf"))) < 5:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stdout + stderr
    assert "interrupted" in stdout
    listed = hashes(out)
    assert 0 < len(listed) < 150
    for name, digest in listed.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
