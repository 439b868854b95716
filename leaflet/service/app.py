"""The application factory, shared by the tests and uvicorn (``leaflet serve``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from .. import __version__
from ..resources import PACKAGE_DIR
from . import api, page, problems
from .builder import Gate
from .issued import IssuedLog
from .settings import Settings

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service with ``settings`` (default: from ``LEAFLET_SERVICE_SETTINGS``, else the defaults).

    Returns the FastAPI app wrapped in the request-body limit (an ASGI app; ``.app`` is the FastAPI app).
    """
    settings = settings or Settings.from_env()
    app = FastAPI(title="leaflet", version=__version__, docs_url=None, redoc_url=None,  # /docs below: no CDN
                  description="Printable patient information leaflets: the counter page at /, and a JSON API "
                              "that returns PDFs or FHIR DocumentReferences.")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """The API documentation (Swagger UI), from files the app serves itself."""
        return get_swagger_ui_html(openapi_url="/openapi.json", title="leaflet API",
                                   swagger_js_url="/static/docs/swagger-ui-bundle.js",
                                   swagger_css_url="/static/docs/swagger-ui.css",
                                   swagger_favicon_url="/static/docs/favicon-32x32.png")

    problems.install(app, settings.retry_after_seconds)
    log = IssuedLog(settings.log_path, settings.store_patient_text)
    gate = Gate(settings.max_in_flight)
    app.include_router(api.router(settings, log, gate))
    app.include_router(page.router(settings))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # the leaflet's own fonts, so the page shows every script even where the tablet has no such font
    app.mount("/fonts", StaticFiles(directory=PACKAGE_DIR / "fonts"), name="fonts")
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))
    app.state.settings, app.state.issued_log, app.state.gate = settings, log, gate
    return problems.BodyLimit(app, settings.max_body_bytes)
