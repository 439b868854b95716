"""The command line, run in-process: what people type, what they see, and the exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from leaflet import __version__
from leaflet.cli import main

from .conftest import EXAMPLES, ROOT, all_text


def run(*argv: str) -> tuple[int, str, str, bytes]:
    out, err, raw = io.StringIO(), io.StringIO(), io.BytesIO()
    code = main(list(argv), stdout=out, stderr=err, stdout_bytes=raw)
    return code, out.getvalue(), err.getvalue(), raw.getvalue()


def test_build_writes_the_file(tmp_path):
    target = tmp_path / "leaflet.pdf"
    code, _, err, _ = run("build", "diazepam", "--patient", str(EXAMPLES / "patient.yaml"),
                          "--notes", "Bring this leaflet to your review.", "-o", str(target))
    assert code == 0, err
    data = target.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert "Bring this leaflet to your review." in all_text(data)
    assert "wrote" in err and [p.name for p in tmp_path.iterdir()] == ["leaflet.pdf"]


def test_build_to_standard_output():
    code, _, _, raw = run("build", "diazepam", "--paper", "letter", "-o", "-")
    assert code == 0 and raw.startswith(b"%PDF-")


def test_build_default_file_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("build", "diazepam", "--template", "large-print")[0] == 0
    assert (tmp_path / "diazepam-en.pdf").is_file()


def test_notes_file(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("Line one\nLine two & three")
    code, _, _, raw = run("build", "diazepam", "--notes-file", str(notes), "-o", "-")
    assert code == 0 and "Line two & three" in all_text(raw)


@pytest.mark.parametrize("argv", [[], ["build"], ["check"], ["list"], ["schema"]])
def test_help_everywhere(argv):
    code, out, _, _ = run(*argv, "--help")
    assert code == 0 and "usage: leaflet" in out


def test_build_help_names_every_shipped_template():
    code, out, _, _ = run("build", "--help")
    names = " ".join(out.split())  # (argparse wraps the help text)
    assert code == 0 and "compact, large-print, side-heads, standard, or the path" in names


@pytest.mark.parametrize("argv", [[], ["build"], ["check"], ["list"], ["schema"]])
def test_version_everywhere(argv):
    code, out, _, _ = run(*argv, "--version")
    assert code == 0 and __version__ in out


def test_list():
    code, out, _, _ = run("list")
    assert code == 0 and "templates: compact, large-print, side-heads, standard" in out
    line = next(line for line in out.splitlines() if line.strip().startswith("diazepam ("))
    assert "en" in line.split("(")[1].rstrip(")").split(", ")


def test_schema_is_json():
    code, out, _, _ = run("schema")
    schema = json.loads(out)
    assert code == 0 and schema["title"] == "Leaflet content" and "sections" in schema["properties"]


@pytest.mark.parametrize("argv, message, exit_code", [
    (["build", "diazepan"], "unknown medicine 'diazepan'", 2),
    (["build", "diazepam", "--lang", "xx"], "no 'xx' leaflet for diazepam", 2),
    (["build", "diazepam", "--template", "fancy"], "unknown template 'fancy'", 2),
    (["build", "diazepam", "--template", "./no/such/folder"], "is not a template folder", 2),
    (["build", "diazepam", "--patient", "/no/such/patient.yaml"], "patient file not found", 2),
    (["build", "diazepam", "--notes", "x" * 7000], "at most 6000", 2),
    (["build", "diazepam", "--notes", "snow \u2603"], "U+2603 SNOWMAN", 2),
    (["build", "diazepam", "-o", "/no/such/folder/x.pdf"], "does not exist", 3),
    (["build", "diazepam", "-o", "/proc/version"], "cannot write", 3),
    (["build", "diazepam", "--notes-file", "/no/such/notes.txt"], "notes file not found", 2),
    (["check", "/no/such/content"], "does not exist", 2),
])
def test_user_errors_get_one_message_and_no_traceback(argv, message, exit_code):
    code, out, err, raw = run(*argv)
    assert code == exit_code
    assert message in err and err.startswith("leaflet: error:")
    assert "Traceback" not in err and not raw


def test_unwritable_folder(tmp_path):
    if os.geteuid() == 0:
        target = "/proc/leaflet.pdf"  # root can write anywhere else
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o500)
        target = str(folder / "x.pdf")
    code, _, err, _ = run("build", "diazepam", "-o", target)
    assert code == 3 and "cannot write" in err


def test_failed_build_leaves_no_file_and_sets_the_old_one_aside(tmp_path):
    target = tmp_path / "leaflet.pdf"
    target.write_bytes(b"old")
    code, _, err, _ = run("build", "diazepam", "--notes", "\u2603", "-o", str(target))
    assert code == 2
    assert (tmp_path / "leaflet.pdf.stale-failed").read_bytes() == b"old"  # not printed as the new one
    assert [p.name for p in tmp_path.iterdir()] == ["leaflet.pdf.stale-failed"]  # no temporary left behind


def test_usage_error_exit_code():
    code, _, _, _ = run("build", "diazepam", "--paper", "a3")
    assert code == 2


def test_internal_errors_are_reported_without_traceback(monkeypatch):
    import leaflet.cli as cli

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "build_pdf", broken)
    monkeypatch.delenv("LEAFLET_DEBUG", raising=False)
    code, _, err, _ = run("build", "diazepam")
    assert code == 70 and "internal error" in err and "boom" in err and "Traceback" not in err


def test_real_command_line(tmp_path):
    """The installed entry point, as a person runs it."""
    result = subprocess.run([sys.executable, "-m", "leaflet", "build", "nothing"], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 2
    assert result.stderr.startswith("leaflet: error: unknown medicine") and "Traceback" not in result.stderr
