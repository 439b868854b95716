"""The counter page at ``/``: one server-rendered form, its words from the gettext catalogues.

The page's language is ``?lang=`` or the browser's Accept-Language, among the languages that have a
catalogue; Arabic pages are laid out right to left. The leaflet's language defaults to the page's.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .. import content, directions, i18n, layout, templating
from . import builder
from .settings import Settings

PAGES = Path(__file__).parent / "pages"
_env = Environment(loader=FileSystemLoader(PAGES), autoescape=select_autoescape(["html"]), auto_reload=False)


def page_languages() -> list[str]:
    """English and every language with a catalogue."""
    return ["en", *sorted(p.parent.parent.name for p in i18n.LOCALE_DIR.glob("*/LC_MESSAGES/leaflet.po"))]


@lru_cache(maxsize=128)
def language_name(code: str) -> str:
    """The language's name in itself ("Español", "العربية", "中文 (简体)"), or the code."""
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(i18n.babel_locale(code)).get_display_name() or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


def negotiate(request: Request) -> str:
    offered = page_languages()
    asked = request.query_params.get("lang")
    if asked in offered:
        return asked
    wanted = []
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            wanted.append((float(q or 1), tag.strip()))
        except ValueError:
            continue
    for _, tag in sorted(wanted, key=lambda item: -item[0]):
        for code in offered:
            if tag.lower() == code.lower() or tag.split("-")[0].lower() == code.split("-")[0].lower():
                return code
    return "en"


def router(settings: Settings) -> APIRouter:
    page = APIRouter()

    @page.get("/", response_class=HTMLResponse, include_in_schema=False)
    def counter(request: Request) -> HTMLResponse:
        lang = negotiate(request)
        t = i18n.translations(lang)
        found = content.available(builder.roots(settings))
        medicines = []
        for medicine, languages in found.items():
            shown = lang if lang in languages else ("en" if "en" in languages else languages[0])
            leaflet = content.load(content.locate(medicine, shown, builder.roots(settings))).leaflet
            medicines.append((medicine, leaflet.medicine.name, languages))
        leaflet_lang = lang if any(lang in m[2] for m in medicines) else "en"
        all_languages = sorted({code for _, _, langs in medicines for code in langs})

        def unit(code: str) -> str:  # "tablets", "comprimés": the plural phrase without its number
            return t.ngettext(*directions.UNITS[code], 2).format(count="").strip()

        html = _env.get_template("counter.html").render(
            _=t.gettext, lang=lang, rtl=bool(layout.script_layout(lang).get("rtl")),
            page_languages=[(code, language_name(code)) for code in page_languages()],
            medicines=medicines, languages=[(code, language_name(code)) for code in all_languages],
            leaflet_lang=leaflet_lang, templates=sorted(templating.shipped_templates(), key=lambda name: name != "standard"),
            units=[(code, unit(code)) for code in directions.UNITS],
            routes=[(code, t.gettext(text)) for code, text in directions.ROUTES.items()],
            frequencies=[(code, t.gettext(text)) for code, text in directions.FREQUENCIES.items()],
            reasons=[(code, t.gettext(text)) for code, text in directions.REASONS.items()])
        return HTMLResponse(html, headers={"Content-Language": lang, "Cache-Control": "no-store"})

    return page
