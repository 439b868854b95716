"""leaflet: printable patient information leaflets from structured medicine content.

The Python API::

    from leaflet import build_pdf
    pdf_bytes = build_pdf("diazepam", language="en", template="standard", paper="a4",
                          patient={"name": "Ann Example"}, notes="Take with food.")
"""

from __future__ import annotations

__version__ = "0.1.0"

from .caches import clear_caches  # noqa: E402
from .errors import LeafletError  # noqa: E402
from .patient import Patient  # noqa: E402
from .pipeline import build_file, build_pdf  # noqa: E402

__all__ = ["LeafletError", "Patient", "__version__", "build_file", "build_pdf", "clear_caches"]
