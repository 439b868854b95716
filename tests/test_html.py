"""The HTML leaflet: same content as the PDF, semantic, self-contained, escaped, and axe-core finds
nothing wrong with it in a real Chromium (English and Arabic)."""

from __future__ import annotations

import re
import shutil
import warnings
from html.parser import HTMLParser

import pytest

import leaflet
from leaflet import content
from leaflet.cli import main
from leaflet.translations import TranslationWarning

from .conftest import DATA, EXAMPLES, ROOT, all_text

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
AXE = DATA / "axe" / "axe.min.js"


def build(lang: str = "en", **options) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        return leaflet.build_html("diazepam", language=lang, **options)


class _Outline(HTMLParser):
    """Tags, attributes and text of a page, in order."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.headings: list[tuple[str, str]] = []
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append((tag, ""))
            self._in.append(tag)

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self._in:
            tag, text = self.headings[-1]
            self.headings[-1] = (tag, text + data)


def outline(page: str) -> _Outline:
    parser = _Outline()
    parser.feed(page)
    return parser


@pytest.mark.parametrize("lang", ["en", "ar", "hi", "zh-Hans"])
def test_sections_in_order_as_headings_with_language_and_direction(lang):
    page = build(lang)
    leaf = content.load(ROOT / "content" / "diazepam" / f"{lang}.yaml").leaflet
    found = outline(page)
    html_tag = found.tags[0]
    assert html_tag == ("html", {"lang": lang, "dir": "rtl" if lang == "ar" else "ltr"})
    h2 = [" ".join(text.split()) for tag, text in found.headings if tag == "h2"]
    titles = [f"{n}. {s.title}" for n, s in enumerate(leaf.sections, start=1)]
    assert [t for t in h2 if t in titles] == titles
    h3 = [" ".join(text.split()) for tag, text in found.headings if tag == "h3"]
    subs = [sub.title for s in leaf.sections for sub in s.subsections]
    assert [t for t in h3 if t in subs] == subs
    assert [tag for tag, _ in found.headings].count("h1") == 1


def test_same_words_as_the_pdf(built):
    options = {"patient": EXAMPLES / "patient.yaml", "pharmacy": EXAMPLES / "pharmacy.yaml"}
    page = build(**options)
    words = " ".join("".join(outline(page.split("<body>", 1)[1]).text).split())
    pdf_words = all_text(built(**options))
    # every paragraph of the PDF body is in the page (the PDF adds page numbers, hyphenation)
    leaf = content.load(ROOT / "content" / "diazepam" / "en.yaml").leaflet
    for section in leaf.sections:
        for block in section.blocks:
            if isinstance(block, str):
                plain = " ".join(block.replace("**", "").replace("*", "").split())
                assert plain in words
    for needle in ("Ann Example", "Dr Sam Rivera", "12 Mill Lane, Riverside", "Prescriber notes",
                   "This is a short course: 2 weeks."):
        assert needle in words and needle in pdf_words


def test_semantic_parts():
    page = build(patient=EXAMPLES / "patient.yaml", pharmacy=EXAMPLES / "pharmacy.yaml")
    found = outline(page)
    tags = [tag for tag, _ in found.tags]
    for tag in ("header", "main", "footer", "table", "caption", "th", "td", "ul", "li", "section", "img"):
        assert tag in tags, tag
    boxes = [attrs for tag, attrs in found.tags if tag == "section" and "box" in attrs.get("class", "")]
    assert boxes and all(attrs.get("aria-labelledby") for attrs in boxes)
    ths = [attrs for tag, attrs in found.tags if tag == "th"]
    assert all(attrs.get("scope") in ("row", "col") for attrs in ths)
    # the panel: patient, medicine, directions, quantity, date, prescriber (the pharmacy is named in
    # the header above it, not again in the panel)
    assert [attrs["scope"] for attrs in ths].count("row") == 6
    (img,) = [attrs for tag, attrs in found.tags if tag == "img"]
    assert img["alt"] == "Riverside Community Pharmacy" and img["src"].startswith("data:image/png;base64,")


def test_self_contained_no_external_resources():
    page = build(pharmacy=EXAMPLES / "pharmacy.yaml")
    for attrs in (a for _, a in outline(page).tags):
        for name in ("src", "href"):
            assert not attrs.get(name) or attrs[name].startswith("data:"), attrs
    assert "<script" not in page and "@import" not in page and "url(" not in page


def test_everything_is_escaped():
    evil = '</p><script>alert(1)</script><img src=x onerror=alert(2)> & "quotes"'
    page = build(patient={"name": evil, "directions": evil}, notes=evil)
    assert "<script" not in page and "<img" not in page
    assert page.count("&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;") == 3
    found = outline(page)
    assert evil in "".join(found.text)


def test_command_line_writes_html(tmp_path):
    out = tmp_path / "a.html"
    assert main(["build", "diazepam", "--format", "html", "--lang", "ar", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["build", "diazepam", "--format", "html", "--pdfa", "2b", "-o", str(out)]) == 2


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("medicine, lang, patient", [("diazepam", "en", "patient.yaml"),
                                                      ("diazepam", "ar", "patient-ar.yaml"),
                                                      ("warfarin", "en", "patient.yaml")])
def test_axe_core_finds_no_violations_in_chromium(browser, medicine, lang, patient):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        page_html = leaflet.build_html(medicine, language=lang, patient=EXAMPLES / patient,
                                       pharmacy=EXAMPLES / "pharmacy.yaml", notes="Review in 2 weeks.")
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.set_content(page_html)
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document)")
    assert result["passes"], "axe ran no checks"
    assert {r["id"] for r in result["passes"]} >= {"color-contrast", "html-has-lang", "image-alt",
                                                    "landmark-one-main", "heading-order", "list"}
    problems = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
                for v in result["violations"]]
    assert problems == []
    assert page.evaluate("document.documentElement.dir") == ("rtl" if lang == "ar" else "ltr")
    assert [u for u in requests if not u.startswith("data:")] == []
    page.close()


def test_tables_figures_and_steps_are_semantic():
    page = leaflet.build_html("warfarin")
    found = outline(page)
    figures = [attrs for tag, attrs in found.tags if tag == "img" and attrs.get("src", "").startswith("data:image/")]
    assert figures and all(attrs.get("alt") for attrs in figures)
    tags = [tag for tag, _ in found.tags]
    assert "figure" in tags and "ol" in tags and tags.count("th") > 2


class _Langs(HTMLParser):
    """The text inside each element with its own ``lang`` (below ``<html>``)."""

    def __init__(self):
        super().__init__()
        self.stack: list[str | None] = []
        self.found: list[tuple[str, str, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        lang = dict(attrs).get("lang") if tag != "html" else None
        if lang:
            self.found.append((tag, lang, []))
        self.stack.append(lang and len(self.found) - 1)

    def handle_endtag(self, tag):
        self.stack.pop()

    def handle_data(self, data):
        for index in self.stack:
            if index is not None and index != "":
                self.found[index][2].append(data)


def test_the_english_directions_in_a_translated_leaflet_say_they_are_english():
    patient = {"name": "Ana Ruiz", "directions": {"dose": 1, "unit": "tablet", "route": "by-mouth",
                                                  "frequency": "at-bedtime", "days": 7}}
    page = build("es", patient=patient)
    assert re.search(r'<html[^>]* lang="es"', page)
    parser = _Langs()
    parser.feed(page)
    found = [(tag, lang, " ".join("".join(text).split())) for tag, lang, text in parser.found if tag == "td"]
    assert len(found) == 1 and found[0][:2] == ("td", "en")
    # the only other passages in English: the sources (English articles)
    assert {(tag, lang) for tag, lang, _ in parser.found if tag != "td"} == {("p", "en")}
    assert found[0][2].startswith("Dose: 1 tablet") and "at bedtime" in found[0][2] and "Dosis" not in found[0][2]



class _Lists(HTMLParser):
    """Each <li> that holds a <ul>: the texts of that list's items."""

    def __init__(self):
        super().__init__()
        self.stack: list[list] = []  # open li and ul elements: [tag, texts]
        self.nested: list[list[str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "ul" and self.stack and self.stack[-1][0] == "li":
            self.nested.append([])
            self.stack.append(["ul", self.nested[-1]])
        elif tag in ("ul", "li"):
            self.stack.append([tag, None if tag == "ul" else []])

    def handle_endtag(self, tag):
        if tag in ("ul", "li") and self.stack:
            kind, texts = self.stack.pop()
            if kind == "li" and self.stack and self.stack[-1][0] == "ul" and self.stack[-1][1] is not None:
                self.stack[-1][1].append(" ".join("".join(texts).split()))

    def handle_data(self, data):
        for kind, texts in reversed(self.stack):
            if kind == "li":
                texts.append(data)
                break


def test_a_second_level_list_is_inside_its_parent_item():
    """An item with its own bullets holds them as a list of its own (<li>text<ul><li>...), as in the PDF."""
    lists = _Lists()
    lists.feed(leaflet.build_html("warfarin"))
    leaf = content.load(ROOT / "content" / "warfarin" / "en.yaml").leaflet
    parents = [b for s in leaf.sections for blocks in [s.blocks, *[x.blocks for x in s.subsections]]
               for block in blocks if getattr(block, "bullets", None) for b in block.bullets if not isinstance(b, str)]
    assert parents and lists.nested == [[" ".join(t.split()) for t in p.bullets] for p in parents]


def test_each_line_of_typed_text_takes_its_own_direction_in_chromium(browser):
    """Review finding: notes and panel values were one element with ``dir="auto"``, so an Arabic line
    under an English one took the English line's direction and read in the wrong order ("5" cut off
    from its "mg"). Each line is now a block of its own, as each line is in the PDF."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        page_html = leaflet.build_html("diazepam", language="ar",
                                       patient={"name": "Ann Example\u060c \u0622\u0646",
                                                "directions": "Take as directed\n5 \u0645\u0644\u063a \u062b\u0645 10 \u0645\u0644\u063a"},
                                       notes="Pharmacist note:\n5 \u0645\u0644\u063a \u062b\u0645 10 \u0645\u0644\u063a")
    page = browser.new_page()
    page.set_content(page_html)
    found = page.evaluate("""() => {
        const out = [];
        for (const box of document.querySelectorAll('.s-notes, .panel td')) {
            const walk = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
            for (let n = walk.nextNode(); n; n = walk.nextNode()) {
                const at = (s) => { const i = n.textContent.indexOf(s); if (i < 0) return null;
                                    const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + s.length);
                                    return r.getBoundingClientRect().left; };
                out.push({text: n.textContent, five: at('5'), ten: at('10'),
                          rtl: n.parentElement.matches(':dir(rtl)')});
            }
        }
        return out;
    }""")
    page.close()
    arabic = [f for f in found if f["text"].startswith("5")]
    assert len(arabic) == 2, found  # the notes' second line and the directions' second line
    for line in arabic:
        assert line["rtl"] and line["five"] > line["ten"], line  # "5" first, on the right, as typed
    assert all(not f["rtl"] for f in found if f["text"].startswith(("Pharmacist", "Take"))), found


def test_a_blank_line_in_typed_text_keeps_its_height_in_chromium(browser):
    """Review finding: an empty line of the notes was an empty block with no height, so the blank line
    the prescriber typed (kept in the PDF) vanished from the page."""
    page_html = leaflet.build_html("diazepam", notes="Line one.\n\nLine three.",
                                   patient={"name": "Ann", "directions": "Take one.\n\nThen another."})
    page = browser.new_page()
    page.set_content(page_html)
    heights = page.evaluate("""() => [...document.querySelectorAll('.s-notes .line, .panel td .line')]
        .map(line => [line.textContent, line.getBoundingClientRect().height])""")
    page.close()
    blanks = [height for text, height in heights if text == ""]
    full = [height for text, height in heights if text]
    assert len(blanks) == 2 and min(blanks) > 0.8 * min(full), heights


def test_a_left_to_right_cell_of_an_arabic_table_starts_at_the_right_in_chromium(browser):
    """Review finding: with each cell's direction given, the forms table's Latin cells ("2 mg, 5 mg,
    10 mg", dir="ltr") sat at the left of their column, the Arabic ones at the right. Each starts at
    the right, as in the PDF."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        page_html = leaflet.build_html("diazepam", language="ar")
    page = browser.new_page()
    page.set_content(page_html)
    cells = page.evaluate("""() => [...document.querySelectorAll('table.data td')].map(td => {
        const r = document.createRange(); r.selectNodeContents(td);
        const text = r.getBoundingClientRect(), box = td.getBoundingClientRect();
        return {dir: td.getAttribute('dir'), text: td.textContent, gap: box.right - text.right};
    })""")
    page.close()
    latin = [c for c in cells if c["dir"] == "ltr"]
    assert latin and any("2\u00a0mg" in c["text"] for c in latin), cells
    assert all(c["gap"] < 12 for c in cells if c["text"].strip()), cells  # within the cell's padding
