"""The service through FastAPI's test client: the API, FHIR, errors, the issued-leaflet log, the page."""

from __future__ import annotations

import base64
import hashlib
import html.parser
import io
import json
import shutil
import sqlite3
import threading
import warnings

import pytest
import yaml

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402
from fhir.resources.R4B.documentreference import DocumentReference  # noqa: E402

import leaflet  # noqa: E402
from leaflet import cli, i18n  # noqa: E402
from leaflet.service import Settings, builder, create_app  # noqa: E402
from leaflet.translations import TranslationWarning  # noqa: E402

from .conftest import EXAMPLES, ROOT, all_text  # noqa: E402

PATIENT = {"name": "Ann Example", "prescriber": "Dr Sam Rivera", "date_dispensed": "2026-11-20",
           "directions": {"dose": "0.5", "unit": "tablet", "route": "by-mouth", "frequency": "twice-daily",
                          "days": "14"}}


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(log_path=tmp_path / "issued.sqlite3", pharmacy=EXAMPLES / "pharmacy.yaml")


def client_for(settings: Settings, **options) -> TestClient:
    """A test client that addresses the service as 127.0.0.1 (it answers loopback host names only)."""
    return TestClient(create_app(settings), base_url="http://127.0.0.1", **options)


@pytest.fixture
def client(settings) -> TestClient:
    return client_for(settings)


def cli_build(tmp_path, medicine: str, *, language="en", template="standard", paper="a4", patient=None,
              notes=None, fillable=False, pharmacy=EXAMPLES / "pharmacy.yaml", content=(), form=None) -> bytes:
    """``leaflet build`` in-process, the patient written to a YAML file as a pharmacy would."""
    argv = ["build", medicine, "--lang", language, "--template", template, "--paper", paper, "-o", "-"]
    if patient is not None:
        path = tmp_path / "patient.yaml"
        path.write_text(yaml.safe_dump(patient, allow_unicode=True), encoding="utf-8")
        argv += ["--patient", str(path)]
    if notes is not None:
        argv += ["--notes", notes]
    if fillable:
        argv.append("--fillable")
    if pharmacy:
        argv += ["--pharmacy", str(pharmacy)]
    for folder in content:
        argv += ["--content", str(folder)]
    if form:
        argv += ["--form", form]
    out, err = io.BytesIO(), io.StringIO()
    assert cli.main(argv, stdout=io.StringIO(), stderr=err, stdout_bytes=out) == 0, err.getvalue()
    return out.getvalue()


def test_health_and_catalogue(client):
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["version"] == leaflet.__version__
    assert "en" in health["medicines"]["diazepam"] and health["pharmacy"] == "pharmacy.yaml"
    listing = client.get("/v1/medicines").json()
    diazepam = next(m for m in listing["medicines"] if m["id"] == "diazepam")
    assert "ar" in diazepam["languages"] and "tablets" in diazepam["forms"]
    assert set(listing["templates"]) >= {"standard", "large-print"}
    assert listing["languages"]["ar"] == "العربية" and listing["languages"]["es"] == "Español"
    assert client.get("/openapi.json").json()["paths"]["/v1/leaflets"]["post"]


@pytest.mark.parametrize("options", [
    {"patient": PATIENT, "notes": "Review in 2 weeks."},
    {"language": "ar", "patient": {"name": "Ann Example", "directions": "One tablet at night."}},
    {"template": "large-print", "paper": "letter", "fillable": True, "notes": "Take with water."},
], ids=["en-structured", "ar-free-text", "large-print-letter-fillable"])
def test_pdf_is_byte_identical_to_leaflet_build(client, tmp_path, options):
    response = client.post("/v1/leaflets", json={"medicine": "diazepam", **options})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    expected = cli_build(tmp_path, "diazepam", **options)
    assert response.content == expected
    if options.get("language") != "ar":
        text = all_text(response.content)
        assert ("Ann Example" in text) == ("patient" in options)
        assert "Riverside Community Pharmacy" in text


@pytest.mark.parametrize("accept, fhir_wanted", [
    ("application/fhir+json", True), ("application/fhir+json, application/pdf", True),
    ("application/fhir+json;q=0.5, application/pdf;q=0.4", True), ("application/pdf", False),
    ("application/pdf, application/fhir+json;q=0", False), ("application/fhir+json;q=0.3, application/pdf", False),
    ("*/*", False), ("application/*", False), ("application/json", False)])
def test_the_accept_header_s_preferences_choose_pdf_or_fhir(client, accept, fhir_wanted):
    """Review finding: ``application/fhir+json;q=0`` (not acceptable) still gave FHIR (a substring match)."""
    response = client.post("/v1/leaflets", json={"medicine": "diazepam"}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json" if fhir_wanted else "application/pdf")


def test_fhir_document_reference(client):
    body = {"medicine": "diazepam", "language": "zh-Hans", "patient": {"name": "Ann Example"},
            "subject": "Patient/123", "encounter": "Encounter/visit-9"}
    response = client.post("/v1/leaflets", json=body, headers={"Accept": "application/fhir+json"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    doc = DocumentReference.model_validate_json(response.content)
    assert doc.status == "current"
    assert (doc.type.coding[0].system, doc.type.coding[0].code) == ("http://loinc.org", "34895-3")
    assert doc.subject.reference == "Patient/123" and doc.context.encounter[0].reference == "Encounter/visit-9"
    attachment = doc.content[0].attachment
    raw = response.json()["content"][0]["attachment"]  # base64 in the JSON; the model holds the bytes
    pdf = base64.b64decode(raw["data"], validate=True)
    assert attachment.data == pdf
    assert pdf == client.post("/v1/leaflets", json=body).content  # the same leaflet as the PDF answer
    assert attachment.contentType == "application/pdf" and attachment.language == "zh-Hans"
    assert attachment.size == len(pdf)
    assert base64.b64decode(raw["hash"], validate=True) == hashlib.sha1(pdf).digest()
    assert attachment.title and attachment.creation
    issued_id = response.headers["leaflet-issued-id"]
    assert doc.masterIdentifier.value == f"urn:uuid:{issued_id}"
    assert client.get(f"/v1/issued/{issued_id}").json()["format"] == "fhir"


def test_a_language_close_to_one_that_exists_is_used_and_said(client, tmp_path):
    response = client.post("/v1/leaflets", json={"medicine": "diazepam", "language": "zh"})
    assert response.status_code == 200
    assert "using 'zh-Hans'" in response.headers["leaflet-warning"]
    assert client.get(f"/v1/issued/{response.headers['leaflet-issued-id']}").json()["language"] == "zh-Hans"
    assert response.content == cli_build(tmp_path, "diazepam", language="zh")


def test_fhir_without_references_has_no_subject(client):
    response = client.post("/v1/leaflets", json={"medicine": "diazepam"}, headers={"Accept": "application/fhir+json"})
    doc = DocumentReference.model_validate_json(response.content)
    assert doc.subject is None and doc.context is None


@pytest.mark.parametrize("body, status, field, says", [
    ({"medicine": "diazepan"}, 404, "medicine", "unknown medicine"),
    ({"medicine": "diazepam", "language": "xx"}, 404, "language", "no 'xx' leaflet"),
    ({"medicine": "diazepam", "template": "../../etc"}, 404, "template", "unknown template"),
    ({"medicine": "diazepam", "form": "tablet"}, 422, None, "tablets, oral-solution"),
    ({"medicine": "diazepam", "paper": "a5"}, 422, "paper", "a4"),
    ({"medicine": "diazepam", "fillable": "yes"}, 422, "fillable", "boolean"),
    ({"language": "en"}, 422, "medicine", "missing"),
    ({"medicine": "diazepam", "subject": "javascript:alert(1)"}, 422, "subject", "pattern"),
    ({"medicine": "diazepam", "patient": {"nmae": "Ann"}}, 422, "patient.nmae", "unknown field 'nmae'"),
    ({"medicine": "diazepam", "patient": {"directions": {"dose": "abc", "unit": "tablet"}}}, 422,
     "patient.directions.dose", "abc"),
    ({"medicine": "diazepam", "patient": {"directions": {"dose": "1", "unit": "teaspoon"}}}, 422,
     "patient.directions.unit", "teaspoon"),
    ({"medicine": "diazepam", "patient": {"date_dispensed": "20/11/2026"}}, 422, "patient.date_dispensed", "date"),
    # a check of several fields names the one to fix (review finding: "patient" alone)
    ({"medicine": "diazepam", "patient": {"form": "tablets", "quantity": "100001"}}, 422, "patient.quantity",
     "not a possible amount"),
    ({"medicine": "diazepam", "patient": {"form": "tablets", "directions": {"dose": "5", "unit": "ml"}}}, 422,
     "patient.directions.unit", "the form dispensed is tablets"),
    ({"medicine": "diazepam", "patient": {"name": "Ann \U0001F600"}}, 422, "patient.name", "U+1F600"),
    ({"medicine": "diazepam", "notes": "Take \u2603 care"}, 422, "notes", "U+2603"),
    ({"medicine": "diazepam", "notes": "x" * 6001}, 422, "notes", "6001 characters"),
])
def test_bad_requests_get_a_clear_json_error(client, body, status, field, says):
    response = client.post("/v1/leaflets", json=body)
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["status"] == status and problem["field"] == field
    assert says in problem["message"] + (problem.get("hint") or "")
    if status == 404:
        assert problem["available"]
    assert "Traceback" not in response.text


def test_unknown_medicine_lists_what_exists(client):
    problem = client.post("/v1/leaflets", json={"medicine": "diazepam", "language": "xx"}).json()
    assert {"en", "ar", "zh-Hans"} <= set(problem["available"])


def test_patient_errors_match_the_patient_file_messages(client, tmp_path):
    """JSON and YAML patients go through one model: the same message for the same mistake."""
    patient = {"name": "Ann", "directions": {"dose": "two", "unit": "tablet"}}
    json_message = client.post("/v1/leaflets", json={"medicine": "diazepam", "patient": patient}).json()["message"]
    path = tmp_path / "patient.yaml"
    path.write_text(yaml.safe_dump(patient), encoding="utf-8")
    err = io.StringIO()
    assert cli.main(["build", "diazepam", "--patient", str(path), "-o", "-"], stderr=err,
                    stdout_bytes=io.BytesIO()) == 2
    assert json_message in err.getvalue()


def test_body_over_the_limit_is_413(tmp_path):
    client = client_for(Settings(log_path=tmp_path / "log.sqlite3", max_body_bytes=1000))
    big = {"medicine": "diazepam", "notes": "x" * 2000}
    assert client.post("/v1/leaflets", json=big).status_code == 413

    def chunks():  # no Content-Length: the limit is counted as the body arrives
        yield b'{"medicine": "diazepam", "notes": "'
        for _ in range(20):
            yield b"x" * 100
        yield b'"}'

    response = client.post("/v1/leaflets", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "1000 bytes" in response.json()["message"]
    assert client.post("/v1/leaflets", json={"medicine": "diazepam"}).status_code == 200


def test_too_many_in_flight_is_503_with_retry_after(tmp_path, monkeypatch):
    client = client_for(Settings(log_path=tmp_path / "log.sqlite3", max_in_flight=1))
    building, release = threading.Event(), threading.Event()
    real = builder.build_pdf

    def slow(*args, **kwargs):
        building.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(builder, "build_pdf", slow)
    first: dict = {}
    worker = threading.Thread(target=lambda: first.update(r=client.post("/v1/leaflets", json={"medicine": "diazepam"})))
    worker.start()
    try:
        assert building.wait(30)
        second = client.post("/v1/leaflets", json={"medicine": "diazepam"})
        assert second.status_code == 503 and int(second.headers["retry-after"]) > 0
        assert "try again" in second.json()["message"]
    finally:
        release.set()
        worker.join(30)
    assert first["r"].status_code == 200  # the one in flight was not disturbed
    assert client.post("/v1/leaflets", json={"medicine": "diazepam"}).status_code == 200


def test_a_bug_is_a_json_500_without_traceback(tmp_path, monkeypatch):
    client = client_for(Settings(log_path=tmp_path / "log.sqlite3"), raise_server_exceptions=False)

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(builder, "build_pdf", broken)
    response = client.post("/v1/leaflets", json={"medicine": "diazepam"})
    assert response.status_code == 500
    assert "internal error" in response.json()["message"]
    assert "Traceback" not in response.text and "secret internals" not in response.text
    assert client.get("/v1/issued").json() == []  # nothing was issued


def _log_bytes(settings: Settings) -> bytes:
    return b"".join(p.read_bytes() for p in settings.log_path.parent.glob(settings.log_path.name + "*"))


def test_the_log_keeps_no_patient_text_by_default(client, settings):
    patient = {"name": "Zebedee Quillfeather", "directions": "Take one Qxv tablet."}
    response = client.post("/v1/leaflets", json={"medicine": "diazepam", "patient": patient, "notes": "Plumtree"})
    pdf = response.content
    record = client.get(f"/v1/issued/{response.headers['leaflet-issued-id']}").json()
    assert record["sha256"] == hashlib.sha256(pdf).hexdigest() and record["size"] == len(pdf)
    assert record["has_patient_text"] and not record["patient_text_stored"]
    assert record["content_version"] == "1.0" and record["template"] == "standard" and record["paper"] == "a4"
    assert record["pharmacy_sha256"] == hashlib.sha256((EXAMPLES / "pharmacy.yaml").read_bytes()).hexdigest()
    stored = _log_bytes(settings)
    for secret in (b"Zebedee", b"Quillfeather", b"Qxv", b"Plumtree"):
        assert secret not in stored

    # a reprint needs the patient text again, and must give the issued bytes
    reprint = f"/v1/issued/{record['id']}/reprint"
    refused = client.post(reprint)
    assert refused.status_code == 409 and "not stored" in refused.json()["message"]
    again = client.post(reprint, json={"patient": patient, "notes": "Plumtree"})
    assert again.status_code == 200 and again.content == pdf
    assert client.get(f"/v1/issued/{again.headers['leaflet-issued-id']}").json()["reprint_of"] == record["id"]
    wrong = client.post(reprint, json={"patient": {**patient, "name": "Zebedee Quilfeather"}, "notes": "Plumtree"})
    assert wrong.status_code == 409 and "not the one issued" in wrong.json()["message"]


def test_a_blank_leaflet_reprints_from_the_log(client):
    first = client.post("/v1/leaflets", json={"medicine": "diazepam", "language": "es", "paper": "letter"})
    again = client.post(f"/v1/issued/{first.headers['leaflet-issued-id']}/reprint")
    assert again.status_code == 200 and again.content == first.content
    assert client.post("/v1/issued/nope/reprint").status_code == 404


def test_stored_patient_text_reprints_byte_for_byte(tmp_path):
    settings = Settings(log_path=tmp_path / "log.sqlite3", store_patient_text=True)
    client = client_for(settings)
    first = client.post("/v1/leaflets", json={"medicine": "diazepam", "patient": PATIENT, "notes": "Hello"})
    assert b"Ann Example" in _log_bytes(settings)
    record = client.get(f"/v1/issued/{first.headers['leaflet-issued-id']}").json()
    assert record["patient_text_stored"]
    again = client.post(f"/v1/issued/{record['id']}/reprint")
    assert again.status_code == 200 and again.content == first.content


@pytest.mark.parametrize("numbers", ['"strength": 0.00000010, "strength_unit": "g"', '"strength": 2.50, "strength_unit": "mg"',
                                     '"weight_kg": 23.750, "age_years": 7'])
def test_json_numbers_reprint_as_they_were_sent(tmp_path, numbers):
    """Review finding: the log wrote a JSON number as Python spells it (0.00000010 as 1.0E-7), so a
    leaflet issued from it could not be reprinted (the exponent was refused)."""
    client = client_for(Settings(log_path=tmp_path / "log.sqlite3", store_patient_text=True))
    body = '{"medicine": "diazepam", "patient": {"name": "Ann", ' + numbers + "}}"
    first = client.post("/v1/leaflets", content=body.encode(), headers={"Content-Type": "application/json"})
    assert first.status_code == 200, first.text
    again = client.post(f"/v1/issued/{first.headers['leaflet-issued-id']}/reprint")
    assert again.status_code == 200 and again.content == first.content, again.text


def test_which_issued_leaflets_were_built_from_content_since_revised(tmp_path):
    content = tmp_path / "content"
    (content / "diazepam").mkdir(parents=True)
    source = content / "diazepam" / "en.yaml"
    shutil.copy(ROOT / "content" / "diazepam" / "en.yaml", source)
    client = client_for(Settings(log_path=tmp_path / "log.sqlite3", content_dirs=(content,), store_patient_text=True))
    old = client.post("/v1/leaflets", json={"medicine": "diazepam", "subject": "Patient/7",
                                            "patient": {"name": "Ann Example"}})
    other = client.post("/v1/leaflets", json={"medicine": "diazepam", "language": "fr"})
    assert old.status_code == other.status_code == 200
    assert client.get("/v1/issued", params={"content_revised": True}).json() == []

    text = source.read_text(encoding="utf-8")
    assert 'version: "1.0"' in text
    source.write_text(text.replace('version: "1.0"', 'version: "1.1"', 1), encoding="utf-8")
    revised = client.get("/v1/issued", params={"content_revised": True}).json()
    assert [r["id"] for r in revised] == [old.headers["leaflet-issued-id"]]
    assert (revised[0]["subject"], revised[0]["patient_name"]) == ("Patient/7", "Ann Example")
    assert (revised[0]["content_version"], revised[0]["current_content_version"]) == ("1.0", "1.1")
    refused = client.post(f"/v1/issued/{revised[0]['id']}/reprint")
    assert refused.status_code == 409 and "revised" in refused.json()["message"]
    assert len(client.get("/v1/issued").json()) == 2


def test_preview_is_page_one_as_png(client):
    response = client.post("/v1/preview", json={"medicine": "diazepam", "patient": PATIENT})
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG\r\n\x1a\n")
    from PIL import Image

    image = Image.open(io.BytesIO(response.content))
    scale = Settings().preview_dpi / 72
    assert abs(image.width - 595 * scale) <= 1 and abs(image.height - 842 * scale) <= 1  # A4
    assert image.convert("L").getextrema()[0] < 50  # there is dark text on it
    assert client.get("/v1/issued").json() == []  # a preview is not an issued leaflet


class _Fields(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields, self.labels, self.root = [], set(), {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.root = attrs
        if tag in ("input", "select", "textarea"):
            self.fields.append(attrs.get("id"))
        if tag == "label":
            self.labels.add(attrs.get("for"))


@pytest.mark.parametrize("lang", ["en", "ar", "fr", "zh-Hans"])
def test_counter_page_has_a_label_on_every_field_in_its_language(client, lang):
    response = client.get("/", params={"lang": lang})
    assert response.status_code == 200 and response.headers["content-language"] == lang
    page = _Fields()
    page.feed(response.text)
    assert len(page.fields) >= 15 and None not in page.fields
    assert set(page.fields) <= page.labels  # a <label for> on every field
    assert page.root == {"lang": lang, "dir": "rtl" if lang == "ar" else "ltr"}
    assert response.text.index('value="standard"') < response.text.index('value="large-print"')  # the default
    words = i18n.translations(lang).gettext
    for english in ("Medicine", "Language", "Unit", "Number of days", "Preview", "Print", "Download"):
        assert f">{words(english)}<" in response.text
        if lang != "en":
            assert f">{english}<" not in response.text
    assert "cdn" not in response.text.lower() and "https://" not in response.text


def test_only_loopback_host_names_are_answered(settings):
    """A web page that rebinds its own name to 127.0.0.1 still cannot use the service."""
    assert client_for(settings).get("/health").status_code == 200
    assert TestClient(create_app(settings), base_url="http://localhost:8000").get("/health").status_code == 200
    rebound = TestClient(create_app(settings), base_url="http://evil.example").get("/v1/issued")
    assert rebound.status_code == 400


def test_a_body_that_is_not_json_is_refused_plainly(client):
    response = client.post("/v1/leaflets", content=b'{"medicine": "diazepam"}', headers={"Content-Type": "text/plain"})
    assert response.status_code == 422 and "JSON" in response.json()["message"]


def test_counter_page_follows_accept_language(client):
    response = client.get("/", headers={"Accept-Language": "de-AT;q=0.9, xx;q=1"})
    assert response.headers["content-language"] == "de"
    assert client.get("/static/counter.js").status_code == 200
    assert client.get("/static/counter.css").headers["content-type"].startswith("text/css")


def test_the_cli_does_not_import_fastapi_unless_serving(tmp_path):
    import subprocess
    import sys

    code = ("import sys, io; from leaflet import cli; cli.main(['list'], stdout=io.StringIO()); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'uvicorn', 'starlette')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_build_runs_one_at_a_time_and_warns_about_drafts(settings):
    """The one build function: translation warnings become data, not process-wide warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        built = builder.build(builder.Inputs("diazepam", "ar"), settings)
    assert built.warning and "draft" in built.warning
    assert built.sha256 == hashlib.sha256(built.pdf).hexdigest()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        assert built.pdf == leaflet.build_pdf("diazepam", language="ar", pharmacy=settings.pharmacy)


def test_a_broken_content_file_is_the_servers_problem_not_the_callers(tmp_path):
    content = tmp_path / "content"
    (content / "diazepam").mkdir(parents=True)
    text = (ROOT / "content" / "diazepam" / "en.yaml").read_text(encoding="utf-8")
    (content / "diazepam" / "en.yaml").write_text(text.replace("sections:", "sektions:", 1), encoding="utf-8")
    client = client_for(Settings(log_path=tmp_path / "log.sqlite3", content_dirs=(content,)))
    response = client.post("/v1/leaflets", json={"medicine": "diazepam"})
    assert response.status_code == 500 and "leaflet check" in response.json()["hint"]
    assert str(tmp_path) not in response.text


@pytest.mark.parametrize("argv, says", [
    (["serve", "--pharmacy", "no-such-pharmacy.yaml"], "pharmacy file"),
    (["serve", "--content", "no-such-folder"], "content folder"),
    (["serve", "--workers", "0"], "--workers"),
    (["serve", "--pharmacy", "{bad}"], "unknown field 'nmae'"),
])
def test_serve_refuses_bad_settings_before_starting(tmp_path, argv, says):
    bad = tmp_path / "pharmacy.yaml"
    bad.write_text("nmae: Riverside\n", encoding="utf-8")
    argv = [arg.replace("{bad}", str(bad)) for arg in argv]
    err = io.StringIO()
    assert cli.main(argv, stderr=err) == 2
    assert says in err.getvalue() and "Traceback" not in err.getvalue()


def test_log_is_sqlite_with_the_documented_columns(client, settings):
    client.post("/v1/leaflets", json={"medicine": "diazepam"})
    with sqlite3.connect(settings.log_path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(issued)")}
    assert {"issued_at", "medicine", "language", "template", "paper", "content_version", "sha256",
            "patient_json"} <= columns


def test_json_numbers_are_read_exactly_and_keys_once(client):
    """JSON's floats would print 1.00000000000000001 as 1 and let the second of two "dose" keys win."""
    def post(body: str):
        return client.post("/v1/leaflets", content=body.encode(), headers={"Content-Type": "application/json"})

    too_fine = post('{"medicine": "diazepam", "patient": {"directions": {"dose": 1.00000000000000001, "unit": "mg"}}}')
    assert too_fine.status_code == 422 and "dose" in too_fine.text
    exponent = post('{"medicine": "diazepam", "patient": {"directions": {"dose": 1e1, "unit": "mg"}}}')
    assert exponent.status_code == 422 and "'1e1' has an exponent" in exponent.text  # what was sent
    # read as the digits sent, as the same text in a patient file is (review finding: 25E-1 printed 2.5
    # and 1.4e1 days printed 14 days, where "25E-1" and "14.0" were refused)
    for number, field, reason in (("25E-1", "dose", "has an exponent"), ("1.4e1", "days", "has an exponent"),
                                  ("14.0", "days", "is not a whole number")):
        directions = {"dose": 2, "unit": "mg", field: number}
        body = json.dumps({"medicine": "diazepam", "patient": {"directions": directions}}).replace(
            f'"{number}"', number)
        refused = post(body)
        assert refused.status_code == 422 and f"'{number}' {reason}" in refused.text, refused.text
        as_text = post(json.dumps({"medicine": "diazepam", "patient": {"directions": directions}}))
        assert as_text.status_code == 422 and reason in as_text.text
    twice = post('{"medicine": "diazepam", "patient": {"directions": {"dose": 2, "dose": 10, "unit": "mg"}}}')
    assert twice.status_code == 422 and "appears twice" in twice.text
    exact = post('{"medicine": "diazepam", "patient": {"directions": {"dose": 0.0625, "unit": "mg"}}}')
    assert exact.status_code == 200
    as_text = post('{"medicine": "diazepam", "patient": {"directions": {"dose": "0.0625", "unit": "mg"}}}')
    assert exact.content == as_text.content  # the JSON number and the same text give the same leaflet


def test_the_dispensed_form_is_chosen_as_on_the_command_line(client, tmp_path):
    """``form`` leaves out the other forms' content, byte for byte as ``leaflet build --form`` does."""
    reply = client.post("/v1/leaflets", json={"medicine": "diazepam", "form": "tablets", "notes": "Hi."})
    assert reply.status_code == 200
    assert reply.content == cli_build(tmp_path, "diazepam", notes="Hi.", form="tablets")
    assert reply.content != client.post("/v1/leaflets", json={"medicine": "diazepam", "notes": "Hi."}).content
    issued = client.get(f"/v1/issued/{reply.headers['Leaflet-Issued-Id']}").json()
    assert issued["form"] == "tablets"


def test_the_api_docs_need_no_internet(client):
    """/docs is Swagger UI from files the service serves itself (FastAPI's default loads it from a CDN)."""
    page = client.get("/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()
    assert "http://" not in page.text and "https://" not in page.text  # nothing from elsewhere
    for asset in ("/static/docs/swagger-ui-bundle.js", "/static/docs/swagger-ui.css", "/openapi.json"):
        assert asset in page.text or asset == "/openapi.json"
        assert client.get(asset).status_code == 200
