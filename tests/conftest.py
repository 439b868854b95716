"""Shared fixtures: built leaflets (cached per session) and helpers to look inside PDFs."""

from __future__ import annotations

import atexit
import io
import os
import re
import shutil
import tempfile
import warnings
from collections import Counter
from pathlib import Path

# The tests (and the commands they start) keep their on-disk cache in a folder of their own, never the
# user's (~/.cache/leaflet); tests/test_diskcache.py checks the cache itself.
os.environ["LEAFLET_CACHE_DIR"] = tempfile.mkdtemp(prefix="leaflet-test-cache-")
atexit.register(shutil.rmtree, os.environ["LEAFLET_CACHE_DIR"], True)

import pytest  # noqa: E402
from hypothesis import settings as _hypothesis_settings  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from pypdf.generic import ContentStream  # noqa: E402

import leaflet  # noqa: E402
from leaflet.translations import TranslationWarning  # noqa: E402

# In CI (CI=true, as .ci/run sets it) the fuzz tests draw the same examples on every run, so a change
# is judged on what it changed, not on a random draw: two rare cases the random draws found on other
# runs (an address line filled exactly, a paragraph starting with a no-break space) made main red by
# chance. Run without CI for new draws; what they find is pinned with @example.
_hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    _hypothesis_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = ROOT / "examples"
OUTPUT = Path(__file__).resolve().parent / "output"  # failure images and other things to look at

NOTES = "Take one tablet at night.\nReview in 2 weeks."


@pytest.fixture(scope="session")
def built():
    """Build a leaflet once per session for each distinct set of options."""
    cache: dict[tuple, bytes] = {}

    def get(**options) -> bytes:
        key = tuple(sorted((k, str(v)) for k, v in options.items()))
        if key not in cache:
            with warnings.catch_warnings():  # draft translations warn; tests/test_languages.py checks that
                warnings.simplefilter("ignore", TranslationWarning)
                cache[key] = leaflet.build_pdf("diazepam", **options)
        return cache[key]

    return get


@pytest.fixture(scope="session")
def standard(built) -> bytes:
    """The English standard A4 leaflet for the example patient, with branding and notes."""
    return built(patient=EXAMPLES / "patient.yaml", pharmacy=EXAMPLES / "pharmacy.yaml")


def reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in reader(data).pages]


def all_text(data: bytes) -> str:
    """The whole document's text with line breaks and hyphenless wraps folded to single spaces."""
    return " ".join(" ".join(page_texts(data)).split())


def font_sizes(data: bytes) -> Counter:
    """How many text-showing operations use each font size, over all pages.

    ReportLab sets sizes with ``Tf`` and never scales the text matrix, so ``Tf`` sizes are the
    printed sizes.
    """
    sizes: Counter = Counter()
    pdf = reader(data)
    for page in pdf.pages:
        stream = ContentStream(page.get_contents(), pdf)
        current = None
        for operands, op in stream.operations:
            if op == b"Tf":
                current = float(operands[1])
            elif op in (b"Tj", b"TJ", b"'", b'"') and current is not None:
                sizes[round(current, 2)] += 1
    return sizes


def squash_all(text: str) -> str:
    """Text with every space removed (line breaks and wrapping cannot matter)."""
    return re.sub(r"[\s\u00a0\u200b\ufeff]+", "", text)


def body_text(data: bytes, template: str = "standard") -> str:
    """The PDF's text without the page footers (which would interrupt a paragraph that runs onto the
    next page), every space removed. A character whose top is below the body frame is in a footer."""
    import pypdfium2 as pdfium

    from leaflet import templating

    theme = templating.load_template(template).theme
    footer = (theme.margins_mm.bottom + theme.footer_height_mm) * 72 / 25.4
    doc = pdfium.PdfDocument(data)
    try:
        parts = []
        for page in doc:
            textpage = page.get_textpage()
            # one character per character index; pdfium reads a hyphen that ends a line as U+FFFE
            text = textpage.get_text_range().replace("\ufffe", "-")
            parts += [text[i] for i in range(min(len(text), textpage.count_chars()))
                      if textpage.get_charbox(i)[3] > footer or text[i].isspace()]
        return squash_all("".join(parts))
    finally:
        doc.close()


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
