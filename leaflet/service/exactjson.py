"""Request bodies read as exactly as patient files: JSON numbers as decimals, duplicate keys refused.

Python's JSON reader turns ``1.00000000000000001`` into the float 1.0 and lets the last of two ``"dose"``
keys win, so a dose sent by a pharmacy system could print as something other than what it sent. Here
numbers with a fraction or exponent arrive as :class:`SentNumber`, a :class:`~decimal.Decimal` that keeps the
digits sent, which ``leaflet.directions`` then accepts or refuses like the same text in a YAML or CSV file, and a repeated
key is a 422 like any other malformed body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise json.JSONDecodeError(f"key '{key}' appears twice in one object", key, 0)
        out[key] = value
    return out


class SentNumber(Decimal):
    """A JSON number with a fraction or an exponent, as its value and as the digits that were sent
    (``text``): ``25E-1`` is refused like the text "25E-1" in a patient file, ``14.0`` days like
    "14.0", and a message quotes what was sent (``1e1``), not Python's spelling of it (``1E+1``)."""

    text: str


def _number(text: str) -> SentNumber:
    number = SentNumber(text)
    number.text = text
    return number


def loads(body: bytes | str) -> Any:
    """JSON with exact decimals (as sent) and no repeated keys."""
    return json.loads(body, parse_float=_number, object_pairs_hook=_no_duplicates)


class _ExactRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


class ExactJSONRoute(APIRoute):
    """An API route whose JSON body is read by :func:`loads`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact(request: Request) -> Response:
            return await handler(_ExactRequest(request.scope, request.receive))

        return exact
