"""A number written onto an Arabic word ("و20", "and 20") prints as the number, never reversed."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from reportlab.platypus import SimpleDocTemplate

from leaflet import rtl, templating
from leaflet.flowables import RTLParagraph
from leaflet.layout import paragraph_styles


def _digit_positions(text: str) -> list[tuple[str, float]]:
    """The printed digits of ``text`` set as an Arabic paragraph, left to right on the page."""
    tpl = templating.load_template("standard")
    runs = tuple(rtl.Run(r, f.regular) for f, r in tpl.body_chain.runs(text))
    out = io.BytesIO()
    SimpleDocTemplate(out).build([RTLParagraph(runs, paragraph_styles(tpl, "ar")["body"])])
    page = pdfium.PdfDocument(out.getvalue())[0]
    textpage = page.get_textpage()
    chars = textpage.get_text_range()
    return sorted(((chars[i], textpage.get_charbox(i)[0]) for i in range(textpage.count_chars())
                   if chars[i].isdigit()), key=lambda c: c[1])


@pytest.mark.parametrize("text, number", [
    ("يمكن ضبط جهازَي 10 mg و20 mg على جرعة أقل", "2010"),  # right to left: 10 is right of 20
    ("و20 mg", "20"),
    ("20ملغ مرة", "20"),
    ("و2.5 mg", "25"),
    ("في 20 يوم", "20"),
    # a number between a space and a bracket: HarfBuzz sets "1.0)." left to right (no Arabic letter in it)
    ("رُوجعت هذه النشرة آخر مرة في 22 نوفمبر 2026 (الإصدار 1.0).", "10202622"),
    ("(الإصدار 2.5)", "25"),
    ("الجرعة 10) مرة", "10"),
    ("و(20) مرة", "20"),
])
def test_numbers_glued_to_arabic_words_keep_their_digit_order(text, number):
    digits = "".join(d for d, _ in _digit_positions(text))
    assert digits == number
