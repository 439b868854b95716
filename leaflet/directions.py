"""Structured directions for use, printed in the leaflet's language from a phrase catalogue.

A prescription's directions are data (dose, unit, route, how often, for how long, as-needed reason,
maximum a day); they print as a few "label: phrase" lines (dose, when, how long, maximum), each
phrase a natural one in the language ("up to three times a day when needed for anxiety", "half a
tablet"). Phrases are joined only through catalogue entries with placeholders ("{when} {as_needed}"),
so each language chooses its own order. Numbers are printed exactly as entered; the only words that
stand for numbers are the four tablet fractions (a quarter, half, three quarters, one and a half).
Free-text directions are still possible but cannot be translated, and are flagged so.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from . import caches


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
#: With an as-needed reason, a counted frequency is the most a day ("up to three times a day") and
#: every_hours the shortest gap between doses.
UP_TO = {
    "once-daily": N_("up to once a day"),
    "twice-daily": N_("up to twice a day"),
    "three-times-daily": N_("up to three times a day"),
    "four-times-daily": N_("up to four times a day"),
}
GAP_HOURS = NP_("at least {count} hour apart", "at least {count} hours apart")
#: The as-needed reasons as the phrase that follows "when" in the directions.
WHEN_NEEDED = {
    "anxiety": N_("when needed for anxiety"),
    "muscle-spasm": N_("when needed for muscle spasms"),
    "seizure": N_("when needed for a seizure (fit)"),
    "sleep": N_("when needed for trouble sleeping"),
    "alcohol-withdrawal": N_("when needed for alcohol withdrawal symptoms"),
    "before-procedure": N_("before your procedure"),
}
REASONS = WHEN_NEEDED  # the as_needed values
#: Phrases joined into one: each language orders the parts its own way.
JOIN_TWO = N_("{first}, {second}")
WHEN_AS_NEEDED = N_("{when} {as_needed}")
DOSE_ROUTE = N_("{dose}, {route}")
UNTIL = N_("until {date}, then stop")
#: Tablet fractions printed as words ("half a tablet", not "0.5 tablets"); every other dose as digits.
TABLET_FRACTIONS = {
    Decimal("0.25"): N_("a quarter of a tablet"),
    Decimal("0.5"): N_("half a tablet"),
    Decimal("0.75"): N_("three quarters of a tablet"),
    Decimal("1.5"): N_("one and a half tablets"),
}
DAYS = NP_("for {count} day", "for {count} days")
MAX_PER_DAY = NP_("no more than {count} dose in 24 hours", "no more than {count} doses in 24 hours")
LABELS = {
    "dose": N_("Dose"),
    "when": N_("When"),
    "duration": N_("How long"),
    "maximum": N_("Maximum"),
}


#: What a dose in each unit may be: the smallest step (a dose is a whole number of steps), and the
#: usual range. A dose outside the range is refused unless confirmed (``confirm_unusual_dose``); a dose
#: that is not a whole number of steps is always refused (0.3 of a tablet cannot be given).
@dataclass(frozen=True)
class UnitRule:
    step: Decimal
    low: Decimal
    high: Decimal
    step_words: str  # how the step reads in an error message


UNIT_RULES: dict[str, UnitRule] = {
    "tablet": UnitRule(Decimal("0.25"), Decimal("0.25"), Decimal("10"), "quarters of a tablet (0.25, 0.5, 1.5)"),
    "capsule": UnitRule(Decimal("1"), Decimal("1"), Decimal("10"), "whole capsules"),
    "mg": UnitRule(Decimal("0.0001"), Decimal("0.01"), Decimal("4000"), "at most 4 decimal places"),
    "ml": UnitRule(Decimal("0.01"), Decimal("0.1"), Decimal("100"), "at most 2 decimal places"),
    "drop": UnitRule(Decimal("1"), Decimal("1"), Decimal("20"), "whole drops"),
    "rectal-tube": UnitRule(Decimal("1"), Decimal("1"), Decimal("2"), "whole tubes"),
    "spray": UnitRule(Decimal("1"), Decimal("1"), Decimal("4"), "whole sprays"),
}

#: Doses in 24 hours that a frequency means, and the interval in hours it stands for.
FREQUENCY_DOSES = {"once-daily": 1, "twice-daily": 2, "three-times-daily": 3, "four-times-daily": 4,
                   "at-bedtime": 1, "in-the-morning": 1, "once-only": 1}
FREQUENCY_HOURS = {"once-daily": 24, "twice-daily": 12, "three-times-daily": 8, "four-times-daily": 6,
                   "at-bedtime": 24, "in-the-morning": 24}

_DECIMAL = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?")
_WHOLE = re.compile(r"[1-9][0-9]*")


def _fail(message: str, hint: str) -> PydanticCustomError:
    return PydanticCustomError("leaflet", "{message}", {"message": message, "hint": hint})


def _as_text(value: object, example: str) -> str:
    """The number as the text that was entered (YAML and CSV give text; JSON and Python give numbers)."""
    if isinstance(value, bool):
        raise _fail(f"expected a number, found {str(value).lower()}", f"write a number such as {example}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _fail(f"expected a number, found {value}", f"write a number such as {example}")
        return repr(value)  # the shortest text that is this float: 0.1 -> "0.1"
    if isinstance(value, Decimal):  # a JSON number as it was sent (service.exactjson), else its value
        return getattr(value, "text", None) or str(value)
    if isinstance(value, str):
        return value.strip()
    raise _fail(f"expected a number, found {type(value).__name__}", f"write a number such as {example}")


#: The unit a number field is always in (a number typed with it is the number alone).
_FIELD_UNITS = {"weight_kg": "kg", "strength_volume_ml": "ml"}
#: Where a number field's unit is given, for a number typed with some unit after it.
_UNIT_GIVEN = {"dose": "the unit in `unit`", "quantity": "`quantity_unit` (or the form's unit)",
               "strength": "the unit in `strength_unit`", "weight_kg": "kg", "strength_volume_ml": "mL"}


def _explain_number(text: str, example: str, field: str | None = None) -> PydanticCustomError:
    """Why ``text`` is not a plain decimal number, and what to write instead (``field``: the field's
    name, for a number typed with a unit)."""
    low = text.lower()
    if not text:
        reason, hint = "is empty", f"write a number such as {example}, or leave the field out"
    elif re.fullmatch(r"[+-]?0[0-9_]+(\.[0-9]*)?", text):
        plain = text.lstrip("+-").lstrip("0").replace("_", "") or "0"
        plain = "0" + plain if plain.startswith(".") else plain
        reason = "starts with a zero (in YAML 010 means 8)"
        hint = f"write {plain} without the leading zero"
    elif re.fullmatch(r"\.[0-9]+", text):
        reason, hint = "has no digit before the point", f"write 0{text}: a leading zero keeps the point from being missed"
    elif re.fullmatch(r"[0-9]+,[0-9]+", text):
        reason, hint = "has a decimal comma", f"write {text.replace(',', '.')} (a point, whatever the leaflet's language)"
    elif low in ("yes", "no", "true", "false", "on", "off", "y", "n"):
        reason, hint = f"is '{text}', not a number", f"write a number such as {example}"
    elif low.lstrip("+-") in ("nan", ".nan", "inf", ".inf", "infinity"):
        reason, hint = f"is '{text}', not a number", f"write a number such as {example}"
    elif text.startswith("-"):
        reason, hint = "is negative", f"write a number above zero, such as {example}"
    elif text.startswith("+"):
        reason, hint = "has a plus sign", f"write {text[1:]}"
    elif ":" in text:
        reason, hint = "contains ':' (YAML reads 1:30 as 90)", f"write a plain number such as {example}"
    elif re.fullmatch(r"0[xXoObB].*", text):
        reason, hint = "is written in hexadecimal, octal or binary", f"write it in decimal, such as {example}"
    elif re.fullmatch(r"[0-9.]+[eE][+-]?[0-9]+", text):
        reason, hint = "has an exponent", "write the number out in full, such as 0.0001 or 1000"
    elif typed := re.fullmatch(r"([0-9]+(?:[.,][0-9]+)?) ?([^\W\d_]+)", text):
        # "250 mg", "5mL", "2,5 ml": a unit typed after the number. The number alone is suggested only
        # where the word is the field's own unit: "35 lb" is not 35 kg, nor "2 mg" 2 tablets (review finding)
        number, word = typed.groups()
        plain = re.sub(r"^0+(?=\d)", "", number.replace(",", "."))
        reason = f"has '{word}' after the number" + (" and a decimal comma" if "," in number else "")
        if _FIELD_UNITS.get(field or "") == word.casefold():
            hint = f"write only the number, {plain}"
        else:
            hint = (f"write the number alone, in {_UNIT_GIVEN.get(field or '', 'the field`s unit')}"
                    + (", with a point for the decimal comma" if "," in number else "")
                    + f"; if '{word}' is another unit, convert the amount first")
    elif "_" in text or " " in text or "," in text:
        reason, hint = "contains a separator", "write the digits without spaces, commas or underscores: 1000"
    else:
        reason, hint = "is not a plain decimal number", f"write a number such as {example}"
    return _fail(f"'{text}' {reason}", hint)


def parse_decimal(value: object, field: str | None = None) -> Decimal:
    """A dose: plain decimal text (``0.5``, ``10``, ``2.25``) read exactly, trailing zeros dropped.

    Leading zeros, signs, exponents, separators, sexagesimal, hexadecimal, octal and binary forms,
    booleans, NaN and infinities are refused: each is a way for a dose to be read other than as written.
    """
    text = _as_text(value, "0.5 or 10")
    if len(text) > 12:
        raise _fail(f"'{text[:20]}...' has too many digits for a dose", "write the dose as it is given, such as 0.5 or 10")
    if not _DECIMAL.fullmatch(text):
        raise _explain_number(text, "0.5 or 10", field)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return Decimal(text)


def parse_whole(value: object) -> int:
    """A count (hours, days, doses): a whole number written plainly (``8``, ``14``)."""
    text = _as_text(value, "8")
    if len(text) > 6:
        raise _fail(f"'{text[:20]}' is too large", "write a whole number such as 8")
    if not _WHOLE.fullmatch(text):
        if _DECIMAL.fullmatch(text):
            raise _fail(f"'{text}' is not a whole number" if text != "0" else "must be at least 1",
                        "write a whole number such as 8")
        raise _explain_number(text, "8")
    return int(text)


def parse_flag(value: object) -> bool:
    """A yes/no setting: only ``true`` or ``false`` (YAML's yes/on/1 are refused, as everywhere)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip() in ("true", "false"):
        return value.strip() == "true"
    raise _fail(f"expected true or false, found {value!r}", "write true or false")


Dose = Annotated[Decimal, BeforeValidator(lambda value, info: parse_decimal(value, info.field_name))]
Count = Annotated[int, BeforeValidator(parse_whole)]
Flag = Annotated[bool, BeforeValidator(parse_flag)]


def _unit_as_printed(value: object) -> object:
    """``mL``, as the leaflet prints it (and as a pharmacist types it), is the unit ``ml``."""
    return "ml" if value == "mL" else value


#: A unit of a dose or a quantity (``ml`` also written ``mL``)
Unit = Annotated[Literal[tuple(UNITS)], BeforeValidator(_unit_as_printed)]  # type: ignore[valid-type]


class Directions(BaseModel):
    """Directions for use as data: every part optional, each from a fixed list.

    Numbers are read exactly and checked for sense: a dose must be a whole number of the unit's steps
    and in its usual range (``confirm_unusual_dose: true`` accepts one outside it), and the frequency,
    the hours between doses and the maximum a day must agree with each other.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dose: Dose
    unit: Unit
    route: Literal[tuple(ROUTES)] | None = None  # type: ignore[valid-type]
    frequency: Literal[tuple(FREQUENCIES)] | None = None  # type: ignore[valid-type]
    every_hours: Count | None = Field(default=None, ge=1, le=72)
    as_needed: Literal[tuple(REASONS)] | None = None  # type: ignore[valid-type]
    days: Count | None = Field(default=None, ge=1, le=365)
    max_doses_per_day: Count | None = Field(default=None, ge=1, le=24)
    confirm_unusual_dose: Flag = False

    @model_validator(mode="after")
    def _sensible(self) -> Directions:
        rule = UNIT_RULES[self.unit]
        shown = f"{self.dose} {self.unit}"
        if self.dose <= 0:
            raise _fail(f"dose {shown}: a dose must be more than 0", "check the dose")
        if self.dose % rule.step:
            raise _fail(f"dose {shown}: a {self.unit} dose is given in {rule.step_words}",
                        "check the dose; it is never rounded")
        if not rule.low <= self.dose <= rule.high and not self.confirm_unusual_dose:
            raise _fail(f"dose {shown} is outside the usual {rule.low}-{rule.high} {self.unit} for one dose",
                        "check the dose and the unit; if it is right, add confirm_unusual_dose: true")
        implied = FREQUENCY_DOSES.get(self.frequency or "")
        if self.frequency and self.every_hours:
            hours = FREQUENCY_HOURS.get(self.frequency)
            if hours != self.every_hours:
                raise _fail(f"frequency '{self.frequency}' and every_hours {self.every_hours} disagree"
                            + (f" ({self.frequency} is every {hours} hours)" if hours else ""),
                            "give one of them, or make them agree")
        if self.max_doses_per_day:
            if implied and implied > self.max_doses_per_day:
                raise _fail(f"frequency '{self.frequency}' is {implied} doses a day, more than "
                            f"max_doses_per_day {self.max_doses_per_day}", "make the two agree")
            # doses at 0, h, 2h, ... within 24 hours: every 7 hours is 4 doses (0, 7, 14, 21)
            regular = -(-24 // self.every_hours) if self.every_hours and not self.as_needed else 0
            if regular > self.max_doses_per_day:
                raise _fail(f"every_hours {self.every_hours} is {regular} doses a day, more than "
                            f"max_doses_per_day {self.max_doses_per_day}",
                            "make the two agree (with as_needed, every_hours is the shortest gap)")
        if self.frequency == "once-only" and (self.days and self.days > 1 or self.every_hours
                                              or self.max_doses_per_day and self.max_doses_per_day > 1):
            raise _fail("frequency 'once-only' cannot repeat (it has days, every_hours or a maximum above 1)",
                        "remove days, every_hours and max_doses_per_day, or choose another frequency")
        return self


def _number(value: Decimal, language: str) -> str:
    """A dose as entered, in the language's digits-and-separators convention: "0.5" in English,
    "0,5" in French, "1,000" / "1 000" (always 0-9 digits, never rounded, no trailing zeros).

    A whole number below 1,000 has no separator in any language, so it is its digits, without
    loading Babel's locale data (a tenth of a cold English build); a test checks every language's."""
    if value.is_finite() and not value.is_signed() and value == value.to_integral_value() and value < 1000:
        return str(int(value))
    from babel.numbers import format_decimal

    return format_decimal(value, locale=language.replace("-", "_"), numbering_system="latn",
                          decimal_quantization=False)


def _plural_n(value: Decimal, language: str) -> int:
    """The count that picks a plural form: CLDR says 0.5 is "one" in French, "other" in English. A
    fraction is given to gettext as the smallest whole number of its CLDR category ("other" in Arabic
    is 100, "2.5 قرص", not 2, the dual: "2.5 قرصان" read "2.5 two tablets", review finding), or as 2
    where no whole number has it (Russian and Polish fractions take the "few" form: "2,5 таблетки")."""
    if value == value.to_integral_value():
        return int(value)
    return _fraction_count(language, _plural_rule(language)(value))


@caches.memoize("directions.plural-rules", 64)
def _plural_rule(language: str) -> Callable[[Decimal], str]:
    from babel import Locale

    return Locale.parse(language.replace("-", "_")).plural_form


@caches.memoize("directions.fraction-counts", 256)
def _fraction_count(language: str, category: str) -> int:
    if category == "one":
        return 1
    rule = _plural_rule(language)
    return next((n for n in range(2, 1001) if rule(n) == category), 2)


def dose_phrase(d: Directions, tr: Callable[[str], str], ntr: Callable[[str, str, int], str],
                language: str = "en") -> str:
    """The dose as an amount of the unit: "half a tablet", "2.5 mL", "1,000 mg" (exact digits)."""
    if d.unit == "tablet" and d.dose in TABLET_FRACTIONS:
        return tr(TABLET_FRACTIONS[d.dose])
    singular, plural = UNITS[d.unit]
    return ntr(singular, plural, _plural_n(d.dose, language)).format(count=_number(d.dose, language))


def when_phrase(d: Directions, tr: Callable[[str], str], ntr: Callable[[str, str, int], str],
                language: str = "en") -> str | None:
    """How often, regular or as needed, as one phrase: "up to three times a day when needed for anxiety"."""
    parts = []
    if d.frequency:
        parts.append(tr(UP_TO[d.frequency]) if d.as_needed and d.frequency in UP_TO else tr(FREQUENCIES[d.frequency]))
    if d.every_hours:
        phrase = GAP_HOURS if d.as_needed else EVERY_HOURS
        parts.append(ntr(*phrase, d.every_hours).format(count=_number(Decimal(d.every_hours), language)))
    when = tr(JOIN_TWO).format(first=parts[0], second=parts[1]) if len(parts) == 2 else next(iter(parts), None)
    if d.as_needed:
        reason = tr(WHEN_NEEDED[d.as_needed])
        when = tr(WHEN_AS_NEEDED).format(when=when, as_needed=reason) if when else reason
    return when


def until_phrase(until: dt.date, tr: Callable[[str], str], language: str = "en") -> str:
    """"until 4 December 2026, then stop"."""
    from .i18n import long_date

    return tr(UNTIL).format(date=long_date(until, language))


def lines(d: Directions, tr: Callable[[str], str], ntr: Callable[[str, str, int], str],
          language: str = "en", until: dt.date | None = None) -> list[tuple[str, str]]:
    """The directions as (label, phrase) pairs, translated by ``tr`` (gettext) and ``ntr`` (ngettext).

    ``until`` is the patient's stop date (when the directions give no number of days)."""
    dose = dose_phrase(d, tr, ntr, language)
    if d.route:
        dose = tr(DOSE_ROUTE).format(dose=dose, route=tr(ROUTES[d.route]))
    out = [(tr(LABELS["dose"]), dose)]
    when = when_phrase(d, tr, ntr, language)
    if when:
        out.append((tr(LABELS["when"]), when))
    if d.days:
        out.append((tr(LABELS["duration"]), ntr(*DAYS, d.days).format(count=_number(Decimal(d.days), language))))
    elif until:
        out.append((tr(LABELS["duration"]), until_phrase(until, tr, language)))
    if d.max_doses_per_day:
        out.append((tr(LABELS["maximum"]),
                    ntr(*MAX_PER_DAY, d.max_doses_per_day).format(
                        count=_number(Decimal(d.max_doses_per_day), language))))
    return out
