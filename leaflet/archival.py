"""Stage 5b (optional): PDF bytes -> PDF/A-2b or PDF/A-3b, checked.

A separate pass over the finished PDF with pikepdf, so the layout stages know nothing of it:

- an output intent with the sRGB ICC profile that ships inside pikepdf (nothing is downloaded);
- XMP metadata that says what the document information says, and declares the PDF/A part and level;
- ReportLab's empty ``/Trans`` (page transition) dictionaries removed;
- for 3b, the content file the leaflet was made from embedded as an associated file
  (``/AF``, ``/AFRelationship /Source``), so an archived record shows exactly what it was made from.

Every date written is the leaflet's revision date and the file identifier is derived from the content,
so the same inputs give the same bytes. The result is checked with pikepdf's PDF/A validator
(``pikepdf.pdfa``, built on veraPDF's rule catalogue); a file it does not approve is never returned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from .errors import LeafletError
from .files import read_limited

LEVELS = ("2b", "3b")
PRODUCER = "leaflet (ReportLab, pikepdf)"
_XMP_DATE_KEYS = ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate")


@dataclass(frozen=True)
class Source:
    """A file to embed in a PDF/A-3 leaflet: what it is called, its bytes and its MIME type."""

    name: str
    data: bytes
    mime: str = "application/yaml"
    description: str = "The content file this leaflet was made from"


class PdfaError(LeafletError):
    """The PDF/A checker did not approve a leaflet: a bug in leaflet, not in the user's input."""

    exit_code = 70


def check_level(level: str | None) -> str | None:
    """``level`` if it is a PDF/A level leaflet writes (or None); a user error otherwise."""
    if level is None or level in LEVELS:
        return level
    raise LeafletError(f"unknown PDF/A level '{level}'", hint="use one of: " + ", ".join(LEVELS))


def to_pdfa(data: bytes, level: str, *, created: dt.date, source: Source | None = None) -> bytes:
    """Return ``data`` (a leaflet PDF) as PDF/A-``level``, checked by pikepdf's validator.

    ``created`` is written as every date of the metadata. ``source`` is embedded for ``3b``.
    Raises :class:`PdfaError` if the result does not pass.
    """
    import pikepdf.pdfa as pdfa  # imported here: the checker's dependencies load only when asked for

    check_level(level)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/AcroForm" in pdf.Root:
            raise LeafletError("a fillable leaflet cannot be made PDF/A here: the PDF/A checker does not "
                               "approve form fields", hint="build the archival copy without --fillable")
        for page in pdf.pages:
            if "/Trans" in page.obj and len(page.obj.Trans) == 0:
                del page.obj.Trans  # ReportLab writes an empty transition dictionary on every page
        if level == "3b" and source is not None:
            _attach(pdf, source, created)
        pdfa.prepare(pdf, level)
        _fix_metadata(pdf, created)
        kwargs = pdfa.resolve_save_kwargs(level, deterministic_id=True)
        out = io.BytesIO()
        pdf.save(out, **kwargs)
    result = out.getvalue()
    report = pdfa.validate_written(io.BytesIO(result), level, save_kwargs=kwargs)
    if not report.passed:
        problems = "; ".join(str(finding) for finding in report.findings[:3])
        raise PdfaError(f"the PDF/A-{level} checker did not approve the leaflet: {problems}",
                        hint="this is a bug in leaflet; build without --pdfa meanwhile")
    return result


def source_file(path: Path, limit: int) -> Source:
    """The content file at ``path`` as a :class:`Source` (at most ``limit`` bytes)."""
    return Source(path.name, read_limited(path, limit, what="content file"))


def _pdf_date(day: dt.date) -> str:
    return f"D:{day:%Y%m%d}000000Z"


def _attach(pdf: pikepdf.Pdf, source: Source, created: dt.date) -> None:
    """Embed ``source`` as an associated file of the document (PDF/A-3 ``/AF``)."""
    stream = pikepdf.Stream(pdf, source.data)
    stream.Type = Name.EmbeddedFile
    stream.Subtype = Name("/" + source.mime)
    stream.Params = Dictionary(Size=len(source.data), ModDate=String(_pdf_date(created)),
                               CheckSum=String(hashlib.md5(source.data, usedforsecurity=False).digest()))
    spec = pdf.make_indirect(Dictionary(
        Type=Name.Filespec, F=String(source.name), UF=String(source.name), Desc=String(source.description),
        EF=Dictionary(F=stream, UF=stream), AFRelationship=Name.Source))
    pdf.Root.AF = Array([spec])
    names = pdf.Root.get("/Names") or pdf.make_indirect(Dictionary())
    names.EmbeddedFiles = Dictionary(Names=Array([String(source.name), spec]))
    pdf.Root.Names = names


def _fix_metadata(pdf: pikepdf.Pdf, created: dt.date) -> None:
    """Make the XMP dates (which pikepdf sets to now) the revision date, and agree with DocInfo."""
    stamp = dt.datetime(created.year, created.month, created.day, tzinfo=dt.UTC).isoformat()
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        for key in _XMP_DATE_KEYS:
            meta[key] = stamp
        meta["pdf:Producer"] = PRODUCER
    pdf.docinfo.Producer = String(PRODUCER)
    for key in ("/CreationDate", "/ModDate"):
        pdf.docinfo[key] = String(_pdf_date(created))
