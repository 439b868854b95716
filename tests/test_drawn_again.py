"""Paragraphs drawn from memory (rlbridge._drawn_again): a paragraph of content words is drawn again as
it was drawn before only when that gives the very bytes drawing it would, for every patient, language,
template and option; and it is, so that a new patient's leaflet costs less."""

from __future__ import annotations

import warnings

import pytest
import yaml

import leaflet
from leaflet import rlbridge

from .conftest import EXAMPLES

BASE = yaml.safe_load((EXAMPLES / "patient.yaml").read_text("utf-8"))
#: Names with letters the leaflet's own text has, and letters it does not have (new subset codes early
#: on page 1, which shift the codes of every letter first used after them), and one in the language's
#: own script.
NAMES = ("Ann Example", "Zoë Ægir-Łukasz", "Bob O\u2019Neil \u00bd")
OWN = {"ar": "\u0645\u062d\u0645\u062f", "hi": "\u0930\u093e\u092e", "zh-Hans": "\u674e\u5c0f\u9f99",
       "ko": "\uae40\ubbfc\uc900", "ru": "\u0418\u0432\u0430\u043d"}


def _cases():
    languages = ("en", "de", "ru", "ar", "hi", "zh-Hans", "ko")
    names = [(language, name) for language in languages
             for name in (*NAMES, *([OWN[language]] if language in OWN else []))]
    for number, (language, name) in enumerate(names):
        template = ("standard", "compact", "large-print", "side-heads")[number % 4]
        yield dict(language=language, template=template, paper=("a4", "letter")[number % 2],
                   patient=dict(BASE, name=name), notes=f"Review on day {number}. {name}",
                   pharmacy=EXAMPLES / "pharmacy.yaml" if number % 3 == 0 else None,
                   tagged=number % 5 != 4, fillable=number % 7 == 3)


def _build_all(cases):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # draft translations
        return [leaflet.build_pdf("diazepam", **case) for case in cases]


def test_a_paragraph_drawn_from_memory_gives_the_bytes_drawing_it_gives(monkeypatch):
    """26 leaflets one after another (each reusing what the ones before drew), then the same 26 with
    every paragraph drawn by ReportLab: byte for byte the same. Most paragraphs came from memory."""
    cases = list(_cases())
    replayed = []
    replay = rlbridge._replay
    monkeypatch.setattr(rlbridge, "_replay", lambda canv, script: replayed.append(1) or replay(canv, script))
    _build_all(cases[:7])  # the first patient of each language draws what the others may reuse
    replayed.clear()
    ours = _build_all(cases)
    # (about 1,500: many of the 26 are the first of their template, paper and tagging in a language)
    assert len(replayed) > 1200
    monkeypatch.setattr(rlbridge, "_drawn_again", lambda para: False)  # ReportLab draws every paragraph
    monkeypatch.setattr(rlbridge, "_page_contents", lambda page, personal: None)  # and encodes every page stream
    theirs = _build_all(cases)
    different = [(case["language"], case["template"], case["patient"]["name"])
                 for case, a, b in zip(cases, ours, theirs, strict=True) if a != b]
    assert different == []


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_new_patient_draws_most_of_the_leaflet_from_memory(language, monkeypatch):
    drawn, replayed = [], []
    draw, replay = rlbridge.Paragraph.draw, rlbridge._replay
    monkeypatch.setattr(rlbridge.Paragraph, "draw", lambda para: drawn.append(1) or draw(para))
    monkeypatch.setattr(rlbridge, "_replay", lambda canv, script: replayed.append(1) or replay(canv, script))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for number in range(3):
            drawn.clear()
            replayed.clear()
            # a name with letters the leaflet lacks, and the panel's form and directions (whose Arabic
            # letters come before the content's): written last, they move no code of the content's
            name = _STRANGERS[language][number % 2]
            leaflet.build_pdf("diazepam", language=language, patient=dict(BASE, name=f"{name} {number}"),
                              notes=f"{name}: review on day {number}.")
    # every paragraph of the medicine's words, also those whose letters (Arabic's shaped glyphs) have
    # no code yet in this document: they are given the codes drawing would give them
    assert len(replayed) > 8 * len(drawn)


def test_links_and_first_uses_are_drawn_as_usual():
    """A paragraph with a link places an annotation: never drawn from memory. A paragraph whose letters
    have no code yet in this document gives them codes: drawn as usual."""
    from reportlab.lib.styles import ParagraphStyle

    style = ParagraphStyle("t", fontName="Helvetica", fontSize=10, leading=12)
    linked = rlbridge.LeafletParagraph('See <a href="https://example.org/">example.org</a>.', style, memo=True)
    linked.wrap(200, 100)
    assert rlbridge._drawable(linked) is False
    plain = rlbridge.LeafletParagraph("See example.org.", style, memo=True)
    plain.wrap(200, 100)
    assert rlbridge._drawable(plain) is True

    class Doc:
        fontMapping: dict = {}

    class Canv:
        _doc = Doc()

    assert rlbridge._codes(Canv(), (("Helvetica", (83, 101)),)) is None  # not in this document yet


def test_a_new_patient_reuses_the_pages_the_patient_is_not_on():
    """Pages after page 1 are the same for every patient: their streams are compressed once. Page 1,
    with the patient's words, is never kept."""
    store = rlbridge._PAGE_STREAMS
    store.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = leaflet.build_pdf("diazepam", patient=dict(BASE, name="Patient 1"))
        kept = len(store)
        calls = []
        compress = store.put
        try:
            store.put = lambda key, value: calls.append(1) or compress(key, value)
            leaflet.build_pdf("diazepam", patient=dict(BASE, name="Patient 2"))
        finally:
            del store.put
    pages = first.count(b"/Type /Page\n")
    assert pages > 3 and kept == pages - 1 and calls == []


#: Two names per language with letters the leaflet's own words do not have. Written as they are drawn
#: (early on page 1), they would give those letters subset codes first and move the codes of every
#: letter first written after them; they are written after every page is drawn (TextObject._later).
_STRANGERS = {"en": ("Zoë Ægir-Łukasz", "Đorđe Ñúñez Ø"), "ar": ("ژینا پژمان", "ڤيڤيان ڠ"),
              "ko": ("갇갈 갉갊", "걔걘 걜걷")}


def _page_streams(data: bytes) -> list[bytes]:
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [page.Contents.read_bytes() for page in pdf.pages]


@pytest.mark.parametrize("language", sorted(_STRANGERS))
def test_a_patients_letters_move_no_code_of_the_leaflets_own(language):
    """Whoever the patient is, and whatever letters their name and notes bring, every page they are not
    on is the same, operator for operator: their new letters take each font's last subset codes. Each
    name is on page 1, and reads as itself there (PDFium's text)."""
    import pypdfium2

    names = (*_STRANGERS[language], "Ann Example")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        built = [leaflet.build_pdf("diazepam", language=language, patient=dict(BASE, name=name),
                                   notes="Review on day 3.") for name in names]
    streams = [_page_streams(data) for data in built]
    assert len(streams[0]) > 3
    assert all(pages[1:] == streams[0][1:] for pages in streams)
    for name, data in zip(names, built, strict=True):
        page = pypdfium2.PdfDocument(data)[0]
        assert name in page.get_textpage().get_text_range()
        assert b"\x00" not in _page_streams(data)[0]  # (no placeholder left)


def _kept_after(language: str, name: str) -> dict:
    """What the caches that hold codes keep after one build for ``name`` (from empty caches)."""
    from leaflet import caches

    leaflet.clear_caches()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        leaflet.build_pdf("diazepam", language=language, patient=dict(BASE, name=name),
                          notes=f"{name}: review on day 3.")
    kept: dict = {}
    for memo in (rlbridge._DRAWN, rlbridge._PAGE_STREAMS, rlbridge._PAGE_STREAMS_A85):
        kept[memo.name] = sorted(repr((key, memo.get(key).states if memo is rlbridge._DRAWN else memo.get(key)))
                                 for key in memo.keys())
    registered = {entry.name for entry in caches.registered()}
    from leaflet import fonts

    assert "fonts.subsets" in registered
    kept["fonts.subsets"] = sorted(repr(key) for key in fonts._SUBSETS.keys())
    kept["written"] = sorted(repr(sorted(written, key=repr)) for written in _written_of(rlbridge._BROKEN))
    return kept


def _written_of(memo) -> list:
    """The operators kept on each shaped string the line-break cache holds (per font, state, codes)."""
    found, seen = [], set()

    def walk(value, depth=0):
        if id(value) in seen or depth > 8:
            return
        seen.add(id(value))
        if isinstance(value, str):
            written = getattr(value, "__dict__", {}).get(rlbridge._WRITTEN)
            if written is not None:
                found.append(written[1])
        elif isinstance(value, dict):
            for item in value.values():
                walk(item, depth + 1)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item, depth + 1)
        elif hasattr(value, "__dict__"):
            walk(value.__dict__, depth + 1)

    for key in memo.keys():
        walk(memo.get(key))
    return found


@pytest.mark.parametrize("language", sorted(_STRANGERS))
def test_no_cache_keeps_codes_a_patients_letters_gave(language):
    """Subset codes follow the order letters are first written in, so a name with new letters moves
    the codes of what comes after it: nothing kept after the build may depend on which name it was
    (operators of paragraphs and shaped strings, page streams, font subsets)."""
    first, second = (_kept_after(language, name) for name in _STRANGERS[language])
    assert sum(len(v) for v in first.values()) > 50  # (the caches do keep things)
    assert first == second
