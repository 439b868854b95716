"""What makes a cold start quicker changes nothing that prints: regular expressions ReportLab and pikepdf
compile at import are compiled on first use (leaflet.lazyre), and fonts' parsed metrics are read back
from the on-disk cache (leaflet.rlbridge.load_ttfont) as the same font objects ReportLab parses."""

from __future__ import annotations

import marshal
import os
import re
import subprocess
import sys

import pytest
from reportlab.pdfbase.ttfonts import TTFont

import leaflet  # noqa: F401 - seeds re's cache before ReportLab is imported (conftest imports leaflet first)
from leaflet import fonts, lazyre, rlbridge
from leaflet.resources import FONTS_DIR

from .conftest import ROOT

SHIPPED_FILES = sorted({file for faces in fonts.SHIPPED.values() for file in faces.values()})


def test_the_patterns_libraries_compile_at_import_are_lazy():
    code = ("import leaflet, leaflet.lazyre as l, reportlab.platypus.paragraph as p, reportlab.lib.textsplit as t,"
            " pikepdf.models.metadata._constants as c;"
            " print([isinstance(x, l.LazyPattern) for x in (p.uri_pat, t.rx, c.re_xml_illegal_chars)],"
            " p.uri_pat._compiled is None);"
            " print(list(p._uri_split_pairs('https://example.org/a/bc')))")  # ReportLab's use, compiling it
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    # a library that changed its pattern compiles as before; this shows the seed is no longer taken
    taken, split = out.splitlines()
    assert taken.split() == ["[True,", "True,", "True]", "True"]
    assert split == "[('https://example.org/a/', 'bc'), ('https://example.org/', 'a/bc'), ('https://', 'example.org/a/bc')]"


@pytest.mark.parametrize("source, flags", lazyre.SEEDS)
def test_a_lazy_pattern_matches_as_the_pattern_does(source, flags):
    lazy, real = lazyre.LazyPattern(source, flags), re.compile(source, flags)
    samples = ["https://www.ema.europa.eu/en/medicines/human/EPAR/valium", "http://192.168.0.1:8080/x?y#z",
               "ftp://localhost", "not a url", "\u4e2d\u6587 text", "bad \x01 char", "", "https://bücher.de/ä"]
    for text in samples:
        assert bool(lazy.match(text)) == bool(real.match(text))
        assert lazy.findall(text) == real.findall(text)
        assert lazy.sub("#", text) == real.sub("#", text)
    assert (lazy.pattern, lazy.flags) == (real.pattern, real.flags)


@pytest.mark.parametrize("file", SHIPPED_FILES)
def test_a_font_read_back_from_its_kept_metrics_is_the_font_reportlab_parses(file, tmp_path):
    path = str(FONTS_DIR / file)
    data = (FONTS_DIR / file).read_bytes()
    parsed = TTFont("Kept", path, shapable=True)
    first = rlbridge.load_ttfont("Kept", path, data, tmp_path)  # parses, keeps
    kept = list(tmp_path.glob("*.metrics"))
    assert len(kept) == 1
    again = rlbridge.load_ttfont("Kept", path, data, tmp_path)  # reads back
    assert again.face._ttf_data is data
    assert again.face.charToGlyph is not first.face.charToGlyph  # each font its own tables: fonts change them
    for font in (first, again):
        assert rlbridge._same_font(font, parsed)
        assert font.face.charWidths == parsed.face.charWidths
        assert font.face.glyphPos == parsed.face.glyphPos
        assert font.face._ttf_data == data
    assert again.stringWidth("Diazepam 2 mg \u2013 \u00bd", 10) == parsed.stringWidth("Diazepam 2 mg \u2013 \u00bd", 10)
    assert again.face.makeSubset([0, 32, 65, 66]) == parsed.face.makeSubset([0, 32, 65, 66])


def test_kept_metrics_of_another_file_or_damaged_are_not_used(tmp_path):
    regular, bold = FONTS_DIR / "NotoSans-Regular.ttf", FONTS_DIR / "NotoSans-Bold.ttf"
    rlbridge.load_ttfont("B", str(bold), bold.read_bytes(), tmp_path)
    (kept_bold,) = tmp_path.glob("*.metrics")
    regular_name = rlbridge.hashlib.sha256(regular.read_bytes()).hexdigest() + ".metrics"
    (tmp_path / regular_name).write_bytes(kept_bold.read_bytes())  # the bold face's metrics, under the regular's name
    font = rlbridge.load_ttfont("R", str(regular), regular.read_bytes(), tmp_path)
    assert rlbridge._same_font(font, TTFont("R", str(regular), shapable=True))
    assert marshal.loads((tmp_path / regular_name).read_bytes())["key"][0] == regular_name[:-8]  # kept anew
    for damaged in (b"", b"\x00garbage", kept_bold.read_bytes()[:1000]):
        (tmp_path / regular_name).write_bytes(damaged)
        font = rlbridge.load_ttfont("R", str(regular), regular.read_bytes(), tmp_path)
        assert rlbridge._same_font(font, TTFont("R", str(regular), shapable=True))


def test_a_font_that_would_not_be_made_the_same_is_not_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(rlbridge, "_TTFONT_ATTRS", rlbridge._TTFONT_ATTRS | {"something_new"})
    path = FONTS_DIR / "NotoSans-Regular.ttf"
    rlbridge.load_ttfont("R", str(path), path.read_bytes(), tmp_path)
    assert not list(tmp_path.glob("*.metrics"))


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_leaflet_built_with_kept_font_metrics_has_the_same_bytes(language, tmp_path):
    code = ("import sys, leaflet; sys.stdout.buffer.write(leaflet.build_pdf('diazepam', language=sys.argv[1],"
            " patient={'name': 'Ann Example'}))")

    def build(cache: str) -> bytes:
        env = dict(os.environ, LEAFLET_CACHE_DIR=cache)
        return subprocess.run([sys.executable, "-c", code, language], capture_output=True, check=True, cwd=ROOT,
                              env=env).stdout

    cache = tmp_path / "cache"
    first = build(str(cache))  # parses and keeps
    kept = sorted(cache.rglob("*.metrics"))
    assert len(kept) >= 4
    stamps = [file.stat().st_mtime_ns for file in kept]
    assert build(str(cache)) == first  # reads back
    assert [file.stat().st_mtime_ns for file in sorted(cache.rglob("*.metrics"))] == stamps
    assert build("off") == first


def test_metrics_that_would_make_another_font_are_not_kept(tmp_path, monkeypatch):
    restore = rlbridge._restore_ttfont

    def slightly_off(*args):
        font = restore(*args)
        font.face.ascent += 1
        return font

    monkeypatch.setattr(rlbridge, "_restore_ttfont", slightly_off)
    path = FONTS_DIR / "NotoSans-Regular.ttf"
    rlbridge.load_ttfont("R", str(path), path.read_bytes(), tmp_path)
    assert not list(tmp_path.glob("*.metrics"))
