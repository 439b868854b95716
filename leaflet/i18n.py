"""Template words in the leaflet's language: gettext catalogues (PO files) and locale dates.

The catalogues live in ``leaflet/locale/<lang>/LC_MESSAGES/leaflet.po`` and are read with Babel when a
language is first used (PO files are small; reading them avoids a compile step that could go stale).
``make messages`` extracts the words from the templates into ``leaflet/locale/leaflet.pot`` and merges
them into every PO file.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import sys
from pathlib import Path

from . import caches
from .resources import PACKAGE_DIR

LOCALE_DIR = PACKAGE_DIR / "locale"
DOMAIN = "leaflet"


def _babel_locales() -> dict:
    """Babel's own cache of the CLDR data it loaded (dates, numbers, plural rules): about 1.5 MiB a
    locale, kept for the process. Not imported here: a build that never needs Babel never loads it."""
    module = sys.modules.get("babel.localedata")
    return getattr(module, "_cache", None) or {}


def _clear_babel_locales() -> None:
    module = sys.modules.get("babel.localedata")
    if module is not None and hasattr(module, "clear_caches"):
        module.clear_caches()


caches.register("i18n.babel-locale-data", None, lambda: len(_babel_locales()), _clear_babel_locales)


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@caches.memoize("i18n.catalogues", 64)
def translations(language: str) -> _gettext.NullTranslations:
    """The catalogue for ``language``; English (the source) and unknown languages get the identity."""
    path = catalogue_path(language)
    if language == "en" or not path.is_file():
        return _gettext.NullTranslations()
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(path, "rb") as fh:
        catalog = read_po(fh, locale=babel_locale(language), domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def untranslated(language: str) -> list[str]:
    """Template words with no translation in ``language``'s catalogue (all of them if it has none)."""
    stamps = tuple(p.stat().st_mtime_ns if p.is_file() else 0
                   for p in (LOCALE_DIR / f"{DOMAIN}.pot", catalogue_path(language)))
    return list(_untranslated(language, stamps))


@caches.memoize("i18n.untranslated", 64)
def _untranslated(language: str, _stamps: tuple[int, ...]) -> tuple[str, ...]:
    from babel.messages.pofile import read_po

    with open(LOCALE_DIR / f"{DOMAIN}.pot", "rb") as fh:
        template = read_po(fh)
    wanted = [m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id]
    if language == "en":
        return ()
    path = catalogue_path(language)
    if not path.is_file():
        return tuple(wanted)
    with open(path, "rb") as fh:
        catalog = read_po(fh, locale=babel_locale(language))
    done = set()
    for m in catalog:
        strings = m.string if isinstance(m.string, (list, tuple)) else [m.string]
        if m.id and not m.fuzzy and all(strings):
            done.add(m.id if isinstance(m.id, str) else m.id[0])
    return tuple(w for w in wanted if w not in done)


def _subtags(code: str) -> tuple[str, str | None, str | None]:
    """A BCP 47 code's language, script and region, the missing ones filled in from CLDR's likely
    subtags (Babel's data): ``zh`` -> zh, Hans, CN; ``zh-TW`` -> zh, Hant, TW; ``pt`` -> pt, Latn, BR."""
    from babel.core import get_global, parse_locale

    try:
        lang, region, script, _ = parse_locale(code.replace("-", "_"))[:4]
    except ValueError:
        return code, None, None
    likely = get_global("likely_subtags")
    for key in filter(None, (f"{lang}_{script}_{region}" if script and region else None,
                             f"{lang}_{region}" if region else None, f"{lang}_{script}" if script else None, lang)):
        if key in likely:
            _, full_region, full_script, _ = parse_locale(likely[key])[:4]
            return lang, script or full_script, region or full_region
    return lang, script, region


def negotiate(requested: str, available: list[str]) -> str | None:
    """The available language that serves a request for ``requested`` (BCP 47): the same code, else
    the same language in the same script, preferring the same region (``zh``, ``zh-CN`` and ``zh-SG``
    -> ``zh-Hans``; ``pt-BR`` -> ``pt``; ``zh-TW``, written in Traditional characters, finds no
    ``zh-Hans``). None if none does."""
    if requested in available:
        return requested
    lang, script, region = _subtags(requested)
    same = [code for code in available if _subtags(code)[:2] == (lang, script)]
    same.sort(key=lambda code: (_subtags(code)[2] != region, code))
    return same[0] if same else None


def babel_locale(language: str) -> str:
    """``zh-Hans`` -> ``zh_Hans`` (Babel's spelling)."""
    return language.replace("-", "_")


def long_date(value: dt.date | str, language: str = "en", one_line: bool = False) -> str:
    """A date written out for the language, e.g. "1 November 2026", "1 de noviembre de 2026".

    ``one_line``: its words joined by no-break spaces, so a line never breaks inside it (the
    prescription panel's dates; "20 / November / 2026" in a narrow cell). Babel's narrow no-break
    space ("2026 г.") becomes one too: ReportLab breaks lines at a narrow one."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if language == "en":  # the common case, without loading Babel's locale data
        text = f"{value.day} {value:%B} {value.year}"
    else:
        from babel.dates import format_date

        text = format_date(value, format="long", locale=babel_locale(language))
    return text.replace(" ", "\u00a0").replace("\u202f", "\u00a0") if one_line else text


def page_number(number: int) -> str:
    """A page number as a leaflet prints it, in every language: 0-9 digits ("12"), as in the footer's
    "Page 12 of 14" and the contents list, Arabic and Hindi leaflets included (their numbers in the
    text are 0-9 digits too), so a reference to a page matches the number printed on it."""
    return str(number)


def functions(language: str) -> dict:
    """``_``, ``gettext`` and ``ngettext`` for a template; ``{name}`` placeholders filled from keywords."""
    t = translations(language)

    def gettext(message: str, **values) -> str:
        text = t.gettext(message)
        return text.format(**values) if values else text

    def ngettext(singular: str, plural: str, n: int, **values) -> str:
        text = t.ngettext(singular, plural, n)
        return text.format(count=n, **values)

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}
