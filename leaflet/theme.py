"""A template's theme: fonts, sizes, colours, spacing and margins, from ``theme.yaml``.

A theme may say ``extends: <template>``; it is then merged over that template's theme, key by key,
so a variant states only what differs.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from reportlab.lib.colors import Color, HexColor

from . import caches

#: No text anywhere in a leaflet is smaller than this, whatever the template says.
MIN_FONT_SIZE = 9.0

HexText = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]


@caches.memoize("theme.colours", 256)
def _hex(value: str) -> Color:
    return HexColor(value)  # converted once: ReportLab would parse a string on every use


class ThemeModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Style(ThemeModel):
    """How one kind of text looks."""

    size: float = Field(ge=MIN_FONT_SIZE, le=72)
    leading: float | None = Field(default=None, gt=0, le=100)  # default: 1.3 x size
    font: Literal["body", "heading"] = "body"
    bold: bool = False
    italic: bool = False
    color: str = "text"  # a name from colors, or #rrggbb
    align: Literal["left", "right", "center", "justify"] = "left"
    space_before: float = Field(default=0, ge=0, le=72)
    space_after: float = Field(default=0, ge=0, le=72)
    indent: float = Field(default=0, ge=0, le=200)  # left indent, points

    @property
    def line_height(self) -> float:
        return self.leading or round(self.size * 1.3, 2)


class Margins(ThemeModel):
    top: float = Field(ge=12, le=60)
    bottom: float = Field(ge=12, le=60)
    left: float = Field(ge=12, le=60)
    right: float = Field(ge=12, le=60)


class Boxes(ThemeModel):
    """Warning boxes: padding, the icon's size and the border width of each level."""

    padding: float = Field(default=7, ge=2, le=30)
    icon_size: float = Field(default=16, ge=8, le=48)
    gap: float = Field(default=8, ge=0, le=40)  # space around a box


class Notes(ThemeModel):
    line_spacing: float = Field(default=22, ge=14, le=48)  # distance between ruled lines
    lines: int = Field(default=8, ge=2, le=40)  # ruled lines when no notes are given
    extra_lines: int = Field(default=3, ge=0, le=20)  # blank lines kept after printed notes
    # short notes on page 1: their own ruled box, or a row of the prescription panel (less room;
    # a leaflet with a form field to type notes in keeps the box)
    page_one: Literal["box", "panel"] = "box"


class Theme(ThemeModel):
    """Everything about a template's look that is not its structure."""

    name: str
    description: str = ""
    extends: str | None = None
    fonts: dict[Literal["body", "heading"], str]
    fallback_fonts: list[str] = Field(default_factory=list)  # tried in order for other scripts
    font_files: dict[str, dict[Literal["regular", "bold", "italic", "bold_italic"], str]] = Field(
        default_factory=dict)
    allow_italic: bool = True  # False: emphasis that would be italic is printed bold instead
    margins_mm: Margins
    header_height_mm: float = Field(default=14, ge=0, le=50)
    footer_height_mm: float = Field(default=10, ge=6, le=40)
    colors: dict[str, HexText]
    styles: dict[str, Style]
    boxes: Boxes = Boxes()
    notes: Notes = Notes()
    bullet: str = "\u2022"
    list_columns: int = Field(default=1, ge=1, le=3)  # long lists of short items may use columns
    # where a draft translation's notice goes: above the prescription panel, or after the most
    # important box's start (large print: page 1's room goes to the patient's panel and the box)
    draft_notice: Literal["before-panel", "after-important"] = "before-panel"
    columns: int = Field(default=1, ge=1, le=2)  # body text columns on every page (compact: 2)
    column_gap_mm: float = Field(default=6, ge=3, le=30)
    # one column only: the width of a side column for the sub-headings (h2, h3), which then stand
    # beside the text they head, so the text column is narrower (shorter lines) at little cost in
    # height; page 1's title, panel, notes and most important box, and the section headings (h1),
    # span both columns. 0: no side column
    side_heads_mm: float = Field(default=0, ge=0, le=80)
    side_gap_mm: float = Field(default=5, ge=2, le=20)  # between a side head and the text beside it

    @model_validator(mode="after")
    def _side_heads_in_one_column(self) -> Theme:
        if self.side_heads_mm and self.columns > 1:
            raise ValueError("side_heads_mm needs columns: 1 (a side column beside two text columns "
                             "would leave each too narrow)")
        return self

    @model_validator(mode="after")
    def _no_italic_style_where_italic_is_not_allowed(self) -> Theme:
        italic = sorted(name for name, style in self.styles.items() if style.italic)
        if not self.allow_italic and italic:  # (a style inherited through extends: counts too)
            raise ValueError(f"allow_italic is false, but these styles are italic: {', '.join(italic)}; "
                             "give each italic: false")
        return self

    def color(self, name: str) -> Color:
        """A colour by theme name or literal ``#rrggbb``, as a ReportLab colour."""
        return _hex(name if name.startswith("#") else self.colors.get(name, self.colors["text"]))


REQUIRED_STYLES = ("body", "title", "subtitle", "h1", "h2", "h3", "bullet", "box_title", "box_label",
                   "panel_label", "panel_value", "notes", "header", "footer", "small")


def merge(base: dict, override: dict) -> dict:
    """Deep-merge two theme dictionaries: mappings merge, everything else is replaced."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out
