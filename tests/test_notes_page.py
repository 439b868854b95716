"""Notes after page 1: the prescription panel names the page their box starts on, as printed."""

from __future__ import annotations

import dataclasses
import re
import warnings

import pytest

import leaflet
from leaflet import i18n, pdf, pipeline
from leaflet.errors import LeafletWarning

from .conftest import EXAMPLES
from .test_counter_layout import build, outline_pages, pdfium_pages, squeezed

LONG = "Keep a diary of every dose you take. " * 30  # 1,110 characters: always at the end
PHARMACY = {"pharmacy": EXAMPLES / "pharmacy.yaml"}
NAMED = "See the prescriber notes on page {page}."


def named_and_printed(data: bytes, lang: str) -> tuple[int | None, int]:
    """The page page 1's panel names for the notes (None: it names none), and the page the notes box's
    title is first printed on after page 1 (read back with PDFium, as a reader's tools see it)."""
    gettext = i18n.translations(lang).gettext
    pages = [squeezed(text) for text in pdfium_pages(data)]
    before = squeezed(gettext(NAMED).split("{page}")[0])
    # (an Arabic line is read back with its full stop before the number: "الصفحة.12")
    found = re.search(re.escape(before) + r"\.?(\d+)", pages[0])
    title = squeezed(gettext("Prescriber notes"))
    printed = next(n for n, text in enumerate(pages) if n > 0 and title in text) + 1
    return (int(found.group(1)) if found else None), printed


@pytest.mark.parametrize("template,paper", [("standard", "a4"), ("large-print", "letter"), ("compact", "a4")])
@pytest.mark.parametrize("lang", ["en", "de", "fr", "ar", "hi", "zh-Hans", "ko", "ru"])
def test_long_notes_are_named_by_the_page_their_title_is_printed_on(lang, template, paper):
    data = build(lang, template, paper, notes=LONG, **PHARMACY)
    named, printed = named_and_printed(data, lang)
    assert named == printed, f"{lang} {template} {paper}: page 1 names page {named}, the notes start on {printed}"
    assert outline_pages(data)[i18n.translations(lang).gettext("Prescriber notes")] == printed


@pytest.mark.parametrize("lang", ["hi", "ar"])
def test_short_notes_moved_for_the_important_box_are_named_by_their_page(monkeypatch, lang):
    """The leaflets that moved their short notes to the end (Hindi and Arabic large print on Letter
    under the header), with the panel as tall as it was then: its rows never set closer (German and
    French, then Arabic and Hindi, no longer need the move: that remedy gives their box the room)."""
    from leaflet import pipeline

    laid_out = pipeline._laid_out
    monkeypatch.setattr(pipeline, "_laid_out", lambda *args, tight=False, **kw: laid_out(*args, **kw))
    with warnings.catch_warnings():  # (not the test module's kept builds: those had the rows set closer)
        warnings.simplefilter("ignore", LeafletWarning)
        data = leaflet.build_pdf("diazepam", language=lang, template="large-print", paper="letter",
                                 patient=EXAMPLES / "patient.yaml", **PHARMACY)
    pages = [squeezed(text) for text in pdfium_pages(data)]
    assert squeezed("This is a short course: 2 weeks.") not in pages[0]  # moved
    named, printed = named_and_printed(data, lang)
    assert named == printed and printed > 1
    assert squeezed("This is a short course: 2 weeks.") in pages[printed - 1]


def test_the_sentence_is_the_page_not_the_end_of_the_leaflet_in_english():
    text = " ".join(pdfium_pages(build(notes=LONG))[0].split())
    assert re.search(r"See the prescriber notes on page \d+\.", text)
    assert "at the end of this leaflet" not in text


def test_notes_on_page_one_name_no_page():
    text = squeezed(pdfium_pages(build("en", "standard", "a4", **PHARMACY))[0])
    assert squeezed("This is a short course: 2 weeks.") in text and "Seetheprescribernotes" not in text


def _layouts(monkeypatch) -> list[int | None]:
    """The ``notes_page`` of every layout the next builds make."""
    made: list[int | None] = []
    original = pipeline._laid_out

    def laid_out(req, marked, notes_on_page_one, notes_page=None, tight=False, close=False):
        made.append(notes_page)
        return original(req, marked, notes_on_page_one, notes_page, tight, close)

    monkeypatch.setattr(pipeline, "_laid_out", laid_out)
    return made


def test_a_leaflet_with_its_notes_on_page_one_is_laid_out_once(monkeypatch):
    made = _layouts(monkeypatch)
    leaflet.build_pdf("diazepam", patient=EXAMPLES / "patient.yaml", notes="Take with food.")
    assert made == [None]


def test_long_notes_are_laid_out_once_more_with_their_page(monkeypatch):
    made = _layouts(monkeypatch)
    data = leaflet.build_pdf("diazepam", patient=EXAMPLES / "patient.yaml", notes=LONG)
    assert made[0] is None and len(made) == 2 and made[1] == named_and_printed(data, "en")[1]


def test_the_end_of_the_leaflet_is_said_when_the_number_would_move_the_notes(monkeypatch):
    """If the panel's sentence with the number moved the notes to another page (it breaks onto another
    line), page 1 says "at the end" rather than name a wrong page."""
    original = pipeline._laid_out

    def laid_out(req, marked, notes_on_page_one, notes_page=None, tight=False, close=False):
        laid = original(req, marked, notes_on_page_one, notes_page, tight, close)
        if notes_page is None:
            return laid
        return dataclasses.replace(laid, pages={**laid.pages, "prescriber-notes": notes_page + 1})

    monkeypatch.setattr(pipeline, "_laid_out", laid_out)
    data = leaflet.build_pdf("diazepam", patient=EXAMPLES / "patient.yaml", notes=LONG)
    text = " ".join(pdfium_pages(data)[0].split())
    assert "See the prescriber notes at the end of this leaflet." in text and "on page" not in text


def test_page_numbers_are_printed_with_0_9_digits_in_arabic_as_in_the_footer():
    assert i18n.page_number(12) == "12" == pdf._fill("{page}", 12, 14)
    data = build("ar", notes=LONG)
    named, printed = named_and_printed(data, "ar")
    assert named == printed
    assert not re.search("[\u0660-\u0669\u06f0-\u06f9]", pdfium_pages(data)[0])  # no Arabic-Indic digits


@pytest.mark.parametrize("lang", ["en", "de", "fr", "es", "pl", "ru", "vi", "ar", "hi", "zh-Hans", "ko"])
def test_the_page_number_is_never_the_first_word_of_a_line(lang):
    """"page / 12" must not break: the space before the number is a no-break space (as between a
    number and its unit)."""
    import warnings
    import xml.etree.ElementTree as ET

    req = pipeline._request("diazepam", lang, "standard", "a4", {"name": "A B"}, LONG, None, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LeafletWarning)  # (draft translations)
        source, tpl, _body = pipeline._markup(req)
    tree = pipeline._patient_markup(req, tpl, {}, source, True, notes_page=12)
    text = "".join(ET.tostring(tree, encoding="unicode", method="text"))
    at = text.index("12")
    assert text[at - 1] != " ", f"{lang}: {text[max(0, at - 30):at + 5]!r}"


@pytest.mark.parametrize("lang", ["en", "ar", "hi", "zh-Hans", "ko"])
def test_the_notes_box_s_hint_is_set_smaller_than_its_title(lang):
    """"for the patient, from the prescriber or pharmacist" is the small style, under or after the title
    in the title's style; in Arabic and Hindi it was the title's 10.5 pt bold, read as part of it."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    gettext = i18n.translations(lang).gettext
    title, hint = gettext("Prescriber notes"), gettext("for the patient, from the prescriber or pharmacist")
    data = build(lang, "standard", "a4", notes=LONG)
    for page in list(pdfium.PdfDocument(data))[1:]:
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        if title in text and hint in text:
            sizes = [raw.FPDFText_GetFontSize(textpage.raw, text.index(s)) for s in (title, hint)]
            assert sizes[1] < sizes[0] - 1, (lang, sizes)
            return
    pytest.fail(f"{lang}: no page after page 1 has the notes box's title and hint")
