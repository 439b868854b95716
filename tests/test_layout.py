"""Layout rules: warning boxes break only between their items, with "(continued)"."""

from __future__ import annotations

from pathlib import Path

import leaflet

from .conftest import DATA, all_text, page_texts


def content_with(tmp_path: Path, replacement: str) -> Path:
    folder = tmp_path / "testamol"
    folder.mkdir()
    text = (DATA / "content" / "testamol" / "en.yaml").read_text()
    (folder / "en.yaml").write_text(text.replace('    blocks: ["A test."]', replacement))
    return tmp_path


def test_a_box_that_fits_on_a_page_breaks_only_between_its_items(tmp_path):
    """A box that would leave a gap breaks between its items, never inside one, keeps at least two
    items on the first page, and says "(continued)" on the next (issue 10)."""
    box = ("      - warning:\n          level: caution\n          title: Keep me readable\n          blocks:\n"
           + "\n".join(f"            - Box line {i} of the box, a long one that wraps onto a second line of the "
                        f"page so that it could be cut in the middle if the box broke inside an item." for i in range(12)))
    # more and more filler before the box, until the box reaches the end of a page with room for at
    # least two of its items left there: it must then break, not move whole
    for count in range(36, 60):
        filler = "\n".join(f"      - Filler paragraph number {i} to push the box towards the end of the page."
                           for i in range(count))
        (tmp_path / str(count)).mkdir()
        root = content_with(tmp_path / str(count), "    blocks:\n" + filler + "\n" + box)
        pages = [" ".join(t.split()) for t in page_texts(leaflet.build_pdf("testamol", content_dirs=[root]))]
        holding = [i for i, text in enumerate(pages) if "Box line" in text]
        if len(holding) == 2:
            break
    assert len(holding) == 2, "the box never filled the gap at the end of its first page"
    first, second = (pages[i] for i in holding)
    assert "Keep me readable" in first and "Keep me readable (continued)" in second
    for i in range(12):  # every item whole on one page
        whole = f"Box line {i} of the box, a long one that wraps onto a second line"
        item = f"Box line {i} of the box"
        assert (whole in first and item not in second) or (whole in second and item not in first)
    assert sum(f"Box line {i} " in first for i in range(12)) >= 2


def test_a_box_taller_than_a_page_continues_on_the_next(tmp_path):
    box = ("    blocks:\n      - warning:\n          level: serious\n          title: Very long\n"
           "          blocks:\n            - bullets:\n"
           + "\n".join(f"                - Item {i:03d} in a very long list of things." for i in range(90)))
    root = content_with(tmp_path, box)
    data = leaflet.build_pdf("testamol", content_dirs=[root])
    text = all_text(data)
    assert all(f"Item {i:03d}" in text for i in range(90))
    pages = [i for i, t in enumerate(page_texts(data)) if "Item 0" in t]
    assert len(pages) >= 2
    for i in pages:  # every part of the box shows its label and title again
        assert "IMPORTANT" in page_texts(data)[i] and "Very long" in page_texts(data)[i]


def test_right_to_left_paragraphs_share_a_layout_only_when_everything_matches():
    """Laid-out right-to-left paragraphs of content are reused by text, style settings, bullet and
    width; what people type (no memo) never is."""
    from reportlab.lib.styles import ParagraphStyle

    from leaflet import fonts
    from leaflet.flowables import RTLParagraph
    from leaflet.rtl import Run

    font = fonts.family("Noto Sans Arabic").regular
    style = ParagraphStyle("rtl-test", fontName=font, fontSize=10, leading=14, shaping=1)
    runs = (Run("تناول قرصًا واحدًا كل يوم", font),)

    def lines(para: RTLParagraph, width: float):
        para.wrap(width, 1000)
        return para._para.blPara

    same = lines(RTLParagraph(runs, style, memo=True), 300)
    assert lines(RTLParagraph(runs, style, memo=True), 300) is same
    assert lines(RTLParagraph(runs, style), 300) is not same  # what people type: laid out afresh
    assert lines(RTLParagraph(runs, style, memo=True), 60) is not same
    # a right-to-left bullet is drawn beside the lines, which are the same
    assert lines(RTLParagraph(runs, style, bullet="•", memo=True), 300) is same
    assert lines(RTLParagraph((Run("تناول قرصين كل يوم", font),), style, memo=True), 300) is not same
    assert lines(RTLParagraph(runs, ParagraphStyle("copy", parent=style), memo=True), 300) is same
    other_style = ParagraphStyle("rtl-test-2", parent=style, fontSize=11)
    assert lines(RTLParagraph(runs, other_style, memo=True), 300) is not same
    assert len(lines(RTLParagraph(runs, style, memo=True), 60).lines) > len(same.lines)  # narrower: more lines


def test_layout_and_pdf_use_one_page_geometry(tmp_path, monkeypatch):
    """The frame boxes are split for is the frame the pages have, also for a template whose header is
    empty (it gets no header band, and the frame is that much taller)."""
    import shutil

    from leaflet import layout, pdf
    from leaflet.resources import shipped_dir

    folder = tmp_path / "empty-header"
    shutil.copytree(shipped_dir("templates") / "standard", folder)
    body = folder / "body.xml.j2"
    body.write_text(body.read_text().replace("<footer>", "<header></header>\n<footer>", 1))
    seen = {}
    real_layout, real_render = layout.layout_body, pdf.render_later

    def spy_layout(tree, template, options, source):
        seen["layout"] = options.frame_height
        return real_layout(tree, template, options, source)

    def spy_render(flowables, template, geometry, furniture):
        seen["pdf"] = geometry.frame[3]
        seen["header"] = geometry.header_height
        return real_render(flowables, template, geometry, furniture)

    monkeypatch.setattr(layout, "layout_body", spy_layout)
    monkeypatch.setattr(pdf, "render_later", spy_render)
    leaflet.clear_caches()
    leaflet.build_pdf("diazepam", template=str(folder))
    assert seen["layout"] == seen["pdf"] and seen["header"] == 0
    plain = {}
    seen.clear()
    leaflet.build_pdf("diazepam")
    plain.update(seen)
    assert plain["layout"] == plain["pdf"] == seen["pdf"]


def test_a_new_block_is_one_registry_entry(monkeypatch):
    """An element registered once (attributes, check, builder) is parsed, checked and laid out."""
    import pytest

    from leaflet import layout, markup, pdf, templating
    from leaflet.errors import TemplateError
    from leaflet.geometry import page_geometry

    def check(el, template_file):
        if not el.get("title"):
            raise TemplateError("<callout> needs a title")

    def build(b, el):
        return [b.plain_para(el.get("title"), "h3"), b.text_para(el, "body")]

    monkeypatch.setitem(markup.ELEMENTS, "callout", markup.Element(
        "callout", frozenset({"title"}), text=True, check=check, build=build))
    tpl = templating.load_template("standard")
    tree = markup.parse('<leaflet><callout title="Call us">Ring <b>111</b> at night.</callout></leaflet>',
                        "test", "leaflet")
    with pytest.raises(TemplateError, match="unknown attribute"):
        markup.parse('<leaflet><callout title="x" colour="red">x</callout></leaflet>', "test", "leaflet")
    with pytest.raises(TemplateError, match="needs a title"):
        markup.parse("<leaflet><callout>x</callout></leaflet>", "test", "leaflet")
    geometry = page_geometry(tpl, "a4", None)
    body = layout.layout_body(tree, tpl, layout.Options(False, geometry.frame_height), "test")
    furniture = pdf.PageFurniture({}, {}, None, {}, "en", __import__("datetime").date(2026, 1, 1))
    text = all_text(pdf.render(layout.assemble(body, {}), tpl, geometry, furniture))
    assert text.index("Call us") < text.index("Ring 111 at night.")
    monkeypatch.delitem(markup.ELEMENTS, "callout")
    with pytest.raises(TemplateError, match="unknown markup element <callout>"):
        markup.parse('<leaflet><callout title="Call us">x</callout></leaflet>', "test", "leaflet")
