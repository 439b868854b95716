"""A real ``leaflet serve`` (uvicorn) on 127.0.0.1, over real HTTP, including a small bounded load test."""

from __future__ import annotations

import hashlib
import itertools
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("uvicorn")
import httpx2 as httpx  # noqa: E402

import leaflet  # noqa: E402
from leaflet.translations import TranslationWarning  # noqa: E402

from .conftest import EXAMPLES  # noqa: E402
from .serving import running_server  # noqa: E402

PATIENTS = [
    {"name": "Ann Example", "directions": {"dose": "2", "unit": "mg", "frequency": "three-times-daily"}},
    {"name": "Bo Li", "prescriber": "Dr Sam Rivera", "directions": "One tablet at night."},
    {"name": "Chidi Okafor", "date_dispensed": "2026-11-20",
     "directions": {"dose": "0.5", "unit": "tablet", "as_needed": "anxiety", "max_doses_per_day": "3"}},
    None,
]
LANGUAGES = ["en", "es", "ru"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("served")
    with running_server(folder, "--pharmacy", str(EXAMPLES / "pharmacy.yaml")) as base:
        yield base


def alone(language: str, patient: dict | None, notes: str | None = None) -> bytes:
    """The same leaflet built alone, in this process, through the Python API."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        return leaflet.build_pdf("diazepam", language=language, patient=patient, notes=notes,
                                 pharmacy=EXAMPLES / "pharmacy.yaml")


def test_health_and_a_leaflet_over_http(server):
    with httpx.Client(base_url=server, timeout=60) as client:
        health = client.get("/health").json()
        assert health["status"] == "ok" and health["pharmacy"] == "pharmacy.yaml"
        response = client.post("/v1/leaflets", json={"medicine": "diazepam", "patient": PATIENTS[0], "notes": "Hi"})
        assert response.status_code == 200
        assert response.content == alone("en", PATIENTS[0], "Hi")
        assert int(response.headers["content-length"]) == len(response.content)
        assert response.headers["server-timing"].startswith("build;dur=")
        problem = client.post("/v1/leaflets", json={"medicine": "nope"})
        assert problem.status_code == 404 and "diazepam" in problem.json()["available"]
        assert client.get("/docs").status_code == 200
        assert "Patient information leaflet" in client.get("/", headers={"Accept-Language": "en"}).text


def test_small_load_every_pdf_identical_to_the_same_build_alone(server):
    """200 requests, 16 at a time, mixed languages and patients; bounded, loopback only."""
    cases = list(itertools.product(LANGUAGES, range(len(PATIENTS))))
    expected = {(lang, p): hashlib.sha256(alone(lang, PATIENTS[p])).hexdigest() for lang, p in cases}
    jobs = [cases[i % len(cases)] for i in range(200)]

    with httpx.Client(base_url=server, timeout=120, limits=httpx.Limits(max_connections=16)) as client:
        def one(case):
            lang, p = case
            body = {"medicine": "diazepam", "language": lang}
            if PATIENTS[p] is not None:
                body["patient"] = PATIENTS[p]
            response = client.post("/v1/leaflets", json=body)
            return case, response.status_code, hashlib.sha256(response.content).hexdigest()

        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(one, jobs))
    assert [status for _, status, _ in results] == [200] * len(jobs)
    wrong = [case for case, _, digest in results if digest != expected[case]]
    assert wrong == []
    with httpx.Client(base_url=server, timeout=60) as client:
        assert len(client.get("/v1/issued", params={"limit": 1000}).json()) >= len(jobs)
