"""The small markup a template produces, parsed and checked against its vocabulary.

The vocabulary is documented in ``templates/README.md``. Anything outside it is an error that names
the element, so a typo in a template is caught rather than silently dropped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .errors import Location, TemplateError

INLINE = {"b": set(), "i": set(), "br": set()}
BLOCK = {
    "p": {"style", "dir"},
    "h1": {"id", "outline", "style"},
    "h2": {"id", "outline", "style"},
    "h3": {"style"},
    "ul": {"style", "columns", "dir"},
    "li": set(),
    "box": {"level", "label", "title"},
    "keep": set(),
    "spacer": {"height"},
    "page-break": set(),
    "rule": {"color", "width"},
    "slot": {"name"},
    "panel": {"title"},
    "field": {"label", "lines"},
    "notes": {"title", "hint", "lines", "continued"},
}
ROOTS = {
    "leaflet": {"meta", "footer", "header"},
    "patient": {"fill"},
}
PARTS = {
    "meta": {"title", "subject", "author", "keywords", "creator"},
    "footer": set(),
    "header": set(),
    "left": set(),
    "center": set(),
    "right": set(),
    "fill": {"slot"},
}
LEVELS = ("boxed", "serious", "caution", "information")
_TEXT_TAGS = {"p", "h1", "h2", "h3", "li", "field", "notes", "left", "center", "right"}


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
    allowed = ROOTS.get(tag) if top else (BLOCK.get(tag) if tag in BLOCK else
                                           INLINE.get(tag) if tag in INLINE else PARTS.get(tag))
    if allowed is None or (top and tag not in ROOTS):
        raise TemplateError(f"unknown markup element <{tag}>", where=Location(template_file),
                            hint="see templates/README.md for the elements a template may use")
    if not top:
        unknown = set(element.attrib) - allowed
        if unknown:
            raise TemplateError(f"element <{tag}> has unknown attribute(s): " + ", ".join(sorted(unknown)),
                                where=Location(template_file))
    if tag == "box" and element.get("level") not in LEVELS:
        raise TemplateError(f"<box level='{element.get('level')}'> must be one of: " + ", ".join(LEVELS),
                            where=Location(template_file))
    text_inside = tag in _TEXT_TAGS or tag in INLINE
    for child in element:
        if text_inside and child.tag not in INLINE:
            raise TemplateError(f"<{child.tag}> cannot be inside <{tag}>; only <b>, <i> and <br/> can",
                                where=Location(template_file))
        if not text_inside and child.tag in INLINE:
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
