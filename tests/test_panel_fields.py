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

import leaflet
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
