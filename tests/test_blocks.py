"""Tables, figures, numbered steps and nested lists: in the model, the markup and the printed PDF."""

from __future__ import annotations

import base64
import io
import re
import shutil
import struct
import warnings
import zlib
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import leaflet
from leaflet import markup
from leaflet.cli import main
from leaflet.errors import ContentError, TemplateError
from leaflet.richblocks import keep_units
from leaflet.translations import TranslationWarning

from .conftest import DATA, EXAMPLES, ROOT, all_text, page_texts, reader

BLOCKS = DATA / "blocks"
TEMPLATES = ["standard", "large-print"]


@pytest.fixture(scope="module")
def demo() -> dict[str, bytes]:
    return {t: leaflet.build_pdf("blockdemo", template=t, content_dirs=[BLOCKS]) for t in TEMPLATES}


def _images(data: bytes) -> int:
    count = 0
    for page in reader(data).pages:
        xobjects = page["/Resources"].get("/XObject") or {}
        count += sum(1 for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image")
    return count


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_block_prints_in_order(demo, template):
    text = all_text(demo[template]).replace("\xa0", " ")
    expected = ["Dose by body weight", "Weight", "Dose", "Colour of the cap", "10 to 15 kg", "125 mg in 2.5 mL",
                "white", "15 to 20 kg", "250 mg / 5 mL", "yellow", "over 20 kg", "500 mg",
                "Some medicines raise INR:", "antibiotics", "amiodarone", "two",
                "How to measure a dose:", "1. Shake the bottle for 10 seconds.", "2. Push the syringe",
                "4. Give the medicine slowly into the cheek.", "The oral syringe"]
    pos = 0
    for phrase in expected:
        found = text.find(phrase, pos)
        assert found >= 0, f"{phrase!r} missing or out of order in {template}"
        pos = found + len(phrase)


@pytest.mark.parametrize("template", TEMPLATES)
def test_figures_are_images_with_their_alt_text(demo, template):
    assert _images(demo[template]) == 2
    text = all_text(demo[template])
    assert "An oral syringe with marks every 0.5 mL" in text  # invisible, but found and copied
    assert "A dark round tablet" in text


def _table_content(tmp_path: Path, rows: int, cell: str) -> Path:
    source = yaml.safe_load((BLOCKS / "blockdemo" / "en.yaml").read_text(encoding="utf-8"))
    table = {"header": ["Body weight", "Dose to give"], "align": ["left", "right"],
             "rows": [[f"{10 + i} kg", cell.format(i=i)] for i in range(rows)]}
    # after a paragraph: a heading is kept with what follows, and ReportLab then moves a whole long table
    # to the next page (see README, Limitations)
    source["sections"][0]["blocks"] = ["Doses by body weight:", {"table": table}]
    folder = tmp_path / "blockdemo"
    folder.mkdir()
    shutil.copy(BLOCKS / "blockdemo" / "syringe.png", folder)
    (folder / "en.yaml").write_text(yaml.safe_dump(source, allow_unicode=True), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_long_table_repeats_its_header_on_every_page(tmp_path, template):
    content = _table_content(tmp_path, 90, "{i} mg")
    pages = page_texts(leaflet.build_pdf("blockdemo", template=template, content_dirs=[content]))
    with_rows = [p for p in pages if re.search(r"\b\d\d kg", p)]
    assert len(with_rows) >= 2
    for page in with_rows:
        assert "Body weight" in page and "Dose to give" in page
    text = " ".join(pages).replace("\xa0", " ")
    assert all(f"{10 + i} kg" in text for i in range(90))  # every row printed, none lost at a page end


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_number_never_ends_a_line_without_its_unit(tmp_path, template):
    cell = "give {i} mL of the 250 mg / 5 mL suspension, then 2.5 mL more after 12 hours, " * 3
    content = _table_content(tmp_path, 4, cell)
    lines = [line for page in page_texts(leaflet.build_pdf("blockdemo", template=template,
                                                            content_dirs=[content]))
             for line in page.splitlines()]
    wrapped = [line for line in lines if "suspension" in line]
    assert len(wrapped) >= 4  # the cell really wraps
    for line in lines:
        contents_page = re.fullmatch(r"\s*\d{1,2}\s*", line)  # a page number of the contents list
        assert not re.search(r"\d\s*$", line) or "Page" in line or re.search(r"\d{4}$", line) or contents_page, line
        assert not re.match(r"\s*(mL|mg|hours)\b", line), line


@given(st.text(alphabet=st.sampled_from(list("0123456789 mgLk/.,\n\tabc")), max_size=60))
def test_keep_units_changes_only_spaces(text):
    out = keep_units(text)
    assert out.replace("\xa0", " ").split() == text.split() or \
        "".join(out.split()) == "".join(text.split())
    assert re.sub(r"\s", "", out) == re.sub(r"\s", "", text)


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def _with_figure(tmp_path: Path, figure: dict, files: dict[str, bytes] | None = None) -> Path:
    source = yaml.safe_load((BLOCKS / "blockdemo" / "en.yaml").read_text(encoding="utf-8"))
    source["sections"][0]["blocks"] = [{"figure": figure}]
    folder = tmp_path / "blockdemo"
    folder.mkdir()
    for name, data in (files or {}).items():
        (folder / name).write_bytes(data)
    path = folder / "en.yaml"
    path.write_text(yaml.safe_dump(source, allow_unicode=True, width=10**9), encoding="utf-8")
    return path


@pytest.mark.parametrize("figure, files, message", [
    ({"src": "pic.png"}, {"pic.png": _png(4, 4)}, "missing required field 'alt'"),
    ({"src": "gone.png", "alt": "x"}, {}, "cannot read the image"),
    ({"src": "pic.png", "alt": "x"}, {"pic.png": b"GIF89a......"}, "not a PNG or JPEG"),
    ({"src": "pic.png", "alt": "x"}, {"pic.png": _png(60000, 60000)}, "60000 x 60000 pixels"),
    ({"src": "../../../etc/x.png", "alt": "x"}, {}, "beside the content file"),
    ({"src": "data:image/gif;base64,R0lGOD", "alt": "x"}, {}, "base64 PNG or JPEG"),
    ({"src": "data:image/png;base64," + base64.b64encode(_png(9000, 9000)).decode(), "alt": "x"}, {},
     "9000 x 9000 pixels"),
])
def test_bad_figures_are_refused_with_a_message(tmp_path, figure, files, message):
    path = _with_figure(tmp_path, figure, files)
    out = io.StringIO()
    assert main(["check", str(path)], stdout=out) == 1
    assert message in out.getvalue()
    assert "en.yaml" in out.getvalue()


def test_a_table_row_of_the_wrong_width_is_refused(tmp_path):
    source = yaml.safe_load((BLOCKS / "blockdemo" / "en.yaml").read_text(encoding="utf-8"))
    source["sections"][0]["blocks"] = [{"table": {"header": ["a", "b"], "rows": [["1", "2"], ["3"]]}}]
    (tmp_path / "blockdemo").mkdir()
    path = tmp_path / "blockdemo" / "en.yaml"
    path.write_text(yaml.safe_dump(source), encoding="utf-8")
    with pytest.raises(ContentError, match="row 2 has 1 cells; every row needs 2"):
        leaflet.content.load(path)


def _diazepam_with(tmp_path: Path, *blocks: dict) -> Path:
    """A content folder with diazepam (English) whose first "how to take" subsection ends with ``blocks``."""
    source = yaml.safe_load((ROOT / "content" / "diazepam" / "en.yaml").read_text(encoding="utf-8"))
    section = next(s for s in source["sections"] if s["id"] == "how-to-take")
    section["subsections"][0]["blocks"] += list(blocks)
    (tmp_path / "diazepam").mkdir()
    (tmp_path / "diazepam" / "en.yaml").write_text(yaml.safe_dump(source, allow_unicode=True), encoding="utf-8")
    return tmp_path


def test_a_table_row_marked_for_forms_prints_only_for_them(tmp_path):
    """Review finding (an unseen medicine): a dosing table's capsule row ("10 mL, or one 500 mg capsule")
    printed for a child given the suspension, as rows could not be marked. A row may be
    ``{cells: [...], forms: [...]}``; a table whose every row is for other forms is left out."""
    folder = _diazepam_with(tmp_path, {"table": {"caption": "Wombat doses", "header": ["Who", "Dose"], "rows": [
        ["Wombat every form", "1"], {"cells": ["Wombat tablets", "2 mg"], "forms": ["tablets"]},
        {"cells": ["Wombat liquid", "5 mL"], "forms": ["oral-solution", "injection"]}]}},
        {"table": {"caption": "Quokka liquid table", "header": ["A", "B"],
                   "rows": [{"cells": ["Quokka liquid only", "x"], "forms": ["oral-solution"]}]}})
    expected = {None: {"Wombat every form", "Wombat tablets", "Wombat liquid", "Quokka liquid table"},
                "tablets": {"Wombat every form", "Wombat tablets"},
                "oral-solution": {"Wombat every form", "Wombat liquid", "Quokka liquid table"}}
    words = set().union(*expected.values())
    for form, printed in expected.items():
        pdf = all_text(leaflet.build_pdf("diazepam", content_dirs=[folder], form=form))
        html = leaflet.build_html("diazepam", content_dirs=[folder], form=form)
        assert {w for w in words if w in pdf} == printed == {w for w in words if w in html}, form


@pytest.mark.parametrize(("row", "message"), [
    ({"cells": ["1", "2"], "forms": ["capsules"]}, "unknown form 'capsules'"),
    ({"cells": ["1"], "forms": ["tablets"]}, "row 2 has 1 cells; every row needs 2"),
    ({"cells": ["1", "2"]}, "forms"),
])
def test_a_marked_table_row_is_checked_as_any_row(tmp_path, row, message):
    folder = _diazepam_with(tmp_path, {"table": {"header": ["a", "b"], "rows": [["x", "y"], row]}})
    with pytest.raises(ContentError, match=message):
        leaflet.content.load(folder / "diazepam" / "en.yaml")


PNG_URI = "data:image/png;base64," + base64.b64encode(_png(2, 2)).decode()


@pytest.mark.parametrize("text, message", [
    ("<leaflet><td>x</td></leaflet>", "<td> must be inside <tr>"),
    ("<leaflet><table><tr><td>1</td></tr><tr><td>1</td><td>2</td></tr></table></leaflet>", "same number"),
    ("<leaflet><table align='left middle'><tr><td>1</td></tr></table></leaflet>", "align"),
    ("<leaflet><table><p>x</p></table></leaflet>", "<p> cannot be inside <table>"),
    (f"<leaflet><figure src='{PNG_URI}'/></leaflet>", "needs alt text"),
    ("<leaflet><figure src='/etc/passwd' alt='x'/></leaflet>", "<figure src>"),
    ("<leaflet><ol><li level='3'>x</li></ol></leaflet>", "<li level> is 1 or 2"),
    ("<leaflet><ol><li level='2'>x</li></ol></leaflet>", "only for <ul>"),
])
def test_bad_block_markup_is_refused(text, message):
    with pytest.raises(TemplateError, match=re.escape(message)):
        markup.parse(text, "body.xml.j2", "leaflet")


def test_good_block_markup_passes():
    tree = markup.parse(f"<leaflet><table align='left right'><caption>c <b>x</b></caption>"
                        f"<tr head='yes'><td>a</td><td>b</td></tr><tr><td><i>1</i></td><td>2</td></tr></table>"
                        f"<figure src='{PNG_URI}' alt='a dot' width='20'><caption>dot</caption></figure>"
                        f"<ol><li>one</li></ol><ul><li>a</li><li level='2'>b</li></ul></leaflet>",
                        "body.xml.j2", "leaflet")
    assert [e.tag for e in tree] == ["table", "figure", "ol", "ul"]


@pytest.mark.parametrize("audience, words", [
    ("patient", "before you start taking this medicine"),
    ("carer", "before you start giving this medicine to your child"),
    ("caregiver", "prescribed for the person you care for only"),
])
def test_the_words_to_the_reader_follow_the_audience(tmp_path, audience, words):
    source = yaml.safe_load((BLOCKS / "blockdemo" / "en.yaml").read_text(encoding="utf-8"))
    source["audience"] = audience
    folder = tmp_path / "blockdemo"
    folder.mkdir()
    shutil.copy(BLOCKS / "blockdemo" / "syringe.png", folder)
    (folder / "en.yaml").write_text(yaml.safe_dump(source, allow_unicode=True, width=10**9), encoding="utf-8")
    spanish = dict(source, language="es")
    (folder / "es.yaml").write_text(yaml.safe_dump(spanish, allow_unicode=True, width=10**9), encoding="utf-8")
    text = all_text(leaflet.build_pdf("blockdemo", content_dirs=[tmp_path]))
    assert words in text
    others = {"patient": "prescribed for you only", "carer": "your child only",
              "caregiver": "the person you care for"}
    assert all(phrase not in text for a, phrase in others.items() if a != audience)
    es = all_text(leaflet.build_pdf("blockdemo", language="es", content_dirs=[tmp_path]))
    expected_es = {"patient": "recetado solamente a usted", "carer": "recetado solamente a su hijo",
                   "caregiver": "a la persona que usted cuida"}[audience]
    assert expected_es in es


def test_a_reused_body_with_a_split_table_builds_the_same_bytes(tmp_path):
    """The laid-out body is kept between builds; a table that split across pages must not remember it."""
    content = _table_content(tmp_path, 90, "{i} mg")
    first = leaflet.build_pdf("blockdemo", content_dirs=[content])
    longer = {"directions": "Take one dose every morning with a full glass of water.\n" * 17,
              "name": "A. Patient", "prescriber": "Dr Example"}
    other = leaflet.build_pdf("blockdemo", content_dirs=[content], patient=longer)  # a taller panel
    assert page_texts(other)[1].split("kg")[0] != page_texts(first)[1].split("kg")[0]  # the table split elsewhere
    assert leaflet.build_pdf("blockdemo", content_dirs=[content]) == first


# --- words in table cells are never split (issue 10's compact "Tablet / s") ------------------------

def _forms_table_words(lang: str) -> set[str]:
    """The words of diazepam's "Forms and strengths" table in ``lang`` (every form): header, form names,
    routes."""
    from leaflet import i18n

    medicine = leaflet.content.load(ROOT / "content" / "diazepam" / f"{lang}.yaml").leaflet.medicine
    _ = i18n.functions(lang)["_"]
    cells = [_("Form"), _("How it is given"), _("Strengths"), *(f.name for f in medicine.forms),
             *(f.route or "" for f in medicine.forms)]
    return {w.strip(",.()") for cell in cells for w in cell.split()} - {""}


@pytest.mark.parametrize("template", ["standard", "compact", "large-print"])
@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize("lang", ["en", "de", "es", "fr", "pl", "ru", "vi"])
def test_the_forms_table_never_breaks_a_word(lang, paper, template):
    import pypdfium2 as pdfium

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        data = leaflet.build_pdf("diazepam", language=lang, template=template, paper=paper)  # every form
    printed = set()
    for page in pdfium.PdfDocument(data):
        for line in page.get_textpage().get_text_range().replace("\r", "").split("\n"):
            printed |= {w.strip(",.()") for w in line.split()}
    broken = sorted(_forms_table_words(lang) - printed)
    assert not broken, f"{lang} {template} {paper}: split across lines: {broken}"


@pytest.mark.parametrize("lang", ["ar", "hi", "en"])
@pytest.mark.parametrize("template", ["compact", "standard"])
def test_every_table_column_is_as_wide_as_its_longest_word(monkeypatch, lang, template):
    """Right-to-left and shaped cells too ("أقراص" ran over its cell's edge in compact Arabic)."""
    from leaflet import richblocks, rtl
    from leaflet.flowables import RTLParagraph

    def longest_word(cell) -> float:  # measured as the line breaker measures, not by the code under test
        if isinstance(cell, RTLParagraph):
            return rtl.longest_word(cell.runs, cell.style.fontSize)
        return cell.minWidth()  # ReportLab's own

    tables = []
    original = richblocks.FitTable.table

    def record(self, aw):
        t = original(self, aw)
        tables.append((self, t))
        return t

    monkeypatch.setattr(richblocks.FitTable, "table", record)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        leaflet.build_pdf("diazepam", language=lang, template=template, patient=EXAMPLES / "patient.yaml")
    assert tables
    for fit, t in tables:
        for column, width in zip(zip(*fit.rows, strict=True), t._colWidths, strict=True):
            assert max(longest_word(cell) for cell in column) + 8 <= width + 0.01, (lang, template)


@pytest.mark.parametrize("template", ["compact", "standard", "large-print"])
def test_a_short_han_cell_is_not_broken_a_character_a_line(template):
    """Han text breaks between any two characters, so "剂型" and "片剂" (form, tablets) printed a
    character a line in compact's narrow forms table."""
    import pypdfium2 as pdfium

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        data = leaflet.build_pdf("diazepam", language="zh-Hans", template=template, form="tablets")
    found = 0
    for page in pdfium.PdfDocument(data):
        tp = page.get_textpage()
        text = tp.get_text_range()
        at = text.find("\u5242\u578b \u7528")  # the header row: 剂型 | 用药方式 (on one line)
        cells = [text.find(word, at) for word in ("\u5242\u578b", "\u7247\u5242")] if at >= 0 else []
        for i in (i for i in cells if i >= 0):
            (_, b1, _, _), (_, b2, _, _) = tp.get_charbox(i), tp.get_charbox(i + 1)
            assert abs(b1 - b2) < 1, f"{template}: {text[i:i + 2]!r} is broken across lines"
            found += 1
    assert found == 2, f"{template}: the forms table's cells were not found"


def _extents(data: bytes, strings: list[str]) -> dict[str, tuple[float, float]]:
    """The left and right edges of each string where pdfium finds it (in its own, visual, order)."""
    import pypdfium2 as pdfium

    out = {}
    for page in pdfium.PdfDocument(data):
        tp = page.get_textpage()
        text = tp.get_text_range()
        for s in strings:
            i = text.find(s)
            if i >= 0 and s not in out:
                boxes = [tp.get_charbox(k) for k in range(i, i + len(s)) if text[k].strip()]
                out[s] = (min(b[0] for b in boxes), max(b[2] for b in boxes))
    return out


@pytest.mark.parametrize("template", ["standard", "large-print"])
def test_right_to_left_table_cells_start_at_the_right(template):
    """Left-to-right text in an Arabic table cell ("2 mg، 5 mg، 10 mg", the Arabic comma between) is set
    from the column's right edge, as the Arabic cells are; the columns read from the right ("Form" first)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        data = leaflet.build_pdf("diazepam", language="ar", template=template)
    # pdfium gives a right-to-left line's text in visual order: "mg 10 ،mg 5 ،mg 2" is "2 mg، 5 mg، 10 mg"
    tablets, gel = "mg 10 ،mg 5 ،mg 2", "mg 20 ،mg 10 ،mg 2.5"
    found = _extents(data, [tablets, gel, "أقراص"])
    assert set(found) == {tablets, gel, "أقراص"}, found
    assert abs(found[tablets][1] - found[gel][1]) < 1.0, found  # the same right edge
    assert abs(found[tablets][0] - found[gel][0]) > 5.0, found  # and so not the same left edge
    assert found["أقراص"][0] > found[tablets][1]  # the form's column is right of the strengths'


def test_chinese_lists_strengths_and_brand_names_with_the_enumeration_comma():
    """Items of a list in Chinese are joined by the enumeration comma "、" (CLDR's list pattern), not by
    the clause comma "，" (review finding: "2 mg，5 mg，10 mg" in the forms table); two clauses of the
    directions are still joined by "，" (their own message)."""
    import pypdfium2 as pdfium

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        data = leaflet.build_pdf("diazepam", language="zh-Hans")
    text = "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data))
    assert "2 mg、5 mg、10 mg" in text and "2.5 mg、10 mg、20 mg" in text  # the forms table's cells
    assert "Valium、Diastat" in text  # the brand names under the title
    assert not re.search(r"mg，\s*\d", text), re.findall(r".{8}mg，.{8}", text)
    # (review of the fix) the clauses of the directions stay apart by "，": "、" would make a list of them
    patient = {"name": "Wang", "form": "tablets", "strength": "2", "strength_unit": "mg",
               "directions": {"dose": "1", "unit": "tablet", "as_needed": "anxiety", "every_hours": "8"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        first = pdfium.PdfDocument(leaflet.build_pdf("diazepam", language="zh-Hans", patient=patient))[0]
    assert "焦虑时按需使用，两次用药至少间隔 8 小时" in first.get_textpage().get_text_range()


@pytest.mark.parametrize("template", ["standard", "compact"])
def test_a_right_to_left_table_narrower_than_its_column_sits_at_the_right(template):
    """The forms table for tablets alone has little text: narrower than the column, it starts where the
    text does (the right edge in Arabic), not at the left margin (it sat 140 pt from the right)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        data = leaflet.build_pdf("diazepam", language="ar", template=template, form="tablets")
    form, kind = "الشكل", "نوع الدواء"  # the table's first (rightmost) header; the line above the table
    found = _extents(data, [form, kind])
    assert set(found) == {form, kind}, found
    assert found[kind][1] - found[form][1] < 12, found  # within a cell's padding of the text's right edge


def test_a_table_split_across_pages_is_closed_by_its_border_on_both_parts():
    """Review finding: the part of a broken table at the foot of a page had no border under its last
    row (ReportLab leaves the cut open), so it looked torn off. And the part after the break brings at
    least two rows under the repeated header."""
    from reportlab.lib.colors import black
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph

    from leaflet.richblocks import FitTable

    style = ParagraphStyle("cell", fontSize=10, leading=12)
    rows = [[Paragraph("Weight", style), Paragraph("Dose", style)]]
    rows += [[Paragraph(f"{10 + i} kg", style), Paragraph(f"{2 + i} mg", style)] for i in range(8)]
    table = FitTable(rows, [1.0, 1.0], [("BOX", (0, 0), (-1, -1), 0.9, black)], 1)
    table.canv = Canvas(io.BytesIO())
    _, height = table.wrap(300, 1000)
    row = height / 9
    for room in (row * 8 + 1, row * 5 + 1):  # 7 rows would leave one: 6 go, 2 come
        first, second = table.split(300, room)
        assert len(second._cellvalues) - 1 >= 2
        for part, command, where in ((first, "LINEBELOW", -1), (second, "LINEABOVE", 0)):
            lines = [c for c in part._linecmds if c[0] == command and c[1][1] == where and c[2][1] == where]
            assert lines and lines[-1][3] == 0.9, (command, part._linecmds)


def test_a_table_cell_with_an_arabic_word_reads_right_to_left(tmp_path):
    """Review finding (an unseen medicine): a cell took the direction of its first letter, so "2.5 mL
    حتى 3 مرات في 24 ساعة" (2.5 mL up to 3 times in 24 hours) was set left to right and an Arabic
    reader met the dose last; "100 mg في 5 mL" read "5 mL in 100 mg". A cell with any Arabic letter
    now reads right to left, in the PDF and in the HTML leaflet; a cell of Latin strengths still reads
    left to right."""
    import yaml

    from leaflet import rtl

    assert rtl.cell_level("2.5 mL \u062d\u062a\u0649 3") == 1 and rtl.cell_level("2 mg, 5 mg") == 0
    assert rtl.cell_level("") == 0
    data = yaml.safe_load((ROOT / "content" / "diazepam" / "ar.yaml").read_text(encoding="utf-8"))
    dose = "2.5 mL \u062d\u062a\u0649 3 \u0645\u0631\u0627\u062a"  # 2.5 mL حتى 3 مرات
    data["sections"][0]["blocks"].append({"table": {"header": ["\u0627\u0644\u0639\u0645\u0631", "mg"],
                                                    "rows": [[dose, "2 mg, 5 mg"]]}})
    (tmp_path / "diazepam").mkdir()
    (tmp_path / "diazepam" / "ar.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        pdf_data = leaflet.build_pdf("diazepam", language="ar", content_dirs=[tmp_path])
        html = leaflet.build_html("diazepam", language="ar", content_dirs=[tmp_path])
    # right to left: "2.5" (the cell's first words) at the right of "حتى"; pdfium finds the visual order
    found = _extents(pdf_data, ["2.5", "3 \u062d\u062a\u0649", "2 mg, 5 mg"])
    assert found["2.5"][0] > found["3 \u062d\u062a\u0649"][1], found
    assert "2 mg, 5 mg" in found  # (the Latin cell: left to right)
    html = html.replace("\u00a0", " ")  # (numbers are tied to their units)
    assert f'<td dir="rtl">{dose}</td>' in html and '<td dir="ltr">2 mg, 5 mg</td>' in html


def _boxes(data: bytes, strings: list[str]) -> dict[str, tuple[float, float, float]]:
    """Each string's left edge, right edge and baseline height where pdfium first finds it."""
    import pypdfium2 as pdfium

    out = {}
    for page in pdfium.PdfDocument(data):
        tp = page.get_textpage()
        text = tp.get_text_range().replace("\xa0", " ")  # (numbers are tied to their units)
        for s in strings:
            i = text.find(s)
            if i >= 0 and s not in out:
                boxes = [tp.get_charbox(k) for k in range(i, i + len(s)) if text[k].strip()]
                out[s] = (min(b[0] for b in boxes), max(b[2] for b in boxes), min(b[1] for b in boxes))
    return out


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_line_break_in_a_table_cell_prints_as_one(tmp_path, lang):
    """A cell's lines (an address, the paragraphs of an imported cell) print one under the other, in
    the PDF and the HTML leaflet, in both directions; a cell of one line is as before."""
    data = yaml.safe_load((ROOT / "content" / "diazepam" / f"{lang}.yaml").read_text(encoding="utf-8"))
    cell = "  **Merck Sharp Dohme**  \n\n MSD Belgium \nTel 32 2776 6211\n"
    data["sections"][0]["blocks"].append({"table": {"header": ["Country", "Contact"],
                                                    "rows": [["Belgium", cell]]}})
    (tmp_path / "diazepam").mkdir()
    (tmp_path / "diazepam" / f"{lang}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        pdf_data = leaflet.build_pdf("diazepam", language=lang, content_dirs=[tmp_path])
        html = leaflet.build_html("diazepam", language=lang, content_dirs=[tmp_path])
    lines = ["Merck Sharp Dohme", "MSD Belgium", "Tel 32 2776 6211"]
    found = _boxes(pdf_data, lines)
    assert sorted(found) == sorted(lines), found
    tops = [found[line][2] for line in lines]
    assert tops[0] > tops[1] > tops[2], tops  # one under the other, in order
    edge = 0 if lang == "en" else 1  # each line starts at the cell's start: its left, or its right in Arabic
    assert max(found[line][edge] for line in lines) - min(found[line][edge] for line in lines) < 2.5, found
    # (the telephone number's groups tied, as in the PDF)
    assert "<strong>Merck Sharp Dohme</strong><br>MSD Belgium<br>Tel 32\xa02776\xa06211</td>" in html


@pytest.mark.parametrize("cell", ["5 to \u202e7.6 kg\u202c", "2.5\u200b mL", "10\u2066 mg\u2069"])
def test_a_table_cell_with_a_character_that_could_reorder_or_hide_text_is_refused(tmp_path, cell):
    """Review finding: table cells were the one content text not checked for the characters that can
    reorder or hide what prints; "5 to \\u202e7.6 kg" printed as typed (and reversed in a browser)."""
    source = yaml.safe_load((BLOCKS / "blockdemo" / "en.yaml").read_text(encoding="utf-8"))
    source["sections"][0]["blocks"] = [{"table": {"header": ["Weight", "Dose"], "rows": [["x", cell]]}}]
    (tmp_path / "blockdemo").mkdir()
    path = tmp_path / "blockdemo" / "en.yaml"
    path.write_text(yaml.safe_dump(source, allow_unicode=True), encoding="utf-8")
    out = io.StringIO()
    assert main(["check", str(path)], stdout=out) == 1
    assert "en.yaml" in out.getvalue() and "rows" in out.getvalue() and "U+" in out.getvalue(), out.getvalue()


def test_short_table_columns_are_set_on_one_line_when_the_table_is_no_taller():
    """Review finding (the unseen medicine in large print): column widths came from the text's length
    alone, so every short cell wrapped ("3 to" / "6 months", "2.5 mL" / "(50 mg)") beside a column of
    sentences that took two lines anyway. Now the short columns get the room, the table no taller."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        data = leaflet.build_pdf("ibuprofen", template="large-print", content_dirs=[DATA / "unseen" / "content"])
    lines = [line.strip() for page in page_texts(data) for line in page.replace("\xa0", " ").splitlines()]
    for cell in ["3 to 6 months", "6 to 12 months", "5 to 7.6 kg", "10 to 15 kg", "2.5 mL (50 mg)",
                 "15 mL (300 mg)"]:
        assert any(line.startswith(cell) or f" {cell}" in line for line in lines), cell


_CELL_WORDS = st.sampled_from(["3", "to", "6", "months", "2.5 mL", "(50 mg)", "up", "times", "in", "24 hours",
                               "every", "day", "Paracetamolum", "a"])


@given(st.integers(2, 4).flatmap(lambda cols: st.lists(
    st.lists(st.lists(_CELL_WORDS, min_size=1, max_size=8).map(" ".join), min_size=cols, max_size=cols),
    min_size=1, max_size=5)), st.floats(150, 520))
def test_table_widths_that_set_cells_on_one_line_never_make_the_table_taller(texts, aw):
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    from leaflet import richblocks

    style = ParagraphStyle("cell", fontName="Helvetica", fontSize=10, leading=12)
    rows = [[Paragraph(text, style) for text in row] for row in texts]
    table = richblocks.FitTable(rows, richblocks._shares(texts), [], 0, richblocks._fraction(texts))
    base = richblocks.fit_widths(aw, table.fraction, table.shares, table.min_widths())
    chosen = table._fewer_broken_cells(base)
    assert abs(sum(chosen) - sum(base)) < 0.01
    assert all(w >= min(b, m) - 0.01 for w, b, m in zip(chosen, base, table.min_widths(), strict=True))
    assert table._height(chosen) <= table._height(base) + 0.01
    assert richblocks._broken(rows, chosen) <= richblocks._broken(rows, base)


def test_a_split_table_keeps_its_space_before_and_after():
    """Review finding: the continued part of a split table had no space after it, so the next
    paragraph touched its border (the first part had none before it either)."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    from leaflet import richblocks

    style = ParagraphStyle("cell", fontName="Helvetica", fontSize=10, leading=12)
    texts = [["Strength", "Colour"]] + [[f"{n} mg", "white"] for n in range(1, 9)]
    rows = [[Paragraph(text, style) for text in row] for row in texts]
    table = richblocks.FitTable(rows, richblocks._shares(texts), [], 1, 1.0)
    table.wrap(300, 1000)
    parts = table.split(300, 60)
    assert len(parts) == 2
    assert parts[0].getSpaceBefore() == table.spaceBefore > 0
    assert parts[-1].getSpaceAfter() == table.spaceAfter > 0


_WIDE = {"header": ["Who", "How much", "How often", "Most in 24 hours"],
         "rows": [["Children 4 to 11 years", "1 or 2 puffs (100 to 200 micrograms)", "when needed, at least 4 hours apart",
                   "8 puffs (800 micrograms)"],
                  ["Adults and children 12 years and over", "1 or 2 puffs (100 to 200 micrograms)",
                   "when needed", "8 puffs (800 micrograms)"]]}


def _with_wide_table(tmp_path: Path, lang: str) -> Path:
    data = yaml.safe_load((ROOT / "content" / "diazepam" / f"{lang}.yaml").read_text(encoding="utf-8"))
    data["sections"][0]["blocks"].append({"table": _WIDE})
    (tmp_path / "diazepam").mkdir()
    (tmp_path / "diazepam" / f"{lang}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("template", ["compact", "standard"])
def test_a_table_too_narrow_for_its_columns_is_stacked_and_splits_no_word(tmp_path, template):
    """Review finding (two unseen medicines, compact): four columns whose longest words did not fit a
    column side by side were set anyway, and ReportLab split words and numbers: "Childre" / "n",
    "(8" / "00 Mikrogramm", "microg" / "rammes". Such a table is now stacked: each row's cells one
    under the other beside their column's header. A table that fits (standard) is a grid as before."""
    from .test_tagging import tree

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        data = leaflet.build_pdf("diazepam", template=template, content_dirs=[_with_wide_table(tmp_path, "en")])
    text = " ".join(" ".join(page.replace("\xa0", " ").split()) for page in page_texts(data))
    for row in _WIDE["rows"]:
        for cell in row:
            assert cell in text, cell  # whole: broken only at spaces
    roles = [(role, entries["/A"]) for _, role, entries in tree(data)]
    row_heads = sum(1 for role, a in roles if role == "TH" and a is not None and "/Row" in str(a))
    if template == "compact":
        assert text.count("How often") == 2 and text.count("Most in 24 hours") == 2  # beside each row
        assert row_heads >= 8  # each value's header, for a screen reader too
        # each header and its value a row of their own (review finding: one row of 8 cells per data row,
        # so every value had all four headers); no row has more than the panel's four cells
        rows, nodes = [], tree(data)
        for i, (depth, role, _) in enumerate(nodes):
            if role == "TR":
                kids = []
                for depth2, role2, _ in nodes[i + 1:]:
                    if depth2 <= depth:
                        break
                    kids += [role2] if depth2 == depth + 1 else []
                rows.append(kids)
        assert rows.count(["TH", "TD"]) >= 8 and max(map(len, rows)) <= 4, rows
        from pdfua import validate

        (tmp_path / "stacked.pdf").write_bytes(data)
        assert [(f.rule_id, f.message) for f in validate(str(tmp_path / "stacked.pdf")).findings] == []
    else:
        assert text.count("How often") == 1


def test_a_table_with_a_header_of_two_rows_is_stacked_too_with_its_group_heading(tmp_path):
    """Review finding: a header of two rows (a group heading over the columns' own, as imported) was
    never stacked, so the compact template split "Childre" / "n" and "(800 micr" / "ograms)" again.
    Stacked, each value is beside its column's headers joined ("Dose \u2013 How much"), each a row header."""
    from .test_tagging import tree

    pdf_data, text = _compact_with_wide_cells(tmp_path, {
        "header": [["", "Dose", "Dose", "Dose"], _WIDE["header"]], "rows": _WIDE["rows"]})
    assert text.count("Dose \u2013 How often") == 2 and text.count("Who ") >= 2, text[:3000]
    roles = [(role, entries["/A"]) for _, role, entries in tree(pdf_data)]
    assert sum(1 for role, a in roles if role == "TH" and a is not None and "/Row" in str(a)) >= 8


def test_a_template_that_loops_over_a_header_of_several_rows_as_one_row_is_refused(tmp_path):
    """(review of the header rows) a template written for a header of one row printed a header of
    several as "['', 'Dose']"; the filters refuse a list, naming the template's line and what to use."""
    template = _old_template(
        tmp_path, '{% for row in b.table|head_rows %}<tr head="yes">{% for c in row %}<td>{{ c|lines }}</td>{% endfor %}</tr>{% endfor %}',
        '{% if b.table.header %}<tr head="yes">{% for c in b.table.header %}<td>{{ c|lines }}</td>{% endfor %}</tr>{% endif %}')
    message = _refusal(tmp_path, template, {"header": [["", "Dose"], ["Age", "Tablets"]], "rows": [["Adults", "2 mg"]]})
    assert "body.xml.j2:" in message and "given a list, not text" in message and "head_rows" in message
    data = yaml.safe_load((tmp_path / "content" / "testamol" / "en.yaml").read_text(encoding="utf-8"))
    data["sections"][0]["blocks"][-1]["table"]["header"] = ["Age", "Tablets"]  # one row: as before
    (tmp_path / "content" / "testamol" / "en.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert leaflet.build_pdf("testamol", template=str(template), content_dirs=[tmp_path / "content"])


def test_a_table_with_no_header_too_narrow_for_its_columns_is_stacked_too(tmp_path):
    """Review finding: a table with no header (every imported table without <th>) was never stacked,
    and still printed "Childre" / "n 4 to 1" / "1 years"."""
    _compact_with_wide_cells(tmp_path, {"rows": _WIDE["rows"]})


def _compact_with_wide_cells(tmp_path: Path, table: dict) -> tuple[bytes, str]:
    """The English compact leaflet with ``table`` (of _WIDE's rows) added, and its text; each of the
    rows' cells printed whole (broken only at spaces)."""
    data = yaml.safe_load((ROOT / "content" / "diazepam" / "en.yaml").read_text(encoding="utf-8"))
    data["sections"][0]["blocks"].append({"table": table})
    (tmp_path / "diazepam").mkdir()
    (tmp_path / "diazepam" / "en.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    pdf_data = leaflet.build_pdf("diazepam", template="compact", content_dirs=[tmp_path])
    text = " ".join(" ".join(page.replace("\xa0", " ").split()) for page in page_texts(pdf_data))
    for row in _WIDE["rows"]:
        for cell in row:
            assert cell in text, cell
    return pdf_data, text


def test_a_stacked_right_to_left_table_has_its_headers_at_the_right(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        data = leaflet.build_pdf("diazepam", language="ar", template="compact",
                                 content_dirs=[_with_wide_table(tmp_path, "ar")])
    found = _boxes(data, ["Who", "How often", "Children 4 to 11 years"])
    assert found["Who"][0] > found["Children 4 to 11 years"][1], found
    # (visual review) the headers start at their cells' right edge too, as the values do
    assert abs(found["Who"][1] - found["How often"][1]) < 1, found


def test_a_han_table_cell_never_breaks_a_number_inside():
    """Review finding (Chinese compact): a column narrower than "1,200" let Han line breaking cut the
    number, "6 片（1," / "200 mg）". A Han cell's narrowest width is now its longest run of other
    letters and digits, which Han line breaking keeps whole."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        data = leaflet.build_pdf("ibuprofen", language="zh-Hans", template="compact",
                                 content_dirs=[DATA / "unseen" / "content"])
    lines = [line.replace("\xa0", " ").strip() for page in page_texts(data) for line in page.splitlines()]
    assert any("1,200" in line for line in lines)
    assert not [line for line in lines if re.search(r"[0-9],$", line)], "a number broken after its comma"


def test_a_group_heading_over_its_columns_is_one_header_cell():
    """Importing prints a group heading over each column it spans ("Dose", "Dose"); the PDF and the
    HTML leaflet set such a run of one text, in a header row above the columns' own, as one cell.
    Blank cells, a row's different texts, the columns' own headings and data rows are never joined."""
    import xml.etree.ElementTree as ET

    from leaflet.markup import cell_spans as header_spans

    def rows(*cells: tuple[str, list[str]]) -> list[ET.Element]:
        out = []
        for head, texts in cells:
            tr = ET.Element("tr", {"head": head})
            for text in texts:
                ET.SubElement(tr, "td").text = text
            out.append(tr)
        return out

    assert header_spans(rows(("yes", ["", "Dose", "Dose", "x"]), ("yes", ["Age", "A", "A", "B"]),
                             ("no", ["1", "2", "2", "2"]))) == {(0, 1): 2}
    assert header_spans(rows(("yes", ["Dose", "Dose"]), ("no", ["1", "1"]))) == {}  # the columns' own
    assert header_spans(rows(("yes", ["", "", "a"]), ("yes", ["b", "c", "d"]))) == {}  # blanks stay apart
    assert header_spans(rows(("yes", ["T", "T", "T"]), ("yes", ["G", "G", "x"]), ("yes", ["a", "b", "c"]))) == {
        (0, 0): 3, (1, 0): 2}


def _with_table(tmp_path: Path, table: dict, lang: str = "en") -> Path:
    """A content folder with diazepam whose first section ends with ``table``."""
    data = yaml.safe_load((ROOT / "content" / "diazepam" / f"{lang}.yaml").read_text(encoding="utf-8"))
    data["sections"][0]["blocks"].append({"table": table})
    (tmp_path / "diazepam").mkdir(parents=True)
    (tmp_path / "diazepam" / f"{lang}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return tmp_path


#: A dosing table as approved product information has it: a row of one cell across the table, and a
#: dose across two columns (imported from ``colspan``).
_WIDE_CELLS = {"caption": "Dose by age", "header": ["Age", "Morning", "Evening"],
               "rows": [[{"text": "Children under 12 years: do not give diazepam tablets", "columns": 3}],
                        ["Adults", {"text": "20 mg a day in two doses, 12 hours apart", "columns": 2}],
                        ["Older adults", "5 mg", "5 mg"]]}


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_wide_cell_prints_once_over_its_columns(tmp_path, lang):
    """Known weakness, fixed: a cell spanning columns (imported ``colspan``) printed in its first column
    only, so "20 mg a day in two doses" stood under "Morning" as the morning's dose. A wide cell prints
    once, from where its first column starts (the right, right to left) across the others; it is one
    TD with /ColSpan in the structure tree and one td with colspan in the HTML leaflet."""
    from .test_tagging import tree

    folder = _with_table(tmp_path, _WIDE_CELLS, lang)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        pdf_data = leaflet.build_pdf("diazepam", language=lang, content_dirs=[folder])
        html = leaflet.build_html("diazepam", language=lang, content_dirs=[folder])
    dose, children = "20 mg a day in two doses, 12 hours apart", "Children under 12 years: do not give diazepam tablets"
    text = all_text(pdf_data).replace("\xa0", " ")
    assert text.count(dose) == 1 and text.count(children) == 1
    found = _boxes(pdf_data, ["Age", "Morning", "Evening", dose, children])
    assert set(found) == {"Age", "Morning", "Evening", dose, children}, found
    if lang == "en":  # the dose from Morning's left edge past where Evening starts, on one line
        assert abs(found[dose][0] - found["Morning"][0]) < 1 and found[dose][1] > found["Evening"][0] + 5, found
        assert abs(found[children][0] - found["Age"][0]) < 1 and found[children][1] > found["Morning"][0] + 5, found
    else:  # the columns from the right: Age, Morning, Evening; the dose ends at Morning's right edge
        assert found["Age"][0] > found["Morning"][1] > found["Evening"][1], found
        assert abs(found[dose][1] - found["Morning"][1]) < 1 and found[dose][0] < found["Evening"][1] - 5, found
        assert abs(found[children][1] - found["Age"][1]) < 1 and found[children][0] < found["Morning"][1] - 5, found
    spans = sorted(int(entries["/A"]["/ColSpan"]) for _, role, entries in tree(pdf_data)
                   if role == "TD" and entries["/A"] is not None and "/ColSpan" in entries["/A"])
    assert spans == [2, 3], spans
    html = html.replace("\xa0", " ")  # (numbers are tied to their units)
    assert f'colspan="2">{dose}</td>' in html and f'colspan="3">{children}</td>' in html


def test_a_stacked_table_sets_a_wide_cell_beside_its_columns_headers(tmp_path):
    """A table too narrow for its columns (compact) is stacked: a wide cell is one value beside the
    headers of the columns it stands over ("How much, How often"), and a cell over every column (a
    heading inside the table) spans the line with no header beside it; the structure stays valid."""
    from pdfua import validate

    table = {"header": _WIDE["header"],
             "rows": [[{"text": "Children under 4 years: ask your doctor", "columns": 4}], _WIDE["rows"][0],
                      ["Adults and children 12 years and over",
                       {"text": "1 or 2 puffs (100 to 200 micrograms) when needed", "columns": 2},
                       "8 puffs (800 micrograms)"]]}
    pdf_data = leaflet.build_pdf("diazepam", template="compact", content_dirs=[_with_table(tmp_path, table)])
    text = " ".join(" ".join(page.replace("\xa0", " ").split()) for page in page_texts(pdf_data))
    assert "How much, How often 1 or 2 puffs (100 to 200 micrograms) when needed" in text, text[:4000]
    assert "Children under 4 years: ask your doctor Who Children 4 to 11 years" in text, text[:4000]
    assert "Who / How much" not in text
    found = _boxes(pdf_data, ["Children under 4 years", "Who"])
    assert abs(found["Children under 4 years"][0] - found["Who"][0]) < 1, found  # from the table's start
    (tmp_path / "stacked.pdf").write_bytes(pdf_data)
    assert [(f.rule_id, f.message) for f in validate(str(tmp_path / "stacked.pdf")).findings] == []


def test_a_wide_cell_is_checked_as_any_cell(tmp_path):
    """A row's cells count a wide cell's columns; a wide cell is over 2 to 8 columns, and its text is
    checked as any cell's; a header's cells are text (a group heading is written in each of its columns).
    Each mistake is one message at the cell (rows are a tagged union: no second "not a marked row")."""
    def load(rows: list, header: list | None = None) -> str:
        data = yaml.safe_load((DATA / "content" / "testamol" / "en.yaml").read_text(encoding="utf-8"))
        data["sections"][0]["blocks"].append({"table": {"header": header or ["Age", "Morning", "Evening"],
                                                        "rows": rows}})
        folder = tmp_path / f"c{len(list(tmp_path.iterdir()))}" / "testamol"
        folder.mkdir(parents=True)
        (folder / "en.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        with pytest.raises(ContentError) as caught:
            leaflet.content.load(folder / "en.yaml")
        return caught.value.format()

    message = load([["Adults", {"text": "20 mg", "columns": 3}]])
    assert "row 1 has 4 cells (a cell with `columns` counts as that many); every row needs 3" in message
    message = load([[{"text": "20 mg", "columns": 1}, "a", "b"]])
    assert "rows[0][0].columns" in message and "greater than or equal to 2" in message and "MarkedRow" not in message
    message = load([["Adults", {"text": "20 mg\u202e", "columns": 2}]])
    assert "rows[0][1].text" in message and "U+202E" in message and "also" not in message
    message = load([{"text": "Children", "columns": 3}])  # (a wide cell written as the row itself)
    assert "rows[0]'" in message and "a row is a list of cells" in message and "also" not in message
    message = load([["a", "b", "c"]], header=[["", {"text": "Dose", "columns": 2}], ["Age", "Morning", "Evening"]])
    assert "header[0][1]'" in message and "cannot span columns: write the heading in each column" in message
    rows = [["Adults", {"text": "20 mg a day", "columns": 2}], {"cells": [{"text": "Children", "columns": 3}],
                                                              "forms": ["tablets"]}]
    data = yaml.safe_load((DATA / "content" / "testamol" / "en.yaml").read_text(encoding="utf-8"))
    data["medicine"]["forms"][0]["id"] = "tablets"
    data["sections"][0]["blocks"].append({"table": {"header": ["Age", "Morning", "Evening"], "rows": rows}})
    (tmp_path / "ok" / "testamol").mkdir(parents=True)
    (tmp_path / "ok" / "testamol" / "en.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    leaflet.content.load(tmp_path / "ok" / "testamol" / "en.yaml")  # (a marked row may hold one too)


def _old_template(tmp_path: Path, new: str, old: str) -> Path:
    """The standard template with its loop ``new`` written as an older template had it, ``old``."""
    template = tmp_path / "tpl"
    shutil.copytree(ROOT / "templates" / "standard", template)
    body = (template / "body.xml.j2").read_text(encoding="utf-8")
    assert new in body
    (template / "body.xml.j2").write_text(body.replace(new, old), encoding="utf-8")
    return template


def _refusal(tmp_path: Path, template: Path, table: dict) -> str:
    """The message a build of testamol with ``table`` added stops with."""
    data = yaml.safe_load((DATA / "content" / "testamol" / "en.yaml").read_text(encoding="utf-8"))
    data["sections"][0]["blocks"].append({"table": table})
    (tmp_path / "content" / "testamol").mkdir(parents=True, exist_ok=True)
    (tmp_path / "content" / "testamol" / "en.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(leaflet.LeafletError) as caught:
        leaflet.build_pdf("testamol", template=str(template), content_dirs=[tmp_path / "content"])
    return caught.value.format()


def test_a_template_that_prints_a_wide_cell_as_text_is_refused(tmp_path):
    """A template written before wide cells looped over a row's cells with ``c|lines``: a wide cell is a
    mapping, refused with the template's line and what to write, never printed as "{'text': ...}"."""
    template = _old_template(tmp_path, '{% for c in r %}{% if c is mapping %}<td columns="{{ c.columns }}">'
                             '{{ c.text|lines }}</td>{% else %}<td>{{ c|lines }}</td>{% endif %}{% endfor %}',
                             "{% for c in r %}<td>{{ c|lines }}</td>{% endfor %}")
    message = _refusal(tmp_path, template, _WIDE_CELLS)
    assert "body.xml.j2:" in message and "given a dict, not text" in message and "c.columns" in message


@pytest.mark.parametrize(("cell", "message"), [
    ('<td columns="0">a</td><td>b</td>', "whole number of columns, 1 to 8"),
    ('<td columns="x">a</td><td>b</td>', "whole number of columns"),
    ('<td columns="9">a</td><td>b</td>', "1 to 8"),
    ('<td columns="3">a</td>', "counts as two"),
    ('<td columns="\u00b2">a</td><td>b</td>', "whole number of columns"),  # (a digit to str.isdigit)
    ('<td columns="\u0663">a</td><td>b</td>', "whole number of columns"),
])
def test_bad_wide_cell_markup_is_refused(cell, message):
    with pytest.raises(TemplateError, match=message):
        markup.parse(f"<leaflet><table><tr><td>h</td><td>i</td></tr><tr>{cell}</tr></table></leaflet>", "t.xml", "leaflet")


def test_a_wide_cell_still_lets_its_table_stack(tmp_path):
    """(review of the wide cells) its stacked label joined its columns' headers with " / ", which the
    units rule ties ("250 mg / 5 ml"): "Morning / Midday / Evening / Bedtime" was one word too wide, so
    the table stayed a grid and ReportLab split "Child" / "ren". The headers are joined by commas."""
    from .test_tagging import tree

    rows = [["Children 4 to 11 years", "100 micrograms", "100 micrograms", "100 micrograms", "200 micrograms"],
            ["Adults", "200 micrograms", "200 micrograms", "200 micrograms", "400 micrograms"],
            ["Children under 4 years", {"text": "ask your doctor", "columns": 4}]]
    table = {"header": ["Age", "Morning", "Midday", "Evening", "Bedtime"], "rows": rows}
    data = leaflet.build_pdf("diazepam", template="compact", content_dirs=[_with_table(tmp_path, table)])
    text = " ".join(" ".join(page.replace("\xa0", " ").split()) for page in page_texts(data))
    assert "Morning, Midday, Evening, Bedtime ask your doctor" in text, text[:3000]
    row_heads = sum(1 for _, role, entries in tree(data)
                    if role == "TH" and entries["/A"] is not None and "/Row" in str(entries["/A"]))
    assert row_heads >= 11  # stacked: each value beside its header


@pytest.mark.parametrize(("template", "columns"), [("standard", 2), ("large-print", 2), ("large-print", 4),
                                                  ("compact", 4)])
def test_a_heading_inside_a_table_never_ends_a_page(tmp_path, template, columns):
    """(review of the wide cells) a row of one cell over every column (a heading inside an imported
    table) was left at the foot of a page or column with its rows overleaf, in the grid (its own row)
    and stacked (its own group). It goes with the row after it."""
    wide = ["1 or 2 puffs (100 to 200 micrograms)", "when needed, at least 4 hours apart", "8 puffs (800 micrograms)"]
    rows = []
    for i in range(40 if columns == 2 else 14):
        rows.append([{"text": f"HEADING {i}: group of patients number {i}", "columns": columns}])
        rows.append([f"Group {i} children", *wide[:columns - 1]])
        rows.append([f"Group {i} adults", *wide[:columns - 1]])
    table = {"header": ["Who", "How much", "How often", "Most in 24 hours"][:columns], "rows": rows}
    data = leaflet.build_pdf("diazepam", template=template, content_dirs=[_with_table(tmp_path, table)])
    import pypdfium2 as pdfium

    ends = []
    for page in pdfium.PdfDocument(data):
        lines = [line.strip() for line in page.get_textpage().get_text_range().splitlines() if line.strip()]
        ends.append([line for line in lines if not re.search(r"Page \d+ of \d+$", line)][-1])
    assert len(ends) > 3 and not [end for end in ends if end.startswith("HEADING")], ends


@pytest.mark.parametrize(("text", "tied"), [
    ("Tel: 800 23 99 89 (+39 06 361911)", ["800\xa023\xa099\xa089", "(+39\xa006\xa0361911)"]),
    ("teléfono 91 562 04 20.", ["91\xa0562\xa004\xa020."]),
    ("Tel/Tél: +32 (0) 27766211", ["+32\xa0(0)\xa027766211"]),
    ("(+49 (0) 89 4561 0)", ["(+49\xa0(0)\xa089\xa04561\xa00)"]),
])
def test_a_telephone_number_is_never_broken_across_lines(text, tied):
    """Review finding (imported contact tables, large print): "(+39 06 / 361911)", "(+49 (0) 89 / 4561
    0)" broke at their spaces. A telephone number's groups are tied (one with a "+", or of seven digits
    or more); a few small numbers are not ("steps 1 2 3", "10 20 30 mg")."""
    from leaflet.inline import bind_numbers

    bound = bind_numbers(text)
    assert bound.replace("\xa0", " ") == text and all(t in bound for t in tied), repr(bound)
    small = bind_numbers("Steps 1 2 3, doses of 10 20 30.")
    assert "1 2 3," in small and "10 20 30." in small
    long_run = "12345678 12345678 12345678 12345678"  # (not a telephone number: never one long run)
    assert bind_numbers(long_run) == long_run


def test_a_number_a_word_runs_into_keeps_its_unit():
    """Review finding (imported text whose spaces were lost between the source's pieces): "Almus20 /
    mg", "a2 / cm" broke between number and unit, as the number was not a word's start. A Latin word
    running into a number ties it to its unit; an Arabic one does not (a no-break space is a bidi
    separator)."""
    from leaflet.inline import bind_numbers

    assert bind_numbers("Almus20 mg, equivalente a2 cm") == "Almus20\xa0mg, equivalente a2\xa0cm"
    # before a unit only: "word0007 word0008 ..." tied word to word was one run too long for a line
    assert bind_numbers("word0007 word0008 word0009") == "word0007 word0008 word0009"
    assert bind_numbers("\u06285 \u0645\u0644") == "\u06285 \u0645\u0644"


@given(st.text(alphabet="0123456789 +()-./,abc", max_size=60))
def test_binding_numbers_changes_only_spaces(text):
    from leaflet.inline import bind_numbers

    bound = bind_numbers(text)
    assert len(bound) == len(text) and bound.replace("\xa0", " ") == text.replace("\xa0", " ")
