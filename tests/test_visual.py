"""Rendered pages compared with reference images, within a tolerance.

Regenerate the references after an intended change of look with ``make references`` (it sets
LEAFLET_UPDATE_REFERENCES=1), then look at every changed image before committing. On a mismatch the
actual, expected and difference images are saved in tests/output/ for a look.
"""

from __future__ import annotations

import os
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops

import leaflet
from leaflet import layout, markup, pdf, templating
from leaflet.geometry import page_geometry

from .conftest import EXAMPLES, OUTPUT

REFERENCES = Path(__file__).resolve().parent / "references"
UPDATE = os.environ.get("LEAFLET_UPDATE_REFERENCES") == "1"
SCALE = 0.5  # 36 dpi: enough to see layout changes, small enough to keep in git
PIXEL_THRESHOLD = 48  # a pixel "differs" when a channel differs by more than this (0-255)
MAX_DIFFERING = 0.001  # at most 0.1 % of pixels may differ (anti-aliasing, rasteriser updates)

PATIENT = {"patient": EXAMPLES / "patient.yaml", "pharmacy": EXAMPLES / "pharmacy.yaml"}
CASES = {
    "standard-a4": (PATIENT, [0, 1, -1]),
    "standard-letter-blank": ({"paper": "letter"}, [0]),
    "large-print-a4": ({"template": "large-print", **PATIENT}, [0, 1]),
    "compact-a4": ({"template": "compact", **PATIENT}, [0, 1]),
    "side-heads-a4": ({"template": "side-heads", **PATIENT}, [1]),
    "side-heads-ar-a4": ({"template": "side-heads", "language": "ar", **PATIENT}, [2]),
    # every script the pharmacies asked for that needs more than Latin letters, and one Latin translation
    "ar-a4": ({"language": "ar", **PATIENT}, [0, 2]),
    "zh-Hans-a4": ({"language": "zh-Hans", **PATIENT}, [0, 2]),
    "hi-a4": ({"language": "hi", **PATIENT}, [0, 2]),
    "es-letter": ({"language": "es", "paper": "letter", **PATIENT}, [0]),
}


def render_pages(data: bytes, pages: list[int], scale: float = SCALE, grey: bool = False) -> list[Image.Image]:
    doc = pdfium.PdfDocument(data)
    images = [doc[p if p >= 0 else len(doc) + p].render(scale=scale, grayscale=grey).to_pil() for p in pages]
    doc.close()
    return [im.convert("L" if grey else "RGB") for im in images]


def compare(name: str, actual: Image.Image) -> None:
    path = REFERENCES / f"{name}.png"
    if UPDATE:
        if os.environ.get("CI"):
            pytest.fail("LEAFLET_UPDATE_REFERENCES must not be set in CI")
        REFERENCES.mkdir(exist_ok=True)
        actual.save(path, optimize=True)
        return
    assert path.is_file(), f"no reference image {path.name}; run `make references` and review it"
    expected = Image.open(path).convert(actual.mode)
    problem = None
    if expected.size != actual.size:
        problem = f"size {actual.size} != reference {expected.size}"
    else:
        diff = ImageChops.difference(actual, expected)
        mask = diff.convert("L").point(lambda v: 255 if v > PIXEL_THRESHOLD else 0)
        differing = mask.histogram()[255] / (mask.width * mask.height)
        if differing > MAX_DIFFERING:
            box = mask.getbbox()
            problem = (f"{differing:.2%} of pixels differ (limit {MAX_DIFFERING:.2%}); "
                       f"first difference in the box {box}")
    if problem:
        OUTPUT.mkdir(exist_ok=True)
        actual.save(OUTPUT / f"{name}.actual.png")
        expected.save(OUTPUT / f"{name}.expected.png")
        if expected.size == actual.size:
            ImageChops.difference(actual, expected).save(OUTPUT / f"{name}.diff.png")
        pytest.fail(f"{name}: {problem}; see tests/output/{name}.*.png")


@pytest.mark.parametrize("case", sorted(CASES))
def test_pages_look_like_the_references(case, built):
    options, pages = CASES[case]
    data = built(**options)
    for page, image in zip(pages, render_pages(data, pages), strict=True):
        compare(f"{case}-p{page if page >= 0 else 'last'}", image)


def test_first_page_in_greyscale(built):
    """What a black-and-white laser printer makes of the first page."""
    (image,) = render_pages(built(**PATIENT), [0], grey=True)
    compare("standard-a4-p0-grey", image)


# --- warning boxes stay distinct without colour --------------------------------------------------

def box_pdf(level: str) -> bytes:
    tpl = templating.load_template("standard")
    text = (f'<leaflet><box level="{level}" label="{level.upper()}" title="A title">'
            "<p>Some text in the box, long enough to wrap onto a second line of the box body "
            "so that the box has some height to measure.</p></box></leaflet>")
    tree = markup.parse(text, "test", "leaflet")
    geometry = page_geometry(tpl, "a4", None)
    options = layout.Options(False, geometry.frame_height)
    body = layout.layout_body(tree, tpl, options, "test")
    furniture = pdf.PageFurniture({}, {}, None, {}, "en", __import__("datetime").date(2026, 1, 1))
    return pdf.render(layout.assemble(body, {}), tpl, geometry, furniture)


def signature(level: str) -> tuple:
    """How a box looks in greyscale: border lines and thickness, dashes, a dark header band."""
    (image,) = render_pages(box_pdf(level), [0], scale=3, grey=True)
    dark = image.point(lambda v: 255 if v < 140 else 0)
    left, top, right, bottom = dark.getbbox()
    middle = (top + bottom) // 2
    row = [dark.getpixel((x, middle)) for x in range(left, left + 40)]
    runs, thickness, previous = 0, 0, 0
    for i, value in enumerate(row):
        if value and not previous:
            runs += 1
        if value and runs == 1:
            thickness = i + 1
        previous = value
    top_edge = [dark.getpixel((x, top + 1)) for x in range(left + 60, right - 60)]
    dashed = sum(1 for v in top_edge if v) / len(top_edge) < 0.9
    header = [dark.getpixel((x, top + 30)) for x in range(left + 100, right - 100)]
    band = sum(1 for v in header if v) / len(header) > 0.5
    return runs, round(thickness / 3), dashed, band


def test_warning_levels_are_distinct_in_black_and_white():
    signatures = {level: signature(level) for level in ("boxed", "serious", "caution", "information")}
    assert len(set(signatures.values())) == 4, signatures
    assert signatures["boxed"][3] and signatures["boxed"][0] == 2  # dark band, double border
    assert signatures["caution"][2]  # dashed
    assert signatures["serious"][1] > signatures["information"][1]  # heavier border


def test_references_exist_only_for_cases_that_run():
    if UPDATE:
        pytest.skip("updating references")
    names = {p.stem for p in REFERENCES.glob("*.png")}
    expected = {f"{case}-p{p if p >= 0 else 'last'}" for case, (_, pages) in CASES.items() for p in pages}
    assert names == expected | {"standard-a4-p0-grey"}


def test_leaflet_version_is_not_printed_on_the_pages(built, monkeypatch):
    """The program's version must not change the look: it is on no page (in the decompressed text),
    and a build that says it is another version gives the same bytes."""
    data = built(**PATIENT)
    pages = pdfium.PdfDocument(data)
    text = " ".join(page.get_textpage().get_text_range() for page in pages)
    assert "Diazepam" in text and leaflet.__version__ not in text
    leaflet.clear_caches()
    monkeypatch.setattr(leaflet, "__version__", "9.8.7")
    assert leaflet.build_pdf("diazepam", **PATIENT) == data
