"""Narrative markup (XHTML from ePI, SPL's text elements mapped onto it) -> content blocks.

Imported text is approved text: it is reproduced as it is, never reworded. Only whitespace is
cleaned: runs of spaces, tabs, line breaks and no-break spaces become one space, empty paragraphs are
dropped, and where a word processor split text into spans without a space between them, the pieces
are joined as the document's own words say (see :class:`Vocabulary`). Emphasis becomes the content
model's ``**bold**`` and ``*italic*``; a literal asterisk is written ``\\*``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .. import inline
from ..model import MAX_HEADER_ROWS, MAX_TABLE_COLUMNS, header_rows

BLOCK_TAGS = {"p", "div", "section", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table",
              "dl", "dt", "dd", "pre", "center", "caption"}
BOLD_TAGS = {"b", "strong"}
ITALIC_TAGS = {"i", "em", "cite"}
SKIP_TAGS = {"script", "style", "head", "title"}
_WS = re.compile(r"[\s\u00a0\u200b\ufeff]+")
_WORD = re.compile(r"[^\W\d_]+")
#: characters from word processors' symbol fonts, used as list markers (they print as nothing useful)
_MARKERS = re.compile(r"^[\uf0a7\uf0b7\uf0d8\uf0fc\u00b7\u2022\u25cf\u25aa\u2013\-]\s+")
MAX_HEADING = 200


def local(tag: str | object) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class Vocabulary:
    """The words a document uses, to tell a word split across spans from two words missing a space.

    "Si tie" + "ne alguna" joins into "tiene" (a word the document uses elsewhere); "recetado" +
    "solamente" gets a space (both are words elsewhere, "recetadosolamente" is not). Only words from
    the middle of a text piece count, never its edges, which may themselves be fragments.
    """

    def __init__(self, texts: Iterable[str] = ()):
        self.words: set[str] = set()
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        words = _WORD.findall(text)
        for word in words[1:-1]:
            self.words.add(word.lower())

    def needs_space(self, left: str, right: str) -> bool:
        l_match = re.search(r"[^\W\d_]+$", left)
        r_match = re.match(r"[^\W\d_]+", right)
        if not l_match or not r_match:
            return False
        a, b = l_match.group().lower(), r_match.group().lower()
        if (a + b) in self.words:
            return False
        # a lower-case letter, then a capitalised word ("utilice" + "Simvastatina"): a word does not go on
        # with a capital, so a space was lost (unless it is all capitals, as in "mRNA")
        right = r_match.group()
        if left[-1].islower() and right[0].isupper() and right[1:2].islower():
            return True
        return a in self.words and b in self.words


@dataclass
class Para:
    """A paragraph: content-model text, and whether every letter of it is bold (a heading candidate)."""

    text: str
    plain: str
    all_bold: bool


@dataclass
class Converter:
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    image: Callable[[ET.Element], dict | None] = lambda el: None  # an <img> -> a figure block, or None
    notes: list[str] = field(default_factory=list)

    # inline -------------------------------------------------------------------------------------
    def _runs(self, el: ET.Element, bold: bool, italic: bool, out: list) -> None:
        """(text, bold, italic) runs of an inline element and its children; "\\n" marks a <br/>."""
        name = local(el.tag)
        bold = bold or name in BOLD_TAGS or _style_flag(el, "bold")
        italic = italic or name in ITALIC_TAGS or _style_flag(el, "italic")
        if el.text:
            out.append((el.text, bold, italic))
        for child in el:
            cname = local(child.tag)
            if cname == "br":
                out.append(("\n", False, False))
            elif cname == "sup" or cname == "sub":
                self._runs(child, bold, italic, out)
            elif cname not in SKIP_TAGS and cname != "img":
                self._runs(child, bold, italic, out)
            if child.tail:
                out.append((child.tail, bold, italic))

    def _join(self, runs: list[tuple[str, bool, bool]]) -> list[list[tuple[str, bool, bool]]]:
        """Runs with whitespace collapsed and span-split words joined, cut into lines at <br/>."""
        lines: list[list[tuple[str, bool, bool]]] = [[]]
        previous = ""
        for text, bold, italic in runs:
            if text == "\n":
                lines.append([])
                previous = ""
                continue
            text = _WS.sub(" ", text)
            if not text:
                continue
            if previous and text[0] != " " and previous[-1] != " " and self.vocabulary.needs_space(previous, text):
                text = " " + text
            lines[-1].append((text, bold, italic))
            previous = text
        return lines

    def paragraphs(self, runs: list[tuple[str, bool, bool]]) -> list[Para]:
        out = []
        for line in self._join(runs):
            para = _render(line)
            if para is not None:
                out.append(para)
        if len(out) > 1:  # lines of one paragraph (split at <br/>) are not headings
            for para in out:
                para.all_bold = False
        return out

    # blocks -------------------------------------------------------------------------------------
    def blocks(self, container: ET.Element) -> list:
        """The content blocks of a block container (a ``div``, ``p``, ``li``, ``td`` ...)."""
        out: list = []
        runs: list = []

        def flush() -> None:
            out.extend(self.paragraphs(runs))
            runs.clear()

        if container.text:
            runs.append((container.text, False, False))
        after: int | None = None  # (where a numbered list is in out that nothing has come after yet)
        for child in container:
            name = local(child.tag)
            if name in SKIP_TAGS:
                pass
            elif name == "img":
                flush()
                figure = self.image(child)
                if figure:
                    out.append(figure)
                after = None
            elif name in BLOCK_TAGS or _has_block(child):
                before = len(out)
                flush()
                after = self._numbered_on(out, child, self.block(child), after if len(out) == before else None)
            elif name == "br":
                runs.append(("\n", False, False))
            else:
                self._runs(child, False, False, runs)
            if child.tail:
                runs.append((child.tail, False, False))
        flush()
        return out

    def _numbered_on(self, out: list, child: ET.Element, made: list, after: int | None) -> int | None:
        """Add what ``child`` made to ``out``: a numbered list right after another (``after``: where that
        one is in ``out``), with nothing between them, is that list numbered on, unless it says where it
        starts and that is not where the other left off. A word processor's export splits one list into
        many (a leaflet's contents printed "1. 1. 1. 1. 1. 2.", review finding); the import's notes say
        so. Returns where a numbered list the next child may go on with is in ``out``."""
        start = child.get("start", "").strip() if local(child.tag) == "ol" else None
        steps = made[0]["steps"] if len(made) == 1 and isinstance(made[0], dict) and set(made[0]) == {"steps"} \
            else None
        if steps is None or start is None:
            out.extend(made)
            return None
        if after is not None and (not start or start == str(len(out[after]["steps"]) + 1)):
            out[after] = {"steps": out[after]["steps"] + steps}
            note = "numbered lists one after another were numbered on as one list"
            if note not in self.notes:
                self.notes.append(note)
            return after
        out.extend(made)
        return len(out) - 1

    def block(self, el: ET.Element) -> list:
        name = local(el.tag)
        if name in ("ul", "ol"):
            return self.list_block(el, numbered=name == "ol")
        if name == "table":
            return self.table(el)
        if re.fullmatch(r"h[1-6]", name):
            paras = self.blocks(el)
            return [{"heading": p.plain} if isinstance(p, Para) and len(p.plain) <= MAX_HEADING else p
                    for p in paras]
        return self.blocks(el)  # p, div, and inline elements that wrap blocks

    def list_block(self, el: ET.Element, numbered: bool) -> list:
        items: list = []
        extra: list = []  # tables or figures inside items, printed after the list
        for li in el:
            if local(li.tag) != "li":
                if local(li.tag) in ("ul", "ol") and items:  # a list nested directly in a list
                    self._attach(items, [t for b in self.list_block(li, numbered=False) for t in _text_of(b)])
                continue
            texts: list[str] = []
            sub: list[str] = []
            for part in self.blocks(li):
                if isinstance(part, Para) and sub:  # text after a nested list: a new item, in its place
                    self._add_item(items, extra, texts, sub, numbered)
                    texts, sub = [], []
                if isinstance(part, Para):
                    texts.append(part.text)
                elif isinstance(part, dict) and ("bullets" in part or "steps" in part):
                    sub += _text_of(part)  # deeper levels join the second level, in order
                elif isinstance(part, dict) and "heading" in part:
                    texts.append(_escape(part["heading"]))
                else:
                    extra.append(part)
            self._add_item(items, extra, texts, sub, numbered)
        if not items:
            return extra
        if numbered:
            return [{"steps": [i if isinstance(i, str) else i["text"] for i in items]}, *extra]
        return [{"bullets": items}, *extra]

    def _add_item(self, items: list, extra: list, texts: list[str], sub: list[str], numbered: bool) -> None:
        text = _strip_marker(" ".join(texts))
        if text and sub and not numbered:
            items.append({"text": text, "bullets": list(sub)})
        elif text:
            items.append(text)
            if sub:  # steps do not nest: the sub-items are numbered with the rest, in their place
                items.extend(sub)
        elif sub:
            self._attach(items, sub) if items and not numbered else items.extend(sub)

    def _wide_cells(self, row: list[str], across: list[tuple[int, int]]) -> list:
        """A data row with each cell that spans columns as a wide cell over them (``{"text", "columns"}``).
        Where a malformed table has text in a column a cell spans, the cells stay apart, and the import
        says to check the table."""
        starts = dict(across)
        out: list = []
        c = 0
        while c < len(row):
            wide = min(starts.get(c, 1), len(row) - c)
            if wide > 1 and not any(row[c + 1:c + wide]):
                out.append({"text": row[c], "columns": wide})
                c += wide
                continue
            if wide > 1:
                note = "a table cell that spans columns over other cells is printed in its first column: check the table"
                if note not in self.notes:
                    self.notes.append(note)
            out.append(row[c])
            c += 1
        return out

    @staticmethod
    def _attach(items: list, sub: list[str]) -> None:
        last = items[-1]
        if isinstance(last, dict):
            last["bullets"].extend(sub)
        else:
            items[-1] = {"text": last, "bullets": list(sub)}

    def table(self, el: ET.Element) -> list:
        rows: list[list[str]] = []
        pictures: list = []  # pictures in cells are printed after the table
        head_rows = 0
        caption = None
        # cells of rows above that span down (rowspan): column -> (rows still to cover, their text, the
        # columns the cell spans from here: 0 where it is not the cell's first). Each spanned row gets
        # the cell's text in its column, so the cells after it stay in their columns (they had moved one
        # column left: a dose under another heading, review finding).
        pending: dict[int, tuple[int, str, int]] = {}
        spanned = False
        # each row's cells that span columns (first column, columns), and whether its one cell spans it
        # all, with nothing else in it (a heading inside the table)
        spans: list[tuple[list[tuple[int, int]], bool]] = []

        def carry(cells: list[str], across: list[tuple[int, int]]) -> None:
            left, text, wide = pending.pop(len(cells))
            if left > 1:
                pending[len(cells)] = (left - 1, text, wide)
            if wide > 1:
                across.append((len(cells), wide))
            cells.append(text)

        section = None
        for part in el:
            pname = local(part.tag)
            if pname == "caption":
                caption = " ".join(p.text for p in self.blocks(part) if isinstance(p, Para)) or None
            if pname != section:  # a rowspan ends with its section (thead, tbody, tfoot; bare rows are one)
                pending.clear()
                section = "tr" if pname == "tr" else pname
            groups = [part] if pname == "tr" else [r for r in part if local(r.tag) == "tr"]
            for tr in groups:
                cells: list[str] = []
                across: list[tuple[int, int]] = []
                own = False  # (a row of spanned copies only, a spacer row in the source, is not printed)
                all_th = True
                mine = 0  # the row's own cells
                for cell in tr:
                    cname = local(cell.tag)
                    if cname not in ("td", "th"):
                        continue
                    all_th &= cname == "th"
                    mine += 1
                    while len(cells) in pending:
                        carry(cells, across)
                    parts = self.blocks(cell)
                    pictures += [b for b in parts if isinstance(b, dict) and "figure" in b]
                    numbered = _plainly_numbered(cell)
                    text = "\n".join(line for p in parts for line in _cell_lines(p, numbered))
                    start = len(cells)
                    cells.append(text)
                    own = own or bool(text)
                    span = max(1, min(_span(cell, "colspan"), MAX_TABLE_COLUMNS))
                    for column in range(start + 1, start + span):  # (a span from above that it covers, in a
                        if column in pending:                       # table that overlaps them, is used up)
                            left, carried, wide = pending.pop(column)
                            if left > 1:
                                pending[column] = (left - 1, carried, wide)
                    cells.extend([""] * (span - 1))
                    if span > 1:
                        across.append((start, span))
                    down = 500 if cell.get("rowspan", "").strip() == "0" else min(_span(cell, "rowspan"), 500)
                    # (rowspan="0": to the end of its section)
                    if down > 1:
                        spanned = True
                        for column in range(start, start + span):
                            pending[column] = (down - 1, text, span) if column == start else (down - 1, "", 0)
                while pending and max(pending) >= len(cells):  # (spanned cells after the row's own)
                    if len(cells) in pending:
                        carry(cells, across)
                    else:
                        cells.append("")
                if not cells or not own:
                    continue
                if (pname == "thead" or all_th) and len(rows) == head_rows:
                    head_rows += 1
                rows.append(cells)
                spans.append((across, mine == 1 and across == [(0, len(cells))]))
        kept = [(row, span) for row, span in zip(rows, spans, strict=True) if any(row)]
        rows, spans = [row for row, _span in kept], [span for _row, span in kept]
        if not rows:
            return pictures
        if spanned:
            self.notes.append("a table cell that spans rows is printed in each row it spans")
        width = max(len(r) for r in rows)
        if width > MAX_TABLE_COLUMNS:  # too wide to print as a table: each row as a paragraph
            self.notes.append(f"a table of {width} columns is printed row by row")
            return [" · ".join(c for c in r if c) for r in rows] + pictures
        rows = [r + [""] * (width - len(r)) for r in rows]
        table: dict = {}
        if caption:
            table["caption"] = caption
        # the header: its rows (at most MAX_HEADER_ROWS, and at least one row left as data); a table of
        # header cells only has its first row as the header, as before several rows could be
        heads = min(head_rows if head_rows < len(rows) else 1, MAX_HEADER_ROWS, len(rows) - 1)
        if head_rows > heads and heads and head_rows < len(rows):
            self.notes.append(f"a table's header rows after the {MAX_HEADER_ROWS}th are printed as rows")
        # a header cell that spans columns is printed over each column it spans ("Dose" over both
        # "Tablets" and "Oral solution", so each column's headings say what it holds), except a header
        # row of one cell across the table (its title). A data cell that spans columns is a wide cell,
        # printed once over its columns: "20 mg a day in two doses" across "Morning" and "Evening"
        # would read as 20 mg twice, copied into both (review finding), and in its first column only
        # as the morning's dose.
        for index, (row, (across, single)) in enumerate(zip(rows, spans, strict=True)):
            if index < heads and not single:
                for first, wide in across:
                    for column in range(first + 1, min(first + wide, width)):
                        if not row[column]:
                            row[column] = row[first]
            elif index >= heads and across:
                rows[index] = self._wide_cells(row, across)
        if heads:  # one header row as a row; several (a group heading above the columns') as a list of rows
            table["header"] = rows[0] if heads == 1 else rows[:heads]
            rows = rows[heads:]
        table["rows"] = rows
        return [{"table": table}, *pictures]


def _cell_words(cell: str | dict) -> str:
    """A table cell's text (a wide cell's, ``{"text", "columns"}``)."""
    return cell["text"] if isinstance(cell, dict) else cell


def _span(cell: ET.Element, attribute: str) -> int:
    """A cell's ``colspan`` or ``rowspan``: 1 unless it is a whole number above 1."""
    try:
        return max(1, int(cell.get(attribute, "1")))
    except ValueError:
        return 1


def _text_of(block) -> list[str]:
    """Content-model text of a block, for places that hold text only (list items, table cells)."""
    if isinstance(block, Para):
        return [block.text]
    if isinstance(block, str):
        return [block]
    if isinstance(block, dict):
        if "heading" in block:
            return [_escape(block["heading"])]
        if "bullets" in block:
            out = []
            for b in block["bullets"]:
                out += [b] if isinstance(b, str) else [b["text"], *b["bullets"]]
            return out
        if "steps" in block:
            return list(block["steps"])
        if "table" in block:
            t = block["table"]
            return [" ".join(_cell_words(c) for c in row if _cell_words(c))
                    for row in (header_rows(t.get("header")) + t["rows"]) if any(map(_cell_words, row))]
    return []


def _plainly_numbered(cell: ET.Element) -> bool:
    """Whether the ordered lists in ``cell`` number their items 1, 2, 3 ... as read (no list inside
    an item, no ``start``, ``type`` or ``reversed``): only then are their numbers written in."""
    for ol in (d for d in cell.iter() if local(d.tag) == "ol"):
        if any(ol.get(a) is not None for a in ("start", "type", "reversed")):
            return False
        if any(local(d.tag) in ("ol", "ul") for d in ol.iter() if d is not ol):
            return False
    return True


def _cell_lines(block, numbered: bool = True) -> list[str]:
    """The lines a block is printed as in a table cell (a cell holds lines of text): a paragraph is a
    line, a list's items are lines with their bullet, or number where the list is ``numbered``
    plainly (else a bullet: a sub-item or a list starting at 3 would get a wrong number), a table's
    rows are lines."""
    if isinstance(block, dict) and "bullets" in block:
        out = []
        for b in block["bullets"]:
            out += [f"\u2022 {b}"] if isinstance(b, str) else [f"\u2022 {b['text']}", *(f"\u2013 {i}" for i in b["bullets"])]
        return out
    if isinstance(block, dict) and "steps" in block:
        return [f"{n}. {step}" if numbered else f"\u2022 {step}" for n, step in enumerate(block["steps"], 1)]
    return [line for line in _text_of(block) if line.strip()]


def _has_block(el: ET.Element) -> bool:
    return any(local(d.tag) in BLOCK_TAGS or local(d.tag) == "img" for d in el.iter() if d is not el)


def _style_flag(el: ET.Element, kind: str) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    code = (el.get("styleCode") or "").lower()
    if kind == "bold":
        return "font-weight:bold" in style or "font-weight:700" in style or "bold" in code.split()
    return "font-style:italic" in style or "italics" in code.split() or "italic" in code.split()


def _escape(text: str) -> str:
    return text.replace("*", "\\*")


def _strip_marker(text: str) -> str:
    return _MARKERS.sub("", text, count=1)


def _render(line: list[tuple[str, bool, bool]]) -> Para | None:
    """One line of runs -> content-model text with emphasis markers, or None when it is empty."""
    chars = [(ch, b, i) for text, b, i in line for ch in text]
    # trim, and collapse spaces that meet at run edges
    out_chars: list[tuple[str, bool, bool]] = []
    for ch, b, i in chars:
        if ch == " " and (not out_chars or out_chars[-1][0] == " "):
            continue
        out_chars.append((ch, b, i))
    while out_chars and out_chars[-1][0] == " ":
        out_chars.pop()
    plain = "".join(c for c, _, _ in out_chars)
    if not plain.strip():
        return None
    letters = [(b, i) for c, b, i in out_chars if not c.isspace()]
    all_bold = all(b for b, _ in letters)
    segments: list[tuple[str, str]] = []  # (mark, text); bold wins over italic (the model has no both)
    for ch, b, i in out_chars:
        mark = "**" if b else "*" if i else ""
        if segments and segments[-1][0] == mark:
            segments[-1] = (mark, segments[-1][1] + ch)
        else:
            segments.append((mark, ch))
    for k in range(1, len(segments)):  # emphasis touching other emphasis reads ambiguously: make both bold
        if segments[k][0] and segments[k - 1][0] and segments[k][0] != segments[k - 1][0]:
            segments[k] = ("**", segments[k][1])
            segments[k - 1] = ("**", segments[k - 1][1])
    merged: list[tuple[str, str]] = []
    for mark, text in segments:
        if merged and merged[-1][0] == mark:
            merged[-1] = (mark, merged[-1][1] + text)
        else:
            merged.append((mark, text))
    parts: list[str] = []
    for mark, text in merged:
        text = _escape(text)
        if not mark or not text.strip():
            parts.append(text)
            continue
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()):]
        core = text.strip()
        if core.endswith("\\"):  # a marker after a backslash would be read as a literal asterisk
            parts.append(text)
            continue
        parts.append(f"{lead}{mark}{core}{mark}{trail}")
    text = "".join(parts)
    if inline.plain(text) != plain:  # the markers would not read back as this text: print it plain
        text = _escape(plain)
    return Para(text, plain, all_bold)


def finish(blocks: list) -> list:
    """Blocks as plain data for the content file (paragraphs become strings)."""
    out = []
    for b in blocks:
        out.append(b.text if isinstance(b, Para) else b)
    return out


def heading_text(text: str) -> str:
    """A title with whitespace cleaned."""
    return _WS.sub(" ", text).strip()
