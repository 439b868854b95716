"""A leaflet as a FHIR R4 ``DocumentReference``, built and validated with ``fhir.resources`` (its R4B
models match R4 for every element used here)."""

from __future__ import annotations

import base64
import hashlib

from fhir.resources.R4B.documentreference import DocumentReference

MEDIA_TYPE = "application/fhir+json"
LOINC_PATIENT_EDUCATION = {"system": "http://loinc.org", "code": "34895-3", "display": "Education note"}


def document_reference(pdf: bytes, *, issued_id: str, issued_at: str, language: str, title: str,
                       subject: str | None = None, encounter: str | None = None) -> DocumentReference:
    """The PDF as the one attachment of a current DocumentReference (LOINC 34895-3).

    ``language`` is the content's BCP 47 tag; ``issued_at`` (ISO 8601, UTC) is the document's date and the
    attachment's creation; the issued-log id is the master identifier, so the EHR can quote it back.
    """
    resource = {
        "resourceType": "DocumentReference",
        "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{issued_id}"},
        "status": "current",
        "type": {"coding": [LOINC_PATIENT_EDUCATION], "text": "Patient information leaflet"},
        "date": issued_at,
        "description": title,
        "content": [{"attachment": {
            "contentType": "application/pdf",
            "language": language,
            "data": base64.b64encode(pdf).decode("ascii"),
            "size": len(pdf),
            "hash": base64.b64encode(hashlib.sha1(pdf).digest()).decode("ascii"),  # FHIR's hash is SHA-1
            "title": title,
            "creation": issued_at,
        }}],
    }
    if subject:
        resource["subject"] = {"reference": subject}
    if encounter:
        resource["context"] = {"encounter": [{"reference": encounter}]}
    return DocumentReference.model_validate(resource)
