"""Job files read strictly; a bad row fails its job only; a failed job's old leaflet never stays printable."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leaflet import batch
from leaflet.cli import main

from .conftest import DATA, all_text


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # messages name files relative to the working folder


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(DATA / "content", folder)
    return folder


def mail_merge(tmp_path: Path, content: Path, name: str, body: str, *extra: str) -> tuple[int, str, Path]:
    jobs = tmp_path / name
    jobs.write_text(body, encoding="utf-8")
    out = tmp_path / "out"
    code, text = run("batch", "--jobs", str(jobs), "--content", str(content), "-o", str(out), "-j", "1", *extra)
    return code, text, out


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_a_comma_in_the_last_column_fails_that_row_not_the_notes(tmp_path, content):
    body = ("output,medicine,name,notes\n"
            "ann.pdf,testamol,Ann,Do not take with alcohol, opioids or sleeping pills\n"
            'bob.pdf,testamol,Bob,"Do not take with alcohol, opioids or sleeping pills"\n')
    code, text, out = mail_merge(tmp_path, content, "jobs.csv", body)
    assert code == 1
    assert "FAILED  ann.pdf: jobs.csv:2: this row has 5 fields, more than the 4 columns of the header" in text
    assert not (out / "ann.pdf").exists()
    assert "Do not take with alcohol, opioids or sleeping pills" in all_text((out / "bob.pdf").read_bytes())
    assert "1 built, 0 unchanged, 1 failed" in text


def test_a_short_row_fails_instead_of_losing_its_last_fields(tmp_path, content):
    body = "output,medicine,name,dose,unit\nann.pdf,testamol,Ann,2\nbob.pdf,testamol,Bob,2,mg\n"
    code, text, out = mail_merge(tmp_path, content, "jobs.csv", body)
    assert code == 1 and "jobs.csv:2: this row has 4 fields, fewer than the 5 columns" in text
    assert sorted(p.name for p in out.glob("*.pdf")) == ["bob.pdf"]


def test_line_numbers_count_lines_of_quoted_fields(tmp_path, content):
    body = ('output,medicine,notes\n'
            'ann.pdf,testamol,"line one\nline two\nline three"\n'
            'bob.pdf,testamol,x,y\n'
            '\n'
            'cy.pdf,testamol,"unfinished"quote\n')
    code, text, out = mail_merge(tmp_path, content, "jobs.csv", body)
    assert code == 1
    assert "FAILED  bob.pdf: jobs.csv:5: this row has 4 fields" in text
    assert "jobs.csv:7: this row cannot be read as CSV" in text
    assert sorted(p.name for p in out.glob("*.pdf")) == ["ann.pdf"]


def test_every_bad_row_is_reported_and_the_rest_are_built(tmp_path, content):
    rows = [f"p{i:02d}.pdf,testamol,Patient {i},2026-11-20,1,tablet" for i in range(24)]
    rows[3] = "p03.pdf,testamol,Patient 3,2026-02-30,1,tablet"     # no such date
    rows[9] = "p09.pdf,testamol,Patient 9,2026-11-20,1,bucket"      # no such unit
    rows[15] = "../p15.pdf,testamol,Patient 15,2026-11-20,1,tablet"  # not a plain file name
    rows[20] = "p20.pdf,nosuchmedicine,Patient 20,2026-11-20,1,tablet"
    body = "output,medicine,name,date_dispensed,dose,unit\n" + "\n".join(rows) + "\n"
    code, text, out = mail_merge(tmp_path, content, "jobs.csv", body)
    assert code == 1
    for line in (5, 11, 17):
        assert f"jobs.csv:{line}:" in text
    assert "FAILED  p20.pdf: unknown medicine 'nosuchmedicine'" in text
    assert "20 built, 0 unchanged, 4 failed" in text
    built = {p.name for p in out.glob("*.pdf")}
    assert len(built) == 20 and not built & {"p03.pdf", "p09.pdf", "p20.pdf"}
    listed = manifest(out)
    assert {e["output"] for e in listed["outputs"]} == built
    assert sorted(f["line"] or 0 for f in listed["failed"]) == [0, 5, 11, 17]


def test_two_jobs_for_one_file_both_fail(tmp_path, content):
    body = "output,medicine,name\nann.pdf,testamol,Ann\nbob.pdf,testamol,Bob\nANN.pdf,testamol,Other Ann\n"
    code, text, out = mail_merge(tmp_path, content, "jobs.csv", body)
    assert code == 1
    assert "jobs.csv:2: two jobs write the same file 'ann.pdf' (also line 4)" in text
    assert "jobs.csv:4: two jobs write the same file 'ANN.pdf' (also line 2)" in text
    assert sorted(p.name for p in out.glob("*.pdf")) == ["bob.pdf"]


def test_yaml_job_entries_fail_one_by_one(tmp_path, content):
    body = ("jobs:\n"
            "  - {output: a.pdf, medicine: testamol}\n"
            "  - just a string\n"
            "  - {output: c.pdf, medicine: testamol, colour: red}\n"
            "  - {output: d.pdf, medicine: testamol, language: no}\n"
            "  - {output: e.pdf, medicine: testamol, fillable: maybe}\n"
            "  - {output: f.pdf, medicine: testamol, patient: {name: F, shoe_size: 9}}\n"
            "  - {output: g.pdf, medicine: testamol, name: G, patient: {name: Other G}}\n"
            "  - {output: h.pdf, medicine: testamol, fillable: true}\n")
    code, text, out = mail_merge(tmp_path, content, "jobs.yaml", body)
    assert code == 1
    assert "jobs.yaml:3:5: each job must be a mapping of fields" in text
    assert "FAILED  c.pdf: jobs.yaml:4:5: unknown field(s): colour" in text
    assert "FAILED  d.pdf: " in text and "no 'no' leaflet for testamol" in text  # text, not YAML's false
    assert "FAILED  e.pdf: jobs.yaml:6:5: fillable must be true or false, found 'maybe'" in text
    assert "FAILED  f.pdf: jobs.yaml:7:5: invalid patient data" in text and "shoe_size" in text
    assert "FAILED  g.pdf: jobs.yaml:8:5: 'name' is given twice" in text
    assert sorted(p.name for p in out.glob("*.pdf")) == ["a.pdf", "h.pdf"]


@pytest.mark.parametrize("body, message", [
    ("jobs: {output: a.pdf}\n", "holds a list of jobs"),
    ("jobs: []\ntypo: 1\n", "unknown key(s): typo"),
    ("output,medicine\n", "has no jobs"),
])
def test_a_job_file_that_is_not_a_list_of_jobs_is_a_user_error(tmp_path, content, body, message):
    name = "jobs.csv" if body.startswith("output") else "jobs.yaml"
    code, text, _ = mail_merge(tmp_path, content, name, body)
    assert code == 2 and message in text and "Traceback" not in text


def test_a_failed_job_moves_yesterdays_leaflet_aside(tmp_path, content):
    day1 = "output,medicine,name,dose,unit\nann.pdf,testamol,Ann,2,mg\nbob.pdf,testamol,Bob,1,tablet\n"
    code, _, out = mail_merge(tmp_path, content, "jobs.csv", day1)
    assert code == 0 and "2 mg" in all_text((out / "ann.pdf").read_bytes())
    day2 = "output,medicine,name,dose,unit\nann.pdf,testamol,Ann,10,bucket\nbob.pdf,testamol,Bob,1,tablet\n"
    code, text, out = mail_merge(tmp_path, content, "jobs.csv", day2)
    assert code == 1
    assert not (out / "ann.pdf").exists()
    assert "2 mg" in all_text((out / "ann.pdf.stale-failed").read_bytes())  # kept for the record, not as *.pdf
    assert "the previous ann.pdf is out of date: moved aside to ann.pdf.stale-failed" in text
    assert "1 out-of-date leaflet of failed jobs moved aside" in text
    listed = manifest(out)
    assert [e["output"] for e in listed["outputs"]] == ["bob.pdf"]
    assert listed["failed"][0]["output"] == "ann.pdf" and listed["failed"][0]["set_aside"] == "ann.pdf.stale-failed"
    day3 = "output,medicine,name,dose,unit\nann.pdf,testamol,Ann,10,mg\nbob.pdf,testamol,Bob,1,tablet\n"
    code, text, out = mail_merge(tmp_path, content, "jobs.csv", day3)
    assert code == 0 and "10 mg" in all_text((out / "ann.pdf").read_bytes())
    assert not (out / "ann.pdf.stale-failed").exists() and manifest(out)["failed"] == []


def test_a_job_failing_while_it_is_built_moves_its_old_leaflet_aside(tmp_path, content):
    out = tmp_path / "out"
    batch.run([batch.Job("x.pdf", "testamol", patient={"name": "X"})], out, workers=1, content_dirs=[content])
    (content / "testamol" / "en.yaml").write_text("schema: 1\nlanguage: en\nmedicine: {}\n")  # now broken
    summary = batch.run([batch.Job("x.pdf", "testamol", patient={"name": "X"})], out, workers=1,
                        content_dirs=[content])
    assert summary.count("failed") == 1 and summary.results[0].stale == "x.pdf.stale-failed"
    assert not (out / "x.pdf").exists() and (out / "x.pdf.stale-failed").is_file()


HEADER = ["output", "medicine", "name", "notes", "prescriber"]
any_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(any_text, min_size=1, max_size=7), min_size=1, max_size=6))
def test_every_csv_row_is_read_exactly_or_refused(tmp_path, rows):
    """The rule for the CSV reader: a row's fields are what was written, or the row is an error."""
    path = tmp_path / "fuzz.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    read = batch._read_csv(path)
    expected = [row for row in rows if not (len(row) == 1 and not row[0].strip())]  # a blank line is skipped
    assert len(read) == len(expected)
    for row, (where, got) in zip(expected, read, strict=True):
        if len(row) == len(HEADER):
            assert got == {k: v.strip() for k, v in zip(HEADER, row, strict=True) if v.strip()}
        else:
            assert isinstance(got, batch._BadRow) and "fields" in got.error.message and where.line
