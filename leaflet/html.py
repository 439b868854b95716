"""Stage 4-5 for the web: the leaflet markup -> one self-contained, semantic HTML file.

The same markup trees the PDF is laid out from (the body from ``body.xml.j2``, the per-patient parts
from ``patient.xml.j2``), so the same content and the same template words, in the same order. Every
markup element has one handler below. The page is built as an ElementTree and serialised by it, so
every text and attribute value is escaped; the only unescaped text is the style sheet, which is made
here from the theme's checked ``#rrggbb`` colours and numbers.

The file has no external resources: no scripts, no fonts, no links; a pharmacy logo is a ``data:`` URI.
Headings are numbered from the leaflet's title (``<h1>``), so the markup's ``<h1>`` sections are
``<h2>``; warning boxes are named regions (``<section aria-labelledby>``), the prescription panel is a
table of label and value, and the page header and footer are the ``banner`` and ``contentinfo``.
"""

from __future__ import annotations

import base64
import itertools
import string
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from .theme import Theme

#: The box levels' icons, as text a screen reader skips (the label word says the same).
_ICONS = {"boxed": "\u26a0", "serious": "\u26a0", "caution": "\u26a0", "information": "\u2139"}


@dataclass(frozen=True)
class Page:
    """What the HTML page needs besides the markup."""

    language: str
    rtl: bool
    theme: Theme
    paper: str = "a4"
    pharmacy_name: str | None = None
    pharmacy_lines: tuple[str, ...] = ()
    logo: bytes | None = None


def render(body: ET.Element, patient: ET.Element, page: Page) -> str:
    """The leaflet as an HTML document (a string)."""
    fills = {fill.get("slot", ""): list(fill) for fill in patient.iter("fill")}
    meta = body.find("meta")
    meta_attrs = meta.attrib if meta is not None else {}
    html = ET.Element("html", lang=page.language, dir="rtl" if page.rtl else "ltr")
    head = ET.SubElement(html, "head")
    ET.SubElement(head, "meta", charset="utf-8")
    ET.SubElement(head, "meta", name="viewport", content="width=device-width, initial-scale=1")
    ET.SubElement(head, "title").text = meta_attrs.get("title", "")
    for name in ("subject", "keywords", "author"):
        if meta_attrs.get(name):
            ET.SubElement(head, "meta", name="description" if name == "subject" else name,
                          content=meta_attrs[name])
    ET.SubElement(head, "style").text = _css(page)
    bodyel = ET.SubElement(html, "body")
    _banner(bodyel, body.find("header"), page)
    main = ET.SubElement(bodyel, "main")
    writer = _Writer(fills, page.rtl)
    writer.blocks(main, body)
    footer = body.find("footer")
    if footer is not None:
        texts = [part for part in footer if "{page}" not in "".join(part.itertext())]
        if texts:
            foot = ET.SubElement(bodyel, "footer")
            for part in texts:
                _inline(ET.SubElement(foot, "p"), part)
    _newlines(html)
    return "<!DOCTYPE html>\n" + ET.tostring(html, encoding="unicode", method="html") + "\n"


_BLOCKS = {"html", "head", "body", "header", "main", "footer", "section", "table", "tbody", "tr", "ul", "ol", "p",
           "figure", "figcaption",
           "li", "h1", "h2", "h3", "h4", "caption", "th", "td", "meta", "title", "style", "div", "hr", "img"}


def _newlines(element: ET.Element) -> None:
    """A line break after each block element, for a readable source; never inside text (unlike
    ``ET.indent``, which would put white space into a paragraph that starts with bold text)."""
    for child in element:
        if child.tag in _BLOCKS and element.tag in _BLOCKS - {"p", "li", "h1", "h2", "h3", "h4", "caption",
                                                               "th", "td", "title", "style"}:
            child.tail = (child.tail or "") + "\n"
        _newlines(child)


def _banner(parent: ET.Element, header: ET.Element | None, page: Page) -> None:
    """The page header: the pharmacy (name, logo, address), or the template's header texts."""
    if page.pharmacy_name:
        banner = ET.SubElement(parent, "header")
        if page.logo:
            kind = "png" if page.logo.startswith(b"\x89PNG") else "jpeg"
            ET.SubElement(banner, "img", src=f"data:image/{kind};base64,{base64.b64encode(page.logo).decode()}",
                          alt=page.pharmacy_name, **{"class": "logo"})
        ET.SubElement(banner, "p", {"class": "pharmacy", "dir": "auto"}).text = page.pharmacy_name
        if page.pharmacy_lines:
            address = ET.SubElement(banner, "p", {"class": "address", "dir": "auto"})
            _lines(address, page.pharmacy_lines)
    elif header is not None:
        texts = [part for part in header if "{page}" not in "".join(part.itertext())]
        if texts:
            banner = ET.SubElement(parent, "header")
            for part in texts:
                _inline(ET.SubElement(banner, "p"), part)


def _lines(element: ET.Element, lines: tuple[str, ...] | list[str]) -> None:
    """Lines of plain text separated by ``<br>``."""
    element.text = lines[0] if lines else ""
    for line in lines[1:]:
        ET.SubElement(element, "br").tail = line


def _own_lines(target: ET.Element, source: ET.Element) -> None:
    """People's text, each of its lines a block of its own that takes its own direction, as each line
    does in the PDF. (Lines separated by ``<br>`` in one element all took the direction of the first:
    an Arabic line under an English one read right to left in the wrong order, "5" cut off from "mg".)"""
    lines = ET.Element("lines")
    _inline(lines, source)
    line = ET.SubElement(target, "span", {"class": "line", "dir": "auto"})
    line.text = lines.text
    for child in list(lines):
        if child.tag == "br":
            line = ET.SubElement(target, "span", {"class": "line", "dir": "auto"})
            line.text = child.tail
        else:
            line.append(child)


def _inline(target: ET.Element, source: ET.Element) -> None:
    """Copy ``source``'s text and its ``<b>``, ``<i>``, ``<br/>`` into ``target``; line breaks kept."""
    def text_into(parent: ET.Element, text: str | None, after: ET.Element | None) -> ET.Element | None:
        if not text:
            return after
        pieces = text.split("\n")
        for index, piece in enumerate(pieces):
            if index:
                after = ET.SubElement(parent, "br")
            if after is None:
                parent.text = (parent.text or "") + piece
            else:
                after.tail = (after.tail or "") + piece
        return after

    def copy(src: ET.Element, dst: ET.Element) -> None:
        text_into(dst, src.text, None)
        for child in src:
            tag = {"b": "strong", "i": "em", "br": "br"}[child.tag]
            new = ET.SubElement(dst, tag)
            if tag != "br":
                copy(child, new)
            text_into(dst, child.tail, new)

    copy(source, target)


def _cell_level(text: str) -> int:
    from .rtl import cell_level  # (only for a right-to-left leaflet: it loads the shaping libraries)

    return cell_level(text)


class _Writer:
    """One handler per markup block element; headings numbered from the title's ``<h1>``."""

    def __init__(self, fills: dict[str, list[ET.Element]], right_to_left: bool = False):
        self.fills, self.rtl = fills, right_to_left
        self.ids = itertools.count(1)
        self.level = 1
        self.handlers: dict[str, Callable[[ET.Element, ET.Element], None]] = {
            "p": self.p, "h1": self.heading, "h2": self.heading, "h3": self.heading, "ul": self.ul,
            "box": self.box, "keep": self.blocks, "slot": self.slot, "panel": self.panel,
            "notes": self.notes, "rule": self.rule, "page-break": self.page_break,
            "spacer": self.skip, "meta": self.skip, "footer": self.skip, "header": self.skip,
            "field": self.field, "table": self.table, "figure": self.figure, "ol": self.ol,
            "contents": self.contents,
        }

    def blocks(self, parent: ET.Element, container: ET.Element) -> None:
        for element in container:
            self.handlers[element.tag](parent, element)

    def skip(self, parent: ET.Element, element: ET.Element) -> None:
        return None

    def p(self, parent: ET.Element, element: ET.Element) -> None:
        style = element.get("style", "body")
        if style == "title":
            tag = "h1"
            self.level = 1
        else:
            tag = "p"
        attrs = {"class": f"s-{style}"}
        if element.get("dir") == "auto":
            attrs["dir"] = "auto"
        if element.get("lang"):  # a passage in another language (an English source)
            attrs["lang"] = element.get("lang")
        _inline(ET.SubElement(parent, tag, attrs), element)

    def heading(self, parent: ET.Element, element: ET.Element) -> None:
        # markup h1 and h2 are sections and subsections (h2, h3 here); an h3 is one below what precedes it
        level = {"h1": 2, "h2": 3}.get(element.tag) or min(self.level + 1, 4)
        if element.tag != "h3":
            self.level = level
        attrs = {"class": element.get("style", element.tag)}
        if element.get("id"):
            attrs["id"] = element.get("id")
        _inline(ET.SubElement(parent, f"h{level}", attrs), element)

    def ul(self, parent: ET.Element, element: ET.Element) -> None:
        cols = element.get("columns")
        attrs = {"class": f"s-{element.get('style', 'bullet')}" + (f" cols-{cols}" if cols else "")}
        if element.get("dir") == "auto":
            attrs["dir"] = "auto"
        ul = ET.SubElement(parent, "ul", attrs)
        last = None
        for item in element:
            if item.get("level") == "2" and last is not None:  # a list inside its parent item, as in the PDF
                inner = last.find("ul")
                if inner is None:
                    inner = ET.SubElement(last, "ul", {"class": "s-bullet2"})
                _inline(ET.SubElement(inner, "li"), item)
                continue
            last = ET.SubElement(ul, "li")
            _inline(last, item)

    def contents(self, parent: ET.Element, element: ET.Element) -> None:
        """The list of sections, a line each (a web page has no page numbers)."""
        for entry in element:
            _inline(ET.SubElement(parent, "p", {"class": f"s-{element.get('style', 'contents')}"}), entry)

    def ol(self, parent: ET.Element, element: ET.Element) -> None:
        ol = ET.SubElement(parent, "ol", {"class": f"s-{element.get('style', 'step')}"})
        for item in element:
            _inline(ET.SubElement(ol, "li"), item)

    def table(self, parent: ET.Element, element: ET.Element) -> None:
        table = ET.SubElement(parent, "table", {"class": "data"})
        caption = element.find("caption")
        if caption is not None:
            _inline(ET.SubElement(table, "caption"), caption)
        from .markup import cell_spans, row_cells  # (here: the markup module brings the PDF's blocks with it)

        rows = element.findall("tr")
        spans = cell_spans(rows)  # a group heading or a wide cell: one cell over its columns, as in the PDF
        for r, row in enumerate(rows):
            head = row.get("head") == "yes"
            tr = ET.SubElement(table, "tr")
            covered = 0
            for c, cell in enumerate(row_cells(row)):
                if covered or cell is None:
                    covered = max(0, covered - 1)
                    continue
                # in a right-to-left leaflet, a cell's own direction, as in the PDF (rtl.cell_level)
                attrs = {"dir": "rtl" if _cell_level("".join(cell.itertext())) else "ltr"} if self.rtl else {}
                if (r, c) in spans:
                    attrs["colspan"], covered = str(spans[r, c]), spans[r, c] - 1
                _inline(ET.SubElement(tr, "th", scope="col", **attrs) if head else ET.SubElement(tr, "td", **attrs),
                        cell)

    def figure(self, parent: ET.Element, element: ET.Element) -> None:
        src = element.get("src", "")
        if not src.startswith(("data:image/png;base64,", "data:image/jpeg;base64,")):
            return  # only the checked images the pipeline put inline
        figure = ET.SubElement(parent, "figure")
        ET.SubElement(figure, "img", src=src, alt=" ".join(element.get("alt", "").split()))
        caption = element.find("caption")
        if caption is not None:
            _inline(ET.SubElement(figure, "figcaption"), caption)

    def box(self, parent: ET.Element, element: ET.Element) -> None:
        level = element.get("level", "information")
        name = f"box-{next(self.ids)}"
        section = ET.SubElement(parent, "section", {"class": f"box box-{level}", "aria-labelledby": name})
        head = ET.SubElement(section, "p", {"class": "box-head", "id": name})
        ET.SubElement(head, "span", {"class": "icon", "aria-hidden": "true"}).text = _ICONS.get(level, "!")
        ET.SubElement(head, "strong", {"class": "box-label"}).text = element.get("label", "")
        if element.get("title"):
            label = head[-1]
            label.tail = " "
            ET.SubElement(head, "span", {"class": "box-title"}).text = element.get("title")
        self.blocks(section, element)

    def slot(self, parent: ET.Element, element: ET.Element) -> None:
        for block in self.fills.get(element.get("name", ""), []):
            self.handlers[block.tag](parent, block)

    def panel(self, parent: ET.Element, element: ET.Element) -> None:
        table = ET.SubElement(parent, "table", {"class": "panel"})
        ET.SubElement(table, "caption").text = element.get("title", "")
        body = ET.SubElement(table, "tbody")
        for field in element:
            self.handlers[field.tag](body, field)

    def field(self, parent: ET.Element, element: ET.Element) -> None:
        row = ET.SubElement(parent, "tr")
        ET.SubElement(row, "th", scope="row").text = element.get("label", "")
        cell = ET.SubElement(row, "td", dir="auto")  # people's text takes its own direction
        if element.get("lang"):  # a value in another language (the English directions)
            cell.set("lang", element.get("lang"))
        if "".join(element.itertext()).strip():
            _own_lines(cell, element)
        else:  # a blank to write in on paper
            ET.SubElement(cell, "span", {"class": "write-in"}).text = " "

    def notes(self, parent: ET.Element, element: ET.Element) -> None:
        name = f"notes-{next(self.ids)}"
        section = ET.SubElement(parent, "section", {"class": "notes", "aria-labelledby": name})
        heading = ET.SubElement(section, f"h{min(self.level + 1, 4)}", id=name)
        heading.text = element.get("title", "")
        if element.get("hint"):
            ET.SubElement(section, "p", {"class": "hint"}).text = element.get("hint")
        if "".join(element.itertext()).strip():
            attrs = {"class": "s-notes", "dir": "auto", **({"lang": element.get("lang")} if element.get("lang") else {})}
            _own_lines(ET.SubElement(section, "p", attrs), element)
        else:
            ET.SubElement(section, "div", {"class": "ruled", "aria-hidden": "true"}).text = " "

    def rule(self, parent: ET.Element, element: ET.Element) -> None:
        ET.SubElement(parent, "hr")

    def page_break(self, parent: ET.Element, element: ET.Element) -> None:
        ET.SubElement(parent, "div", {"class": "page-break"})


_CSS = string.Template("""\
html{font-family:'Noto Sans',system-ui,sans-serif;color:$text;background:#fff;line-height:1.45}
body{max-width:46em;margin:0 auto;padding:1em 1.2em;font-size:${screen_size}pt}
header{display:flex;gap:1em;align-items:flex-start;border-bottom:1px solid $rule;margin-bottom:1em}
header .logo{max-height:3.5em;max-width:30%}
header .pharmacy{font-weight:bold;margin:0}
header .address{margin:0 0 .5em auto;text-align:end}
footer{border-top:1px solid $rule;margin-top:2em;font-size:.9em}
h1,h2,h3,h4{color:$accent;line-height:1.25}
.s-kicker{text-transform:uppercase;letter-spacing:.05em;margin-bottom:0}
h1.s-title{font-size:${title_em}em;margin:.1em 0}
ul{padding-inline-start:1.4em}
.line{display:block}.line:empty::before{content:"\\00a0"}
.cols-2{columns:2}.cols-3{columns:3}
.box{border:2px solid;border-radius:.2em;padding:.2em .8em;margin:1em 0;break-inside:avoid}
.box-head{margin:.4em 0}.box-head .icon{margin-inline-end:.4em}
.box-boxed{border-width:5px;border-style:double}.box-caution{border-style:dashed}
.box-information{border-width:1px}
.panel{border-collapse:collapse;width:100%;background:$panel;margin:1em 0}
.panel caption{text-align:start;font-weight:bold;padding:.3em 0}
.panel th{text-align:start;vertical-align:top;padding:.3em .6em;width:30%}
.panel td{padding:.3em .6em}
.write-in{display:inline-block;width:100%;border-bottom:1px solid #000;min-height:1.2em}
.notes{border:1px solid $rule;padding:.2em .8em;margin:1em 0}
.notes .hint{font-size:.9em}
.notes .s-notes{white-space:pre-wrap}
.ruled{height:8em;background:repeating-linear-gradient(transparent 0 1.9em,$rule 1.9em 2em)}
.page-break{break-after:page}
table.data{border-collapse:collapse;margin:1em 0}table.data th,table.data td{border:1px solid $rule;\
padding:.2em .5em;text-align:start}table.data caption{text-align:start;font-weight:bold}\
html[dir=rtl] table.data [dir=ltr]{text-align:right}
figure{margin:1em 0}figure img{max-width:100%;height:auto}
@media print{body{max-width:none;padding:0;font-size:${print_size}pt}@page{size:$paper;margin:15mm}\
h2,h3,h4{break-after:avoid}.box,.panel,.notes{break-inside:avoid}}
""")
_BOX_CSS = string.Template(".box-$level{border-color:$color;background:$tint}"
                           ".box-$level .box-label,.box-$level .icon{color:$color}\n")


def _css(page: Page) -> str:
    """The style sheet, from the theme's colours (checked ``#rrggbb`` values) and sizes."""
    theme = page.theme
    colors = theme.colors

    def color(name: str) -> str:
        return colors.get(name, colors["text"])

    base = theme.styles["body"].size
    css = _CSS.substitute(text=color("text"), rule=color("rule"), accent=color("accent"), panel=color("panel"),
                          screen_size=f"{max(base * 1.2, 12):.3g}", print_size=f"{base:.3g}",
                          title_em=f"{theme.styles['title'].size / base:.3g}",
                          paper="A4" if page.paper == "a4" else "letter")
    for level in ("boxed", "serious", "caution", "information"):
        if level in colors:
            css += _BOX_CSS.substitute(level=level, color=color(level), tint=colors.get(f"tint_{level}", "#fff"))
    return css
