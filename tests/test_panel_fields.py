"""The prescription panel's values on page 1, found in the PDF: where each is set and how it breaks.

Judged on the example patients (``examples/patient.yaml``, ``examples/patient-ar.yaml``) and on one with
long typed names, in every language, template and paper.
"""

from __future__ import annotations

import ctypes
import re
import warnings
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from reportlab.lib.units import mm

import leaflet
from leaflet.layout import WRITE_IN_WIDTH
from leaflet.translations import TranslationWarning

from .conftest import EXAMPLES, ROOT

LANGS = sorted(p.stem for p in (ROOT / "content" / "diazepam").glob("*.yaml"))
TEMPLATES = ("standard", "compact", "large-print")
PAPERS = ("a4", "letter")
_BUILT: dict = {}


def build(lang: str, template: str, paper: str, patient: Path) -> bytes:
    key = (lang, template, paper, str(patient))
    if key not in _BUILT:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TranslationWarning)
            _BUILT[key] = leaflet.build_pdf("diazepam", language=lang, template=template, paper=paper,
                                            patient=patient, form="tablets")
    return _BUILT[key]


def baselines(data: bytes, words: str) -> list[float]:
    """The baselines of the letters of ``words`` on page 1 (their origins: a "g" reaches below its
    line), wherever its words break."""
    text = pdfium.PdfDocument(data)[0].get_textpage()
    whole = text.get_text_range()
    found = re.search(r"\s+".join(map(re.escape, words.split())), whole)
    assert found, f"{words!r} not on page 1"
    x, y = ctypes.c_double(), ctypes.c_double()
    out = []
    for i in range(found.start(), found.end()):
        if whole[i].strip():
            assert pdfium.raw.FPDFText_GetCharOrigin(text.raw, i, x, y)
            out.append(y.value)
    return out


# --- a short value is never broken --------------------------------------------------------------

@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("lang", LANGS)
def test_a_short_half_field_value_is_printed_on_one_line(lang, template, paper):
    """"Dr Sam Rivera" (a half field, beside the pharmacy's) printed "Dr Sam / Rivera" in compact and
    A4 large print: a value that fits on one line somewhere is set under its label or on a row of its
    own, not broken beside it."""
    patients = [EXAMPLES / "patient.yaml"] + ([EXAMPLES / "patient-ar.yaml"] if lang == "ar" else [])
    for patient in patients:
        lows = baselines(build(lang, template, paper, patient), "Dr Sam Rivera")
        assert max(lows) - min(lows) < 0.5, f"{lang} {template} {paper} {patient.name}: 'Dr Sam Rivera' broken"


LONG = """\
name: Ann Example
prescriber: Dr Alexandra Montgomery-Whitfield
pharmacy: Riverside Community Pharmacy
date_dispensed: 2026-11-20
form: tablets
strength: 2
strength_unit: mg
quantity: 42
directions: Take one tablet at night.
"""


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("lang", ["en", "de", "ar", "zh-Hans"])
def test_half_field_values_too_long_to_share_a_row_each_get_one(tmp_path, lang, template, paper):
    """Two typed names too long for half a row, even under their labels, but short enough for a row of
    their own: each has its row, on one line."""
    patient = tmp_path / "patient.yaml"
    patient.write_text(LONG, encoding="utf-8")
    data = build(lang, template, paper, patient)
    for words in ("Dr Alexandra Montgomery-Whitfield", "Riverside Community Pharmacy"):
        lows = baselines(data, words)
        assert max(lows) - min(lows) < 0.5, f"{lang} {template} {paper}: {words!r} broken"


# --- right to left, every value starts at the right ---------------------------------------------

#: What the example patients' panels hold in Latin letters (the "In English" row as the leaflet prints it).
LATIN = {
    "patient.yaml": ["Ann Example", "Dr Sam Rivera", "Medicine: Diazepam 2 mg tablets; Quantity supplied: 42 tablets",
                     "Take one 2 mg tablet up to three times a day when needed for anxiety.",
                     "Do not take more than three tablets in 24 hours."],
    "patient-ar.yaml": ["Dr Sam Rivera", "Medicine: Diazepam (Tablets); Dose: 1 tablet, by mouth (swallow); When: at "
                        "bedtime when needed for trouble sleeping; How long: for 7 days; Maximum: no more than 1 dose "
                        "in 24 hours"],
}


def _arabic(s: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in s)


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("patient", sorted(LATIN))
def test_right_to_left_panel_values_start_at_the_right_whatever_their_script(patient, template, paper):
    """In an Arabic leaflet a panel value in Latin letters ("Ann Example", the "In English" row, typed
    directions) was set from the left of its cell while the Arabic ones started at the right: every
    line of every value ends at its cell's right edge (beside its label: where the Arabic medicine's
    does; under it: where the labels do), and reads left to right inside itself."""
    from leaflet import i18n

    data = build("ar", template, paper, EXAMPLES / patient)
    text = pdfium.PdfDocument(data)[0].get_textpage()
    rects = [(r, text.get_text_bounded(*r)) for r in (text.get_rect(i) for i in range(text.count_rects()))]
    medicine = i18n.translations("ar").gettext("Medicine")
    label = next(r for r, s in rects if s.strip() == medicine)  # (left, bottom, right, top)
    beside = max(r[2] for r, s in rects if r[1] < label[3] and r[3] > label[1] and r[2] < label[0] and _arabic(s))
    edges = (beside, label[2])
    known = "".join("".join(LATIN[patient]).split())
    checked = []
    for r, s in rects:
        piece = "".join(s.split())
        if sum(ch.isascii() and ch.isalpha() for ch in piece) >= 5 and not _arabic(s) and piece in known:
            checked.append(piece)
            assert min(abs(r[2] - edge) for edge in edges) < 1.0, \
                f"{template} {paper} {patient}: {s.strip()!r} ends at {r[2]:.1f} pt, not at {edges}"
    assert len(checked) >= (5 if patient == "patient.yaml" else 3), checked
    whole = " ".join(text.get_text_range().split())
    assert "Medicine: Diazepam" in whole and "Dr Sam Rivera" in whole  # in their own, left-to-right, order


@pytest.mark.parametrize("template", ["standard", "compact", "large-print"])
def test_two_fields_sharing_a_row_are_divided_by_a_rule(template):
    """"42 tablets" and "Date dispensed" side by side read as one phrase to a poor eye (6-8 pt apart in
    large print): a thin vertical rule stands between them."""
    import pypdfium2.raw as raw

    page = pdfium.PdfDocument(build("en", template, "a4", EXAMPLES / "patient.yaml"))[0]
    textpage = page.get_textpage()
    text = textpage.get_text_range()
    value, label = text.index("42 tablets"), text.index("Date")
    right = max(textpage.get_charbox(k)[2] for k in range(value, value + len("42 tablets")))
    left, bottom, _, top = textpage.get_charbox(label)
    rules = [o.get_bounds() for o in page.get_objects(max_depth=5) if o.type == raw.FPDF_PAGEOBJ_PATH]
    between = [r for r in rules if r[2] - r[0] < 3 and right < r[0] < left and r[1] < bottom and r[3] > top]
    assert between, f"{template}: no rule between x={right:.1f} and x={left:.1f}"


# --- a blank beside a long value ---------------------------------------------------------------


@pytest.mark.parametrize("template", (*TEMPLATES, "side-heads"))
@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("name", ["Dr Wolfeschlegelsteinhausen", "Dr Papadopoulou-Konstantinidou", "W" * 20])
def test_a_long_value_beside_a_blank_field_leaves_the_blank_room_to_write(lang, template, name):
    """A prescriber's long name shared a row with a blank date dispensed: the blank's column was left no
    width and the build failed inside ReportLab (an internal error, no leaflet). The name prints, whole,
    and the blank keeps room for a date written by hand."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        data = leaflet.build_pdf("diazepam", language=lang, template=template,
                                 patient={"name": "Ann Example", "prescriber": name})
    text = pdfium.PdfDocument(data)[0].get_textpage().get_text_range()
    # (PDFium gives a right-to-left line's words, and the parts of a hyphenated one, in visual order)
    parts = re.split(r"[ -]", name)
    assert all(part in text for part in parts), f"{lang} {template}: {name!r} not whole on page 1"
    # the blank (in the name's row, or in one of its own): its write-in line is at least 25 mm long
    page = pdfium.PdfDocument(data)[0]
    paths = [o.get_bounds() for o in page.get_objects(max_depth=5) if o.type == pdfium.raw.FPDF_PAGEOBJ_PATH]
    lines = [r[2] - r[0] for r in paths if r[3] - r[1] < 2 and r[2] - r[0] > 3]  # (rules and write-in lines)
    assert lines and min(lines) >= WRITE_IN_WIDTH - 0.5, \
        f"{lang} {template}: a write-in line is {min(lines, default=0) / mm:.1f} mm"



@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_a_long_label_is_set_above_its_value_not_in_five_lines(template, paper):
    """Review finding: "Throw away an opened or mixed bottle on" took five lines of the label column in
    compact (four in large print, "on" alone on the last), making the panel tall. A label that would
    take more than two lines is set above its value, across the row."""
    patient = {"name": "Ann Example", "form": "oral-solution", "strength": "2", "strength_unit": "mg",
               "strength_volume_ml": "5", "quantity": "100", "quantity_unit": "ml", "discard_date": "2026-12-04"}
    page = pdfium.PdfDocument(leaflet.build_pdf("diazepam", template=template, paper=paper, patient=patient))[0]
    textpage = page.get_textpage()
    text = textpage.get_text_range()

    def top(word: str) -> float:
        index = text.index(word)
        return textpage.get_charbox(index)[3]

    size = 16 if template == "large-print" else 10
    first, last, value = top("Throw away"), top("bottle on"), top("4 December 2026")
    assert first - last < 2.6 * size, f"the label takes {(first - last) / size:.1f} lines"
    assert value < last  # the date under it
