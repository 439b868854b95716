"""Only the dispensed form: content marked with the dosage forms it applies to.

A content file names its forms (``medicine.forms[].id``: ``tablets``, ``injection``, ...) and may mark
a section, subsection, block, bullet, side-effect group, item or table row (``{cells: [...], forms:
[...]}``) with ``forms: [ids]``. A leaflet built
for one form (``--form tablets``, the patient's ``form``) leaves out what is marked for other forms
only; without a form everything prints. Markers are removed before a template sees the content, so
templates never deal with them: a marked paragraph or item (``{text: ..., forms: [...]}``) reaches the
template as the plain string it holds.
"""

from __future__ import annotations

from typing import Any

from .errors import LeafletError
from .model import REQUIRED_SECTIONS

Path = tuple[str | int, ...]


def ids(medicine: Any) -> list[str]:
    """The form ids a medicine's content declares, in its order."""
    return [f.id for f in medicine.forms if f.id]


def _markers(data: Any, path: Path = ()) -> list[tuple[Path, list[str]]]:
    """Every ``forms`` marker in content data (not ``medicine.forms``), with its path."""
    found: list[tuple[Path, list[str]]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "forms" and path != ("medicine",):
                if value:
                    found.append((path + (key,), list(value)))
            else:
                found += _markers(value, path + (key,))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found += _markers(item, path + (index,))
    return found


def marker_problems(leaflet: Any) -> list[tuple[Path, str]]:
    """Form ids that are missing, repeated or unknown, as ``(path, message)`` pairs."""
    problems: list[tuple[Path, str]] = []
    declared = ids(leaflet.medicine)
    for i, form_id in enumerate(declared):
        if form_id in declared[:i]:
            problems.append((("medicine", "forms", i, "id"), f"form id '{form_id}' is used twice"))
    data = leaflet.model_dump(mode="json", by_alias=True, exclude_none=True)
    markers = _markers(data)
    if markers and len(declared) != len(leaflet.medicine.forms):
        first = next(i for i, f in enumerate(leaflet.medicine.forms) if not f.id)
        problems.append((("medicine", "forms", first), "this form has no 'id', but content is marked by form"))
    for path, named in markers:
        if _required(data, path):
            problems.append((path, "a required section applies to every form and cannot be marked"))
        for form_id in named:
            if form_id not in declared:
                problems.append((path, f"unknown form '{form_id}'; the medicine's forms are: "
                                 + (", ".join(declared) or "none with an id")))
    return problems


def _required(data: dict, path: Path) -> bool:
    """Whether a marker sits on a section or subsection every leaflet must have."""
    if path[0] != "sections" or len(path) not in (3, 5):
        return False
    section = data["sections"][path[1]]
    if len(path) == 3:
        return section["id"] in REQUIRED_SECTIONS
    return path[2] == "subsections" and section["subsections"][path[3]]["id"] in REQUIRED_SECTIONS.get(
        section["id"], ())


def check(medicine: Any, form: str | None, where: str = "--form") -> str | None:
    """``form`` if the medicine declares it (None stays None); otherwise a user error naming the forms."""
    if form is None:
        return None
    declared = ids(medicine)
    if not declared:  # nothing is marked by form: a known kind of form only names what was dispensed
        from .prescription import FORM_PHRASES

        if form in FORM_PHRASES:
            return form
    if form not in declared:
        raise LeafletError(f"{medicine.name} has no form '{form}' ({where})",
                           hint=("use one of: " + ", ".join(declared)) if declared else
                           "this medicine's content names no forms; leave the form out")
    return form


def select(data: dict[str, Any], form: str | None) -> dict[str, Any]:
    """Content data (``model_dump``) for one form, or for all when ``form`` is None, without markers."""
    out = _keep(data, form, top=True)
    # a medicine whose forms have no ids (nothing marked by form) keeps them all: which one is `form`
    # is not known, and a forms table without rows would hide the strengths
    if form is not None and any(f.get("id") == form for f in out["medicine"]["forms"]):
        out["medicine"]["forms"] = [f for f in out["medicine"]["forms"] if f.get("id") == form]
    return out


def _applies(value: Any, form: str | None) -> bool:
    marked = value.get("forms") if isinstance(value, dict) else None
    return form is None or not marked or form in marked


def _keep(value: Any, form: str | None, top: bool = False) -> Any:
    if isinstance(value, list):
        kept = [_keep(item, form) for item in value if _applies(item, form)]
        return [item for item in kept if not _emptied(item)]
    if isinstance(value, dict):
        if not top and set(value) <= {"text", "forms"} and "text" in value:
            return value["text"]  # a marked paragraph or item is its text
        if not top and set(value) <= {"cells", "forms"} and "cells" in value:
            return value["cells"]  # a marked table row is its cells
        return {key: (item if top and key == "medicine" else _keep(item, form))
                for key, item in value.items() if not (key == "forms" and not top)}
    return value


def _emptied(block: Any) -> bool:
    """A list, group, box or side-effects block left with nothing in it by the selection."""
    if not isinstance(block, dict):
        return False
    if block.get("bullets") == [] or block.get("items") == []:
        return True
    if isinstance(block.get("table"), dict) and block["table"].get("rows") == []:
        return True  # (every row marked for other forms)
    if isinstance(block.get("warning"), dict) and block["warning"].get("blocks") == []:
        return True
    return isinstance(block.get("side_effects"), dict) and block["side_effects"].get("groups") == []
