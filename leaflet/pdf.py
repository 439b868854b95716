"""Stage 5: flowables -> PDF bytes.

Pages get their header (the pharmacy), footer ("Page N of M", revision date), an outline entry for
every section and the document's metadata. The output is deterministic: ReportLab's invariant mode,
and the leaflet's revision date as the creation date, so the same inputs give the same bytes.

"Page N of M" needs M before any page is finished. Pages are therefore kept until the end of the
build and drawn out then (the usual ReportLab "numbered canvas"); bookmarks and form fields, which
must refer to their real page, are deferred with them.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from . import caches, rlbridge, tagging
from .errors import ContentError
from .flowables import LeafletParagraph as Paragraph
from .geometry import PAPER, Geometry
from .i18n import page_number
from .layout import script_layout
from .templating import Template

__all__ = ["PAPER", "Branding", "PageFurniture", "render"]


@dataclass
class Branding:
    """What the page header shows about the pharmacy."""

    name: object = ""  # markup, or a right-to-left line (rtl.Line)
    lines: list = field(default_factory=list)  # address and phone, the same
    info_lines: int = 0  # how many lines they make
    logo: bytes | None = None
    alt: str = ""  # the logo's alternative text (the pharmacy's name)


@dataclass
class PageFurniture:
    footer: dict[str, str]
    header: dict[str, str]
    branding: Branding | None
    meta: dict[str, str]
    language: str
    created: dt.date
    tags: tagging.Collector | None = None  # this build's marked content and structure (a tagged PDF)
    pages: dict[str, int] = field(default_factory=dict)  # filled in: the page each outline entry starts on
    page_count: int = 0  # filled in: how many pages the leaflet has
    # filled in: how much of the last page's body frames its flowables fill (0-1; 1 for a one-page
    # leaflet's only page when full); pipeline._render sets the text closer when it is little
    last_fill: float = 1.0
    spacing: float = 0.0  # filled in: the space above and below every flowable, in body frames' heights

    @property
    def header_lines(self) -> int | None:
        """What the header must have room for: None when there is no header (no pharmacy and no
        header text), else the lines of pharmacy details (address and phone)."""
        if self.branding is not None:
            return self.branding.info_lines
        return 0 if self.header else None


class _Doc(BaseDocTemplate):
    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802
        frame = getattr(self, "frame", None)  # how far down each frame of this page is filled (the last
        if frame is not None:                 # page's is kept; none yet before the first page's frame)
            if self._fill_page != self.page:
                self._fill_page, self._fill = self.page, {}
            self._fill[frame.id] = (frame._y1 + frame._height - frame._y) / frame._height
            self._spacing += flowable.getSpaceBefore() + flowable.getSpaceAfter()
        mark = getattr(flowable, "_leaflet_mark", None)
        if mark:  # (flowables.PanelTable: the page its last part lands on)
            self._pages[mark] = self.page
        info = getattr(flowable, "_leaflet_outline", None)
        if info:
            level, title, key = info
            # for the contents' page numbers, written when the document is finished
            self.canv.__dict__.setdefault("heading_pages", {}).setdefault(key, self.page)
            self._pages.setdefault(key, self.page)
            key = f"{key}-{self.page}-{id(flowable)}" if key in self._keys else key
            self._keys.add(key)
            self.canv.bookmarkPage(key, fit="XYZ", top=None)
            self.canv.addOutlineEntry(title, key, level=level, closed=False)


def render(flowables: list[Flowable], template: Template, geometry: Geometry, furniture: PageFurniture) -> bytes:
    """Lay the flowables out on pages of ``geometry`` (the one layout used) and return the PDF bytes;
    ``furniture.tags``, if any, records the marked content and structure for :func:`leaflet.tagging.apply`."""
    return render_later(flowables, template, geometry, furniture)()


def render_later(flowables: list[Flowable], template: Template, geometry: Geometry,
                 furniture: PageFurniture) -> Callable[[], bytes]:
    """:func:`render`'s layout and drawing now (``furniture`` filled in: pages, page count, how full the
    last page is), its pages written as PDF bytes only when the returned function is called (once): a
    layout that is measured and then not kept (pipeline._render's tries) is never written."""
    rlbridge.install()
    tagging.install()
    theme = template.theme
    pagesize = geometry.pagesize
    decorate = _Decorator(template, furniture, geometry)

    buffer = io.BytesIO()
    meta = furniture.meta
    doc = _Doc(buffer, pagesize=pagesize, leftMargin=geometry.left, rightMargin=geometry.right,
               topMargin=geometry.top, bottomMargin=geometry.bottom, title=meta.get("title", ""),
               author=meta.get("author", ""), subject=meta.get("subject", ""),
               keywords=meta.get("keywords", ""), creator=meta.get("creator", "leaflet"),
               producer="leaflet (ReportLab)", invariant=1, pageCompression=1,
               lang=furniture.language, displayDocTitle=1, initialFontName=template.body_font.regular,
               initialFontSize=theme.styles["body"].size)
    doc._keys = set()
    doc._pages = furniture.pages
    doc._fill_page, doc._fill, doc._spacing = 0, {}, 0.0
    doc.addPageTemplates([PageTemplate(id="first", frames=_frames(geometry, True), autoNextPageTemplate="later"),
                          PageTemplate(id="later", frames=_frames(geometry, False))])
    canvas_class = type("LeafletCanvas", (rlbridge.DeferredCanvas,), {"decorate": staticmethod(decorate),
                                                                      "created": furniture.created,
                                                                      "_leaflet_tags": furniture.tags})
    doc._doSave = 0  # (ReportLab's switch: the canvas's save, which writes the pages, when they are asked for)
    doc.build(flowables, canvasmaker=canvas_class)
    furniture.page_count = doc.page
    frames = len(geometry.frames(first=doc.page == 1))
    furniture.last_fill = sum(doc._fill.values()) / frames if doc._fill_page == doc.page else 0.0
    furniture.spacing = doc._spacing / (frames * geometry.frame_height)
    written: list[bytes] = []

    def write() -> bytes:
        if not written:
            doc.canv.save()
            written.append(buffer.getvalue())
        return written[0]
    return write


class _Frame(Frame):
    """ReportLab's frame, copied faster: ReportLab measures a box's or a list's content in a deep copy
    of the frame it is in (``flowables._listWrapOn``), about 30 times a leaflet, and ``copy.deepcopy``
    went through every attribute, and the content the frame had gathered, which the copy drops at once.
    The copy is the same: its numbers as they are, its lists copied."""

    def __deepcopy__(self, memo: dict) -> _Frame:
        new = copy.copy(self)
        for name, value in self.__dict__.items():
            if name != "_generated_content" and not isinstance(value, (str, int, float, type(None))):
                new.__dict__[name] = copy.deepcopy(value, memo)
        return new


def _frames(geometry: Geometry, first: bool) -> list[Frame]:
    """Page 1's body frames (below the full header) or a later page's (below the running header)."""
    return [_Frame(*box, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0,
                   id=f"body-{'first' if first else 'later'}-{i}") for i, box in enumerate(geometry.frames(first))]


@caches.memoize("pdf.furniture-styles", 16)
def _furniture_styles(template: Template, language: str) -> tuple[dict, dict]:
    """Header and footer styles, made once per template and language (shaped where the text is)."""
    theme = template.theme
    shaping = script_layout(language).get("shaping", 0)
    base = {name: ParagraphStyle(f"furniture-{name}", fontName=template.body_font.regular,
                                 fontSize=theme.styles[name].size, leading=theme.styles[name].line_height,
                                 textColor=theme.color(theme.styles[name].color), shaping=shaping)
            for name in ("header", "footer")}
    styles = {(kind, part): ParagraphStyle(f"{kind}-{part}", parent=base[kind], alignment=align)
              for kind in ("header", "footer")
              for part, align in (("left", 0), ("center", 1), ("right", 2))}
    return base, styles


@caches.memoize("pdf.furniture-lines", 512)
def _filled(markup, page: int, pages: int) -> str:
    """:func:`_fill` kept, for the template's header and footer (content and template words)."""
    return _fill(markup, page, pages, memo=True)


def _fill(markup, page: int | None, pages: int | None, memo: bool = False) -> str:
    """Page furniture markup with the page number and count filled in (none for ``None``: text that
    people typed, such as the pharmacy's name, is printed as typed, braces and all)."""
    values = {"{page}": page_number(page), "{pages}": page_number(pages)} if page is not None else {}
    if not isinstance(markup, str):  # a right-to-left line, laid out only now
        return markup.markup(values, memo=memo)
    for key, value in values.items():
        markup = markup.replace(key, value)
    return markup


class _Decorator:
    """Draws the header and footer of each page; what is the same on every page is made once."""

    def __init__(self, template: Template, furniture: PageFurniture, geometry: Geometry):
        theme = template.theme
        self.theme, self.furniture = theme, furniture
        width, height = geometry.pagesize
        self.left, self.right = geometry.left, width - geometry.right
        self.usable = self.right - self.left
        self.top = height - geometry.top
        self.header_h = header_h = geometry.header_height
        self.running_h = geometry.running_header_height
        self.footer_h = geometry.footer_height
        self.y_rule = geometry.bottom + self.footer_h - 3
        base, self.styles = _furniture_styles(template, furniture.language)
        self.logo = None
        self.name = self.info = None
        branding = furniture.branding
        if branding and header_h > 0:
            x = self.left
            if branding.logo:
                self.alt = branding.alt
                self.logo = ImageReader(io.BytesIO(branding.logo))  # decoded once, drawn on every page
                iw, ih = self.logo.getSize()
                logo_h = header_h - 6
                logo_w = min(iw * logo_h / ih, self.usable * 0.3)
                self.logo_size = (logo_w, min(logo_h, ih * logo_w / iw))
                x += logo_w + 8
            self.name_x = x
            bold = ParagraphStyle("header-name", parent=base["header"], fontName=template.body_font.bold)
            # the pharmacy's own words: no page-number placeholders are filled in them
            self.name = Paragraph(_fill(branding.name, None, None), bold)  # its faces are bold already
            self.name.wrap(self.right - x - self.usable * 0.5, header_h)
            if branding.lines:
                self.info = Paragraph("<br/>".join(_fill(line, None, None) for line in branding.lines),
                                      self.styles[("header", "right")])
                self.info.wrap(self.usable * 0.5, header_h)
            room = header_h - 8
            if self.name.height > room or (self.info is not None and self.info.height > room):
                raise ContentError("the pharmacy's name or address is too long for the page header",
                                   hint="use a short name and at most three short lines of address and phone")

    def __call__(self, canv: Canvas, page: int, pages: int) -> None:
        tags = getattr(canv, "_leaflet_tags", None)  # a tagged build: all of this is a page artifact
        with tags.artifact(canv) if tags else contextlib.nullcontext():
            self._draw(canv, page, pages, tags)

    def _draw(self, canv: Canvas, page: int, pages: int, tags: tagging.Collector | None) -> None:
        theme, furniture = self.theme, self.furniture
        canv.saveState()
        canv.setStrokeColor(theme.color("rule"))
        canv.setLineWidth(0.6)
        canv.line(self.left, self.y_rule, self.right, self.y_rule)
        self._parts(canv, "footer", furniture.footer, page, pages)
        if self.name is not None and page > 1 and self.running_h:  # after page 1: the name, smaller band
            self.name.drawOn(canv, self.left, self.top - self.name.height)
            canv.line(self.left, self.top - self.running_h + 5, self.right, self.top - self.running_h + 5)
        elif self.name is not None:
            if self.logo is not None:
                w, h = self.logo_size
                figure = tags.figure(canv, self.alt, 0) if tags and page == 1 else contextlib.nullcontext()
                with figure:  # the first page's logo is a figure, the others' are artifacts
                    canv.drawImage(self.logo, self.left, self.top - h, w, h, mask="auto")
            self.name.drawOn(canv, self.name_x, self.top - self.name.height)
            if self.info is not None:
                self.info.drawOn(canv, self.right - self.usable * 0.5, self.top - self.info.height)
            canv.line(self.left, self.top - self.header_h + 7, self.right, self.top - self.header_h + 7)
        elif furniture.header:
            self._parts(canv, "header", furniture.header, page, pages)
        canv.restoreState()

    def _parts(self, canv: Canvas, kind: str, parts: dict[str, str], page: int, pages: int) -> None:
        """Left, centre and right texts; the right one (often "Page N of M") gets the room it needs."""
        right_w = 0.0
        for part in ("right", "center", "left"):
            markup = parts.get(part)
            if not markup:
                continue
            # the same text on the next page or build is not parsed, shaped or broken again
            p = Paragraph(_filled(markup, page, pages), self.styles[(kind, part)], memo=True)
            avail = self.usable - right_w - 12 if part == "left" and right_w else self.usable
            _, h = p.wrap(avail, self.footer_h if kind == "footer" else self.header_h)
            if part == "right":
                right_w = max(p.getActualLineWidths0() or [0])
            y = self.y_rule - 2 - h if kind == "footer" else self.top - h
            p.drawOn(canv, self.left, y)
