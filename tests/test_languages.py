"""Every language renders and is checked: sections, script and fonts, template words, directions."""

from __future__ import annotations

import re
import warnings

import pypdfium2 as pdfium
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import leaflet
from leaflet import content, directions, fonts, i18n
from leaflet.layout import script_layout
from leaflet.translations import TranslationWarning, findings

from .conftest import EXAMPLES, ROOT, all_text, reader

FILES = sorted((ROOT / "content" / "diazepam").glob("*.yaml"))
LANGS = [p.stem for p in FILES]
LTR = [lang for lang in LANGS if not script_layout(lang).get("rtl")]
READABLE = [lang for lang in LANGS if not script_layout(lang).get("shaping")]  # text extraction works

#: The font family (by PDF font name) that must draw each language's own script.
SCRIPT_FONT = {"zh-Hans": "NotoSansCJKsc", "ko": "NotoSansCJKsc", "hi": "NotoSansDevanagari",
               "ar": "NotoSansArabic"}


def build(lang: str, **options) -> bytes:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = leaflet.build_pdf("diazepam", language=lang, **options)
    leaf = content.load(ROOT / "content" / "diazepam" / f"{lang}.yaml").leaflet
    draft = leaf.translation is not None and leaf.translation.status != "reviewed"
    assert any(issubclass(w.category, TranslationWarning) for w in caught) == draft
    assert all(issubclass(w.category, TranslationWarning) for w in caught), [str(w.message) for w in caught]
    return data


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def fonts_used(data: bytes) -> set[str]:
    names = set()
    for page in reader(data).pages:
        for ref in page["/Resources"]["/Font"].values():
            names.add(str(ref.get_object()["/BaseFont"]).split("+", 1)[1])
    return names


def test_the_languages_the_pharmacies_asked_for_are_there():
    missing = {"en", "es", "fr", "de", "pl", "ru", "ar", "zh-Hans", "ko", "vi", "hi"} - set(LANGS)
    assert not missing, f"no diazepam leaflet in: {', '.join(sorted(missing))}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_section_is_in_the_outline_in_order(lang):
    leaf = content.load(ROOT / "content" / "diazepam" / f"{lang}.yaml").leaflet
    outline = reader(build(lang)).outline
    top = [item.title for item in outline if not isinstance(item, list)]
    subs = [[c.title for c in item] for item in outline if isinstance(item, list)]
    sections = [f"{i}. {s.title}" for i, s in enumerate(leaf.sections, start=1)]
    notes = i18n.translations(lang).gettext("Prescriber notes")  # the blank notes box, at the end
    assert top == [" ".join(leaf.important.title.split()), *sections, notes]
    expected = [[sub.title for sub in s.subsections] for s in leaf.sections if s.subsections]
    assert [group[: len(want)] for group, want in zip(subs, expected, strict=False)] == expected


@pytest.mark.parametrize("lang", [lang for lang in LANGS if not script_layout(lang).get("shaping")])
def test_every_section_is_printed_in_order(lang):
    """The printed text, where it can be read back (shaped scripts' glyphs do not map back to text)."""
    leaf = content.load(ROOT / "content" / "diazepam" / f"{lang}.yaml").leaflet
    text = squeezed(" ".join(p.extract_text() for p in reader(build(lang)).pages))
    pos = text.find(squeezed(leaf.important.title))
    assert pos >= 0
    for i, section in enumerate(leaf.sections, start=1):
        pos = text.find(squeezed(f"{i}. {section.title}"), pos + 1)
        assert pos >= 0, f"{lang}: section {section.id} missing or out of order"
        for sub in section.subsections:
            assert squeezed(sub.title) in text, f"{lang}: {sub.id}"


@pytest.mark.parametrize("lang", LANGS)
def test_each_script_is_drawn_with_its_font(lang):
    fonts = fonts_used(build(lang))
    wanted = SCRIPT_FONT.get(lang)
    if wanted:
        assert any(name.startswith(wanted) for name in fonts), fonts
    else:  # Latin and Cyrillic leaflets use Noto Sans only: no fallback, no shaping
        assert all(name.startswith("NotoSans-") for name in fonts), fonts


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_translations_match_their_source(lang):
    leaf = content.load(ROOT / "content" / "diazepam" / f"{lang}.yaml").leaflet
    kinds = {f.kind for f in findings(ROOT / "content" / "diazepam" / f"{lang}.yaml", leaf)}
    assert leaf.translation is not None
    assert not kinds & {"missing-section", "extra-section", "stale", "no-source", "template-words"}, kinds


@pytest.mark.parametrize("lang", READABLE)
def test_template_words_and_dates_are_in_the_language(lang):
    text = " ".join(p.extract_text() for p in reader(build(lang)).pages[:1])
    words = i18n.translations(lang)
    assert squeezed(words.gettext("Patient information leaflet")) in squeezed(text)
    if lang != "en":
        assert "Patient information leaflet" not in text
    revised = content.load(ROOT / "content" / "diazepam" / f"{lang}.yaml").leaflet.revision.date
    assert squeezed(i18n.long_date(revised, lang)) in squeezed(text)  # the footer's date, in the language


SAMPLE = directions.Directions(dose=0.5, unit="tablet", route="by-mouth", frequency="three-times-daily",
                               every_hours=8, as_needed="anxiety", days=14, max_doses_per_day=3)


@pytest.mark.parametrize("lang", LANGS)
def test_directions_catalogue_in_every_language(lang):
    t = i18n.translations(lang)
    lines = directions.lines(SAMPLE, t.gettext, t.ngettext, lang)
    english = directions.lines(SAMPLE, i18n.translations("en").gettext, i18n.translations("en").ngettext)
    assert len(lines) == len(english) == 4
    for _label, phrase in lines:
        assert "{" not in phrase and "}" not in phrase
    if lang != "en":  # a word may be the same in two languages ("Dose" in French), not most of them
        same = sum(pair == en_pair for pair, en_pair in zip(lines, english, strict=True))
        assert same == 0, f"{lang}: {same} of 4 direction lines are still English"
    assert t.gettext("half a tablet") in lines[0][1] and t.gettext("by mouth (swallow)") in lines[0][1]
    assert t.gettext("up to three times a day") in lines[1][1] and t.gettext("when needed for anxiety") in lines[1][1]
    assert "8" in lines[1][1] and "14" in lines[2][1] and "3" in lines[3][1]


@pytest.mark.parametrize("lang, dose", [("en", "half a tablet"), ("fr", "un demi-comprimé"),
                                        ("de", "eine halbe Tablette")])
def test_half_a_tablet_in_the_language(lang, dose):
    assert lang in LANGS
    t = i18n.translations(lang)
    assert directions.dose_phrase(SAMPLE, t.gettext, t.ngettext, lang) == dose


def test_english_directions_read_naturally():
    t = i18n.translations("en")
    assert directions.lines(SAMPLE, t.gettext, t.ngettext) == [
        ("Dose", "half a tablet, by mouth (swallow)"),
        ("When", "up to three times a day, at least 8 hours apart when needed for anxiety"),
        ("How long", "for 14 days"), ("Maximum", "no more than 3 doses in 24 hours")]
    regular = directions.Directions(dose="2", unit="tablet", frequency="twice-daily")
    assert directions.lines(regular, t.gettext, t.ngettext) == [("Dose", "2 tablets"), ("When", "twice a day")]


def test_translated_leaflet_shows_english_directions_too():
    lang = next(lang for lang in READABLE if lang != "en")  # a translation whose text extraction works
    text = " ".join(p.extract_text() for p in reader(build(lang, patient={"directions": SAMPLE})).pages[:1])
    assert squeezed("Dose: half a tablet, by mouth (swallow)") in squeezed(text)
    assert squeezed("How long: for 14 days") in squeezed(text)


def test_free_text_directions_are_flagged_untranslated():
    lang = next(lang for lang in READABLE if lang != "en")  # a translation whose text extraction works
    data = build(lang, patient={"directions": "Take one at night"})
    text = squeezed(reader(data).pages[0].extract_text())
    flag = i18n.translations(lang).gettext("These directions were not translated. Ask your pharmacist to "
                                           "explain them.")
    assert squeezed("Take one at night") in text and squeezed(flag) in text


@pytest.mark.parametrize("lang, directions", [("zh-Hans", "\u6bcf\u665a\u7761\u524d\u670d\u7528\u4e00\u7247"),
                                              ("ar", "\u062d\u0628\u0629 \u0648\u0627\u062d\u062f\u0629 \u0641\u064a "
                                                     "\u0627\u0644\u0644\u064a\u0644"),
                                              # Latin letters: by the leaflet's own words (review finding)
                                              ("fr", "Prendre un comprim\u00e9 le soir, avant le coucher."),
                                              ("de", "Nehmen Sie eine Tablette am Abend vor dem Schlafengehen."),
                                              ("es", "Tome un comprimido por la noche, antes de acostarse."),
                                              ("pl", "Przyjmowa\u0107 jedn\u0105 tabletk\u0119 wieczorem."),
                                              ("vi", "U\u1ed1ng m\u1ed9t vi\u00ean v\u00e0o bu\u1ed5i t\u1ed1i.")])
def test_free_text_directions_in_the_leaflet_s_own_script_are_not_flagged_untranslated(lang, directions):
    """Review finding: Chinese directions typed for a Chinese leaflet printed "these directions were
    not translated, ask your pharmacist" under them. Free text in the leaflet's own (non-Latin) script
    is in its language; so is text in Latin letters whose words are more the leaflet's own (or have
    letters English does not) than English ones. English free text is still flagged."""
    flag = squeezed(i18n.translations(lang).gettext("These directions were not translated. Ask your pharmacist "
                                                    "to explain them."))
    own = "".join(pdfium.PdfDocument(build(lang, patient={"directions": directions}))[0].get_textpage()
                  .get_text_range().split())
    english = "".join(pdfium.PdfDocument(build(lang, patient={"directions": "Take one at night"}))[0]
                      .get_textpage().get_text_range().split())
    assert flag not in own and flag in english


def test_draft_translation_prints_a_notice():
    lang = next(lang for lang in READABLE if lang != "en")  # a translation whose text extraction works
    notice = i18n.translations(lang).gettext(
        "This translation is a draft. It has not yet been checked by a qualified medical translator. If "
        "anything is unclear, ask your pharmacist.")
    assert squeezed(notice) in squeezed(reader(build(lang)).pages[0].extract_text())


def test_arabic_is_laid_out_right_to_left():
    """Headings and paragraphs end at the right margin; the warning icon and bullets are on the right."""
    assert "ar" in LANGS
    page = reader(build("ar")).pages[0]
    width = float(page.mediabox.width)
    xs: list[tuple[float, float]] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            xs.append((tm[4] * cm[0] + cm[4], size))

    page.extract_text(visitor_text=visit)
    starts = [x for x, _ in xs]
    assert max(starts) > width * 0.6  # text is set against the right margin


@pytest.mark.parametrize("template", ["standard", "large-print"])
def test_no_chinese_line_starts_with_closing_punctuation(template):
    assert "zh-Hans" in LANGS
    data = build("zh-Hans", template=template)
    starts = [line[:1] for page in reader(data).pages for line in page.extract_text().splitlines()]
    assert not [s for s in starts if s and s in "，；：？！）。、》」』】"]


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize("lang", [lang for lang in LANGS if script_layout(lang).get("shaping")])
def test_every_shaped_word_is_drawn_by_one_font(lang):
    """HarfBuzz shapes a word with one font: a word split between fonts would print empty boxes."""
    import re

    from leaflet import rtl, templating
    from leaflet.inline import plain

    chain = templating.load_template("standard").body_chain
    texts = list(_strings(content.load(ROOT / "content" / "diazepam" / f"{lang}.yaml").source.data))
    texts += ["10 mL\u060c 5 mg\u0964 (GABA)\u060c \u0661\u0662%", "\u0915\u0930\u0947\u0902\u0964 mg\u0964"]
    mixed = []
    for text in texts:
        runs = [rtl.Run(run, fam.regular) for fam, run in chain.runs(plain(text))]
        fonts = [r.font for r in rtl.one_font_per_word(runs) for _ in r.text]
        for m in re.finditer(r"\S+", plain(text)):
            if len(set(fonts[m.start():m.end()])) > 1:
                mixed.append(m.group())
    assert not mixed, mixed[:10]


@pytest.mark.parametrize("lang", [lang for lang in LANGS if script_layout(lang).get("shaping")])
def test_fast_shaped_text_writes_exactly_what_reportlab_would(lang, monkeypatch, request):
    """leaflet.fasttext is only faster: apart from /ActualText spans, the PDF is the same, byte for
    byte, as with ReportLab's own, both when it writes a text and when it reuses what it wrote."""
    from reportlab.pdfgen.textobject import PDFTextObject

    from leaflet import fasttext, pipeline, rlbridge

    notes = "Notes with (brackets), 12 mg and \u0661\u0662."
    calls = {"texts": 0, "written": 0}
    format_text, shaped = rlbridge.TextObject._formatText, rlbridge.TextObject._shaped

    def counting_format(self, text):
        calls["texts"] += rlbridge.is_shaped(text)
        return format_text(self, text)

    def counting_shaped(self, font, text):
        calls["written"] += 1
        return shaped(self, font, text)

    monkeypatch.setattr(rlbridge.TextObject, "_formatText", counting_format)
    monkeypatch.setattr(rlbridge.TextObject, "_shaped", counting_shaped)
    monkeypatch.setattr(fasttext, "actual_text", lambda text: None)  # the one addition: tested below
    monkeypatch.setattr(rlbridge, "_drawn_again", lambda para: False)  # every text written (not replayed)
    pipeline.clear_caches()  # nothing written with the spans may be reused, nor left behind
    request.addfinalizer(pipeline.clear_caches)
    first = build(lang, notes=notes)
    calls.update(texts=0, written=0)
    again = build(lang, notes=notes)
    assert calls["texts"] > 100 and calls["written"] < calls["texts"] / 4  # most were reused
    monkeypatch.setattr(rlbridge.TextObject, "_write", PDFTextObject._formatText)  # ReportLab writes each
    reference = build(lang, notes=notes)
    assert first == reference and again == reference


def test_reused_font_subsets_are_the_subsets_reportlab_makes(monkeypatch):
    """Font subsets (and their compressed streams) are remembered between builds: same bytes."""
    from leaflet import fonts

    warm = [build(lang) for lang in ("ar", "en", "ar")]
    assert warm[0] == warm[2]
    assert len(fonts._SUBSETS) and len(fonts._COMPRESSED)
    fonts._SUBSETS.clear()
    fonts._COMPRESSED.clear()
    assert build("ar") == warm[0] and build("en") == warm[1]
    # a subset with other letters (a patient's name) is made anew, not taken from a smaller one
    named = build("ar", patient={"name": "Zoë Quixote"})
    assert "Zoë Quixote" in all_text(named)



def test_shaped_hindi_copies_and_searches_as_the_words_it_shows():
    """Conjuncts and vowel signs have no characters of their own; /ActualText gives the words back.
    Every Devanagari word of the content is found by a PDF reader's text extraction (PDFium's)."""
    import unicodedata

    import pypdfium2

    data = build("hi")
    pdf = pypdfium2.PdfDocument(data)
    text = unicodedata.normalize("NFC", "\n".join(page.get_textpage().get_text_range() for page in pdf))
    assert not re.search("[\ue000-\uf8ff]", text)  # no private-use glyph codes
    found = set(re.findall("[\u0900-\u097f]+", text))
    leaf = content.load(ROOT / "content" / "diazepam" / "hi.yaml").leaflet
    printed = unicodedata.normalize("NFC", " ".join(
        str(value) for section in leaf.sections for value in _strings(section.model_dump())))
    words = set(re.findall("[\u0900-\u097f]+", printed))
    assert len(words) > 500
    assert not words - found, sorted(words - found)[:20]
    # without the spans the same words come out broken (so the test above can fail)
    from leaflet import fasttext

    original = fasttext.actual_text
    try:
        fasttext.actual_text = lambda text: None
        leaflet.pipeline.clear_caches()
        bare = pypdfium2.PdfDocument(build("hi"))
        bare_text = "\n".join(page.get_textpage().get_text_range() for page in bare)
    finally:
        fasttext.actual_text = original
        leaflet.pipeline.clear_caches()
    assert re.search("[\ue000-\uf8ff]", bare_text)


@pytest.mark.parametrize(("lang", "unread"), [("en", "NotoSansDevanagari NotoSansArabic NotoSansCJK"),
                                              ("hi", "NotoSansArabic NotoSansCJK"), ("ar", "NotoSansCJK")])
def test_fallback_fonts_are_read_only_when_a_text_needs_them(lang, unread):
    """A fallback font is loaded (and numbered for shaping) only when a character needs it: the
    large CJK files are never read for a Latin, Hindi or Arabic leaflet, also with a patient's notes
    (line breaks and tabs need no glyph, so no font)."""
    import subprocess
    import sys

    notes = "Take with food.\n\n\tReview in 2 weeks."
    code = ("import warnings; warnings.simplefilter('ignore'); import leaflet; "
            "from reportlab.pdfbase import pdfmetrics; "
            f"leaflet.build_pdf('diazepam', language='{lang}', notes={notes!r}); "
            "print(*pdfmetrics.getRegisteredFontNames())")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            check=True).stdout
    assert SCRIPT_FONT.get(lang, "NotoSans-Regular") in loaded
    for family in unread.split():
        assert family not in loaded, loaded


def test_what_people_type_is_not_kept_between_builds():
    """Right-to-left layouts of content are reused; those of notes and panel values (which may be
    different every time, and are patients' data) are not kept in the process.
    (tests/test_caches.py scans every live object for what people typed.)"""
    from leaflet import flowables

    build("ar", notes="ملاحظة أولى للمريض")
    kept = set(flowables._RTL_LINES.keys())
    assert kept
    for n in range(3):
        build("ar", notes=f"ملاحظة رقم {n} للمريض", patient={"name": f"مريض {n}"})
    assert set(flowables._RTL_LINES.keys()) == kept
    assert not any("ملاحظة" in run.text for key in kept for run in key[0])


@pytest.mark.parametrize(("asked", "available", "chosen"), [
    ("zh", ["en", "zh-Hans"], "zh-Hans"), ("zh-CN", ["en", "zh-Hans"], "zh-Hans"),
    ("zh-SG", ["zh-Hans"], "zh-Hans"), ("zh-TW", ["en", "zh-Hans"], None),  # Traditional is not Simplified
    ("zh-Hant", ["zh-Hans"], None), ("pt-BR", ["es", "pt"], "pt"), ("pt", ["pt-BR"], "pt-BR"),
    ("pt-PT", ["pt-BR", "pt-PT"], "pt-PT"), ("pt-PT", ["pt-BR"], "pt-BR"), ("en-GB", ["en"], "en"),
    ("sr-Latn", ["sr"], None), ("es", ["es", "es-MX"], "es"), ("de", ["en"], None),
])
def test_a_language_is_found_by_its_likely_script_and_region(asked, available, chosen):
    assert i18n.negotiate(asked, available) == chosen


@pytest.mark.parametrize("asked", ["zh", "zh-CN"])
def test_chinese_asked_as_zh_builds_the_simplified_leaflet_and_says_so(asked):
    from leaflet.translations import LanguageChosen

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = leaflet.build_pdf("diazepam", language=asked)
    assert data == build("zh-Hans")
    notes = [str(w.message) for w in caught if issubclass(w.category, LanguageChosen)]
    assert notes == [f"there is no '{asked}' leaflet for diazepam; using 'zh-Hans', the same language and script"]
    with pytest.raises(leaflet.LeafletError, match="no 'zh-TW' leaflet"):
        leaflet.build_pdf("diazepam", language="zh-TW")


def test_the_command_line_says_which_language_it_chose(tmp_path):
    import io

    from leaflet.cli import main

    out, err = io.StringIO(), io.StringIO()
    assert main(["build", "diazepam", "--lang", "zh-CN", "-o", str(tmp_path / "zh.pdf")], stdout=out, stderr=err) == 0
    assert "using 'zh-Hans'" in err.getvalue()
    assert (tmp_path / "zh.pdf").read_bytes() == build("zh-Hans")


# --- emphasis: italic where the script has it, bold where it has none ---------------------------------


@pytest.mark.parametrize("family", sorted(fonts.SHIPPED))
def test_italic_emphasis_is_the_italic_face_or_else_bold_and_never_bold_italic_in_plain_text(family):
    """``*italic*`` in ordinary text printed bold italic: the bold face's own mapping made ReportLab read
    the regular face as bold. Inside bold text it is bold italic. A script with no italic (Arabic,
    Devanagari, Han, Hangul) prints emphasis bold, as large print does, so it still stands out."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    fam = fonts.family(family)
    has_italic = "italic" in fonts.SHIPPED[family]
    want_italic = fam.faces["italic"] if has_italic else fam.bold
    assert fam.faces["italic"] == want_italic  # (what leaflet's own right-to-left and shaped lines use)
    for base, inner, want in ((fam.regular, "<i>b</i>", want_italic), (fam.regular, "<b>b</b>", fam.bold),
                              (fam.bold, "<i>b</i>", fam.faces["bold_italic"]), (fam.bold, "b", fam.bold),
                              (fam.regular, "<b><i>b</i></b>", fam.faces["bold_italic"])):
        para = Paragraph(f"a {inner}", ParagraphStyle("t", fontName=base))  # ReportLab's own markup parser
        assert {f.fontName for f in para.frags if "b" in f.text} == {want}, (family, base, inner)


def test_the_english_leaflets_italic_phrase_prints_in_the_italic_face():
    import ctypes

    import pypdfium2.raw as raw

    doc = pdfium.PdfDocument(leaflet.build_pdf("diazepam"))
    faces = {}
    for page in doc:
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        for start in (m.start() for m in re.finditer("than you should", text)):
            name = ctypes.create_string_buffer(128)
            raw.FPDFText_GetFontInfo(textpage.raw, start + 1, name, 128, ctypes.byref(ctypes.c_int()))
            faces[text[max(0, start - 40):start]] = name.value.decode()
    # the cross-reference "(see *If you take more diazepam than you should*)" in italic; the heading bold
    assert "NotoSans-Italic" in faces.values() and "NotoSans-BoldItalic" not in faces.values(), faces


@pytest.mark.parametrize("lang", ["zh-Hans", "en", "ko"])
def test_an_ideographic_space_prints_as_a_space_not_a_missing_glyph(lang):
    """Review finding: U+3000, which Chinese input methods type, printed a missing-glyph box: ReportLab
    takes it as a word space and draws U+0020, in the CJK font, which has none (and copying the text
    dropped it: "3\u30002 mg" copied as "32 mg"). Every such space now goes to a font with U+0020."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        data = leaflet.build_pdf("diazepam", language=lang, patient={"name": "\u5f20\u3000\u4f1f",
                                                                     "directions": "3\u30002 mg"})
    text = pdfium.PdfDocument(data)[0].get_textpage().get_text_range()
    assert "\u5f20 \u4f1f" in text or "\u5f20\u3000\u4f1f" in text, ascii(text[:400])
    assert "32 mg" not in text and ("3 2 mg" in text or "3\u30002 mg" in text)
    chain = fonts.FontChain(fonts.family("Noto Sans CJK SC"), (("Noto Sans", lambda: fonts.family("Noto Sans")),))
    for code in fonts.SPACES:
        for fam, run in chain.runs(f"\u5f20{chr(code)}\u4f1f"):
            if chr(code) in run:
                assert 0x20 in fam.charset or chr(code) in "\t\n\r\u200b", (hex(code), fam.name)


@pytest.mark.parametrize("lang, word", [("hi", "\u0916\u0941\u0930\u093e\u0915"), ("zh-Hans", "\u5242\u91cf"),
                                        ("ar", "\u062c\u0631\u0639\u0629")])
def test_an_italic_caption_in_a_script_with_no_italic_is_upright_not_bold(tmp_path, lang, word):
    """Review finding: with emphasis printed bold where a script has no italic, the theme's italic
    caption style printed whole captions bold in Hindi, Chinese and Arabic. An italic style prints
    upright there (as it did); only emphasis (``*...*``) prints bold."""
    import ctypes

    import pypdfium2.raw as raw
    import yaml

    data = yaml.safe_load((ROOT / "content" / "diazepam" / f"{lang}.yaml").read_text(encoding="utf-8"))
    data["sections"][0]["blocks"].append({"table": {"caption": f"{word} {word} {word}", "header": ["a", "b"],
                                                    "rows": [["1", "2"]]}})
    (tmp_path / "diazepam").mkdir()
    (tmp_path / "diazepam" / f"{lang}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        doc = pdfium.PdfDocument(leaflet.build_pdf("diazepam", language=lang, content_dirs=[tmp_path]))
    faces = set()
    for page in doc:
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        for m in re.finditer(re.escape(f"{word} {word}"), text):  # the caption (its words come twice)
            name = ctypes.create_string_buffer(128)
            raw.FPDFText_GetFontInfo(textpage.raw, m.start() + 1, name, 128, ctypes.byref(ctypes.c_int()))
            faces.add(name.value.decode())
    assert faces and all("Bold" not in face for face in faces), faces


def _missing_glyphs(data: bytes) -> list[int]:
    """Pages that draw code 0 (the missing-glyph box) in a font subset."""
    import io

    import pikepdf

    pages = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) in ("Tj", "TJ", "'", '"') and operands:
                    items = operands[-1] if str(operator) == "TJ" else [operands[-1]]
                    if any(isinstance(item, pikepdf.String) and b"\x00" in bytes(item) for item in items):
                        pages.append(number)
    return pages


@pytest.mark.parametrize("template, paper", [("large-print", "a4"), ("large-print", "letter"), ("standard", "a4")])
def test_a_chinese_paragraph_split_across_pages_draws_no_missing_glyph(template, paper):
    """Review finding: when the most important box broke inside a Chinese item, ReportLab joined the
    item's lines again with a space, which the CJK font lacks: a missing-glyph box at the end of a line
    ("...药物一起☒")."""
    patient = {"name": "\u738b \u82b3", "form": "oral-solution", "strength": "2", "strength_unit": "mg",
               "strength_volume_ml": "5", "quantity": "100", "quantity_unit": "ml", "discard_date": "2026-12-04",
               "directions": "Take 5 mL (2 mg) up to three times a day when needed for anxiety.\n"
                             "Use the oral syringe. Do not take more than 15 mL in 24 hours.",
               "notes": "Short course: 2 weeks. Do not drink alcohol while you take it."}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        data = leaflet.build_pdf("diazepam", language="zh-Hans", template=template, paper=paper, patient=patient,
                                 pharmacy=EXAMPLES / "pharmacy.yaml")
    assert _missing_glyphs(data) == []


#: A number and what a no-break space joins it to: a Latin word, or the first character of a Han word.
_JOINED = re.compile(r"[0-9]+(?:[.,][0-9]+)?(?:\u00a0(?:[A-Za-z]+|\w)|[\u4e00-\u9fff])")  # (a Han unit: no space)
#: Opening brackets and quotes: kinsoku says they may not end a line.
_OPENING = "\u2018\u201c\uff08[{\u3014\uff3b\uff5b\u3008\u300a\u300c\u300e\u3010"

#: Han text with numbers (each a run of its own font: the CJK font has no Latin letters or digits), and
#: Latin text (one run, in a paragraph that Han line breaking sets: an English cell in a Chinese table).
_HAN_TEXTS = ["10 \u81f3 15\u00a0kg", "\u6bcf\u6b21 125\u00a0mg\uff0c\u6bcf 8\u00a0\u5c0f\u65f6\u4e00\u6b21\uff0c"
              "\u8fde\u7eed\u670d\u7528 7\u00a0\u5929\u4ee5\u4e0a\uff0c\u6bcf\u5929\u4e0d\u8d85\u8fc7 1000\u00a0mg",
              "\u8bf7\u5728 2026\u00a0\u5e74 12\u00a0\u6708 4\u00a0\u65e5\u524d\u7528\u5b8c\u3002 250\u00a0mg/5\u00a0mL"]
# (known weakness, fixed: "800" / "微克", a Han unit written without a space, could start the next line)
_HAN_TEXTS.append("\u6bcf\u6b21\u670d\u7528 800\u5fae\u514b\uff0c\u6bcf\u5929 2\u6b21\uff0c\u8fde\u7eed 14\u5929\uff0c"
                  "\u6bcf 8\u5c0f\u65f6\u4e00\u6b21\uff0c\u4e0d\u8d85\u8fc7 2400\u5fae\u514b")
_HAN_TEXTS.append("\u8bf7\u7528\u6807\u6709\u201c2.5\u00a0mL\u201d\u523b\u5ea6\u7684\u6ce8\u5c04\u5668\u3002")  # (review:
# a quote before what is joined, too wide for a narrow line: the quote does not end the line either)
_LATIN_TEXTS = ["Take 125\u00a0mg every 8\u00a0hours for 7\u00a0days, never more than 1000\u00a0mg a day",
                "10 to 15\u00a0kg: 250\u00a0mg in 5\u00a0mL"]


def _line_texts(para) -> list[str]:
    lines = para.blPara.lines
    if para.blPara.kind == 0:  # a paragraph of one run: (extra space, [text])
        return [line[1][0] for line in lines]
    return ["".join(w.text for w in line.words) for line in lines]


def _check_han_breaks(text: str, runs: str, width: int, widths_kept: bool = True) -> int:
    """Lay ``text`` out at ``width`` with Han line breaking; fail if a break cuts a number from what a
    no-break space joins it to (when that fits on a line) or loses a character. The number of breaks."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph

    from leaflet import rlbridge

    rlbridge.install()
    cjk, latin = fonts.family("Noto Sans CJK SC").regular, fonts.family("Noto Sans").regular
    style = ParagraphStyle("t", fontName=cjk if runs == "several" else latin, fontSize=14, leading=18,
                           wordWrap="CJK")
    markup = text if runs == "one" else re.sub(r"[ 0-9A-Za-z.,/\u00a0]+", lambda m: f'<font name="{latin}">{m[0]}</font>', text)
    para = Paragraph(markup, style)
    para.wrap(width, 10_000)
    if runs == "one" or re.search(r"[\u3000-\uffff]", text) and re.search(r"[ -~]", text):
        assert (para.blPara.kind == 0) == (runs == "one")  # (ReportLab's one-run or several-run path)
    lines = _line_texts(para)
    assert re.sub(r"\s", "", "".join(lines)) == re.sub(r"\s", "", text)  # nothing lost, nothing added
    for line in para.blPara.lines:  # a line ended early keeps its real width (right-aligned text ends there)
        if not widths_kept:
            break  # (ReportLab's own extra space of a one-run line also counts the spaces it strips)
        if para.blPara.kind == 1:
            assert line.maxWidth == width
        else:
            font = para.frags[0].fontName  # (one run: one font)
            assert line[0] >= width - stringWidth(line[1][0] + "  ", font, style.fontSize) - 0.5, line
    pos, cuts = 0, []
    for line in lines[:-1]:
        pos = text.index(line, pos) + len(line)
        cuts.append(pos)
        if line.rstrip().rstrip(_OPENING).strip():  # (a line of brackets alone: nothing to move)
            assert line.rstrip()[-1] not in _OPENING, f"width {width}: a line ends with an opening bracket: {line!r}"
    for m in _JOINED.finditer(text):
        start, end = m.start(), m.end()  # the Latin text around it, no wider than the line: never cut
        while start and _in_latin_run(text[start - 1]):
            start -= 1
        while end < len(text) and _in_latin_run(text[end]):
            end += 1
        if sum(stringWidth(c, cjk if ord(c) >= 0x3000 else latin, style.fontSize) for c in text[start:end]) > width - 1:
            continue
        inside = [c for c in cuts if m.start() < c < m.end()]
        assert not inside, f"width {width}: {text[:inside[0]]!r} / {text[inside[0]:]!r}"
    return len(cuts)


@pytest.mark.parametrize("text", _HAN_TEXTS + _LATIN_TEXTS)
def test_han_line_breaking_never_cuts_what_no_break_spaces_join(text):
    """Review finding: ReportLab's Han line breaking breaks anywhere; inside Latin text it looks only
    half a line back for a space, and before a Han character not at all. A Chinese table cell printed
    "10 至 15" / "kg", and "每 8" / "小时" could end a line. A number joined to its unit by a no-break
    space (leaflet.inline.bind_numbers) now stays with it, at every width, in a paragraph of one font
    run (ReportLab's textsplit) or of several (its cjkFragSplit)."""
    runs = "one" if text in _LATIN_TEXTS else "several"
    assert sum(_check_han_breaks(text, runs, width) for width in range(60, 400, 3)) >= 3  # (it did break)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["\u6bcf\u6b21", "\u5c0f\u65f6", "\u3002", "\uff0c", "\u81f3", " ", " ", "\u00a0",
                                 "\uff08", "\uff09", "\u300a",
                                 "125\u00a0mg", "8\u00a0\u5c0f\u65f6", "2.5\u00a0mL", "15\u00a0kg", "12", "/", "hours",
                                 "800\u5fae\u514b", "2400",
                                 "a"]), min_size=1, max_size=30),
       st.integers(30, 300), st.sampled_from(["one", "several"]))
@example(pieces=["\u00a0", " ", "\u6bcf\u6b21", "\u6bcf\u6b21", "\u3002", "\u3002", "125\u00a0mg"], width=95,
         runs="one")  # (a no-break space first: ReportLab counted it, and cut "125 m" / "g")
def test_han_line_breaking_keeps_units_with_numbers_for_any_text(pieces, width, runs):
    text = re.sub(" +", " ", "".join(pieces)).strip(" ")  # (as a paragraph's markup is read)
    if runs == "one":
        text = re.sub(r"[\u3000-\uffff]", "x", text)  # (one run: Latin text only)
    if text:
        _check_han_breaks(text, runs, width, widths_kept=runs == "several")


@pytest.mark.parametrize("text", ["\u6bcf\u65e5\u670d\u7528800\u5fae\u514b\uff0c\u8bf7\u5728\u7b2c3\u6b21\u670d\u836f\u540e\u590d\u67e5",
                                  "\u8bf7\u57282027\u5e743\u67085\u65e5\u524d\u590d\u67e5\uff0c\u6bcf\u65e5\u4e0d\u8d85\u8fc72400\u5fae\u514b"])
def test_a_paragraph_of_one_han_run_keeps_a_number_with_its_unit(text):
    """Review finding: a paragraph in one font run (the CJK font has digits: no run of another font)
    went through ReportLab's one-run breaking unchecked, and broke "第3" / "次", "年3月5" / "日" and
    "用80" / "0微克". At every width, no break is inside a number or right after one."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    from leaflet import rlbridge

    rlbridge.install()
    style = ParagraphStyle("t", fontName=fonts.family("Noto Sans CJK SC").regular, fontSize=10, leading=13,
                           wordWrap="CJK")
    broke = 0
    for width in range(45, 160, 3):  # (from about four characters: a number and its unit fit on a line)
        para = Paragraph(text, style)
        para.wrap(width, 10_000)
        lines = _line_texts(para)
        assert "".join(lines) == text, width  # nothing lost, nothing added
        for line, after in zip(lines, lines[1:], strict=False):
            broke += 1
            if line.isdigit():
                continue  # (a number alone on its line, its unit not fitting beside it: nothing to move)
            assert not (line[-1:].isdigit() and after[:1] and not after[0].isspace()), (width, line, after)
    assert broke > 10


def _in_latin_run(ch: str) -> bool:
    return ch == "\u00a0" or not ch.isspace() and ord(ch) < 0x3000


def test_a_chinese_table_cell_keeps_a_number_with_its_unit(tmp_path):
    """Review finding: a narrow cell of a Chinese large-print table printed "10 至 15" / "kg"."""
    import yaml

    data = yaml.safe_load((ROOT / "content" / "diazepam" / "zh-Hans.yaml").read_text(encoding="utf-8"))
    rows = [["10 \u81f3 15 kg", "\u6bcf\u6b21\u670d\u7528 125 mg\uff0c\u6bcf 8 \u5c0f\u65f6\u4e00\u6b21\uff0c"
             "\u996d\u540e\u670d\u7528\u6548\u679c\u66f4\u597d\u4e00\u4e9b", "\u767d\u8272"],
            ["15 \u81f3 20 kg", "\u6bcf\u6b21\u670d\u7528 250 mg \u4e8e 5 mL \u4e2d\uff0c\u6bcf\u5929\u4e24\u6b21\uff0c"
             "\u8fde\u7eed\u670d\u7528 7 \u5929\u4ee5\u4e0a", "\u9ec4\u8272"]]
    header = ["Weight", "Dose", "Colour of the **cap**"]  # (its widths leave the first column narrow)
    data["sections"][0]["blocks"].append({"table": {"header": header, "rows": rows}})
    (tmp_path / "diazepam").mkdir()
    (tmp_path / "diazepam" / "zh-Hans.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        doc = pdfium.PdfDocument(leaflet.build_pdf("diazepam", language="zh-Hans", template="large-print",
                                                   content_dirs=[tmp_path]))
    text = "\n".join(page.get_textpage().get_text_range().replace("\r", "") for page in doc)
    assert "Colour of the" in text  # (the table is there)
    split = re.search(r"[0-9][ \u00a0]*\n[ \u00a0]*(kg|mg|\u5c0f\u65f6|\u5929)", text)
    assert not split, repr(text[max(0, split.start() - 20):split.end()])


def test_han_line_breaking_with_an_anchor_before_a_number_sets_the_paragraph():
    """Review finding: an empty anchor (``<a name>``) just before a number made ReportLab read a
    character that is not there when the line was set again to end before the number (TypeError)."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    from leaflet import rlbridge

    rlbridge.install()
    cjk, latin = fonts.family("Noto Sans CJK SC").regular, fonts.family("Noto Sans").regular
    style = ParagraphStyle("t", fontName=cjk, fontSize=14, leading=18, wordWrap="CJK")
    markup = f'\u6bcf\u6b21<font name="{latin}"> <a name="x"/>125\u00a0mg</font>\uff0c\u6bcf\u5929\u4e24\u6b21'
    for width in range(40, 81, 2):
        para = Paragraph(markup, style)
        para.wrap(width, 10_000)
        assert "".join(_line_texts(para)).replace(" ", "") == "\u6bcf\u6b21125\u00a0mg\uff0c\u6bcf\u5929\u4e24\u6b21"


@pytest.mark.parametrize("align", ["left", "justify", "right", "center"])
def test_a_number_in_a_chinese_line_with_hanging_punctuation_is_not_drawn_over_its_neighbours(align):
    """Review finding (an unseen medicine): "超过 6 个月" printed the 6 over 过 and 个. When a line's
    closing punctuation hangs past its end, ReportLab took the overhang back from the line's spaces,
    counting only its no-break spaces, and moved the words after each space back by the whole
    overhang. Such a line is now drawn as it is, as a line with no no-break space always was."""
    import io

    from reportlab.platypus import SimpleDocTemplate

    from leaflet import layout, rlbridge, templating

    rlbridge.install()
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    bullet = layout.paragraph_styles(templating.load_template("compact"), "zh-Hans")["bullet"]
    alignment = {"left": TA_LEFT, "justify": TA_JUSTIFY, "right": TA_RIGHT, "center": TA_CENTER}[align]
    style = ParagraphStyle(f"bullet-{align}", parent=bullet, alignment=alignment)  # (review: justified too)
    cjk = fonts.family("Noto Sans CJK SC").regular
    markup = (f'<font face="{cjk}">\u6db2\u4f53\u5f00\u74f6\u540e\u8d85\u8fc7</font> 6\u00a0<font face="{cjk}">'
              "\u4e2a\u6708\u4e0d\u8981\u518d\u4f7f\u7528\u3002\u8bf7\u5728\u6807\u7b7e\u4e0a\u5199\u4e0b\u5f00\u74f6"
              "\u65e5\u671f\u3002</font>")
    hung = 0
    for width in range(200, 260, 2):
        buf = io.BytesIO()
        SimpleDocTemplate(buf, pagesize=(width + 72, 300)).build([rlbridge.LeafletParagraph(markup, style,
                                                                                           bulletText="\u2022")])
        textpage = pdfium.PdfDocument(buf.getvalue())[0].get_textpage()
        text = textpage.get_text_range()
        boxes = [textpage.get_charbox(text.index(ch)) for ch in ("\u8fc7", "6", "\u4e2a")]
        if abs(boxes[0][1] - boxes[2][1]) < 2:  # (all three on the first line)
            hung += text.index("\u3002") < text.index("\r")  # (the line ends with the hung full stop)
            assert boxes[0][2] <= boxes[1][0] + 0.5 and boxes[1][2] <= boxes[2][0] + 0.5, (width, boxes)
    assert hung  # (some widths hang the full stop: the case that overprinted)


@pytest.mark.parametrize("template", ["compact", "large-print", "side-heads"])
def test_no_chinese_line_ends_with_an_opening_bracket(template):
    """Review finding: "...艾滋病病毒（" / "HIV）": ReportLab's Han line breaking keeps closing
    punctuation off the start of a line but lets an opening bracket end one."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        data = leaflet.build_pdf("diazepam", language="zh-Hans", template=template, patient=EXAMPLES / "patient.yaml",
                                 pharmacy=EXAMPLES / "pharmacy.yaml")
    for number, page in enumerate(pdfium.PdfDocument(data), start=1):
        for line in page.get_textpage().get_text_range().replace("\r", "").split("\n"):
            text = line.rstrip()
            if text.rstrip(_OPENING).strip():  # (pdfium reads some characters of a line as lines of their own)
                assert text[-1] not in _OPENING, f"page {number}: {text[-24:]!r}"


def test_an_opening_quote_before_a_number_too_wide_to_move_does_not_end_a_line():
    """Review finding: where a no-break group was too wide to move, the opening quote before it was
    left at the end of the line ("请用标有“" / "2.5 mL”...")."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    from leaflet import rlbridge

    rlbridge.install()
    cjk, latin = fonts.family("Noto Sans CJK SC").regular, fonts.family("Noto Sans").regular
    style = ParagraphStyle("t", fontName=cjk, fontSize=16, leading=20, wordWrap="CJK")
    para = Paragraph(f'\u8bf7\u7528\u6807\u6709\u201c<font name="{latin}">2.5\u00a0mL</font>\u201d\u523b\u5ea6\u7684'
                     "\u6ce8\u5c04\u5668\u3002", style)
    para.wrap(80, 10_000)
    lines = _line_texts(para)
    assert all(line.rstrip()[-1:] != "\u201c" for line in lines[:-1]), lines


@pytest.mark.parametrize("lang, directions", [
    ("fr", "Take 10 mg diazepam before the procedure"), ("de", "Take 2.5 ml oral solution twice daily"),
    ("es", "Take 5 mg tablets for anxiety"), ("fr", "10 mg rectal solution as required"),
    ("de", "Take 2 tablets in the morning and 1 at night"), ("pl", "Use as directed"),
    ("vi", "Apply a thin layer twice daily")])
def test_english_free_text_directions_are_flagged_in_a_latin_script_leaflet(lang, directions):
    """Review finding: the leaflet's own words had been read from the whole content file, its ids
    ("how-to-take", "tablets", "oral-solution") and English source titles too, so English directions
    with "take", "tablets" or "oral" passed for French or German and went unflagged."""
    from leaflet import content, pipeline

    source = content.load(ROOT / "content" / "diazepam" / f"{lang}.yaml")
    assert not pipeline._in_own_words(directions, lang, source)
    flag = squeezed(i18n.translations(lang).gettext("These directions were not translated. Ask your pharmacist "
                                                    "to explain them."))
    page = "".join(pdfium.PdfDocument(build(lang, patient={"directions": directions}))[0].get_textpage()
                   .get_text_range().split())
    assert flag in page
