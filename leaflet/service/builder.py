"""Every leaflet the service makes is built by :func:`build`, the one place that calls the pipeline.

One build at a time per process: ``build_pdf`` is safe to call from many threads (issue 8), but threads add
no throughput under the GIL, and translation notes arrive as Python warnings, whose capture
(``warnings.catch_warnings``) is process-wide state. So every build holds ``_BUILD_LOCK``; drop it only
once ``build_pdf`` reports those notes another way. Throughput across cores comes from uvicorn's worker
processes (``leaflet serve --workers N``), each with its own lock.

:class:`Gate` bounds the requests waiting for or in a build; one more is refused (503) rather than queued
without end.
"""

from __future__ import annotations

import hashlib
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import content, templating
from ..errors import LeafletWarning, Location, NotFoundError
from ..patient import Patient, check_notes
from ..pipeline import build_pdf
from ..yamlsafe import Loaded
from .settings import Settings

_BUILD_LOCK = threading.Lock()  # see the module docstring


class Busy(Exception):
    """Too many requests are in flight in this process."""


class Gate:
    """At most ``limit`` requests at a time may wait for or run a build."""

    def __init__(self, limit: int):
        self.limit = limit
        self._count = 0
        self._lock = threading.Lock()

    @contextmanager
    def admit(self) -> Iterator[None]:
        with self._lock:
            if self._count >= self.limit:
                raise Busy()
            self._count += 1
        try:
            yield
        finally:
            with self._lock:
                self._count -= 1


class Unknown(NotFoundError):
    """An unknown medicine, language or template, with what exists (``available``) and which request
    field named it."""

    def __init__(self, message: str, *, field: str, available: list[str], hint: str | None = None):
        super().__init__(message, hint=hint or "available: " + ", ".join(available))
        self.field = field
        self.available = available


@dataclass(frozen=True)
class Inputs:
    """Everything a request decides about a leaflet's bytes (the pharmacy and content folders are the
    service's settings)."""

    medicine: str
    language: str = "en"
    template: str = "standard"
    paper: str = "a4"
    patient: dict[str, Any] | None = None  # the patient file's fields, as sent
    notes: str | None = None
    fillable: bool = False
    form: str | None = None  # the dispensed form's id: content for other forms is left out

    def validated_patient(self) -> Patient | None:
        """The patient through the same model (and messages) as a patient file, so JSON, YAML and CSV
        agree; a field error names ``patient.<field>``."""
        if self.patient is None:
            return None
        return content.validate(Patient, Loaded(self.patient, "patient"))


@dataclass(frozen=True)
class Built:
    pdf: bytes
    sha256: str
    language: str  # the content's language: the one asked for, or the one chosen for it ("zh" -> "zh-Hans")
    content_version: str
    content_sha256: str
    warning: str | None  # a draft or stale translation, a language chosen for the one asked
    milliseconds: float  # time in the build itself (not waiting for the lock)


def check_known(inputs: Inputs, settings: Settings) -> Path:
    """The content file, or :class:`NotFoundError` for an unknown medicine, language or template.

    Only shipped templates are offered over the network: a template path would let a request read the
    server's files.
    """
    where = roots(settings)
    try:
        path = content.locate(inputs.medicine, inputs.language, where)
    except NotFoundError as exc:
        found = content.available(where)
        if inputs.medicine in found:
            raise Unknown(exc.message, field="language", available=found[inputs.medicine], hint=exc.hint) from None
        raise Unknown(exc.message, field="medicine", available=list(found), hint=exc.hint) from None
    shipped = templating.shipped_templates()
    if inputs.template not in shipped:
        raise Unknown(f"unknown template '{inputs.template}'", field="template", available=shipped)
    return path


def roots(settings: Settings) -> list[Path]:
    return content.content_roots(list(settings.content_dirs))


def build(inputs: Inputs, settings: Settings) -> Built:
    """Build one leaflet exactly as ``leaflet build`` would with the same inputs.

    Translation notes (a draft or stale translation, a language chosen for the one asked, e.g. ``zh`` ->
    ``zh-Hans``) are returned in ``Built.warning`` instead of being issued as Python warnings.
    """
    patient = inputs.validated_patient()  # before waiting for the lock
    if inputs.notes is not None:
        check_notes(inputs.notes, where=Location(field="notes"))
    with _BUILD_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LeafletWarning)
        path = check_known(inputs, settings)
        source = content.load(path)
        start = time.perf_counter()
        pdf = build_pdf(inputs.medicine, language=inputs.language, template=inputs.template,
                        paper=inputs.paper, patient=patient, notes=inputs.notes, pharmacy=settings.pharmacy,
                        fillable=inputs.fillable, content_dirs=list(settings.content_dirs), form=inputs.form)
        elapsed = (time.perf_counter() - start) * 1000
    notes = [str(w.message) for w in caught if issubclass(w.category, LeafletWarning)]
    return Built(pdf, hashlib.sha256(pdf).hexdigest(), source.leaflet.language, source.leaflet.revision.version,
                 file_sha256(path), "; ".join(dict.fromkeys(notes)) or None, elapsed)


def file_sha256(path: Path) -> str:
    stat = path.stat()
    return _file_sha256(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _file_sha256(path: Path, _mtime: int, _size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
