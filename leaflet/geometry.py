"""Page geometry: the paper, margins, header and footer bands and the body frame, computed once per
build and given to layout (boxes need the frame's height to know when they must split) and to the
PDF stage alike, so the two can never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import mm

from .templating import Template

PAPER = {"a4": A4, "letter": LETTER}


@dataclass(frozen=True)
class Geometry:
    """Where things go on every page, in points (origin at the bottom left)."""

    pagesize: tuple[float, float]
    left: float  # margins
    right: float
    top: float
    bottom: float
    header_height: float  # 0: no header band
    footer_height: float
    running_header_height: float = 0.0  # after page 1 (the pharmacy's name only); 0: as on page 1
    columns: int = 1
    column_gap: float = 0.0
    right_to_left: bool = False  # columns are read from the right
    side: float = 0.0  # the side heads' column (one text column only), at the left, or at the right when right to left

    def frames(self, first: bool = True) -> list[tuple[float, float, float, float]]:
        """The body frames (x, y, width, height) of page 1 or of a later page: one, or the theme's
        columns side by side. After page 1 a pharmacy's header is smaller, so the frames are taller."""
        x, y, width, height = self.frame
        if not first and self.running_header_height:
            height += self.header_height - self.running_header_height
        if self.side:  # the text column; what spans the side column too is outdented (flowables.Outdented)
            return [(x if self.right_to_left else x + self.side, y, width - self.side, height)]
        column = (width - self.column_gap * (self.columns - 1)) / self.columns
        frames = [(x + i * (column + self.column_gap), y, column, height) for i in range(self.columns)]
        return frames[::-1] if self.right_to_left else frames  # in the order the text flows into them

    @property
    def frame(self) -> tuple[float, float, float, float]:
        """The body frame: x, y, width, height."""
        width, height = self.pagesize
        return (self.left, self.bottom + self.footer_height, width - self.left - self.right,
                self.frame_height)

    @property
    def frame_height(self) -> float:
        """The tallest thing that can sit on one page."""
        return self.pagesize[1] - self.top - self.bottom - self.header_height - self.footer_height


def page_geometry(template: Template, paper: str, header_lines: int | None, pharmacy: bool = False,
                  right_to_left: bool = False) -> Geometry:
    """The geometry for ``paper``. ``header_lines``: None when the page has no header (no pharmacy and
    no header text in the template), else the lines of pharmacy details it must have room for (0 for
    a template's header text). ``pharmacy``: the header is a pharmacy's, which after page 1 shrinks to
    its name. ``right_to_left``: the leaflet's script is read from the right, and so are its columns."""
    theme = template.theme
    m = theme.margins_mm
    if header_lines is None:
        header = 0.0
    else:
        header = max(theme.header_height_mm * mm, header_lines * theme.styles["header"].line_height + 10)
    running = theme.styles["header"].line_height + 10 if pharmacy and header_lines is not None else 0.0
    return Geometry(PAPER[paper], m.left * mm, m.right * mm, m.top * mm, m.bottom * mm, header,
                    theme.footer_height_mm * mm, running, theme.columns, theme.column_gap_mm * mm, right_to_left,
                    theme.side_heads_mm * mm)
