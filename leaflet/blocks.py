"""The markup's elements, each defined once: its attributes, its check and how it is built.

:data:`leaflet.markup.ELEMENTS` is the registry (tag -> :class:`~leaflet.markup.Element`); the markup
parser checks templates' output against it and the layout stage builds each block through it. A new
kind of block (a table, a figure, numbered steps) is one ``register(Element(...))`` here or in its own
module: its attributes, what it checks and a ``build(builder, element)`` that returns its flowables,
using the layout builder's helpers (``text_para``, ``plain_para``, ``blocks``, ``styles``, ``theme``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from reportlab.platypus import CondPageBreak, Flowable, HRFlowable, KeepTogether, PageBreak, Spacer
from reportlab.platypus.flowables import BalancedColumns

from . import rlbridge
from .errors import Location, TemplateError
from .inline import introduces
from .markup import LEVELS, Element, number, register

# --- text inside text elements, and structure -----------------------------------------------------

for _tag in ("b", "i", "br"):
    register(Element(_tag, role="inline"))
register(Element("meta", frozenset({"title", "subject", "author", "keywords", "creator"}), role="part"))
for _tag in ("footer", "header"):
    register(Element(_tag, role="part"))
for _tag in ("left", "center", "right"):  # the parts of a header or footer
    register(Element(_tag, role="part", text=True))
register(Element("fill", frozenset({"slot"}), role="part"))  # per-patient content for a <slot>
register(Element("li", frozenset({"level"}), role="part", text=True,  # inside <ul> or <ol>
                 check=lambda el, f: _check_li(el, f)))
register(Element("field", frozenset({"label", "lines", "half", "lang", "style"}), role="part",
                 text=True))  # lang: the value's language, where it is not the leaflet's  # inside <panel>


# --- blocks -----------------------------------------------------------------------------------------

#: Paragraph styles a theme may leave out, and the style used then.
_P_FALLBACK = {"revision": "small"}


def _p(b, el: ET.Element) -> list:
    title = el.get("style") == "title"  # the leaflet's title is its first heading (tagged PDF, HTML)
    style = el.get("style", "body")
    if style not in b.styles and style in _P_FALLBACK:
        style = _P_FALLBACK[style]
    para = b.tagged(b.text_para(el, style, auto=el.get("dir") == "auto", lang=el.get("lang")),
                    "H" if title else "P", el, heading="title" if title else None, lang=el.get("lang"))
    return [_kept_with_next(para, el)]


#: The longest text (in characters, a few lines) kept with what follows it for ending with a colon: a
#: longer paragraph may break across pages as any does (kept whole, it left a page 10 % full, review
#: finding).
INTRO_MOST = 400


def _kept_with_next(flowable: Flowable, el: ET.Element) -> Flowable:
    """A short paragraph or list item whose text ends with a colon introduces what follows it ("La dosis
    recomendada es:", "Uso en adultos:", an item over its own bullets): kept with it, as a heading is,
    never the last line of a page with what it introduces overleaf (review finding, imported leaflets)."""
    text = "".join(el.itertext()).strip()
    if introduces(text) and len(text) <= INTRO_MOST or _bold_line(el, text):
        flowable.keepWithNext = flowable._leaflet_keep_with_next = 1
    return flowable


#: The longest text (characters) of a paragraph all in bold that is a lead-in, kept with what follows.
LEAD_IN_MOST = 160


def _bold_line(el: ET.Element, text: str) -> bool:
    """Whether a body paragraph is a short line all in bold that is not a sentence (no full stop): a
    sub-heading as imported text has them ("Contenido del prospecto", "Si toma más Simvastatina Almus 20
    mg del que debiera"), which ended a page with what it heads overleaf (review finding)."""
    children = list(el)
    return (el.tag == "p" and el.get("style", "body") == "body" and 0 < len(text) <= LEAD_IN_MOST
            and not text.endswith((".", "!", "?", "\u3002", "\u061f")) and not (el.text or "").strip()
            and len(children) == 1 and children[0].tag == "b" and not (children[0].tail or "").strip())


def _heading(b, el: ET.Element) -> list:
    tag = el.tag
    p = b.tagged(b.text_para(el, el.get("style", tag)), "H", el, heading=tag)
    p.keepWithNext = p._leaflet_keep_with_next = 1  # remembered: ReportLab clears it when it acts on it
    if tag != "h3" and el.get("outline", "yes") != "no":
        level = 0 if tag == "h1" else 1
        title = re.sub(r"[ \t\r\n]+", " ", "".join(el.itertext())).strip()  # keeps no-break spaces
        b.headings += 1
        p._leaflet_outline = (level, title, el.get("id") or f"h{b.headings}")
    return [CondPageBreak(b.styles[el.get("style", tag)].leading * 4), p] if tag == "h1" else [p]


def _ul(b, el: ET.Element) -> list:
    from .richblocks import nested_item

    style = el.get("style", "bullet")
    auto = el.get("dir") == "auto"
    # each item's text is its LBody in a tagged PDF; a second-level item's goes in a list inside its
    # parent item's body (tagging._group)
    items = [b.tagged(nested_item(b, li, style, auto), "LBody", li, depth=2) if li.get("level") == "2"
             else b.tagged(b.text_para(li, style, bulletText=b.theme.bullet, auto=auto), "LBody", li) for li in el]
    items = [_kept_with_next(item, li) for item, li in zip(items, el, strict=True)]
    columns = int(number(el, "columns", 1, 1, 3, b.source))
    if columns > 1 and len(items) >= 2 * columns and not el.findall("li[@level='2']"):
        return [BalancedColumns(items, nCols=columns, leftPadding=0, rightPadding=8,
                                spaceAfter=b.styles[style].spaceAfter * 2)]
    return items


def _check_box(el: ET.Element, template_file: str) -> None:
    if el.get("level") not in LEVELS:
        raise TemplateError(f"<box level='{el.get('level')}'> must be one of: " + ", ".join(LEVELS),
                            where=Location(template_file))


def _keep(b, el: ET.Element) -> list:
    built = [(child, [f for f in b.block(child) if not isinstance(f, str)]) for child in el]
    inner = [f for _child, flowables in built for f in flowables]
    # a keep inside a keep (numbered steps with their intro) is one group: ReportLab's KeepTogether
    # reports itself taller than any page, so a nested one always starts a new page
    flat = [g for f in inner for g in (rlbridge.group_content(f) if isinstance(f, KeepTogether) else [f])]
    from .flowables import StepsTogether

    if inner and isinstance(inner[-1], StepsTogether):  # (steps that end the group may still break)
        return [StepsTogether(flat, inner[-1].steps)]
    items = sum(len(flowables) for child, flowables in built if child.tag == "ul")
    if el.get("split") == "items" and items and built[-1][0].tag == "ul" and flat == inner:
        # a list kept with its intro, or whole: on one page when it fits or is short; a tall one that
        # does not fit breaks between its items, one at least on either side (review finding: two
        # items, each with its own bullets, moved whole and left a third of a large-print page empty)
        return [StepsTogether(flat, items, least=1)]
    return [KeepTogether(flat)]


def _check_keep(el: ET.Element, template_file: str) -> None:
    if el.get("split", "items") != "items":
        raise TemplateError("<keep split> is 'items' (a list that may break between its items)",
                            where=Location(template_file))


def _check_li(el: ET.Element, template_file: str) -> None:
    if el.get("level", "1") not in ("1", "2"):
        raise TemplateError("<li level> is 1 or 2 (lists nest one level deep)", where=Location(template_file))


def _rule(b, el: ET.Element) -> list:
    return [HRFlowable(width="100%", thickness=number(el, "width", 0.8, 0.1, 6, b.source),
                       color=b.theme.color(el.get("color", "muted")), spaceBefore=4, spaceAfter=4)]


register(Element("p", frozenset({"style", "dir", "lang"}), text=True, build=_p))  # lang: where not the leaflet's
register(Element("h1", frozenset({"id", "outline", "style"}), text=True, build=_heading))
register(Element("h2", frozenset({"id", "outline", "style"}), text=True, build=_heading))
register(Element("h3", frozenset({"style"}), text=True, build=_heading))
register(Element("ul", frozenset({"style", "columns", "dir"}), build=_ul))
register(Element("box", frozenset({"level", "label", "title", "continued", "split", "id", "outline"}), check=_check_box,
                 build=lambda b, el: [b.box(el)]))
register(Element("keep", frozenset({"split"}), check=_check_keep, build=_keep))


def _contents(b, el: ET.Element) -> list:
    from .flowables import ContentsList

    style = el.get("style", "contents")
    entries = [(b.text_para(entry, style), entry.get("ref", "")) for entry in el.findall("entry")]
    return [ContentsList(entries, b.styles[style], int(number(el, "columns", 1, 1, 3, b.source)), rtl=b.rtl)]


# the sections with the page each starts on (the <h1 id> an entry's ref names)
register(Element("contents", frozenset({"columns", "style"}), build=_contents))
register(Element("entry", frozenset({"ref"}), role="part", text=True))  # inside <contents>
register(Element("spacer", frozenset({"height"}),
                 build=lambda b, el: [Spacer(1, number(el, "height", 6, 0, 200, b.source))]))
register(Element("page-break", build=lambda b, el: [PageBreak()]))
register(Element("rule", frozenset({"color", "width"}), build=_rule))
register(Element("slot", frozenset({"name"}), build=lambda b, el: [el.get("name", "")]))  # filled per patient
register(Element("panel", frozenset({"title"}), build=lambda b, el: [b.panel(el)]))
register(Element("notes", frozenset({"title", "hint", "lines", "blank", "continued", "id", "outline", "lang"}), text=True,
                 build=lambda b, el: [b.notes(el)]))

from . import richblocks as _richblocks  # noqa: E402,F401 - tables, figures, numbered steps
