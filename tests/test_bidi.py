"""Right-to-left ordering against Unicode's own conformance data (BidiCharacterTest.txt).

Every test case is run except those with explicit directional formatting characters (embeddings,
overrides, isolates: leaflet content has none, and the layout does not support them) and those with
"auto" paragraph direction (a leaflet's direction comes from its language). Levels (rules P-I, with
N0 for brackets, and L1) and the visual order (L2) must both match.
"""

from __future__ import annotations

import gzip

import pytest

from leaflet import rtl

from .conftest import DATA

EXPLICIT = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


def cases():
    with gzip.open(DATA / "unicode" / "BidiCharacterTest-15.0.txt.gz", "rt", encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.strip().split(";")
            codes = [int(x, 16) for x in fields[0].split()]
            direction = int(fields[1])
            if direction == 2 or EXPLICIT.intersection(codes):
                continue
            yield number, "".join(map(chr, codes)), direction, fields[3].split(), [int(x) for x in fields[4].split()]


def test_bidi_character_test_conformance():
    checked, failures = 0, []
    for number, text, base, want_levels, want_order in cases():
        got = rtl.line_levels(text, rtl.levels(text, base), base)
        keep = [i for i, w in enumerate(want_levels) if w != "x"]
        order = [keep[i] for i in rtl.visual_order([got[i] for i in keep], base)]
        if any(w != "x" and int(w) != g for w, g in zip(want_levels, got, strict=True)) or order != want_order:
            failures.append(number)
        checked += 1
    assert checked > 90_000  # the data was read, and nearly all of it applies
    assert not failures, f"{len(failures)} of {checked} cases fail, first at line {failures[0]}"


def test_brackets_take_the_direction_of_their_content():
    # rule N0, which python-bidi alone does not implement: inside Arabic, "(abc)" after Latin text keeps
    # its brackets left-to-right; after Arabic text they follow the paragraph (right-to-left)
    after_latin = "\u0627 xyz (abc) \u062c"
    lv = rtl.levels(after_latin, 1)
    assert lv[6] == lv[10] == 2
    after_arabic = "\u0627\u0628 (abc) \u062c\u062f"
    lv = rtl.levels(after_arabic, 1)
    assert lv[3] == lv[7] == 1 and lv[4] == 2


def test_a_line_of_arabic_with_a_number_and_a_latin_word():
    # logical: ALEF BEH, "5 mg Valium". Read right to left, the line says ALEF BEH, then 5, then
    # "mg Valium" (the number and the Latin words are separate runs, as in every UBA renderer)
    text = "\u0627\u0628 5 mg Valium"
    order = rtl.visual_order(rtl.line_levels(text, rtl.levels(text, 1)))
    assert "".join(text[i] for i in order) == "mg Valium 5 \u0628\u0627"


def _as_printed(markup: str) -> str:
    """What a line of layout() markup shows, left to right. ReportLab hands HarfBuzz one word (text
    between spaces) at a time; HarfBuzz sets a word with Arabic script in it right to left, mirroring
    its brackets."""
    import re
    from html import unescape

    from bidi.mirror import MIRRORED

    words = re.split(r"( +)", unescape(re.sub(r"<[^>]+>", "", markup)))
    arabic = re.compile("[\u0600-\u06ff]")
    return "".join("".join(MIRRORED.get(c, c) for c in reversed(w)) if arabic.search(w) else w for w in words)


@pytest.mark.parametrize("text, base", [
    ("Dose: \u0627\u0644\u062c\u0631\u0639\u0629 5 \u0645\u0644\u063a daily", 0),
    ("\u0627\u0644\u062c\u0631\u0639\u0629 5 10 \u0645\u0644\u063a", 1),
    ("\u062e\u0630 10 Valium", 1),
    ("\u062e\u0630 \u0661\u0662 \u0642\u0631\u0635\u0627", 1),  # Arabic-Indic 12 must read 12
    ("(\u062f\u0648\u0627\u0621) abc (def) 5 mg \u0648 20 mg.", 1),
    ("GABA (\u063a\u0627\u0628\u0627) is 1.5 mg/mL", 0),
])
def test_laid_out_lines_follow_the_algorithm(text, base):
    """layout() prints a line exactly in the order of rules L1-L2 (with mirrored brackets)."""
    from bidi.mirror import MIRRORED

    from leaflet import fonts

    arabic, latin = fonts.family("Noto Sans Arabic"), fonts.family("Noto Sans")
    chain = fonts.FontChain(latin, (("Noto Sans Arabic", lambda: arabic),))
    runs = tuple(rtl.Run(run, fam.regular) for fam, run in chain.runs(text))
    (line,) = rtl.layout(runs, 1e6, 10, latin.regular, base)
    lv = rtl.line_levels(text, rtl.levels(text, base), base)
    expected = "".join(MIRRORED.get(text[i], text[i]) if lv[i] % 2 else text[i]
                       for i in rtl.visual_order(lv, base))
    assert _as_printed(line) == expected


@pytest.mark.parametrize("language, first_column", [("ar", "right"), ("en", "left")])
def test_two_columns_are_read_from_the_side_the_script_starts(language, first_column):
    """Compact's columns: Arabic text flows into the right column first, English into the left."""
    import warnings

    import pypdfium2 as pdfium

    import leaflet

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = leaflet.build_pdf("diazepam", language=language, template="compact")
    page = pdfium.PdfDocument(data)[0]
    width = page.get_width()
    text = page.get_textpage()
    chars = text.get_text_range()
    # the page's first body character (the title block: the first column), after the pharmacy header
    boxes = [text.get_charbox(i) for i in range(text.count_chars()) if not chars[i].isspace()]
    body = [b for b in boxes if 80 < b[1] < page.get_height() - 90]
    assert any(b[2] < width / 2 for b in body) and any(b[0] > width / 2 for b in body)  # two columns
    assert (body[0][0] > width / 2) == (first_column == "right")


@pytest.mark.parametrize("memo", [False, True])
def test_a_right_to_left_paragraph_split_across_pages_starts_the_next_at_its_next_line(memo):
    """Visual review (an Arabic box continued on page 2): ReportLab's split of lines joined by <br/>,
    as a right-to-left paragraph's are, began the second part with the break, a blank line, so every
    such paragraph went on one line down. The parts now hold the paragraph's lines, each once."""
    import io

    from reportlab.pdfgen.canvas import Canvas

    from leaflet import flowables, layout, rtl, templating

    style = layout.paragraph_styles(templating.load_template("large-print"), "ar")["bullet"]
    text = ("تناول ديازيبام مع الأدوية الأفيونية أو الكحول أو المخدرات أو أدوية أخرى تسبب النعاس قد يؤدي إلى "
            "الوفاة. تشمل الأدوية الأفيونية مسكنات الألم القوية وبعض أدوية السعال. إذا أُخذت معًا، فقد تسبب "
            "نعاسًا عميقًا جدًا، وبطء التنفس أو توقفه، والغيبوبة (لا يمكن إيقاظك)، والوفاة.")
    paragraph = flowables.RTLParagraph((rtl.Run(text, style.fontName),), style, bullet="\u2022", memo=memo)
    canvas = Canvas(io.BytesIO())
    paragraph.canv = canvas
    lines = round(paragraph.wrap(400, 1000)[1] / style.leading)
    assert lines >= 5
    parts = paragraph.split(400, style.leading * 2 + 1)
    heights = []
    for part in parts:
        part.canv = canvas
        heights.append(round(part.wrap(400, 1000)[1] / style.leading))
    assert heights == [2, lines - 2]
    markup = paragraph._markup.split("<br/>")
    assert parts[1].text == "<br/>".join(markup[2:])  # the same lines, in order, none twice
    again = parts[1].split(400, style.leading * 2 + 1)  # (what goes on, split again: no blank line either)
    for part in again:
        part.canv = canvas
    assert [round(part.wrap(400, 1000)[1] / style.leading) for part in again] == [2, lines - 4]


def test_a_right_to_left_leaflet_s_notes_with_long_addresses_lose_no_line_across_pages():
    """(review of the split) left-to-right notes in a right-to-left leaflet break a word too long for
    its line (an address) onto two printed lines; counting those as the paragraph's own lines, the
    split skipped whole lines of the notes ("Dose5" and "Dose6" were not printed)."""
    import warnings

    import pypdfium2 as pdfium

    import leaflet

    url = "https://www.medicines.org.uk/emc/product/1234/smpc/very-long-address-that-wraps-" + "x" * 40
    notes = " ".join(f"Dose{k} take {url} twice." for k in range(8))
    for template in ("compact", "large-print"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = leaflet.build_pdf("diazepam", language="ar", template=template, notes=notes)
        text = "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data))
        assert [k for k in range(8) if f"Dose{k}" not in text] == [], template
