"""Caches: one registry, and nothing a patient, prescriber or pharmacy gave outlives its build."""

from __future__ import annotations

import gc
import random
import warnings
from pathlib import Path

import leaflet
from leaflet import caches
from leaflet.translations import TranslationWarning

from .conftest import all_text

# Letters of each script to spell a random number with (a needle no content or template contains).
_DIGITS = {
    "latin": "QZXJKVWYGF",
    "arabic": "ضظغثخذشصقف",
    "devanagari": "कखगघचछजझटठ",
    "han": "鑫淼焱森晶磊品众林从",
}


def _needles() -> dict[str, str]:
    number = f"{random.SystemRandom().randrange(10**9, 10**10)}"
    return {script: "".join(digits[int(d)] for d in number) for script, digits in _DIGITS.items()}


def _build_with_needles(tmp_path: Path, needles: dict[str, str], languages: tuple[str, ...]) -> None:
    """Builds with a needle in every patient field, the notes and the pharmacy file; keeps nothing."""
    latin, arabic, hindi, han = (needles[s] for s in ("latin", "arabic", "devanagari", "han"))
    pharmacy = tmp_path / "pharmacy.yaml"
    pharmacy.write_text(f"name: Pharmacy {latin}\naddress: [{latin} Lane, Town {latin}]\nphone: Tel {latin}\n",
                        encoding="utf-8")
    for language in languages:
        own = {"ar": arabic, "hi": hindi, "zh-Hans": han}.get(language, latin)
        patient = {"name": f"Ann {latin} {own}", "prescriber": f"Dr {own} {latin}",
                   "pharmacy": f"Shop {own}", "date_dispensed": "2026-11-20",
                   "directions": f"Take one {own} {latin} daily."}
        notes = f"Review {own} in 2 weeks.\n{latin} (12 mg) {own}."
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TranslationWarning)
            data = leaflet.build_pdf("diazepam", language=language, patient=patient, notes=notes,
                                     pharmacy=pharmacy)
        if language != "ar":  # it was printed (so the scan below looks for something that was there)
            assert needles["latin"] in all_text(data)


def _live_strings_holding(needles: list[str]) -> list[str]:
    """Every string (or bytes) held by a live object that contains a needle: container items, dict
    keys and values, object attributes. Containers the garbage collector does not track (a tuple or
    dict of strings) are looked into from whatever holds them."""
    found: list[str] = []
    encoded = [n.encode() for n in needles]
    seen: set[int] = set()

    def look(value, depth: int = 0) -> None:
        if isinstance(value, str):
            if any(n in value for n in needles) and not any(value is n for n in needles):
                found.append(value)
        elif isinstance(value, (bytes, bytearray)):
            if any(n in value for n in encoded):
                found.append(repr(value[:80]))
        elif id(value) in seen:
            return
        elif depth < 6 and isinstance(value, dict):
            seen.add(id(value))
            for key, item in list(value.items()):
                look(key, depth + 1)
                look(item, depth + 1)
        elif depth < 6 and isinstance(value, (list, tuple, set, frozenset)):
            seen.add(id(value))
            for item in list(value):
                look(item, depth + 1)

    gc.collect()
    for obj in gc.get_objects():
        if obj is needles or obj is encoded or obj is found or obj is seen:
            continue
        if isinstance(obj, (dict, list, tuple, set, frozenset)):
            look(obj, 1)
            continue
        look(obj)  # a str subclass (a shaped string) is a tracked object itself
        try:  # (not getattr: some objects compute attributes, or refuse)
            attrs = object.__getattribute__(obj, "__dict__")
        except Exception:  # noqa: BLE001 - no attributes of its own
            attrs = None
        if isinstance(attrs, dict):
            look(attrs, 1)
        slots = type(obj).__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            try:
                look(object.__getattribute__(obj, name), 1)
            except Exception:  # noqa: BLE001 - an empty slot
                pass
    return found


def test_no_patient_prescriber_or_pharmacy_text_is_kept_after_builds(tmp_path):
    """After builds in four scripts with a needle in every field people give, no live object holds
    it, whether or not the caches are cleared (and the caches do hold content)."""
    needles = _needles()
    _build_with_needles(tmp_path, needles, ("en", "ar", "hi", "zh-Hans"))
    assert sum(entry.size() for entry in caches.registered()) > 100
    assert _live_strings_holding(list(needles.values())) == []
    leaflet.clear_caches()
    assert _live_strings_holding(list(needles.values())) == []


def test_the_needle_scan_finds_a_kept_string(tmp_path):
    """The scan above can fail: a needle kept in a cache (in a tuple key, as a layout cache would keep
    it) is found."""
    from leaflet import rtl

    needles = _needles()
    assert _live_strings_holding(list(needles.values())) == []
    rtl._WORD_WIDTHS.put((f"Ann {needles['arabic']}", "font", 10.0), 1.0)
    assert set(_live_strings_holding(list(needles.values()))) == {f"Ann {needles['arabic']}"}
    leaflet.clear_caches()
    assert _live_strings_holding(list(needles.values())) == []


def test_clear_caches_clears_every_registered_cache():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        leaflet.build_pdf("diazepam", language="ar", notes="Review in 2 weeks.")
    registered = {entry.name: entry for entry in caches.registered()}
    assert {"pipeline.body-layout", "paragraphs.lines", "rtl.paragraph-lines", "fonts.subsets"} <= set(registered)
    assert all(entry.bound is None or entry.bound > 0 for entry in registered.values())
    assert registered["pipeline.body-layout"].size() > 0 and registered["paragraphs.lines"].size() > 0
    leaflet.clear_caches()
    assert {name: entry.size() for name, entry in registered.items() if entry.size()} == {}


def test_babels_locale_data_is_a_registered_cache():
    """Babel keeps the CLDR data of every locale it loaded (about 1.5 MiB each): a batch worker moving
    on to another language lets it go with the rest."""
    from leaflet import i18n

    i18n.long_date("2026-11-01", "fr")
    registered = {entry.name: entry for entry in caches.registered()}
    assert registered["i18n.babel-locale-data"].size() >= 1
    leaflet.clear_caches()
    assert registered["i18n.babel-locale-data"].size() == 0
    assert i18n.long_date("2026-11-01", "fr") == "1 novembre 2026"  # loaded again
