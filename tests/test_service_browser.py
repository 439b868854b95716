"""The counter page in a real browser: Playwright driving Debian's Chromium (never a downloaded one),
against a real ``leaflet serve`` on 127.0.0.1. Fields are found by their labels and filled with the
keyboard, as a technician at the counter would."""

from __future__ import annotations

import io
import re
import shutil
import warnings
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

import leaflet  # noqa: E402
from leaflet import i18n  # noqa: E402
from leaflet.translations import TranslationWarning  # noqa: E402

from .conftest import EXAMPLES, OUTPUT, all_text  # noqa: E402
from .serving import running_server  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

if not Path(CHROMIUM).exists():  # never skipped quietly: `make test` installs it
    pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make test does)", pytrace=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    with running_server(folder, "--pharmacy", str(EXAMPLES / "pharmacy.yaml")) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server, accept_downloads=True, viewport={"width": 1024, "height": 1300})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def type_into(page, label: str, text: str) -> None:
    """Focus the field named by ``label`` and type, key by key."""
    field = page.get_by_label(label, exact=True)
    field.focus()
    page.keyboard.type(text)


def choose(page, label: str, option_text: str) -> None:
    """Pick an option of a drop-down with the arrow keys, as a keyboard user does."""
    field = page.get_by_label(label, exact=True)
    field.focus()
    options = field.locator("option").all_inner_texts()
    target = options.index(option_text)
    current = field.evaluate("el => el.selectedIndex")
    key = "ArrowDown" if target > current else "ArrowUp"
    for _ in range(abs(target - current)):
        page.keyboard.press(key)
    assert field.evaluate("el => el.options[el.selectedIndex].text") == option_text


def expected(language: str, patient: dict, notes: str) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        return leaflet.build_pdf("diazepam", language=language, patient=patient, notes=notes,
                                 pharmacy=EXAMPLES / "pharmacy.yaml")


def press(page, button_name: str) -> None:
    """Reach a button with the keyboard and press Enter."""
    page.get_by_role("button", name=button_name, exact=True).focus()
    page.keyboard.press("Enter")


def test_english_counter_with_the_keyboard(page):
    page.goto("/?lang=en")
    type_into(page, "Name", "Ann Example")
    type_into(page, "Prescriber", "Dr Sam Rivera")
    type_into(page, "Dose", "2")
    choose(page, "Unit", "mg")
    choose(page, "How", "by mouth (swallow)")
    choose(page, "When", "three times a day")
    type_into(page, "Number of days", "14")
    type_into(page, "Prescriber notes", "Review in 2 weeks.")

    press(page, "Preview")
    preview = page.get_by_role("img", name="Preview of page 1")
    preview.wait_for(state="visible")
    assert preview.evaluate("img => img.complete && img.naturalWidth") > 500
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "counter-en.png"), full_page=True)

    with page.expect_download() as info:
        press(page, "Download")
    download = info.value
    assert download.suggested_filename == "diazepam-en.pdf"
    pdf = Path(download.path()).read_bytes()
    patient = {"name": "Ann Example", "prescriber": "Dr Sam Rivera",
               "directions": {"dose": "2", "unit": "mg", "route": "by-mouth", "frequency": "three-times-daily",
                              "days": "14"}}
    assert pdf == expected("en", patient, "Review in 2 weeks.")
    text = all_text(pdf)
    for words in ("Ann Example", "Dr Sam Rivera", "2 mg", "three times a day", "for 14 days", "Review in 2 weeks."):
        assert words in text

    with page.context.expect_page() as popup:
        press(page, "Print")
    printed = popup.value
    printed.wait_for_url(re.compile(r"^blob:http://127\.0\.0\.1:"), wait_until="commit")  # the PDF itself, in the browser's viewer, ready to print


def test_every_field_is_reached_with_tab(page):
    page.goto("/?lang=en")
    page.locator("#leaflet-form").get_by_label("Medicine", exact=True).focus()
    reached = set()
    for _ in range(40):
        reached.add(page.evaluate("document.activeElement.id"))
        page.keyboard.press("Tab")
    fields = set(page.locator("#leaflet-form input, #leaflet-form select, #leaflet-form textarea, "
                              "#leaflet-form button").evaluate_all("els => els.map(e => e.id)"))
    assert fields <= reached


def test_a_mistake_is_shown_at_its_field(page):
    page.goto("/?lang=en")
    type_into(page, "Dose", "two")
    choose(page, "Unit", "tablets")
    press(page, "Preview")
    alert = page.get_by_role("alert")
    alert.filter(has_text="two").wait_for()
    dose = page.get_by_label("Dose", exact=True)
    assert dose.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "dose"

    # an unusual dose is refused until the pharmacist confirms it
    dose.fill("")
    page.keyboard.type("20")
    press(page, "Preview")
    alert.filter(has_text="outside the usual").wait_for()
    page.get_by_label("Confirm an unusual dose", exact=True).focus()
    page.keyboard.press("Space")
    press(page, "Preview")
    page.get_by_role("img", name="Preview of page 1").wait_for(state="visible")
    assert alert.inner_text() == ""


def test_arabic_counter_form_and_preview(page):
    words = i18n.translations("ar").gettext
    page.goto("/?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.get_by_label(words("Language"), exact=True).evaluate("el => el.value") == "ar"
    type_into(page, words("Name"), "سارة أحمد")
    type_into(page, words("Dose"), "0.5")
    tablets = i18n.translations("ar").ngettext("{count} tablet", "{count} tablets", 2).format(count="").strip()
    choose(page, words("Unit"), tablets)
    choose(page, words("When"), words("twice a day"))
    type_into(page, words("Prescriber notes"), "Review in 2 weeks.")
    press(page, words("Preview"))
    preview = page.get_by_role("img", name=words("Preview of page 1"))
    preview.wait_for(state="visible")
    assert preview.evaluate("img => img.complete && img.naturalWidth") > 500
    assert page.locator("#warning").inner_text() == words(
        "This translation is a draft: a qualified medical translator has not reviewed it.")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "counter-ar.png"), full_page=True)

    with page.expect_download() as info:
        press(page, words("Download"))
    pdf = Path(info.value.path()).read_bytes()
    patient = {"name": "سارة أحمد", "directions": {"dose": "0.5", "unit": "tablet", "frequency": "twice-daily"}}
    assert pdf == expected("ar", patient, "Review in 2 weeks.")
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(io.BytesIO(pdf))
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    assert "Review in 2 weeks." in " ".join(text.split())  # English notes in an Arabic leaflet
