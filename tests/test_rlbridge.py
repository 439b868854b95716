"""The ReportLab boundary: nothing changes on import; a missing internal fails loudly."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
import reportlab
from hypothesis import example, given, settings
from hypothesis import strategies as st
from reportlab.pdfbase import ttfonts
from reportlab.platypus import Spacer

import leaflet
from leaflet import rlbridge

from .conftest import ROOT


def test_import_leaflet_leaves_reportlab_unchanged():
    """Importing leaflet changes nothing in ReportLab; the first build makes leaflet's two changes."""
    code = ("import reportlab.platypus.paragraph as p\n"
            "shape, cannot = p.shapeFragWord, p.ALL_CANNOT_START\n"
            "import leaflet, leaflet.pipeline, leaflet.layout, leaflet.pdf, leaflet.fasttext, leaflet.batch\n"
            "print(p.shapeFragWord is shape, p.ALL_CANNOT_START == cannot)\n"
            "leaflet.build_pdf('diazepam')\n"
            "print(p.shapeFragWord is shape, p.ALL_CANNOT_START == cannot, '\\uff0c' in p.ALL_CANNOT_START)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["True", "True", "False", "False", "True"]


def test_a_reportlab_without_an_internal_leaflet_uses_fails_loudly(monkeypatch):
    monkeypatch.delattr(ttfonts.TTFont, "_TTFont__addPrivate")
    with pytest.raises(rlbridge.ReportLabChanged, match=rf"ReportLab {reportlab.Version} has no TTFont\."):
        rlbridge.check()


def test_a_missing_attribute_on_reportlab_objects_fails_loudly_not_silently():
    with pytest.raises(rlbridge.ReportLabChanged, match=reportlab.Version):
        rlbridge.group_content(Spacer(1, 1))  # a flowable without the content leaflet expects
    assert rlbridge.at_frame_top(Spacer(1, 1)) is False  # not in a frame (yet): not at its top


def test_the_installed_reportlab_is_a_tested_version():
    """pyproject.toml pins ReportLab to the versions leaflet is tested with (rlbridge.TESTED)."""
    major, minor = (int(x) for x in reportlab.Version.split(".")[:2])
    assert (major, minor) in rlbridge.TESTED
    pin = next(line for line in (ROOT / "pyproject.toml").read_text().splitlines() if '"reportlab' in line)
    assert pin.strip().startswith(f'"reportlab>={major}.{minor},<{major}.{minor + 1}"'), pin


# --- where a word too long for its line breaks (URLs break at slashes, issue 10) -------------------

_ADDRESS = st.text(alphabet="abcdefgh/-._?=", min_size=1, max_size=120).map(lambda s: "https://" + s)


def _lines(word: str, breaks: list[int]) -> list[str]:
    edges = [0, *breaks, len(word)]
    return [word[a:b] for a, b in zip(edges, edges[1:], strict=False)]


@given(word=_ADDRESS, first=st.integers(0, 40), width=st.integers(4, 40), moves=st.booleans())
@example(word="https://www.medicines.org.uk/emc/search?q=ibuprofen%20100mg%2F5ml%20oral", first=0, width=30,
         moves=True)  # (review finding: "emc/" and "search?q=" set on one line with a space between)
@example(word="https://====a====", first=16, width=4, moves=False)  # (a next piece that fills the line exactly)
@settings(max_examples=300, deadline=None)
def test_a_long_address_breaks_at_the_best_place_that_fits(word, first, width, moves):
    """Each line is as full as it can be at the best kind of place that fits: after a slash, else
    after other punctuation, else between letters; every letter is kept, in order."""
    chars = list(word)
    breaks = rlbridge.word_breaks(chars, [1.0] * len(chars), float(first), lambda k: float(width), moves)
    assert breaks == sorted(set(breaks)) and all(0 <= b < len(chars) for b in breaks)
    lines = _lines(word, breaks)
    assert "".join(lines) == word
    rooms = [first] + [width] * len(breaks)
    for k, (line, room) in enumerate(zip(lines, rooms, strict=False)):
        if not line:  # only the first line, when the word moves to the next
            assert k == 0 and moves
            continue
        assert len(line) <= max(room, 1)
        if k == len(lines) - 1:
            continue
        start = len("".join(lines[:k]))
        # a break after a slash (not inside "//", nor just after it) that would have fitted on this line
        slash_fits = [j for j in range(start + 1, start + room + 1)
                      if j < len(word) and word[j - 1] == "/" and word[j] != "/" and word[j - 2] != "/"]
        # the next piece never fits on this line too (ReportLab would set both on it, a space between:
        # so a piece that would fill the line exactly, with no room for the space, does not count;
        # hypothesis found "https://====" + "a===" on a line of 16)
        if lines[k] and k + 1 < len(lines):
            assert len(line) + len(lines[k + 1]) >= room, (lines, k)
        if slash_fits:
            # the last slash that fits; or further punctuation that fits, when the next line could end
            # at no slash (its piece would otherwise have fitted on this line: the rule above)
            end = start + len(line)
            punctuation_fits = [j for j in range(start + 1, start + room + 1) if j < len(word)
                                and word[j - 1] in "-._~?&=#+" and word[j] not in "-._~?&=#+/"]
            assert end == max(slash_fits) or (end > max(slash_fits) and end == max(punctuation_fits)), (lines, k)
        elif line[-1] not in "/-._~?&=#+":
            assert not any(word[j - 1] in "-._~?&=#+" and word[j] not in "-._~?&=#+/"
                           for j in range(start + 1, start + room + 1) if j < len(word))


def test_a_line_never_ends_with_a_bare_scheme():
    """Review finding: "... kidney function checks. https://" ended a line, the address on the next."""
    chars = list("https://www.example.org/medicines/metformin")
    moved = rlbridge.word_breaks(chars, [1.0] * len(chars), 10.0, lambda k: 30.0, True)
    assert moved[0] == 0  # only "https://" fits after the words before it: the address starts the next line
    moved = rlbridge.word_breaks(chars, [1.0] * len(chars), 20.0, lambda k: 30.0, True)
    assert moved[0] == 0  # nor "https://www.example." (review finding: "https://www." ended a line)
    placed = rlbridge.word_breaks(chars, [1.0] * len(chars), 26.0, lambda k: 30.0, True)
    assert placed[0] == len("https://www.example.org/")  # a first line that ends after the host
    starts = rlbridge.word_breaks(chars, [1.0] * len(chars), 20.0, lambda k: 30.0, False)
    assert starts[0] == len("https://www.example.") and 8 not in starts  # a line of its own: as before


def test_a_short_address_is_not_broken():
    chars = list("https://a.b/")
    assert rlbridge.word_breaks(chars, [1.0] * len(chars), 40.0, lambda k: 40.0, True) == []


@pytest.mark.parametrize("language, template", [("ko", "standard"), ("ko", "compact"), ("zh-Hans", "standard")])
def test_the_copy_a_box_or_column_splits_makes_the_same_leaflet_as_a_deep_copy(language, template, monkeypatch):
    """ReportLab splits a copy of a paragraph that does not fit a box or column (flowables.cdeepcopy):
    LeafletParagraph.deepcopy copies only what splitting changes, and the leaflet is the same as with
    copy.deepcopy; the lines kept for the next build are untouched (a second build is the same)."""
    from leaflet.rlbridge import LeafletParagraph

    def build() -> bytes:
        return leaflet.build_pdf("diazepam", language=language, template=template,
                                 patient=ROOT / "examples" / "patient.yaml", notes="Take with food. " * 20)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # draft translations
        calls = []
        own = LeafletParagraph.deepcopy
        monkeypatch.setattr(LeafletParagraph, "deepcopy", lambda self: calls.append(1) or own(self))
        ours = build()
        assert build() == ours
        if (language, template) == ("ko", "standard"):
            assert calls  # this leaflet splits paragraphs in balanced columns
        monkeypatch.delattr(LeafletParagraph, "deepcopy")  # ReportLab's copy.deepcopy
        leaflet.clear_caches()
        assert build() == ours
