"""Everything a content file fills in is printed: no field is validated and then silently dropped."""

from __future__ import annotations

import re
import warnings

import pytest

import leaflet
from leaflet import content, i18n, inline
from leaflet.translations import TranslationWarning

from .conftest import DATA, body_text

#: fields that steer the layout rather than say something (or say it another way, e.g. a date)
NOT_TEXT = {"schema", "language", "id", "level", "by", "align", "src", "width_mm", "origin", "section_numbers",
            "audience", "date", "translation", "source_language", "status", "reviewed_on"}

CASES = [("diazepam", "en", None), ("diazepam", "es", None), ("diazepam", "de", None),
         ("blockdemo", "en", DATA / "blocks"), ("warfarin", "en", None)]


def _texts(value, key: str = "") -> list[str]:
    if key in NOT_TEXT:
        return []
    if key == "forms" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return []  # a form marker (the dosage forms a part applies to), not text
    if isinstance(value, str):
        return [inline.plain(value)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _texts(v, k)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v, key)]
    return []


def _squash(text: str) -> str:
    return re.sub(r"[\s\u00a0]+", "", text)


def _box_titles(value) -> list[str]:
    if isinstance(value, dict):
        own = [value["title"]] if "level" in value and "title" in value else []
        return own + [t for v in value.values() for t in _box_titles(v)]
    if isinstance(value, list):
        return [t for v in value for t in _box_titles(v)]
    return []


def _without_repeated_box_heads(text: str, source: dict, language: str) -> str:
    """A warning box that runs onto the next page repeats its icon, label and title there, in the
    middle of a paragraph's text; keep only each title's first appearance."""
    words = i18n.translations(language).gettext
    labels = "|".join(re.escape(_squash(words(w))) for w in ("WARNING", "IMPORTANT", "CAUTION", "GOOD TO KNOW"))
    for title in set(_box_titles(source)):
        plain = inline.plain(title)
        continued = _squash(words("{title} (continued)").format(title=plain))
        head = re.compile(f"[!i]?(?:{labels})(?:{re.escape(continued)}|{re.escape(_squash(plain))})")
        first = head.search(text)
        if first:
            text = text[:first.end()] + head.sub("", text[first.end():])
    return text


@pytest.mark.parametrize("medicine, language, folder", CASES, ids=[f"{m}-{lang}" for m, lang, _ in CASES])
@pytest.mark.parametrize("template", ["standard", "large-print"])
def test_every_filled_field_prints(medicine, language, folder, template):
    roots = content.content_roots([folder] if folder else [])
    source = content.load(content.locate(medicine, language, roots)).source.data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        text = body_text(leaflet.build_pdf(medicine, language=language, template=template,
                                           content_dirs=[folder] if folder else None), template)
    text = _without_repeated_box_heads(text, source, language)
    missing = [t for t in _texts(source) if _squash(t) not in text]
    assert not missing, missing[:5]
