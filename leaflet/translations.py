"""How a translation stands against its source: review status, staleness, sections, template words.

``leaflet check`` reports these as warnings; building an unreviewed translation warns once with a
:class:`TranslationWarning`, which the command line prints and the Python API leaves to the caller's
warnings filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import buildcache, content, i18n
from .errors import LeafletError, LeafletWarning
from .model import Leaflet


class TranslationWarning(LeafletWarning):
    """A leaflet is built from a translation that has not been reviewed or is out of date."""


class LanguageChosen(TranslationWarning):
    """There is no leaflet in the exact language asked for (``zh-CN``); one in the same language and
    script (``zh-Hans``) is used instead."""


@dataclass(frozen=True)
class Finding:
    kind: str  # "unreviewed", "stale", "missing-section", "extra-section", "template-words", "no-source"
    message: str


def _ids(leaflet: Leaflet) -> list[str]:
    out = []
    for section in leaflet.sections:
        out.append(section.id)
        out.extend(f"{section.id}/{sub.id}" for sub in section.subsections)
    return out


def findings(path: Path, leaflet: Leaflet) -> list[Finding]:
    """Everything a content team should know about this file as a translation."""
    result: list[Finding] = []
    words = i18n.untranslated(leaflet.language)
    if words:
        shown = ", ".join(repr(w) for w in words[:3]) + (" ..." if len(words) > 3 else "")
        result.append(Finding("template-words", f"{len(words)} template word(s) not translated into "
                                                f"'{leaflet.language}': {shown}"))
    tr = leaflet.translation
    if tr is None:
        return result
    if tr.status != "reviewed":
        result.append(Finding("unreviewed", f"translation is a {tr.status}, not yet reviewed"
                                            + (f" ({tr.note})" if tr.note else "")))
    source_path = path.parent / f"{tr.source_language}.yaml"
    buildcache.consulted(source_path)
    if not source_path.is_file():
        result.append(Finding("no-source", f"source file {source_path.name} not found"))
        return result
    try:
        source = content.load(source_path).leaflet
    except LeafletError as exc:
        result.append(Finding("no-source", f"its source {source_path.name} is not valid: {exc.message}"))
        return result
    if source.revision.version != tr.source_version:
        result.append(Finding("stale", f"made from source version {tr.source_version}, but the source is "
                                       f"now version {source.revision.version} ({source.revision.date})"))
    mine, theirs = _ids(leaflet), _ids(source)
    missing = [i for i in theirs if i not in mine]
    extra = [i for i in mine if i not in theirs]
    if missing:
        result.append(Finding("missing-section", "missing against the source: " + ", ".join(missing)))
    if extra:
        result.append(Finding("extra-section", "not in the source: " + ", ".join(extra)))
    return result


def build_warning(path: Path, leaflet: Leaflet) -> str | None:
    """The one-line warning for building this file, or None for a reviewed, current translation."""
    serious = [f for f in findings(path, leaflet) if f.kind in ("unreviewed", "stale", "missing-section")]
    if not serious:
        return None
    return f"{leaflet.medicine.id} '{leaflet.language}': " + "; ".join(f.message for f in serious)
