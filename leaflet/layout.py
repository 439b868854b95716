"""Stage 4: leaflet markup -> ReportLab flowables, styled by the template's theme.

The medicine's body is laid out from its own markup; the per-patient parts (panel, notes) come from a
second markup document and are dropped into the body's ``<slot>`` places. Keeping the two apart lets
a caller lay the body out once and reuse it for every patient.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from reportlab.lib.colors import white
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import BalancedColumns

from . import caches, markup, rlbridge, rtl
from .errors import GlyphError, TemplateError
from .flowables import LeafletParagraph as Paragraph
from .flowables import (
    Outdented,
    PanelTable,
    RoomForBoxStart,
    RoomForTableStart,
    RTLParagraph,
    RuledNotes,
    SideHead,
    Stack,
    StepsTogether,
    WarningBox,
    WriteIn,
    acts_on_frame,
)
from .fonts import FontChain, describe
from .markup import number
from .rtl import Run
from .tagging import tag
from .templating import Template
from .theme import Style
from .xmltext import escape

#: the narrowest a blank write-in cell of the prescription panel gets: room to write a date by hand
WRITE_IN_WIDTH = 25 * mm
_ALIGN = {"left": TA_LEFT, "right": TA_RIGHT, "center": TA_CENTER, "justify": TA_JUSTIFY}
TINTS = {"boxed": "tint_boxed", "serious": "tint_serious", "caution": "tint_caution",
         "information": "tint_information"}


@dataclass(frozen=True)
class Body:
    """The laid-out medicine body: flowables with slot markers, plus page furniture.

    It may be cached and used by several builds at once, so its flowables are never drawn: each build
    lays out a fresh copy of them (:func:`assemble`), which shares their parsed text and line breaks.
    """

    flowables: tuple[Flowable | str, ...]  # a str is a slot name, filled per patient
    meta: dict[str, str]
    footer: dict[str, str]  # left/center/right -> paragraph markup with {page} and {pages}
    header: dict[str, str]
    side: float = 0.0  # the side heads' column (points); what the patient part puts in a slot spans it
    rtl: bool = False


@dataclass(frozen=True)
class Options:
    fillable: bool = False
    frame_height: float = 700.0  # the body frame's height, so boxes know when they must split
    language: str = "en"
    column_width: float = 0.0  # page 1's text column, so the panel's labels get the room they need (0: unknown)
    # the prescription panel's rows closer together: tried when the most important box would not start
    # on page 1 under the panel (a child's liquid in large print: age, weight, discard date, English).
    # 0: no; 1: rows and lines closer; 2: also the "In English" repeat in the theme's smaller
    # ``panel_repeat_tight`` (large print: a carer's 12 pt, the patient's own words stay 16 pt)
    tight_panel: int = 0
    # the space between paragraphs halved: tried when the leaflet's last page would hold only a few
    # lines (its sources, review finding: a whole sheet for one source)
    close_spacing: bool = False


#: How text in a language is broken into lines, shaped and set. Han text breaks between any two
#: characters; Devanagari and Arabic need OpenType shaping (only these languages are shaped, so
#: Latin-script leaflets never are) and a little more leading for their taller marks; Arabic is set
#: right to left. "columns" caps the theme's list columns.
SCRIPT_LAYOUT: dict[str, dict] = {
    # Han text is dense already; balancing columns of it costs ReportLab many trial layouts
    "zh": {"wordWrap": "CJK", "columns": 1},
    "ja": {"wordWrap": "CJK", "columns": 1},
    "hi": {"shaping": 1, "leading": 1.12},
    "ar": {"shaping": 1, "leading": 1.12, "rtl": True, "columns": 1},  # columns would read left to right
}

# ReportLab's CJK line breaking keeps Japanese punctuation off the start of a line, but not the
# full-width punctuation of Chinese text: leaflet.rlbridge.install adds it (kinsoku / 避头尾).


def script_layout(language: str) -> dict:
    return SCRIPT_LAYOUT.get(language.split("-")[0], {})


#: The line spacing, as a share of the size, of the panel's text when its rows are set closer (tight_panel).
_TIGHT_LEADING = 1.17
#: Options.tight_panel's levels: the rows and lines closer; and the "In English" repeat smaller too.
TIGHT_PANEL, TIGHTER_PANEL = 1, 2
#: How much of a style's space before and after is kept when the text is set closer (Options.close_spacing).
CLOSE_SPACING = 0.5


@caches.memoize("layout.paragraph-styles", 64)
def paragraph_styles(template: Template, language: str = "en", close: bool = False) -> dict[str, ParagraphStyle]:
    """ReportLab paragraph styles for every style the theme defines, set up for the language;
    ``close``: with :data:`CLOSE_SPACING` of their space before and after."""
    theme = template.theme
    space = CLOSE_SPACING if close else 1.0
    script = script_layout(language)
    out: dict[str, ParagraphStyle] = {}
    for name, st in theme.styles.items():
        fam = template.heading_font if st.font == "heading" else template.body_font
        face = _face(st.bold, st.italic and fam.italic)  # (an italic style is upright without an italic)
        out[name] = ParagraphStyle(
            name, fontName=fam.faces[face], fontSize=st.size, leading=st.line_height * script.get("leading", 1),
            textColor=theme.color(st.color), alignment=_ALIGN[st.align], spaceBefore=st.space_before * space,
            spaceAfter=st.space_after * space, leftIndent=st.indent, bulletIndent=max(0.0, st.indent - st.size * 0.9),
            bulletFontName=fam.regular, bulletFontSize=st.size, allowWidows=0, allowOrphans=0,
            splitLongWords=1, hyphenationLang="", embeddedHyphenation=0,
            wordWrap=script.get("wordWrap"), shaping=script.get("shaping", 0),
        )
    return out


class _Builder:
    """Builds flowables from markup. ``memo``: the text is content and template words, whose
    parsing and line breaks may be kept for the process; never for what people type. ``words``: in
    markup that also holds what people type, the texts known to be template words (kept too)."""

    def __init__(self, template: Template, options: Options, source: str, memo: bool = False,
                 words: frozenset[str] = frozenset()):
        self.memo, self.words = memo, words
        self.t = template
        self.theme = template.theme
        self.styles = paragraph_styles(template, options.language, options.close_spacing)
        if options.tight_panel:  # (the panel's rows closer together: its lines too, to 1.17 of their size,
            tight = _TIGHT_LEADING * script_layout(options.language).get("leading", 1)  # more for marks)
            self.styles = {**self.styles, **{
                name: ParagraphStyle(f"{name}-tight", parent=st, leading=min(st.leading, st.fontSize * tight))
                for name, st in self.styles.items() if name.startswith("panel_")}}
            if options.tight_panel >= TIGHTER_PANEL and "panel_repeat_tight" in self.styles:
                self.styles["panel_repeat"] = self.styles["panel_repeat_tight"]
        self._styles_in: dict[tuple[str, str], ParagraphStyle] = {}
        self.options = options
        self.source = source
        self.headings = 0  # numbers the outline keys of headings without an id
        self.prescription = False  # the per-patient part (its panel records the page it ends on)
        self.rtl = bool(script_layout(options.language).get("rtl"))
        self.shaped = bool(script_layout(options.language).get("shaping"))

    # text -------------------------------------------------------------------------------------
    def chain_of(self, style: str) -> FontChain:
        st: Style = self.theme.styles[style]
        return self.t.heading_chain if st.font == "heading" else self.t.body_chain

    def runs(self, text: str | None, style: str, bold: bool = False, italic: bool = False,
             keep_lines: bool = False) -> str:
        """Escaped paragraph markup for ``text``; runs of other scripts get their fallback font."""
        if not text:
            return ""
        chain = self.chain_of(style)
        st: Style = self.theme.styles[style]
        out = []
        for fam, run in chain.runs(text):
            run = escape(run)
            if keep_lines:
                run = run.replace("\n", "<br/>")
            face = _face(bold or st.bold, italic or (st.italic and fam.italic))
            out.append(run if fam is chain.primary else f'<font face="{fam.faces[face]}">{run}</font>')
        return "".join(out)

    def inline(self, el: ET.Element, style: str, keep_lines: bool = False, bold: bool = False,
               italic: bool = False) -> str:
        """An element's text and inline children as ReportLab paragraph markup (all text escaped)."""
        head = el.text if not keep_lines else (el.text or "").strip("\n")
        parts = [self.runs(head, style, bold, italic, keep_lines)]
        for child in el:
            if child.tag == "br":
                parts.append("<br/>")
            else:
                inner = self.inline(child, style, keep_lines, bold or child.tag == "b", italic or child.tag == "i")
                parts.append(f"<{child.tag}>{inner}</{child.tag}>")
            parts.append(self.runs(child.tail, style, bold, italic, keep_lines))
        return "".join(parts)

    def styled_runs(self, el: ET.Element | None, style: str, keep_lines: bool = False, bold: bool = False,
                    italic: bool = False, text: str | None = None) -> list[Run]:
        """Text as (text, font) runs in logical order, for right-to-left layout."""
        chain = self.chain_of(style)
        st: Style = self.theme.styles[style]

        def pieces(value: str | None, b: bool, i: bool) -> list[Run]:
            if not value:
                return []
            value = value if keep_lines else " ".join(value.split("\n"))
            return [Run(run, fam.faces[_face(b or st.bold, i or (st.italic and fam.italic))])
                    for fam, run in chain.runs(value)]

        if el is None:
            return pieces(text, bold, italic)
        out = pieces(el.text if not keep_lines else (el.text or "").strip("\n"), bold, italic)
        for child in el:
            if child.tag == "br":
                out.append(Run("\n", chain.primary.regular))
            else:
                out += self.styled_runs(child, style, keep_lines, bold or child.tag == "b",
                                        italic or child.tag == "i")
            out += pieces(child.tail, bold, italic)
        return out

    def shaped_markup(self, runs: list[Run]) -> str:
        """Markup for shaped text: one font per word, every run in its font."""
        return "".join(f'<font face="{r.font}">{escape(r.text).replace(chr(10), "<br/>")}</font>'
                       for r in rtl.one_font_per_word(runs))

    def furniture(self, el: ET.Element | None, style: str, text: str | None = None,
                  bold: bool = False) -> str | rtl.Line:
        """Header or footer text: markup, or for right-to-left text a line laid out when it is drawn
        (after "{page}" is filled in). ``bold``: all of it in the bold faces (the pharmacy's name)."""
        plain = "".join(el.itertext()) if el is not None else text or ""
        self.check(plain, style)
        if self.rtl:
            st = self.styles[style]
            runs = rtl.one_font_per_word(self.styled_runs(el, style, keep_lines=el is None, bold=bold, text=text))
            return rtl.Line(tuple(runs), st.fontSize, st.fontName)
        if self.shaped:
            return self.shaped_markup(self.styled_runs(el, style, keep_lines=el is None, bold=bold, text=text))
        markup = self.inline(el, style) if el is not None else self.runs(text, style, keep_lines=True)
        return f"<b>{markup}</b>" if bold else markup

    def check(self, plain: str, style: str) -> None:
        chain = self.chain_of(style)
        missing = chain.missing(plain)
        if missing:
            snippet = " ".join(plain.split())[:60]
            raise GlyphError(f"{describe(missing[0])} cannot be drawn with the fonts '{chain.name}' "
                             f"(in '{snippet}')", hint="replace the character, or use a template whose "
                             "fonts cover it")

    def rtl_para(self, runs: list[Run], style: str, plain: str, bulletText: str | None = None,  # noqa: N803
                 auto: bool = False, memo: bool | None = None, align: int | None = None, base: int | None = None,
                 **_kw) -> RTLParagraph:
        self.check(plain, style)
        return RTLParagraph(tuple(rtl.one_font_per_word(runs)), self.styles[style], bullet=bulletText, auto=auto,
                            memo=self.memo if memo is None else memo, align=align, base=base)

    def para(self, markup: str, style: str, plain: str, memo: bool | None = None, lang: str | None = None,
             **kw) -> Paragraph:
        if style not in self.styles:
            raise TemplateError(f"style '{style}' is not defined in the theme", hint="add it under styles:")
        self.check(plain, style)
        return Paragraph(markup, self.style_in(style, lang), memo=self.memo if memo is None else memo, **kw)

    def style_in(self, style: str, lang: str | None) -> ParagraphStyle:
        """The style for text in ``lang`` (None: the leaflet's language). English in a Chinese leaflet
        (a source's title and address) breaks between words, as English does, not between letters."""
        st = self.styles[style]
        if lang and st.wordWrap == "CJK" and script_layout(lang).get("wordWrap") != "CJK":
            key = (style, "words")
            if key not in self._styles_in:
                self._styles_in[key] = ParagraphStyle(f"{style}-words", parent=st, wordWrap=None)
            return self._styles_in[key]
        return st

    def is_words(self, *texts: str | None) -> bool:
        """Whether these texts (an attribute's, a label's) may be kept: template words, never people's."""
        return self.memo or all(t is None or t in self.words for t in texts)

    def text_para(self, el: ET.Element, style: str, keep_lines: bool = False, auto: bool = False,
                  lang: str | None = None, **kw) -> Flowable:
        """A paragraph from a text element. ``auto``: its direction comes from its own text (typed
        by people, e.g. English notes in an Arabic leaflet), not from the leaflet's language."""
        plain = "".join(el.itertext())
        if self.rtl:
            return self.rtl_para(self.styled_runs(el, style, keep_lines), style, plain, auto=auto, **kw)
        if self.shaped:
            return self.para(self.shaped_markup(self.styled_runs(el, style, keep_lines)), style, plain, **kw)
        return self.para(self.inline(el, style, keep_lines), style, plain=plain, lang=lang, **kw)

    def plain_para(self, text: str, style: str, **kw) -> Flowable:
        """A paragraph of plain text (an attribute value, a label)."""
        kw.setdefault("memo", self.is_words(text))
        if self.rtl:
            return self.rtl_para(self.styled_runs(None, style, text=text), style, text, **kw)
        if self.shaped:
            return self.para(self.shaped_markup(self.styled_runs(None, style, text=text)), style, text, **kw)
        return self.para(self.runs(text, style), style, plain=text, **kw)

    def tagged(self, flowable: Flowable, role: str, text: ET.Element | str, **info) -> Flowable:
        """Mark ``flowable`` with its structure role (see :mod:`leaflet.tagging`); shaped and
        right-to-left text also carries its words (``text``, an element or a string), as the glyphs
        do not say them."""
        actual = None
        if self.rtl or self.shaped:
            actual = " ".join((text if isinstance(text, str) else _words(text)).split()) or None
        return tag(flowable, role, actual=actual, **info)

    # blocks -----------------------------------------------------------------------------------
    def blocks(self, parent: ET.Element) -> list[Flowable | str]:
        out: list[Flowable | str] = []
        for el in parent:
            out.extend(self.block(el))
        return out

    def block(self, el: ET.Element) -> list[Flowable | str]:
        """A block's flowables, built as its entry in the markup registry says (leaflet.blocks)."""
        spec = markup.ELEMENTS.get(el.tag)
        if spec is None or spec.build is None:
            raise TemplateError(f"<{el.tag}> cannot be used here", hint="see templates/README.md")
        return spec.build(self, el)

    def box(self, el: ET.Element) -> WarningBox:
        level = el.get("level", "information")
        theme = self.theme
        label = self.plain_para(el.get("label", level.upper()), "box_label")
        title = self.plain_para(el.get("title"), "box_title") if el.get("title") else None
        content = [f for f in _flatten(self.blocks(el)) if not isinstance(f, str)]
        continued = self.plain_para(el.get("continued"), "box_title") if el.get("continued") else None
        if level == "boxed":  # the band behind the label is dark: print the label light
            label = self.reversed(label)
            if title is not None:
                title = self.reversed(title)
            if continued is not None:
                continued = self.reversed(continued)
        self.tagged(label, "P", el.get("label", level.upper()))
        if title is not None:
            self.tagged(title, "P", el.get("title"))
        if continued is not None:
            self.tagged(continued, "P", el.get("continued"))
        box = self.tagged(WarningBox(
            level, label, title, content, color=theme.color(level), tint=theme.color(TINTS[level]),
            icon_font=self.t.body_font.bold, padding=theme.boxes.padding, icon_size=theme.boxes.icon_size,
            gap=theme.boxes.gap, frame_height=self.options.frame_height, rtl=self.rtl,
            breakable=el.get("split") if el.get("split") in ("items", "lines") else False,
            title_continued=continued),
            "Sect", "", title=": ".join(filter(None, (el.get("label"), el.get("title")))))
        return self.outlined(box, el)

    def outlined(self, flowable: Flowable, el: ET.Element) -> Flowable:
        """A box or the notes with an ``outline`` title: a bookmark (level 1) that points at it."""
        if el.get("outline"):
            self.headings += 1
            flowable._leaflet_outline = (0, el.get("outline"), el.get("id") or f"h{self.headings}")
        return flowable

    def reversed(self, p: Flowable) -> Flowable:
        """The same paragraph in white, for a dark band."""
        style = ParagraphStyle(f"{p.style.name}-reversed", parent=p.style, textColor=white)
        if isinstance(p, RTLParagraph):
            return RTLParagraph(p.runs, style, p.bullet, memo=self.memo)
        return Paragraph(p.text, style, memo=self.memo)

    def panel(self, el: ET.Element) -> Flowable:
        """The prescription panel: a row per field, label beside value; two fields marked
        ``half="yes"`` one after the other share a row (four cells), so short facts take less room."""
        theme = self.theme
        label_style = self.styles["panel_label"]
        cells: list[tuple[Flowable, Flowable, bool, bool, ET.Element]] = []  # label, value, blank, half
        for field_el in el.findall("field"):
            label = self.plain_para(field_el.get("label", ""), "panel_label")
            value_text = "".join(field_el.itertext()).strip()
            blank = not value_text
            if not blank:
                # right to left, every value starts at its cell's right edge, also one whose own text
                # runs left to right (a name in Latin letters, the "In English" row: its order kept)
                start = {"align": TA_RIGHT} if self.rtl else {}
                style = field_el.get("style", "panel_value")  # (a style the theme lacks: panel_value)
                style = style if style in self.styles else "panel_value"
                value: Flowable = self.text_para(field_el, style, keep_lines=True, auto=True, **start)
            else:  # write-in lines, the first level with the label's baseline (ascent about 1.07 em)
                lines = int(number(field_el, "lines", 1, 1, 10, self.source))
                value = WriteIn(lines, label_style.leading * 1.7, theme.color("muted"),
                                first=label_style.fontSize * 1.07 + 2)
            cells.append((label, value, blank, field_el.get("half") == "yes", field_el))
        rows: list[list] = []
        blank_rows: list[int] = []
        spans: list[int] = []
        if el.get("title"):  # the title spans the row
            rows.append([self.tagged(self.plain_para(el.get("title"), "h3"), "Caption", el.get("title")), "", "", ""])
            spans.append(0)

        def tagged_cells(label: Flowable, value: Flowable, blank: bool, field_el: ET.Element, row: object):
            self.tagged(label, "TH", field_el.get("label", ""), row=row)
            if blank:
                tag(value, "TD", row=row, artifact_content=True)
            else:
                self.tagged(value, "TD", field_el, row=row, lang=field_el.get("lang"))

        widths, place = self._panel_widths(cells)
        stacks: list[tuple[int, int]] = []  # (row, first column) of a label set above its value
        whole_rows: list[int] = []  # rows of one field whose label is set above its value
        pairs: list[int] = []  # rows that two fields share
        i = 0
        while i < len(cells):
            label, value, blank, half, field_el = cells[i]
            row_token = object()  # the cells of one row
            tagged_cells(label, value, blank, field_el, row_token)
            stacked = place(cells[i], cells[i + 1]) if half and i + 1 < len(cells) and cells[i + 1][3] else None
            if stacked is not None:
                label2, value2, blank2, _, field2 = cells[i + 1]
                tagged_cells(label2, value2, blank2, field2, row_token)
                # a value too wide for its cell (a date) goes under its label, across both cells
                halves = []
                for (lab, val), stack in (((label, value), stacked[0]), ((label2, value2), stacked[1])):
                    # (a span shows its first cell; right to left, the value is left of its label)
                    halves.append([[lab, val], ""] if stack else [val, lab] if self.rtl else [lab, val])
                row = halves[1] + halves[0] if self.rtl else halves[0] + halves[1]
                for n, stack in enumerate(stacked):
                    if stack:
                        stacks.append((len(rows), 2 * (1 - n) if self.rtl else 2 * n))
                blank = blank or blank2
                pairs.append(len(rows))
                i += 2
            elif self._tall_label(label, widths[0]):
                # a label that would wrap to more than two lines in its column ("Throw away an opened or
                # mixed bottle on" in five) is set above its value, across the whole row
                row = [[label, value], "", "", ""]
                whole_rows.append(len(rows))
                i += 1
            else:  # the value spans the three cells beside its label (a span shows its first cell)
                row = [value, "", "", label] if self.rtl else [label, value, "", ""]
                spans.append(len(rows))
                i += 1
            if blank:
                blank_rows.append(len(rows))
            rows.append(row)
        table = (PanelTable if self.prescription else Table)(rows, colWidths=widths[::-1] if self.rtl else widths,
                                                              hAlign="LEFT")
        commands = [
            ("BOX", (0, 0), (-1, -1), 1.2, theme.color("text")),
            ("LINEBELOW", (0, 0), (-1, -2), 0.4, theme.color("muted")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTNAME", (0, 0), (-1, -1), self.t.body_font.regular),  # never ReportLab's Helvetica
            ("LEFTPADDING", (0, 0), (-1, -1), 6), ("RIGHTPADDING", (0, 0), (-1, -1), 6),
            *([("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5)]
              if self.prescription and self.options.tight_panel else
              [("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]),
            # room to write by hand above a blank's line (with the label's own line, about 9 mm)
            *[("TOPPADDING", (0, r), (-1, r), label_style.leading * 0.5) for r in blank_rows],
        ]
        commands += [("SPAN", (c, r), (c + 1, r)) for r, c in stacks]
        commands += [("SPAN", (0, r), (-1, r)) for r in whole_rows]
        # a rule between two fields sharing a row: "42 tablets" and "Date dispensed" are two things
        commands += [("LINEBEFORE", (2, r), (2, r), 0.4, theme.color("muted")) for r in pairs]
        for r in spans:
            if r == 0 and el.get("title"):
                commands.append(("SPAN", (0, 0), (-1, 0)))
            else:
                commands.append(("SPAN", (0, r), (2, r)) if self.rtl else ("SPAN", (1, r), (3, r)))
        if el.get("title"):
            commands += [("BACKGROUND", (0, 0), (-1, 0), theme.color("panel")),
                         ("LINEBELOW", (0, 0), (-1, 0), 1.2, theme.color("text"))]
        table.setStyle(TableStyle(commands))
        tag(table, "Table")
        table.spaceBefore = 4
        table.spaceAfter = 6
        if el.get("title"):
            table.repeatRows = 1  # a panel too tall for what is left of page 1 continues under its title
        return table

    @staticmethod
    def _tall_label(label: Flowable, column: float) -> bool:
        """Whether a panel label wraps to more than two lines in its column (less its padding)."""
        leading = getattr(getattr(label, "style", None), "leading", 0) or 1
        return label.wrap(column - 12, 1e6)[1] > 2.5 * leading

    def _panel_widths(self, cells: list) -> tuple[list, Callable[[tuple, tuple], tuple[bool, bool] | None]]:
        """The columns (label, value, label, value) and how two short fields share a row.

        The label columns are as wide as the labels' longest word needs (no word is broken in a narrow
        column: compact), at least 23 % and at most 40 % of the column. The value columns are equal
        where every short value's longest word (a date, which never breaks, is one word) fits so; else
        the second (the date's) takes the room the first can spare, the first keeping what sets its
        values on one line where it can. ``place(a, b)`` says, for two fields sharing a row, whether
        each is set under its label (across its label's cell too: a value still too wide beside it),
        or None when they cannot share one (each then has a row of its own)."""
        width = self.options.column_width
        if not width:
            return ["23%", "27%", "23%", "27%"], lambda first, second: (False, False)
        padding = 12 + 0.5  # the cells' left and right padding, and rounding

        def widest(flowables) -> float:
            return max((f.minWidth() for f in flowables if hasattr(f, "minWidth")), default=0) + padding

        needs: dict[int, float] = {}  # measured once a field (a patient's words are shaped to measure)

        def need(cell) -> float:
            if id(cell) not in needs:
                # a blank write-in leaves room to write a date by hand (and a column never shrinks to nothing)
                needs[id(cell)] = WRITE_IN_WIDTH + padding if cell[2] else widest([cell[1]])
            return needs[id(cell)]

        lines: dict[int, float] = {}

        def one_line(cell) -> float:  # the width that sets the value on one line (measured once too)
            if id(cell) not in lines:
                width_of = 0.0
                if not cell[2]:
                    value = cell[1]
                    value.wrap(1e6, 1e6)
                    inner = value._inner(1e6) if isinstance(value, RTLParagraph) else value
                    # (less a hair: a line's summed widths are a little over its word's, 146.944 + 2e-11)
                    width_of = max(inner.getActualLineWidths0() or [0.0]) + padding - 0.01
                lines[id(cell)] = width_of
            return lines[id(cell)]

        firsts, seconds, i = [], [], 0  # the fields that would share rows, as the panel pairs them
        while i < len(cells):
            if cells[i][3] and i + 1 < len(cells) and cells[i + 1][3]:
                firsts.append(cells[i])
                seconds.append(cells[i + 1])
                i += 2
            else:
                i += 1
        first, second = max(map(need, firsts), default=0.0), max(map(need, seconds), default=0.0)
        label = min(max(0.23 * width, widest(c[0] for c in cells)), 0.4 * width)
        values = width - 2 * label
        if first <= values / 2 and second <= values / 2:
            one = values / 2
        elif first + second <= values:
            one = max(first, min(values - second, max(map(one_line, firsts), default=0.0)))
        else:
            one = values / 2
        two = values - one

        def place(a: tuple, b: tuple) -> tuple[bool, bool] | None:
            """Whether each of two fields sharing a row is set under its label; None: they cannot share.

            A value that fits on one line somewhere is never broken: beside its label, else under it
            (across both its cells), else on a row of its own ("Dr Sam Rivera" printed "Dr Sam /
            Rivera" beside its label in compact and large print). Only a value too long for one line
            even on its own row shares a row broken at its spaces (its longest word fitting)."""
            stacked = []
            for cell, room in ((a, one), (b, two)):
                fits_under = widest([cell[0]]) <= room + label
                if one_line(cell) <= room:
                    stacked.append(False)
                elif one_line(cell) <= room + label and fits_under:
                    stacked.append(True)
                elif one_line(cell) <= width - label:
                    return None
                elif need(cell) <= room:
                    stacked.append(False)
                elif need(cell) <= room + label and fits_under:
                    stacked.append(True)
                else:
                    return None
            return stacked[0], stacked[1]

        return [label, one, label, two], place


    def _blank_lines(self, el: ET.Element) -> int:
        """Blank lines after the printed notes: the template's, and room to type in a fillable leaflet."""
        blank = int(number(el, "blank", self.theme.notes.extra_lines, 0, 10, self.source))
        return max(blank, self.theme.notes.extra_lines) if self.options.fillable else blank

    def notes(self, el: ET.Element) -> RuledNotes:
        theme = self.theme
        spacing = theme.notes.line_spacing
        text_plain = "".join(el.itertext()).strip()
        if self._blank_lines(el) == 0 and text_plain:
            # printed notes with no room to write in (page 1's short notes): the rules follow the text's
            # own leading, not the spacing for handwriting
            spacing = min(spacing, theme.styles["notes"].leading + 3)
        if self.rtl or self.shaped:  # shaped words keep one size a paragraph: the hint is a line of its own
            title = self.plain_para(el.get("title", "Notes"), "h3", memo=self.is_words(el.get("title", "Notes")))
            if el.get("hint"):
                title = Stack([title, self.plain_para(el.get("hint"), "small", memo=self.is_words(el.get("hint")))])
        else:
            title_markup = self.runs(el.get("title", "Notes"), "h3")
            if el.get("hint"):
                title_markup += (f' <font size="{theme.styles["small"].size}">'
                                 f'{self.runs(el.get("hint"), "h3")}</font>')
            title = self.para(title_markup, "h3", plain=el.get("title", "") + el.get("hint", ""),
                              memo=self.is_words(el.get("title", "Notes"), el.get("hint")))
        self.tagged(title, "H", " ".join(filter(None, (el.get("title", "Notes"), el.get("hint")))), heading="h3")
        text = None
        if text_plain:
            style = ParagraphStyle("notes_ruled", parent=self.styles["notes"], leading=spacing,
                                   spaceBefore=0, spaceAfter=0)
            chain = self.chain_of("notes")
            missing = chain.missing(text_plain)
            if missing:
                raise GlyphError(f"the notes contain {describe(missing[0])}, which the fonts "
                                 f"'{chain.name}' cannot draw", hint="replace the character")
            if self.rtl:
                text = RTLParagraph(tuple(rtl.one_font_per_word(self.styled_runs(el, "notes", keep_lines=True))),
                                    style, auto=True)
            elif self.shaped:  # notes are what people type: never kept (no memo)
                text = Paragraph(self.shaped_markup(self.styled_runs(el, "notes", keep_lines=True)).strip(), style)
            else:
                text = Paragraph(self.inline(el, "notes", keep_lines=True).strip(), style)
            self.tagged(text, "P", el, lang=el.get("lang"))
        lines = int(number(el, "lines", theme.notes.lines, 2, 40, self.source))
        continued = el.get("continued")
        title_continued = self.plain_para(continued, "h3") if continued else None
        return self.outlined(tag(RuledNotes(title, text, title_continued=title_continued, line_spacing=spacing,
                                            blank_lines=self._blank_lines(el), min_lines=lines,
                                            rule_color=theme.color("rule"), border_color=theme.color("text"),
                                            padding=theme.boxes.padding, fillable=self.options.fillable,
                                            field_name="prescriber_notes",
                                            field_font_size=theme.styles["notes"].size),
                                 "Sect", group="notes"), el)


def _flatten(flowables: list[Flowable | str]) -> list[Flowable | str]:
    """Unwrap keep-together groups and columns: a box keeps its content together, in one column."""
    out: list[Flowable | str] = []
    for f in flowables:
        if isinstance(f, (KeepTogether, BalancedColumns)):
            out.extend(_flatten(rlbridge.group_content(f)))
        else:
            out.append(f)
    return out


def _words(el: ET.Element) -> str:
    """The text of a markup element, a line break as a space."""
    parts = [el.text or ""]
    for child in el:
        parts.append(" " if child.tag == "br" else _words(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _face(bold: bool, italic: bool) -> str:
    return "bold_italic" if bold and italic else "bold" if bold else "italic" if italic else "regular"


_PARTS = ("left", "center", "right")


def has_header_text(tree: ET.Element) -> bool:
    """Whether the body markup puts text in the page header (a ``<header>`` with a part)."""
    header = tree.find("header")
    return header is not None and any(child.tag in _PARTS for child in header)


def _parts(el: ET.Element | None, builder: _Builder, style: str) -> dict[str, str | rtl.Line]:
    if el is None:
        return {}
    swap = {"left": "right", "right": "left", "center": "center"} if builder.rtl else {}
    return {swap.get(child.tag, child.tag): builder.furniture(child, style)
            for child in el if child.tag in _PARTS}


def furniture_text(text: str, template: Template, options: Options, style: str = "header",
                   bold: bool = False) -> str | rtl.Line:
    """Text for the page header (the pharmacy's details) in the leaflet's fonts and direction."""
    return _Builder(template, options, "pharmacy file", memo=False).furniture(None, style, text=text, bold=bold)


def layout_body(tree: ET.Element, template: Template, options: Options, source: str) -> Body:
    """Lay out the medicine's body markup (``<leaflet>``): content and template words only."""
    rlbridge.install()
    builder = _Builder(template, options, source, memo=True)
    flowables: list[Flowable | str] = []
    for el in tree:
        if el.tag in ("meta", "footer", "header"):
            continue
        flowables.extend(builder.block(el))
    meta_el = tree.find("meta")
    meta = dict(meta_el.attrib) if meta_el is not None else {}
    room = builder.styles["h2"].leading * 2 + builder.styles["body"].leading * 6
    flowables = _keep_headings_with_groups(_room_before_tables(_headings_before_breakable_boxes(flowables, room)))
    side = template.theme.side_heads_mm * mm
    if side:
        flowables = _side_column(flowables, side, template.theme.side_gap_mm * mm, builder.rtl)
    return Body(tuple(flowables), meta, _parts(tree.find("footer"), builder, "footer"),
                _parts(tree.find("header"), builder, "header"), side, builder.rtl)


def layout_patient(tree: ET.Element, template: Template, options: Options, source: str,
                   words: frozenset[str] = frozenset()) -> dict[str, list[Flowable]]:
    """Lay out the per-patient markup (``<patient>``): slot name -> flowables. Nothing of it is kept
    after the build (it holds what people typed), except the layout of ``words``: the attribute texts
    (labels, titles) the same template gives for a blank patient (see :func:`template_words`)."""
    rlbridge.install()
    builder = _Builder(template, options, source, memo=False, words=words)
    builder.prescription = True  # (its panel is the prescription panel: flowables.PanelTable)
    fills: dict[str, list[Flowable]] = {}
    for fill in tree.findall("fill"):
        fills.setdefault(fill.get("slot", ""), []).extend(
            f for f in builder.blocks(fill) if not isinstance(f, str))
    return fills


def template_words(tree: ET.Element) -> frozenset[str]:
    """Every attribute text of per-patient markup rendered for a blank patient: the template's own
    words (labels, titles, hints), which are the same for every patient and may be kept."""
    return frozenset(value for el in tree.iter() for value in el.attrib.values())


def _headings_before_breakable_boxes(flowables: list[Flowable | str], room: float) -> list[Flowable | str]:
    """A heading followed by a box that may break between its items is not kept with the whole box
    (which would move both to the next page and leave a gap); it starts a new page only when less
    is left than the heading and the box's start need (the box's title, what leads in and its first
    item), and never less than ``room``."""
    out: list[Flowable | str] = []
    for i, item in enumerate(flowables):
        following = flowables[i + 1] if i + 1 < len(flowables) else None
        if (getattr(item, "_leaflet_keep_with_next", 0) and isinstance(following, WarningBox)
                and following.breakable):
            # with the headings above it that it is kept with (a section's heading over the sub-heading:
            # kept with the room's page break instead, the section heading ended a page, review finding)
            kept = [item]
            while out and isinstance(out[-1], Flowable) and getattr(out[-1], "_leaflet_keep_with_next", 0) \
                    and not acts_on_frame(out[-1]):
                kept.insert(0, out.pop())
            for flowable in kept:
                flowable.keepWithNext = flowable._leaflet_keep_with_next = 0
            out += [RoomForBoxStart(kept, following, least=room), *kept]
            continue
        out.append(item)
    return out


def _room_before_tables(flowables: list[Flowable | str]) -> list[Flowable | str]:
    """What is kept with a table (its caption, a heading, or a group it ends) is not kept with the whole
    of it: a page break before them unless the page has room for them and the table's first rows
    (:class:`~leaflet.flowables.RoomForTableStart`)."""
    out: list[Flowable | str] = []
    for item in flowables:
        group = rlbridge.group_content(item) if isinstance(item, KeepTogether) else None
        if group and hasattr(group[-1], "first_rows_height") and all(isinstance(f, Flowable) for f in group):
            # a group that ends with a table (the template's forms table, kept with its heading)
            out += [RoomForTableStart(group[:-1], group[-1]), *group]
            continue
        if hasattr(item, "first_rows_height"):  # a table that may break (richblocks.FitTable)
            kept: list[Flowable] = []
            while out and isinstance(out[-1], Flowable) and getattr(out[-1], "_leaflet_keep_with_next", 0) \
                    and not acts_on_frame(out[-1]):
                kept.insert(0, out.pop())
            if kept:
                for flowable in kept:
                    flowable.keepWithNext = flowable._leaflet_keep_with_next = 0
                out += [RoomForTableStart(kept, item), *kept]
        out.append(item)
    return out


def _keep_headings_with_groups(flowables: list[Flowable | str]) -> list[Flowable | str]:
    """Put headings into the keep-together group that follows them.

    ReportLab keeps a heading with the next flowable, but not when that flowable is itself a
    keep-together group (an intro with its list), so the heading could end a page alone.
    """
    out: list[Flowable | str] = []
    for item in flowables:
        if isinstance(item, KeepTogether):
            headings: list[Flowable] = []
            while out and not isinstance(out[-1], str) and getattr(out[-1], "_leaflet_keep_with_next", 0):
                headings.insert(0, out.pop())
            if headings:
                content = headings + rlbridge.group_content(item)
                item = StepsTogether(content, item.steps, least=item.least) if isinstance(item, StepsTogether) \
                    else KeepTogether(content)
        out.append(item)
    return out


def _heading_level(flowable: object) -> str | None:
    tag_ = getattr(flowable, "__dict__", {}).get("_leaflet_tag")
    return tag_.heading if tag_ is not None and tag_.role == "H" else None


def _holds_section_heading(flowable: object) -> bool:
    if _heading_level(flowable) == "h1":
        return True
    return isinstance(flowable, KeepTogether) and any(map(_holds_section_heading, rlbridge.group_content(flowable)))


def _side_column(flowables: list[Flowable | str], side: float, gap: float, rtl: bool) -> list[Flowable | str]:
    """Set the body for a side column (``Theme.side_heads_mm``): everything before the first section
    heading (page 1's title block, most important box and contents) and the section headings span
    both columns; sub-headings go into the side column; the rest is the text column's. A warning box
    keeps its headings inside it."""

    def sided(item: Flowable | str) -> Flowable | str:
        level = _heading_level(item)
        if level == "h1":
            return Outdented(item, side, rtl)
        if level in ("h2", "h3"):
            if item.minWidth() > side - gap + 0.01:  # a word too long for the side column: never broken
                return Outdented(item, side, rtl)  # ("V / orsichtsmaßnahmen"): the head spans both instead
            return SideHead(item, side, gap, rtl)
        if isinstance(item, KeepTogether):
            group = copy.copy(item)
            group._content = levelled([sided(f) for f in rlbridge.group_content(item)])
            return group
        return item

    def levelled(items: list) -> list:
        """Each side head knows the space the block after it leaves above itself; one not kept with it
        (a warning box that may break) has room for all of its lines kept by the page break before it."""
        for i, head in enumerate(items):
            if not isinstance(head, SideHead):
                continue
            following = items[i + 1] if i + 1 < len(items) else None
            if isinstance(following, Flowable):
                head.follow_space = following.getSpaceBefore()
            before = items[i - 1] if i else None
            if not head.keepWithNext and isinstance(before, CondPageBreak):
                tall = head.heading.wrap(side - gap, 1e6)[1]
                needs = head.getSpaceBefore() + head.follow_space + tall + 1
                if isinstance(before, RoomForBoxStart):  # the head beside the box's start, not above it
                    before.kept = []
                    before.least = max(before.least, needs)
                elif isinstance(before, RoomForTableStart):  # (it measures again as it is placed)
                    before.least = max(before.least, needs)
                else:
                    before.height = max(before.height, needs)
        return items

    out: list[Flowable | str] = []
    # the end matter (the prescriber notes and what follows them: the sources) spans both columns too
    first = next((i for i, item in enumerate(flowables) if _holds_section_heading(item)), len(flowables))
    end = max((i for i, item in enumerate(flowables) if isinstance(item, str)), default=-1)
    for i, item in enumerate(flowables):
        if i < first or first < end < i:
            out.append(item if isinstance(item, str) or acts_on_frame(item) else Outdented(item, side, rtl))
        else:
            out.append(sided(item))
    return levelled(out)


def assemble(body: Body, fills: dict[str, list[Flowable]]) -> list[Flowable]:
    """Fresh copies of the body's flowables, with each slot replaced by what the patient part put in it.

    A body may be cached and used by many builds, also at once: ReportLab changes flowables as it lays
    them out (it marks one it moved to the next page, switches off "keep with next", splits
    paragraphs), so it only ever sees copies. The copies share the paragraphs' parsed text and line
    breaks, which is most of the layout work.
    """
    out: list[Flowable] = []
    for item in body.flowables:
        if isinstance(item, str):
            out.extend(Outdented(f, body.side, body.rtl) if body.side and not acts_on_frame(f) else f
                       for f in fills.get(item, []))
        else:
            out.append(rlbridge.fresh(item))
    return out
