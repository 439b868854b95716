"""What changes per patient and per pharmacy: the prescription panel, notes and branding.

A patient file and a pharmacy (branding) file are small YAML files, loaded as safely as content.
Any field may be left out: the leaflet then prints blank write-in lines for it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from . import typedtext
from .content import validate
from .directions import UNIT_RULES, Count, Directions, Dose, Unit
from .errors import ContentError, Location
from .files import hide_linked_text
from .images import read_logo
from .model import LanguageTag
from .typedtext import TypedLine, TypedLines
from .yamlsafe import Loaded, load_yaml_file

#: Notes longer than this are refused: a leaflet is not the place for a letter.
MAX_NOTES = 6000

#: The longest free-text directions: a few lines of the panel, not a letter (notes are for that).
MAX_DIRECTIONS = 1000

Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), TypedLine]


def _iso_date(value: object) -> object:
    """Dates are YYYY-MM-DD and must exist: nothing else (a number of seconds, a time, 20/11/26)."""
    if isinstance(value, dt.datetime):
        value = value.isoformat()  # refused below: a time of day is not a date
    if isinstance(value, dt.date):
        return _plausible(value, value.isoformat())
    text = value.strip() if isinstance(value, str) else None
    if text is None or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise PydanticCustomError("leaflet", "{message}", {"message": f"expected a date, found {value!r}",
                                                           "hint": "write the date as YYYY-MM-DD, e.g. 2026-11-20"})
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError("leaflet", "{message}", {"message": f"the date {text} does not exist",
                                                           "hint": "check the day and the month"}) from None
    return _plausible(day, text)


#: The years a date on a prescription may have: "0026-11-20" printed "20 November 26", read as 2026.
YEARS = range(1900, 2200)


def _plausible(day: dt.date, text: str) -> dt.date:
    if day.year not in YEARS:
        raise PydanticCustomError("leaflet", "{message}", {
            "message": f"the year of {text} is not a year a prescription can have ({YEARS[0]}-{YEARS[-1]})",
            "hint": "check the year: four digits, e.g. 2026"})
    return day


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
FormId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
                                          max_length=60)]

#: The page header has room for this many lines of address (the phone number is one more).
MAX_ADDRESS_LINES = 4


def _split_lines(value: object) -> object:
    return [line for line in value.splitlines() if line.strip()] if isinstance(value, str) else value
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_NOTES), TypedLines]
FreeDirections = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_DIRECTIONS),
                           TypedLines]


def _directions_kind(value: object) -> str:
    """Structured directions are a mapping (or a Directions); anything else is free text."""
    return "structured" if isinstance(value, (dict, Directions)) else "text"


class Patient(BaseModel):
    """The patient and prescription panel, and the prescriber's notes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Line | None = None
    prescriber: Line | None = None
    pharmacy: Line | None = None  # defaults to the branding file's name
    date_dispensed: IsoDate | None = None
    # structured directions are printed in the leaflet's language; free text cannot be translated
    directions: Annotated[Annotated[Directions, Tag("structured")] | Annotated[FreeDirections, Tag("text")],
                          Discriminator(_directions_kind)] | None = None
    notes: Notes | None = None
    notes_language: LanguageTag | None = None  # the notes' language, where it is not the leaflet's ("en")
    # what was dispensed, how much, until when, for whom (printed in the panel; see leaflet.prescription)
    form: FormId | None = None  # one of the medicine's forms (medicine.forms[].id): prints only its content
    strength: Dose | None = None  # 2 (mg), 250 (mg in 5 mL): exact decimal text
    strength_unit: Literal["mg", "microgram", "g"] | None = None
    strength_volume_ml: Dose | None = None  # "in 5 mL" for a liquid
    quantity: Dose | None = None  # how much was supplied, in quantity_unit (default: the form's unit)
    quantity_unit: Unit | None = None
    stop_date: IsoDate | None = None  # the last day (instead of the directions' days)
    discard_date: IsoDate | None = None  # throw away an opened or mixed bottle on this day
    review_date: IsoDate | None = None  # the treatment's next review (a medicine taken for good has no stop date)
    age_years: Count | None = Field(default=None, ge=1, le=130)
    age_months: Count | None = Field(default=None, ge=1, le=23)
    weight_kg: Dose | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Patient:
        def fail(message: str, hint: str, field: tuple[str, ...] = ()) -> PydanticCustomError:
            # field: where in the file the problem is (the error's own place is the whole patient)
            return PydanticCustomError("leaflet", "{message}", {"message": message, "hint": hint, "field": field})

        if self.strength is not None:
            if self.strength_unit is None:
                raise fail("strength has no strength_unit", "add strength_unit: mg (or microgram, g)", ("strength",))
            if self.strength <= 0:
                raise fail(f"strength {self.strength} must be more than 0", "check the strength", ("strength",))
        elif self.strength_unit or self.strength_volume_ml is not None:
            raise fail("strength_unit or strength_volume_ml without a strength", "add the strength, e.g. strength: 2",
                       ("strength_unit" if self.strength_unit else "strength_volume_ml",))
        if self.strength_volume_ml is not None and not Decimal("0.1") <= self.strength_volume_ml <= 1000:
            raise fail(f"strength_volume_ml {self.strength_volume_ml} is outside 0.1-1000 mL", "check the volume",
                       ("strength_volume_ml",))
        problem = self.units_problem()
        if problem:
            raise fail(*problem)
        if self.quantity is not None:
            from .prescription import quantity_unit

            unit = quantity_unit(self)
            if unit is None:
                raise fail("the quantity has no unit", "add quantity_unit (tablet, capsule, ml, ...)", ("quantity",))
            step = UNIT_RULES[unit].step
            if self.quantity <= 0 or self.quantity % step or self.quantity > 100000:
                raise fail(f"quantity {self.quantity} {unit} is not a possible amount supplied",
                           f"a quantity in {unit} is above 0, at most 100000, in steps of {step}", ("quantity",))
        if self.weight_kg is not None and not Decimal("0.3") <= self.weight_kg <= 400:
            raise fail(f"weight_kg {self.weight_kg} is outside 0.3-400 kg", "check the weight (in kilograms)", ("weight_kg",))
        if self.age_months and self.age_years and self.age_months > 11:
            raise fail(f"age_months {self.age_months} with age_years", "with age_years, give 1-11 months", ("age_months",))
        if self.stop_date and isinstance(self.directions, Directions) and self.directions.days:
            raise fail("both stop_date and the directions' days say how long",
                       "give one of them", ("stop_date",))
        for name in ("stop_date", "discard_date", "review_date"):
            day = getattr(self, name)
            if day and self.date_dispensed and day < self.date_dispensed:
                raise fail(f"{name} {day} is before date_dispensed {self.date_dispensed}", "check the dates", (name,))
        return self


    def units_problem(self) -> tuple[str, str, tuple[str, ...]] | None:
        """A dose and a quantity are amounts of the form dispensed: "Diazepam 2 mg tablets" with "Dose:
        5 mL", or 42 mL of tablets, is a slip that would print as given. A dose in mg fits any form; a
        liquid's dose may also be in drops."""
        from .prescription import FORM_UNITS

        form_unit = FORM_UNITS.get(self.form or "")
        if form_unit is None:
            return None
        if self.strength_volume_ml is not None and form_unit in ("tablet", "capsule"):
            return (f"a strength in a volume (strength_volume_ml) is a liquid's, but the form dispensed is "
                    f"{self.form}", "leave out strength_volume_ml, or check the form (the patient's, or --form "
                    "which replaces it)", ("strength_volume_ml",))
        doses = {form_unit, "mg", *(("drop",) if form_unit == "ml" else ())}
        unit = self.directions.unit if isinstance(self.directions, Directions) else None
        if unit is not None and unit not in doses:
            return (f"the dose is in {unit}, but the form dispensed is {self.form} (its unit: {form_unit})",
                    f"give the dose in {' or '.join(sorted(doses))}, or check the form (the patient's, or --form "
                    "which replaces it)", ("directions", "unit"))
        if self.quantity_unit is not None and self.quantity_unit != form_unit:
            return (f"the quantity is in {self.quantity_unit}, but the form dispensed is {self.form} "
                    f"(its unit: {form_unit})", f"give the quantity in {form_unit}, or check the form (the patient's, "
                    "or --form which replaces it)",
                    ("quantity_unit",))
        return None


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
    """A patient file; every value is read as the text it is (see :func:`~leaflet.yamlsafe.load_yaml_file`)."""
    return load_patient_source(path)[0]


def load_patient_source(path: Path, form: str | None = None) -> tuple[Patient, Loaded]:
    """A patient file and where each of its values is (for errors found later, in layout). ``form``
    (``--form``) replaces the file's ``form`` before the file is checked: the dose must be an amount
    of the form that is printed."""
    try:
        source = load_yaml_file(path, what="patient file", text_scalars=True)
        return validate(Patient, with_form(source, form)), source
    except ContentError as exc:
        raise hide_linked_text(exc, path, "patient file") from None


def with_form(source: Loaded, form: str | None) -> Loaded:
    """Patient data with ``form`` in place of its own (None: as it is)."""
    if form is None or not isinstance(source.data, dict):
        return source
    return dataclasses.replace(source, data={**source.data, "form": form})


def load_pharmacy(path: Path) -> tuple[Pharmacy, bytes | None]:
    """The branding and the logo's bytes (checked to be a PNG or JPEG image)."""
    source = load_yaml_file(path, what="pharmacy file", text_scalars=True)
    pharmacy = validate(Pharmacy, source)
    logo = read_logo(path, pharmacy.logo, source.locate(("logo",))) if pharmacy.logo else None
    return pharmacy, logo


def check_notes(notes: str, where: Location | None = None) -> str:
    """Notes from the command line get the same limit as notes in a patient file."""
    notes = notes.replace("\r\n", "\n").strip()
    if len(notes) > MAX_NOTES:
        raise ContentError(f"the notes are {len(notes)} characters long; at most {MAX_NOTES} fit a leaflet",
                           where=where, hint="shorten the notes, or attach a separate letter")
    notes = typedtext.composed(notes)  # (checked composed: "=" and a slash mark are the one "≠")
    found = typedtext.explain(notes)
    if found:
        raise ContentError(f"the notes contain {found[0]}", where=where, hint=found[1])
    return notes
