"""Tagged PDF (PDF/UA-1): marked content while the flowables draw, the structure tree afterwards.

Three parts, each small:

1. **Tags** (:func:`tag`): the layout stage (``layout.py``) marks each flowable it makes from the markup
   with a :class:`Tag`: the structure role it plays (``P``, a heading, a list item, a table cell, a
   warning box, ...). A tag is immutable and shared by the parts ReportLab splits a flowable into, so a
   paragraph that runs onto the next page is one structure element with content on two pages.
2. **Marked content** (:class:`Collector`): one collector per build, kept on that build's canvas (never
   in module state: builds run in threads). As each flowable draws, it writes ``/P <</MCID n>> BDC``
   ... ``EMC`` around the content of a leaf element (paragraph, heading, cell), and ``/Artifact BMC``
   ... ``EMC`` around what only decorates (box borders and icons, rules, write-in lines); page headers
   and footers are pagination artifacts. It records the structure elements in drawing order.
3. **Structure tree** (:func:`apply`): after ReportLab has written the PDF, pikepdf reads where the
   pages, catalog and form fields are, and the ``StructTreeRoot`` (``Document`` > headings, paragraphs,
   lists, the prescription table, warning boxes as sections, the notes and their form), the
   ``ParentTree``, ``/MarkInfo``, ``/StructParents`` and ``/Tabs /S`` on pages and XMP with the PDF/UA
   identification are appended as an incremental update (:class:`_Update`).

The one place that reaches into ReportLab is :func:`install` (it wraps ``Flowable.drawOn`` and
``Flowable.splitOn`` so that every flowable, ReportLab's own included, reports to the build's
collector, and the two bullet-drawing functions, so that a bullet becomes its item's ``Lbl``) with the
collector's use of the canvas's page code (``canvas._code``). It checks the ReportLab it runs on and
says so when it does not fit.
"""

from __future__ import annotations

import io
import itertools
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Dictionary
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus.flowables import Flowable

from . import rlbridge, xmltext

#: Roles whose flowable draws other tagged flowables inside it: its own drawing is an artifact.
CONTAINERS = {"Sect", "Table", "Document"}
#: Markup heading kinds -> how heading levels are numbered (title H1, sections H2, subsections H3,
#: minor headings one below the heading before them), the same as in the HTML leaflet.
_HEADINGS = {"title": 1, "h1": 2, "h2": 3}


@dataclass(frozen=True, eq=False)
class Tag:
    """What a flowable is in the structure tree. Compared by identity: one tag, one element."""

    role: str  # P, H (level from ``heading``), LI, Lbl, LBody, TH, TD, Caption, Sect, Table, Form, Figure
    heading: str | None = None  # "title", "h1", "h2", "h3" for role H
    group: object | None = None  # list items of one list, cells of one row share a group
    row: object | None = None  # table cells: the row (a group within the table)
    title: str | None = None  # /T of a section (a warning box: its label and title)
    actual: str | None = None  # /ActualText: the words, where the glyphs are shaped
    lang: str | None = None  # /Lang of a passage in another language
    alt: str | None = None  # /Alt of a figure
    artifact_content: bool = False  # an element with no content of its own (a blank table cell)
    scope: str = "Row"  # a header cell's /Scope: Row (the prescription panel's labels) or Column
    column: int | None = None  # a content table's cell: its column, for the row's reading order
    depth: int = 1  # a list item's level: a second-level item is in a list inside its parent's LBody
    colspan: int = 1  # a table cell over several columns (a group heading): its /ColSpan


def tag(flowable: Flowable, role: str, **info) -> Flowable:
    """Mark ``flowable`` with a new :class:`Tag`; returns it."""
    flowable._leaflet_tag = Tag(role, **info)
    return flowable


@dataclass(eq=False)
class Node:
    """One structure element of a build, with its kids in reading order."""

    tag: Tag
    parent: Node | None
    kids: list = field(default_factory=list)  # Node, (page index, MCID), or ("annot", field name)
    label: list = field(default_factory=list)  # a list item body's bullet: (page index, MCID) of its Lbl


class Collector:
    """Marked content and structure elements of one build (kept on the canvas, see the module doc)."""

    def __init__(self, language: str):
        self.language = language
        self.root = Node(Tag("Document"), None)
        self._nodes: dict[int, Node] = {}  # id(tag) -> node, this build only
        self._drawn: set[int] = set()  # id(flowable) of what was drawn: drawn again = a repeat (artifact)
        self._alive: list[Flowable] = []  # ... kept, so that no other flowable gets its id in this build
        self._untagged: dict[int, Tag] = {}  # id(flowable) -> the paragraph tag given to untagged text
        self._opened = 0  # index in the page code of the last leaf's BDC
        self._mcids: dict[int, itertools.count] = {}
        self._stack: list[tuple[str, Node | None]] = []  # ("leaf"|"container"|"artifact"|"pass", node)

    # drawing ----------------------------------------------------------------------------------
    def _emit(self, canvas: Canvas, op: str) -> None:
        canvas._code.append(op)  # ReportLab's page code: a list of operator strings

    def _page(self, canvas: Canvas) -> int:
        return len(getattr(canvas, "_pages", ()))  # leaflet's canvas keeps finished pages until the end

    def _node(self, tag: Tag, parent: Node) -> Node:
        node = self._nodes.get(id(tag))
        if node is None:
            node = self._nodes[id(tag)] = Node(tag, parent)
            parent.kids.append(node)
        return node

    def _current(self) -> Node:
        for mode, node in reversed(self._stack):
            if node is not None and mode in ("container", "leaf"):
                return node
        return self.root

    def _mcid(self, page: int) -> int:
        return next(self._mcids.setdefault(page, itertools.count()))

    def begin(self, canvas: Canvas, flowable: Flowable) -> str:
        """Called before ``flowable`` draws; returns what :meth:`end` must close.

        A leaf element's content is marked with its MCID. A container's own drawing (a box's border
        and icon, a table's rules) is an artifact, closed around each element drawn inside it. An
        untagged flowable that draws no text of its own (a rule, a spacer, ReportLab's columns) is
        a container without an element; one with text is a paragraph, so no text drops out of the
        tree. A flowable drawn a second time (a split box's label and title) is an artifact.
        """
        top = self._stack[-1][0] if self._stack else None
        if top in ("leaf", "artifact", "pass"):  # inside marked content already
            self._stack.append(("pass", None))
            return "pass"
        repeated = id(flowable) in self._drawn
        self._drawn.add(id(flowable))
        self._alive.append(flowable)
        if repeated:
            if top == "container":
                self._stack.append(("pass", None))
                return "pass"
            self._emit(canvas, "/Artifact BMC")
            self._stack.append(("artifact", None))
            return "artifact"
        tag = flowable.__dict__.get("_leaflet_tag") or self._untagged.get(id(flowable))
        if tag is None and _has_text(flowable):
            # kept here, not on the flowable: a laid-out body is shared by builds in other threads
            tag = self._untagged[id(flowable)] = Tag("P")
        if top == "container":
            self._emit(canvas, "EMC")  # close the enclosing container's artifact around this one
        if tag is None or tag.role in CONTAINERS or tag.artifact_content:
            node = None if tag is None else self._node(tag, self._current())
            self._emit(canvas, "/Artifact BMC")
            self._stack.append(("container", node))
            return "container"
        node = self._node(tag, self._current())
        page = self._page(canvas)
        mcid = self._mcid(page)
        node.kids.append((page, mcid))
        self._opened = len(canvas._code)  # where this BDC is, in case a bullet turns out to come first
        self._emit(canvas, f"/{tag.role} <</MCID {mcid}>> BDC")
        self._stack.append(("leaf", node))
        return "leaf"

    @contextmanager
    def label(self, canvas: Canvas) -> Iterator[None]:
        """A list item's bullet, drawn inside its body's marked content: it becomes the item's ``Lbl``.

        ReportLab draws a bullet before the text (the body's BDC, just written, becomes the label's, and
        the body continues under a new MCID); a right-to-left bullet is drawn after it (the body is
        closed, the label marked, and an empty artifact closes where the body would have).
        """
        drawing = [entry for entry in self._stack if entry[0] != "pass"]  # what the bullet is inside
        node = drawing[-1][1] if drawing and drawing[-1][0] == "leaf" else None
        if node is None or node.tag.role != "LBody" or node.label:
            yield
            return
        page, mcid = node.kids[-1]
        first = canvas._code[self._opened] == f"/LBody <</MCID {mcid}>> BDC" and \
            not any(op.startswith("BT") for op in canvas._code[self._opened + 1:])
        if first:
            node.kids.pop()
            node.label.append((page, mcid))
            canvas._code[self._opened] = f"/Lbl <</MCID {mcid}>> BDC"
        else:
            label = self._mcid(page)
            node.label.append((page, label))
            self._emit(canvas, "EMC")
            self._emit(canvas, f"/Lbl <</MCID {label}>> BDC")
        try:
            yield
        finally:
            self._emit(canvas, "EMC")
            if first:
                body = self._mcid(page)
                node.kids.append((page, body))
                self._emit(canvas, f"/LBody <</MCID {body}>> BDC")
            else:
                self._emit(canvas, "/Artifact BMC")

    def end(self, canvas: Canvas, mode: str) -> None:
        """Called after the flowable :meth:`begin` was called for has drawn."""
        self._stack.pop()
        if mode == "pass":
            return
        self._emit(canvas, "EMC")
        if mode in ("leaf", "container") and self._stack and self._stack[-1][0] == "container":
            self._emit(canvas, "/Artifact BMC")  # back to the enclosing container's own drawing

    @contextmanager
    def artifact(self, canvas: Canvas) -> Iterator[None]:
        """Everything drawn inside is a pagination artifact (page headers and footers)."""
        self._emit(canvas, _PAGINATION)
        self._stack.append(("artifact", None))
        try:
            yield
        finally:
            self._stack.pop()
            self._emit(canvas, "EMC")

    @contextmanager
    def figure(self, canvas: Canvas, alt: str, page: int) -> Iterator[None]:
        """A figure drawn among the page artifacts (the pharmacy logo on the first page), placed first
        in the document."""
        node = Node(Tag("Figure", alt=alt), self.root)
        self.root.kids.insert(0, node)
        mcid = self._mcid(page)
        node.kids.append((page, mcid))
        self._emit(canvas, "EMC")
        self._emit(canvas, f"/Figure <</MCID {mcid}>> BDC")
        self._stack.append(("leaf", node))
        try:
            yield
        finally:
            self._stack.pop()
            self._emit(canvas, "EMC")
            self._emit(canvas, _PAGINATION)


_PAGINATION = "/Artifact <</Type /Pagination>> BDC"


def _has_text(flowable: Flowable) -> bool:
    return hasattr(flowable, "frags") or hasattr(flowable, "runs") or hasattr(flowable, "part")


# the hooks into ReportLab ---------------------------------------------------------------------
_ORIGINAL: dict[str, object] = {}


_INSTALL_LOCK = threading.Lock()


def install() -> None:
    """Make every flowable report to the build's collector as it draws, and pass its tag to the parts
    it is split into (once, at the first build, like :func:`leaflet.rlbridge.install`: importing
    leaflet changes nothing in ReportLab). Does nothing on a canvas without a collector."""
    with _INSTALL_LOCK:
        if not _ORIGINAL:
            _wrap()


def _wrap() -> None:
    from reportlab.platypus import paragraph
    from reportlab.platypus.frames import Frame

    draw_on, split_on, frame_split = Flowable.drawOn, Flowable.splitOn, Frame.split

    if draw_on.__code__.co_varnames[:5] != ("self", "canvas", "x", "y", "_sW") or \
            split_on.__code__.co_varnames[:4] != ("self", "canv", "aW", "aH") or \
            frame_split.__code__.co_varnames[:3] != ("self", "flowable", "canv") or \
            getattr(paragraph, "_drawBullet", None) is None:
        import reportlab

        raise RuntimeError(f"leaflet's tagging does not fit ReportLab {reportlab.Version}: "
                           "Flowable.drawOn, Flowable.splitOn, Frame.split or paragraph._drawBullet changed")
    _ORIGINAL.update(drawOn=draw_on, splitOn=split_on, split=frame_split)

    def tagged_draw_on(self, canvas, x, y, _sW=0):  # noqa: N803 - ReportLab's names
        collector = getattr(canvas, "_leaflet_tags", None)
        if collector is None:
            return draw_on(self, canvas, x, y, _sW)
        mode = collector.begin(canvas, self)
        try:
            return draw_on(self, canvas, x, y, _sW)
        finally:
            collector.end(canvas, mode)

    def pass_tag(flowable, parts):
        tag_ = flowable.__dict__.get("_leaflet_tag")
        if tag_ is not None:
            # a group (KeepTogether) "splits" into the flowables it holds: they are not parts of it,
            # and may be shared by builds, so they are never given its tag
            held = {id(f) for f in getattr(flowable, "_content", ())}
            for part in parts:
                if isinstance(part, Flowable) and "_leaflet_tag" not in part.__dict__ and id(part) not in held:
                    part._leaflet_tag = tag_
        return parts

    def tagged_split_on(self, canv, aW, aH):  # noqa: N803
        return pass_tag(self, split_on(self, canv, aW, aH))

    # a frame splits what reaches the bottom of a page by calling the flowable's split() itself, not
    # splitOn: without this, a warning box or list item split by a page lost its element
    def tagged_frame_split(self, flowable, canv):
        return pass_tag(flowable, frame_split(self, flowable, canv))

    Flowable.drawOn = tagged_draw_on
    Flowable.splitOn = tagged_split_on
    Frame.split = tagged_frame_split

    from reportlab.platypus import paragraph

    from . import flowables

    def labelled(draw):
        def draw_bullet(canvas, *args, **kwargs):
            collector = getattr(canvas, "_leaflet_tags", None)
            if collector is None:
                return draw(canvas, *args, **kwargs)
            # a paragraph being recorded to be drawn again (rlbridge) notes where the label's own
            # marks are, so that drawing it again marks its label afresh
            recording = rlbridge.recording(canvas)
            cuts = recording.cuts if recording is not None else []
            cuts.append(len(canvas._code))
            with collector.label(canvas):
                cuts.append(len(canvas._code))
                try:
                    result = draw(canvas, *args, **kwargs)
                finally:
                    cuts.append(len(canvas._code))
            cuts.append(len(canvas._code))
            return result
        return draw_bullet

    # the bullets of ReportLab's paragraphs, and of leaflet's right-to-left ones
    paragraph._drawBullet = labelled(paragraph._drawBullet)
    flowables._draw_right_bullet = labelled(flowables._draw_right_bullet)



# the structure tree ---------------------------------------------------------------------------
def _levels(root: Node) -> dict[int, int]:
    """Heading levels in reading order: title 1, sections 2, subsections 3, others one below."""
    levels: dict[int, int] = {}
    last = 1

    def walk(node: Node) -> None:
        nonlocal last
        for kid in node.kids:
            if isinstance(kid, Node):
                if kid.tag.role == "H":
                    level = _HEADINGS.get(kid.tag.heading or "", 0) or min(last + 1, 6)
                    if kid.tag.heading in _HEADINGS:
                        last = level
                    levels[id(kid)] = level
                walk(kid)
    walk(root)
    return levels


def _group(node: Node) -> None:
    """Make the containers that do not draw: each list item's body (``LBody``) goes into an ``LI``,
    consecutive items into an ``L`` (two lists next to each other, a list the template split after
    its first item, are one); the cells of one row into a ``TR``, its header cell first."""
    out: list = []
    for kid in node.kids:
        if isinstance(kid, Node):
            _group(kid)
            role = kid.tag.role
            if role == "LBody":
                if not (out and isinstance(out[-1], Node) and out[-1].tag.role == "L"):
                    out.append(Node(Tag("L"), node))
                lst = out[-1]
                if kid.tag.depth > 1 and lst.kids:
                    # a second-level item: in a list at the end of its parent item's body (L > LI >
                    # LBody > L > LI), as an HTML <li> holds its <ul>
                    body = lst.kids[-1].kids[-1]
                    if not (body.kids and isinstance(body.kids[-1], Node) and body.kids[-1].tag.role == "L"):
                        body.kids.append(Node(Tag("L"), body))
                    lst = body.kids[-1]
                item = Node(Tag("LI"), lst, [kid])
                if kid.label:
                    item.kids.insert(0, Node(Tag("Lbl"), item, list(kid.label)))
                kid.parent = item
                lst.kids.append(item)
                continue
            if role in ("TH", "TD"):
                last = out[-1] if out else None
                if not (isinstance(last, Node) and last.tag.role == "TR" and last.tag.row is kid.tag.row):
                    out.append(Node(Tag("TR", row=kid.tag.row), node))
                kid.parent = out[-1]
                out[-1].kids.append(kid)
                # a content table's cells in column order (a right-to-left row draws them backwards);
                # the panel's: its labels first
                out[-1].kids.sort(key=lambda cell: cell.tag.role != "TH" if cell.tag.column is None
                                  else cell.tag.column)
                continue
        out.append(kid)
    node.kids = out


def _attach_fields(root: Node, names: list[str]) -> None:
    """Form fields (the fillable notes) go in a ``Form`` element in the last notes section."""
    notes = None

    def walk(node: Node) -> None:
        nonlocal notes
        if node.tag.group == "notes":
            notes = node
        for kid in node.kids:
            if isinstance(kid, Node):
                walk(kid)
    walk(root)
    target = notes or root
    for name in names:
        target.kids.append(Node(Tag("Form"), target, [("annot", name)]))


def apply(data: bytes, collector: Collector, *, title: str | None = None,
          author: str | None = None) -> bytes:
    """Add the structure tree the collector recorded to ``data`` (the PDF ReportLab wrote).

    It is appended as an incremental update (new objects, the catalog, pages and form fields
    rewritten with their new entries, a cross-reference section): pikepdf reads where things are, and
    the few hundred small objects are written as text, which costs a fraction of re-writing the file.
    """
    _group(collector.root)
    levels = _levels(collector.root)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pages = [page.obj for page in pdf.pages]
        page_refs = [f"{page.objgen[0]} 0 R" for page in pages]
        widgets = _widgets(pdf, pages)
        _attach_fields(collector.root, list(widgets))
        writer = _Update(data, int(pdf.trailer.Size))
        root_num = writer.new()
        parents: dict[int, list[int]] = {}  # page -> element number of each MCID
        annots: list[tuple[int, int]] = []  # (element number, widget number)

        def element(node: Node, parent: int) -> int:
            t = node.tag
            number = writer.new()
            role = f"H{levels[id(node)]}" if t.role == "H" else t.role
            entries = [f"/Type/StructElem/S/{role}/P {parent} 0 R"]
            for key, value in (("T", t.title), ("ActualText", t.actual), ("Lang", t.lang), ("Alt", t.alt)):
                if value:
                    entries.append(f"/{key}{_text(value)}")
            if role == "TH":
                entries.append(f"/A<</O/Table/Scope/{t.scope}{f'/ColSpan {t.colspan}' if t.colspan > 1 else ''}>>")
            elif role == "TD" and t.colspan > 1:
                entries.append(f"/A<</O/Table/ColSpan {t.colspan}>>")
            content = [kid for kid in node.kids if not isinstance(kid, Node) and kid[0] != "annot"]
            if len(content) == len(node.kids) == 1:  # the usual leaf: one MCID on one page
                page, mcid = content[0]
                entries.append(f"/Pg {page_refs[page]}/K {mcid}")
                _slot(parents, page, mcid, number)
            else:
                kids = []
                for kid in node.kids:
                    if isinstance(kid, Node):
                        kids.append(f"{element(kid, number)} 0 R")
                    elif kid[0] == "annot":
                        page, widget = widgets[kid[1]]
                        kids.append(f"<</Type/OBJR/Obj {widget} 0 R/Pg {page_refs[page]}>>")
                        annots.append((number, widget))
                    else:
                        page, mcid = kid
                        kids.append(f"<</Type/MCR/Pg {page_refs[page]}/MCID {mcid}>>")
                        _slot(parents, page, mcid, number)
                entries.append(f"/K[{' '.join(kids)}]")
            writer.put(number, "<<" + "".join(entries) + ">>")
            return number

        document = element(collector.root, root_num)
        nums = []
        for index, page in enumerate(pages):
            nums.append(f"{index}[{' '.join(f'{n} 0 R' for n in parents.get(index, []))}]")
            writer.put(page.objgen[0], _with(page, f"/StructParents {index}/Tabs/S"))
        for number, (elem, widget) in enumerate(annots, start=len(pages)):
            nums.append(f"{number} {elem} 0 R")
            writer.put(widget, _with(pdf.get_object(widget, 0), f"/StructParent {number}"))
        parent_tree = writer.new()
        writer.put(parent_tree, f"<</Nums[{' '.join(nums)}]>>")
        writer.put(root_num, f"<</Type/StructTreeRoot/K {document} 0 R/ParentTree {parent_tree} 0 R"
                             f"/ParentTreeNextKey {len(pages) + len(annots)}>>")
        metadata = writer.new()
        writer.put(metadata, _xmp(title or "", author or "", collector.language), stream=True)
        catalog = pdf.Root
        prefs = Dictionary(catalog.get("/ViewerPreferences", Dictionary()))
        prefs.DisplayDocTitle = True
        prefs = prefs.unparse(resolved=True).decode("latin-1")
        keep = {k: v for k, v in catalog.items() if k not in ("/ViewerPreferences", "/Metadata", "/MarkInfo")}
        entries = "".join(f"{k} {v.unparse().decode('latin-1')}" for k, v in keep.items())
        lang = "" if "/Lang" in catalog else f"/Lang{_text(collector.language)}"
        keep.pop("/Version", None)
        entries = "".join(f"{k} {v.unparse().decode('latin-1')}" for k, v in keep.items())
        writer.put(catalog.objgen[0], f"<<{entries}{lang}/Version/1.5/StructTreeRoot {root_num} 0 R/MarkInfo<</Marked true>>"
                                      f"/ViewerPreferences{prefs}/Metadata {metadata} 0 R>>")
        return writer.finish(pdf.trailer, catalog.objgen[0])


def _slot(parents: dict[int, list[int]], page: int, mcid: int, number: int) -> None:
    slots = parents.setdefault(page, [])
    slots.extend([0] * (mcid + 1 - len(slots)))
    slots[mcid] = number


def _text(value: str) -> str:
    """A PDF text string: PDFDocEncoding where the text is printable ASCII, else UTF-16 with its byte
    order mark; ``(``, ``)`` and ``\\`` escaped. One character of the result is one byte of the file."""
    raw = value if value.isascii() and value.isprintable() else \
        ("\ufeff" + value).encode("utf-16-be").decode("latin-1")
    return "(" + raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").replace("\r", "\\r") + ")"


def _with(obj: pikepdf.Object, entries: str) -> str:
    """The dictionary ``obj`` with ``entries`` added (it has none of them)."""
    text = obj.unparse(resolved=True).decode("latin-1")
    return text[:text.rindex(">>")] + entries + ">>"


class _Update:
    """An incremental update of a PDF: the new and changed objects, compressed in one object stream,
    and a cross-reference stream, after the original file (PDF 1.5, which the catalog then says)."""

    def __init__(self, original: bytes, size: int):
        self.original = original
        self.size = size
        self.objects: dict[int, bytes] = {}  # in the object stream
        self.streams: dict[int, bytes] = {}  # written as themselves (streams cannot be in one)

    def new(self) -> int:
        self.size += 1
        return self.size - 1

    def put(self, number: int, text: str | bytes, stream: bool = False) -> None:
        body = text if isinstance(text, bytes) else text.encode("latin-1")
        if stream:
            self.streams[number] = (b"%d 0 obj\n<</Type/Metadata/Subtype/XML/Length %d>>\nstream\n%s\nendstream\n"
                                    b"endobj\n" % (number, len(body), body))
        else:
            self.objects[number] = body

    def finish(self, trailer: pikepdf.Dictionary, root: int) -> bytes:
        prev = int(self.original[self.original.rindex(b"startxref") + 9:].split()[0])
        out = [self.original if self.original.endswith(b"\n") else self.original + b"\n"]
        offset = len(out[0])
        entries: dict[int, tuple[int, int, int]] = {}  # number -> (type, field 2, field 3)
        objstm, xref = self.new(), self.new()
        numbers = sorted(self.objects)
        header, bodies, at = [], [], 0
        for index, number in enumerate(numbers):
            header.append(b"%d %d" % (number, at))
            bodies.append(self.objects[number])
            at += len(self.objects[number]) + 1
            entries[number] = (2, objstm, index)
        head = b" ".join(header) + b"\n"
        packed = zlib.compress(head + b"\n".join(bodies) + b"\n", 6)
        chunk = (b"%d 0 obj\n<</Type/ObjStm/N %d/First %d/Filter/FlateDecode/Length %d>>\nstream\n%s\nendstream\n"
                 b"endobj\n" % (objstm, len(numbers), len(head), len(packed), packed))
        entries[objstm] = (1, offset, 0)
        out.append(chunk)
        offset += len(chunk)
        for number, chunk in sorted(self.streams.items()):
            entries[number] = (1, offset, 0)
            out.append(chunk)
            offset += len(chunk)
        entries[xref] = (1, offset, 0)
        index, rows, run = [], [], []
        for number in sorted(entries) + [-1]:
            if run and number != run[-1] + 1:
                index += [run[0], len(run)]
                run = []
            if number >= 0:
                run.append(number)
                kind, two, three = entries[number]
                rows.append(bytes([kind]) + two.to_bytes(4, "big") + three.to_bytes(2, "big"))
        table = zlib.compress(b"".join(rows), 6)
        info = f"/Info {trailer.Info.objgen[0]} 0 R" if "/Info" in trailer else ""
        ids = f"/ID{trailer.ID.unparse().decode('latin-1')}" if "/ID" in trailer else ""
        out.append(f"{xref} 0 obj\n<</Type/XRef/Size {self.size}/Index[{' '.join(map(str, index))}]/W[1 4 2]"
                   f"/Root {root} 0 R{info}{ids}/Prev {prev}/Filter/FlateDecode/Length {len(table)}>>\nstream\n"
                   .encode("latin-1") + table + f"\nendstream\nendobj\nstartxref\n{offset}\n%%EOF\n".encode())
        return b"".join(out)


def _xmp(title: str, author: str, language: str) -> bytes:
    """XMP metadata: the title, author and language, and the PDF/UA identification."""
    def esc(text: str) -> str:
        return xmltext.escape(text)

    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{esc(title)}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>{esc(author)}</rdf:li></rdf:Seq></dc:creator>
<dc:language><rdf:Bag><rdf:li>{esc(language)}</rdf:li></rdf:Bag></dc:language>
<pdfuaid:part>1</pdfuaid:part>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def _widgets(pdf: pikepdf.Pdf, pages: list) -> dict[str, tuple[int, int]]:
    """Form field name -> (page index, object number of its widget annotation)."""
    found: dict[str, tuple[int, int]] = {}
    for index, page in enumerate(pages):
        for annot in page.get("/Annots", []):
            if annot.get("/Subtype") == "/Widget" and "/T" in annot:
                found[str(annot.T)] = (index, annot.objgen[0])
    return found
