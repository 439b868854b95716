"""Custom ReportLab flowables: warning boxes, the prescriber-notes box and write-in lines.

Warning boxes differ by level in ways that survive a black-and-white printer: border weight and
pattern, a drawn icon, a label word and a header band, with colour only as an extra.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from reportlab.lib.colors import Color, toColor, white
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, Flowable, Frame, KeepTogether, PageBreak, Paragraph, Table
from reportlab.platypus.doctemplate import ActionFlowable, FrameBreak, _FrameBreak

from . import caches, rlbridge
from .i18n import page_number
from .inline import introduces
from .rlbridge import LeafletParagraph


@dataclass(frozen=True)
class BoxLook:
    """How one warning level is drawn."""

    border: float  # border width, points
    dash: tuple[float, ...] | None  # dash pattern, or None for solid
    double: bool  # a second, inner border line
    band: bool  # label printed reversed (light on dark) in a header band
    icon: str  # "triangle-filled", "triangle", "circle-bang", "circle-i"


LOOKS = {
    "boxed": BoxLook(2.6, None, True, True, "triangle-filled"),
    "serious": BoxLook(2.0, None, False, False, "triangle-filled"),
    "caution": BoxLook(1.2, (4, 2.5), False, False, "triangle"),
    "information": BoxLook(0.8, None, False, False, "circle-i"),
}


def draw_icon(canv: Canvas, kind: str, x: float, y: float, size: float, color: Color, font: str) -> None:
    """Draw an icon with its lower-left corner at (x, y)."""
    with rlbridge.template_text(canv):  # (its letter is the template's)
        _draw_icon(canv, kind, x, y, size, color, font)


def _draw_icon(canv: Canvas, kind: str, x: float, y: float, size: float, color: Color, font: str) -> None:
    canv.saveState()
    canv.setStrokeColor(color)
    canv.setFillColor(color)
    canv.setLineJoin(1)
    if kind.startswith("triangle"):
        lw = size * 0.09
        canv.setLineWidth(lw)
        p = canv.beginPath()
        p.moveTo(x + lw, y + lw)
        p.lineTo(x + size - lw, y + lw)
        p.lineTo(x + size / 2, y + size * 0.92)
        p.close()
        filled = kind == "triangle-filled"
        canv.drawPath(p, stroke=1, fill=1 if filled else 0)
        canv.setFillColor(white if filled else color)
        canv.setFont(font, size * 0.62)
        canv.drawCentredString(x + size / 2, y + size * 0.16, "!")
    else:
        lw = size * 0.08
        canv.setLineWidth(lw)
        canv.circle(x + size / 2, y + size / 2, size / 2 - lw, stroke=1, fill=0)
        canv.setFont(font, size * 0.62)
        canv.drawCentredString(x + size / 2, y + size * 0.27, "i" if kind == "circle-i" else "!")
    canv.restoreState()


#: Styles that introduce what follows them (headings, a list's intro): never the last thing before a break.
LEAD_IN_STYLES = frozenset({"h1", "h2", "h3", "lead", "action"})


def _leads_in(flowable: Flowable) -> bool:
    return bool(getattr(flowable, "_leaflet_keep_with_next", 0) or getattr(flowable, "keepWithNext", 0)
                or getattr(getattr(flowable, "style", None), "name", "") in LEAD_IN_STYLES)


def _stack_height(canv: Canvas, flowables: list[Flowable], width: float) -> float:
    total = 0.0
    for i, f in enumerate(flowables):
        _, h = f.wrapOn(canv, width, 1e6)
        total += h + (f.getSpaceBefore() if i else 0) + (f.getSpaceAfter() if i < len(flowables) - 1 else 0)
    return total


def _draw_stack(canv: Canvas, flowables: list[Flowable], x: float, top: float, width: float) -> None:
    y = top
    for i, f in enumerate(flowables):
        if i:
            y -= f.getSpaceBefore()
        _, h = f.wrapOn(canv, width, 1e6)
        y -= h
        f.drawOn(canv, x, y)
        y -= f.getSpaceAfter()


class WarningBox(Flowable):
    """A bordered box with an icon, a label word, a title and content; split only if taller than a page,
    or, when ``breakable``, between its items (never inside one) so it need not leave a gap. A part
    after the first shows ``title_continued`` ("... (continued)") when given."""

    def __init__(self, level: str, label: Paragraph, title: Paragraph | None, content: list[Flowable], *,
                 color: Color, tint: Color, icon_font: str, padding: float, icon_size: float, gap: float,
                 frame_height: float, continued: bool = False, rtl: bool = False, breakable: bool | str = False,
                 title_continued: Paragraph | None = None):
        super().__init__()
        # breakable: False, "items" (between items) or "lines" (also inside the first item, with at least
        # 2 lines on each side of the break: no orphan, no widow)
        self.breakable, self.title_continued = breakable, title_continued
        if continued and title_continued is not None:
            title = title_continued
        self.rtl = rtl
        self.level = level
        self.look = LOOKS[level]
        self.label, self.title, self.content = label, title, content
        self.color, self.tint = toColor(color), toColor(tint)
        self.icon_font, self.padding, self.icon_size, self.gap = icon_font, padding, icon_size, gap
        self.frame_height = frame_height
        self.continued = continued
        self.spaceBefore = self.spaceAfter = gap

    # geometry ---------------------------------------------------------------------------------
    def _inset(self) -> float:
        return self.look.border + (self.look.border + 1.5 if self.look.double else 0)

    def _inner_width(self, aw: float) -> float:
        return aw - 2 * (self._inset() + self.padding) - self.icon_size - self.padding

    def _head(self, inner_w: float) -> list[Flowable]:
        return [f for f in (self.label, self.title) if f is not None]

    def _head_height(self, inner_w: float) -> float:
        h = _stack_height(self.canv, self._head(inner_w), inner_w)
        return max(h, self.icon_size) + (self.padding * 0.6 if self.look.band else 0)

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        self.width = aw
        inner_w = self._inner_width(aw)
        body = _stack_height(self.canv, self.content, inner_w) if self.content else 0
        self.height = (2 * (self._inset() + self.padding) + self._head_height(inner_w)
                       + (self.padding * 0.7 + body if self.content else 0))
        return aw, self.height

    def least_start(self, aw: float) -> float:
        """The height of the smallest first part :meth:`split` can make at width ``aw``: the head, what
        leads in (a list's intro) and the first item (2 of its lines, where an item may break); the
        whole box, if it does not break."""
        self.wrap(aw, 1e6)
        if not self.breakable or not self.content or self.height <= 0:
            return self.height
        inner_w = self._inner_width(aw)
        need = 2 * (self._inset() + self.padding) + self._head_height(inner_w) + self.padding * 0.7
        for i, f in enumerate(self.content):
            h = f.wrapOn(self.canv, inner_w, 1e6)[1] + (f.getSpaceBefore() if i else 0)
            if not _leads_in(f):
                if self.breakable == "lines" and i == 0 and hasattr(f, "style"):
                    h = min(h, 2 * f.style.leading)
                return min(self.height, need + h)
            need += h + f.getSpaceAfter()
        return self.height

    def split(self, aw: float, ah: float) -> list[Flowable]:
        self.wrap(aw, ah)
        tall = self.height > self.frame_height
        if not (tall or self.breakable) or not self.content:
            return []  # fits on a page: move it whole to the next one
        inner_w = self._inner_width(aw)
        room = ah - 2 * (self._inset() + self.padding) - self._head_height(inner_w) - self.padding * 0.7
        taken: list[Flowable] = []
        rest = list(self.content)
        while rest and room > 0:
            f = rest[0]
            space = f.getSpaceBefore() if taken else 0
            _, h = f.wrapOn(self.canv, inner_w, room - space)
            if h + space <= room:
                taken.append(rest.pop(0))
                room -= h + space + f.getSpaceAfter()
                continue
            parts = f.splitOn(self.canv, inner_w, room - space) if tall or (not taken and self.breakable == "lines") else []
            if parts and not tall and (parts[0].wrapOn(self.canv, inner_w, room)[1] < 2 * f.style.leading - 0.01
                                       or parts[1].wrapOn(self.canv, inner_w, 1e6)[1] < 2 * f.style.leading - 0.01):
                parts = []  # an item is broken only when nothing else fits: 2 lines before and after
            if parts:
                taken.append(parts[0])
                rest = list(parts[1:]) + rest[1:]
            break
        while taken and rest and _leads_in(taken[-1]):
            rest.insert(0, taken.pop())  # a heading or a list's intro goes on with what it introduces
        if not taken or not rest:
            return []
        kw = dict(color=self.color, tint=self.tint, rtl=self.rtl,
                  icon_font=self.icon_font, padding=self.padding, icon_size=self.icon_size, gap=self.gap,
                  frame_height=self.frame_height, breakable=self.breakable, title_continued=self.title_continued)
        first = WarningBox(self.level, self.label, self.title, taken, continued=self.continued, **kw)
        second = WarningBox(self.level, self.label, self.title, rest, continued=True, **kw)
        first.spaceAfter = 0
        first.__dict__.update({k: v for k, v in self.__dict__.items() if k == "_leaflet_outline"})
        return [first, second]

    # drawing ----------------------------------------------------------------------------------
    def draw(self) -> None:
        c = self.canv
        look = self.look
        w, h = self.width, self.height
        inner_w = self._inner_width(w)
        b = look.border
        c.saveState()
        c.setFillColor(self.tint)
        c.setStrokeColor(self.color)
        c.setLineWidth(b)
        if look.dash:
            c.setDash(*look.dash) if len(look.dash) > 1 else c.setDash(look.dash[0])
        c.rect(b / 2, b / 2, w - b, h - b, stroke=1, fill=1)
        c.setDash()
        if look.double:
            c.setLineWidth(0.8)
            off = b + 1.5
            c.rect(off, off, w - 2 * off, h - 2 * off, stroke=1, fill=0)
        head_h = self._head_height(inner_w)
        inset = self._inset()
        top = h - inset - self.padding
        if look.band:  # a solid band behind the label and icon, light-on-dark
            band_h = head_h + self.padding * 0.4
            c.setFillColor(self.color)
            c.rect(inset, h - inset - band_h - self.padding * 0.6, w - 2 * inset, band_h + self.padding * 0.6,
                   stroke=0, fill=1)
        icon_color = white if look.band else self.color
        icon_y = top - self.icon_size
        icon_x = w - inset - self.padding - self.icon_size if self.rtl else inset + self.padding
        draw_icon(c, look.icon if not look.band else "triangle", icon_x, icon_y,
                  self.icon_size, icon_color, self.icon_font)
        text_x = inset + self.padding if self.rtl else inset + 2 * self.padding + self.icon_size
        _draw_stack(c, self._head(inner_w), text_x, top, inner_w)
        if self.content:
            content_top = top - head_h - self.padding * 0.7
            _draw_stack(c, self.content, text_x, content_top, inner_w)
        c.restoreState()


class RuledNotes(Flowable):
    """The prescriber-notes box: a title, ruled lines, printed notes on the lines, an optional form field.

    Notes that do not fit on the page continue in a second box on the next one; they are never cut.
    """

    def __init__(self, title: Paragraph, text: Paragraph | None, *, title_continued: Paragraph | None = None,
                 line_spacing: float, blank_lines: int,
                 min_lines: int, rule_color: Color, border_color: Color, padding: float,
                 fillable: bool, field_name: str, field_font_size: float, continued: bool = False):
        super().__init__()
        self.title, self.text, self.title_continued = title, text, title_continued
        if continued and title_continued is not None:
            self.title = title_continued
        self.line_spacing, self.blank_lines, self.min_lines = line_spacing, blank_lines, min_lines
        self.rule_color, self.border_color = toColor(rule_color), toColor(border_color)
        self.padding, self.fillable, self.field_name = padding, fillable, field_name
        self.field_font_size, self.continued = field_font_size, continued
        self.spaceBefore = 8

    def _text_lines(self, inner_w: float) -> int:
        if self.text is None:
            return 0
        _, h = self.text.wrap(inner_w, 1e6)
        return max(1, round(h / self.line_spacing))

    def _lines(self, inner_w: float) -> int:
        text_lines = self._text_lines(inner_w)
        return max(self.min_lines, text_lines + self.blank_lines)

    def _rule_drop(self) -> float:
        """How far below the top of its line a rule is drawn: a quarter of the spacing above the next
        line, but never above the text's baseline (tight lines: page 1's printed notes)."""
        drop = 0.75 * self.line_spacing
        if self.text is not None:
            style = self.text.style
            ascent = pdfmetrics.getAscentDescent(style.fontName, style.fontSize)[0]
            drop = max(drop, ascent + 0.15 * style.fontSize)
        return drop

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        self.width = aw
        inner_w = aw - 2 * self.padding
        _, th = self.title.wrap(inner_w, 1e6)
        self._title_h = th
        self.height = 2 * self.padding + th + self.padding * 0.5 + self._lines(inner_w) * self.line_spacing
        return aw, self.height

    def split(self, aw: float, ah: float) -> list[Flowable]:
        self.wrap(aw, ah)
        inner_w = aw - 2 * self.padding
        fit_lines = int((ah - 2 * self.padding - self._title_h - self.padding * 0.5) // self.line_spacing)
        if self.text is None or fit_lines < 2:
            return []
        common = dict(title_continued=self.title_continued, line_spacing=self.line_spacing, rule_color=self.rule_color,
                      border_color=self.border_color, padding=self.padding,
                      field_name=self.field_name, field_font_size=self.field_font_size)
        text_lines = self._text_lines(inner_w)
        if text_lines <= fit_lines:  # the text fits: keep as many blank lines as there is room for
            at_top = rlbridge.at_frame_top(self)
            if fit_lines - text_lines < max(1, self.blank_lines) and not at_top:
                return []  # too little room to write in: start on the next page instead
            part = RuledNotes(self.title, self.text, blank_lines=fit_lines - text_lines, min_lines=0,
                              fillable=self.fillable, continued=self.continued, **common)
            part.__dict__.update({k: v for k, v in self.__dict__.items() if k == "_leaflet_outline"})
            return [part]
        parts = self.text.split(inner_w, fit_lines * self.line_spacing)
        if len(parts) < 2:
            return []
        first = RuledNotes(self.title, parts[0], blank_lines=0, min_lines=0, fillable=False,
                           continued=self.continued, **common)
        first.__dict__.update({k: v for k, v in self.__dict__.items() if k == "_leaflet_outline"})
        rest = RuledNotes(self.title, parts[1], blank_lines=self.blank_lines, min_lines=0,
                          fillable=self.fillable, continued=True, **common)
        return [first, rest]

    def draw(self) -> None:
        c = self.canv
        w, h = self.width, self.height
        inner_w = w - 2 * self.padding
        c.saveState()
        c.setStrokeColor(self.border_color)
        c.setLineWidth(1.2)
        c.rect(0.6, 0.6, w - 1.2, h - 1.2, stroke=1, fill=0)
        top = h - self.padding
        self.title.drawOn(c, self.padding, top - self._title_h)
        lines_top = top - self._title_h - self.padding * 0.5
        n = self._lines(inner_w)
        c.setStrokeColor(self.rule_color)
        c.setLineWidth(0.5)
        text_lines = self._text_lines(inner_w)
        # under a form field no rules: a viewer sets typed text at its own line spacing, off the rules
        ruled = text_lines if self.fillable and n > text_lines else n
        drop = self._rule_drop()
        for i in range(1, ruled + 1):
            y = lines_top - (i - 1) * self.line_spacing - drop
            c.line(self.padding, y, w - self.padding, y)
        if self.text is not None:
            _, th = self.text.wrap(inner_w, 1e6)
            # the paragraph's leading equals the line spacing, so each text line sits on a rule
            self.text.drawOn(c, self.padding, lines_top - th)
        if self.fillable and n > text_lines:
            field_top = lines_top - text_lines * self.line_spacing
            field_h = (n - text_lines) * self.line_spacing
            x0, y0 = c.absolutePosition(self.padding, field_top - field_h)
            x1, y1 = c.absolutePosition(self.padding + inner_w, field_top)
            name, size = self.field_name, self.field_font_size

            def add_field(canv) -> None:  # on the real page, so the field knows which page it is on
                canv.acroForm.textfield(
                    name=name, tooltip="Prescriber notes", x=x0, y=y0, width=x1 - x0, height=y1 - y0,
                    fieldFlags="multiline", borderWidth=0, borderStyle="solid", fontSize=size,
                    forceBorder=False, value="", fillColor=None, borderColor=None)
            c.defer(add_field)
        c.restoreState()


class Stack(Flowable):
    """Flowables set one under the other, wrapped and drawn as one (a notes box's title over its hint,
    where shaped or right-to-left text cannot change size within a paragraph)."""

    def __init__(self, parts: list[Flowable]):
        super().__init__()
        self.parts = parts
        self._heights: list[float] = []

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        self._heights = [part.wrap(aw, ah)[1] for part in self.parts]
        self.width, self.height = aw, sum(self._heights)
        return self.width, self.height

    def draw(self) -> None:
        y = self.height
        for part, height in zip(self.parts, self._heights, strict=True):
            y -= height
            part.drawOn(self.canv, 0, y)


class WriteIn(Flowable):
    """Blank ruled lines to write on, for a panel field with no value.

    The first line sits ``first`` points below the top, level with the label beside it.
    """

    def __init__(self, lines: int, spacing: float, color: Color, first: float):
        super().__init__()
        self.lines, self.spacing, self.color, self.first = lines, spacing, toColor(color), first

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        self.width = aw
        self.height = self.first + (self.lines - 1) * self.spacing + 2
        return aw, self.height

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        c.setStrokeColor(self.color)
        c.setLineWidth(0.6)
        for i in range(self.lines):
            y = self.height - self.first - i * self.spacing
            c.line(0, y, self.width, y)
        c.restoreState()


#: Right-to-left paragraphs of content and template words (never of what people type), broken into
#: lines in visual order: (runs, style, bullet, direction, width) -> the lines' markup.
_RTL_LINES = caches.Memo("rtl.paragraph-lines", 2048)


class RTLParagraph(Flowable):
    """A right-to-left paragraph: lines broken and put in visual order by :mod:`leaflet.rtl`.

    The lines become an ordinary right-aligned ReportLab paragraph (one line each), re-made when
    the width changes. A bullet, if any, is drawn at the right. ``align`` (a ReportLab alignment)
    sets the lines so whatever their direction (a table cell's column: left-to-right numbers in a
    right-to-left leaflet's cell still start at the right); without it, right-to-left lines are
    right-aligned and left-to-right ones left-aligned.
    """

    def __init__(self, runs: tuple, style: ParagraphStyle, bullet: str | None = None, auto: bool = False,
                 memo: bool = False, align: int | None = None, base: int | None = None):
        super().__init__()
        from . import rtl

        self.runs, self.style, self.bullet, self.auto, self.align = runs, style, bullet, auto, align
        # memo: content and template words, whose lines may be kept (never what people type)
        self.memo = memo
        # "auto": the text's own first strong letter decides (for what people type, e.g. English notes);
        # ``base``: the direction given (a table cell's: rtl.cell_level)
        self.base = base if base is not None else rtl.base_level(runs) if auto else 1
        if base is not None:
            self.auto = auto = False
        if self.base:
            # splitLongWords off: ReportLab would split an over-long word in visual, not logical, order
            self.inner_style = ParagraphStyle(f"{style.name}-rtl", parent=style, alignment=TA_RIGHT, leftIndent=0,
                                              rightIndent=style.leftIndent, firstLineIndent=0, wordWrap=None,
                                              splitLongWords=0)
        else:
            self.inner_style = ParagraphStyle(f"{style.name}-ltr", parent=style, wordWrap=None,
                                              alignment=TA_LEFT if style.alignment == TA_RIGHT else style.alignment)
        if align is not None and align != self.inner_style.alignment:
            self.inner_style = ParagraphStyle(f"{self.inner_style.name}-{align}", parent=self.inner_style,
                                              alignment=align)
        self._para: LeafletParagraph | None = None
        self._for_width: float | None = None
        if self.memo:  # what decides the lines, but the width (made once: builds copy this paragraph)
            self._lines_key = (runs, rlbridge.style_key(style), bullet, self.base, auto)
            self._inner_key = rlbridge.style_key(self.inner_style)

    def _inner(self, aw: float) -> LeafletParagraph:
        if self._para is None or self._for_width != aw:
            if not self.memo:  # what people type (notes, panel values): laid out for this build only
                markup = self._lay_out(aw)
            else:  # the same text in the same style at the same width is laid out once per process
                key = (*self._lines_key, aw)
                markup = _RTL_LINES.get(key)
                if markup is None:
                    markup = _RTL_LINES.put(key, self._lay_out(aw))
            bullet = self.bullet if not self.base else None  # left-to-right text: the usual bullet
            self._para = LeafletParagraph(markup, self.inner_style, bulletText=bullet, memo=self.memo,
                                          style_number=self._inner_key if self.memo else None)
            self._markup, self._for_width = markup, aw
        return self._para

    def _lay_out(self, aw: float) -> str:
        from . import rtl

        width = aw - self.inner_style.rightIndent - self.inner_style.leftIndent
        lines = rtl.layout(self.runs, width, self.style.fontSize, self.style.fontName, self.base, self.auto,
                           memo=self.memo)
        return "<br/>".join(line or "\u00a0" for line in lines) or " "  # a blank line stays a line

    def minWidth(self) -> float:  # noqa: N802 - ReportLab's name
        """The widest word's width (with the indents): narrower, a word would not fit its line."""
        from . import rtl

        return (rtl.longest_word(self.runs, self.style.fontSize, memo=self.memo)
                + self.inner_style.leftIndent + self.inner_style.rightIndent)

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        self.width, self.height = self._inner(aw).wrap(aw, ah)
        return self.width, self.height

    def split(self, aw: float, ah: float) -> list[Flowable]:
        kw = {"memo": self.memo, "style_number": self._inner_key if self.memo else None}
        parts = _split_at_lines(self._inner(aw), self._markup.split("<br/>"), aw, ah,
                                lambda rest: _MarkupLines(None, self.inner_style, lines=rest, kw=kw))
        if parts and self.bullet and self.base:
            parts[0] = _RightBullet(parts[0], self.bullet, self.style)
        return parts

    def draw(self) -> None:
        self._para.drawOn(self.canv, 0, 0)
        if self.bullet and self.base:
            with rlbridge.template_text(self.canv) if self.memo else contextlib.nullcontext():
                _draw_right_bullet(self.canv, self.bullet, self.style, self.width, self.height)

    def getSpaceBefore(self) -> float:  # noqa: N802
        return self.style.spaceBefore

    def getSpaceAfter(self) -> float:  # noqa: N802
        return self.style.spaceAfter


def _split_at_lines(para: LeafletParagraph, lines: list[str], aw: float, ah: float,
                    make: Callable[[list[str]], Flowable]) -> list[Flowable]:
    """ReportLab's split of ``para``, a paragraph of ``lines`` joined by <br/>, with what goes on made
    of the lines after those kept (``make``). ReportLab's own second part starts with the break, a
    blank line: every right-to-left paragraph that went on to the next page or column began it one
    line down (visual review: an Arabic box continued on page 2). Only where each of ``lines`` is one
    printed line: a word too long for its line (an address in left-to-right notes) prints on two."""
    if "blPara" not in para.__dict__:
        para.wrap(aw, ah)
    whole = len(para.blPara.lines)
    parts = LeafletParagraph.split(para, aw, ah)
    if len(parts) == 2 and whole == len(lines):
        kept = len(parts[0].blPara.lines)
        if 0 < kept < len(lines):
            parts[1] = make(lines[kept:])
    return parts


class _MarkupLines(LeafletParagraph):
    """What goes on of a right-to-left paragraph: its ``lines`` from there, split again between them.
    (ReportLab makes the parts of a split as ``cls(None, style, frags=...)``: those have no lines.)"""

    def __init__(self, text, style=None, *, lines: list[str] | None = None, kw: dict | None = None, **rest):
        super().__init__(text if lines is None else "<br/>".join(lines), style, **{**(kw or {}), **rest})
        self._lines, self._kw = lines, kw or {}

    def split(self, aw: float, ah: float) -> list[Flowable]:
        if self._lines is None:
            return super().split(aw, ah)
        return _split_at_lines(self, self._lines, aw, ah,
                               lambda rest: _MarkupLines(None, self.style, lines=rest, kw=self._kw))


def _draw_right_bullet(canv: Canvas, bullet: str, style: ParagraphStyle, width: float, height: float) -> None:
    canv.saveState()
    canv.setFont(style.bulletFontName, style.bulletFontSize)
    canv.setFillColor(style.textColor)
    canv.drawRightString(width - style.bulletIndent, height - style.fontSize, bullet)
    canv.restoreState()


class _RightBullet(Flowable):
    """The first part of a split right-to-left bullet item: the part, with its bullet."""

    def __init__(self, part: Flowable, bullet: str, style: ParagraphStyle):
        super().__init__()
        self.part, self.bullet, self.style = part, bullet, style

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        self.width, self.height = self.part.wrap(aw, ah)
        return self.width, self.height

    def draw(self) -> None:
        self.part.drawOn(self.canv, 0, 0)
        _draw_right_bullet(self.canv, self.bullet, self.style, self.width, self.height)

    def getSpaceBefore(self) -> float:  # noqa: N802
        return self.part.getSpaceBefore()

    def getSpaceAfter(self) -> float:  # noqa: N802
        return self.part.getSpaceAfter()


class ContentsList(Flowable):
    """The list of sections, each with the page its heading is on, in one or more columns.

    The page numbers are not known while page 1 is laid out; each number's place is kept (a fixed
    width, so the layout never changes) and the number is written when the document is finished
    (:meth:`leaflet.pdf._Canvas.save` replays the deferred drawing with every heading's page known).
    """

    def __init__(self, entries: list[tuple[Flowable, str]], number_style: ParagraphStyle, columns: int = 1,
                 rtl: bool = False):
        super().__init__()
        # two lists, not pairs: each build lays out its own copies of the paragraphs (rlbridge.fresh)
        self.paras: list[Flowable] = [para for para, _ in entries]
        self.refs: list[str] = [ref for _, ref in entries]
        self.number_style, self.columns, self.rtl = number_style, columns, rtl
        self.number_w = number_style.fontSize * 1.6  # room for "12"
        self.gap = number_style.fontSize * 2.4  # a clear gutter: a number never reads as the next entry's

    def _layout(self, aw: float) -> tuple[list[list[tuple[Flowable, str]]], float, list[float]]:
        entries = list(zip(self.paras, self.refs, strict=True))
        rows = -(-len(entries) // self.columns)
        cols = [entries[i * rows:(i + 1) * rows] for i in range(self.columns)]
        col_w = (aw - self.gap * (self.columns - 1)) / self.columns
        heights = []
        for r in range(rows):
            h = 0.0
            for col in cols:
                if r < len(col):
                    h = max(h, col[r][0].wrapOn(self.canv, col_w - self.number_w, 1e6)[1])
            heights.append(h)
        return cols, col_w, heights

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        _, _, heights = self._layout(aw)
        self.width, self.height = aw, sum(heights)
        return aw, self.height

    def draw(self) -> None:
        c = self.canv
        cols, col_w, heights = self._layout(self.width)
        style = self.number_style
        for ci, col in enumerate(cols):
            x = (self.width - (ci + 1) * col_w - ci * self.gap) if self.rtl else ci * (col_w + self.gap)
            y = self.height
            for r, (para, ref) in enumerate(col):
                y -= heights[r]
                para.wrapOn(c, col_w - self.number_w, 1e6)
                para.drawOn(c, x + (self.number_w if self.rtl else 0), y + heights[r] - para.height)
                num_x = x if self.rtl else x + col_w
                ax, ay = c.absolutePosition(num_x, y + heights[r] - style.fontSize)
                c.defer(_page_number_writer(ref, ax, ay, style, self.rtl))


def _page_number_writer(ref: str, x: float, y: float, style: ParagraphStyle, rtl: bool):
    def write(canv: Canvas) -> None:
        page = getattr(canv, "heading_pages", {}).get(ref)
        if page is None:
            return
        tags = getattr(canv, "_leaflet_tags", None)  # a tagged build: the number is pagination, an artifact
        with tags.artifact(canv) if tags else contextlib.nullcontext(), rlbridge.template_text(canv):
            canv.saveState()
            canv.setFont(style.fontName, style.fontSize)
            canv.setFillColor(style.textColor)
            (canv.drawString if rtl else canv.drawRightString)(x, y, page_number(page))
            canv.restoreState()
    return write


# --- side heads ------------------------------------------------------------------------------------
#
# With a side column (the standard template), the body frame is the text column only. A sub-heading
# (h2, h3) is a SideHead: it takes no height in the text column and is drawn in the side column, level
# with the text that follows it. What spans both columns (page 1's title block, panel, notes and most
# important box; the section headings) is Outdented. A side head can be taller than the text beside it
# ("Why it is usually used only for a short time" is three lines), so the next side head or
# full-width flowable on that page starts below it (clearance()).

#: The least distance between a side head's last line and the next side head or full-width block (about
#: what separates two blocks of text: less, and two stacked heads read as one).
SIDE_CLEARANCE = 8.0


def _frame_key(frame: Frame) -> tuple:
    """Which frame of the page: its place (ReportLab may measure in another frame object of the same
    place than it draws in)."""
    return (frame._x1, frame._y1, frame._width, frame._height)


def _side_clearance(flowable: Flowable, frame: Frame | None = None) -> float:
    """How far below the frame's current position ``flowable`` must start to clear the last side head
    drawn in this frame on this page (0: it is clear). Known only in a frame, while it is laid out
    (``frame``: the frame it is about to go in, when it is measured with what it is kept with)."""
    frame = frame or flowable.__dict__.get("_frame")
    doc = getattr(getattr(flowable, "canv", None), "_doctemplate", None)
    mark = getattr(doc, "_leaflet_side_head", None)
    if frame is None or mark is None or mark[0] != doc.page or mark[1] != _frame_key(frame):
        return 0.0
    top = frame._y
    if not frame._atTop:
        space = flowable.getSpaceBefore()
        top -= max(space - frame._prevASpace, 0) if frame._oASpace else space
    return max(0.0, top - (mark[2] - SIDE_CLEARANCE))


class StepsTogether(KeepTogether):
    """Numbered steps, with what is kept with them (their intro, a heading): on one page when they fit,
    as a keep-together group is. A list taller than a quarter of the frame that does not fit what is
    left of it breaks between two steps instead of moving whole to the next one (which left pages
    part empty, review finding), with its intro and at least ``least`` steps before the break (two)
    and as many after it, and never just after a line that ends with a colon (an item introducing its
    own bullets). ``steps``: how many of the group's last flowables are steps (or a list's items)."""

    def __init__(self, flowables: list[Flowable], steps: int, maxHeight: float | None = None,  # noqa: N803
                 least: int = 2):
        super().__init__(flowables, maxHeight)
        self.steps, self.least = steps, least

    def split(self, aW: float, aH: float) -> list[Flowable]:  # noqa: N803
        parts = super().split(aW, aH)
        frame = getattr(self, "_frame", None)
        if not parts or not isinstance(parts[0], _FrameBreak) or frame is None or self._H <= frame._height / 4 \
                or getattr(self, "canv", None) is None:
            return parts  # (it fits; or a short list: it moves whole, as a group does)
        content = list(self._content)
        first_step = len(content) - self.steps
        used, fit = 0.0, 0
        for i, flowable in enumerate(content):
            height = flowable.wrapOn(self.canv, aW, aH)[1] + flowable.getSpaceAfter() + (flowable.getSpaceBefore() if i else 0)
            if used + height > aH:
                break
            used, fit = used + height, i + 1
        fit = min(fit, len(content) - self.least)  # two steps at least after the break
        while fit > first_step and _introduces(content[fit - 1]):
            fit -= 1  # (not under "Call your doctor if you have the following:", its bullets overleaf)
        if fit < first_step + self.least:
            return parts  # (not its intro and two steps: it moves whole)
        return [*content[:fit], FrameBreak(), *content[fit:]]


def _introduces(flowable: Flowable) -> bool:
    """Whether a paragraph's text ends with a colon: it introduces what follows it."""
    return hasattr(flowable, "getPlainText") and introduces(flowable.getPlainText())


class PanelTable(Table):
    """The prescription panel: a ReportLab table whose every part, when it breaks across pages, is
    marked (``_leaflet_mark``) so the page its last part lands on is recorded in the build's outline
    pages (:class:`leaflet.pdf.PageFurniture`) under :data:`PANEL_END`: whether it ended on page 1.
    (ReportLab makes the parts with the table's own class.) It lays out and draws as a Table does."""

    _leaflet_mark = "prescription-panel-end"


#: The key the prescription panel's last page is recorded under (:class:`PanelTable`).
PANEL_END = PanelTable._leaflet_mark


class _RoomForStart(CondPageBreak):
    """A page break unless there is room for ``kept`` (a heading, a caption) and the start of what they
    head (:meth:`start`); never at a frame's top, and at least ``least`` high."""

    def __init__(self, kept: list[Flowable], least: float = 0.0):
        super().__init__(0)
        self.kept, self.least = kept, least

    def start(self, width: float) -> float:
        raise NotImplementedError

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        if rlbridge.at_frame_top(self):
            self.height = 0.0  # a new page has all the room there is: never a blank page before it
            return 0, 0
        need = 0.0
        for flowable in self.kept:
            need += flowable.wrapOn(self.canv, availWidth, availHeight)[1] + flowable.getSpaceAfter()
            need += flowable.getSpaceBefore() if need else 0.0
        self.height = max(self.least, need + self.start(availWidth))
        return super().wrap(availWidth, availHeight)


class RoomForTableStart(_RoomForStart):
    """A page break unless there is room for ``kept`` (a heading, a caption) and the first rows of the
    table after them: they were kept with the whole table, which ReportLab then moved to the next page
    with them whenever it was shorter than a page but taller than what was left (a half-empty page).
    The table breaks where the page ends instead, its header repeated. ``least``: what a side head
    kept with the table needs (side-heads)."""

    _SPACETRANSFER = True  # (takes no space: what follows it collapses its space with what came before)

    def __init__(self, kept: list[Flowable], table: Flowable, rows: int = 2):
        super().__init__(kept)
        self.table, self.rows = table, rows

    def start(self, width: float) -> float:
        return self.table.getSpaceBefore() + self.table.first_rows_height(width, self.rows)


class RoomForBoxStart(_RoomForStart):
    """A page break unless there is room for ``kept`` (a heading) and the start of the warning box after
    it that may break (:meth:`WarningBox.least_start`): with room for the heading alone, the heading
    ended the page and its box began the next (review finding: "What to do in an asthma attack")."""

    def __init__(self, kept: list[Flowable], box: WarningBox, least: float = 0.0):
        super().__init__(kept, least)
        self.box = box

    def start(self, width: float) -> float:
        self.box.canv = self.canv
        return self.box.getSpaceBefore() + self.box.least_start(width)


def acts_on_frame(flowable: object) -> bool:
    """A frame or page action (a frame or page break, a conditional one, an indent), not something drawn."""
    return (isinstance(flowable, (ActionFlowable, PageBreak, CondPageBreak))
            or bool(getattr(flowable, "frameAction", None)))


class SideHead(Flowable):
    """A sub-heading set in the side column, its top level with the text that follows it."""

    def __init__(self, heading: Flowable, side: float, gap: float, rtl: bool):
        super().__init__()
        self.heading, self.side, self.gap, self.rtl = heading, side, gap, rtl
        # kept with what follows, as the heading is; not with a warning box that may break (the box
        # would move whole): a conditional page break before the head keeps room for both instead
        self.keepWithNext = self._leaflet_keep_with_next = heading.__dict__.get("_leaflet_keep_with_next", 1)
        if "_leaflet_outline" in heading.__dict__:  # a bookmark, made as the page is laid out
            self._leaflet_outline = heading.__dict__["_leaflet_outline"]
        self._head_h = 0.0
        # the space the next block leaves above itself (a warning box's gap): the head is drawn that
        # much lower, level with the block, except at the top of a frame, where no space is left
        self.follow_space = 0.0

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        self._head_h = self.heading.wrapOn(self.canv, self.side - self.gap, 1e6)[1]
        if self.__dict__.get("_frame") is None:
            # measured with what follows it (keep-together, keep-with-next): as tall as it is, as a
            # heading above its text would be. Else a two-line head beside one line of text, the last
            # on a page, would be kept there and run into the footer. And at least as low as it must
            # start to clear the side head before it, or the head stayed on a page its text left
            # (review finding: "Schwangerschaft und Stillzeit" alone at a page's foot).
            frame = getattr(getattr(self.canv, "_doctemplate", None), "frame", None)
            self.width, self.height = aw, max(self._head_h, _side_clearance(self, frame) if frame else 0.0)
        else:  # placed: it takes no room in the text column (but clears the last side head)
            self.width, self.height = aw, _side_clearance(self)
        return self.width, self.height

    def split(self, aw: float, ah: float) -> list[Flowable]:
        return []

    def getSpaceBefore(self) -> float:  # noqa: N802 - ReportLab's name
        return self.heading.getSpaceBefore()

    def getSpaceAfter(self) -> float:  # noqa: N802
        return 0.0

    def draw(self) -> None:
        c = self.canv
        doc = c._doctemplate
        frame = doc.frame
        top = 0.0 if frame._atTop else -self.follow_space  # the frame's top: the next block leaves no space
        x = self.width + self.gap if self.rtl else -self.side
        self.heading.drawOn(c, x, top - self._head_h)
        doc._leaflet_side_head = (doc.page, _frame_key(frame), c.absolutePosition(0, top - self._head_h)[1])


class Outdented(Flowable):
    """A flowable that spans the side column as well as the text column."""

    _COPIED = ("_leaflet_outline", "_leaflet_keep_with_next")

    def __init__(self, inner: Flowable, side: float, rtl: bool):
        super().__init__()
        self.inner, self.side, self.rtl = inner, side, rtl
        self.keepWithNext = inner.getKeepWithNext()
        for name in self._COPIED:
            if name in inner.__dict__:
                setattr(self, name, inner.__dict__[name])
        if getattr(inner, "_leaflet_mark", None):  # (PanelTable's is its class's: it marks its parts too)
            self._leaflet_mark = inner._leaflet_mark
        self._clear = 0.0
        self._inner_w = 0.0

    def _lend_frame(self) -> None:
        frame = self.__dict__.get("_frame")
        if frame is not None:
            self.inner._frame = frame  # some flowables ask whether they are at the frame's top

    def _take_frame(self) -> None:
        self.inner.__dict__.pop("_frame", None)

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        self._clear = _side_clearance(self)
        self._lend_frame()
        try:
            self._inner_w, h = self.inner.wrapOn(self.canv, aw + self.side, ah - self._clear)
        finally:
            self._take_frame()
        self.width, self.height = aw, h + self._clear
        return self.width, self.height

    def split(self, aw: float, ah: float) -> list[Flowable]:
        clear = _side_clearance(self)
        self._lend_frame()
        try:
            parts = self.inner.splitOn(self.canv, aw + self.side, ah - clear)
        finally:
            self._take_frame()
        return [p if acts_on_frame(p) else Outdented(p, self.side, self.rtl) for p in parts]

    def getSpaceBefore(self) -> float:  # noqa: N802
        return self.inner.getSpaceBefore()

    def getSpaceAfter(self) -> float:  # noqa: N802
        return self.inner.getSpaceAfter()

    def draw(self) -> None:
        x = 0.0 if self.rtl else -self.side
        self.inner.drawOn(self.canv, x, 0, _sW=self.width + self.side - self._inner_w)
