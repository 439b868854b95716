"""Batch builds: combinations and job lists, parallel workers, failures, interruption, incremental."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

import leaflet
from leaflet import batch
from leaflet.cli import main
from leaflet.translations import TranslationWarning

from .conftest import DATA, ROOT, all_text


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    """A private copy of the test medicine, so a test can change it."""
    folder = tmp_path / "content"
    shutil.copytree(DATA / "content", folder)
    return folder


def manifest(outdir: Path) -> dict[str, dict]:
    return {e["output"]: e for e in json.loads((outdir / "manifest.json").read_text())["outputs"]}


def test_every_combination_is_built_and_listed(tmp_path, content):
    out = tmp_path / "out"
    code, text = run("batch", "--content", str(content), "--medicine", "testamol", "-o", str(out), "-j", "2")
    assert code == 0, text
    names = sorted(p.name for p in out.glob("*.pdf"))
    assert names == sorted(f"testamol-en-{t}-{p}.pdf" for t in ("standard", "compact", "large-print", "side-heads")
                           for p in ("a4", "letter"))
    entries = manifest(out)
    assert set(entries) == set(names)
    for name, entry in entries.items():
        import hashlib
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == entry["sha256"]
        assert entry["inputs"]["medicine"] == "testamol" and entry["fingerprint"]
    assert "8 built, 0 unchanged, 0 failed" in text


def test_nothing_changed_nothing_rebuilt_and_a_change_rebuilds_only_what_it_touches(tmp_path, content):
    out = tmp_path / "out"
    args = ["batch", "--content", str(content), "--medicine", "testamol", "--template", "standard", "-o", str(out)]
    assert run(*args)[0] == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")}
    code, text = run(*args)
    assert code == 0 and "0 built, 2 unchanged" in text
    assert before == {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")}
    source = content / "testamol" / "en.yaml"
    source.write_text(source.read_text().replace("Keep it dry.", "Keep it dry and cool."))
    code, text = run(*args)
    assert "2 built, 0 unchanged" in text
    assert "Keep it dry and cool." in all_text((out / "testamol-en-standard-a4.pdf").read_bytes())
    (out / "testamol-en-standard-a4.pdf").write_bytes(b"damaged")  # a changed output is rebuilt too
    code, text = run(*args)
    assert "1 built, 1 unchanged" in text


def test_one_failure_does_not_stop_the_rest(tmp_path, content):
    out = tmp_path / "out"
    code, text = run("batch", "--content", str(content), "--medicine", "testamol", "--lang", "en", "--lang", "xx",
                     "--template", "standard", "--paper", "a4", "-o", str(out))
    assert code == 1
    assert "FAILED  testamol-xx-standard-a4.pdf: no 'xx' leaflet for testamol" in text
    assert (out / "testamol-en-standard-a4.pdf").is_file() and "1 built, 0 unchanged, 1 failed" in text
    assert "testamol-xx-standard-a4.pdf" not in manifest(out)


def test_jobs_run_in_several_processes(tmp_path, content):
    jobs = [batch.Job(f"p{i}.pdf", "testamol", patient={"name": f"Patient {i}"}) for i in range(8)]
    summary = batch.run(jobs, tmp_path / "out", workers=2, content_dirs=[content])
    assert summary.count("built") == 8
    assert len({r.worker for r in summary.results}) == 2


def test_mail_merge_from_csv(tmp_path, content):
    jobs = tmp_path / "jobs.csv"
    jobs.write_text(
        "output,medicine,language,name,prescriber,dose,unit,frequency,notes\n"
        "ann.pdf,testamol,en,Ann Example,Dr Rivera,1,tablet,twice-daily,Review in 2 weeks\n"
        'bob.pdf,testamol,en,"Bob <b>& Co</b>",Dr Rivera,0.5,tablet,at-bedtime,\n')
    out = tmp_path / "out"
    code, text = run("batch", "--jobs", str(jobs), "--content", str(content), "-o", str(out))
    assert code == 0, text
    ann = all_text((out / "ann.pdf").read_bytes())
    assert "Ann Example" in ann and "Dose: 1 tablet" in ann and "twice a day" in ann and "Review in 2 weeks" in ann
    assert "Bob <b>& Co</b>" in all_text((out / "bob.pdf").read_bytes())


def test_every_patient_and_directions_field_is_a_job_column():
    """A job row takes every field a patient file takes (``confirm_unusual_dose`` was refused as an
    unknown column, so a confirmed unusual dose could not be printed from a CSV)."""
    from leaflet.directions import Directions

    assert set(Directions.model_fields) == batch.DIRECTION_FIELDS
    assert set(leaflet.Patient.model_fields) == batch.PATIENT_FIELDS  # ("directions": the typed text)


def test_a_confirmed_unusual_dose_in_a_csv_job_prints(tmp_path, content):
    jobs = tmp_path / "jobs.csv"
    jobs.write_text("output,medicine,dose,unit,frequency,confirm_unusual_dose\n"
                    "yes.pdf,testamol,12,tablet,once-daily,true\n"
                    "no.pdf,testamol,12,tablet,once-daily,\n")
    out = tmp_path / "out"
    code, text = run("batch", "--jobs", str(jobs), "--content", str(content), "-o", str(out))
    assert code == 1 and "no.pdf" in text and "confirm_unusual_dose" in text, text
    assert "12 tablets" in all_text((out / "yes.pdf").read_bytes()) and not (out / "no.pdf").exists()


def test_a_false_confirm_column_does_not_make_directions_structured(tmp_path, content):
    """A confirm_unusual_dose column of "false" on rows with free-text or no directions confirms
    nothing (those rows failed: "both directions and structured directions", "dose missing")."""
    jobs = tmp_path / "jobs.csv"
    jobs.write_text("output,medicine,directions,confirm_unusual_dose\n"
                    "a.pdf,testamol,Take one at night,false\nb.pdf,testamol,,false\n")
    code, text = run("batch", "--jobs", str(jobs), "--content", str(content), "-o", str(tmp_path / "out"))
    assert code == 0, text
    assert "Take one at night" in all_text((tmp_path / "out" / "a.pdf").read_bytes())


def test_mail_merge_from_yaml(tmp_path, content):
    jobs = tmp_path / "jobs.yaml"
    jobs.write_text("jobs:\n  - output: ann.pdf\n    medicine: testamol\n    patient: {name: Ann, notes: Hello}\n")
    code, text = run("batch", "--jobs", str(jobs), "--content", str(content), "-o", str(tmp_path / "out"))
    assert code == 0 and "Ann" in all_text((tmp_path / "out" / "ann.pdf").read_bytes())


@pytest.mark.parametrize("body, message", [
    ("output,medicine,colour\nx.pdf,testamol,red\n", "jobs.csv:1: unknown column(s): colour"),
    ("output,medicine,dose,dose\nx.pdf,testamol,1,2\n", "jobs.csv:1: column 'dose' appears twice"),
    ("output,,medicine\nx.pdf,,testamol\n", "jobs.csv:1: column 2 of the header has no name"),
])
def test_a_bad_header_is_a_user_error(tmp_path, body, message):
    jobs = tmp_path / "jobs.csv"
    jobs.write_text(body)
    code, text = run("batch", "--jobs", str(jobs), "-o", str(tmp_path / "out"))
    assert code == 2 and message in text and "Traceback" not in text


@pytest.mark.parametrize("body, message", [
    ("output,medicine\n../x.pdf,testamol\n", "jobs.csv:2: output '../x.pdf' must be a plain file name"),
    ("output,medicine\nx.pdf,testamol\nx.pdf,testamol\n", "jobs.csv:2: two jobs write the same file"),
    ("output,medicine,unit,dose\nx.pdf,testamol,bucket,1\n", "jobs.csv:2: invalid patient data"),
])
def test_a_bad_row_fails_its_job(tmp_path, content, body, message):
    jobs = tmp_path / "jobs.csv"
    jobs.write_text(body)
    code, text = run("batch", "--jobs", str(jobs), "--content", str(content), "-o", str(tmp_path / "out"))
    assert code == 1 and message in text and "Traceback" not in text
    assert not list((tmp_path / "out").glob("*.pdf"))


def test_interrupted_batch_leaves_only_complete_files_and_finishes_on_rerun(tmp_path):
    out = tmp_path / "out"
    jobs = tmp_path / "jobs.csv"
    jobs.write_text("output,medicine,language,name\n" + "".join(
        f"p{i:03d}.pdf,diazepam,en,Patient {i}\n" for i in range(60)))
    cmd = [sys.executable, "-m", "leaflet", "batch", "--jobs", str(jobs), "-o", str(out), "-j", "2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(out.glob("*.pdf"))) < 5:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout
    assert "interrupted" in stdout
    done = sorted(out.glob("*.pdf"))
    assert 0 < len(done) < 60
    assert not list(out.glob(".*.part"))
    for pdf in done:  # every file there is a whole PDF
        assert len(PdfReader(pdf).pages) > 1
    listed = manifest(out)
    assert set(listed) <= {p.name for p in done}
    code, text = run("batch", "--jobs", str(jobs), "-o", str(out))
    assert code == 0
    built = int(text.split(" built")[0].split()[-1])
    assert built == 60 - len(listed) and f"{len(listed)} unchanged" in text


def test_killed_batch_temporary_files_are_cleared(tmp_path, content):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".x.pdf.abc.part").write_bytes(b"half a pdf")
    batch.run([batch.Job("x.pdf", "testamol")], out, workers=1, content_dirs=[content])
    assert not list(out.glob(".*.part")) and (out / "x.pdf").is_file()


def test_sigterm_is_handled_like_ctrl_c(tmp_path):
    out = tmp_path / "out"
    jobs = tmp_path / "jobs.csv"
    jobs.write_text("output,medicine,name\n" + "".join(f"p{i:03d}.pdf,diazepam,P{i}\n" for i in range(60)))
    proc = subprocess.Popen([sys.executable, "-m", "leaflet", "batch", "--jobs", str(jobs), "-o", str(out), "-j", "2"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(out.glob("*.pdf"))) < 3:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130 and (out / "manifest.json").is_file(), stdout


def test_a_worker_forgets_the_last_languages_layouts_when_it_moves_on_and_keeps_its_fonts(tmp_path, monkeypatch):
    from leaflet import caches

    monkeypatch.setattr(batch, "_last_group", None)
    sizes = lambda: {c.name: c.size() for c in caches.registered()}  # noqa: E731
    jobs = {lang: (batch.Job(f"d-{lang}.pdf", "diazepam", lang), "fp") for lang in ("en", "de")}
    [first] = batch.build_group([jobs["en"]], str(tmp_path), {})
    after_en = sizes()
    assert first.status == "built" and after_en["pipeline.body-layout"] >= 1 and after_en["fonts.families"] >= 1
    batch.build_group([jobs["en"]], str(tmp_path), {})  # the same group: everything kept for it
    assert sizes()["pipeline.body-layout"] == after_en["pipeline.body-layout"]
    [second] = batch.build_group([jobs["de"]], str(tmp_path), {})
    after_de = sizes()
    assert after_de["pipeline.body-layout"] == 1  # only German's
    assert after_de["fonts.families"] >= after_en["fonts.families"]
    assert second.status == "built"
    assert (tmp_path / "d-en.pdf").read_bytes() == leaflet.build_pdf("diazepam", language="en")
    with pytest.warns(TranslationWarning):  # a draft
        assert (tmp_path / "d-de.pdf").read_bytes() == leaflet.build_pdf("diazepam", language="de")


def test_a_worker_forgets_the_last_papers_line_breaks_and_keeps_the_parsed_content(tmp_path, monkeypatch):
    from leaflet import caches

    monkeypatch.setattr(batch, "_last_group", None)
    monkeypatch.setattr(batch, "_last_layout", None, raising=False)
    caches.clear_caches()
    sizes = lambda: {c.name: c.size() for c in caches.registered()}  # noqa: E731
    a4, letter = (batch.Job(f"d-{paper}.pdf", "diazepam", "en", "compact", paper) for paper in ("a4", "letter"))
    batch.build_group([(a4, "fp")], str(tmp_path), {})
    after_a4 = sizes()
    assert after_a4["paragraphs.lines"] > 0 and after_a4["pipeline.body-layout"] == 1
    results = batch.build_group([(letter, "fp"), (letter, "fp")], str(tmp_path), {})  # the same paper twice
    after_letter = sizes()
    assert after_letter["pipeline.body-layout"] == 1  # only Letter's: its second build reused it
    assert after_letter["paragraphs.lines"] < after_a4["paragraphs.lines"] * 1.5
    assert after_letter["content.files"] == after_a4["content.files"] >= 1  # the content is parsed once
    assert after_letter["paragraphs.parsed"] >= after_a4["paragraphs.parsed"]
    assert [r.status for r in results] == ["built", "built"]
    assert (tmp_path / "d-letter.pdf").read_bytes() == leaflet.build_pdf("diazepam", template="compact",
                                                                       paper="letter")


def test_a_task_builds_a_template_and_paper_at_a_time_in_the_jobs_order():
    jobs = [batch.Job(f"p{i}.pdf", "diazepam", "en", template, paper)
            for i, (template, paper) in enumerate([("standard", "a4"), ("compact", "a4"), ("standard", "letter"),
                                                   ("compact", "a4")])]
    [task] = batch.tasks([(job, "fp") for job in jobs], workers=1)
    assert [job.output for job, _fp in task] == ["p0.pdf", "p1.pdf", "p3.pdf", "p2.pdf"]


def test_the_collector_leaves_the_batchs_starting_state_alone_in_workers_and_gets_it_back_after(tmp_path, content):
    import gc

    from leaflet.executors import LocalWorkers

    assert gc.get_freeze_count() == 0
    with batch._collector_skips_what_is_there():
        assert gc.get_freeze_count() > 1000  # the modules, at least
        pool = LocalWorkers(1)
        try:
            assert pool.submit(gc.get_freeze_count).result(timeout=60) > 1000  # forked meanwhile: kept so
        finally:
            pool.close()
    assert gc.get_freeze_count() == 0
    summary = batch.run([batch.Job("x.pdf", "testamol")], tmp_path / "out", workers=1, content_dirs=[content])
    assert summary.count("built") == 1 and gc.get_freeze_count() == 0  # handed back after a batch


def test_a_batch_leaves_a_caller_s_frozen_objects_frozen(tmp_path, content):
    """A pre-forking server freezes its objects itself: a batch it runs neither freezes more nor hands
    them back to the collector when it ends."""
    import gc

    from leaflet import batch

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        summary = batch.run([batch.Job("x.pdf", "testamol")], tmp_path / "out", workers=1, content_dirs=[content])
        assert summary.count("built") == 1 and gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
