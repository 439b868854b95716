"""Look inside the real PDF: text and its order, fonts, page size, sizes, outline, metadata, form."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf.generic import NameObject

import leaflet
from leaflet import content
from leaflet.inline import plain
from leaflet.model import REQUIRED_SECTIONS

from .conftest import EXAMPLES, ROOT, all_text, font_sizes, page_texts, reader

EN = content.load(content.locate("diazepam", "en", content.content_roots()))


def section_titles() -> list[str]:
    return [f"{i}. {s.title}" for i, s in enumerate(EN.leaflet.sections, start=1)]


def test_every_section_title_is_printed_in_order(standard):
    text = all_text(standard)
    titles = section_titles()
    contents = text.find("What is in this leaflet")
    pos = contents
    for title in titles:  # first the list of contents, in order
        pos = text.find(title, pos + 1)
        assert pos > contents, f"{title!r} missing from the contents list"
    for title in titles:  # then the headings themselves, in order
        pos = text.find(title, pos + 1)
        assert pos >= 0, f"section heading {title!r} missing or out of order"
    assert [s.id for s in EN.leaflet.sections] == list(REQUIRED_SECTIONS)


def test_subsections_follow_their_section(standard):
    text = all_text(standard)
    for section in EN.leaflet.sections:
        start = text.rfind(section.title)
        for sub in section.subsections:
            pos = text.find(sub.title, start)
            assert pos > start, f"{sub.title!r} not after {section.title!r}"
            start = pos


def test_important_box_comes_before_section_one(standard):
    text = all_text(standard)
    assert text.find(EN.leaflet.important.title) < text.rfind(section_titles()[0])
    assert text.find("WARNING") < text.find(EN.leaflet.important.title)


def test_title_block_and_patient_panel(standard):
    first = " ".join(page_texts(standard)[0].split())
    for expected in ("Patient information leaflet", "Diazepam", "Valium", "Your prescription",
                     "Ann Example", "Dr Sam Rivera", "Riverside Community Pharmacy", "20 November 2026",
                     "Take one 2 mg tablet up to three times a day"):
        assert expected in first, expected


def text_of(item) -> str:
    """A paragraph or item's text, whether plain or marked with the forms it applies to."""
    return item if isinstance(item, str) else item.text


def test_every_paragraph_of_content_is_printed(built):
    """Every paragraph and bullet of the content file reaches the page (no form chosen), emphasis
    markers removed."""
    text = " ".join(all_text(built()).replace("\u00ad", "").split())
    missing = []

    def walk(blocks):
        for block in blocks:
            if isinstance(block, str) or hasattr(block, "text"):  # a paragraph, or one marked by form
                yield text_of(block)
            elif hasattr(block, "bullets"):
                yield from map(text_of, block.bullets)
            elif hasattr(block, "warning"):
                yield from walk(block.warning.blocks)
            elif hasattr(block, "side_effects"):
                for group in block.side_effects.groups:
                    yield from map(text_of, group.items)

    leaf = EN.leaflet
    blocks = list(leaf.important.blocks)
    for section in leaf.sections:
        blocks += section.blocks
        for sub in section.subsections:
            blocks += sub.blocks
    for item in walk(blocks):
        words = " ".join(plain(item).split())
        if words[:40] not in text:
            missing.append(words[:40])
    assert not missing


def test_page_numbers_say_n_of_m(standard):
    pages = page_texts(standard)
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text


def test_pharmacy_branding_on_every_page(standard):
    """The full header (logo, address, phone) on page 1; the pharmacy's name alone after it."""
    texts = page_texts(standard)
    assert "Tel. 01234 567 890" in texts[0] and "12 Mill Lane" in texts[0]
    for text in texts[1:]:
        assert "Riverside Community Pharmacy" in text
        assert "Tel. 01234 567 890" not in text


def test_all_fonts_embedded_and_subset(standard, built):
    for data in (standard, built(template="large-print"), built(paper="letter")):
        pdf = reader(data)
        for page in pdf.pages:
            fonts = page["/Resources"]["/Font"]
            for name, ref in fonts.items():
                font = ref.get_object()
                base = str(font["/BaseFont"])
                assert re.match(r"^/[A-Z]{6}\+", base), f"{name} {base} is not a subset"
                descriptor = font["/FontDescriptor"].get_object()
                assert "/FontFile2" in descriptor, f"{base} is not embedded"


def test_page_sizes(built):
    a4 = reader(built(paper="a4")).pages[0].mediabox
    letter = reader(built(paper="letter")).pages[0].mediabox
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)
    assert (round(float(letter.width)), round(float(letter.height))) == (612, 792)


def test_margins_are_printer_safe(standard):
    """No text closer than 12 mm to any edge."""
    limit = 12 * 72 / 25.4
    pdf = reader(standard)
    for page in pdf.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        xs, ys = [], []

        def visit(text, cm, tm, font, size, xs=xs, ys=ys):
            if text.strip():
                xs.append(tm[4] * cm[0] + cm[4])
                ys.append(tm[5] * cm[3] + cm[5])

        page.extract_text(visitor_text=visit)
        assert min(xs) >= limit and max(xs) <= width - limit
        assert min(ys) >= limit and max(ys) <= height - limit


def test_standard_sizes(standard):
    sizes = font_sizes(standard)
    assert min(sizes) >= 9, sizes
    body = sizes.most_common(1)[0][0]
    assert body >= 10


def test_large_print_sizes(built):
    sizes = font_sizes(built(template="large-print"))
    body = sizes.most_common(1)[0][0]
    assert body >= 16, sizes
    big = [s for s in sizes if s >= 16]
    assert sum(sizes[s] for s in big) / sum(sizes.values()) > 0.85


@pytest.mark.parametrize("medicine", sorted(p.name for p in (ROOT / "content").iterdir() if (p / "en.yaml").is_file()))
def test_large_print_has_no_italics(medicine):
    """No italic font anywhere in a large-print leaflet of any shipped medicine (warfarin's figure
    captions were italic: the standard template's caption style came through ``extends``)."""
    pdf = reader(leaflet.build_pdf(medicine, template="large-print"))
    for page in pdf.pages:
        for ref in page["/Resources"]["/Font"].values():
            assert "Italic" not in str(ref.get_object()["/BaseFont"]), medicine


def test_a_theme_without_italic_may_not_have_an_italic_style(tmp_path):
    folder = tmp_path / "no-italic"
    folder.mkdir()
    (folder / "theme.yaml").write_text("extends: standard\nname: no-italic\nallow_italic: false\n")
    with pytest.raises(leaflet.LeafletError, match="caption"):
        leaflet.build_pdf("diazepam", template=str(folder))


def test_outline_lists_every_section_and_subsection(standard):
    pdf = reader(standard)
    top, children = [], []
    for item in pdf.outline:
        if isinstance(item, list):
            children.append([c.title for c in item])
        else:
            top.append(item.title)
    # short notes sit on page 1 under the panel, then the most important box, then the sections
    assert top == ["Prescriber notes", EN.leaflet.important.title, *section_titles()]
    expected_children = [[s.title for s in sec.subsections] for sec in EN.leaflet.sections if sec.subsections]
    expected_children[-1:] = [expected_children[-1]] if expected_children else []
    assert [c for c in children if c][: len(expected_children)] == expected_children


def test_outline_points_at_the_page_with_the_heading(standard):
    pdf = reader(standard)
    texts = page_texts(standard)
    for item in pdf.outline:
        if isinstance(item, list):
            continue
        page = pdf.get_destination_page_number(item)
        assert item.title in " ".join(texts[page].split()), item.title


def test_metadata(standard):
    pdf = reader(standard)
    meta = pdf.metadata
    assert meta.title == "Diazepam: Patient information leaflet"
    assert "Diazepam" in meta.subject
    assert meta.author == "Riverside Community Pharmacy"
    assert str(pdf.trailer["/Root"]["/Lang"]) == "en"
    assert meta["/CreationDate"].startswith("D:20261101")  # the content's revision date


def test_fillable_notes_field(built):
    plain_pdf = reader(built(patient=EXAMPLES / "patient.yaml"))
    assert not plain_pdf.get_fields()
    data = built(patient=EXAMPLES / "patient.yaml", fillable=True)
    pdf = reader(data)
    fields = pdf.get_fields()
    assert set(fields) == {"prescriber_notes"}
    field = fields["prescriber_notes"]
    assert field["/FT"] == "/Tx"
    assert int(field["/Ff"]) & 4096  # multiline
    # the widget sits on the page that has the notes box, inside the page
    for page in pdf.pages:
        for annot in page.get("/Annots", []) or []:
            annot = annot.get_object()
            if annot.get("/T") == "prescriber_notes":
                assert "Prescriber notes" in page.extract_text()
                x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
                assert 0 < x0 < x1 <= float(page.mediabox.width) and 0 < y0 < y1
                assert annot["/P"].get_object() == page.get_object() if "/P" in annot else True
                break
        else:
            continue
        break
    else:
        pytest.fail("no widget for the notes field on any page")


def test_fillable_form_font_is_the_only_unembedded_font(built):
    """The form field's font is the viewer's (ReportLab's forms only know the base-14 fonts)."""
    pdf = reader(built(fillable=True))
    form_fonts = pdf.trailer["/Root"]["/AcroForm"]["/DR"]["/Font"]
    assert list(form_fonts) == [NameObject("/Helv")]


def test_blank_handout_has_write_in_lines_and_no_patient(built):
    data = built()
    first = page_texts(data)[0]
    assert "Your prescription" in first and "Patient" in first
    assert "Ann Example" not in all_text(data)
    assert "Prescriber notes" in all_text(data)


def test_markup_in_user_text_is_printed_literally(built):
    nasty = {"name": "<b>Ann & Co</b>", "prescriber": 'Dr "Quote" O\'Neil <i>', "directions": "&amp; &lt;x&gt;"}
    data = built(patient=nasty, notes='<img src="/etc/passwd"/> <font size=72>big</font> & more')
    text = all_text(data)
    for value in (*nasty.values(), '<img src="/etc/passwd"/>', "<font size=72>big</font> & more"):
        assert value in text
    assert max(font_sizes(data)) < 30  # the <font> tag was not obeyed


def test_long_notes_continue_on_the_next_page_and_are_never_cut(built):
    words = [f"word{i:04d}" for i in range(600)]  # 5,400 characters: near the limit
    data = built(notes=" ".join(words))
    text = all_text(data)
    for word in words:
        assert word in text
    texts = page_texts(data)
    pages_with_notes = [i for i, t in enumerate(texts) if "Prescriber notes" in t and i > 0]
    assert f"See the prescriber notes on page {pages_with_notes[0] + 1}." in " ".join(texts[0].split())
    assert len(pages_with_notes) >= 2
    assert pages_with_notes == list(range(pages_with_notes[0], pages_with_notes[-1] + 1))


def test_notes_keep_their_line_breaks(built):
    data = built(notes="First line\nSecond line")
    lines = [line.strip() for line in "\n".join(page_texts(data)).splitlines()]
    assert "First line" in lines and "Second line" in lines


@pytest.mark.parametrize("options", [
    {},
    {"patient": EXAMPLES / "patient.yaml", "pharmacy": EXAMPLES / "pharmacy.yaml", "fillable": True},
    {"template": "large-print", "paper": "letter"},
])
def test_two_builds_are_byte_identical(options):
    assert leaflet.build_pdf("diazepam", **options) == leaflet.build_pdf("diazepam", **options)


def test_builds_in_separate_processes_are_byte_identical(tmp_path):
    import subprocess
    import sys

    outputs = []
    for i in range(2):
        out = tmp_path / f"{i}.pdf"
        subprocess.run([sys.executable, "-m", "leaflet", "build", "diazepam", "--patient",
                        str(EXAMPLES / "patient.yaml"), "-o", str(out)], check=True, capture_output=True,
                       env={"PYTHONHASHSEED": str(i + 1), "PATH": "/usr/bin:/bin"}, cwd=Path(__file__).parent.parent)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_pdf_is_small(standard):
    assert len(standard) < 150_000


def test_reused_layout_gives_the_same_bytes_as_a_fresh_process(tmp_path):
    """The laid-out body is reused between builds; that must never change a byte."""
    import subprocess
    import sys

    options = ["--patient", str(EXAMPLES / "patient.yaml"), "--pharmacy", str(EXAMPLES / "pharmacy.yaml"),
               "--fillable"]
    out = tmp_path / "fresh.pdf"
    subprocess.run([sys.executable, "-m", "leaflet", "build", "diazepam", *options, "-o", str(out)], check=True,
                   capture_output=True, cwd=Path(__file__).parent.parent)
    kwargs = {"patient": EXAMPLES / "patient.yaml", "pharmacy": EXAMPLES / "pharmacy.yaml", "fillable": True}
    for _ in range(3):  # other builds in between reuse and disturb the same cached body
        leaflet.build_pdf("diazepam", **kwargs)
        leaflet.build_pdf("diazepam", notes="x " * 2000, **kwargs)
    assert leaflet.build_pdf("diazepam", **kwargs) == out.read_bytes()


def test_a_patient_file_may_be_named_by_a_string_and_anything_else_is_refused():
    by_path = leaflet.build_pdf("diazepam", patient=EXAMPLES / "patient.yaml", pharmacy=EXAMPLES / "pharmacy.yaml")
    by_str = leaflet.build_pdf("diazepam", patient=str(EXAMPLES / "patient.yaml"), pharmacy=str(EXAMPLES / "pharmacy.yaml"))
    assert by_str == by_path
    for wrong in ({"patient": 42}, {"patient": ["Jane"]}, {"pharmacy": 3}):
        with pytest.raises(leaflet.LeafletError, match="is a (int|list)"):
            leaflet.build_pdf("diazepam", **wrong)


def test_a_frame_s_quick_copy_is_a_copy():
    """ReportLab measures a box's content in a deep copy of its frame (``_listWrapOn``); leaflet's
    frames copy faster (``pdf._Frame.__deepcopy__``), and the copy must still be one: the same numbers,
    its own lists, and what is added to it (a frame break its content asks for) not added to the frame."""
    import copy

    from reportlab.platypus.doctemplate import FrameBreak

    from leaflet import pdf

    frame = pdf._Frame(10, 20, 300, 400, id="body-first-0")
    frame._frameBGs = [("#ffffff", 0, 0)]  # (the document gives its frame this list)
    frame.add_generated_content(FrameBreak)
    twin = copy.deepcopy(frame)
    assert {k: v for k, v in vars(twin).items() if k != "_generated_content"} == \
        {k: v for k, v in vars(frame).items() if k != "_generated_content"}
    assert twin._frameBGs is not frame._frameBGs
    twin._generated_content = None  # as ReportLab does with its copy
    del twin._generated_content
    twin.add_generated_content(FrameBreak)
    twin._frameBGs.append(("#000000", 0, 0))
    assert frame._generated_content == [FrameBreak] and len(frame._frameBGs) == 1
    twin._y -= 50
    assert frame._y != twin._y
