"""PDF/A: every language and template passes pikepdf's PDF/A checker, and the rules we rely on hold."""

from __future__ import annotations

import io
import warnings

import pikepdf
import pikepdf.pdfa
import pytest

import leaflet
from leaflet import archival
from leaflet.cli import main
from leaflet.translations import TranslationWarning

from .conftest import EXAMPLES, ROOT, all_text

LANGS = sorted(p.stem for p in (ROOT / "content" / "diazepam").glob("*.yaml"))
TEMPLATES = ["standard", "large-print"]
PATIENT = {"patient": EXAMPLES / "patient.yaml", "pharmacy": EXAMPLES / "pharmacy.yaml"}


def build(lang: str = "en", **options) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        return leaflet.build_pdf("diazepam", language=lang, **options)


def assert_pdfa_rules(data: bytes, level: str, checker: bool = True) -> None:
    """The concrete PDF/A-2 rules leaflet relies on, checked on the bytes, and pikepdf's checker
    (``checker=False``: leaflet ran it already, and refuses to return a file it did not approve,
    see test_an_unapproved_file_is_never_returned)."""
    if checker:
        report = pikepdf.pdfa.validate_written(io.BytesIO(data), level)
        assert report.passed, [str(f) for f in report.findings]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        intents = pdf.Root.OutputIntents
        assert len(intents) == 1 and intents[0].S == "/GTS_PDFA1"
        profile = intents[0].DestOutputProfile
        assert profile.N == 3 and profile.read_bytes()[36:40] == b"acsp"  # an RGB ICC profile
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == level[0] and meta["pdfaid:conformance"] == "B"
        assert meta["dc:title"] == str(pdf.docinfo.Title)
        assert meta["pdf:Producer"] == str(pdf.docinfo.Producer)
        for page in pdf.pages:
            assert "/Trans" not in page.obj
            for font in page.Resources.Font.values():
                described = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                descriptor = described.FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont
        assert "/AcroForm" not in pdf.Root and "/JavaScript" not in pdf.Root.get("/Names", {})


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("lang", LANGS)
def test_every_language_and_template_passes_pdfa_2b(lang, template):
    data = build(lang, template=template, pdfa="2b", **PATIENT)
    assert_pdfa_rules(data, "2b", checker=False)


@pytest.mark.parametrize("lang", LANGS)
def test_pdfa_3b_embeds_the_content_file_it_was_made_from(lang):
    data = build(lang, template="large-print" if lang in ("ar", "hi") else "standard", pdfa="3b")
    assert_pdfa_rules(data, "3b")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        (spec,) = list(pdf.Root.AF)
        assert spec.AFRelationship == "/Source"
        assert spec.EF.F.read_bytes() == (ROOT / "content" / "diazepam" / f"{lang}.yaml").read_bytes()
        assert spec.EF.F.Subtype == "/application/yaml"
        assert list(pdf.attachments) == [f"{lang}.yaml"]


def test_pdfa_is_the_same_leaflet_and_deterministic():
    plain = build(**PATIENT)
    first, second = build(pdfa="2b", **PATIENT), build(pdfa="2b", **PATIENT)
    assert first == second
    assert all_text(first) == all_text(plain)
    with pikepdf.open(io.BytesIO(first)) as pdf:
        meta = pdf.open_metadata()
        assert meta["xmp:CreateDate"] == meta["xmp:MetadataDate"] == "2026-11-01T00:00:00+00:00"
        assert str(pdf.docinfo.CreationDate) == "D:20261101000000Z"


def test_an_unapproved_file_is_never_returned(monkeypatch):
    monkeypatch.setattr(archival, "_fix_metadata", lambda pdf, created: pdf.Root.Metadata.write(b"junk"))
    with pytest.raises(archival.PdfaError, match="checker did not approve") as info:
        build(pdfa="2b")
    assert info.value.exit_code == 70


def test_fillable_and_pdfa_is_a_clear_user_error():
    with pytest.raises(leaflet.LeafletError, match="fillable") as info:
        build(pdfa="2b", fillable=True)
    assert info.value.exit_code == 2


def test_unknown_level_is_refused():
    with pytest.raises(leaflet.LeafletError, match="unknown PDF/A level"):
        build(pdfa="1a")


def test_command_line_writes_pdfa(tmp_path, capsys):
    out = tmp_path / "a.pdf"
    assert main(["build", "diazepam", "--pdfa", "3b", "-o", str(out)]) == 0
    assert_pdfa_rules(out.read_bytes(), "3b")
    assert main(["build", "diazepam", "--pdfa", "1b", "-o", str(out)]) == 2
    assert "--pdfa" in capsys.readouterr().err


def test_a_leaflet_with_tables_and_figures_passes_pdfa_3b():
    data = leaflet.build_pdf("warfarin", pdfa="3b")
    assert_pdfa_rules(data, "3b")
