"""Text escaped for markup: ``&``, ``<`` and ``>``, as :func:`xml.sax.saxutils.escape` does.

Written out here because importing :mod:`xml.sax.saxutils` imports ``urllib.request`` with it, and
that pulls in ``http.client``, ``ssl`` and ``email``: about 6 ms of every cold ``leaflet build``,
for three replacements. ``tests/test_startup.py`` checks both give the same text.
"""


def escape(text: str) -> str:
    """``text`` with ``&``, ``<`` and ``>`` as entities (``&`` first, so none is escaped twice)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
