"""The API's request and response bodies (pydantic; they are also the OpenAPI schema at ``/docs``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, WithJsonSchema

from ..patient import Patient
from .builder import Inputs


def _inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON Schema with its ``$defs`` inlined (so it can sit inside another schema)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema) | {"description": "The patient file's fields (every one optional), structured "
                                             "directions included; checked by the same model as a patient file."}


# The patient stays plain data until the builder validates it with the Patient model and the patient file's
# messages (so a JSON request, a YAML file and a CSV row are held to the same rules).
PatientData = Annotated[dict[str, Any] | None, WithJsonSchema(_inline_schema(Patient))]
Name = Annotated[str, Field(min_length=1, max_length=64)]
Reference = Annotated[str, Field(pattern=r"^[A-Za-z]{1,64}/[A-Za-z0-9\-.]{1,64}$", max_length=130)]


class LeafletRequest(BaseModel):
    """One leaflet. Unknown fields are refused. ``form`` (a form id from ``/v1/medicines``, e.g. tablets)
    leaves out content for the other forms, as ``leaflet build --form`` does."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "medicine": "diazepam", "language": "en", "patient": {
            "name": "Ann Example", "directions": {"dose": 2, "unit": "mg", "frequency": "three-times-daily"}},
        "notes": "Review in 2 weeks."}]})

    medicine: Name
    language: Name = "en"
    template: Name = "standard"
    paper: Literal["a4", "letter"] = "a4"
    patient: PatientData = None
    notes: Annotated[str, Field(max_length=20000)] | None = None  # the leaflet's own limit is checked later
    fillable: StrictBool = False
    form: Name | None = None
    subject: Reference | None = Field(None, description="FHIR reference to the patient, e.g. Patient/123")
    encounter: Reference | None = Field(None, description="FHIR reference to the visit, e.g. Encounter/9")

    def inputs(self) -> Inputs:
        return Inputs(self.medicine, self.language, self.template, self.paper, self.patient, self.notes,
                      self.fillable, self.form)


class ReprintRequest(BaseModel):
    """The patient text again, for a leaflet whose patient text the log did not keep."""

    model_config = ConfigDict(extra="forbid")

    patient: PatientData = None
    notes: Annotated[str, Field(max_length=20000)] | None = None


class Problem(BaseModel):
    """Every error: what went wrong, where (``field``), what to do (``hint``)."""

    status: int
    message: str
    field: str | None = None
    hint: str | None = None
    available: list[str] | None = None


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    medicines: dict[str, list[str]]
    templates: list[str]
    pharmacy: str | None
    issued_log: str
    store_patient_text: bool


class Medicine(BaseModel):
    id: str
    languages: list[str]
    forms: list[str]  # form ids (what ``form`` chooses), or names where the content gives no ids


class Medicines(BaseModel):
    medicines: list[Medicine]
    templates: list[str]
    paper: list[str]
    languages: dict[str, str]  # code -> the language's name in itself


class IssuedRecord(BaseModel):
    id: str
    issued_at: str
    medicine: str
    language: str
    template: str
    paper: str
    fillable: bool
    form: str | None
    content_version: str
    content_sha256: str
    leaflet_version: str
    pharmacy_sha256: str | None
    sha256: str
    size: int
    has_patient_text: bool
    patient_text_stored: bool
    subject: str | None
    encounter: str | None
    format: str
    reprint_of: str | None
    current_content_version: str | None = None  # only in the content_revised query
    patient_name: str | None = None  # only in the content_revised query, and only when patient text is stored
