"""The JSON API for EHRs and pharmacy systems: ``/health``, ``/v1/medicines``, ``/v1/leaflets`` (PDF or
FHIR), ``/v1/preview`` and the issued-leaflet log (``/v1/issued``)."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query
from fastapi.responses import Response

from .. import __version__, content, templating
from ..errors import NotFoundError
from . import builder, fhir, preview
from .exactjson import ExactJSONRoute
from .issued import IssuedLog
from .models import Health, IssuedRecord, LeafletRequest, Medicine, Medicines, Problem, ReprintRequest
from .page import language_name
from .problems import Conflict
from .settings import Settings

ERRORS = {status: {"model": Problem} for status in (404, 409, 413, 422, 503)}
PDF = {"content": {"application/pdf": {}, fhir.MEDIA_TYPE: {}}, "description": "the leaflet"}


def router(settings: Settings, log: IssuedLog, gate: builder.Gate) -> APIRouter:
    api = APIRouter(route_class=ExactJSONRoute)

    @api.get("/health", response_model=Health)
    def health() -> Health:
        return Health(status="ok", version=__version__, medicines=content.available(builder.roots(settings)),
                      templates=templating.shipped_templates(),
                      pharmacy=settings.pharmacy.name if settings.pharmacy else None,
                      issued_log=settings.log_path.name, store_patient_text=settings.store_patient_text)

    @api.get("/v1/medicines", response_model=Medicines)
    def medicines() -> Medicines:
        return Medicines(**catalogue(settings))

    @api.post("/v1/leaflets", responses={200: PDF, **ERRORS})
    def leaflets(req: LeafletRequest, accept: Annotated[str, Header()] = "application/pdf") -> Response:
        """The leaflet as ``application/pdf`` (byte-identical to ``leaflet build`` with the same inputs), or
        with ``Accept: application/fhir+json`` as a FHIR R4 DocumentReference. Either way it is recorded in
        the issued-leaflet log (its id is the ``Leaflet-Issued-Id`` header)."""
        wants_fhir = _prefers_fhir(accept)
        with gate.admit():
            built = builder.build(req.inputs(), settings)
        record = log.record(medicine=req.medicine, language=built.language, template=req.template, paper=req.paper,
                            fillable=req.fillable, form=req.form, content_version=built.content_version,
                            content_sha256=built.content_sha256, leaflet_version=__version__,
                            pharmacy_sha256=pharmacy_sha256(settings), sha256=built.sha256, size=len(built.pdf),
                            patient=req.patient, notes=req.notes, subject=req.subject, encounter=req.encounter,
                            format="fhir" if wants_fhir else "pdf")
        headers = leaflet_headers(built, record.id)
        if wants_fhir:
            title = f"{req.medicine} patient information leaflet ({built.language})"
            resource = fhir.document_reference(built.pdf, issued_id=record.id, issued_at=record.issued_at,
                                               language=built.language, title=title, subject=req.subject,
                                               encounter=req.encounter)
            return Response(resource.model_dump_json(exclude_none=True), media_type=fhir.MEDIA_TYPE, headers=headers)
        return pdf_response(built.pdf, f"{req.medicine}-{built.language}.pdf", headers)

    @api.post("/v1/preview", responses={200: {"content": {"image/png": {}}}, **ERRORS})
    def preview_png(req: LeafletRequest) -> Response:
        """Page 1 of the leaflet as a PNG (not recorded: nothing is issued)."""
        with gate.admit():
            built = builder.build(req.inputs(), settings)
            png = preview.first_page_png(built.pdf, settings.preview_dpi)
        return Response(png, media_type="image/png", headers=leaflet_headers(built, None))

    @api.get("/v1/issued", response_model=list[IssuedRecord])
    def issued(medicine: str | None = None, language: str | None = None,
               since: Annotated[str | None, Query(description="ISO 8601 time, UTC")] = None,
               content_revised: Annotated[bool, Query(
                   description="only leaflets built from content that has since been revised or removed")] = False,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict]:
        """The issued-leaflet log, newest first (patient text is never listed)."""
        if content_revised:
            rows = log.revised(lambda m, lang: current_content(settings, m, lang), limit)
            return [r for r in rows if (medicine is None or r["medicine"] == medicine)
                    and (language is None or r["language"] == language) and (since is None or r["issued_at"] >= since)]
        return [r.public() for r in log.query(medicine=medicine, language=language, since=since, limit=limit)]

    @api.get("/v1/issued/{issued_id}", response_model=IssuedRecord, responses=ERRORS)
    def issued_one(issued_id: str) -> dict:
        record = log.get(issued_id)
        if record is None:
            raise NotFoundError(f"no issued leaflet '{issued_id}'", hint="GET /v1/issued lists them")
        return record.public()

    @api.post("/v1/issued/{issued_id}/reprint", responses={200: PDF, **ERRORS})
    def reprint(issued_id: str, again: Annotated[ReprintRequest | None, Body()] = None) -> Response:
        """The same PDF again, byte for byte, or 409 saying why it cannot be.

        The rebuilt PDF must have the issued one's SHA-256. When the log did not keep the patient text,
        send it again (``patient``, ``notes``) and it is checked the same way; without it the answer is 409.
        """
        record = log.get(issued_id)
        if record is None:
            raise NotFoundError(f"no issued leaflet '{issued_id}'", hint="GET /v1/issued lists them")
        patient, notes = record.stored_patient()
        if record.has_patient_text and record.patient_json is None:
            if again is None or (again.patient is None and again.notes is None):
                raise Conflict("this leaflet's patient text was not stored, so it cannot be reprinted from the log",
                               hint="send the patient and notes again in the body ({\"patient\": ..., \"notes\": "
                                    "...}); the reprint is checked against the issued leaflet's SHA-256")
            patient, notes = again.patient, again.notes
        now = current_content(settings, record.medicine, record.language)
        if now is None or now[1] != record.content_sha256:
            raise Conflict(f"the {record.medicine} '{record.language}' content has been revised since this leaflet "
                           f"was issued (version {record.content_version} -> {now[0] if now else 'removed'})",
                           hint="issue a new leaflet from the current content with POST /v1/leaflets")
        inputs = builder.Inputs(record.medicine, record.language, record.template, record.paper, patient, notes,
                                record.fillable, record.form)
        with gate.admit():
            built = builder.build(inputs, settings)
        if built.sha256 != record.sha256:
            raise Conflict("the rebuilt leaflet is not the one issued (different "
                           + ("patient text, " if record.patient_json is None else "")
                           + "pharmacy branding or leaflet version), so it is not served",
                           hint="issue a new leaflet with POST /v1/leaflets")
        new = log.record(medicine=record.medicine, language=record.language, template=record.template,
                         paper=record.paper, fillable=record.fillable, form=record.form,
                         content_version=built.content_version,
                         content_sha256=built.content_sha256, leaflet_version=__version__,
                         pharmacy_sha256=pharmacy_sha256(settings), sha256=built.sha256, size=len(built.pdf),
                         patient=patient, notes=notes, subject=record.subject, encounter=record.encounter,
                         format="pdf", reprint_of=record.id)
        return pdf_response(built.pdf, f"{record.medicine}-{record.language}.pdf", leaflet_headers(built, new.id))

    return api


def pdf_response(pdf: bytes, filename: str, headers: dict[str, str]) -> Response:
    return Response(pdf, media_type="application/pdf",
                    headers={**headers, "Content-Disposition": f'inline; filename="{filename}"'})


def leaflet_headers(built: builder.Built, issued_id: str | None) -> dict[str, str]:
    headers = {"Server-Timing": f"build;dur={built.milliseconds:.1f}", "Leaflet-Content-Version": built.content_version,
               "Cache-Control": "no-store"}  # patient data: never kept by a cache
    if issued_id:
        headers["Leaflet-Issued-Id"] = issued_id
    if built.warning:
        headers["Leaflet-Warning"] = built.warning.encode("ascii", "replace").decode("ascii")[:300]
    return headers


def current_content(settings: Settings, medicine: str, language: str) -> tuple[str, str] | None:
    """Today's (revision version, content file SHA-256), or None if the content is gone."""
    try:
        path = content.locate(medicine, language, builder.roots(settings))
    except NotFoundError:
        return None
    return content.load(path).leaflet.revision.version, builder.file_sha256(path)


def pharmacy_sha256(settings: Settings) -> str | None:
    if settings.pharmacy is None:
        return None
    try:
        return hashlib.sha256(settings.pharmacy.read_bytes()).hexdigest()
    except OSError:
        return None


def catalogue(settings: Settings) -> dict:
    """Medicines with their languages and forms, templates, paper sizes, and each language's own name."""
    found = content.available(builder.roots(settings))
    medicines, names = [], {}
    for medicine, languages in found.items():
        source = content.load(content.locate(medicine, "en" if "en" in languages else languages[0],
                                             builder.roots(settings))).leaflet
        medicines.append(Medicine(id=medicine, languages=languages, forms=[f.id or f.name for f in source.medicine.forms]))
        names.update({code: language_name(code) for code in languages})
    return {"medicines": medicines, "templates": templating.shipped_templates(), "paper": ["a4", "letter"],
            "languages": names}


def _quality(accept: str, media_type: str) -> tuple[float, int]:
    """How much an ``Accept`` header wants ``media_type`` (its q, 0 to 1; the most specific range that
    names it wins), and how it names it (2: by name, 1: ``type/*``, 0: ``*/*``, -1: not at all)."""
    kind = media_type.split("/")[0]
    best, specific = 0.0, -1
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        name, q = pieces[0].lower(), 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(1.0, max(0.0, float(value)))
                except ValueError:
                    q = 0.0
        rank = 2 if name == media_type else 1 if name == f"{kind}/*" else 0 if name == "*/*" else -1
        if rank > specific:
            best, specific = q, rank
    return best, specific


def _prefers_fhir(accept: str) -> bool:
    """A FHIR DocumentReference when the client names it (``Accept: application/fhir+json``) and wants
    it at least as much as the PDF; ``application/pdf, application/fhir+json;q=0`` is the PDF."""
    fhir_q, named = _quality(accept, fhir.MEDIA_TYPE)
    return named == 2 and fhir_q > 0 and fhir_q >= _quality(accept, "application/pdf")[0]

