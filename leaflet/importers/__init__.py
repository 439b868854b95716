"""``leaflet import``: approved product information -> content files.

One module per source format (:mod:`.epi` for EU ePI FHIR bundles, :mod:`.spl` for US SPL labels) and a
shared converter for their narrative markup (:mod:`.narrative`). :func:`import_file` recognises the
file, converts it, checks the result against the content model exactly as ``leaflet check`` would,
and only then writes ``<out>/<medicine-id>/<language>.yaml`` atomically. Nothing is written when
anything fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .. import content, model, templating
from ..errors import ContentError, GlyphError, Location, display_path
from ..figures import decode_data_uri, image_info
from ..fonts import describe
from ..output import write_atomic
from ..yamlsafe import MAX_BYTES, dotted, load_yaml_text
from . import epi, spl
from .narrative import Vocabulary, local
from .safexml import parse_xml, read_bytes


@dataclass
class Imported:
    """One leaflet read from a source: its content data, where it goes, and notes for the user."""

    data: dict
    notes: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # pictures written beside the content file

    @property
    def medicine(self) -> str:
        return self.data["medicine"]["id"]

    @property
    def language(self) -> str:
        return self.data["language"]


def read(source: Path, medicine_id: str | None = None) -> list[Imported]:
    """Read a source file and return its leaflets as checked content data (nothing is written)."""
    file = display_path(source)
    try:
        return _read(source, file, medicine_id)
    except RecursionError:
        raise ContentError("the file's elements are nested too deeply to be a leaflet", where=Location(file),
                           hint="nothing was written") from None


def _read(source: Path, file: str, medicine_id: str | None) -> list[Imported]:
    data = read_bytes(source)
    head = data.lstrip()[:1]
    if head == b"{":
        bundle = epi.parse(data, file)
        found = epi.to_contents(bundle, source, _json_vocabulary(bundle, file))
    elif head == b"<":
        root = parse_xml(data, file)
        vocabulary = Vocabulary(_element_texts(root))
        if root.tag == f"{{{epi.FHIR}}}Bundle":
            found = epi.to_contents(epi.Node(root), source, vocabulary)
        elif root.tag == f"{{{spl.V3}}}document":
            found = spl.to_contents(root, source, vocabulary)
        else:
            raise ContentError(f"not an ePI bundle or an SPL label (the root element is <{local(root.tag)}>)",
                               where=Location(file), hint="leaflet imports EU ePI (FHIR Bundle, XML or JSON) "
                               "and US SPL (HL7 v3 XML) files")
    else:
        raise ContentError("not an ePI bundle or an SPL label (neither XML nor JSON)", where=Location(file))
    out: list[Imported] = []
    seen: set[tuple[str, str]] = set()
    for content_data, notes in found:
        if medicine_id:
            content_data["medicine"]["id"] = medicine_id
        item = Imported(content_data, notes)
        if (item.medicine, item.language) in seen:
            out[-1].notes.append(f"a second '{item.language}' leaflet in the file was left out")
            continue
        seen.add((item.medicine, item.language))
        text = dump(item.data)
        if len(text.encode("utf-8")) > MAX_BYTES:
            _pictures_to_files(item)
            text = dump(item.data)
        _check(item, text, file)
        out.append(item)
    return out


def import_file(source: Path, out: Path, medicine_id: str | None = None) -> tuple[list[Path], list[str]]:
    """Import ``source`` into the content folder ``out``; return the files written and notes."""
    leaflets = read(source, medicine_id)
    written: list[Path] = []
    notes: list[str] = []
    for item in leaflets:
        folder = out / item.medicine
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in item.files.items():  # pictures first: the content file refers to them
            write_atomic(folder / name, data)
            written.append(folder / name)
        target = folder / f"{item.language}.yaml"
        write_atomic(target, dump(item.data).encode("utf-8"))
        written.append(target)
        notes += item.notes
    return written, notes


def _pictures_to_files(item: Imported) -> None:
    """Too large with its pictures inline: write them as files beside the content file instead."""
    count = 0

    def walk(value):
        nonlocal count
        if isinstance(value, dict):
            figure = value.get("figure")
            if isinstance(figure, dict) and str(figure.get("src", "")).startswith("data:"):
                count += 1
                data = decode_data_uri(figure["src"])
                kind, _, _ = image_info(data)
                name = f"{item.language}-picture-{count}.{'png' if kind == 'png' else 'jpg'}"
                item.files[name] = data
                figure["src"] = name
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(item.data)


def dump(data: dict) -> str:
    header = ("# Imported by `leaflet import` from approved product information: do not reword it.\n"
              f"# Source: {data['imported_from']['file']}\n")
    return header + yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=100,
                              default_flow_style=False)


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's is several times faster


def _check(item: Imported, text: str, file: str) -> None:
    """The content file as it will be written must load and validate, as ``leaflet check`` would."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ContentError(f"the imported leaflet would be larger than {MAX_BYTES // 1024} KiB",
                           where=Location(file), hint="its pictures may be too large; nothing was written")
    loaded = load_yaml_text(text, f"{item.medicine}/{item.language}.yaml (imported from {file})")
    leaflet = content.validate(model.Leaflet, loaded)
    problems = model.structure_problems(leaflet)
    if problems:
        raise ContentError(problems[0][1], where=loaded.locate(problems[0][0]))
    chain = templating.load_template("standard").body_chain  # what every shipped template can draw
    for where, text in _strings(item.data, ()):
        # private-use characters (a word processor's symbol-font bullets, U+F0B7) have no meaning of their
        # own; after Arabic text has been shaped, ReportLab's font tables map some of them to glyphs
        missing = [ch for ch in text if 0xE000 <= ord(ch) <= 0xF8FF or ord(ch) >= 0xF0000] or chain.missing(text)
        if missing:
            raise GlyphError(f"the source has {describe(missing[0])}, which the leaflet's fonts cannot draw "
                             f"(in '{' '.join(text.split())[:60]}'); nothing was written", where=Location(
                                 file, field=dotted(where)), hint="report it: approved text is not changed "
                             "to make it printable")


def _strings(value, path: tuple):
    if isinstance(value, str):
        if not value.startswith("data:"):
            yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, path + (index,))


def _element_texts(root) -> list[str]:
    return [t for el in root.iter() for t in (el.text, el.tail) if t and t.strip()]


def _json_vocabulary(bundle: epi.Node, file: str) -> Vocabulary:
    vocabulary = Vocabulary()
    for div in epi._all_divs(bundle, file):
        for text in _element_texts(div):
            vocabulary.add(text)
    return vocabulary


__all__ = ["Imported", "import_file", "read"]
