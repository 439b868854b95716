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
    code = ("import leaflet, leaflet.lazyre as l, reportlab.platypus.paragraph as p,"
            " pikepdf.models.metadata._constants as c, reportlab.lib.textsplit as t, yaml.reader as y;"
            " print([isinstance(x, l.LazyPattern) for x in (p.uri_pat, c.re_xml_illegal_chars, t.rx,"
            " y.Reader.NON_PRINTABLE)], p.uri_pat._compiled is None);"
            " print(list(p._uri_split_pairs('https://example.org/a/bc')))")  # ReportLab's use, compiling it
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    # a library that changed its pattern compiles as before; this shows the seed is no longer taken
    taken, split = out.splitlines()
    assert taken.split() == ["[True,", "True,", "True,", "True]", "True"]
    assert split == "[('https://example.org/a/', 'bc'), ('https://example.org/', 'a/bc'), ('https://', 'example.org/a/bc')]"


def test_leaflet_escapes_text_as_xml_sax_saxutils_does():
    from xml.sax.saxutils import escape

    from leaflet.xmltext import escape as ours
    for text in ["a & b < c > d", "&amp; already", "<<&&>>", "", "\u05d0 & \u0627 <b>", "no markup"]:
        assert ours(text) == escape(text)


def test_a_cold_build_does_not_import_what_it_does_not_use(tmp_path):
    code = ("import sys, leaflet.cli as c; sys.argv = ['leaflet', 'build', 'diazepam', '--patient',"
            " 'examples/patient.yaml', '-o', sys.argv[1]]\n"
            "try: c.main()\nexcept SystemExit: pass\n"
            "print(sorted(m for m in ('urllib.request', 'ssl', 'http.client', 'xml.sax.saxutils', 'babel.numbers')"
            " if m in sys.modules))")
    out = tmp_path / "leaflet.pdf"
    run = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.read_bytes().startswith(b"%PDF-")
    assert run.stdout.strip().splitlines()[-1] == "[]"


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
    header = len(rlbridge._METRICS_MAGIC) + 32
    assert marshal.loads((tmp_path / regular_name).read_bytes()[header:])["key"][0] == regular_name[:-8]  # anew
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
    stamps = [file.stat().st_ino for file in kept]  # (a file read back is touched: kept longest)
    assert build(str(cache)) == first  # reads back
    assert [file.stat().st_ino for file in sorted(cache.rglob("*.metrics"))] == stamps  # read, not written
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


def _rewrite(file, change, *, rehash: bool) -> None:
    """Change the tables in a kept metrics file; ``rehash``: and make its checksum agree."""
    blob = file.read_bytes()
    header = len(rlbridge._METRICS_MAGIC) + 32
    kept = marshal.loads(blob[header:])
    change(kept)
    payload = marshal.dumps(kept)
    digest = rlbridge.hashlib.sha256(payload).digest() if rehash else blob[len(rlbridge._METRICS_MAGIC):header]
    file.write_bytes(rlbridge._METRICS_MAGIC + digest + payload)


def test_a_kept_file_whose_tables_were_changed_is_not_used(tmp_path):
    """A damaged file that still reads as tables (the digits 5 and 6 swapped) would print other glyphs:
    its checksum no longer agrees, so the font is parsed again."""
    path = FONTS_DIR / "NotoSans-Regular.ttf"
    data = path.read_bytes()
    rlbridge.load_ttfont("R", str(path), data, tmp_path)
    (file,) = tmp_path.glob("*.metrics")

    def swap(kept):
        table = kept["attrs"]["charToGlyph"]
        table[ord("5")], table[ord("6")] = table[ord("6")], table[ord("5")]

    _rewrite(file, swap, rehash=False)
    font = rlbridge.load_ttfont("R", str(path), data, tmp_path)
    parsed = TTFont("R", str(path), shapable=True)
    assert font.face.charToGlyph[ord("5")] == parsed.face.charToGlyph[ord("5")]
    assert rlbridge._same_font(font, parsed)


@pytest.mark.parametrize("damage", ["no units per em", "no glyph table", "glyph table a list", "short glyphPos"])
def test_a_kept_file_that_is_not_a_font_s_tables_is_parsed_again(tmp_path, damage):
    path = FONTS_DIR / "NotoSans-Regular.ttf"
    data = path.read_bytes()
    rlbridge.load_ttfont("R", str(path), data, tmp_path)
    (file,) = tmp_path.glob("*.metrics")
    changes = {"no units per em": lambda k: k["attrs"].update(unitsPerEm=0),
               "no glyph table": lambda k: k["attrs"].pop("charToGlyph"),
               "glyph table a list": lambda k: k["attrs"].update(charToGlyph=[1, 2]),
               "short glyphPos": lambda k: k["attrs"]["glyphPos"].pop()}
    _rewrite(file, changes[damage], rehash=True)  # (a checksum that agrees: only the shape is wrong)
    font = rlbridge.load_ttfont("R", str(path), data, tmp_path)
    assert rlbridge._same_font(font, TTFont("R", str(path), shapable=True))


def test_a_kept_file_that_is_not_a_regular_file_is_not_read(tmp_path):
    path = FONTS_DIR / "NotoSans-Regular.ttf"
    data = path.read_bytes()
    fifo = tmp_path / (rlbridge.hashlib.sha256(data).hexdigest() + ".metrics")
    os.mkfifo(fifo)  # reading it would wait for a writer for ever
    font = rlbridge.load_ttfont("R", str(path), data, tmp_path)
    assert rlbridge._same_font(font, TTFont("R", str(path), shapable=True))


def test_kept_metrics_are_for_the_file_s_name_too(tmp_path):
    """ReportLab decides from a font file's name whether it may be subset: the same bytes under another
    name are not given the first name's tables."""
    path = FONTS_DIR / "NotoSans-Regular.ttf"
    data = path.read_bytes()
    rlbridge.load_ttfont("R", str(path), data, tmp_path)
    (file,) = tmp_path.glob("*.metrics")
    digest = rlbridge.hashlib.sha256(data).hexdigest()
    other = str(tmp_path / "Renamed.ttf")
    assert rlbridge._read_kept(file, "R", other, data, rlbridge._metrics_key(digest, other)) is None
    assert rlbridge._read_kept(file, "R", str(path), data, rlbridge._metrics_key(digest, str(path))) is not None


def test_a_lazy_pattern_compiles_past_a_cache_that_keeps_returning_it(monkeypatch):
    """Python 3.12 keeps compiled patterns in two caches: a seed moved into the second is what
    re.compile keeps returning. The pattern is compiled past the caches, and replaces the seed there."""
    source, flags = lazyre.SEEDS[0]
    seed = lazyre.LazyPattern(source, int(flags))
    second = {lazyre._key(source, flags): seed}
    monkeypatch.setattr(re, "_cache2", second, raising=False)
    monkeypatch.setattr(re, "compile", lambda *args, **kwargs: seed)
    compiled = seed.compiled()
    assert isinstance(compiled, re.Pattern) and compiled.match("https://example.org/a")
    assert second[lazyre._key(source, flags)] is compiled


def test_a_lazy_pattern_copies_pickles_and_compares_as_its_pattern():
    import copy
    import pickle

    source, flags = lazyre.SEEDS[1]
    lazy, real = lazyre.LazyPattern(source, flags), re.compile(source, flags)
    assert lazy == real and lazy == lazyre.LazyPattern(source, flags) and hash(lazy) == hash(real)
    for other in (copy.copy(lazy), copy.deepcopy(lazy), pickle.loads(pickle.dumps(lazy))):
        assert other.sub("#", "a\x01b") == real.sub("#", "a\x01b") == "a#b"


@pytest.mark.parametrize("command, collects", [("build", False), ("batch", True)])
def test_only_a_single_build_runs_without_the_cyclic_garbage_collector(command, collects, tmp_path):
    argv = {"build": ["build", "diazepam", "--patient", "examples/patient.yaml", "-o", str(tmp_path / "l.pdf")],
            "batch": ["batch", "--medicine", "diazepam", "--lang", "en", "--template", "compact", "--paper", "a4",
                      "-j", "1", "-o", str(tmp_path / "out")]}[command]
    code = ("import gc, os, sys\nfrom leaflet import __main__ as entry\nleave = os._exit\n"
            "def seen(code):\n    sys.stdout.write(f'exit {code} collecting {gc.isenabled()}\\n')\n"
            "    sys.stdout.flush()\n    leave(code)\n"
            "os._exit = seen\nsys.argv = ['leaflet', *sys.argv[1:]]\nentry.main()\n")
    run = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT)
    assert run.stdout.splitlines()[-1] == f"exit 0 collecting {collects}", run.stderr
    assert any(tmp_path.rglob("*.pdf"))
