"""The prescription panel's phrases: what was dispensed, how to take it, how much, until when, for whom.

Everything that prevents a dosing error is printed in the leaflet's language from the phrase
catalogue (and, in a translated leaflet, in English beside it): the strength and form dispensed
("Diazepam 2 mg tablets"), the directions (:mod:`leaflet.directions`), the quantity supplied, the date
to throw away an opened or mixed bottle, and the patient's age and weight (children's doses). Every
number is printed exactly as entered, grouped and pointed the language's way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from . import directions
from .directions import N_, NP_, UNITS, _number, _plural_n
from .errors import LeafletWarning

Tr = Callable[[str], str]
NTr = Callable[[str, str, int], str]

#: A medicine form's id -> how a strength of it reads ("2 mg tablets", "250 mg in 5 mL oral suspension").
FORM_PHRASES = {
    "tablets": N_("{strength} tablets"),
    "capsules": N_("{strength} capsules"),
    "oral-solution": N_("{strength} oral solution"),
    "oral-suspension": N_("{strength} oral suspension"),
    "injection": N_("{strength} injection"),
    "rectal-gel": N_("{strength} rectal gel"),
    "rectal-solution": N_("{strength} rectal solution"),
    "nasal-spray": N_("{strength} nasal spray"),
}
#: Units a strength is given in.
STRENGTH_UNITS = {
    "mg": UNITS["mg"],
    "microgram": NP_("{count} microgram", "{count} micrograms"),
    "g": NP_("{count} g", "{count} g"),
}
PER_VOLUME = N_("{amount} in {volume}")
#: A form the catalogue has no phrase for: the strength beside the content's own name of the form.
OTHER_FORM = N_("{strength} ({form})")
AGE_YEARS = NP_("{count} year", "{count} years")
AGE_MONTHS = NP_("{count} month", "{count} months")
#: a child's age in years and months ("2 years 3 months"; Arabic joins them with "و")
AGE_YEARS_MONTHS = N_("{years} {months}")
WEIGHT_KG = N_("{count} kg")
LABELS = {
    "medicine": N_("Medicine"),
    "quantity": N_("Quantity supplied"),
    "discard": N_("Throw away an opened or mixed bottle on"),
    "review": N_("Next review"),
    "age_weight": N_("Age and weight"),
    "duration": directions.LABELS["duration"],
}


@dataclass(frozen=True)
class Words:
    """The catalogue functions and number conventions of one language."""

    tr: Tr
    ntr: NTr
    language: str

    def count(self, phrase: tuple[str, str], value: Decimal | int) -> str:
        value = Decimal(value)
        return self.ntr(*phrase, _plural_n(value, self.language)).format(count=_number(value, self.language))


def strength(patient: Any, w: Words, before_form: bool = False) -> str | None:
    """"2 mg", "250 mg in 5 mL", or None. ``before_form``: it stands just before the form's name, where an
    English unit is singular ("50 microgram tablets", not "50 micrograms tablets"; but "25 micrograms in
    5 mL oral solution")."""
    if patient.strength is None:
        return None
    unit = STRENGTH_UNITS[patient.strength_unit]
    if before_form and patient.strength_volume_ml is None and w.language.split("-")[0] == "en":  # the catalogue's own words: msgids are English
        amount = w.ntr(*unit, 1).format(count=_number(Decimal(patient.strength), w.language))
    else:
        amount = w.count(unit, patient.strength)
    if patient.strength_volume_ml is None:
        return amount
    return w.tr(PER_VOLUME).format(amount=amount, volume=w.count(UNITS["ml"], patient.strength_volume_ml))


def medicine(patient: Any, medicine_name: str, form_name: str | None, w: Words) -> str | None:
    """"Diazepam 2 mg tablets"; None when neither the strength nor the form is given."""
    amount = strength(patient, w, before_form=patient.form in FORM_PHRASES)
    if amount is None and patient.form is None:
        return None
    if amount is None:
        return f"{medicine_name} ({form_name})" if form_name else medicine_name
    if patient.form is None:
        return f"{medicine_name} {amount}"
    phrase = FORM_PHRASES.get(patient.form)
    product = (w.tr(phrase).format(strength=amount) if phrase
               else w.tr(OTHER_FORM).format(strength=amount, form=form_name or patient.form))
    return f"{medicine_name} {product}"


def age_weight(patient: Any, w: Words) -> str | None:
    """"7 years, 23.5 kg"; None when neither is given."""
    age = [w.count(AGE_YEARS, patient.age_years)] if patient.age_years else []
    if patient.age_months:
        age.append(w.count(AGE_MONTHS, patient.age_months))
    parts = [w.tr(AGE_YEARS_MONTHS).format(years=age[0], months=age[1]) if len(age) == 2 else age[0]] if age else []
    if patient.weight_kg is not None:
        parts.append(w.tr(WEIGHT_KG).format(count=_number(patient.weight_kg, w.language)))
    if not parts:
        return None
    return w.tr(directions.JOIN_TWO).format(first=parts[0], second=parts[1]) if len(parts) == 2 else parts[0]


def rows(patient: Any, medicine_name: str, form_name: str | None, w: Words) -> dict[str, Any]:
    """The panel's phrases in one language: ``medicine``, ``directions`` ((label, phrase) pairs, empty
    for free text), ``duration`` (a stop date beside free-text directions), ``quantity``, ``discard``, ``review``,
    ``age_weight`` and ``labels`` (every row's label); a value is None when not given."""
    from .i18n import long_date

    structured = isinstance(patient.directions, directions.Directions)
    quantity = None
    if patient.quantity is not None:
        quantity = w.count(UNITS[quantity_unit(patient)], patient.quantity)
    return {
        "medicine": medicine(patient, medicine_name, form_name, w),
        "directions": directions.lines(patient.directions, w.tr, w.ntr, w.language, until=patient.stop_date)
        if structured else [],
        "duration": directions.until_phrase(patient.stop_date, w.tr, w.language)
        if patient.stop_date and not structured else None,
        "quantity": quantity,
        "discard": long_date(patient.discard_date, w.language) if patient.discard_date else None,
        "review": long_date(patient.review_date, w.language) if patient.review_date else None,
        "age_weight": age_weight(patient, w),
        "labels": {key: w.tr(msg) for key, msg in LABELS.items()},
    }


def english_summary(english: dict[str, Any]) -> str:
    """The English rows as one line for a translated leaflet ("Medicine: ...; Dose: ...; ...")."""
    labels = english["labels"]
    parts = []
    if english["medicine"]:
        parts.append(f"{labels['medicine']}: {english['medicine']}")
    parts += [f"{label}: {phrase}" for label, phrase in english["directions"]]
    for key in ("duration", "quantity", "discard", "review", "age_weight"):
        if english[key]:
            parts.append(f"{labels[key]}: {english[key]}")
    return "; ".join(parts)


#: A form's id -> the unit its quantity is counted in, when the patient file does not say.
FORM_UNITS = {"tablets": "tablet", "capsules": "capsule", "oral-solution": "ml", "oral-suspension": "ml",
              "rectal-solution": "rectal-tube", "nasal-spray": "spray"}


def quantity_unit(patient: Any) -> str | None:
    """The unit of the quantity supplied: given, or the form's, or the directions' countable unit."""
    if patient.quantity_unit:
        return patient.quantity_unit
    if patient.form in FORM_UNITS:
        return FORM_UNITS[patient.form]
    unit = getattr(patient.directions, "unit", None)
    return unit if unit and unit != "mg" else None


class StrengthWarning(LeafletWarning):
    """The strength dispensed is none of the strengths the medicine's content lists for its form."""


#: The units a listed strength may be written in, in the shipped languages (a test reads every content
#: file's strengths with them), as micrograms: "2 mg", "2 мг", "0,5 mg", "25 microgrammes", "25 마이크로그램".
_STRENGTH_UNITS = {
    **dict.fromkeys(["mg", "\u043c\u0433", "\u6beb\u514b", "\ubc00\ub9ac\uadf8\ub7a8", "\u092e\u093f\u0932\u0940\u0917\u094d\u0930\u093e\u092e",
                     "\u0645\u0644\u063a", "\u0645\u0644\u062c\u0645", "milligram", "milligrams", "milligrammes", "milligramme",
                     "milligramm", "miligram\u00f3w", "miligramy", "miligramos", "miligramo", "miligam"], 1000),
    **dict.fromkeys(["g", "\u0433", "\u514b"], 1_000_000),
    **dict.fromkeys(["microgram", "micrograms", "mcg", "\u00b5g", "\u03bcg", "microgramme", "microgrammes",
                     "mikrogramm", "mikrogram", "mikrogram\u00f3w", "mikrogramy", "microgramo", "microgramos",
                     "microgam", "\u043c\u043a\u0433", "\u043c\u0438\u043a\u0440\u043e\u0433\u0440\u0430\u043c\u043c", "\u043c\u0438\u043a\u0440\u043e\u0433\u0440\u0430\u043c\u043c\u043e\u0432",
                     "\u043c\u0438\u043a\u0440\u043e\u0433\u0440\u0430\u043c\u043c\u0430", "\ub9c8\uc774\ud06c\ub85c\uadf8\ub7a8", "\u092e\u093e\u0907\u0915\u094d\u0930\u094b\u0917\u094d\u0930\u093e\u092e", "\u5fae\u514b",
                     "\u0645\u064a\u0643\u0631\u0648\u063a\u0631\u0627\u0645"], 1),
}
#: A listed strength that is a plain amount ("2 mg", "0,5 mg", "500 microgram"); others are not checked.
_PLAIN_STRENGTH = re.compile(r"\s*(\d+(?:[.,]\d+)?)\s*(\S+)\s*")
#: An amount that reads two ways: "1,000" (or "1.000") is 1 or 1000.
_TWO_READINGS = re.compile(r"[1-9]\d{0,2}[.,]\d{3}")
#: The patient file's units, as micrograms.
_PATIENT_UNITS = {"mg": 1000, "g": 1_000_000, "microgram": 1}


def plain_strength(text: str) -> Decimal | None:
    """A listed strength in micrograms, or None if it is not one amount in a known unit ("2 mg in 5 mL")."""
    match = _PLAIN_STRENGTH.fullmatch(text)
    unit = _STRENGTH_UNITS.get(match.group(2).casefold()) if match else None
    if unit is None or _TWO_READINGS.fullmatch(match.group(1)):  # "1,000 mg": 1 or 1000? not checked
        return None
    return Decimal(match.group(1).replace(",", ".")) * unit


#: The units a liquid's listed strength may give its volume in ("2 mg in 5 mL", "2 мг в 5 мл", "每 5 mL 含 2 mg").
_VOLUME_UNITS = ["ml", "\u043c\u043b", "\u6beb\u5347", "\ubc00\ub9ac\ub9ac\ud130", "\u092e\u093f\u0932\u0940\u0932\u0940\u091f\u0930",
                 "\u0645\u0644", "millilitre", "millilitres", "milliliter", "milliliters", "mililitr", "mililitr\u00f3w",
                 "mililitros", "mililitro"]
#: After a unit: not another letter of its script ("mg" is not the start of "mgx").
_UNIT_ENDS = r"(?![a-z\u00c0-\u024f\u0400-\u04ff\u0600-\u06ff\u0900-\u097f])"
#: An amount in a unit of mass or volume, inside a longer text: the longest unit first ("ملغ" before "مل").
_AMOUNT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(" + "|".join(
    re.escape(u) for u in sorted([*_STRENGTH_UNITS, *_VOLUME_UNITS], key=len, reverse=True)) + ")" + _UNIT_ENDS)
#: "/mL" or "per mL" just after a unit of mass (no number of mL): one mL.
_PER_ML = re.compile(r"(?<=[^\d\s])\s*(?:/|\bper\b)\s*(?=(?:" + "|".join(map(re.escape, _VOLUME_UNITS))
                     + ")" + _UNIT_ENDS + ")")


def _amounts_text(text: str) -> str:
    """A listed strength as its amounts are read: case folded, "5 mg/mL" and "5 mg per mL" as in 1 mL."""
    return _PER_ML.sub(" 1 ", text.casefold())


def per_volume_strength(text: str) -> Fraction | None:
    """A liquid's listed strength as micrograms in 1 mL ("2 mg in 5 mL": 400, exactly: "2 mg in 3 mL" is
    2000/3), or None unless the text has exactly one amount of mass and one of volume, in known units,
    and no other number."""
    text = _amounts_text(text)
    found = list(_AMOUNT.finditer(text))
    if len(found) != 2 or len(re.findall(r"\d+(?:[.,]\d+)?", text)) != 2:
        return None
    mass = [m for m in found if m.group(2) in _STRENGTH_UNITS]
    volume = [m for m in found if m.group(2) in _VOLUME_UNITS]
    if len(mass) != 1 or len(volume) != 1 or any(_TWO_READINGS.fullmatch(m.group(1)) for m in found):
        return None  # (two masses, or "1,000 mg": 1 or 1000?)
    amount, ml = (Fraction(m.group(1).replace(",", ".")) for m in (mass[0], volume[0]))
    if not ml:
        return None
    return amount * _STRENGTH_UNITS[mass[0].group(2)] / ml


def unlisted_strength(patient: Any, medicine: Any) -> str | None:
    """What to tell the pharmacist when the patient's strength is none of those the content lists for
    the form (or for any form, when the patient names none): "2 mg" of a medicine made in 0.5, 1, 3 and
    5 mg is a patient file meant for another medicine, or a typing slip; so is "2500 mg in 5 mL" of a
    suspension made as "250 mg in 5 mL" (a liquid's strength is compared as an amount in 1 mL: "0.4 mg
    in 1 mL" is "2 mg in 5 mL"). None when it is listed, or when a listed strength it is compared with
    cannot be read as one amount (in 1 mL, for a liquid's)."""
    if patient.strength is None or patient.strength_unit is None:
        return None
    forms = [f for f in medicine.forms if patient.form and f.id == patient.form] or list(medicine.forms)
    listed = [text for form in forms for text in form.strengths]
    amount = Fraction(patient.strength) * _PATIENT_UNITS[patient.strength_unit]  # 0.05 mg is 50 micrograms
    shown = f"{patient.strength} {patient.strength_unit}"
    if patient.strength_volume_ml is None:
        amounts = [plain_strength(text) for text in listed]
    else:  # (only the strengths given per volume: a patient without a form compares with the liquids')
        listed = [text for text in listed
                  if any(m.group(2) in _VOLUME_UNITS for m in _AMOUNT.finditer(_amounts_text(text)))]
        amounts = [per_volume_strength(text) for text in listed]
        amount /= Fraction(patient.strength_volume_ml)
        shown += f" in {patient.strength_volume_ml} mL"
    if not listed or None in amounts or amount in amounts:
        return None
    form = next((f.name for f in forms if patient.form and f.id == patient.form), None)
    return (f"{medicine.name}{' ' + form if form else ''} is listed in {', '.join(listed)}, not "
            f"{shown}: check the strength dispensed (or the medicine)")
