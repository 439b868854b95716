"""One exception family for everything a user can get wrong.

A :class:`LeafletError` carries where the problem is (file, line, column, field) and what to do
about it. The command line prints :meth:`LeafletError.format` and exits with :attr:`exit_code`;
it never shows a traceback for these.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """Where in a user's file a problem is. Every part is optional."""

    file: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    field: str | None = None  # e.g. "sections[2].blocks[0].bullets"

    def __str__(self) -> str:
        parts = []
        if self.file:
            where = self.file
            if self.line:
                where += f":{self.line}"
                if self.column:
                    where += f":{self.column}"
            parts.append(where)
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)


class LeafletWarning(UserWarning):
    """Something about a leaflet that was built that the person who asked for it should know."""


class LeafletError(Exception):
    """A problem the user can fix. Printed as one message, never with a traceback."""

    exit_code = 2

    def __init__(self, message: str, *, where: Location | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def format(self) -> str:
        """The message as shown to a person: location, problem, what to do."""
        text = self.message
        if self.where and str(self.where):
            text = f"{self.where}: {text}"
        if self.hint:
            text += f"\n  -> {self.hint}"
        return text

    def __str__(self) -> str:
        return self.format()


class ContentError(LeafletError):
    """A content, patient or branding file is malformed or invalid."""


class NotFoundError(LeafletError):
    """An unknown medicine, language or template."""


class TemplateError(LeafletError):
    """A template folder, its theme or its markup is wrong."""


class GlyphError(LeafletError):
    """Text contains a character that no configured font can draw."""


class OutputError(LeafletError):
    """The output could not be written."""

    exit_code = 3


def display_path(path: Path | str) -> str:
    """A path as short as is still clear: relative to the working folder when below it.

    Symbolic links are not followed: the path is shown as the user gave it, never as its target.
    """
    p = Path(path)
    try:
        return str(Path(os.path.abspath(p)).relative_to(os.getcwd()))
    except ValueError:
        return str(p)
