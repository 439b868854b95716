"""US Structured Product Labeling (HL7 v3 XML) -> leaflet content: the patient-facing section only.

The patient section keeps its own structure and headings (a Medication Guide asks questions; it does
not follow the EU's six sections). Headings are titled sub-sections, or paragraphs whose every letter
is bold ("What is LIPITOR?"). SPL's text elements are mapped onto XHTML and converted by the shared
narrative converter; pictures are files beside the SPL file, and a missing one is reported and left out.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..errors import ContentError, Location, display_path
from ..figures import MAX_IMAGE_BYTES, ImageError, data_uri
from .epi import medicine_id
from .narrative import Converter, Para, Vocabulary, finish, heading_text, local
from .safexml import parse_xml

V3 = "urn:hl7-org:v3"
#: patient-facing section codes (LOINC), most specific first
PATIENT_SECTIONS = {"42231-1": "Medication Guide", "42230-3": "patient package insert",
                    "59845-8": "instructions for use", "68498-5": "patient medication information"}
#: SPL text elements -> XHTML
_TAGS = {"paragraph": "p", "list": "ul", "item": "li", "content": "span", "linkHtml": "a", "caption": "caption",
         "table": "table", "thead": "thead", "tbody": "tbody", "tfoot": "tfoot", "tr": "tr", "td": "td",
         "th": "th", "br": "br", "sub": "sub", "sup": "sup", "footnote": "span", "col": "col",
         "colgroup": "colgroup"}


def parse(data: bytes, file: str) -> ET.Element:
    root = parse_xml(data, file)
    if root.tag != f"{{{V3}}}document":
        raise ContentError(f"the XML is not an SPL document (its root is <{local(root.tag)}>)", where=Location(file))
    return root


def _q(name: str) -> str:
    return f"{{{V3}}}{name}"


def to_xhtml(el: ET.Element, media: dict[str, tuple[str, str]]) -> ET.Element:
    """An SPL ``text`` element as XHTML for the narrative converter."""
    name = local(el.tag)
    if name == "renderMultiMedia":
        ref = media.get(el.get("referencedObject", ""))
        out = ET.Element("img", {"data-file": ref[0] if ref else "", "alt": ref[1] if ref else ""})
    elif name == "list":
        out = ET.Element("ol" if el.get("listType") == "ordered" else "ul")
    else:
        out = ET.Element(_TAGS.get(name, "div" if name == "text" else "span"))
        for attr in ("styleCode", "colspan", "rowspan"):
            if el.get(attr):
                out.set(attr, el.get(attr))
    out.text = el.text
    for child in el:
        if local(child.tag) == "caption" and name == "list":  # a list's caption: a line before it
            continue
        converted = to_xhtml(child, media)
        converted.tail = child.tail
        out.append(converted)
    return out


def to_contents(root: ET.Element, path: Path, vocabulary: Vocabulary | None = None) -> list[tuple[dict, list[str]]]:
    return [to_content(root, path, vocabulary)]


def _patient_sections(root: ET.Element) -> list[ET.Element]:
    """The patient-facing sections, outermost only (a Medication Guide, then instructions for use ...)."""
    found: list[ET.Element] = []
    inside: set[int] = set()
    for sec in root.iter(_q("section")):
        if id(sec) in inside:
            continue
        code = sec.find(_q("code"))
        if code is not None and code.get("code") in PATIENT_SECTIONS:
            found.append(sec)
            inside.update(id(s) for s in sec.iter(_q("section")))
    return found


def to_content(root: ET.Element, path: Path, vocabulary: Vocabulary | None = None) -> tuple[dict, list[str]]:
    file = display_path(path)
    patient = _patient_sections(root)
    section = patient[0] if patient else None
    if section is None:
        doc_code = root.find(_q("code"))
        kind = doc_code.get("displayName", "") if doc_code is not None else ""
        raise ContentError(f"this SPL label has no patient-facing section{f' ({kind})' if kind else ''}: no "
                           "Medication Guide (42231-1), patient package insert (42230-3), instructions for use "
                           "(59845-8) or patient medication information (68498-5)", where=Location(file),
                           hint="only the part written for patients can be imported; nothing was written")
    notes: list[str] = []
    media = {m.get("ID", ""): (_media_file(m), heading_text("".join(m.find(_q("text")).itertext()))
                                if m.find(_q("text")) is not None else "")
             for m in root.iter(_q("observationMedia"))}
    converter = Converter(vocabulary or Vocabulary(), image=lambda el: _image(el, path.parent, notes),
                          notes=notes)
    title = _title(section)
    intro, sections = _split(_section_blocks(section, converter, media, top=True))
    if not sections:
        sections = [{"title": title, "blocks": intro}]
        intro = []
    for more in patient[1:]:  # e.g. instructions for use after a Medication Guide: its own sections
        first, rest = _split(_section_blocks(more, converter, media, top=True))
        sections.append({"title": _title(more), "blocks": first})
        sections += rest
    date = _date(root.find(_q("effectiveTime")))
    if date is None:
        raise ContentError("the SPL document has no effectiveTime (its date)", where=Location(file))
    version = root.find(_q("versionNumber"))
    set_id = root.find(_q("setId"))
    name = _product_name(root) or title
    content = {
        "schema": 1,
        "language": "en",
        "origin": "imported",
        "section_numbers": False,
        "imported_from": {k: v for k, v in {
            "format": "spl", "file": path.name, "identifier": set_id.get("root") if set_id is not None else None,
            "version": version.get("value") if version is not None else None,
            "date": date.isoformat()}.items() if v},
        "medicine": {"id": medicine_id(name), "name": name},
        "revision": {k: v for k, v in {"version": version.get("value") if version is not None else None,
                                       "date": date.isoformat()}.items() if v},
        "intro": finish(intro),
        "sections": [{"id": f"part-{i + 1}", "title": s["title"], "blocks": finish(s["blocks"])}
                     for i, s in enumerate(sections)],
    }
    return content, notes


def _section_blocks(section: ET.Element, converter: Converter, media: dict, top: bool = False) -> list:
    out: list = []
    title_el = section.find(_q("title"))
    if not top and title_el is not None:
        title = heading_text("".join(title_el.itertext()))
        if title:
            out.append({"heading": title})
    text = section.find(_q("text"))
    if text is not None:
        out += converter.blocks(to_xhtml(text, media))
    for component in section.findall(_q("component")):
        for sub in component.findall(_q("section")):
            out += _section_blocks(sub, converter, media)
    return out


def _split(blocks: list) -> tuple[list, list[dict]]:
    """Cut the blocks into sections at each heading (a titled sub-section or an all-bold paragraph)."""
    intro: list = []
    sections: list[dict] = []
    for block in blocks:
        heading = None
        if isinstance(block, dict) and "heading" in block:
            heading = block["heading"]
        elif isinstance(block, Para) and block.all_bold and _looks_like_heading(block.plain):
            heading = block.plain
        if heading is not None:
            sections.append({"title": heading, "blocks": []})
        elif sections:
            sections[-1]["blocks"].append(block)
        else:
            intro.append(block)
    return intro, sections


def _title(section: ET.Element) -> str:
    el = section.find(_q("title"))
    title = heading_text("".join(el.itertext())) if el is not None else ""
    return title or PATIENT_SECTIONS[section.find(_q("code")).get("code")].capitalize()


def _looks_like_heading(text: str) -> bool:
    """A short bold line that is not a sentence of the body ("Call your doctor if:" is not a heading)."""
    return len(text) <= 120 and not text.endswith((":", ".", ",", ";")) and bool(re.search(r"[A-Za-z]", text))


def _media_file(media: ET.Element) -> str:
    ref = media.find(f"{_q('value')}/{_q('reference')}")
    return ref.get("value", "") if ref is not None else ""


def _image(el: ET.Element, folder: Path, notes: list[str]) -> dict | None:
    name = el.get("data-file") or ""
    alt = el.get("alt") or ""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        notes.append(f"a picture ({alt or 'no name'}) has no usable file name and was left out")
        return None
    file = folder / name
    try:
        with open(file, "rb") as fh:
            data = fh.read(MAX_IMAGE_BYTES + 1)
        uri = data_uri(data)
    except OSError:
        notes.append(f"the picture {name} ({alt or 'no description'}) is not beside the SPL file and was left out")
        return None
    except ImageError as exc:
        notes.append(f"the picture {name} was left out: {exc.message}")
        return None
    return {"figure": {"src": uri, "alt": alt or name}}


def _date(el: ET.Element | None) -> dt.date | None:
    value = el.get("value", "") if el is not None else ""
    try:
        return dt.datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError:
        return None


def _product_name(root: ET.Element) -> str | None:
    for product in root.iter(_q("manufacturedProduct")):
        name = product.find(_q("name"))
        if name is not None:
            text = heading_text("".join(name.itertext()))
            if text:
                return text
    return None
