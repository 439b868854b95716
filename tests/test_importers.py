"""``leaflet import``: real EU ePI and US SPL files (tests/data/import) -> content that builds, faithfully."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leaflet
from leaflet import content, inline
from leaflet.cli import main
from leaflet.importers import dump, epi, narrative, read, safexml
from leaflet.model import header_rows

from .conftest import DATA, page_texts, reader
from .conftest import body_text as _body_text
from .conftest import squash_all as _squash

IMPORT = DATA / "import"
EPI = sorted(IMPORT.glob("aemps-*.xml")) + [IMPORT / "nordic-level1-no.xml"]
SOURCES = EPI + [IMPORT / "aemps-53508.json", IMPORT / "lipitor-ppi.xml"]
TEMPLATES = ["standard", "large-print"]


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    """Every source imported once with the command line: name -> (content folder, content data)."""
    out: dict[str, tuple[Path, dict]] = {}
    for source in SOURCES:
        folder = tmp_path_factory.mktemp(source.stem)
        stdout, stderr = io.StringIO(), io.StringIO()
        assert main(["import", str(source), "--out", str(folder)], stdout=stdout, stderr=stderr) == 0, \
            stderr.getvalue()
        written = [Path(line) for line in stdout.getvalue().splitlines()]
        assert len(written) == 1 and written[0].is_file()
        assert written[0].parent.parent.resolve() == folder.resolve()
        out[source.name] = (folder, yaml.safe_load(written[0].read_text(encoding="utf-8")))
    return out


@pytest.fixture(scope="module")
def pdfs(imported) -> dict[tuple[str, str], bytes]:
    built = {}
    for name, (folder, data) in imported.items():
        for template in TEMPLATES:
            built[name, template] = leaflet.build_pdf(data["medicine"]["id"], language=data["language"],
                                                      template=template, content_dirs=[folder])
    return built


# what the source says ------------------------------------------------------------------------------

def _leaflet_narrative(source: Path) -> list[ET.Element]:
    """The narrative (XHTML or SPL text) elements of the source's patient leaflet."""
    root = safexml.parse_xml(source.read_bytes(), source.name)
    if root.tag.endswith("document"):  # SPL: the patient-facing section
        for section in root.iter("{urn:hl7-org:v3}section"):
            code = section.find("{urn:hl7-org:v3}code")
            if code is not None and code.get("code") in ("42231-1", "42230-3", "59845-8", "68498-5"):
                return list(section.iter("{urn:hl7-org:v3}text"))
    for composition in root.iter(f"{{{epi.FHIR}}}Composition"):
        codes = [c.get("value") for c in composition.iter(f"{{{epi.FHIR}}}code")]
        if epi.LEAFLET_TYPE in codes:  # the sections' narratives (not the composition's own summary)
            return [div for section in composition.iter(f"{{{epi.FHIR}}}section")
                    for div in section.findall(f"{{{epi.FHIR}}}text/{{{epi.XHTML}}}div")]
    raise AssertionError("no leaflet in " + source.name)


def _pieces(elements: list[ET.Element]) -> list[str]:
    """The source's text pieces (each text node), whitespace removed."""
    out = []
    for el in elements:
        for node in el.iter():
            for text in (node.text, node.tail if node is not el else None):
                if text and text.strip():
                    out.append(text)
    return out


def coverage(source: Path, pdf: bytes, template: str = "standard") -> tuple[float, list[str]]:
    """Share of the source's narrative words found in the PDF (each text piece, whole and in one
    place), and the pieces that were not found."""
    text = _body_text(pdf, template)
    total = found = 0
    missing = []
    for piece in _pieces(_leaflet_narrative(source)):
        words = len(piece.split())
        total += words
        if _squash(piece) in text:
            found += words
        else:
            missing.append(piece.strip())
    return found / total, missing


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_the_source_narrative_is_in_the_pdf(pdfs, source, template):
    xml_source = source.with_suffix(".xml")  # the JSON bundle says what its XML twin says
    share, missing = coverage(xml_source, pdfs[source.name, template], template)
    assert share >= 0.98, f"{share:.1%} of the words; missing: {missing[:8]}"


def test_coverage_notices_missing_text(pdfs):
    """The measurement itself: another medicine's PDF, or one without the side-effects section, fails."""
    source = IMPORT / "aemps-64279.xml"
    assert coverage(source, pdfs[source.name, "standard"])[0] >= 0.98
    assert coverage(source, leaflet.build_pdf("diazepam"))[0] < 0.5
    assert len(_pieces(_leaflet_narrative(source))) > 100


# structure ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("source", EPI, ids=[s.name for s in EPI])
def test_epi_sections_are_the_six_in_order(imported, source):
    data = imported[source.name][1]
    assert [s["id"] for s in data["sections"]] == epi.ORDER
    assert data["origin"] == "imported" and data["imported_from"]["format"] == "epi"
    titles = [s["title"] for s in data["sections"]] + [
        sub["title"] for s in data["sections"] for sub in s.get("subsections", [])]
    assert not any("<" in t or ">" in t for t in titles), titles  # template remnants resolved
    assert not any(re.match(r"\d", t) for t in titles[:6])  # the template numbers the six


def test_the_medicine_s_name_is_the_one_its_leaflet_is_for(imported):
    """Review finding: the Simvastatina Almus summary of product characteristics names three medicines
    (10, 20 and 40 mg), and the 20 mg package leaflet was titled with the first, "10 mg", on its title
    and every page's footer. The name is the one whose name and strength the leaflet's text uses; when
    it names none or several alike, the first, and the import's notes say to check it."""
    from leaflet.importers.epi import _the_leaflet_s

    simva = imported["aemps-64279.xml"][1]
    assert simva["medicine"]["name"] == "Simvastatina ALMUS 20 mg comprimidos recubiertos con película EFG"
    assert imported["aemps-39681.xml"][1]["medicine"]["name"] == "Salazopyrina 500 mg comprimidos"
    names = ["X 10 mg comprimidos", "X 20 mg comprimidos", "X 40 mg comprimidos"]
    notes: list[str] = []
    assert _the_leaflet_s(names, "Cómo tomar X 40 mg. Si toma más X40 mg ...", notes) == names[2]
    assert "X 40 mg 2 times" in notes[-1] and "X 10 mg 0 times" in notes[-1] and "the one it names most" in notes[-1]
    assert _the_leaflet_s(names, "Cómo tomar X", notes) == names[0] and "the first" in notes[-1]
    assert _the_leaflet_s(names, "X 10 mg o X 20 mg", notes) == names[0] and "the first" in notes[-1]  # (alike)
    assert _the_leaflet_s(["Y 5 mg"], "", notes) == "Y 5 mg" and len(notes) == 3  # (one name: nothing to check)
    # (review of the fix) a combination's names differ in their second strength: matched whole
    combos = ["Exforge 5 mg/80 mg comprimidos", "Exforge 5 mg/160 mg comprimidos"]
    assert _the_leaflet_s(combos, "Cómo tomar Exforge 5 mg/160 mg", notes) == combos[1]


def test_codes_missing_or_wrong_fall_back_on_numbers_and_order(imported):
    salazopyrina = imported["aemps-39681.xml"][1]
    storage = salazopyrina["sections"][4]
    assert storage["title"] == "Conservación de Salazopyrina 500 mg comprimidos"  # no number in the source
    before = salazopyrina["sections"][1]["title"]
    assert before == "Qué necesita saber antes de empezar a tomar Salazopyrina 500 mg comprimidos"
    simva = imported["aemps-64279.xml"][1]  # "Qué necesita saber ..." has no "2." but its code
    assert simva["sections"][1]["id"] == "before-you-take"
    assert [s["title"] for s in simva["sections"][2]["subsections"]][:2] == [
        "Uso en niños y adolescentes:", "Si olvidó tomarSimvastatina Almus 20 mg"]  # XXXXXXXXXXXX codes


def test_metadata_comes_from_the_bundle(imported):
    isentress = imported["aemps-07436001.xml"][1]
    assert isentress["language"] == "es"
    assert isentress["medicine"] == {"id": "isentress",
                                     "name": "ISENTRESS 400 mg comprimidos recubiertos con película"}
    assert isentress["revision"] == {"date": "2025-06-04"}
    assert isentress["imported_from"] == {"format": "epi", "file": "aemps-07436001.xml",
                                          "identifier": "EPI/24/129", "date": "2025-06-04"}
    nordic = imported["nordic-level1-no.xml"][1]
    assert nordic["language"] == "no" and nordic["medicine"]["name"] == "MPD1"


def test_json_and_xml_bundles_import_the_same(imported):
    from_json = dict(imported["aemps-53508.json"][1])
    from_xml = dict(imported["aemps-53508.xml"][1])
    assert from_json.pop("imported_from")["file"] == "aemps-53508.json"
    assert from_xml.pop("imported_from")["file"] == "aemps-53508.xml"
    assert from_json == from_xml


def _blocks(data: dict):
    for part in [data.get("intro", [])] + [s["blocks"] for s in data["sections"]] + [
            sub["blocks"] for s in data["sections"] for sub in s.get("subsections", [])]:
        yield from part


def _images(pdf: bytes) -> int:
    return sum(1 for page in reader(pdf).pages
               for x in (page["/Resources"].get("/XObject") or {}).values()
               if x.get_object()["/Subtype"] == "/Image")


@pytest.mark.parametrize("template", TEMPLATES)
def test_tables_come_out_as_tables_and_images_as_images(imported, pdfs, template):
    isentress = imported["aemps-07436001.xml"][1]
    tables = [b["table"] for b in _blocks(isentress) if isinstance(b, dict) and "table" in b]
    assert len(tables) == 1 and len(tables[0]["rows"]) >= 15 and len(tables[0]["rows"][0]) == 2
    pdf = pdfs["aemps-07436001.xml", template]
    text = _body_text(pdf, template)
    for row in tables[0]["rows"]:
        assert _squash(inline.plain(" ".join(row))) in text  # a row's cells side by side, in order
    grid = sum(page.get_contents().get_data().count(b" l S") for page in reader(pdf).pages)
    assert grid >= 2 * len(tables[0]["rows"])  # drawn rules between the cells
    for name, (_, data) in imported.items():
        figures = [b for b in _blocks(data) if isinstance(b, dict) and "figure" in b]
        assert _images(pdfs[name, template]) == len(figures), name
    assert sum(_images(pdfs[name, template]) for name in imported) >= 4


def test_spl_keeps_its_own_questions_as_headings(imported, pdfs):
    lipitor = imported["lipitor-ppi.xml"][1]
    titles = [s["title"] for s in lipitor["sections"]]
    assert titles[:3] == ["What is LIPITOR?", "What is Cholesterol?", "Who Should Not Take LIPITOR?"]
    assert "How Should I Take LIPITOR?" in titles and "What are the Ingredients in LIPITOR?" in titles
    assert lipitor["section_numbers"] is False
    assert lipitor["imported_from"] == {"format": "spl", "file": "lipitor-ppi.xml",
                                        "identifier": "c6e131fe-e7df-4876-83f7-9156fc4e8228",
                                        "version": "11", "date": "2014-01-13"}
    text = " ".join(" ".join(p.extract_text().split()) for p in reader(pdfs["lipitor-ppi.xml", "standard"]).pages)
    assert "What is LIPITOR?" in text and "1. What is LIPITOR?" not in text
    assert "imported from lipitor-ppi.xml (c6e131fe-e7df-4876-83f7-9156fc4e8228, version 11, 13 January 2014)" \
        in text


def test_a_missing_picture_is_reported_and_left_out(tmp_path):
    stderr = io.StringIO()
    assert main(["import", str(IMPORT / "lipitor-ppi.xml"), "--out", str(tmp_path)],
                stdout=io.StringIO(), stderr=stderr) == 0
    assert "lipitor-05.jpg (Logo) is not beside the SPL file and was left out" in stderr.getvalue()


def test_a_label_without_a_patient_section_is_an_error_and_writes_nothing(tmp_path):
    stdout, stderr = io.StringIO(), io.StringIO()
    assert main(["import", str(IMPORT / "otc-cough.xml"), "--out", str(tmp_path)],
                stdout=stdout, stderr=stderr) == 2
    assert "no patient-facing section" in stderr.getvalue() and "otc-cough.xml" in stderr.getvalue()
    assert "Traceback" not in stderr.getvalue() and stdout.getvalue() == ""
    assert list(tmp_path.iterdir()) == []


def _nested_bundle() -> bytes:
    """A leaflet whose narrative nests spans 5,000 deep."""
    base = (IMPORT / "nordic-level1-no.xml").read_bytes()
    deep = b"<span>" * 5000 + b"x" + b"</span>" * 5000
    assert b"<li>Ta vare" in base
    return base.replace(b"<li>Ta vare", b"<li>" + deep + b"Ta vare", 1)


@pytest.mark.parametrize("text, message", [
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Bundle xmlns="http://hl7.org/fhir">&a;</Bundle>',
     "DTD or entities"),
    (b'<Bundle xmlns="http://hl7.org/fhir"><entry>', "not well-formed XML"),
    (b'<html/>', "not an ePI bundle or an SPL label"),
    (b'{"resourceType": "Patient"}', "not a FHIR Bundle"),
    (b'<Bundle xmlns="http://hl7.org/fhir"/>', "no package leaflet"),
    (b'%PDF-1.4', "neither XML nor JSON"),
    (b'{"resourceType": "Bundle", "entry": ' + b'[' * 100000 + b']' * 100000 + b'}', "nested too deeply"),
    (_nested_bundle(), "nested too deeply"),
])
def test_bad_sources_are_refused_with_a_message(tmp_path, text, message):
    source = tmp_path / "source.xml"
    source.write_bytes(text)
    out = tmp_path / "out"
    out.mkdir()
    stderr = io.StringIO()
    assert main(["import", str(source), "--out", str(out)], stdout=io.StringIO(), stderr=stderr) == 2
    assert message in stderr.getvalue() and "source.xml" in stderr.getvalue()
    assert list(out.iterdir()) == []


def test_a_source_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(safexml, "MAX_SOURCE_BYTES", 1000)
    stderr = io.StringIO()
    assert main(["import", str(IMPORT / "aemps-53508.xml"), "--out", str(tmp_path)],
                stdout=io.StringIO(), stderr=stderr) == 2
    assert "larger than" in stderr.getvalue()


def test_imported_content_passes_check_but_authored_rules_stay_strict(imported, tmp_path):
    folder, data = imported["lipitor-ppi.xml"]
    stdout = io.StringIO()
    assert main(["check", str(folder)], stdout=stdout) == 0, stdout.getvalue()
    authored = dict(data, origin="authored")  # the same text claimed as authored: the EU rules apply
    authored.pop("imported_from")
    path = tmp_path / "lipitor" / "en.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(authored, allow_unicode=True), encoding="utf-8")
    with pytest.raises(leaflet.LeafletError, match="missing required field"):
        content.load(path)


def test_an_imported_leaflet_must_say_where_it_came_from(imported, tmp_path):
    _, data = imported["aemps-53508.xml"]
    bare = {k: v for k, v in data.items() if k != "imported_from"}
    path = tmp_path / "recto-menaderm" / "es.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(bare, allow_unicode=True), encoding="utf-8")
    with pytest.raises(leaflet.LeafletError, match="imported_from"):
        content.load(path)


def test_importing_again_replaces_the_file(tmp_path):
    for _ in range(2):
        stdout = io.StringIO()
        assert main(["import", str(IMPORT / "aemps-53508.xml"), "--out", str(tmp_path), "--id", "menaderm"],
                    stdout=stdout, stderr=io.StringIO()) == 0
    assert sorted(p.name for p in (tmp_path / "menaderm").iterdir()) == ["es.yaml"]  # no temporary files


# the narrative converter ---------------------------------------------------------------------------

def _div(body: str) -> ET.Element:
    return ET.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>')


def test_whitespace_is_cleaned_and_words_split_across_spans_joined():
    vocabulary = narrative.Vocabulary(["Si tiene alguna duda", "le ha recetado solamente a usted hoy"])
    converter = narrative.Converter(vocabulary)
    blocks = narrative.finish(converter.blocks(_div(
        "<p><span>Si tie</span><span>ne alguna duda</span></p><p>\u00a0</p><p><span> </span></p>"
        "<p><span>le ha recetado</span><span>solamente</span><span>a usted</span></p>"
        "<p><strong>Bold </strong>then <em>it</em>al<strong><em>ic</em></strong> * star</p>"
        "<p><span>No utilice</span><span>Simvastatina</span> <span>el m</span><span>RNA</span></p>")))
    assert blocks == ["Si tiene alguna duda", "le ha recetado solamente a usted",
                      "**Bold** then *it*al**ic** \\* star", "No utilice Simvastatina el mRNA"]


def test_lists_nest_one_level_and_ordered_lists_are_steps():
    converter = narrative.Converter()
    blocks = narrative.finish(converter.blocks(_div(
        "<ul><li>one<ul><li>a</li><li>b<ul><li>deep</li></ul></li></ul></li><li>two</li></ul>"
        "<ol><li>first</li><li>second</li></ol>")))
    assert blocks == [{"bullets": [{"text": "one", "bullets": ["a", "b", "deep"]}, "two"]},
                      {"steps": ["first", "second"]}]


def test_a_table_cell_keeps_every_paragraph_and_list_item_on_its_own_line():
    """Review finding: a list in a cell kept its first item only (the others were lost without a word),
    and a cell's paragraphs ran together on one line ("MSD Belgium Tél/Tel: +32(0)27766211")."""
    blocks = narrative.finish(narrative.Converter().blocks(_div(
        "<table><tr><th>Dose</th><th>Contact</th></tr><tr>"
        "<td><ul><li>one tablet</li><li>two tablets<ul><li>with food</li></ul></li><li>no more</li></ul></td>"
        "<td><p><strong>Belgique</strong></p><p>MSD Belgium</p>Tel: 32<br/>mail</td></tr>"
        "<tr><td><ol><li>shake</li><li>measure</li></ol></td><td></td></tr></table>")))
    assert blocks == [{"table": {"header": ["Dose", "Contact"], "rows": [
        ["\u2022 one tablet\n\u2022 two tablets\n\u2013 with food\n\u2022 no more",
         "**Belgique**\nMSD Belgium\nTel: 32\nmail"],
        ["1. shake\n2. measure", ""]]}}]


def test_a_cell_s_list_is_numbered_only_where_its_numbers_are_plain():
    """Review finding: a bullet under a numbered item in a cell became a numbered step ("2. for 10
    seconds", then "3. Measure 5 ml" for the source's second item); a list starting at 3 printed 1."""
    def cell(body: str) -> str:
        [block] = narrative.finish(narrative.Converter().blocks(_div(f"<table><tr><td>{body}</td></tr></table>")))
        return block["table"]["rows"][0][0]

    assert cell("<ol><li>Shake</li><li>Measure 5 ml</li></ol>") == "1. Shake\n2. Measure 5 ml"
    assert cell("<ol><li>Shake<ul><li>for 10 seconds</li></ul></li><li>Measure 5 ml</li></ol>") == \
        "\u2022 Shake\n\u2022 for 10 seconds\n\u2022 Measure 5 ml"
    assert cell('<ol start="3"><li>Shake</li></ol>') == "\u2022 Shake"


def test_a_cell_spanning_rows_keeps_the_cells_after_it_in_their_columns():
    """Known weakness, fixed: a cell with ``rowspan`` was read in its first row only, so in the rows it
    spans every cell after it moved one column left (a dose under the age heading). Each spanned row
    gets the cell's text in its column, and the import says so."""
    converter = narrative.Converter()
    [block] = narrative.finish(converter.blocks(_div(
        "<table><thead><tr><th>Age</th><th>Weight</th><th>Dose</th></tr></thead><tbody>"
        "<tr><td rowspan='2'>Children</td><td>10 to 20 kg</td><td>5 mL</td></tr>"
        "<tr><td>20 to 30 kg</td><td>10 mL</td></tr>"
        "<tr><td>Adults</td><td colspan='1' rowspan='2'>any</td><td>20 mL</td></tr>"
        "<tr><td>Older adults</td><td>15 mL</td></tr>"
        "<tr><td>Last</td><td>x</td><td rowspan='3'>tail</td></tr>"
        "</tbody></table>")))
    assert block["table"]["header"] == ["Age", "Weight", "Dose"]
    assert block["table"]["rows"] == [["Children", "10 to 20 kg", "5 mL"], ["Children", "20 to 30 kg", "10 mL"],
                                      ["Adults", "any", "20 mL"], ["Older adults", "any", "15 mL"],
                                      ["Last", "x", "tail"]]
    assert any("spans rows" in note for note in converter.notes)
    [plain] = narrative.finish(narrative.Converter().blocks(_div(
        "<table><tr><td rowspan='x'>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>")))
    assert plain["table"]["rows"] == [["a", "b"], ["c", "d"]]  # (a span that is not a number: none)
    def table(body: str) -> dict:
        [block] = narrative.finish(narrative.Converter().blocks(_div(f"<table>{body}</table>")))
        return block["table"]

    # (review of the fix) a span ends with its section: a header cell spanning two header rows does not
    # run into the body; overlapping spans in a malformed table are used up, not carried on; a spacer
    # row holding only spanned copies is left out
    assert table("<thead><tr><th rowspan='2'>Age</th><th>Dose</th></tr></thead><tbody><tr><td>Adults</td>"
                 "<td>10 mg</td></tr></tbody>") == {"header": ["Age", "Dose"], "rows": [["Adults", "10 mg"]]}
    assert table("<tr><td>A</td><td rowspan='2'>B</td><td>C</td></tr><tr><td colspan='2'>X</td><td>Y</td></tr>"
                 "<tr><td>Z1</td><td>Z2</td><td>Z3</td></tr>")["rows"][2] == ["Z1", "Z2", "Z3"]
    assert table("<tr><td rowspan='3'>Organ</td><td>a</td></tr><tr><td></td></tr><tr><td>b</td></tr>")["rows"] == [
        ["Organ", "a"], ["Organ", "b"]]
    assert table("<tbody><tr><td rowspan='0'>All ages</td><td>5 mL</td></tr><tr><td>10 mL</td></tr></tbody>"
                 "<tfoot><tr><td>Note</td><td>x</td></tr></tfoot>")["rows"] == [  # (0: to its section's end)
        ["All ages", "5 mL"], ["All ages", "10 mL"], ["Note", "x"]]
    from leaflet.importers import spl  # an SPL table's spans reach the converter too

    text = ET.fromstring('<text xmlns="urn:hl7-org:v3"><table><tbody><tr><td rowspan="2">Children</td><td>5 mL</td>'
                         '</tr><tr><td>10 mL</td></tr></tbody></table></text>')
    [block] = narrative.finish(narrative.Converter().blocks(spl.to_xhtml(text, {})))
    assert block["table"]["rows"] == [["Children", "5 mL"], ["Children", "10 mL"]]


def test_an_imported_address_table_prints_a_line_per_paragraph(tmp_path):
    """The representatives' table of a real EU leaflet: each cell's paragraphs (country, company,
    telephone, e-mail) print one under the other, as in the approved document."""
    [item] = read(IMPORT / "aemps-07436001.xml", "isentress")
    folder = tmp_path / "isentress"
    folder.mkdir()
    (folder / f"{item.language}.yaml").write_text(dump(item.data), encoding="utf-8")
    data = leaflet.build_pdf("isentress", language=item.language, content_dirs=[tmp_path])
    lines = [line.strip() for page in page_texts(data) for line in page.splitlines()]
    at = lines.index("Lietuva")
    assert lines[at + 1:at + 4] == ["UAB Merck Sharp & Dohme", "Tel.: +370 5 278 02 47", "msd_lietuva@merck.com"]


_INLINE = st.sampled_from(["span", "strong", "em", "b", "i", "a"])
_WORDS = st.text(alphabet=st.sampled_from(list("abcdefé *ñ\u00a0\n\t")), max_size=12)


@st.composite
def _fragment(draw, depth=0):
    kind = draw(st.sampled_from(["text", "inline", "p", "ul", "ol", "table"][:6 if depth == 0 else 5]
                                if depth < 3 else ["text"]))
    if kind == "text":
        return ET_escape(draw(_WORDS))
    if kind == "table":  # cells hold paragraphs and lists too
        cells = draw(st.lists(st.lists(_fragment(depth + 1), max_size=3), min_size=1, max_size=3))
        return "<table><tr>" + "".join(f"<td>{''.join(c)}</td>" for c in cells) + "</tr></table>"
    if kind == "ol":
        return "<ol>" + "".join(f"<li>{draw(_fragment(depth + 1))}</li>" for _ in range(draw(st.integers(1, 3)))) \
            + "</ol>"
    children = "".join(draw(st.lists(_fragment(depth + 1), max_size=3)))
    if kind == "inline":
        tag = draw(_INLINE)
        return f"<{tag}>{children}</{tag}>"
    if kind == "p":
        return f"<p>{children}</p>"
    return "<ul>" + "".join(f"<li>{draw(_fragment(depth + 1))}</li>" for _ in range(draw(st.integers(1, 3)))) \
        + "</ul>"


def ET_escape(text: str) -> str:  # noqa: N802
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _letters(text: str) -> str:
    return re.sub(r"[\s\u00a0]+", "", text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_fragment(), max_size=4))
def test_the_converter_never_changes_a_letter(parts):
    """Whatever the nesting and emphasis, the text read back from the content is the source's text."""
    div = _div("".join(parts))
    blocks = narrative.finish(narrative.Converter().blocks(div))
    out = []
    for block in blocks:
        if isinstance(block, dict) and "table" in block:  # a cell's lines, a list's with its bullet or number
            rows = header_rows(block["table"].get("header"))
            cells = [cell for row in rows + block["table"]["rows"] for cell in row]
            out += [re.sub(r"(?m)^(\u2022|\u2013|[0-9]+\.) ", "", inline.plain(cell)) for cell in cells]
            continue
        for text in narrative._text_of(block):
            out.append(inline.plain(text))
    source = "".join(div.itertext())
    # list markers at an item's start may be dropped ("- ", "· "), nothing else
    assert _letters("".join(out)) == _letters(source) or \
        _letters(re.sub(r"(^|\n)[\-\u00b7]\s", "", "".join(out))) == _letters(source)


def test_titles_lose_template_remnants():
    assert epi.clean_title("2. Qué necesita saber antes de empezar a <tomar><usar> Qué necesita saber antes de "
                           "empezar a usar X") == "2. Qué necesita saber antes de empezar a usar X"
    assert epi.clean_title("X con <alimentos> <y> bebidas") == "X con alimentos/y bebidas"
    assert epi.clean_title("  5  Conservación\u00a0de X ") == "5 Conservación de X"


def test_read_returns_checked_content_without_writing(tmp_path):
    [item] = read(IMPORT / "nordic-level1-no.xml", "mpd-one")
    assert item.medicine == "mpd-one" and item.language == "no"
    assert list(tmp_path.iterdir()) == []


def _nordic_with(tmp_path: Path, change) -> Path:
    ET.register_namespace("", epi.FHIR)
    ET.register_namespace("html", epi.XHTML)
    root = ET.fromstring((IMPORT / "nordic-level1-no.xml").read_bytes())
    change(root)
    path = tmp_path / "bundle.xml"
    path.write_bytes(ET.tostring(root))
    return path


def test_every_leaflet_in_a_bundle_is_written(tmp_path):
    import copy

    def add_swedish(root):
        entry = next(e for e in root.iter(f"{{{epi.FHIR}}}entry")
                     if e.find(f"{{{epi.FHIR}}}resource/{{{epi.FHIR}}}Composition") is not None)
        twin = copy.deepcopy(entry)
        twin.find(f".//{{{epi.FHIR}}}Composition/{{{epi.FHIR}}}language").set("value", "sv")
        root.append(twin)
    source = _nordic_with(tmp_path, add_swedish)
    out = tmp_path / "out"
    out.mkdir()
    stdout = io.StringIO()
    assert main(["import", str(source), "--out", str(out)], stdout=stdout, stderr=io.StringIO()) == 0
    assert [Path(p).name for p in stdout.getvalue().split()] == ["no.yaml", "sv.yaml"]


def test_a_character_the_fonts_cannot_draw_is_an_error_not_a_changed_text(tmp_path):
    def private_use(root):
        p = next(root.iter(f"{{{epi.XHTML}}}li"))
        p.text = "\ue000 " + (p.text or "")
    source = _nordic_with(tmp_path, private_use)
    out = tmp_path / "out"
    out.mkdir()
    stderr = io.StringIO()
    assert main(["import", str(source), "--out", str(out)], stdout=io.StringIO(), stderr=stderr) == 2
    assert "U+E000" in stderr.getvalue() and "private-use" in stderr.getvalue()  # refused by the typed-text rules
    assert list(out.iterdir()) == []


def test_pictures_go_beside_a_content_file_that_would_be_too_large(tmp_path, monkeypatch):
    import leaflet.importers as importers

    [item] = read(IMPORT / "aemps-39681.xml")
    whole = len(importers.dump(item.data).encode("utf-8"))
    monkeypatch.setattr(importers, "MAX_BYTES", whole - 1)  # the text fits, the text and its picture do not
    stdout = io.StringIO()
    assert main(["import", str(IMPORT / "aemps-39681.xml"), "--out", str(tmp_path)],
                stdout=stdout, stderr=io.StringIO()) == 0
    written = [Path(p) for p in stdout.getvalue().split()]
    assert [p.name for p in written] == ["es-picture-1.jpg", "es.yaml"]
    data = yaml.safe_load(written[-1].read_text(encoding="utf-8"))
    assert [b["figure"]["src"] for b in _blocks(data) if isinstance(b, dict) and "figure" in b] == ["es-picture-1.jpg"]
    assert _images(leaflet.build_pdf("salazopyrina", language="es", content_dirs=[tmp_path])) == 1


def test_a_picture_kept_as_a_binary_resource_is_found(tmp_path):
    import base64
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))

    def add_binary(root):
        f = epi.FHIR
        entry = ET.SubElement(root, f"{{{f}}}entry")
        binary = ET.SubElement(ET.SubElement(entry, f"{{{f}}}resource"), f"{{{f}}}Binary")
        ET.SubElement(binary, f"{{{f}}}id", value="pic1")
        ET.SubElement(binary, f"{{{f}}}contentType", value="image/png")
        ET.SubElement(binary, f"{{{f}}}data", value=base64.b64encode(png).decode())
        li = next(root.iter(f"{{{epi.XHTML}}}li"))
        ET.SubElement(li, f"{{{epi.XHTML}}}img", src="#pic1", alt="a dot")
    [item] = read(_nordic_with(tmp_path, add_binary))
    figures = [b["figure"] for b in _blocks(item.data) if isinstance(b, dict) and "figure" in b]
    assert [f["alt"] for f in figures] == ["a dot"] and figures[0]["src"].startswith("data:image/png;base64,")


def test_a_table_with_two_header_rows_keeps_both_as_its_header(tmp_path):
    """Known weakness, fixed: a table whose header is two rows (a group heading, "Dose", above the
    columns' headings "Adults" and "Children", as approved product information has) printed its second
    header row as a data row: neither shaded, bold and repeated on a new page, nor header cells (TH) in
    the tagged PDF. Both rows are the header now, in the content file, the PDF and its tags."""
    import pikepdf

    rows = "".join(f"<tr><td>{i} to {i + 1} years</td><td>{i} mg</td><td>{i + 1} mL</td></tr>" for i in range(70))
    [block] = narrative.finish(narrative.Converter().blocks(_div(
        "<table><thead><tr><th></th><th colspan='2'>Dose</th></tr>"
        "<tr><th>Age</th><th>Tablets</th><th>Oral solution</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>")))
    # (review of the fix) the group heading spans two columns: it is printed over each of them
    assert block["table"]["header"] == [["", "Dose", "Dose"], ["Age", "Tablets", "Oral solution"]]
    assert block["table"]["rows"][0] == ["0 to 1 years", "0 mg", "1 mL"]
    folder = tmp_path / "content" / "testamol"
    folder.mkdir(parents=True)
    data = yaml.safe_load((DATA / "content" / "testamol" / "en.yaml").read_text("utf-8"))
    data["sections"][0]["blocks"].append(block)
    (folder / "en.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    pdf_bytes = leaflet.build_pdf("testamol", content_dirs=[tmp_path / "content"])
    pages = [" ".join(text.split()) for text in page_texts(pdf_bytes)]
    starts = [i for i, text in enumerate(pages) if "Age Tablets Oral solution" in text]
    assert len(starts) >= 2, pages  # the table breaks across pages; both header rows come again
    for i in starts:  # the group heading is one cell over its two columns (a merged cell, ColSpan 2)
        assert "Dose Age Tablets Oral solution" in pages[i] and "Dose Dose" not in pages[i]
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        found = []

        def walk(el):
            if str(el.get("/S")) == "/Table":
                kids = el.K if isinstance(el.K, pikepdf.Array) else [el.K]
                found.append([[str(c.S) + (f" {int(c.A.ColSpan)}" if "/A" in c and "/ColSpan" in c.A else "")
                               for c in (tr.K if isinstance(tr.K, pikepdf.Array) else [tr.K])]
                              for tr in kids if str(tr.S) == "/TR"])
            kids = el.get("/K")
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    walk(kid)
        walk(pdf.Root.StructTreeRoot)
    [table] = [t for t in found if len(t) == 72]
    assert table[0] == ["/TH", "/TH 2"] and table[1] == ["/TH"] * 3 and table[2] == ["/TD"] * 3, table[:3]
    html = leaflet.build_html("testamol", content_dirs=[tmp_path / "content"])
    assert '<th scope="col" colspan="2">Dose</th>' in html and html.count(">Dose</th>") == 1


def test_a_header_cell_spanning_columns_is_printed_over_each_of_them():
    """Review finding: a header cell with ``colspan`` (a group heading) stood over its first column
    only. It is printed over each column it spans, so each column's headings say what it holds; a
    header row of one cell across the table (its title) is not. A data cell that spans columns is a
    wide cell over them: copied, "20 mg a day in two doses" under "Morning" and "Evening" would read as
    20 mg twice (review of the fix), and in its first column only as the morning's dose. A header keeps at most four rows (the
    import says so); a table of header cells only has its first row as the header, and a table of one
    header row only is a row of data (the content needs one)."""
    def table(body: str) -> tuple[dict, list[str]]:
        converter = narrative.Converter()
        [block] = narrative.finish(converter.blocks(_div(f"<table>{body}</table>")))
        return block["table"], converter.notes

    found, notes = table("<thead><tr><th colspan='3'>Table 1 Dosing</th></tr>"
                         "<tr><th></th><th colspan='2'>Dose</th></tr>"
                         "<tr><th>Age</th><th>Morning</th><th>Evening</th></tr></thead>"
                         "<tbody><tr><td colspan='3'>Children</td></tr>"
                         "<tr><td>Adults</td><td colspan='2'>20 mg a day in two doses</td></tr></tbody>")
    assert found["header"] == [["Table 1 Dosing", "", ""], ["", "Dose", "Dose"], ["Age", "Morning", "Evening"]]
    assert found["rows"] == [[{"text": "Children", "columns": 3}],
                             ["Adults", {"text": "20 mg a day in two doses", "columns": 2}]]
    assert not any("column" in note for note in notes)
    found, notes = table("<tr><th>Age</th><th>Dose</th></tr><tr><td colspan='2'>Children</td></tr>"
                         "<tr><td>Adults</td><td>2 mg</td></tr>")
    assert found["rows"] == [[{"text": "Children", "columns": 2}], ["Adults", "2 mg"]]
    assert not any("column" in n for n in notes)
    # a cell spanning a column a cell from above spans into: the one from above is used up
    found, notes = table("<tr><td>A</td><td rowspan='2'>B</td></tr><tr><td colspan='2'>X</td></tr>")
    assert found["rows"] == [["A", "B"], [{"text": "X", "columns": 2}]]
    converter = narrative.Converter()  # (text in a column a cell spans: the cells stay apart, noted)
    assert converter._wide_cells(["X", "B", "C"], [(0, 2)]) == ["X", "B", "C"]
    assert converter._wide_cells(["X", "", "C"], [(0, 2)]) == [{"text": "X", "columns": 2}, "C"]
    assert any("check the table" in note for note in converter.notes)
    # a table in a cell is its rows' text, a wide cell's too
    found, _notes = table("<tr><td>Outer</td><td><table><tr><th>Age</th><th>Dose</th></tr><tr><td colspan='2'>"
                          "Children: ask</td></tr><tr><td>Adults</td><td>2 mg</td></tr></table></td></tr>")
    assert found["rows"] == [["Outer", "Age Dose\nChildren: ask\nAdults 2 mg"]]
    heads = "".join(f"<tr><th>h{i}</th><th>x</th></tr>" for i in range(6))
    found, notes = table(f"<thead>{heads}</thead><tbody><tr><td>a</td><td>b</td></tr></tbody>")
    assert found["header"] == [[f"h{i}", "x"] for i in range(4)] and found["rows"][:2] == [["h4", "x"], ["h5", "x"]]
    assert any("after the 4th" in note for note in notes)
    found, _notes = table("<tr><th>A</th><th>B</th></tr><tr><th>C</th><th>D</th></tr>")
    assert found == {"header": ["A", "B"], "rows": [["C", "D"]]}
    found, _notes = table("<tr><th>Keep out of the reach of children</th></tr>")
    assert found == {"rows": [["Keep out of the reach of children"]]}


@st.composite
def _spanned_grid(draw, width: int | None = None, tag: str = "td", prefix: str = "t"):
    """A table as HTML with cells spanning rows and columns, and the grid it stands for: each cell
    (text, row, column, rowspan, colspan) placed at the first free slot, as HTML lays tables out."""
    width, height = width or draw(st.integers(1, 5)), draw(st.integers(1, 6 if tag == "td" else 3))
    taken: set[tuple[int, int]] = set()
    cells = []
    for r in range(height):
        for c in range(width):
            if (r, c) in taken:
                continue
            free = 1
            while c + free < width and (r, c + free) not in taken and free < 3:
                free += 1
            across = draw(st.integers(1, free))
            down = 1
            while r + down < height and down < 3 and all((r + down, k) not in taken for k in range(c, c + across)):
                down += 1
            down = draw(st.integers(1, down))
            cells.append((f"{prefix}{len(cells)}", r, c, down, across))
            taken |= {(rr, k) for rr in range(r, r + down) for k in range(c, c + across)}
    html = ""
    for r in range(height):
        row = [cell for cell in cells if cell[1] == r]
        html += "<tr>" + "".join(f"<{tag} rowspan='{d}' colspan='{a}'>{t}</{tag}>" for t, _r, _c, d, a in row) + "</tr>"
    return html, cells, width, height


def _grid_rows(cells: list, width: int, height: int, head: bool) -> list[list]:
    """The rows the converter should make of a grid: each cell's text in its column in every row it
    spans; a header cell's also in each column it spans (not a row's one cell across it all); a data
    cell that spans columns a wide cell over them ({"text", "columns"}, the row that many cells
    shorter); a row whose every cell comes from above (a spacer) left out."""
    out = []
    for r in range(height):
        own = [cell for cell in cells if cell[1] == r]
        if not own:
            continue
        single = len(own) == 1 and own[0][2] == 0 and own[0][4] == width
        row: list = [""] * width
        for text, r0, c0, down, across in cells:
            if r0 <= r < r0 + down:
                if not head and across > 1:
                    row[c0] = {"text": text, "columns": across}
                    for c in range(c0 + 1, c0 + across):
                        row[c] = None
                    continue
                for c in range(c0, c0 + (across if head and not single else 1)):
                    row[c] = text
        out.append([cell for cell in row if cell is not None])
    return out


@settings(max_examples=200, deadline=None)
@given(_spanned_grid())
def test_every_cell_of_an_imported_table_keeps_its_column(table):
    """Fuzzed: whatever cells span rows and columns, each cell's text is in its own column in every row
    it spans (a dose never moves under another heading), a data cell that spans columns a wide cell
    over them, and a row whose every cell comes from above (a spacer) is left out."""
    html, cells, width, height = table
    [block] = narrative.finish(narrative.Converter().blocks(_div(f"<table>{html}</table>")))
    found = block["table"]
    assert "header" not in found
    assert found["rows"] == _grid_rows(cells, width, height, head=False), html


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 5).flatmap(lambda width: st.tuples(_spanned_grid(width, "th", "h"), _spanned_grid(width))))
def test_every_cell_of_an_imported_table_s_header_keeps_its_columns(tables):
    """Fuzzed, with a header of rows that span (a thead): the header rows are the table's header, each
    cell's text in each column it spans (a group heading), no span runs from the header into the body,
    and the body's cells keep their columns as above."""
    (head_html, head_cells, width, head_height), (body_html, body_cells, _width, body_height) = tables
    html = f"<table><thead>{head_html}</thead><tbody>{body_html}</tbody></table>"
    [block] = narrative.finish(narrative.Converter().blocks(_div(html)))
    found = block["table"]
    heads = _grid_rows(head_cells, width, head_height, head=True)
    assert header_rows(found.get("header")) == heads, html
    assert found["rows"] == _grid_rows(body_cells, width, body_height, head=False), html


#: span attributes as sources have them, good and bad: "0" (to the end of the section), numbers that are
#: not whole, huge, negative, empty, with spaces
_SPAN_VALUES = st.sampled_from(["1", "2", "3", "0", "-1", "x", "", " 2 ", "99999", "1.5"])


@st.composite
def _malformed_table(draw):
    """A table as HTML whose cells have any span attributes, in thead, tbody, tfoot or bare rows, each
    cell's text its own ("c0", "c1", ...); with the texts."""
    texts: list[str] = []
    html = "<table>"
    for section in draw(st.lists(st.sampled_from(["thead", "tbody", "tfoot", ""]), min_size=1, max_size=3)):
        body = ""
        for row in draw(st.lists(st.lists(st.tuples(st.sampled_from(["td", "th"]), _SPAN_VALUES, _SPAN_VALUES),
                                          max_size=4), min_size=1, max_size=4)):
            body += "<tr>"
            for tag, across, down in row:
                texts.append(f"c{len(texts)}")
                body += f"<{tag} colspan='{across}' rowspan='{down}'>{texts[-1]}</{tag}>"
            body += "</tr>"
        html += f"<{section}>{body}</{section}>" if section else body
    return html + "</table>", texts


@settings(max_examples=200, deadline=None)
@given(_malformed_table())
def test_an_imported_table_with_any_spans_keeps_every_cell(table):
    """Fuzzed with malformed spans (rowspan="0", colspan="99999", "-1", "x", spans that overlap) and a
    tfoot: the import never fails; what it makes is valid content (a table, or rows as paragraphs when
    too wide); every cell's text is there, and a data row never holds one text twice (a dose printed
    twice in a row reads as two doses)."""
    from leaflet.model import TableBody

    html, texts = table
    blocks = narrative.finish(narrative.Converter().blocks(_div(html)))
    tables = [b["table"] for b in blocks if isinstance(b, dict) and "table" in b]
    words = " ".join(b for b in blocks if isinstance(b, str)).replace("\u00b7", " ").split()
    for found in tables:
        TableBody.model_validate(found)
        for row in found["rows"]:
            own = [c["text"] if isinstance(c, dict) else c for c in row]
            assert len([c for c in own if c]) == len({c for c in own if c}), (html, row)
            words += own
        words += [c for row in header_rows(found.get("header")) for c in row]
    assert set(texts) <= set(words), html


def test_an_imported_leaflet_claims_no_revision_date_and_its_footer_fits_one_line(imported):
    """Review findings (imported leaflets): the closing line said "last revised on 13 December 2024",
    the electronic document's date, under the approved "Fecha de la última revisión de este prospecto:
    Noviembre 2017"; the running footer said "Revised" with that date, and in large print the long
    approved name and date wrapped onto two or three lines; and a long opening text pushed the patient's
    panel to the foot of page 1, where it broke. Now: no "last revised" line, a footer of the name up to
    its strength on one line, and the panel right under the title."""
    import pypdfium2 as pdfium
    from reportlab.lib.units import mm

    from leaflet import i18n, templating

    theme = templating.load_template("large-print").theme
    patient = leaflet.Patient(name="Ana Ejemplo", directions="Tome un comprimido por la noche.")
    for name, (folder, data) in imported.items():
        _ = i18n.translations(data["language"]).gettext
        revised = {_(msgid).split("{")[0].strip() for msgid in (
            "This leaflet was last revised on {date}.", "This leaflet was last revised on {date} (version {version}).")}
        for paper in ("a4", "letter"):
            pdf_data = leaflet.build_pdf(data["medicine"]["id"], language=data["language"], template="large-print",
                                         paper=paper, patient=patient, content_dirs=[folder])
            doc = pdfium.PdfDocument(pdf_data)
            every = "".join(page.get_textpage().get_text_range() for page in doc)
            assert not [line for line in revised if line in " ".join(every.split())], name
            assert inline.up_to_strength(data["medicine"]["name"]) in " ".join(every.replace("\xa0", " ").split())
            for page in doc:
                text = page.get_textpage()
                band = (theme.margins_mm.bottom + theme.footer_height_mm) * mm
                bottoms = sorted(text.get_rect(i)[1] for i in range(text.count_rects()) if text.get_rect(i)[3] < band)
                lines = 1 + sum(b - a > theme.styles["footer"].size * 0.8
                                for a, b in zip(bottoms, bottoms[1:], strict=False))
                assert lines == 1, f"{name} {paper}: the footer is {lines} lines"
            first = " ".join(doc[0].get_textpage().get_text_range().split())
            assert "Ana Ejemplo" in first and "por la noche" in first, name


def test_up_to_strength_keeps_the_strength_whole():
    assert inline.up_to_strength("Simvastatina ALMUS 20 mg comprimidos recubiertos con película EFG") == \
        "Simvastatina ALMUS 20 mg"
    assert inline.up_to_strength("Recto Menaderm 0,125 mg/g pomada rectal") == "Recto Menaderm 0,125 mg/g"
    assert inline.up_to_strength("Ibuprofen 100 mg/5 mL oral suspension") == "Ibuprofen 100 mg/5 mL"
    assert inline.up_to_strength("Co-amoxiclav 500/125 mg tablets") == "Co-amoxiclav 500/125 mg"
    assert inline.up_to_strength("Vitamin B12 1000 micrograms tablets") == "Vitamin B12 1000 micrograms"
    assert inline.up_to_strength("Lipitor") == "Lipitor" and inline.up_to_strength("MPD1") == "MPD1"
    # (review of the footer) a strength that goes on is never cut: a combination, several strengths, a
    # qualifier; such a name is kept whole
    for whole in ("Seretide 25 microgramos/250 microgramos/inhalación suspensión", "Stalevo 50 mg/12.5 mg/200 mg",
                  "Symbicort 160 micrograms/4.5 micrograms/inhalation", "Clexane 4.000 UI (40 mg)/0,4 ml",
                  "Duodopa 20 mg/ml + 5 mg/ml", "Calcichew D3 Forte 500 mg/400 IU", "Ozempic 0.25 mg, 0.5 mg, 1 mg",
                  "Salbutamol 100 micrograms per dose inhaler", "Timolol 0.5% w/v eye drops"):
        assert inline.up_to_strength(whole) == whole
    assert inline.up_to_strength("Exforge 5 mg/80 mg comprimidos") == "Exforge 5 mg/80 mg"


def test_numbered_lists_one_after_another_are_numbered_on(imported):
    """Review finding: Salazopyrina's contents were five numbered lists one after another (a word
    processor's export), printed "1. 1. 1. 1. 1. 2.". Lists with nothing between them are one list,
    numbered on, and the import says so; a list after a paragraph starts again."""
    salazopyrina = imported["aemps-39681.xml"][1]
    steps = [b["steps"] for b in salazopyrina["intro"] if isinstance(b, dict) and "steps" in b]
    assert len(steps) == 1 and len(steps[0]) == 6 and steps[0][-1] == "Contenido del envase e información adicional"
    converter = narrative.Converter()
    blocks = narrative.finish(converter.blocks(_div("<ol><li>a</li></ol> <ol><li>b</li><li>c</li></ol><p>x</p>"
                                                    "<ol><li>d</li></ol>")))
    assert blocks == [{"steps": ["a", "b", "c"]}, "x", {"steps": ["d"]}]
    assert any("numbered on" in note for note in converter.notes)
    # (review of the merge) a list that says it starts again, or comes after a blank paragraph, starts
    # again; one that says it goes on, goes on
    assert narrative.finish(narrative.Converter().blocks(_div(
        "<ol><li>a</li><li>b</li></ol><ol start='1'><li>c</li></ol>"))) == [{"steps": ["a", "b"]}, {"steps": ["c"]}]
    assert narrative.finish(narrative.Converter().blocks(_div(
        "<ol><li>a</li></ol><p>\u00a0</p><ol><li>b</li></ol>"))) == [{"steps": ["a"]}, {"steps": ["b"]}]
    assert narrative.finish(narrative.Converter().blocks(_div(
        "<ol><li>a</li><li>b</li></ol><ol start='3'><li>c</li></ol>"))) == [{"steps": ["a", "b", "c"]}]
