"""EU electronic product information (HL7 FHIR R5 Bundle, XML or JSON) -> leaflet content.

The package leaflet is the Composition typed ``100000155538``. Its sections are mapped onto the six
QRD sections by their heading code (list 200000029659), and where the code is missing or wrong
(``XXXXXXXXXXXX`` in real files) by the "1."-"6." numbering of the title, and then by position.
Sub-sections keep their own titles; deeper levels become small headings.

``fhir.resources`` (8.x, R5) would be the natural reader, but it rejects real published files (an
empty ``Coding.display`` in the Isentress bundle fails its validation), so the few elements needed
are read directly, from XML parsed safely or from JSON.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .. import i18n
from ..errors import ContentError, Location, display_path
from ..figures import ImageError, image_info
from ..inline import up_to_strength
from .narrative import Converter, Para, Vocabulary, finish, heading_text, local
from .safexml import parse_xml

FHIR = "http://hl7.org/fhir"
XHTML = "http://www.w3.org/1999/xhtml"
LEAFLET_TYPE = "100000155538"
SMPC_TYPE = "100000155532"
WRAPPER = "200000029894"
#: QRD heading codes of the six sections, in order, with the ids this program uses
TOP = {"200000029895": "what-it-is", "200000029896": "before-you-take", "200000029905": "how-to-take",
       "200000029910": "side-effects", "200000029913": "storage", "200000029914": "more-information"}
ORDER = list(TOP.values())
SUB = {"200000029897": "do-not-take", "200000029898": "warnings", "200000029899": "children",
       "200000029900": "other-medicines", "200000029901": "alcohol", "200000029902": "pregnancy",
       "200000029903": "driving", "200000029904": "contains", "200000029906": "use-in-children",
       "200000029907": "too-much", "200000029908": "forgot", "200000029909": "stopping",
       "200000029911": "side-effects-children", "200000029912": "reporting", "200000029915": "what-it-contains",
       "200000029916": "what-it-looks-like", "200000029917": "holder-and-manufacturer",
       "200000029918": "authorised-names", "200000029919": "last-revised", "200000029920": "other-sources"}
MAX_TITLE = 200


class Node:
    """One FHIR element, from XML or from JSON, read the same way."""

    def __init__(self, raw: Any):
        self.raw = raw

    def many(self, name: str) -> list[Node]:
        raw = self.raw
        if isinstance(raw, ET.Element):
            return [Node(c) for c in raw if local(c.tag) == name]
        if isinstance(raw, dict):
            value = raw.get(name)
            if value is None:
                return []
            return [Node(v) for v in (value if isinstance(value, list) else [value])]
        return []

    def one(self, name: str) -> Node | None:
        found = self.many(name)
        return found[0] if found else None

    def value(self, *path: str) -> str | None:
        node: Node | None = self
        for name in path:
            node = node.one(name) if node is not None else None
        if node is None:
            return None
        raw = node.raw
        if isinstance(raw, ET.Element):
            return raw.get("value")
        return raw if isinstance(raw, str) else None

    def resource(self) -> tuple[str, Node] | None:
        """For a Bundle entry: the resource's type and the resource."""
        res = self.one("resource")
        if res is None:
            return None
        if isinstance(res.raw, ET.Element):
            inner = next(iter(res.raw), None)
            return (local(inner.tag), Node(inner)) if inner is not None else None
        if isinstance(res.raw, dict):
            return str(res.raw.get("resourceType")), res
        return None

    def div(self, file: str) -> ET.Element | None:
        text = self.one("text")
        if text is None:
            return None
        if isinstance(text.raw, ET.Element):
            return text.raw.find(f"{{{XHTML}}}div")
        div = text.raw.get("div") if isinstance(text.raw, dict) else None
        return parse_xml(div, file) if isinstance(div, str) and div.strip() else None

    def codes(self, *path: str) -> list[str]:
        node: Node | None = self
        for name in path:
            node = node.one(name) if node is not None else None
        if node is None:
            return []
        return [c.value("code") or "" for c in node.many("coding")]


def parse(data: bytes, file: str) -> Node:
    """A Bundle from XML or JSON bytes."""
    head = data.lstrip()[:1]
    if head == b"{":
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ContentError(f"not valid JSON: {exc}", where=Location(file)) from None
        if not isinstance(raw, dict) or raw.get("resourceType") != "Bundle":
            raise ContentError("the JSON is not a FHIR Bundle", where=Location(file))
        return Node(raw)
    root = parse_xml(data, file)
    if root.tag != f"{{{FHIR}}}Bundle":
        raise ContentError(f"the XML is not a FHIR Bundle (its root is <{local(root.tag)}>)", where=Location(file))
    return Node(root)


def _resources(bundle: Node):
    """Every resource in a bundle and the bundles inside it: (type, resource, the bundle holding it)."""
    for entry in bundle.many("entry"):
        found = entry.resource()
        if found is None:
            continue
        kind, res = found
        yield kind, res, bundle
        if kind == "Bundle":
            yield from _resources(res)


def _all_divs(bundle: Node, file: str):
    for _, res, _ in _resources(bundle):
        for node in _walk_sections(res):
            div = node.div(file)
            if div is not None:
                yield div


def _walk_sections(node: Node):
    for section in node.many("section"):
        yield section
        yield from _walk_sections(section)


def _number(title: str) -> int | None:
    m = re.match(r"^\s*([1-6])(?:\.|\s|$)", title)
    return int(m.group(1)) if m else None


def clean_title(title: str) -> str:
    """A heading with whitespace cleaned and template remnants resolved.

    "2. Qué necesita saber antes de empezar a <tomar><usar> Qué necesita saber antes de empezar a tomar
    X" is the template's heading with its choices left in, followed by the real heading: the real one
    is kept. Other remnants ("<and>") are printed without their angle brackets.
    """
    title = heading_text(title)
    m = re.match(r"^(\d\.?\s*)?(.*?)\s*((?:<[^<>]{1,40}>\s*)+)(.*)$", title)
    if m:
        number, before, rest = m.group(1) or "", m.group(2), m.group(4)
        start = " ".join(before.lower().split()[:3])
        if rest and start and rest.lower().startswith(start):
            return heading_text(number + rest)
        remnants = re.findall(r"<([^<>]{1,40})>", m.group(3))
        return heading_text(f"{number}{before} {'/'.join(remnants)} {rest}")
    return title


def _strip_number(title: str) -> str:
    """The title without its "3." numbering: the template numbers the sections."""
    return re.sub(r"^\s*[1-6](?:\.\s*|\s+)", "", title).strip() or title


class _Builder:
    def __init__(self, converter: Converter, file: str):
        self.convert = converter
        self.file = file

    def blocks(self, section: Node, title: str | None = None) -> list:
        div = section.div(self.file)
        blocks = self.convert.blocks(div) if div is not None else []
        # a narrative that repeats the section's title as its first heading (Nordic files): once is enough
        if title and blocks:
            first = blocks[0]
            text = first.get("heading") if isinstance(first, dict) else first.plain if isinstance(first, Para) else None
            if text and _same(text, title):
                blocks = blocks[1:]
        return blocks

    def subsection_blocks(self, section: Node) -> list:
        """A sub-section's own narrative, then its sub-sections as small headings with theirs."""
        out = self.blocks(section, _title(section))
        for child in section.many("section"):
            title = clean_title(_title(child))
            if title and len(title) <= MAX_TITLE:
                out.append({"heading": title})
            elif title:
                out.append(Para(title, title, False))
            out += self.subsection_blocks(child)
        return out


def _title(section: Node) -> str:
    return section.value("title") or ""


def _same(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"[\W\d_]+", " ", _strip_number(s)).strip().lower()
    return norm(a) == norm(b)


def to_contents(bundle: Node, path: Path, vocabulary: Vocabulary | None = None) -> list[tuple[dict, list[str]]]:
    """Every package leaflet in a bundle (one per language, as a rule) as content data, with notes about
    what could not be imported."""
    file = display_path(path)
    leaflets: list[tuple[Node, Node]] = []
    smpcs: dict[str, Node] = {}
    product = None
    list_id = None
    binaries: dict[str, str] = {}
    for kind, res, holder in _resources(bundle):
        if kind == "Composition":
            codes = res.codes("type")
            if LEAFLET_TYPE in codes:
                leaflets.append((res, holder))
            elif SMPC_TYPE in codes:
                smpcs.setdefault(res.value("language") or "", res)
        elif kind == "MedicinalProductDefinition" and product is None:
            product = res
        elif kind == "List" and list_id is None:
            list_id = res.value("identifier", "value")
        elif kind == "Binary" and res.value("id"):  # pictures kept as resources, referred to by <img src>
            binaries[res.value("id")] = f"data:{res.value('contentType')};base64,{res.value('data') or ''}"
    if not leaflets:
        raise ContentError("this ePI bundle has no package leaflet (a Composition of type 100000155538)",
                           where=Location(file), hint="only the package leaflet can be imported")
    out = []
    for leaflet, doc_bundle in leaflets:
        smpc = smpcs.get(leaflet.value("language") or "") or next(iter(smpcs.values()), None)
        out.append(_one(bundle, leaflet, doc_bundle, smpc, product, list_id, path, vocabulary, binaries))
    return out


def _one(bundle: Node, leaflet: Node, doc_bundle: Node, smpc: Node | None, product: Node | None,
         list_id: str | None, path: Path, vocabulary: Vocabulary | None,
         binaries: dict[str, str]) -> tuple[dict, list[str]]:
    file = display_path(path)
    outer_id = bundle.value("identifier", "value")
    notes: list[str] = []
    language = leaflet.value("language") or bundle.value("language")
    if not language:
        raise ContentError("the package leaflet does not say its language (Composition.language)",
                           where=Location(file))
    no_alt = i18n.translations(language).gettext(NO_ALT)
    converter = Converter(vocabulary or Vocabulary(), image=lambda el: _image(el, notes, no_alt, binaries),
                          notes=notes)
    build = _Builder(converter, file)
    date = _date(leaflet.value("date") or (doc_bundle or bundle).value("timestamp"))
    if date is None:
        raise ContentError("the package leaflet has no date (Composition.date)", where=Location(file))
    name = _product_name(product, smpc, build, _leaflet_words(leaflet, file), notes) \
        or heading_text(leaflet.value("title") or "")
    top_sections = leaflet.many("section")
    intro: list = []
    if len(top_sections) == 1 and (WRAPPER in top_sections[0].codes("code") or not _is_top(top_sections[0])):
        wrapper = top_sections[0]
        intro = build.blocks(wrapper)
        top_sections = wrapper.many("section")
    sections: list[dict] = []
    used: set[int] = set()
    for section in top_sections:
        title = clean_title(_title(section))
        index = _top_index(section, title, used, len(sections))
        if index is None:  # not one of the six: part of the section before it, or the opening
            target = sections[-1] if sections else None
            blocks = ([{"heading": title}] if title and len(title) <= MAX_TITLE else
                      [Para(title, title, False)] if title else []) + build.subsection_blocks(section)
            if target is None:
                intro += blocks
            else:
                _append(target, blocks)
            continue
        used.add(index)
        out = {"id": ORDER[index], "title": _strip_number(title) if title else ORDER[index],
               "blocks": build.blocks(section, title), "subsections": []}
        for j, child in enumerate(section.many("section")):
            _add_subsection(out, child, j, build)
        sections.append(out)
    if not sections:
        raise ContentError("the package leaflet has no sections that could be read", where=Location(file))
    _unique_ids(sections)
    content = {
        "schema": 1,
        "language": language,
        "origin": "imported",
        "imported_from": {k: v for k, v in {
            "format": "epi", "file": path.name, "identifier": list_id or leaflet.value("identifier", "value")
            or (doc_bundle.value("identifier", "value") if doc_bundle else None) or outer_id,
            "version": leaflet.value("version"), "date": date.isoformat()}.items() if v},
        "medicine": {"id": medicine_id(name), "name": name},
        "revision": {k: v for k, v in {"version": leaflet.value("version"), "date": date.isoformat()}.items() if v},
        "intro": finish(intro),
        "sections": [_finish_section(s) for s in sections],
    }
    return content, notes


def _is_top(section: Node) -> bool:
    return any(c in TOP for c in section.codes("code")) or _number(_title(section)) is not None


def _top_index(section: Node, title: str, used: set[int], count: int) -> int | None:
    """Which of the six sections this is: its number, else its code, else the next one in order."""
    number = _number(title)
    if number is not None and number - 1 not in used:
        return number - 1
    for code in section.codes("code"):
        if code in TOP and ORDER.index(TOP[code]) not in used:
            return ORDER.index(TOP[code])
    if any(c in SUB for c in section.codes("code")) or not title:
        return None
    nxt = max(used) + 1 if used else 0
    return nxt if nxt < len(ORDER) and count < len(ORDER) and nxt not in used else None


def _add_subsection(section: dict, child: Node, index: int, build: _Builder) -> None:
    title = clean_title(_title(child))
    blocks = build.subsection_blocks(child)
    if not title or len(title) > MAX_TITLE:  # no heading of its own (or a paragraph put in the title)
        _append(section, ([Para(title, title, False)] if title else []) + blocks)
        return
    sub_id = next((SUB[c] for c in child.codes("code") if c in SUB), None) or f"part-{index + 1}"
    section["subsections"].append({"id": sub_id, "title": title, "blocks": blocks})


def _append(section: dict, blocks: list) -> None:
    if section["subsections"]:
        section["subsections"][-1]["blocks"] += blocks
    else:
        section["blocks"] += blocks


def _unique_ids(sections: list[dict]) -> None:
    seen: set[str] = {s["id"] for s in sections}
    for s in sections:
        for sub in s["subsections"]:
            base, n = sub["id"], 2
            while sub["id"] in seen:
                sub["id"] = f"{base}-{n}"
                n += 1
            seen.add(sub["id"])


def _finish_section(s: dict) -> dict:
    out = {"id": s["id"], "title": s["title"], "blocks": finish(s["blocks"])}
    subs = [{"id": x["id"], "title": x["title"], "blocks": finish(x["blocks"])} for x in s["subsections"]]
    if subs:
        out["subsections"] = subs
    return out


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _product_name(product: Node | None, smpc: Node | None, build: _Builder, words: str,
                  notes: list[str]) -> str | None:
    if product is not None:
        for name in product.many("name"):
            text = name.value("productName")
            if text:
                return heading_text(text)
    if smpc is not None:  # the summary of product characteristics' section 1 names the medicine
        for section in _walk_sections(smpc):
            if _number(_title(section)) == 1:
                names = [heading_text(block.plain)[:200] for block in build.blocks(section) if isinstance(block, Para)]
                return _the_leaflet_s(names, words, notes) if names else None
    return None


def _the_leaflet_s(names: list[str], words: str, notes: list[str]) -> str:
    """Of the names a summary of product characteristics gives (one for each strength it covers: 10,
    20 and 40 mg), the one its package leaflet is for: the one whose name and strength the leaflet's
    own text uses most (review finding: the 20 mg leaflet was titled with the first name, 10 mg, a
    wrong strength on every page). When the leaflet names none or several alike, the first name. The
    import's notes always say which was taken and how often the leaflet names each, to check it."""
    if len(names) == 1:
        return names[0]

    def squeezed(text: str) -> str:  # (spaces left out: a leaflet's text may have lost them, "Almus20 mg")
        return "".join(text.lower().split())

    text = squeezed(words)
    counts = [text.count(squeezed(up_to_strength(name))) for name in names]
    best = max(counts)
    chosen = names[counts.index(best)] if best and counts.count(best) == 1 else names[0]
    named = "; ".join(f"{up_to_strength(name)} {count} times" for name, count in zip(names, counts, strict=True))
    why = "the one it names most" if chosen is not names[0] or (best and counts.count(best) == 1) \
        else "the first, as the leaflet does not say which it is for"
    notes.append(f"the summary of product characteristics names {len(names)} medicines (the leaflet names {named}): "
                 f"its name is taken as {chosen}, {why}; check it")
    return chosen


def _leaflet_words(leaflet: Node, file: str) -> str:
    """A package leaflet's text: its sections' titles and narratives."""
    out = []
    for section in _walk_sections(leaflet):
        out.append(section.value("title") or "")
        div = section.div(file)
        if div is not None:
            out.append(" ".join(div.itertext()))
    return " ".join(out)


def medicine_id(name: str) -> str:
    """An id from a medicine's name: its words before the first number ("Isentress 400 mg" -> isentress)."""
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = []
    for word in re.split(r"[^a-z0-9]+", ascii_name):
        if not word:
            continue
        if any(ch.isdigit() for ch in word) and words:
            break
        words.append(word)
    out = "-".join(words)[:40].strip("-")
    return out or "medicine"


def _image(el: ET.Element, notes: list[str], no_alt: str, binaries: dict[str, str]) -> dict | None:
    """An <img> with a data: URI, or naming a Binary resource of the bundle -> a figure; anything else
    is reported and left out."""
    src = (el.get("src") or "").strip()
    ref = re.sub(r"^(#|Binary/|urn:uuid:)", "", src)
    if not src.startswith("data:") and ref in binaries:
        src = binaries[ref]
    m = re.match(r"^data:image/(png|jpeg|jpg);base64,(.*)$", src, re.S)
    if not m:
        notes.append(f"an image that is not a PNG or JPEG data: URI was left out ({src[:40]}...)")
        return None
    try:
        _, width, _ = image_info(base64.b64decode("".join(m.group(2).split()), validate=True))
    except (ImageError, binascii.Error, ValueError) as exc:
        notes.append(f"an image was left out: {getattr(exc, 'message', exc)}")
        return None
    alt = heading_text(el.get("alt") or el.get("title") or "")
    figure: dict = {"src": "data:image/" + ("png" if m.group(1) == "png" else "jpeg") + ";base64,"
                    + "".join(m.group(2).split()), "alt": alt or no_alt}
    try:
        px = float(el.get("width") or width)
    except ValueError:
        px = width
    figure["width_mm"] = round(min(max(px * 25.4 / 96, 3), 170), 1)  # CSS pixels, as the source shows it
    return {"figure": figure}


def N_(message: str) -> str:  # noqa: N802 - marks a template word for `make messages`
    return message


#: alt text for a picture the source gives none for (the content model requires one), in the leaflet's
#: language from the template-word catalogue
NO_ALT = N_("Picture from the approved leaflet (no description given)")
