"""Tables, figures, numbered steps and nested lists: their markup and their layout.

Each is one entry of the markup registry (:func:`leaflet.markup.register`): its attributes, its check
and its build function, which uses the layout builder's helpers. :mod:`leaflet.blocks` imports this
module, and its ``<ul>`` builds nested items with :func:`nested_item`.

- ``<table align="left right ...">`` holds an optional ``<caption>`` and ``<tr>`` rows (``<tr head="yes">``
  for the header row, repeated on every page the table runs onto) of ``<td>`` cells with inline text. In a
  cell, a number and its unit ("250 mg", "5 ml") are joined by a no-break space so no line splits them.
- ``<figure src="data:image/png;base64,..." alt="..." width="mm">`` with an optional ``<caption>``: the
  picture, its alt text (drawn invisibly under it, so it can be found and copied) and the caption, kept
  together.
- ``<ol>``: numbered steps (``<li>`` items), kept together on one page when they fit.
- ``<li level="2">`` inside ``<ul>``: a nested item, belonging to the level-1 item before it.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import re
import weakref
import xml.etree.ElementTree as ET
from typing import Any

from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Table, TableStyle

from . import rtl
from .errors import Location, TemplateError
from .figures import ImageError, decode_data_uri, image_info
from .flowables import RTLParagraph, StepsTogether
from .markup import Element, cell_columns, cell_spans, cell_words, register, row_cells
from .tagging import tag

ALIGNS = {"left": TA_LEFT, "right": TA_RIGHT, "center": TA_CENTER}
#: The most columns a table has, and so a wide cell (``<td columns>``): the content model's limit.
MAX_TABLE_COLUMNS = 8
_CHILDREN = {"table": {"tr", "caption"}, "tr": {"td"}, "figure": {"caption"}, "ol": {"li"}}
_PARENTS = {"tr": "<table>", "td": "<tr>", "caption": "<table> or <figure>"}
#: parts (rows, cells, captions) their parent has checked: a part anywhere else is an error. The markup
#: checker visits a parent before its children.
_PLACED: weakref.WeakSet = weakref.WeakSet()

#: units a number must stay on the same line with (in table cells)
_UNIT = (r"(?:mg|g|kg|µg|μg|mcg|ng|ml|mL|l|L|IU|UI|U|mmol|mol|%|cm|mm|m|h|hours?|days?|weeks?|years?|"
         r"tablets?|capsules?|drops?|puffs?|doses?|°C|kcal|años|horas|días|semanas|comprimidos?)")
_NUMBER_UNIT = re.compile(r"(\d(?:[.,]\d+)?)[ \t\n]+(" + _UNIT + r")(?![\w])")
_PER = re.compile(r"(\S)[ \t\n]+/([ \t\n]*)(?=[\dA-Za-zµμ])")  # "250 mg / 5 ml": keep "/ 5 ml" with it


def keep_units(text: str) -> str:
    """Join each number to its unit (and a "/ 5 ml" to what it divides) with no-break spaces.

    Only spaces change, one for one: the words are never touched.
    """
    text = _NUMBER_UNIT.sub("\\1\u00a0\\2", text)
    return _PER.sub(lambda m: m.group(1) + "\u00a0/" + ("\u00a0" if m.group(2) else ""), text)


def _children(element: ET.Element, where: Location) -> None:
    allowed = _CHILDREN[element.tag]
    for child in element:
        if child.tag not in allowed:
            raise TemplateError(f"<{child.tag}> cannot be inside <{element.tag}>; only "
                                + ", ".join(f"<{c}>" for c in sorted(allowed)), where=where)
        _PLACED.add(child)


def _check_part(element: ET.Element, template_file: str) -> None:
    if element not in _PLACED:
        raise TemplateError(f"<{element.tag}> must be inside {_PARENTS[element.tag]}", where=Location(template_file))


def _check_table(element: ET.Element, template_file: str) -> None:
    where = Location(template_file)
    _children(element, where)
    rows = element.findall("tr")
    if not rows:
        raise TemplateError("a <table> needs at least one <tr>", where=where)
    for row in rows:
        _children(row, where)
        for td in row.findall("td"):
            raw = td.get("columns")
            if raw is not None and not (re.fullmatch(r"[0-9]{1,2}", raw) and 1 <= int(raw) <= MAX_TABLE_COLUMNS):
                raise TemplateError(f"<td columns='{raw}'> is a whole number of columns, 1 to {MAX_TABLE_COLUMNS}",
                                    where=where)
    widths = {len(row_cells(r)) for r in rows}
    if len(widths) != 1 or 0 in widths:
        raise TemplateError("every <tr> of a <table> needs the same number of <td> cells (a <td columns='2'> "
                            "counts as two)", where=where)
    aligns = (element.get("align") or "").split()
    if any(a not in ALIGNS for a in aligns) or (aligns and len(aligns) != widths.pop()):
        raise TemplateError("<table align> names one of left, right, center for each column", where=where)


def _check_tr(element: ET.Element, template_file: str) -> None:
    _check_part(element, template_file)
    if element.get("head", "no") not in ("yes", "no"):
        raise TemplateError("<tr head> is 'yes' or 'no'", where=Location(template_file))


def _check_figure(element: ET.Element, template_file: str) -> None:
    where = Location(template_file)
    _children(element, where)
    if not (element.get("alt") or "").strip():
        raise TemplateError("a <figure> needs alt text (alt=\"what the picture shows\")", where=where)
    try:
        decode_data_uri(element.get("src") or "")
    except ImageError as exc:
        raise TemplateError(f"<figure src>: {exc.message}", where=where, hint=exc.hint) from None


def _check_ol(element: ET.Element, template_file: str) -> None:
    where = Location(template_file)
    _children(element, where)
    if any(li.get("level") == "2" for li in element):
        raise TemplateError("<li level=\"2\"> is only for <ul>", where=where)


# layout -------------------------------------------------------------------------------------------

def _style(builder, name: str, fallback: str) -> str:
    return name if name in builder.styles else fallback


def _with_units(el: ET.Element) -> ET.Element:
    """A copy of a text element whose texts keep numbers with their units."""
    out = ET.Element(el.tag, el.attrib)
    out.text = keep_units(el.text) if el.text else el.text
    for child in el:
        copy = _with_units(child)
        copy.tail = keep_units(child.tail) if child.tail else child.tail
        out.append(copy)
    return out


#: A column's alignment in a right-to-left leaflet: mirrored, so the default (left, the start side of a
#: left-to-right table) is the right, whatever each cell's own direction ("2 mg, 5 mg" too).
_MIRRORED_ALIGNS = {"left": TA_RIGHT, "right": TA_LEFT, "center": TA_CENTER}


def _aligned(builder, para: Flowable, align: str) -> Flowable:
    """The cell paragraph aligned as its column says (mirrored in a right-to-left leaflet)."""
    if isinstance(para, RTLParagraph):
        return RTLParagraph(para.runs, para.style, bullet=para.bullet, auto=para.auto, memo=para.memo,
                            align=_MIRRORED_ALIGNS[align], base=para.base)
    if align == "left" or builder.rtl or not hasattr(para, "text"):
        return para
    style = ParagraphStyle(f"{para.style.name}-{align}", parent=para.style, alignment=ALIGNS[align])
    return _restyle(para, style, builder)


class FitTable(Flowable):
    """A ReportLab table whose column widths are shares of the width it is given.

    Cells are paragraphs, so widths must be known before they can wrap; the shares come from how
    much text each column holds, and no column is narrower than its longest word (ReportLab would
    split the word: "Tablet / s"). Then, if some cells would wrap, the narrow columns may take room
    from the wide ones to set their cells on one line, where that makes the table no taller (measured
    by wrapping its cells). The header row repeats when the table breaks across pages.
    """

    def __init__(self, rows: list[list[Flowable]], shares: list[float], commands: list, repeat: int,
                 fraction: float = 1.0, rtl: bool = False, labels: list[list[Flowable]] | None = None,
                 label_background: Any = None, rule: Any = None):
        super().__init__()
        self.rows, self.shares, self.commands, self.repeat = rows, shares, commands, repeat
        self.fraction, self.rtl = fraction, rtl
        # each data row's header cells (logical order), to stack a table too narrow for its columns
        self.labels, self.label_background, self.rule = labels, label_background, rule
        self.stacked = False
        # a table narrower than the column starts where the text does: at the right, right to left
        self.hAlign = "RIGHT" if rtl else "LEFT"
        self._table: Table | None = None
        self._width: float | None = None
        self._mins: list[float] | None = None
        self._naturals: list[float] | None = None
        self.spaceBefore, self.spaceAfter = 4, 8
        #: a table no taller than this is never broken: it moves whole to the next page (a dosing
        #: table of four rows broke two and two, review finding); the layout sets a quarter of the frame
        self.whole_below = 0.0

    def table(self, aw: float) -> Table:
        if self._table is None or self._width != aw:
            stacked = self._stacked(aw)
            if stacked is not None:
                self._table, self._width, self.stacked = stacked, aw, True
                return stacked
            self.stacked = False
            for flowable, tag_ in self.__dict__.get("_grid_tags", {}).values():  # (stacked at another width)
                flowable._leaflet_tag = tag_
            widths = self._fewer_broken_cells(fit_widths(aw, self.fraction, self.shares, self.min_widths()))
            # (the spaces are the parts': split, the first keeps the space before, the last the space
            # after, or the next paragraph touched a continued table's border)
            t = Table(self.rows, colWidths=widths,
                      repeatRows=self.repeat, spaceBefore=self.spaceBefore, spaceAfter=self.spaceAfter,
                      hAlign="RIGHT" if self.rtl else "LEFT", splitByRow=1)
            t.setStyle(TableStyle(self.commands))
            self._table, self._width = t, aw
        return self._table

    def _stacked(self, aw: float) -> Table | None:
        """The table stacked, if its columns' longest words do not fit ``aw`` side by side (so ReportLab
        would split words and numbers: "microg" / "rammes", "(8" / "00 mg", in a column of the compact
        template): each data row becomes its cells one under the other, each beside its column's
        header (at the right, right to left), the rows parted by a heavier rule. None: the columns fit,
        or the table has no header to stack by, or stacked its words would not fit either."""
        if sum(self.min_widths()) <= aw + 0.01 or len(self.rows[0]) < 2:
            return None
        if self.labels is None:
            return self._one_under_another(aw) if not self.repeat else None
        values = [row[::-1] if self.rtl else row for row in self.rows[self.repeat:]]  # logical order
        # (each value beside its header; the columns a wide cell stands over have none: its one label)
        pairs = [[(label, cell) for label, cell in zip(labels, cells, strict=True) if not _covered(cell)]
                 for labels, cells in zip(self.labels, values, strict=True)]
        # (a wide cell over every column, a heading inside the table, has no label: it spans the line)
        labelled = [label for row in pairs for label, _cell in row if label is not None]
        label_min = max(map(_min_width, labelled), default=0.0) + _CELL_PADDING
        label_natural = max(map(_natural_width, labelled), default=0.0) + _CELL_PADDING
        value_min = max([*self.min_widths(), *(_min_width(cell) + _CELL_PADDING for row in pairs
                                              for _label, cell in row if _columns(cell) > 1)])
        label_w = max(label_min, min(label_natural, aw * 0.4))
        if label_w + value_min > aw + 0.01:
            return None
        # each header and value a row (TR) of its own; the cells' tags as a grid are kept, made here,
        # on this build's copy (never on the cached table, which is never laid out)
        grid = self.__dict__.setdefault("_grid_tags", {})
        for row in pairs:
            for label, cell in row:
                pair = object()
                for column, flowable in enumerate((label, cell)):
                    tag_ = flowable.__dict__.get("_leaflet_tag") if flowable is not None else None
                    if tag_ is not None:
                        grid.setdefault(id(flowable), (flowable, tag_))
                        flowable._leaflet_tag = dataclasses.replace(grid[id(flowable)][1], row=pair, column=column,
                                                                    colspan=2 if label is None else 1)
        groups = [[[label, cell] if label is not None else ["", cell] for label, cell in row] for row in pairs]
        return self._stack(groups, [label_w, aw - label_w], self.label_background)

    def _one_under_another(self, aw: float) -> Table | None:
        """A table with no header, stacked: each row's cells one under the other, the rows parted by a
        heavier rule (None: its longest word is wider than ``aw`` even so)."""
        if max(self.min_widths()) > aw + 0.01:
            return None
        return self._stack([[[cell] for cell in (row[::-1] if self.rtl else row) if not _covered(cell)]
                            for row in self.rows], [aw])

    def _stack(self, groups: list[list[list[Flowable]]], widths: list[float], background: Any = None) -> Table:
        """A table of ``groups`` of lines (each line its cells, in logical order), a group never split
        and the groups parted by a heavier rule; the grid's rules, padding and font; ``background``
        behind the labels (the first cells of lines of two, a line ``["", cell]`` being one cell)."""
        lines = []
        spanned: list[int] = []
        # a heading inside the table (a wide cell over every column, alone in its group) goes with the
        # row after it: at a page's foot on its own, its rows were overleaf (review finding)
        width = len(self.rows[0])
        merged: list[list[list[Flowable]]] = []
        for group in groups:
            if merged and len(merged[-1]) == 1 and _heads_the_table(merged[-1][0], width):
                merged[-1] = merged[-1] + group
            else:
                merged.append(group)
        groups = merged
        self._group_lines = [len(group) for group in groups]
        commands = [c for c in self.commands if c[0] in ("GRID", "BOX", "VALIGN", "FONTNAME") or c[0].endswith("PADDING")]
        for group in groups:
            start = len(lines)
            for line in group:
                if len(line) == 2 and line[0] == "":  # a heading inside the table, over the whole line
                    commands.append(("SPAN", (0, len(lines)), (1, len(lines))))
                    spanned.append(len(lines))
                    lines.append([line[1], ""])  # (ReportLab draws a span's first cell)
                    continue
                lines.append(line[::-1] if self.rtl else line)
            commands.append(("NOSPLIT", (0, start), (-1, len(lines) - 1)))  # a row's cells stay together
            if start and self.rule is not None:
                commands.append(("LINEABOVE", (0, start), (-1, start), 0.9, self.rule))
        t = Table(lines, colWidths=widths[::-1] if self.rtl else widths, spaceBefore=self.spaceBefore,
                  spaceAfter=self.spaceAfter, hAlign="RIGHT" if self.rtl else "LEFT", splitByRow=1)
        if background is not None:  # behind each run of labelled lines
            column, start = (1 if self.rtl else 0), 0
            for end in [*spanned, len(lines)]:
                if end > start:
                    commands.append(("BACKGROUND", (column, start), (column, end - 1 if end < len(lines) else -1),
                                     background))
                start = end + 1
        t.setStyle(TableStyle(commands))
        return t

    def min_widths(self) -> list[float]:
        """Each column's longest word with the cells' padding (measured once)."""
        if self._mins is None:
            mins = [max((_min_width(cell) for cell in column if _columns(cell) == 1), default=0.0) + _CELL_PADDING
                    for column in zip(*self.rows, strict=True)]
            for row in self.rows:  # a wide cell's longest word, shared by its columns where they are short
                for v, cell in enumerate(row):
                    n = _columns(cell)
                    if n > 1:
                        short = _min_width(cell) + _CELL_PADDING - sum(mins[v:v + n])
                        for k in range(v, v + n) if short > 0 else ():
                            mins[k] += short / n
            self._mins = mins
        return self._mins

    def natural_widths(self) -> list[float]:
        """Each column's longest line unbroken, with the cells' padding (measured once)."""
        if self._naturals is None:
            self._naturals = [max((_natural_width(cell) for cell in column if _columns(cell) == 1), default=0.0)
                              + _CELL_PADDING for column in zip(*self.rows, strict=True)]
        return self._naturals

    def _fewer_broken_cells(self, widths: list[float]) -> list[float]:
        """``widths``, or widths that give the narrowest columns the room to set their cells on one line
        each, taken from the wider columns, if the table is no taller that way ("3 to 6 months" on
        one line, not "3 to" / "6 months", beside a column of long sentences that wraps anyway)."""
        if len(widths) < 2 or len(self.rows) * len(widths) > _MEASURED_CELLS:
            return widths
        naturals, mins = self.natural_widths(), self.min_widths()
        broken = _broken(self.rows, widths)
        if not broken:
            return widths
        best, best_height, best_broken = widths, self._height(widths), broken
        columns = range(len(widths))
        if len(widths) <= 6:  # every choice of columns to set on one line (at most 63)
            choices = [{c for c in columns if bits >> c & 1} for bits in range(1, 2 ** len(widths) - 1)]
        else:  # the narrowest one, two, ...
            order = sorted(columns, key=lambda c: naturals[c])
            choices = [set(order[:k]) for k in range(1, len(widths))]
        for fixed in sorted(choices, key=len):
            need = sum(max(0.0, naturals[c] - widths[c]) for c in fixed)
            room = sum(max(0.0, widths[c] - mins[c]) for c in columns if c not in fixed)
            if need <= 0 or room < need:
                continue
            candidate = [max(w, naturals[c]) if c in fixed else w - max(0.0, w - mins[c]) * need / room
                         for c, w in enumerate(widths)]
            count = _broken(self.rows, candidate)
            if count < best_broken:
                height = self._height(candidate)
                if height <= best_height + 0.01:
                    best, best_height, best_broken = candidate, height, count
        return best

    def _height(self, widths: list[float]) -> float:
        """The cells' height, row by row, at these column widths (without the padding, the same for any)."""
        return sum(max((cell.wrap(w - _CELL_PADDING + 0.5, 1e6)[1] for cell, w in _set_widths(row, widths)),
                       default=0.0) for row in self.rows)

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        self.width, self.height = self.table(aw).wrap(aw, ah)
        return self.width, self.height

    def split(self, aw: float, ah: float) -> list[Flowable]:
        if self.whole_height(aw) <= self.whole_below:
            return []  # (a short table: whole on the next page)
        parts = self.table(aw).split(aw, ah)
        if not self.stacked and len(parts) == 2 and len(parts[1]._cellvalues) == self.repeat + 1 \
                and len(parts[0]._cellvalues) >= self.repeat + 3:
            # one row alone under the repeated header on the next page: take another one with it
            first = parts[0]
            first.wrap(aw, ah)
            again = self.table(aw).split(aw, sum(first._rowHeights[:-1]) + 0.5)
            if len(again) == 2:
                parts = again
        if len(parts) == 2:  # each part closed by the table's border (ReportLab leaves the cut open)
            box = next((c for c in self.commands if c[0] == "BOX"), None)
            if box is not None:
                parts[0].setStyle(TableStyle([("LINEBELOW", (0, -1), (-1, -1), *box[3:])]))
                parts[1].setStyle(TableStyle([("LINEABOVE", (0, 0), (-1, 0), *box[3:])]))
        return parts

    def whole_height(self, aw: float) -> float:
        """How tall the whole table is at width ``aw``."""
        table = self.table(aw)
        table.wrap(aw, 1e9)
        return sum(table._rowHeights)

    def first_rows_height(self, aw: float, rows: int) -> float:
        """How tall the header and the first ``rows`` rows after it are at width ``aw``: the whole table,
        when it is too short to be broken (``whole_below``)."""
        whole = self.whole_height(aw)
        if whole <= self.whole_below:
            return whole
        table = self._table  # (as whole_height wrapped it)
        if self.stacked:  # a row is its cells, one under the other
            return sum(table._rowHeights[:sum(self._group_lines[:rows])])
        return sum(table._rowHeights[:self.repeat + rows])

    def draw(self) -> None:
        self._table.drawOn(self.canv, 0, 0)


#: a cell's left and right padding (the table's style below), and rounding
_CELL_PADDING = 4 + 4 + 0.5
#: tables of more cells than this keep the widths their text's length gives (each try wraps every cell)
_MEASURED_CELLS = 240


def _broken(rows: list[list[Flowable]], widths: list[float]) -> int:
    """How many cells take more than one line at these column widths."""
    return sum(1 for row in rows for cell, w in _set_widths(row, widths)
               if _natural_width(cell) + _CELL_PADDING > w + 0.01)


def _heads_the_table(line: list, width: int) -> bool:
    """Whether a stacked table's line is a heading inside it: one wide cell over all ``width`` columns
    (beside no header, ``["", cell]``, or alone, ``[cell]``)."""
    return (len(line) == 1 or line[0] == "") and _columns(line[-1]) == width


def _set_widths(row: list[Flowable], widths: list[float]):
    """A row's cells with the width each is set in: a wide cell its columns' together, and none for the
    columns it stands over."""
    for v, cell in enumerate(row):
        if not _covered(cell):
            yield cell, sum(widths[v:v + _columns(cell)])


def _columns(cell: Flowable) -> int:
    """How many columns a cell stands over (a wide cell, ``<td columns>``)."""
    return cell.__dict__.get("_leaflet_columns", 1)


def _covered(cell: Flowable) -> bool:
    """Whether a cell is a column a wide cell stands over (empty, not drawn)."""
    return cell.__dict__.get("_leaflet_covered", False)


def _natural_width(cell: Flowable) -> float:
    """The width of a cell's longest line, unbroken (measured once per cell)."""
    width = getattr(cell, "_leaflet_natural", None)
    if width is None:
        cell.wrap(1e6, 1e6)
        para = cell._para if isinstance(cell, RTLParagraph) else cell
        lines = para.getActualLineWidths0() if hasattr(para, "getActualLineWidths0") else [1e6]
        style = para.style
        width = max(lines or [0.0]) + style.leftIndent + style.rightIndent
        cell._leaflet_natural = width
    return width


#: Han and Hangul text breaks between any two characters, but a cell of at most this many is a word
#: ("剂型", "片剂", "口服"): broken, it printed a character a line in a narrow column.
SHORT_CJK = 4


#: A run of text that Han line breaking does not break (Latin letters, digits, their punctuation).
_NOT_HAN = re.compile(r"[^\s\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+")


def _min_width(cell: Flowable) -> float:
    """The width of a cell's longest word: where text breaks between any two characters, the whole of a
    short cell's text (:data:`SHORT_CJK`), else 0."""
    style = getattr(cell, "style", None)
    if not hasattr(cell, "minWidth"):
        return 0.0
    if style is not None and style.wordWrap == "CJK":
        text = "".join(cell.getPlainText().split()) if hasattr(cell, "getPlainText") else ""
        if not 0 < len(text) <= SHORT_CJK:
            # the longest run of other letters and digits, which is not broken unless it must be (review
            # finding: "(800" was, "（80" / "0微克）", in a column too narrow for it)
            runs = _NOT_HAN.findall(cell.getPlainText() if hasattr(cell, "getPlainText") else "")
            return max((stringWidth(run, style.fontName, style.fontSize) for run in runs), default=0.0)
        cell.wrap(1e6, 1e6)
        return max(cell.getActualLineWidths0() or [0.0])
    return cell.minWidth()


def fit_widths(aw: float, fraction: float, shares: list[float], mins: list[float]) -> list[float]:
    """Column widths: the table's share of ``aw`` divided by ``shares``, each column widened to its
    minimum where it falls short, the room taken from the columns that have some to spare. A short
    table whose words need more than its share takes more of ``aw``, up to all of it; words that
    cannot fit even then are left to ReportLab (a column of one huge word)."""
    total = aw * fraction
    if sum(mins) > total:
        total = min(aw, sum(mins))
    widths = [total * s for s in shares]
    short = sum(max(0.0, m - w) for w, m in zip(widths, mins, strict=True))
    if short <= 0:
        return widths
    spare = sum(max(0.0, w - m) for w, m in zip(widths, mins, strict=True))
    if spare < short:  # no room anywhere: widths in proportion to what each column needs
        return [total * m / sum(mins) for m in mins]
    return [m if w <= m else w - (w - m) * short / spare for w, m in zip(widths, mins, strict=True)]


def _cell_text(td: ET.Element) -> str:
    """A cell's text, a newline where it has a ``<br/>``."""
    parts = [td.text or ""]
    for child in td:
        parts.append("\n" if child.tag == "br" else "".join(child.itertext()))
        parts.append(child.tail or "")
    return "".join(parts)


def _cell_len(cell: str) -> int:
    """A cell's width in Latin letters: its longest line's."""
    return max(_visual_len(line) for line in cell.split("\n"))


def _visual_len(text: str) -> int:
    """Length in Latin letters: a Han, Kana or Hangul character is about two wide."""
    return sum(2 if "\u2e80" <= ch <= "\ud7ff" or "\uff00" <= ch <= "\uffef" else 1 for ch in text)


def _fraction(texts: list[list[str]], wide: int = 0) -> float:
    """How much of the column a table takes: all of it, unless its text is short (a strength -> colour
    table need not stretch across the page); ``wide``: what its longest wide cell wants the same way."""
    columns = list(zip(*texts, strict=True))
    wants = max(sum(max((_cell_len(c) for c in col), default=1) + 4 for col in columns), wide)
    return 1.0 if wants >= 60 else max(0.45, wants / 60)


def _shares(texts: list[list[str]]) -> list[float]:
    """Column widths as shares of the table's width, from the text in each column."""
    columns = list(zip(*texts, strict=True))
    wants = []
    for col in columns:
        longest_word = max((_visual_len(w) for cell in col for w in cell.split() if _visual_len(w) == len(w)),
                           default=1)  # Han and Hangul text breaks anywhere: only other words count
        typical = max((min(_cell_len(cell), 40) for cell in col), default=1)
        wants.append(max(longest_word, typical, 4))
    total = sum(wants)
    shares = [max(w / total, 0.06) for w in wants]
    return [s / sum(shares) for s in shares]


def table(builder, el: ET.Element) -> list[Flowable]:
    theme = builder.theme
    cell_style = _style(builder, "table", "body")
    head_style = _style(builder, "table_head", cell_style)
    rows_el = el.findall("tr")
    by_column = [row_cells(tr) for tr in rows_el]  # each row's cells, one per column (None: a wide cell's)
    aligns = (el.get("align") or "").split() or ["left"] * len(by_column[0])
    head_rows = 0
    for tr in rows_el:  # header rows come first; only those repeat
        if tr.get("head") != "yes":
            break
        head_rows += 1
    rows: list[list[Flowable]] = []
    texts: list[list[str]] = []
    row_tags: list[object] = []
    wide = 0  # (the longest wide cell's text, for the table's width)
    for r, tds in enumerate(by_column):
        style = head_style if r < head_rows else cell_style
        row = object()  # the cells of one row (a TR in a tagged PDF)
        row_tags.append(row)
        cells = []
        for c, td in enumerate(tds):
            if td is None:  # a column a wide cell stands over: an empty cell, never drawn (SPAN below)
                empty = ET.Element("td")
                cells.append(_cell(builder, _cell_para(builder, empty, style), empty, r < head_rows, row, c))
                cells[-1]._leaflet_covered = True
                continue
            cells.append(_cell(builder, _aligned(builder, _cell_para(builder, td, style), aligns[c]), td,
                               r < head_rows, row, c))
            if cell_columns(td) > 1:
                cells[-1]._leaflet_columns = cell_columns(td)
        # (a wide cell's text takes no column's share: it has all of its columns)
        texts.append(["" if td is None or cell_columns(td) > 1 else _cell_text(td) for td in tds])
        wide = max([wide] + [_cell_len(_cell_text(td)) + 4 * cell_columns(td) for td in tds
                             if td is not None and cell_columns(td) > 1])
        if builder.rtl:  # a wide cell drawn where its columns start, at the right: its last logically
            for c, td in enumerate(tds):
                if td is not None and cell_columns(td) > 1:
                    last = c + cell_columns(td) - 1
                    cells[c], cells[last] = cells[last], cells[c]
        rows.append(cells[::-1] if builder.rtl else cells)
    labels = None
    if head_rows and len(rows) > head_rows and len(rows[0]) > 1 and \
            (len(rows) - head_rows) * len(rows[0]) <= _MEASURED_CELLS:
        # each data row's own header cells, for a table too narrow for its columns (FitTable.stacked):
        # made now, as the body is laid out once for any number of builds
        heads = _column_heads(rows_el[:head_rows])

        def label(td: ET.Element, r: int, c: int) -> Flowable:
            # (set from the start of the line, as the values are: at the right, right to left)
            return _cell(builder, _aligned(builder, _cell_para(builder, td, head_style), "left"), td, True,
                         row_tags[r], c - 0.5, scope="Row")

        labels = []
        for r in range(head_rows, len(rows)):
            own: list[Flowable | None] = [label(td, r, c) for c, td in enumerate(heads)]
            for c, td in enumerate(by_column[r]):  # a wide cell beside its columns' headers, one label
                if td is not None and cell_columns(td) > 1:
                    spanned = range(c, c + cell_columns(td))
                    at = spanned[-1] if builder.rtl else c  # (where its value is: see above)
                    for k in spanned:
                        own[k] = None
                    # (one over every column, a heading inside the table, has none: it spans the line)
                    own[at] = label(_joined([heads[k] for k in spanned], _WIDE_JOIN), r, c) \
                        if len(spanned) < len(heads) else None
            labels.append(own)
    shares = _shares(texts)
    if builder.rtl:
        shares = shares[::-1]
    grid = theme.color("rule")
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, grid),
        ("BOX", (0, 0), (-1, -1), 0.9, theme.color("text")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), builder.t.body_font.regular),  # never ReportLab's Helvetica
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if head_rows:
        commands += [("BACKGROUND", (0, 0), (-1, head_rows - 1), theme.color("panel")),
                     ("LINEBELOW", (0, head_rows - 1), (-1, head_rows - 1), 0.9, theme.color("text"))]
    width = len(rows[0]) if rows else 0
    for r, tds in enumerate(by_column[head_rows:-1], start=head_rows):  # a heading inside the table (a wide
        if tds[0] is not None and cell_columns(tds[0]) == width > 1:  # cell over every column) goes
            commands.append(("NOSPLIT", (0, r), (-1, r + 1)))  # with the row after it, not alone at a foot
    # a group heading, or a wide cell: one cell over its columns
    for (r, c), count in cell_spans(rows_el).items():
        first, last = (width - c - count, width - 1 - c) if builder.rtl else (c, c + count - 1)
        commands.append(("SPAN", (first, r), (last, r)))
        drawn = rows[r][first]  # (ReportLab draws a span's first cell; the others' copies are not drawn)
        tag_ = drawn.__dict__.get("_leaflet_tag")
        if tag_ is not None:
            drawn._leaflet_tag = dataclasses.replace(tag_, colspan=count, column=c)
    out: list[Flowable] = []
    caption = el.find("caption")
    if caption is not None:
        cap = builder.text_para(caption, _style(builder, "caption", "small"))
        cap.keepWithNext = cap._leaflet_keep_with_next = 1
        out.append(cap)
    table = FitTable(rows, shares, commands, head_rows, _fraction(texts, wide), builder.rtl, labels=labels,
                     label_background=theme.color("panel"), rule=theme.color("text"))
    table.whole_below = builder.options.frame_height / 4  # (as numbered steps: StepsTogether)
    out.append(tag(table, "Table"))
    return out


#: Between a column's header cells, one above the other, when a stacked table sets them as one label.
_HEAD_JOIN = " \u2013 "


def _column_heads(head_rows: list[ET.Element]) -> list[ET.Element]:
    """Each column's header, as one cell: a header of one row, its cells; of several (a group heading
    above the columns' own), each column's cells from the top, the empty ones and one that repeats the
    cell above left out, joined by a dash ("Dose \u2013 Tablets"), so a stacked table (FitTable.stacked)
    keeps the group heading beside each value."""
    columns = list(zip(*(row_cells(tr) for tr in head_rows), strict=True))
    return [_joined([td for td in column if td is not None], _HEAD_JOIN) for column in columns]


#: Between the headers of the columns a wide cell stands over, when a stacked table sets it beside them
#: (not " / ": the label's numbers and units are tied, keep_units, and "Morning / Evening" was one word
#: too wide to stack beside, review finding).
_WIDE_JOIN = ", "


def _joined(cells: list[ET.Element], between: str) -> ET.Element:
    """Cells as one: their words and markup in order, ``between`` them, the empty ones and one that
    repeats the one before left out (no cells with words: an empty cell)."""
    parts: list[ET.Element] = []
    for td in cells:
        text = cell_words(td)
        if text and (not parts or text != cell_words(parts[-1])):
            parts.append(td)
    if len(parts) <= 1:
        return parts[0] if parts else ET.Element("td")
    joined = ET.Element("td")
    for i, td in enumerate(parts):
        if i:  # the separator after what the cell so far ends with
            if len(joined):
                joined[-1].tail = (joined[-1].tail or "") + between + (td.text or "")
            else:
                joined.text = (joined.text or "") + between + (td.text or "")
        else:
            joined.text = td.text
        for child in td:
            joined.append(copy.deepcopy(child))
    return joined


def _cell_para(builder, td: ET.Element, style: str) -> Flowable:
    """A cell's paragraph. No-break spaces are bidi separators: in right-to-left text they would reorder
    "2 mg, 5 mg", so a right-to-left leaflet's cells keep their spaces, and a cell reads right to left
    if it has a right-to-left letter, else left to right (rtl.cell_level); Han text breaks between any
    two characters anyway, and ReportLab's CJK breaking drops spaces next to no-break ones."""
    if builder.rtl:
        return builder.text_para(td, style, base=rtl.cell_level("".join(td.itertext())))
    cjk = builder.styles[style].wordWrap == "CJK"
    return builder.text_para(td if cjk else _with_units(td), style)


def _cell(builder, para: Flowable, td: ET.Element, head: bool, row: object, column: float,
          scope: str = "Column") -> Flowable:
    """A cell's paragraph tagged as what it is: a header cell (``TH``, for its column, or for its row in
    a stacked table) or a data cell."""
    if not "".join(td.itertext()).strip():  # an empty cell: an element with no content
        return tag(para, "TH" if head else "TD", row=row, column=column, scope=scope, artifact_content=True)
    return builder.tagged(para, "TH" if head else "TD", td, row=row, column=column, scope=scope)


class FigureImage(Flowable):
    """A picture scaled to fit, with its alt text drawn invisibly under it (searchable, copyable)."""

    def __init__(self, data: bytes, alt: str, width: float | None, max_height: float, font: str,
                 rtl: bool = False):
        super().__init__()
        self.rtl = rtl  # right-to-left leaflets set pictures against the right margin
        _, self.px_w, self.px_h = image_info(data)
        self.data, self.alt, self.want, self.max_height, self.font = data, alt, width, max_height, font
        self._reader: ImageReader | None = None
        self.spaceBefore, self.spaceAfter = 4, 3

    def _size(self, aw: float) -> tuple[float, float]:
        natural = self.px_w * 72 / 150  # print at 150 pixels per inch unless told a width
        w = min(self.want or natural, aw)
        h = w * self.px_h / self.px_w
        if h > self.max_height:
            w, h = w * self.max_height / h, self.max_height
        return w, h

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        self.img_w, self.height = self._size(aw)
        self.width = aw
        return aw, self.height

    def draw(self) -> None:
        if self._reader is None:
            self._reader = ImageReader(io.BytesIO(self.data))
        c = self.canv
        c.saveState()
        text = c.beginText(0, self.height / 2)
        text.setTextRenderMode(3)  # invisible: the alt text is there for search and copy, not print
        text.setFont(self.font, 4)
        text.textLine(self.alt)
        c.drawText(text)
        c.restoreState()
        c.drawImage(self._reader, self.width - self.img_w if self.rtl else 0, 0, self.img_w, self.height,
                    mask="auto")


def figure(builder, el: ET.Element) -> list[Flowable]:
    data = decode_data_uri(el.get("src") or "")
    width = el.get("width")
    try:
        width_pt = float(width) * mm if width else None
    except ValueError:
        raise TemplateError(f"<figure width='{width}'> must be a number of millimetres") from None
    alt = " ".join((el.get("alt") or "").split())
    builder.check(alt, "body")
    parts: list[Flowable] = [tag(FigureImage(data, alt, width_pt, builder.options.frame_height * 0.6,
                                             builder.t.body_font.regular, builder.rtl), "Figure", alt=alt)]
    caption = el.find("caption")
    if caption is not None:
        parts.append(builder.tagged(builder.text_para(caption, _style(builder, "caption", "small")), "P", caption))
    return [KeepTogether(parts)]


def steps(builder, el: ET.Element) -> list[Flowable]:
    style = el.get("style") or _style(builder, "step", "bullet")
    items = [builder.text_para(li, style, bulletText=f"{n}.") for n, li in enumerate(el.findall("li"), 1)]
    # numbers start at the margin and the text clears the widest one ("12." is wider than a bullet)
    base = builder.styles[style]
    widest = max(stringWidth(f"{n}.", base.bulletFontName, base.bulletFontSize) for n in range(1, len(items) + 1))
    numbered = ParagraphStyle(f"{base.name}-steps", parent=base, bulletIndent=0,
                              leftIndent=max(base.leftIndent, widest + base.fontSize * 0.5))
    return [StepsTogether([builder.tagged(_restyle(p, numbered, builder), "LBody", li)
                           for p, li in zip(items, el.findall("li"), strict=True)], len(items))]


def _restyle(para: Flowable, style: ParagraphStyle, builder) -> Flowable:
    """The same paragraph in another style (its text, bullet, direction and caching kept)."""
    if isinstance(para, RTLParagraph):
        return RTLParagraph(para.runs, style, bullet=para.bullet, auto=para.auto, memo=para.memo,
                            align=para.align)
    return type(para)(para.text, style, bulletText=para.bulletText, memo=para._memo_key is not None)


def nested_item(builder, li: ET.Element, style: str, auto: bool) -> Flowable:
    """A level-2 list item: further in, with its own bullet."""
    sub = _style(builder, "bullet2", style)
    return builder.text_para(li, sub, bulletText="\u2013", auto=auto)


register(Element("table", frozenset({"align"}), check=_check_table, build=table))
register(Element("tr", frozenset({"head"}), role="part", check=_check_tr))
register(Element("td", frozenset({"columns"}), role="part", text=True, check=_check_part))
register(Element("caption", role="part", text=True, check=_check_part))
register(Element("figure", frozenset({"src", "alt", "width"}), check=_check_figure, build=figure))
register(Element("ol", frozenset({"style"}), check=_check_ol, build=steps))
