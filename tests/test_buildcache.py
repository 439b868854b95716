"""Up-to-date builds (leaflet.buildcache): a second ``leaflet build`` of unchanged content writes the
bytes the first one wrote, and any change to anything the build read (content, a file added in an
earlier content folder, template, pharmacy file, logo, settings, leaflet's code) builds it again.

The oracle: after the first build the stored leaflet is swapped for a marker (with a matching checksum,
so the cache would serve it). A second run that writes the marker used the cache; a run after a change
must write the real leaflet, the same bytes as a build with the cache off.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from leaflet import buildcache

from .conftest import EXAMPLES, ROOT

MARKER = b"%PDF-1.4\n% a stale leaflet the cache would hand out\n"


def _run(tmp: Path, *args: str, cache: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = dict(os.environ, LEAFLET_CACHE_DIR=cache or str(tmp / "cache"), **(env or {}))
    result = subprocess.run([sys.executable, "-m", "leaflet", "build", *args], capture_output=True,
                            cwd=tmp, env=environment, timeout=120)
    result.stderr = result.stderr.decode("utf-8")
    return result


def _entries(tmp: Path) -> list[Path]:
    folder = tmp / "cache" / "builds"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _poison(tmp: Path) -> None:
    """Swap every stored leaflet for MARKER, checksum and all: only a cache hit writes it."""
    entries = _entries(tmp)
    assert entries, "nothing was kept"
    for manifest in entries:
        entry = json.loads(manifest.read_text(encoding="utf-8"))
        entry["output"], entry["size"] = hashlib.sha256(MARKER).hexdigest(), len(MARKER)
        manifest.write_text(json.dumps(entry), encoding="utf-8")
        manifest.with_suffix(".out").write_bytes(MARKER)


def _fresh(tmp: Path, *args: str) -> bytes:
    """The same build with the cache off (written outside the folder: `python -m` lists it)."""
    out = tmp.parent / f"{tmp.name}-fresh.pdf"
    result = _run(tmp, *args, "-o", str(out), cache="off")
    assert result.returncode == 0, result.stderr
    return out.read_bytes()


def test_a_second_build_of_unchanged_content_writes_the_same_bytes_and_says_the_same(tmp_path):
    first = _run(tmp_path, "diazepam", "--lang", "en-GB", "-o", "d.pdf")
    assert first.returncode == 0, first.stderr
    assert "using 'en'" in first.stderr  # a warning, printed again by the second run
    built = (tmp_path / "d.pdf").read_bytes()
    (tmp_path / "d.pdf").unlink()
    second = _run(tmp_path, "diazepam", "--lang", "en-GB", "-o", "d.pdf")
    assert second.returncode == 0
    assert second.stderr == first.stderr
    assert (tmp_path / "d.pdf").read_bytes() == built == _fresh(tmp_path, "diazepam", "--lang", "en-GB")
    assert len(_entries(tmp_path)) == 1
    _poison(tmp_path)
    _run(tmp_path, "diazepam", "--lang", "en-GB", "-o", "d.pdf")
    assert (tmp_path / "d.pdf").read_bytes() == MARKER  # the oracle itself: that was a cache hit


def _shipped_copy(tmp: Path) -> Path:
    folder = tmp / "mine" / "diazepam"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "content" / "diazepam" / "en.yaml", folder / "en.yaml")
    return folder / "en.yaml"


def _retitle(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "Diazepam" in text
    path.write_text(text.replace("Diazepam", "Diazepum", 1), encoding="utf-8")


def _change_content(tmp):
    source = _shipped_copy(tmp)
    return ["--content", "mine"], lambda: _retitle(source)


def _add_in_an_earlier_folder(tmp):
    (tmp / "first").mkdir()
    _shipped_copy(tmp)

    def change():
        (tmp / "first" / "diazepam").mkdir()
        shutil.copy(tmp / "mine" / "diazepam" / "en.yaml", tmp / "first" / "diazepam" / "en.yaml")
        _retitle(tmp / "first" / "diazepam" / "en.yaml")
    return ["--content", "first", "--content", "mine"], change


def _change_template(tmp):
    shutil.copytree(ROOT / "templates" / "standard", tmp / "tpl")
    body = tmp / "tpl" / "body.xml.j2"
    return ["--template", "./tpl"], lambda: body.write_text(body.read_text(encoding="utf-8") + "\n",
                                                              encoding="utf-8")


def _change_pharmacy(tmp):
    shutil.copy(EXAMPLES / "pharmacy.yaml", tmp / "pharmacy.yaml")
    shutil.copy(EXAMPLES / "pharmacy-logo.png", tmp / "pharmacy-logo.png")
    path = tmp / "pharmacy.yaml"
    return ["--pharmacy", "pharmacy.yaml"], lambda: path.write_text(
        path.read_text(encoding="utf-8").replace("Pharmacy", "Chemist", 1), encoding="utf-8")


def _change_logo(tmp):
    args, _ = _change_pharmacy(tmp)
    from PIL import Image

    def change():
        with Image.open(tmp / "pharmacy-logo.png") as image:
            image.convert("L").save(tmp / "pharmacy-logo.png")
    return args, change


@pytest.mark.parametrize("setup", [_change_content, _add_in_an_earlier_folder, _change_template,
                                   _change_pharmacy, _change_logo],
                         ids=["content", "a file in an earlier content folder", "template", "pharmacy file",
                              "logo"])
def test_a_change_to_anything_the_build_read_builds_it_again(tmp_path, setup):
    args, change = setup(tmp_path)
    assert _run(tmp_path, "diazepam", *args, "-o", "d.pdf").returncode == 0
    _poison(tmp_path)
    change()
    result = _run(tmp_path, "diazepam", *args, "-o", "d.pdf")
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "d.pdf").read_bytes()
    assert written != MARKER
    assert written == _fresh(tmp_path, "diazepam", *args)


def test_a_different_setting_builds_again(tmp_path):
    assert _run(tmp_path, "diazepam", "-o", "d.pdf").returncode == 0
    _poison(tmp_path)
    _run(tmp_path, "diazepam", "-o", "d.pdf", env={"LEAFLET_SOMETHING": "1"})
    assert (tmp_path / "d.pdf").read_bytes() != MARKER


def test_leaflets_code_is_part_of_the_key(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    module = package / "sub" / "mod.py"
    module.write_text("x = 1\n")
    monkeypatch.setattr(buildcache, "_PACKAGE_DIR", str(package))
    before = buildcache.key(["build", "diazepam"])
    assert buildcache.key(["build", "diazepam"]) == before
    module.write_text("x = 22\n")
    assert buildcache.key(["build", "diazepam"]) != before
    assert buildcache.key(["build", "diazepam", "--paper", "letter"]) != buildcache.key(["build", "diazepam"])


@pytest.mark.parametrize("args", [["--patient", str(EXAMPLES / "patient.yaml")], ["--notes", "Take one at night."],
                                  ["--notes-file", "notes.txt"], ["--pati", str(EXAMPLES / "patient.yaml")]],
                         ids=["patient", "notes", "notes file", "abbreviated option"])
def test_a_build_with_a_persons_data_is_never_kept(tmp_path, args):
    (tmp_path / "notes.txt").write_text("Review in 2 weeks.\n")
    result = _run(tmp_path, "diazepam", *args, "-o", "d.pdf")
    assert result.returncode == 0, result.stderr
    assert _entries(tmp_path) == []
    assert not list((tmp_path / "cache").rglob("*.out"))


def test_standard_output_failures_and_cache_off_keep_nothing(tmp_path):
    assert _run(tmp_path, "diazepam", "-o", "-").returncode == 0
    assert _run(tmp_path, "diazepam", "--template", "nonesuch", "-o", "d.pdf").returncode != 0
    assert _entries(tmp_path) == []
    assert _run(tmp_path, "diazepam", "-o", "d.pdf", cache="off").returncode == 0
    assert not (tmp_path / "off").exists() and _entries(tmp_path) == []


def test_a_damaged_entry_is_not_used(tmp_path):
    assert _run(tmp_path, "diazepam", "-o", "d.pdf").returncode == 0
    good = (tmp_path / "d.pdf").read_bytes()
    [manifest] = _entries(tmp_path)
    stored = manifest.with_suffix(".out")
    stored.write_bytes(stored.read_bytes()[:1000])  # half a file, its checksum unchanged
    (tmp_path / "d.pdf").unlink()
    assert _run(tmp_path, "diazepam", "-o", "d.pdf").returncode == 0
    assert (tmp_path / "d.pdf").read_bytes() == good
    manifest.write_text("{not json")
    assert _run(tmp_path, "diazepam", "-o", "d.pdf").returncode == 0
    assert (tmp_path / "d.pdf").read_bytes() == good


def test_the_cache_keeps_only_the_most_recent_builds(tmp_path, monkeypatch):
    folder = tmp_path / "builds"
    folder.mkdir()
    for k in range(buildcache.MAX_ENTRIES + 5):
        (folder / f"{k:04d}.json").write_text("{}")
        (folder / f"{k:04d}.out").write_bytes(b"x")
        os.utime(folder / f"{k:04d}.json", ns=(k * 10**9, k * 10**9))
    buildcache._prune(str(folder))
    kept = sorted(p.stem for p in folder.glob("*.json"))
    assert len(kept) == buildcache.MAX_ENTRIES and kept[0] == "0005"
    assert sorted(p.stem for p in folder.glob("*.out")) == kept


def test_the_recorder_sees_reads_and_listings_but_not_writes(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAFLET_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "dir").mkdir()
    buildcache.start(["build", "x"])
    try:
        (tmp_path / "a.txt").read_text()
        (tmp_path / "b.txt").write_text("b")
        os.listdir(tmp_path / "dir")
        buildcache.consulted(tmp_path / "nothing-here.yaml")
        recorder = buildcache._recording
        assert recorder is not None
        files, folders = dict(recorder.files), dict(recorder.folders)
    finally:
        buildcache._recording = None
    assert files[str(tmp_path / "a.txt")].startswith("sha256:")
    assert files[str(tmp_path / "nothing-here.yaml")] == "missing"
    assert str(tmp_path / "b.txt") not in files
    assert str(tmp_path / "dir") in folders and str(tmp_path) in folders  # listed; beside a file read


def test_a_fifo_among_the_inputs_is_neither_waited_for_nor_kept(tmp_path):
    os.mkfifo(tmp_path / "pharmacy.yaml")
    result = _run(tmp_path, "diazepam", "--pharmacy", "pharmacy.yaml", "-o", "d.pdf")  # timeout: 120 s
    assert result.returncode != 0 and "FIFO" in result.stderr
    assert _entries(tmp_path) == []


def test_a_file_too_large_or_not_regular_has_no_state_so_its_build_is_not_kept(tmp_path, monkeypatch):
    (tmp_path / "big").write_bytes(b"x" * 100)
    os.mkfifo(tmp_path / "fifo")
    monkeypatch.setattr(buildcache, "MAX_INPUT", 99)
    assert buildcache._state(str(tmp_path / "big"), "file") is None
    assert buildcache._state(str(tmp_path / "fifo"), "file") is None
    assert buildcache._state(str(tmp_path / "gone"), "file") == "missing"
    monkeypatch.setattr(buildcache, "MAX_INPUT", 100)
    assert buildcache._state(str(tmp_path / "big"), "file") == "sha256:" + hashlib.sha256(b"x" * 100).hexdigest()


def _switch_a_link(tmp):
    for release in ("rel-a", "rel-b"):
        (tmp / release / "diazepam").mkdir(parents=True)
        shutil.copy(ROOT / "content" / "diazepam" / "en.yaml", tmp / release / "diazepam" / "en.yaml")
    _retitle(tmp / "rel-b" / "diazepam" / "en.yaml")
    (tmp / "current").symlink_to("rel-a")

    def change():
        (tmp / "current").unlink()
        (tmp / "current").symlink_to("rel-b")
    return ["--content", "current"], change


def _include_beside(tmp):
    """A child template whose parent includes "note.html": a note.html added to the child wins."""
    shutil.copytree(ROOT / "templates" / "standard", tmp / "base")
    body = tmp / "base" / "body.xml.j2"
    text = body.read_text(encoding="utf-8")
    assert "<footer>" in text
    body.write_text(text.replace("<footer>", '{% include "note.html" %}\n<footer>', 1), encoding="utf-8")
    (tmp / "base" / "note.html").write_text("")
    (tmp / "child").mkdir()
    (tmp / "child" / "theme.yaml").write_text("extends: ../base\n")
    return ["--template", "./child"], lambda: (tmp / "child" / "note.html").write_text("<p>Take 2 mg.</p>")


def _new_medicine_folder_in_the_working_folder(tmp):
    (tmp / "content").mkdir()
    return ["--content", ".", "--lang", "zh-CN"], lambda: (
        (tmp / "diazepam").mkdir(), shutil.copy(ROOT / "content" / "diazepam" / "zh-Hans.yaml", tmp / "diazepam" / "zh.yaml"))


@pytest.mark.parametrize("setup", [_switch_a_link, _include_beside, _new_medicine_folder_in_the_working_folder],
                         ids=["a link switched to another release", "a template added beside a child theme",
                              "a medicine folder added to a content folder that is the working folder"])
def test_what_a_review_found_builds_again(tmp_path, setup):
    test_a_change_to_anything_the_build_read_builds_it_again(tmp_path, setup)


def test_content_in_dev_is_never_kept(tmp_path):
    if not os.path.isdir("/dev/shm") or not os.access("/dev/shm", os.W_OK):
        pytest.skip("no /dev/shm")
    import tempfile

    with tempfile.TemporaryDirectory(dir="/dev/shm") as shm:
        shutil.copytree(ROOT / "content" / "diazepam", Path(shm) / "diazepam")
        assert _run(tmp_path, "diazepam", "--content", shm, "-o", "d.pdf").returncode == 0
    assert _entries(tmp_path) == []


def test_a_dangling_link_in_leaflets_folder_breaks_nothing(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / ".#cli.py").symlink_to("nowhere")
    monkeypatch.setattr(buildcache, "_PACKAGE_DIR", str(package))
    assert buildcache.key(["build", "diazepam"])  # no FileNotFoundError
