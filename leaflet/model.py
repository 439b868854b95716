"""The validated content model: what a medicine's leaflet says, in one language.

Stage 2 of the pipeline. A content file (YAML) is checked against these pydantic models; the JSON
Schema that ``leaflet schema`` writes is generated from them, so editors and this program agree.
The section order follows the EU package leaflet, with a "most important information" box first as
US Medication Guides do.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)

from .typedtext import Lines

SCHEMA_VERSION = 1

# Every text is checked for characters that could reorder or hide what prints (leaflet.typedtext).
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), Lines]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Lines]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)]
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2})?$")]
Level = Literal["boxed", "serious", "caution", "information"]
#: A table cell: may be empty; a line break in it is a line break in the printed cell (an address, the
#: paragraphs of an imported cell), each line with its spaces at either end taken off and blank lines left out
def _cell_lines(value: str) -> str:
    return "\n".join(line.strip() for line in value.split("\n") if line.strip())


Cell = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), Lines, AfterValidator(_cell_lines)]
Align = Literal["left", "right", "center"]
#: a figure's image: a file name beside the content file, or a ``data:image/png|jpeg;base64,`` URI
ImageSource = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=3_000_000)]
MAX_TABLE_COLUMNS = 8
#: The dosage forms (``medicine.forms[].id``) a part of the content applies to; see leaflet.forms.
FormIds = Annotated[list[Id], Field(min_length=1)]

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

    id: Id | None = None  # e.g. tablets: what content marks with ``forms`` and ``--form`` chooses
    name: ShortText
    route: ShortText | None = None
    strengths: list[ShortText] = Field(default_factory=list)
    note: Text | None = None


class Medicine(Strict):
    id: Id
    name: ShortText
    brand_names: list[ShortText] = Field(default_factory=list)
    drug_class: ShortText | None = None  # required in authored leaflets (see structure_problems)
    forms: list[Form] = Field(default_factory=list)  # likewise


class Revision(Strict):
    version: ShortText | None = None  # required in authored leaflets; an imported source may have none
    date: dt.date


class Source(Strict):
    title: Text
    publisher: ShortText | None = None
    year: int | None = Field(default=None, ge=1900, le=2100)
    url: ShortText | None = None
    note: Text | None = None
    # the language the entry is written in, where it is not the leaflet's (an English article cited in
    # a translated leaflet): a screen reader reads it in that language (/Lang, HTML lang)
    language: LanguageTag | None = None


class SubList(Strict):
    """A bullet with its own bullets (lists nest one level deep)."""

    text: Text
    bullets: list[Text] = Field(min_length=1)


class Marked(Strict):
    """A paragraph or list item that applies only to some dosage forms."""

    text: Text
    forms: FormIds


Item = Text | Marked


class Bullets(Strict):
    """A bullet list, optionally introduced by a line of text; an item may carry one level of bullets,
    or be marked with the dosage forms it applies to."""

    bullets: list[Text | SubList | Marked] = Field(min_length=1)
    intro: Text | None = None
    forms: FormIds | None = None


class Steps(Strict):
    """Numbered steps (how to measure a dose), kept together on a page when they fit."""

    steps: list[Text] = Field(min_length=1, max_length=60)
    intro: Text | None = None
    forms: FormIds | None = None


class WideCell(Strict):
    """A table cell over several columns, as approved product information has them: "20 mg a day in
    two doses" under both "Morning" and "Evening", or a row of one cell across the table ("Children").
    Printed as one cell over its columns; in its row it counts as that many cells."""

    text: Cell
    columns: int = Field(ge=2, le=MAX_TABLE_COLUMNS)


def _cell_tag(value: Any) -> str:
    return "cell-over-columns" if isinstance(value, (dict, WideCell)) else "cell"


#: A cell of a table's row: text, or text over several columns (:class:`WideCell`).
RowCell = Annotated[
    Annotated[Cell, Tag("cell")] | Annotated[WideCell, Tag("cell-over-columns")],
    Discriminator(_cell_tag),
]


def row_columns(row: list) -> int:
    """How many columns a validated row of cells stands over: a wide cell counts its own."""
    return sum(cell.columns if isinstance(cell, WideCell) else 1 for cell in row)


class MarkedRow(Strict):
    """A table row that applies only to some dosage forms (a capsule's row in a dosing table)."""

    cells: list[RowCell] = Field(min_length=1)
    forms: FormIds


def _row_tag(value: Any) -> str:
    if isinstance(value, dict) and "cells" not in value and ("text" in value or "columns" in value):
        return "cell-as-row"
    return "marked-row" if isinstance(value, (dict, MarkedRow)) else "row"


def _a_cell_is_not_a_row(value: Any) -> Any:
    raise ValueError("a row is a list of cells: a cell over several columns goes inside its row's list, "
                     "- [{text: ..., columns: 2}]")


#: A table's row: its cells, or its cells marked with the dosage forms it applies to. (Tagged, so that
#: an error in a cell is reported once, at the cell, not also as "not a marked row"; a wide cell written
#: as a row is one message saying so.)
Row = Annotated[
    Annotated[list[RowCell], Tag("row")] | Annotated[MarkedRow, Tag("marked-row")]
    | Annotated[Annotated[dict, AfterValidator(_a_cell_is_not_a_row)], Tag("cell-as-row")],
    Discriminator(_row_tag),
]


def header_rows(header: list | None) -> list[list[str]]:
    """The rows of a table's ``header`` (content data or model): none, its one row, or its rows (an
    empty header is one row of no cells, which a table refuses)."""
    if header is None:
        return []
    return list(header) if header and isinstance(header[0], (list, tuple)) else [header]


def _header_tag(value: Any) -> str:
    # (tags that are no field's name: an error's location names the field, not the tag)
    return "header-rows" if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)) \
        else "header-row"


#: The most header rows a table has (a group heading above the column headings, as approved product
#: information has: "Dose" over "Adults" and "Children").
MAX_HEADER_ROWS = 4

#: A table's header: a row of cells, or a list of rows (each row as wide as the table).
def _no_wide_head(value: Any) -> Any:
    raise ValueError("a header cell cannot span columns: write the heading in each column it stands over "
                     "(a header row's run of one text prints as one cell over them)")


#: A header row's cell: text (a mapping, a wide cell, is refused with what to write instead).
HeadCell = Annotated[
    Annotated[Cell, Tag("cell")] | Annotated[Annotated[dict, AfterValidator(_no_wide_head)], Tag("cell-over-columns")],
    Discriminator(_cell_tag),
]

Header = Annotated[
    Annotated[list[HeadCell], Tag("header-row")]
    | Annotated[list[list[HeadCell]], Field(min_length=1, max_length=MAX_HEADER_ROWS), Tag("header-rows")],
    Discriminator(_header_tag),
]


class TableBody(Strict):
    header: Header | None = None  # the header row or rows, repeated when the table breaks across pages
    rows: list[Row] = Field(min_length=1, max_length=500)
    caption: Text | None = None
    align: list[Align] | None = None  # one per column; default left

    @model_validator(mode="after")
    def _same_width(self) -> TableBody:
        rows = [row.cells if isinstance(row, MarkedRow) else row for row in self.rows]
        heads = header_rows(self.header)
        width = len(heads[0]) if heads else row_columns(rows[0])
        if not 1 <= width <= MAX_TABLE_COLUMNS:
            raise ValueError(f"a table has 1 to {MAX_TABLE_COLUMNS} columns (found {width})")
        for i, row in enumerate(heads[1:], start=2):
            if len(row) != width:
                raise ValueError(f"header row {i} has {len(row)} cells; every header row needs {width}, "
                                 "as many as the first (leave a cell empty with \"\")")
        for i, row in enumerate(rows):
            columns = row_columns(row)
            if columns != width:
                wide = " (a cell with `columns` counts as that many)" if columns != len(row) else ""
                raise ValueError(f"row {i + 1} has {columns} cells{wide}; every row needs {width}, "
                                 "as many as the header (leave a cell empty with \"\")")
        if self.align is not None and len(self.align) != width:
            raise ValueError(f"align names {len(self.align)} columns; the table has {width}")
        return self


class Table(Strict):
    """A table: a header row, rows of cells (with **bold** and *italic*), a caption, column alignment."""

    table: TableBody
    forms: FormIds | None = None


class FigureBody(Strict):
    src: ImageSource
    alt: Text  # what the picture shows, for people who cannot see it
    caption: Text | None = None
    width_mm: float | None = Field(default=None, ge=3, le=180)  # default: natural size, at most the column

    @model_validator(mode="after")
    def _source(self) -> FigureBody:
        src = self.src
        if src.startswith("data:"):
            if not re.match(r"^data:image/(png|jpeg|jpg);base64,[A-Za-z0-9+/=\s]+$", src):
                raise ValueError("a data: URI must be a base64 PNG or JPEG (data:image/png;base64,...)")
        elif (not re.match(r"^[A-Za-z0-9_.-][A-Za-z0-9_./ -]*\.(png|jpe?g|PNG|JPE?G)$", src) or ".." in src
              or len(src) > 200):
            raise ValueError("src is a .png or .jpg file name beside the content file (no folders above "
                             "it), or a data:image/png;base64,... URI")
        return self


class Figure(Strict):
    """A picture (PNG or JPEG) with required alt text and an optional caption."""

    figure: FigureBody
    forms: FormIds | None = None


class Heading(Strict):
    """A small heading inside a section."""

    heading: ShortText
    forms: FormIds | None = None


class WarningBody(Strict):
    level: Level
    title: ShortText
    blocks: list[SimpleBlock] = Field(min_length=1)


class WarningBlock(Strict):
    """A warning box; its level decides how strongly it is drawn."""

    warning: WarningBody
    forms: FormIds | None = None


class SideEffectGroup(Strict):
    label: ShortText
    detail: Text | None = None
    action: Text | None = None
    items: list[Item] = Field(min_length=1)
    forms: FormIds | None = None
    level: Level | None = None  # printed as a warning box of this level (e.g. "get emergency help")


class SideEffects(Strict):
    by: Literal["frequency", "seriousness"]
    groups: list[SideEffectGroup] = Field(min_length=1)


class SideEffectsBlock(Strict):
    """Side effects grouped by how often or how serious they are."""

    side_effects: SideEffects
    forms: FormIds | None = None


_TAGS = ("bullets", "heading", "warning", "side_effects", "table", "figure", "steps", "text")


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
    "'bullets', 'heading', 'warning', 'side_effects', 'table', 'figure', 'steps', 'text' (with 'forms')",
)

SimpleBlock = Annotated[
    Annotated[Text, Tag("paragraph")] | Annotated[Bullets, Tag("bullets")] | Annotated[Steps, Tag("steps")]
    | Annotated[Marked, Tag("text")],
    Discriminator(_block_tag, custom_error_type="block",
                  custom_error_message="inside a warning, a block must be a paragraph (text) "
                  "or have the key 'bullets', 'steps' or 'text' (with 'forms')"),
]

Block = Annotated[
    Annotated[Text, Tag("paragraph")] | Annotated[Bullets, Tag("bullets")] | Annotated[Heading, Tag("heading")]
    | Annotated[WarningBlock, Tag("warning")] | Annotated[SideEffectsBlock, Tag("side_effects")]
    | Annotated[Table, Tag("table")] | Annotated[Figure, Tag("figure")] | Annotated[Steps, Tag("steps")]
    | Annotated[Marked, Tag("text")],
    Discriminator(_block_tag, **_BLOCK_ERROR),
]

WarningBody.model_rebuild()


class Subsection(Strict):
    id: Id
    title: ShortText
    blocks: list[Block] = Field(default_factory=list)
    forms: FormIds | None = None


class Section(Strict):
    id: Id
    title: ShortText
    blocks: list[Block] = Field(default_factory=list)
    subsections: list[Subsection] = Field(default_factory=list)
    forms: FormIds | None = None


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


class ImportedFrom(Strict):
    """The approved document an imported leaflet was made from; printed in its "last revised" line."""

    format: Literal["epi", "spl"]
    file: ShortText
    identifier: ShortText | None = None
    version: ShortText | None = None
    date: dt.date | None = None


class Leaflet(Strict):
    """One medicine's leaflet content in one language."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              title="Leaflet content")

    schema_version: Literal[1] = Field(alias="schema")
    language: LanguageTag
    #: "authored" leaflets follow the EU order strictly; "imported" ones keep their source's own
    #: structure and wording (approved text) and record where they came from
    origin: Literal["authored", "imported"] = "authored"
    imported_from: ImportedFrom | None = None
    #: who reads the leaflet: the patient, a parent or carer of a child, or a caregiver (e.g. a rectal
    #: gel given in a seizure); the template's words to the reader follow it
    audience: Literal["patient", "carer", "caregiver"] = "patient"
    section_numbers: bool = True  # "1. What X is ..."; a US Medication Guide's questions are not numbered
    medicine: Medicine
    revision: Revision
    sources: list[Source] = Field(default_factory=list)  # at least one in an authored leaflet
    important: ImportantBox | None = None  # required in an authored leaflet
    # printed under the title; an imported leaflet's (its opening text) after the patient's panel and notes
    intro: list[Block] = Field(default_factory=list)
    sections: list[Section] = Field(min_length=1)
    translation: Translation | None = None  # absent in a source (untranslated) file

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)


def structure_problems(leaflet: Leaflet) -> list[tuple[tuple[str | int, ...], str]]:
    """Checks pydantic cannot express: unique ids, and required sections present and in order.

    Returns ``(path, message)`` pairs; the path points into the content file.
    """
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if leaflet.origin == "imported":
        if leaflet.imported_from is None:
            problems.append((("imported_from",), "missing required field 'imported_from': an imported "
                             "leaflet records the document it came from"))
    else:
        for path, present in ((("medicine", "drug_class"), leaflet.medicine.drug_class),
                              (("medicine", "forms"), leaflet.medicine.forms),
                              (("revision", "version"), leaflet.revision.version),
                              (("sources",), leaflet.sources), (("important",), leaflet.important)):
            if not present:
                problems.append((path, f"missing required field '{path[-1]}'"))
    seen: dict[str, tuple] = {}
    for i, section in enumerate(leaflet.sections):
        for path, sid in [(("sections", i, "id"), section.id)] + [
            (("sections", i, "subsections", j, "id"), sub.id) for j, sub in enumerate(section.subsections)
        ]:
            if sid in seen:
                problems.append((path, f"id '{sid}' is used twice; ids must be unique"))
            seen[sid] = path
    if leaflet.origin == "imported":  # the source's own structure is the approved one
        return problems
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
    from .forms import marker_problems

    return problems + marker_problems(leaflet)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a content file, for editors."""
    schema = Leaflet.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://leaflet.invalid/schema/content-v1.json"
    return schema
