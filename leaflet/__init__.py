"""leaflet: printable patient information leaflets from structured medicine content.

The Python API::

    from leaflet import build_pdf
    pdf_bytes = build_pdf("diazepam", language="en", template="standard", paper="a4",
                          patient={"name": "Ann Example"}, notes="Take with food.")
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING  # noqa: E402

from . import lazyre  # noqa: E402
from .caches import clear_caches  # noqa: E402
from .errors import LeafletError  # noqa: E402

lazyre.install()  # before ReportLab is imported: what it compiles at import and seldom uses, on first use

__all__ = ["LeafletError", "Patient", "__version__", "build_file", "build_html", "build_pdf", "clear_caches"]

if TYPE_CHECKING:
    from .patient import Patient
    from .pipeline import build_file, build_html, build_pdf


def __getattr__(name: str):
    """The API is imported on first use, so ``leaflet`` starts (and can be interrupted) quickly."""
    if name == "Patient":
        from .patient import Patient

        return Patient
    if name in ("build_pdf", "build_file", "build_html"):
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'leaflet' has no attribute {name!r}")
