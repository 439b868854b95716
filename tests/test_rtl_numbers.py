"""A number written onto an Arabic word ("و20", "and 20") prints as the number, never reversed."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from reportlab.platypus import SimpleDocTemplate

from leaflet import rlbridge, rtl, templating
from leaflet.flowables import RTLParagraph
from leaflet.layout import paragraph_styles


def _digit_positions(text: str) -> list[tuple[str, float]]:
    """The printed digits of ``text`` set as an Arabic paragraph, left to right on the page."""
    tpl = templating.load_template("standard")
    rlbridge.install()  # as every build does: words shaped through leaflet.fasttext
    runs = tuple(rtl.one_font_per_word([rtl.Run(r, f.regular) for f, r in tpl.body_chain.runs(text)]))
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
    ("الجرعة2.5ملغ", "25"),  # glued on both sides: one word, one run
    ("لمدة14يوما.", "14"),
    ("من10إلى20", "2010"),  # right to left: 10 right of 20, the words between them in place
    ("خذ 10–12ملغ يوميا", "1210"),  # a range reads right to left: 12–10 on the page
    ("خذ 12.5(5)ملغ", "5125"),
    ("و٢٠ مرة", "٢٠"),  # Arabic-Indic digits
    ("الجرعة٢٫٥ملغ", "٢٥"),
    ("الساعة١٠:٣٠صباحا", "١٠٣٠"),
    ("خذ٥٠٪ من", "٥٠"),
])
def test_numbers_glued_to_arabic_words_keep_their_digit_order(text, number):
    digits = "".join(d for d, _ in _digit_positions(text))
    assert digits == number


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = ["الجرعة", "مرة", "في", "و", "ملغ", "يوم", "الإصدار", "mg", "mL"]
_MARKS = ["", " ", "(", ")", ".", "،", "[", "]", ":", " (", ") ", "-", "«", "»", "–", "%", "٪", "/"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.lists(st.sampled_from(_WORDS), min_size=0, max_size=3), left=st.sampled_from(_MARKS),
       number=st.from_regex(r"[1-9][0-9]{0,3}(\.[0-9]{1,2})?|[١-٩][٠-٩]{0,3}(٫[٠-٩]{1,2})?", fullmatch=True),
       right=st.sampled_from(_MARKS),
       after=st.lists(st.sampled_from(_WORDS), min_size=0, max_size=3), glued=st.booleans())
def test_any_number_in_arabic_text_prints_its_digits_in_order(before, left, number, right, after, glued):
    """Wherever a number sits in Arabic text (glued to a word, beside brackets and stops), its digits
    print left to right as written: a number is never reversed."""
    text = " ".join(before) + ("" if glued and before and not left else " ") + left + number + right + " ".join(after)
    digits = "".join(d for d, _ in _digit_positions(text.strip() or number))
    assert digits == number.replace(".", "").replace("٫", ""), text


@pytest.mark.parametrize("language, notes, numbers", [
    ("ar", "خذ قرصين كل37 ساعة. الجرعة2.5ملغ فقط، لمدة14يوما.", ["37", "2.5", "14"]),
    ("ar", "الجرعة 2.5mg مرة(واحدة) 10،مساء", ["2.5", "10"]),
    ("hi", "हर37 घंटे में 2.5mg लें", ["37", "2.5"]),
])
def test_numbers_typed_against_words_print_in_a_whole_leaflet(language, notes, numbers):
    """A prescriber's note typed without spaces around its numbers: each number prints as typed (a
    word in two fonts was shaped with the first font's glyphs, which printed other letters)."""
    import warnings

    import leaflet
    from leaflet.patient import Patient

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = leaflet.build_pdf("diazepam", language=language, patient=Patient(name="Test", notes=notes))
    text = pdfium.PdfDocument(data)[0].get_textpage().get_text_range()
    for number in numbers:
        assert number in text, (number, notes)


@pytest.mark.parametrize("text", ["خذ 10%(2)ملغ", "قرص(5)mg/12.5", "8:30–9:30صباحا", "خذ 1.5–2قرص", "و-20 درجة",
                                  "في١٠/٠٥/٢٠٢٦", "مرة،١٢ يوم", "و۱۲ ساعة", "من10إلى20 مرة", "الجرعة٢٫٥ملغ أو 3mg"])
def test_several_numbers_print_in_the_order_the_bidi_algorithm_gives(text):
    """The digits on the page, left to right, are those of the Unicode bidirectional algorithm's visual
    order (python-bidi's, for text without paired brackets that change it)."""
    from bidi.algorithm import get_display

    expected = "".join(c for c in get_display(text, base_dir="R") if c.isdigit())
    assert "".join(d for d, _ in _digit_positions(text)) == expected
