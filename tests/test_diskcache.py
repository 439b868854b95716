"""The on-disk cache (leaflet.diskcache): what one process leaves for the next changes no byte, is
never used once its source has changed, and is never read from a folder others could write to."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

import leaflet
from leaflet import diskcache

from .conftest import ROOT, all_text

BUILD = ("import sys, leaflet; sys.stdout.buffer.write(leaflet.build_pdf('diazepam'))")


def _build_in_a_new_process(cache: str) -> bytes:
    env = dict(os.environ, LEAFLET_CACHE_DIR=cache)
    return subprocess.run([sys.executable, "-c", BUILD], capture_output=True, check=True, cwd=ROOT, env=env).stdout


def _cached_files(folder) -> list:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_a_process_that_finds_the_cache_makes_the_same_bytes(tmp_path):
    cache = tmp_path / "cache"
    first = _build_in_a_new_process(str(cache))
    files = _cached_files(cache)
    # the body's and the patient parts' compiled templates, and the four Noto Sans faces' metrics
    assert len([f for f in files if f.suffix == ".cache"]) >= 2
    assert len([f for f in files if f.suffix == ".metrics"]) == 4
    assert all(f.suffix in (".cache", ".metrics") for f in files)
    stamps = [f.stat().st_ino for f in files]
    second = _build_in_a_new_process(str(cache))
    assert [f.stat().st_ino for f in _cached_files(cache)] == stamps  # read, not made again (a new file: a new inode)
    assert second == first
    assert _build_in_a_new_process("off") == first
    assert not (tmp_path / "off").exists()


def test_the_cache_is_private(tmp_path):
    cache = tmp_path / "cache"
    _build_in_a_new_process(str(cache))
    for folder in [p for p in cache.rglob("*") if p.is_dir()]:
        assert folder.stat().st_mode & 0o022 == 0, folder
    metrics = list(cache.rglob("*.metrics"))
    assert metrics
    for file in metrics:
        assert file.stat().st_mode & 0o077 == 0, file


@pytest.mark.parametrize("where", ["root", "inner"])
def test_a_folder_others_may_write_to_is_not_used(tmp_path, monkeypatch, where):
    cache = tmp_path / "cache"
    monkeypatch.setenv("LEAFLET_CACHE_DIR", str(cache))
    inner = diskcache.private_dir("jinja", "x")
    assert inner is not None
    (cache if where == "root" else inner).chmod(0o777)
    assert diskcache.private_dir("jinja", "x") is None
    if where == "root":
        assert diskcache.jinja_bytecode_cache(("settings",)) is None


def test_a_folder_another_user_owns_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAFLET_CACHE_DIR", str(tmp_path / "cache"))
    assert diskcache.private_dir("jinja") is not None
    monkeypatch.setattr(diskcache, "_uid", lambda: os.getuid() + 1)
    assert diskcache.private_dir("jinja") is None


@pytest.mark.parametrize("value", ["off", "OFF", "0", "", "none"])
def test_the_cache_can_be_turned_off(monkeypatch, value):
    monkeypatch.setenv("LEAFLET_CACHE_DIR", value)
    assert diskcache.root() is None and diskcache.private_dir("jinja") is None


def test_an_edited_template_is_compiled_again(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAFLET_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "mine"
    shutil.copytree(ROOT / "templates" / "standard", folder)
    leaflet.clear_caches()
    before = leaflet.build_pdf("diazepam", template=str(folder))
    assert _cached_files(tmp_path / "cache")
    body = folder / "body.xml.j2"
    body.write_text(body.read_text("utf-8").replace("{#- the sources", '<p>Edited after caching.</p>\n{#- the sources', 1),
                    "utf-8")
    os.utime(body, ns=(body.stat().st_mtime_ns + 10**9,) * 2)
    leaflet.clear_caches()  # as a new process would: only the disk cache is left
    after = leaflet.build_pdf("diazepam", template=str(folder))
    assert "Edited after caching." in all_text(after) and "Edited after caching." not in all_text(before)


def test_a_damaged_cache_file_is_compiled_again(tmp_path):
    cache = tmp_path / "cache"
    good = _build_in_a_new_process(str(cache))
    sizes = {f: f.stat().st_size for f in _cached_files(cache)}
    for f in sizes:
        f.write_bytes(f.read_bytes()[: sizes[f] // 2])  # cut short (no one renames half a file in)
    assert _build_in_a_new_process(str(cache)) == good
    assert {f: f.stat().st_size for f in _cached_files(cache)} == sizes  # compiled and stored again
    for f in _cached_files(cache):
        f.write_bytes(b"not a cache file")
    assert _build_in_a_new_process(str(cache)) == good
