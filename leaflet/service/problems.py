"""Errors as JSON with the right status, never a traceback; and the request-body limit.

Every error body is a :class:`~leaflet.service.models.Problem`: ``status``, ``message``, ``field`` (the
request field at fault, e.g. ``patient.directions.dose``), ``hint`` and, for an unknown medicine,
language or template, ``available``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ..errors import ContentError, GlyphError, LeafletError, NotFoundError, TemplateError
from ..pipeline import _PATIENT_FIELDS
from .builder import Busy, Unknown

log = logging.getLogger("leaflet.service")  # the service logs; the library never does


class Conflict(LeafletError):
    """The request cannot be done as asked (409), e.g. a reprint whose content has been revised."""


def problem(status: int, message: str, *, field: str | None = None, hint: str | None = None,
            available: list[str] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"status": status, "message": message, "field": field, "hint": hint, "available": available}
    return JSONResponse({k: v for k, v in body.items() if v is not None or k == "field"}, status_code=status,
                        headers=headers)


def install(app: FastAPI, retry_after: int) -> None:
    """Register the handlers that turn every failure into a :func:`problem`."""

    @app.exception_handler(LeafletError)
    async def leaflet_error(request: Request, exc: LeafletError) -> JSONResponse:
        if isinstance(exc, Unknown):
            return problem(404, exc.message, field=exc.field, hint=exc.hint, available=exc.available)
        if isinstance(exc, Conflict):
            return problem(409, exc.message, field=exc.where.field if exc.where else None, hint=exc.hint)
        if isinstance(exc, NotFoundError):
            return problem(404, exc.message, hint=exc.hint)
        if isinstance(exc, TemplateError) or (exc.where and exc.where.file not in (None, "patient")):
            # a template, content or pharmacy file of the server's is wrong: not the caller's to fix
            log.error("server configuration: %s", exc.format())
            return problem(500, "the service's leaflet files have a problem, so this leaflet cannot be made",
                           hint="tell the people who run this service (`leaflet check` finds it)")
        if isinstance(exc, GlyphError):
            return problem(422, exc.message, field=_glyph_field(exc), hint=exc.hint)
        field = exc.where.field if exc.where else None
        message = exc.message
        if isinstance(exc, ContentError) and exc.where and exc.where.file == "patient":
            field = "patient" + (f".{field}" if field else "")
            message = message.split("\n")[0]  # the first problem (the rest refer to lines of a file)
        return problem(422, message, field=field, hint=exc.hint)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        loc = [str(part) for part in (*first.get("loc", ()), *(first.get("ctx") or {}).get("field", ()))
               if part != "body"]
        if first["type"] == "json_invalid":
            return problem(422, "the request body is not valid JSON", hint=str(first.get("ctx", {}).get("error", "")))
        field = ".".join(loc) or None
        if field is None and first["type"] in ("model_attributes_type", "dict_type", "model_type"):
            return problem(422, "the request body must be a JSON object",
                           hint="send JSON with the header Content-Type: application/json")
        if first["type"] == "extra_forbidden":
            hint = "remove the field or fix its spelling; /docs lists every field"
            return problem(422, f"unknown field '{loc[-1]}'", field=field, hint=hint)
        if first["type"] == "missing":
            return problem(422, f"missing required field '{loc[-1]}'", field=field)
        message = first["msg"].replace("Input should be", "should be")
        return problem(422, f"{message} (found {json.dumps(first.get('input'), default=str)[:60]})", field=field)

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> JSONResponse:
        return problem(503, "too many leaflets are being built; try again shortly",
                       headers={"Retry-After": str(retry_after)})

    @app.exception_handler(sqlite3.Error)
    async def log_failed(request: Request, exc: sqlite3.Error) -> JSONResponse:
        log.error("issued-leaflet log: %s", exc)
        return problem(503, "the issued-leaflet log cannot be written, so no leaflet is issued",
                       hint="tell the people who run this service", headers={"Retry-After": str(retry_after)})

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        incident = uuid.uuid4().hex[:12]
        log.exception("internal error %s", incident)
        return problem(500, f"internal error (incident {incident})",
                       hint="this is a bug in leaflet; the server's log has the details")


def _glyph_field(exc: GlyphError) -> str | None:
    """The request field whose text has the character no font can draw."""
    if exc.where and exc.where.field:
        return exc.where.field
    for key, what in _PATIENT_FIELDS.items():
        if exc.message.endswith(f"found in {what}"):
            return "notes" if key == "notes" else f"patient.{key}"
    return None


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes gets 413 before any route reads it.

    A declared Content-Length is checked first; a body without one is read up to the limit and replayed.
    """

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or ())
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await self._refuse(send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                return await self._refuse(send)
            if not message.get("more_body"):
                break
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    async def _refuse(self, send) -> None:
        response = problem(413, f"the request body is larger than {self.limit} bytes",
                           hint="notes are limited to 6,000 characters; send less")
        await response({"type": "http"}, _no_receive, send)


async def _no_receive():  # pragma: no cover - a JSONResponse never reads the request
    return {"type": "http.disconnect"}
