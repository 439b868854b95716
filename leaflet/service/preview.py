"""Page 1 of a leaflet as a PNG, rendered on the server by PDFium (pypdfium2), for the counter page.

PDFium is not thread-safe, so renders are serialised by their own lock.
"""

from __future__ import annotations

import io
import threading

_PDFIUM_LOCK = threading.Lock()


def first_page_png(pdf: bytes, dpi: int = 72) -> bytes:
    import pypdfium2 as pdfium

    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(pdf)
        try:
            page = document[0]
            image = page.render(scale=dpi / 72).to_pil()
            page.close()
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
