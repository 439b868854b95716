"""The small markup a template produces, parsed and checked against its vocabulary.

The vocabulary is documented in ``templates/README.md``. Anything outside it is an error that names
the element, so a typo in a template is caught rather than silently dropped. Each element is defined
once, in the registry :data:`ELEMENTS` (tag -> attributes, check and builder); :mod:`leaflet.blocks`
defines the shipped ones, and a new kind of block is one more :func:`register` call there (or in its
own module).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import Location, TemplateError


@dataclass(frozen=True)
class Element:
    """One element of the markup: its attributes, how it is checked and how it is built.

    ``role``: "block" (in the flow of a leaflet, a box, a fill), "inline" (inside text: ``<b>``, ``<i>``,
    ``<br>``) or "part" (structure: ``<meta>``, ``<footer>``, ``<li>``, ``<field>``, ...). ``text``: it
    holds text, so only inline elements may be inside it. ``check(element, template_file)`` raises a
    :class:`TemplateError` for what the attribute list cannot say. ``build(builder, element)`` returns
    its flowables (a block's; see :mod:`leaflet.blocks`), with the layout stage's builder.
    """

    tag: str
    attrs: frozenset[str] = frozenset()
    role: str = "block"
    text: bool = False
    check: Callable[[ET.Element, str], None] | None = None
    build: Callable[[Any, ET.Element], list] | None = None


#: Every element a template may produce: tag -> its definition. leaflet.blocks registers them.
ELEMENTS: dict[str, Element] = {}
#: The root of each kind of markup, and the parts allowed directly under it besides blocks.
ROOTS = {
    "leaflet": {"meta", "footer", "header"},
    "patient": {"fill"},
}
LEVELS = ("boxed", "serious", "caution", "information")


def register(element: Element) -> Element:
    """Add an element to the vocabulary (once per tag)."""
    if element.tag in ELEMENTS or element.tag in ROOTS:
        raise ValueError(f"markup element <{element.tag}> is registered twice")
    if element.role not in ("block", "inline", "part"):
        raise ValueError(f"markup element <{element.tag}>: unknown role '{element.role}'")
    ELEMENTS[element.tag] = element
    return element


def parse(text: str, template_file: str, root: str) -> ET.Element:
    """Parse rendered template output and check every element and attribute."""
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise TemplateError("template output must not contain a DOCTYPE or entity declarations",
                            where=Location(template_file))
    try:
        tree = ET.fromstring(text)
    except ET.ParseError as exc:
        line, col = exc.position
        shown = text.splitlines()[line - 1].strip() if 0 < line <= len(text.splitlines()) else ""
        raise TemplateError(f"the template's output is not well-formed markup ({exc.msg.split(':')[0]})"
                            f" at output line {line}: {shown[:120]}",
                            where=Location(template_file),
                            hint="check that every element is closed; text from content is escaped "
                            "automatically, markup in the template is not") from None
    if tree.tag != root:
        raise TemplateError(f"the template's output must start with <{root}>, not <{tree.tag}>",
                            where=Location(template_file))
    _check(tree, template_file, top=True)
    return tree


def _check(element: ET.Element, template_file: str, top: bool = False) -> None:
    tag = element.tag
    spec = None if top else ELEMENTS.get(tag)
    if (top and tag not in ROOTS) or (not top and spec is None):
        raise TemplateError(f"unknown markup element <{tag}>", where=Location(template_file),
                            hint="see templates/README.md for the elements a template may use")
    if spec is not None:
        unknown = set(element.attrib) - spec.attrs
        if unknown:
            raise TemplateError(f"element <{tag}> has unknown attribute(s): " + ", ".join(sorted(unknown)),
                                where=Location(template_file))
        if spec.check is not None:
            spec.check(element, template_file)
    text_inside = spec is not None and (spec.text or spec.role == "inline")
    for child in element:
        inline = getattr(ELEMENTS.get(child.tag), "role", None) == "inline"
        if text_inside and not inline:
            raise TemplateError(f"<{child.tag}> cannot be inside <{tag}>; only <b>, <i> and <br/> can",
                                where=Location(template_file))
        if not text_inside and inline:
            raise TemplateError(f"<{child.tag}> must be inside a text element such as <p>",
                                where=Location(template_file))
        _check(child, template_file)


def number(element: ET.Element, attr: str, default: float, lo: float, hi: float,
           template_file: str = "template") -> float:
    """A numeric attribute, checked against a range."""
    raw = element.get(attr)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise TemplateError(f"<{element.tag} {attr}='{raw}'> must be a number",
                            where=Location(template_file)) from None
    if not lo <= value <= hi:
        raise TemplateError(f"<{element.tag} {attr}='{raw}'> must be between {lo:g} and {hi:g}",
                            where=Location(template_file))
    return value


def cell_words(td: ET.Element) -> str:
    """A table cell's words, one space between them (how two cells are compared)."""
    return " ".join("".join(td.itertext()).split())


def cell_columns(td: ET.Element) -> int:
    """How many columns a ``<td>`` stands over: its ``columns`` (checked with its table), else 1."""
    raw = td.get("columns")
    return int(raw) if raw is not None and re.fullmatch(r"[0-9]{1,2}", raw) and int(raw) >= 1 else 1


def row_cells(tr: ET.Element) -> list[ET.Element | None]:
    """A ``<tr>``'s cells, one per column: a cell over several columns (``<td columns="2">``, a wide cell
    of the content) followed by None for each further column it covers."""
    out: list[ET.Element | None] = []
    for td in tr.findall("td"):
        out.append(td)
        out.extend([None] * (cell_columns(td) - 1))
    return out


def cell_spans(rows: list[ET.Element]) -> dict[tuple[int, int], int]:
    """A ``<table>``'s cells that stand over several columns: (row, first column) -> columns.

    A cell with ``columns`` stands over that many. And in each header row (``<tr head="yes">``) above
    the last, adjacent cells of the same text are one cell: a group heading over the columns it spans,
    as importing prints it over each of them ("Dose" over "Tablets" and "Oral solution"). The last
    header row holds each column's own heading."""
    heads = 0
    while heads < len(rows) and rows[heads].get("head") == "yes":
        heads += 1
    spans: dict[tuple[int, int], int] = {}
    for r, tr in enumerate(rows):
        cells = row_cells(tr)
        for c, td in enumerate(cells):
            if td is not None and cell_columns(td) > 1:
                spans[(r, c)] = cell_columns(td)
        if r >= heads - 1:
            continue
        texts = [cell_words(td) if td is not None and cell_columns(td) == 1 else None for td in cells]
        c = 0
        while c < len(texts):
            end = c + 1
            while end < len(texts) and texts[c] and texts[end] == texts[c]:
                end += 1
            if end - c > 1:
                spans[(r, c)] = end - c
            c = end
    return spans


from . import blocks as _blocks  # noqa: E402,F401 - defines the shipped elements
