"""The validated content model: what a medicine's leaflet says, in one language.

Stage 2 of the pipeline. A content file (YAML) is checked against these pydantic models; the JSON
Schema that ``leaflet schema`` writes is generated from them, so editors and this program agree.
The section order follows the EU package leaflet, with a "most important information" box first as
US Medication Guides do.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag

from .typedtext import Lines

SCHEMA_VERSION = 1

# Every text is checked for characters that could reorder or hide what prints (leaflet.typedtext).
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), Lines]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Lines]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)]
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2})?$")]
Level = Literal["boxed", "serious", "caution", "information"]

#: Top-level sections every leaflet has, in this order, each with the subsections it must have.
REQUIRED_SECTIONS: dict[str, tuple[str, ...]] = {
    "what-it-is": (),
    "before-you-take": ("do-not-take", "warnings", "other-medicines", "alcohol", "pregnancy", "driving"),
    "how-to-take": ("too-much", "forgot", "stopping"),
    "side-effects": (),
    "storage": (),
    "more-information": (),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Form(Strict):
    """A dosage form, e.g. tablets by mouth in 2, 5 and 10 mg."""

    name: ShortText
    route: ShortText | None = None
    strengths: list[ShortText] = Field(default_factory=list)
    note: Text | None = None


class Medicine(Strict):
    id: Id
    name: ShortText
    brand_names: list[ShortText] = Field(default_factory=list)
    drug_class: ShortText
    forms: list[Form] = Field(min_length=1)


class Revision(Strict):
    version: ShortText
    date: dt.date


class Source(Strict):
    title: Text
    publisher: ShortText | None = None
    year: int | None = Field(default=None, ge=1900, le=2100)
    url: ShortText | None = None
    note: Text | None = None


class Bullets(Strict):
    """A bullet list, optionally introduced by a line of text."""

    bullets: list[Text] = Field(min_length=1)
    intro: Text | None = None


class Heading(Strict):
    """A small heading inside a section."""

    heading: ShortText


class WarningBody(Strict):
    level: Level
    title: ShortText
    blocks: list[SimpleBlock] = Field(min_length=1)


class WarningBlock(Strict):
    """A warning box; its level decides how strongly it is drawn."""

    warning: WarningBody


class SideEffectGroup(Strict):
    label: ShortText
    detail: Text | None = None
    action: Text | None = None
    items: list[Text] = Field(min_length=1)


class SideEffects(Strict):
    by: Literal["frequency", "seriousness"]
    groups: list[SideEffectGroup] = Field(min_length=1)


class SideEffectsBlock(Strict):
    """Side effects grouped by how often or how serious they are."""

    side_effects: SideEffects


_TAGS = ("bullets", "heading", "warning", "side_effects")


def _block_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "paragraph"
    if isinstance(value, BaseModel):
        return next((t for t in _TAGS if t in type(value).model_fields), None)
    if isinstance(value, dict):
        for tag in _TAGS:
            if tag in value:
                return tag
    return None


_BLOCK_ERROR = dict(
    custom_error_type="block",
    custom_error_message="a block must be a paragraph (text) or have one of the keys "
    "'bullets', 'heading', 'warning', 'side_effects'",
)

SimpleBlock = Annotated[
    Annotated[Text, Tag("paragraph")] | Annotated[Bullets, Tag("bullets")],
    Discriminator(_block_tag, custom_error_type="block",
                  custom_error_message="inside a warning, a block must be a paragraph (text) "
                  "or have the key 'bullets'"),
]

Block = Annotated[
    Annotated[Text, Tag("paragraph")] | Annotated[Bullets, Tag("bullets")] | Annotated[Heading, Tag("heading")] | Annotated[WarningBlock, Tag("warning")] | Annotated[SideEffectsBlock, Tag("side_effects")],
    Discriminator(_block_tag, **_BLOCK_ERROR),
]

WarningBody.model_rebuild()


class Subsection(Strict):
    id: Id
    title: ShortText
    blocks: list[Block] = Field(default_factory=list)


class Section(Strict):
    id: Id
    title: ShortText
    blocks: list[Block] = Field(default_factory=list)
    subsections: list[Subsection] = Field(default_factory=list)


class ImportantBox(Strict):
    """The "most important information" box printed before the numbered sections."""

    title: ShortText
    level: Level = "boxed"
    blocks: list[Block] = Field(min_length=1)


class Translation(Strict):
    """Where a translation came from and whether a qualified person has checked it."""

    source_language: LanguageTag = "en"
    source_version: ShortText  # the source's revision.version this translation was made from
    status: Literal["draft", "reviewed"]
    note: Text | None = None  # e.g. "Draft, needs review by a qualified medical translator."
    translator: ShortText | None = None
    reviewed_by: ShortText | None = None
    reviewed_on: dt.date | None = None


class Leaflet(Strict):
    """One medicine's leaflet content in one language."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              title="Leaflet content")

    schema_version: Literal[1] = Field(alias="schema")
    language: LanguageTag
    medicine: Medicine
    revision: Revision
    sources: list[Source] = Field(min_length=1)
    important: ImportantBox
    sections: list[Section] = Field(min_length=1)
    translation: Translation | None = None  # absent in a source (untranslated) file

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)


def structure_problems(leaflet: Leaflet) -> list[tuple[tuple[str | int, ...], str]]:
    """Checks pydantic cannot express: unique ids, and required sections present and in order.

    Returns ``(path, message)`` pairs; the path points into the content file.
    """
    problems: list[tuple[tuple[str | int, ...], str]] = []
    seen: dict[str, tuple] = {}
    for i, section in enumerate(leaflet.sections):
        for path, sid in [(("sections", i, "id"), section.id)] + [
            (("sections", i, "subsections", j, "id"), sub.id) for j, sub in enumerate(section.subsections)
        ]:
            if sid in seen:
                problems.append((path, f"id '{sid}' is used twice; ids must be unique"))
            seen[sid] = path
    top = [s.id for s in leaflet.sections]
    missing = [sid for sid in REQUIRED_SECTIONS if sid not in top]
    if missing:
        problems.append((("sections",), "missing required section(s): " + ", ".join(missing)
                         + "; every leaflet has, in order: " + ", ".join(REQUIRED_SECTIONS)))
    present = [sid for sid in top if sid in REQUIRED_SECTIONS]
    expected = [sid for sid in REQUIRED_SECTIONS if sid in top]
    if not missing and present != expected:
        problems.append((("sections",), "required sections are out of order; expected "
                         + ", ".join(REQUIRED_SECTIONS)))
    for i, section in enumerate(leaflet.sections):
        needed = REQUIRED_SECTIONS.get(section.id, ())
        subs = [s.id for s in section.subsections]
        gone = [sid for sid in needed if sid not in subs]
        if gone:
            problems.append((("sections", i, "subsections"),
                             f"section '{section.id}' is missing subsection(s): " + ", ".join(gone)))
        elif [s for s in subs if s in needed] != list(needed):
            problems.append((("sections", i, "subsections"),
                             f"subsections of '{section.id}' are out of order; expected "
                             + ", ".join(needed)))
    return problems


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a content file, for editors."""
    schema = Leaflet.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://leaflet.invalid/schema/content-v1.json"
    return schema
