"""Structured directions for use, printed in the leaflet's language from a phrase catalogue.

A prescription's directions are data (dose, unit, route, how often, for how long, as-needed reason,
maximum a day); each part is one fixed phrase translated in the gettext catalogue, laid out as
"label: value" lines so no language has to fit an English sentence order. Free-text directions are
still possible but cannot be translated, and are flagged so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


def N_(message: str) -> str:  # noqa: N802 - the gettext convention: mark for extraction only
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - a plural pair, for extraction
    return singular, plural


#: unit -> (singular, plural) msgids
UNITS: dict[str, tuple[str, str]] = {
    "tablet": NP_("{count} tablet", "{count} tablets"),
    "capsule": NP_("{count} capsule", "{count} capsules"),
    "mg": NP_("{count} mg", "{count} mg"),
    "ml": NP_("{count} mL", "{count} mL"),
    "drop": NP_("{count} drop", "{count} drops"),
    "rectal-tube": NP_("{count} rectal tube", "{count} rectal tubes"),
    "spray": NP_("{count} spray", "{count} sprays"),
}
ROUTES = {
    "by-mouth": N_("by mouth (swallow)"),
    "under-tongue": N_("under the tongue"),
    "rectal": N_("into the rectum (back passage)"),
    "nasal": N_("into the nose"),
    "injection": N_("by injection, given by a health professional"),
}
FREQUENCIES = {
    "once-daily": N_("once a day"),
    "twice-daily": N_("twice a day"),
    "three-times-daily": N_("three times a day"),
    "four-times-daily": N_("four times a day"),
    "at-bedtime": N_("at bedtime"),
    "in-the-morning": N_("in the morning"),
    "once-only": N_("once only"),
}
EVERY_HOURS = NP_("every {count} hour", "every {count} hours")
REASONS = {
    "anxiety": N_("anxiety"),
    "muscle-spasm": N_("muscle spasms"),
    "seizure": N_("a seizure (fit)"),
    "sleep": N_("trouble sleeping"),
    "alcohol-withdrawal": N_("alcohol withdrawal symptoms"),
    "before-procedure": N_("before your procedure"),
}
DAYS = NP_("for {count} day", "for {count} days")
MAX_PER_DAY = NP_("no more than {count} dose in 24 hours", "no more than {count} doses in 24 hours")
LABELS = {
    "dose": N_("Dose"),
    "route": N_("How"),
    "when": N_("When"),
    "as_needed": N_("Only when needed for"),
    "duration": N_("How long"),
    "maximum": N_("Maximum"),
    "note": N_("Note"),
}


class Directions(BaseModel):
    """Directions for use as data: every part optional, each from a fixed list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dose: float = Field(gt=0, le=1000)
    unit: Literal[tuple(UNITS)]  # type: ignore[valid-type]
    route: Literal[tuple(ROUTES)] | None = None  # type: ignore[valid-type]
    frequency: Literal[tuple(FREQUENCIES)] | None = None  # type: ignore[valid-type]
    every_hours: int | None = Field(default=None, ge=1, le=72)
    as_needed: Literal[tuple(REASONS)] | None = None  # type: ignore[valid-type]
    days: int | None = Field(default=None, ge=1, le=365)
    max_doses_per_day: int | None = Field(default=None, ge=1, le=24)


def _number(value: float, language: str) -> str:
    """A dose as the language writes it: "0.5" in English, "0,5" in French (always with 0-9 digits)."""
    if float(value).is_integer():
        return str(int(value))
    from babel.numbers import format_decimal

    return format_decimal(value, locale=language.replace("-", "_"), numbering_system="latn")


def _plural_n(value: float, language: str) -> int:
    """The count that picks a fraction's plural form: CLDR says 0.5 is "one" in French, "other" in English."""
    if float(value).is_integer():
        return int(value)
    from babel import Locale

    return 1 if Locale.parse(language.replace("-", "_")).plural_form(value) == "one" else 2


def lines(d: Directions, tr: Callable[[str], str], ntr: Callable[[str, str, int], str],
          language: str = "en") -> list[tuple[str, str]]:
    """The directions as (label, phrase) pairs, translated by ``tr`` (gettext) and ``ntr`` (ngettext)."""
    out: list[tuple[str, str]] = []
    singular, plural = UNITS[d.unit]
    dose = ntr(singular, plural, _plural_n(d.dose, language)).format(count=_number(d.dose, language))
    out.append((tr(LABELS["dose"]), dose))
    if d.route:
        out.append((tr(LABELS["route"]), tr(ROUTES[d.route])))
    when = []
    if d.frequency:
        when.append(tr(FREQUENCIES[d.frequency]))
    if d.every_hours:
        when.append(ntr(*EVERY_HOURS, d.every_hours).format(count=d.every_hours))
    if when:
        out.append((tr(LABELS["when"]), ", ".join(when)))
    if d.as_needed:
        out.append((tr(LABELS["as_needed"]), tr(REASONS[d.as_needed])))
    if d.days:
        out.append((tr(LABELS["duration"]), ntr(*DAYS, d.days).format(count=d.days)))
    if d.max_doses_per_day:
        out.append((tr(LABELS["maximum"]),
                    ntr(*MAX_PER_DAY, d.max_doses_per_day).format(count=d.max_doses_per_day)))
    return out
