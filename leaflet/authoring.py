"""Help for content authors: warnings ``leaflet check`` prints, and ``leaflet new``'s skeleton.

The warnings are things a valid file can still get wrong: an unclosed ``**`` that will print as
asterisks, a ``medicine.id`` that does not match its folder, a section that is not one of the six
(it renumbers the ones after it).
"""

from __future__ import annotations

import re
from pathlib import Path

from . import model
from .content import is_medicine_id
from .yamlsafe import dotted

_LANGUAGE_FILE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2})?$")


def is_content_file(path: Path) -> bool:
    """A content file is ``<medicine>/<language>.yaml``; other YAML in a content folder (a patient or
    pharmacy file kept beside it) is not one."""
    return path.suffix == ".yaml" and bool(_LANGUAGE_FILE.match(path.stem))


def warnings_for(path: Path, data: dict, leaflet: model.Leaflet) -> list[str]:
    """What an author should look at in a valid content file."""
    out: list[str] = []
    folder = path.parent.name
    if is_medicine_id(folder) and folder != leaflet.medicine.id:
        out.append(f"medicine.id '{leaflet.medicine.id}' does not match its folder '{folder}'; "
                   f"`leaflet build {folder}` finds this file by its folder")
    if leaflet.origin == "authored":
        for i, section in enumerate(leaflet.sections):
            if section.id not in model.REQUIRED_SECTIONS:
                out.append(f"section '{section.id}' (sections[{i}]) is not one of the six standard sections; "
                           f"it prints as section {i + 1} and the sections after it are renumbered")
    for where, text in _strings(data, ()):
        if _unclosed(text):
            out.append(f"field '{dotted(where)}': an unclosed ** or * will print as asterisks; close it, "
                       "or write \\* for an asterisk")
    return out


def _strings(value, path: tuple):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in ("src", "url"):
                yield from _strings(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, path + (index,))


def _unclosed(text: str) -> bool:
    """Emphasis markers left over once every pair is matched (escaped ``\\*`` does not count)."""
    rest = text.replace("\\*", "")
    rest = re.sub(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", r"\1", rest)
    rest = re.sub(r"(?<!\*)\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?!\*)", r"\1", rest)
    return "*" in rest


SKELETON = """\
# {name}: a new leaflet. Fill in every empty "" (leaflet check names each one), then delete these
# comments. Write plain language: short sentences, everyday words, medical words explained once.
# Blocks: a paragraph is text; see README "Writing content" for bullets, steps, tables, figures, warnings.
schema: 1
language: en
audience: patient            # patient | carer (a parent or carer of a child) | caregiver
medicine:
  id: {id}
  name: "{name}"
  brand_names: []
  drug_class: ""             # e.g. "anticoagulant (a medicine that slows blood clotting)"
  forms:
    - name: ""               # e.g. Tablets
      route: ""              # e.g. by mouth
      strengths: [""]        # in quotes, e.g. ["1 mg", "5 mg"]
revision:
  version: "0.1"
  date: {today}           # YYYY-MM-DD
sources:
  - title: ""
    publisher: ""
    url: ""
important:
  title: Most important information about {lower}
  level: boxed
  blocks:
    - ""
sections:
  - id: what-it-is
    title: What {lower} is and what it is used for
    blocks:
      - ""
  - id: before-you-take
    title: What you need to know before you take {lower}
    subsections:
      - id: do-not-take
        title: Do not take {lower} if
        blocks: [""]
      - id: warnings
        title: Warnings and precautions
        blocks: [""]
      - id: other-medicines
        title: Other medicines and {lower}
        blocks: [""]
      - id: alcohol
        title: "{name} with food, drink and alcohol"
        blocks: [""]
      - id: pregnancy
        title: Pregnancy and breast-feeding
        blocks: [""]
      - id: driving
        title: Driving and using machines
        blocks: [""]
  - id: how-to-take
    title: How to take {lower}
    blocks:
      - ""
    subsections:
      - id: too-much
        title: If you take more {lower} than you should
        blocks: [""]
      - id: forgot
        title: If you forget to take {lower}
        blocks: [""]
      - id: stopping
        title: If you stop taking {lower}
        blocks: [""]
  - id: side-effects
    title: Possible side effects
    blocks:
      - ""
  - id: storage
    title: How to store {lower}
    blocks:
      - ""
  - id: more-information
    title: Contents of the pack and other information
    blocks:
      - ""
"""


def skeleton(medicine_id: str, name: str, today: str) -> str:
    """A content file with the six sections and their stock titles, and every text left empty: it
    does not build until an author has written it (nothing half-written can be printed)."""
    return SKELETON.format(id=medicine_id, name=name, lower=name.lower() if name.isupper() else name,
                           today=today)
