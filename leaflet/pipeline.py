"""The whole pipeline in one place: content -> model -> template -> layout -> PDF bytes -> file.

:func:`build_pdf` is the Python API; the command line is a thin layer over it. The medicine's body
(markup parsed from the template) is cached per content file and template, so building many
leaflets for many patients repeats only the per-patient work and the page layout.
"""

from __future__ import annotations

import os
import re
import unicodedata
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reportlab.platypus.doctemplate import LayoutError

from . import (
    archival,
    caches,
    content,
    directions,
    figures,
    forms,
    html,
    i18n,
    layout,
    markup,
    pdf,
    prescription,
    rlbridge,
    tagging,
    templating,
    translations,
    typedtext,
)
from .errors import ContentError, GlyphError, LeafletError, Location, display_path
from .flowables import PANEL_END
from .fonts import require_glyphs
from .geometry import page_geometry
from .inline import bind_numbers
from .output import write_atomic
from .patient import Patient, check_notes, load_patient_source, load_pharmacy, with_form
from .yamlsafe import MAX_BYTES, Loaded


@dataclass(frozen=True)
class BuildRequest:
    """Everything that decides one leaflet's bytes."""

    medicine: str
    language: str = "en"
    template: str = "standard"
    paper: str = "a4"
    patient: Patient = field(default_factory=Patient)
    pharmacy_file: Path | None = None
    fillable: bool = False
    content_dirs: tuple[Path, ...] = ()
    patient_source: Loaded | None = field(default=None, compare=False)  # where the patient's fields are
    pdfa: str | None = None  # "2b" or "3b": post-processed to PDF/A and checked (archival.py)
    tagged: bool = True  # a tagged PDF: structure tree and marked content (tagging.py)


def build_pdf(medicine: str, *, language: str = "en", template: str = "standard", paper: str = "a4",
              patient: Patient | dict | Path | None = None, notes: str | None = None,
              pharmacy: Path | None = None, fillable: bool = False,
              content_dirs: list[Path] | None = None, pdfa: str | None = None, tagged: bool = True,
              form: str | None = None) -> bytes:
    """Build one leaflet and return the PDF bytes.

    ``patient`` is a :class:`~leaflet.patient.Patient`, a dict of its fields, or a patient file.
    ``notes`` (prescriber notes) replaces any notes in the patient data. ``pdfa`` ("2b" or "3b")
    makes an archival PDF/A file (3b embeds the content file it was made from). ``tagged=False``
    leaves out the structure tree screen readers use (it is there by default). ``form`` (a form id of
    the medicine, e.g. ``tablets``) replaces the patient's form: only content for that form prints. Raises
    :class:`~leaflet.errors.LeafletError` for anything the caller can fix.
    """
    archival.check_level(pdfa)
    req = _request(medicine, language, template, paper, patient, notes, pharmacy, content_dirs, form)
    return render(replace(req, fillable=fillable, pdfa=pdfa, tagged=tagged))


def build_html(medicine: str, *, language: str = "en", template: str = "standard", paper: str = "a4",
               patient: Patient | dict | Path | None = None, notes: str | None = None,
               pharmacy: Path | None = None, content_dirs: list[Path] | None = None,
               form: str | None = None) -> str:
    """Build one leaflet as a self-contained HTML page (the same content, words and order as the PDF).

    The arguments are :func:`build_pdf`'s; ``paper`` only sets the page size for printing.
    """
    req = _request(medicine, language, template, paper, patient, notes, pharmacy, content_dirs, form)
    source, tpl, body_tree = _markup(req)
    pharmacy_loaded = load_pharmacy(req.pharmacy_file) if req.pharmacy_file else None
    page_data: dict[str, Any] = {}
    if pharmacy_loaded:
        shop, logo = pharmacy_loaded
        info = (*shop.address_lines, *([shop.phone] if shop.phone else []))
        page_data = {"pharmacy_name": shop.name, "pharmacy_lines": info, "logo": logo}
    language = source.leaflet.language
    patient_tree = _patient_markup(req, tpl, {"name": page_data.get("pharmacy_name")}, source, reader_shapes=True)
    page = html.Page(language, bool(layout.script_layout(language).get("rtl")), tpl.theme, req.paper,
                     **page_data)
    return html.render(body_tree, patient_tree, page)                               # 4-5: HTML


def _folders(content_dirs) -> tuple[Path, ...]:
    """Content folders as paths: a list of paths or of their names as text, or one of either."""
    if isinstance(content_dirs, (str, os.PathLike)):
        content_dirs = [content_dirs]
    return tuple(Path(folder) for folder in content_dirs or ())


def _request(medicine: str, language: str, template: str, paper: str, patient: Patient | dict | Path | None,
             notes: str | None, pharmacy: Path | None, content_dirs: list[Path] | None,
             form: str | None = None) -> BuildRequest:
    source = None
    if isinstance(patient, (str, os.PathLike)):  # a patient file, named as a string or a path
        patient, source = load_patient_source(Path(patient), form)
    elif isinstance(patient, dict):  # (``form`` replaces its form before it is checked, as a file's)
        source = Loaded(patient, "patient data")
        patient = content.validate(Patient, with_form(source, form))
    elif patient is not None and not isinstance(patient, Patient):
        raise LeafletError(f"patient is a {type(patient).__name__}",
                           hint="pass a Patient, a dict of its fields or the path of a patient file")
    if pharmacy is not None and not isinstance(pharmacy, Path):
        if not isinstance(pharmacy, (str, os.PathLike)):
            raise LeafletError(f"pharmacy is a {type(pharmacy).__name__}", hint="pass the path of a pharmacy file")
        pharmacy = Path(pharmacy)
    patient = patient or Patient()
    if notes is not None:
        patient = patient.model_copy(update={"notes": check_notes(notes)})
    if form is not None:
        patient = patient.model_copy(update={"form": form})
        problem = patient.units_problem()  # (model_copy does not validate: the form's check, again)
        if problem:  # (a Patient object: a file's or dict's was checked with the form already)
            raise ContentError(f"{problem[0]} (the form given with form=)", where=Location("--form"),
                               hint=problem[1])
    if paper not in pdf.PAPER:
        raise LeafletError(f"unknown paper size '{paper}'", hint="use one of: " + ", ".join(pdf.PAPER))
    return BuildRequest(medicine, language, template, paper, patient, pharmacy,
                        content_dirs=_folders(content_dirs), patient_source=source)


def _markup(req: BuildRequest) -> tuple[content.ContentFile, templating.Template, ET.Element]:
    """Stages 1-3: the content file, the template and the body markup (cached)."""
    roots = content.content_roots(list(req.content_dirs))
    source = content.load(content.locate(req.medicine, req.language, roots))     # 1-2: YAML -> model
    if source.leaflet.translation is not None:
        note = translations.build_warning(source.path, source.leaflet)
        if note:
            warnings.warn(note, translations.TranslationWarning, stacklevel=4)
    form = _form(source, req)
    tpl = templating.load_template(req.template)                                   # 3: template
    return source, tpl, _body_markup(source, tpl, form)                            # 3: markup (cached)


def _patient_markup(req: BuildRequest, tpl: templating.Template, pharmacy_data: dict,
                    source: content.ContentFile, notes_on_page_one: bool = True,
                    notes_page: int | None = None, reader_shapes: bool = False) -> ET.Element:
    roots = content.content_roots(list(req.content_dirs))
    data = _patient_data(req.patient, pharmacy_data, tpl, source.leaflet.language, source, roots,
                         reader_shapes)
    data["notes_in_panel"] = tpl.theme.notes.page_one == "panel" and not req.fillable
    data["notes_on_page_one"] = notes_on_page_one
    data["notes_page"] = i18n.page_number(notes_page) if notes_page else None
    return markup.parse(tpl.render_patient(data), str(tpl.folders[0] / templating.PATIENT), "patient")


def render(req: BuildRequest) -> bytes:
    """Run the stages for one request; a patient's text too tall for any page is the user's to fix."""
    rlbridge.install()
    marked = _markup(req)                                                          # 1-3 (once: its warnings)
    _check_strength(req, marked[0])
    try:
        return _render(req, marked)
    except LayoutError:
        error = _too_tall(req, marked)
        if error is None:
            raise  # not the patient's text: a bug, reported as one
        raise error from None


#: Patient fields tried, in this order, when a leaflet cannot be laid out.
_TALL_FIELDS = ("directions", "notes", "name", "prescriber", "pharmacy")


def _too_tall(req: BuildRequest, marked: tuple) -> LeafletError | None:
    """Which of the patient's fields makes the layout impossible: the first whose removal lets the
    leaflet lay out (this runs only after a failure, so it costs nothing on the way to a PDF)."""
    for name in _TALL_FIELDS:
        if getattr(req.patient, name) is None:
            continue
        trial = replace(req, patient=req.patient.model_copy(update={name: None}))
        try:
            _render(trial, marked)
        except LayoutError:
            continue
        return ContentError(f"too much text in {_PATIENT_FIELDS[name]} to fit on one page of the "
                            f"'{req.template}' template ({req.paper})",
                            where=req.patient_source.locate((name,)) if req.patient_source and name != "notes"
                            else Location(field=name),
                            hint="shorten them; a field of the prescription panel cannot run over onto "
                                 "the next page (long instructions belong in the notes)")
    return None


def _check_strength(req: BuildRequest, source: content.ContentFile) -> None:
    """Warn when the strength dispensed is none the medicine is listed in (printed as entered)."""
    unlisted = prescription.unlisted_strength(req.patient, source.leaflet.medicine)
    if unlisted:
        where = req.patient_source.locate(("strength",)) if req.patient_source and \
            "strength" in (req.patient_source.data or {}) else Location(field="strength")
        warnings.warn(f"{where}: {unlisted}", prescription.StrengthWarning, stacklevel=4)


def _render(req: BuildRequest, marked: tuple) -> bytes:
    """The leaflet, its short notes on page 1 with the most important box starting below them; when
    the box does not start on page 1 that way, first the panel's rows are set closer together (a tall
    panel in large print), then its English repeat smaller (large print on Letter paper under a
    pharmacy's header); if that is not enough, the notes go to the end, where page 1 says they are, if that brings the box's start onto page 1:
    its warnings are what page 1 must never be without. A last page of a few lines is saved, where it
    can be, by setting the paragraphs closer together. Notes at the end are named by their page
    (:func:`_naming_the_page`). ``marked``: stages 1-3 (:func:`_markup`)."""
    laid = _laid_out(req, marked, notes_on_page_one=True)
    on_page_one = True
    for level in _tight_levels(marked[1]):
        if laid.pages.get("important", 1) == 1 and not _notes_after_page_one(laid) or \
                level == layout.TIGHTER_PANEL and not laid.repeat:  # (no English repeat: the same layout)
            break
        # first the panel's rows closer together (review finding: a child's liquid in large print, age,
        # weight, discard date and the English repeat, left the box's title a few points short); then,
        # where the theme has a smaller one, the English repeat smaller too (large print on Letter under
        # a pharmacy's header: rather that than the prescriber's notes moved off page 1)
        tight = _laid_out(req, marked, notes_on_page_one=True, tight=level)
        if tight.pages.get("important", 1) <= laid.pages.get("important", 1) and (
                tight.pages.get("important", 1) == 1 or _notes_after_page_one(laid) and not _notes_after_page_one(tight)):
            laid = tight
    if req.patient.notes and (laid.pages.get("important", 1) > 1 or _notes_after_page_one(laid)):
        try:
            moved = _laid_out(req, marked, notes_on_page_one=False, tight=laid.tight)
        except LayoutError:  # (the panel's extra row did not fit: keep the notes where they were)
            moved = None
        # the box's start on page 1; or, when the short notes did not fit there (the panel went on to
        # page 2 with them, review finding), the notes at the end, named on page 1, if that keeps the
        # panel on page 1 and the box no later
        if moved is not None and (moved.pages.get("important") == 1 or (
                _notes_after_page_one(laid) and moved.pages.get(PANEL_END, 1) == 1
                and moved.pages.get("important", 1) <= laid.pages.get("important", 1))):
            laid, on_page_one = moved, False
    if laid.page_count > 1 and laid.last_fill < min(_FEW_LINES, laid.spacing * (1 - layout.CLOSE_SPACING) * _REACHES):
        # a last page with a few lines on it (its sources: review finding, a whole sheet for one source
        # under a pharmacy's header): the space between paragraphs halved, kept if that saves the page
        # and page 1 still has the whole panel, the notes and the box's start. Tried only where the
        # space it takes away is well more than the last page holds (some is lost at each page's foot).
        try:
            closer = _laid_out(req, marked, on_page_one, tight=laid.tight, close=True)
        except LayoutError:
            closer = None
        if closer is not None and closer.page_count < laid.page_count and all(
                closer.pages.get(key, 1) <= laid.pages.get(key, 1) for key in ("important", PANEL_END)) and (
                _notes_after_page_one(closer) <= _notes_after_page_one(laid)):
            laid = closer
    if req.patient.notes and laid.pages.get(_NOTES, 1) > 1:
        laid = _naming_the_page(req, marked, laid, on_page_one)
    return laid.finish(laid.written())


def _tight_levels(tpl: templating.Template) -> list[int]:
    """The panel's closer settings (layout.Options.tight_panel) to try, in turn: the rows and lines
    closer, then the English repeat smaller too (only in a theme with ``panel_repeat_tight``)."""
    return [layout.TIGHT_PANEL] + ([layout.TIGHTER_PANEL] if "panel_repeat_tight" in tpl.theme.styles else [])


#: A last page filled less than this (a share of its body frames) is worth a layout with the text closer.
_FEW_LINES = 0.25
#: How much of the space taken from between paragraphs is reckoned to reach the last page (some is lost
#: at each page's foot). On 352 diazepam builds (examples/patient.yaml and blank) this leaves out 12 of
#: the 74 layouts that were tried, 11 of them ones that did not save the page.
_REACHES = 0.7


#: The outline key of the prescriber notes' box (its ``id`` in the patient template).
_NOTES = "prescriber-notes"


#: The letters of a language's own script, where it is not the Latin one (unicodedata name prefixes).
_OWN_SCRIPT = {"ar": ("ARABIC",), "hi": ("DEVANAGARI",), "zh": ("CJK UNIFIED",), "ko": ("HANGUL",),
               "ja": ("CJK UNIFIED", "HIRAGANA", "KATAKANA"), "ru": ("CYRILLIC",), "uk": ("CYRILLIC",)}


def _in_own_script(text: str, language: str) -> bool:
    """Whether ``text`` has letters of ``language``'s own script (for a language not written in Latin
    letters: text in Latin letters cannot be told apart from English by its letters)."""
    prefixes = _OWN_SCRIPT.get(language.split("-")[0])
    return bool(prefixes) and any(ch.isalpha() and unicodedata.name(ch, "").startswith(prefixes) for ch in text)


#: English words directions are written with: free text with as many of these as words of the
#: leaflet's own language is English (and flagged "not translated").
_ENGLISH_WORDS = frozenset("""a an the and or of to in on at for with by as if is are be it this that these
your you take taken taking give given use used using apply put swallow chew dissolve inhale spray shake
one two three four five six half quarter tablet tablets capsule capsules spoonful spoonfuls drop drops puff
puffs sachet dose doses day days daily week weeks month months every each morning mornings evening
evenings night nights bedtime times once twice three when needed required directed before after food meal
meals water whole do not until then stop hours hour minutes up more than mouth without oral solution
liquid suspension rectal gel injection cream ointment thin layer skin area affected eye eyes ear ears nose
nostril procedure anxiety pain sleep""".split())

#: Letters English words do not have, of languages written in Latin letters: a word with one is the
#: language's own, also where the leaflet does not have that word (an inflected form).
_OWN_LETTERS = {"pl": "ąęłśźżćń", "de": "äöüß", "vi": "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ",
                "cs": "ěščřžůň", "tr": "ğışç", "ro": "ășțâî", "hu": "őű"}

_WORD = re.compile(r"[^\W\d_]{2,}")


#: Words that are no language's: units, and (added per leaflet) the medicine's name.
_NEUTRAL = frozenset("mg ml mcg kg µg iu".split())
#: Parts of a content file that are not its language's printed words: ids, form ids, the sources (often
#: in English), where an import came from, the translation's own record.
_NOT_ITS_WORDS = frozenset({"id", "forms", "sources", "imported_from", "translation", "language", "src",
                            "schema_version", "revision"})


def _in_own_words(text: str, language: str, source: content.ContentFile | None) -> bool:
    """Whether free text is in ``language`` rather than English: its own script, or, for a language
    written in Latin letters, more of its words are words of the leaflet itself (and not English ones)
    than English words (review finding: French, Polish and Vietnamese directions for a leaflet in
    their own language were flagged "not translated")."""
    if _in_own_script(text, language):
        return True
    if source is None or language.split("-")[0] in _OWN_SCRIPT:
        return False
    words = [w.casefold() for w in _WORD.findall(text)]
    own = _leaflet_words(source)
    neutral = _NEUTRAL | {w.casefold() for w in _WORD.findall(source.leaflet.medicine.name)}
    letters = _OWN_LETTERS.get(language.split("-")[0], "")
    mine = sum(1 for w in words if w not in _ENGLISH_WORDS and w not in neutral
               and (w in own or any(ch in letters for ch in w)))
    english = sum(1 for w in words if w in _ENGLISH_WORDS)
    return mine >= 2 and mine > english


@caches.memoize("pipeline.leaflet-words", 64)
def _leaflet_words(source: content.ContentFile) -> frozenset[str]:
    """Every word a leaflet prints in its language, lower case (a content file is one object, cached):
    not its ids, form ids or sources (review finding: "take", "tablets" and "oral" came from ids and
    English source titles, and English directions went unflagged)."""
    texts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in _NOT_ITS_WORDS:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
    walk(source.source.data)
    return frozenset(w.casefold() for text in texts for w in _WORD.findall(text))


def _short_notes(patient_tree: ET.Element) -> bool:
    """Whether the patient markup puts short notes under the panel on page 1 (its ``short-notes``)."""
    return any(fill.get("slot") == "short-notes" for fill in patient_tree.iter("fill"))


def _notes_after_page_one(laid: _Layout) -> bool:
    """Whether short notes meant for page 1 went on to a later page: the panel (holding them, or
    above them) ended after page 1, or their box started after it."""
    return laid.pages.get(PANEL_END, 1) > 1 or (laid.short_notes and laid.pages.get(_NOTES, 1) > 1)


def _naming_the_page(req: BuildRequest, marked: tuple, laid: _Layout, on_page_one: bool) -> _Layout:
    """``laid`` (notes after page 1, the panel saying "at the end") laid out again with the panel naming
    the page the notes start on ("on page 12"); kept only if the notes still start on that page, the
    box on its page and no page is added (a number can change where the panel's sentence breaks),
    else ``laid``. Leaflets with their notes on page 1 never come here: no extra layout for them."""
    page = laid.pages[_NOTES]
    try:
        named = _laid_out(req, marked, on_page_one, notes_page=page, tight=laid.tight, close=laid.close)
    except LayoutError:  # (a longer sentence made the panel too tall: keep the one that fitted)
        return laid
    if named.pages.get(_NOTES) == page and named.page_count <= laid.page_count and \
            named.pages.get("important", 1) <= laid.pages.get("important", 1):
        return named
    return laid


@dataclass(frozen=True)
class _Layout:
    """One layout of a leaflet (stages 4-5): the PDF bytes, the page each outline entry starts on,
    how many pages, and stage 5a-b to finish the bytes with."""

    written: Callable[[], bytes]  # the PDF bytes, written when first asked for (pdf.render_later)
    pages: dict[str, int]
    page_count: int
    finish: Any
    short_notes: bool = False  # short notes were laid out on page 1 (in the panel or under it)
    tight: int = 0  # how much closer the panel's rows were set (layout.Options.tight_panel)
    close: bool = False  # the paragraphs were set closer together (layout.Options.close_spacing)
    last_fill: float = 1.0  # how much of the last page its text fills (pdf.PageFurniture.last_fill)
    spacing: float = 0.0  # the space above and below its paragraphs, in pages (pdf.PageFurniture.spacing)
    repeat: bool = False  # its panel has the "In English" repeat (a field in the theme's panel_repeat)


def _laid_out(req: BuildRequest, marked: tuple, notes_on_page_one: bool, notes_page: int | None = None,
              tight: int = 0, close: bool = False) -> _Layout:
    """Stages 4-5 (:class:`_Layout`); ``notes_page``: the page the panel says the notes start on;
    ``tight``: the prescription panel's rows closer together; ``close``: the paragraphs closer together."""
    source, tpl, body_tree = marked
    pharmacy = load_pharmacy(req.pharmacy_file) if req.pharmacy_file else None
    geo = page_geometry(tpl, req.paper, _info_lines(pharmacy[0]) if pharmacy else      # once, for layout
                        0 if layout.has_header_text(body_tree) else None,                  # and PDF alike
                        pharmacy=pharmacy is not None,
                        right_to_left=bool(layout.script_layout(source.leaflet.language).get("rtl")))
    options = layout.Options(req.fillable, geo.frame_height, source.leaflet.language,
                             column_width=geo.frames(first=True)[0][2] + geo.side,  # the panel spans a side column
                             close_spacing=close)
    branding, pharmacy_data = _branding(pharmacy, req.pharmacy_file, tpl, options)
    body = _laid_out_body(body_tree, tpl, options)                                # 4: layout (cached)
    patient_tree = _patient_markup(req, tpl, pharmacy_data, source, notes_on_page_one, notes_page)
    fills = layout.layout_patient(patient_tree, tpl, replace(options, tight_panel=tight) if tight else options,
                                  str(tpl.folders[0] / templating.PATIENT),
                                  words=_template_words(tpl, source.leaflet.language))
    fills = _fallback_slots(fills, body)
    meta = dict(body.meta)
    meta.setdefault("author", pharmacy_data.get("name") or "leaflet")
    tags = tagging.Collector(source.leaflet.language) if req.tagged else None
    furniture = pdf.PageFurniture(body.footer, body.header, branding, meta, source.leaflet.language,
                                  source.leaflet.revision.date, tags)
    written = pdf.render_later(layout.assemble(body, fills), tpl, geo, furniture)  # 5: PDF bytes (when kept)

    def finish(data: bytes) -> bytes:
        if tags is not None:                                                       # 5a: tagged PDF
            data = tagging.apply(data, tags, title=meta.get("title"), author=meta.get("author"))
        if req.pdfa:                                                               # 5b: PDF/A
            data = archival.to_pdfa(data, req.pdfa, created=source.leaflet.revision.date,
                                    source=_source_file(source) if req.pdfa == "3b" else None)
        return data

    return _Layout(written, furniture.pages, furniture.page_count, finish, short_notes=_short_notes(patient_tree),
                   tight=tight, close=close, last_fill=furniture.last_fill, spacing=furniture.spacing,
                   repeat=any(f.get("style") == "panel_repeat" for f in patient_tree.iter("field")))


@caches.memoize("pipeline.patient-template-words", 64)
def _template_words(tpl: templating.Template, language: str) -> frozenset[str]:
    """The patient template's own words (labels, titles) in ``language``: its attribute texts for a
    blank patient. Their layouts may be kept; nothing a patient gave is among them."""
    tree = markup.parse(tpl.render_patient(_patient_data(Patient(), {}, tpl, language)),
                        str(tpl.folders[0] / templating.PATIENT), "patient")
    return layout.template_words(tree)


def build_file(output: Path, medicine: str, **options: Any) -> bytes:
    """:func:`build_pdf`, then write the file atomically. Returns the bytes written."""
    data = build_pdf(medicine, **options)
    write_atomic(output, data)                                                     # 6: file
    return data


def _source_file(source: content.ContentFile) -> archival.Source:
    """The bytes of the content file ``source`` was loaded from, for embedding; refused if the file
    changed since (the leaflet would not be what the embedded file says)."""
    embedded = archival.source_file(source.path, MAX_BYTES)
    if content.load(source.path) is not source:
        raise LeafletError(f"{display_path(source.path)} changed during the build", hint="build again")
    return embedded


def _form(source: content.ContentFile, req: BuildRequest) -> str | None:
    """The patient's form, checked against the medicine's forms."""
    from_file = req.patient_source is not None and "form" in (req.patient_source.data or {})
    try:
        return forms.check(source.leaflet.medicine, req.patient.form)
    except LeafletError as exc:
        where = req.patient_source.locate(("form",)) if from_file else None
        raise ContentError(exc.message, where=where, hint=exc.hint) from None


@caches.memoize("pipeline.body-markup", 32)
def _body_markup(source: content.ContentFile, tpl: templating.Template, form: str | None = None) -> ET.Element:
    _check_glyphs(source, tpl)
    data = forms.select(source.leaflet.model_dump(mode="json", by_alias=True), form)
    data = figures.inline_files(data, source.path.parent, source.source)  # image files -> data: URIs
    script = layout.script_layout(source.leaflet.language)
    data["layout"] = {"list_columns": min(script.get("columns", 3), tpl.theme.list_columns), "template": tpl.name,
                      "direction": "rtl" if script.get("rtl") else "ltr", "draft_notice": tpl.theme.draft_notice}
    data.update(i18n.functions(source.leaflet.language))
    text = tpl.render_body(data)
    return markup.parse(text, str(tpl.folders[0] / templating.BODY), "leaflet")


@caches.memoize("pipeline.body-layout", 32)
def _laid_out_body(tree: ET.Element, tpl: templating.Template, options: layout.Options) -> layout.Body:
    """The medicine's body as flowables, made once per content, template and options and reused for
    every patient (each build lays out its own copy; the paragraphs' line breaks are shared)."""
    return layout.layout_body(tree, tpl, options, str(tpl.folders[0] / templating.BODY))


clear_caches = caches.clear_caches  # the registry's: every cache of the process


def _check_glyphs(source: content.ContentFile, tpl: templating.Template) -> None:
    """Every character of the content must be drawable; point at the field that is not."""
    def walk(value: Any, path: tuple) -> None:
        if isinstance(value, str):
            for chain in {tpl.body_chain, tpl.heading_chain}:
                require_glyphs(value, chain, where=source.source.locate(path), what="this field")
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, path + (key,))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, path + (index,))
    walk(source.source.data, ())


def _info_lines(pharmacy) -> int:
    return len(pharmacy.address_lines) + (1 if pharmacy.phone else 0)


def _branding(loaded, path: Path | None, tpl: templating.Template,
              options: layout.Options) -> tuple[pdf.Branding | None, dict]:
    """The page header's pharmacy details, in the leaflet's fonts and direction."""
    if loaded is None:
        return None, {}
    pharmacy, logo = loaded
    info = "\n".join([*pharmacy.address_lines, *([pharmacy.phone] if pharmacy.phone else [])])
    for text in (pharmacy.name, info):
        _require_layout(text, options.language, "the pharmacy's details", Location(display_path(path)))
    try:
        name = layout.furniture_text(pharmacy.name, tpl, options, bold=True)
        lines = [layout.furniture_text(info, tpl, options)] if info else []
    except GlyphError as exc:
        raise GlyphError(exc.message, where=Location(display_path(path)), hint=exc.hint) from None
    return (pdf.Branding(name, lines, logo=logo, info_lines=_info_lines(pharmacy), alt=pharmacy.name),
            {"name": pharmacy.name})


def _require_layout(text: str, language: str, what: str, where: Location, reader_shapes: bool = False) -> None:
    """Refuse typed text the leaflet cannot lay out. Right-to-left text only in a right-to-left leaflet:
    in a left-to-right one its letters would print unjoined and in typing order, and numbers among its
    words would change places. Text that needs shaping only where it is shaped (``reader_shapes``: an
    HTML page, which the browser shapes)."""
    script = layout.script_layout(language)
    if script.get("rtl"):
        return
    index = typedtext.right_to_left(text)
    if index is not None:
        raise ContentError(f"{what}: right-to-left text ({typedtext.name(text[index])} at character "
                           f"{index + 1}) that a '{language}' leaflet cannot lay out",
                           where=where, hint="build the leaflet in that language (for Arabic, --lang ar), "
                                             "or write this text in the leaflet's own script")
    # Likewise text that prints right only when shaped, in a PDF that does not shape it: Devanagari
    # vowel signs printed after the consonant they go before ("दनि" for "दिन"). A browser shapes HTML.
    index = None if script.get("shaping") or reader_shapes else typedtext.needs_shaping(text)
    if index is not None:
        raise ContentError(f"{what}: {typedtext.name(text[index])} (character {index + 1}) needs shaping (its "
                           f"letters joined, vowel signs placed), which a '{language}' leaflet does not do: it "
                           "would print out of order", where=where,
                           hint="build the leaflet in that language (for Hindi, --lang hi), or write this "
                                "text in the leaflet's own script")


_PATIENT_FIELDS = {"name": "the patient's name", "prescriber": "the prescriber's name",
                   "pharmacy": "the pharmacy name", "directions": "the directions for use",
                   "notes": "the prescriber notes"}


def _patient_data(patient: Patient, pharmacy: dict[str, str], tpl: templating.Template, language: str,
                  source: content.ContentFile | None = None, roots: list[Path] = (),
                  reader_shapes: bool = False) -> dict[str, Any]:
    """The per-patient template's data; ``source`` (the content) gives the panel's phrases."""
    data = patient.model_dump(mode="json")
    structured = isinstance(patient.directions, directions.Directions)
    if structured:
        data["directions"] = None
    for key, value in data.items():
        if isinstance(value, str):
            _require_layout(value, language, _PATIENT_FIELDS.get(key, key), Location(field=key), reader_shapes)
            for chain in {tpl.body_chain, tpl.heading_chain}:
                require_glyphs(value, chain, what=_PATIENT_FIELDS.get(key, key))
    for key in ("directions", "notes"):  # a number and its unit stay on one line
        if data.get(key):
            data[key] = bind_numbers(data[key])
    words = i18n.functions(language)
    local, english = i18n.translations(language), i18n.translations("en")
    dates = _panel_dates(patient, language)
    return {
        "patient": data,
        "pharmacy": {"name": pharmacy.get("name")},
        "language": language,
        # structured directions as (label, phrase) pairs, in the leaflet's language and in English
        "directions": _bound(directions.lines(patient.directions, local.gettext, local.ngettext, language,
                                              until=patient.stop_date), dates) if structured else [],
        "directions_en": _bound(directions.lines(patient.directions, english.gettext, english.ngettext,
                                                 until=patient.stop_date), dates) if structured and language != "en"
        else [],
        # free text is taken as English, unless it is in the leaflet's own script or words (a pharmacist
        # typed Chinese or French directions for a Chinese or French leaflet: not "untranslated")
        "free_text_untranslated": bool(patient.directions) and not structured and language != "en"
        and not _in_own_words(str(patient.directions), language, source),
        "notes_in_panel": False,  # short notes as a panel row (the theme's notes.page_one; set per build)
        "notes_on_page_one": True,  # short notes may go on page 1 (False: at the end; set per build)
        "notes_page": None,  # the page the notes at the end start on, as printed (set per build)
        **(_prescription(patient, source, roots, local, english, dates) if source is not None
           else {"prescription": _NO_PRESCRIPTION, "prescription_en": ""}),
        **words,
    }



def check_body(path: Path, template: str) -> None:
    """Validate a content file and render its body markup with ``template`` (no PDF)."""
    source = content.load(path)
    tpl = templating.load_template(template)
    body = _body_markup(source, tpl)
    layout.layout_body(body, tpl, layout.Options(language=source.leaflet.language),
                       str(tpl.folders[0] / templating.BODY))


#: The panel's phrases when there is no patient (for the template's own words).
_NO_PRESCRIPTION = {"medicine": None, "directions": [], "duration": None, "quantity": None, "discard": None,
                    "review": None,
                    "age_weight": None, "labels": {}}


def _prescription(patient: Patient, source: content.ContentFile, roots: list[Path], local, english,
                  dates: tuple[tuple[str, str], ...] = ()) -> dict:
    """The panel's phrases (:mod:`leaflet.prescription`) in the leaflet's language and in English."""
    leaflet = source.leaflet
    language = leaflet.language
    form_name = next((f.name for f in leaflet.medicine.forms if f.id and f.id == patient.form), None)
    rows = prescription.rows(patient, leaflet.medicine.name, form_name,
                             prescription.Words(local.gettext, local.ngettext, language))
    english_summary = ""
    if language != "en":
        name, form_en = leaflet.medicine.name, form_name
        try:  # the medicine's English name and form, from the English content when there is one
            en = content.load(content.locate(leaflet.medicine.id, "en", roots)).leaflet
            name = en.medicine.name
            form_en = next((f.name for f in en.medicine.forms if f.id and f.id == patient.form), form_en)
        except LeafletError:
            pass
        english_rows = prescription.rows(patient, name, form_en,
                                         prescription.Words(english.gettext, english.ngettext, "en"))
        english_summary = prescription.english_summary(english_rows)
    rows = {key: _bound(value, dates) for key, value in rows.items()}
    return {"prescription": rows, "prescription_en": _bound(english_summary, dates)}


def _panel_dates(patient: Patient, language: str) -> tuple[tuple[str, str], ...]:
    """The stop, discard and review dates as the panel's phrases write them (in the leaflet's language and
    in English), each with its one-line form (:func:`leaflet.i18n.long_date`)."""
    return tuple((i18n.long_date(day, lang), i18n.long_date(day, lang, one_line=True))
                 for day in (patient.stop_date, patient.discard_date, patient.review_date) if day
                 for lang in dict.fromkeys((language, "en")))


def _bound(value: Any, dates: tuple[tuple[str, str], ...] = ()) -> Any:
    """Phrases with each number tied to the word after it (see :func:`leaflet.inline.bind_numbers`)
    and each of ``dates`` kept on one line."""
    if isinstance(value, str):
        for written, one_line in dates:
            value = value.replace(written, one_line)
        return bind_numbers(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_bound(v, dates) for v in value)
    if isinstance(value, dict):
        return {k: _bound(v, dates) for k, v in value.items()}
    return value


#: A fill for a slot the body does not have goes to this one instead (a template from before the slot).
_SLOT_FALLBACK = {"short-notes": "prescriber-notes"}


def _fallback_slots(fills: dict[str, list], body: layout.Body) -> dict[str, list]:
    """Short notes go on page 1 when the body has the ``short-notes`` slot; in a template without it,
    with the other notes (never dropped)."""
    slots = {item for item in body.flowables if isinstance(item, str)}
    out: dict[str, list] = {}
    for name, flowables in fills.items():
        target = name if name in slots else _SLOT_FALLBACK.get(name, name)
        out.setdefault(target, []).extend(flowables)
    return out
