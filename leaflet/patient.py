"""What changes per patient and per pharmacy: the prescription panel, notes and branding.

A patient file and a pharmacy (branding) file are small YAML files, loaded as safely as content.
Any field may be left out: the leaflet then prints blank write-in lines for it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from .content import validate
from .directions import Directions
from .errors import ContentError, Location
from .files import hide_linked_text
from .images import read_logo
from .yamlsafe import load_yaml_file

#: Notes longer than this are refused: a leaflet is not the place for a letter.
MAX_NOTES = 6000

Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


def _iso_date(value: object) -> object:
    """Dates are YYYY-MM-DD: a number is refused rather than read as seconds since 1970."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("write the date as YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]

#: The page header has room for this many lines of address (the phone number is one more).
MAX_ADDRESS_LINES = 4


def _split_lines(value: object) -> object:
    return [line for line in value.splitlines() if line.strip()] if isinstance(value, str) else value
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_NOTES)]


class Patient(BaseModel):
    """The patient and prescription panel, and the prescriber's notes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Line | None = None
    prescriber: Line | None = None
    pharmacy: Line | None = None  # defaults to the branding file's name
    date_dispensed: IsoDate | None = None
    # structured directions are printed in the leaflet's language; free text cannot be translated
    directions: Directions | Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
    notes: Notes | None = None


class Pharmacy(BaseModel):
    """Pharmacy branding for the page header."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Line
    address: Annotated[list[Line], BeforeValidator(_split_lines), Field(max_length=MAX_ADDRESS_LINES)] = Field(
        default_factory=list)  # a list of lines, or one text with line breaks
    phone: Line | None = None
    logo: Line | None = None  # a PNG or JPEG file, relative to the branding file

    @property
    def address_lines(self) -> list[str]:
        return list(self.address)


def load_patient(path: Path) -> Patient:
    try:
        return validate(Patient, load_yaml_file(path, what="patient file"))
    except ContentError as exc:
        raise hide_linked_text(exc, path, "patient file") from None


def load_pharmacy(path: Path) -> tuple[Pharmacy, bytes | None]:
    """The branding and the logo's bytes (checked to be a PNG or JPEG image)."""
    source = load_yaml_file(path, what="pharmacy file")
    pharmacy = validate(Pharmacy, source)
    logo = read_logo(path, pharmacy.logo, source.locate(("logo",))) if pharmacy.logo else None
    return pharmacy, logo


def check_notes(notes: str, where: Location | None = None) -> str:
    """Notes from the command line get the same limit as notes in a patient file."""
    notes = notes.strip()
    if len(notes) > MAX_NOTES:
        raise ContentError(f"the notes are {len(notes)} characters long; at most {MAX_NOTES} fit a leaflet",
                           where=where, hint="shorten the notes, or attach a separate letter")
    return notes
