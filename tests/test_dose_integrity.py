"""The printed dose is exactly what was entered (issue 7): every number, date and instruction a person
enters is read one way on every path (YAML, CSV, JSON, Python) and printed exactly, or refused."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import warnings
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from babel.numbers import get_decimal_symbol, get_group_symbol
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leaflet
from leaflet import directions, i18n, typedtext
from leaflet.cli import main
from leaflet.content import validate
from leaflet.errors import ContentError
from leaflet.translations import TranslationWarning
from leaflet.yamlsafe import Loaded, load_yaml_text

from .conftest import DATA, all_text, page_texts

LANGUAGES = ["en", "es", "fr", "de", "pl", "ru", "ar", "zh-Hans", "ko", "vi", "hi"]


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


def _patient(directions_yaml: str) -> str:
    return "name: Ann Example\ndirections:\n" + "".join(f"  {line}\n" for line in directions_yaml.splitlines())


# --- 1. YAML 1.1 number forms --------------------------------------------------------------------

YAML_FORMS = [  # (a line of structured directions, the field that must be named)
    ("dose: 010", "dose"), ("dose: 1:30", "dose"), ("dose: 0x10", "dose"), ("dose: 0b11", "dose"),
    ("dose: 0o17", "dose"), ("dose: yes", "dose"), ("dose: on", "dose"), ("dose: true", "dose"),
    ("dose: 1e1", "dose"), ("dose: .inf", "dose"), ("dose: .nan", "dose"), ("dose: 1_000", "dose"),
    ("dose: -2", "dose"), ("dose: .5", "dose"), ("dose: '1,5'", "dose"),
    ("every_hours: 012", "every_hours"), ("days: 030", "days"), ("max_doses_per_day: 010", "max_doses_per_day"),
    ("days: 14.0", "days"), ("every_hours: 1:00", "every_hours"),
]


@pytest.mark.parametrize("line,field", YAML_FORMS, ids=[f[0] for f in YAML_FORMS])
def test_yaml_number_forms_are_refused_with_the_field(tmp_path, line, field):
    base = {"dose": "dose: 2", "unit": "unit: mg"}
    key = line.split(":")[0]
    rows = [line if k == key else v for k, v in base.items()]
    if key not in base:
        rows.append(line)
    patient = tmp_path / "p.yaml"
    patient.write_text(_patient("\n".join(rows)))
    out = tmp_path / "x.pdf"
    code, text = run("build", "diazepam", "--patient", str(patient), "-o", str(out))
    assert code == 2, text
    assert f"field 'directions.{field}'" in text and "p.yaml:" in text and "Traceback" not in text
    assert "->" in text  # says what to write instead
    assert not out.exists()


def test_yaml_and_csv_read_the_same_text():
    """A patient YAML file gives the directions model exactly the text a CSV cell gives."""
    for line, _ in YAML_FORMS:
        key, _, value = line.partition(": ")
        loaded = load_yaml_text(f"{key}: {value}\n", text_scalars=True).data[key]
        assert loaded == value.strip("'")


@pytest.mark.parametrize("value", ["10", 10, 10.0, Decimal("10"), "10.0", "10.00"])
def test_every_path_reads_ten_as_ten(value):
    d = directions.Directions.model_validate({"dose": value, "unit": "mg"})
    assert d.dose == 10 and str(d.dose) == "10"


def test_json_yaml_csv_and_python_give_the_same_pdf(tmp_path):
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text(_patient("dose: 2.5\nunit: mg\nfrequency: twice-daily\ndays: 14\nmax_doses_per_day: 2"))
    from_yaml = leaflet.build_pdf("diazepam", patient=yaml_file)
    from_json = leaflet.build_pdf("diazepam", patient=json.loads(
        '{"name": "Ann Example", "directions": {"dose": 2.5, "unit": "mg", "frequency": "twice-daily",'
        ' "days": 14, "max_doses_per_day": 2}}'))
    from_csv = leaflet.build_pdf("diazepam", patient={"name": "Ann Example", "directions": {
        "dose": "2.5", "unit": "mg", "frequency": "twice-daily", "days": "14", "max_doses_per_day": "2"}})
    from_python = leaflet.build_pdf("diazepam", patient=leaflet.Patient(name="Ann Example", directions=directions.Directions(
        dose=Decimal("2.5"), unit="mg", frequency="twice-daily", days=14, max_doses_per_day=2)))
    assert from_yaml == from_json == from_csv == from_python
    assert "Dose: 2.5 mg" in all_text(from_yaml)


def test_a_name_of_no_stays_no(tmp_path):
    patient = tmp_path / "p.yaml"
    patient.write_text("name: no\nprescriber: 0123\n")
    text = all_text(leaflet.build_pdf("diazepam", patient=patient))
    assert "Patient no " in text and "Prescriber 0123 " in text


# --- 2. printed exactly --------------------------------------------------------------------------

EXACT = [("0.0625", "mg", False, "0.0625 mg"), ("1.0005", "mg", False, "1.0005 mg"),
         ("999.9995", "mg", False, "999.9995 mg"), ("1000", "mg", False, "1,000 mg"),
         ("999", "mg", False, "999 mg"), ("0.0004", "mg", True, "0.0004 mg"), ("2.50", "ml", False, "2.5 mL"),
         ("0.25", "tablet", False, "a quarter of a tablet"), ("1.25", "tablet", False, "1.25 tablets"),
         ("12", "tablet", True, "12 tablets")]


@pytest.mark.parametrize("dose,unit,confirm,printed", EXACT, ids=[e[0] + e[1] for e in EXACT])
def test_the_dose_prints_exactly(dose, unit, confirm, printed):
    d = {"dose": dose, "unit": unit, **({"confirm_unusual_dose": "true"} if confirm else {})}
    text = all_text(leaflet.build_pdf("diazepam", patient={"directions": d}))
    assert f"Dose: {printed}" in text


def test_grouping_is_the_same_for_every_value_in_a_language():
    for value in ("1000", "999.9995", "1234.5", "4000"):
        d = directions.Directions(dose=value, unit="mg", confirm_unusual_dose=True)
        printed = dict(directions.lines(d, str, lambda s, p, n: s if n == 1 else p, "en"))["Dose"]
        assert printed == f"{Decimal(value).normalize():,f} mg".replace(".0 mg", " mg")


@pytest.mark.parametrize("dose,unit", [("0.0004", "mg"), ("1000", "tablet"), ("0.001", "tablet"),
                                       ("0.3", "tablet"), ("1.5", "capsule"), ("0.00001", "mg"), ("2.5", "drop")])
def test_implausible_or_unsplittable_doses_are_refused(dose, unit):
    with pytest.raises(ContentError) as info:
        validate(leaflet.Patient, Loaded({"directions": {"dose": dose, "unit": unit}}, "p.yaml"))
    assert "directions" in info.value.format() and dose in info.value.format()


def test_an_unusual_dose_is_accepted_only_when_confirmed_and_never_an_unsplittable_one():
    assert directions.Directions(dose="0.0004", unit="mg", confirm_unusual_dose="true").dose == Decimal("0.0004")
    for flag in ("yes", "1", "on", 1):
        with pytest.raises(ValueError):
            directions.Directions(dose="0.0004", unit="mg", confirm_unusual_dose=flag)
    with pytest.raises(ValueError, match="quarters"):
        directions.Directions(dose="0.3", unit="tablet", confirm_unusual_dose=True)


def _plain(printed: str, language: str) -> str:
    """The printed number back as plain decimal text."""
    locale = language.replace("-", "_")
    group = get_group_symbol(locale, numbering_system="latn")
    point = get_decimal_symbol(locale, numbering_system="latn")
    return printed.replace(group, "").replace(point, ".")


def _printed_number(d: directions.Directions, language: str) -> str:
    tr = i18n.translations(language)
    dose = directions.lines(d, tr.gettext, tr.ngettext, language)[0][1]
    digits = "".join(ch for ch in dose if ch.isdigit() or ch in ".,\u00a0\u202f")
    return digits.strip(".,\u00a0\u202f ")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(
    st.from_regex(r"\A[0-9]{1,5}(\.[0-9]{1,5})?\Z"),
    st.text(alphabet="0123456789.,:+-_xobeE ", min_size=1, max_size=8),
    st.decimals(allow_nan=True, allow_infinity=True, places=4).map(str),
    st.floats().map(repr),
), unit=st.sampled_from(sorted(directions.UNITS)), language=st.sampled_from(LANGUAGES))
def test_fuzz_the_printed_number_is_the_entered_decimal_or_an_error(text, unit, language):
    try:
        d = directions.Directions(dose=text, unit=unit, confirm_unusual_dose=True)
    except ValueError:
        return  # refused: fine
    expected = text.strip()
    if "." in expected:
        expected = expected.rstrip("0").rstrip(".")
    if unit == "tablet" and d.dose in directions.TABLET_FRACTIONS:  # words: exactly this fraction's words
        tr = i18n.translations(language)
        words = directions.dose_phrase(d, tr.gettext, tr.ngettext, language)
        assert words == tr.gettext(directions.TABLET_FRACTIONS[Decimal(expected)])
        return
    assert _plain(_printed_number(d, language), language) == expected


@settings(max_examples=100, deadline=None)
@given(count=st.integers(min_value=-5, max_value=500) | st.text(max_size=5),
       field=st.sampled_from(["every_hours", "days", "max_doses_per_day"]))
def test_fuzz_counts_print_as_entered_or_are_refused(count, field):
    try:
        d = directions.Directions(dose="1", unit="tablet", **{field: count})
    except ValueError:
        return
    printed = dict(directions.lines(d, str, lambda s, p, n: s if n == 1 else p))
    assert str(getattr(d, field)) == str(count).strip()
    assert any(f" {str(count).strip()} " in f" {v} " for v in printed.values())


# --- 7. contradictions ---------------------------------------------------------------------------

CONTRADICTIONS = [
    ({"frequency": "four-times-daily", "max_doses_per_day": "1"}, ("four-times-daily", "max_doses_per_day")),
    ({"frequency": "once-daily", "every_hours": "4"}, ("once-daily", "every_hours")),
    ({"every_hours": "4", "max_doses_per_day": "3"}, ("every_hours", "max_doses_per_day")),
    ({"frequency": "once-only", "days": "14"}, ("once-only",)),
    ({"frequency": "twice-daily", "every_hours": "8"}, ("twice-daily", "every_hours")),
    ({"every_hours": "7", "max_doses_per_day": "3"}, ("every_hours 7", "4 doses")),  # 0, 7, 14 and 21 h
    ({"every_hours": "5", "max_doses_per_day": "4"}, ("every_hours 5", "5 doses")),
    ({"frequency": "once-only", "max_doses_per_day": "24"}, ("once-only",)),
]


@pytest.mark.parametrize("extra,named", CONTRADICTIONS, ids=[str(c[0]) for c in CONTRADICTIONS])
def test_contradictory_directions_are_refused_naming_the_fields(extra, named):
    with pytest.raises(ContentError) as info:
        validate(leaflet.Patient, Loaded({"directions": {"dose": "1", "unit": "tablet", **extra}}, "p.yaml"))
    for word in named:
        assert word in info.value.message


@pytest.mark.parametrize("extra", [{"every_hours": "4", "max_doses_per_day": "3", "as_needed": "anxiety"},
                                   {"frequency": "three-times-daily", "every_hours": "8", "max_doses_per_day": "3"},
                                   {"frequency": "at-bedtime", "as_needed": "sleep", "max_doses_per_day": "1"}])
def test_consistent_directions_still_build(extra):
    validate(leaflet.Patient, Loaded({"directions": {"dose": "1", "unit": "tablet", **extra}}, "p.yaml"))


# --- 3. text people type cannot reorder or hide what prints -------------------------------------

CONTROLS = ["\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069",
            "\u200e", "\u200f", "\u061c", "\x00", "\x1b", "\ufeff", "\u2028", "\U000e0041",
            # format characters, fillers, private use (a shaped font maps it to a glyph of its own choosing)
            "\u00ad", "\u2060", "\u2062", "\u0600", "\u3164", "\ufffc", "\ue000",
            # marks on a digit: a stroke through it; an Arabic vowel mark that turned "12ً34" into "4321"
            "\u0336", "\u064b"]


@pytest.mark.parametrize("ch", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_bidi_and_control_characters_are_refused_in_every_field(tmp_path, ch, language):
    text = f"Take {ch}01{ch} mg"
    for field in ("name", "prescriber", "directions", "notes"):
        patient = tmp_path / "p.yaml"
        patient.write_text(f"{field}: {json.dumps(text, ensure_ascii=False)}\n", encoding="utf-8")
        code, out = run("build", "diazepam", "--lang", language, "--patient", str(patient),
                        "-o", str(tmp_path / "x.pdf"))
        assert code == 2, out
        assert f"U+{ord(ch):04X}" in out and f"field '{field}'" in out
    code, out = run("build", "diazepam", "--lang", language, "--notes", text, "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and f"U+{ord(ch):04X}" in out
    with pytest.raises(leaflet.LeafletError):
        leaflet.build_pdf("diazepam", language=language, patient={"name": text})
    assert not (tmp_path / "x.pdf").exists()


#: A mark on a digit that got past a look at the character just before it: a joiner put between them,
#: and the digits of other scripts, superscripts and fractions (each prints a struck or barred number).
MARKED_NUMBERS = ["Take 3\u200d\u0336 tablets", "Take 3\u200c\u0338 tablets", "Take 1\u0305\u200d0 mg",
                  "\u0663\u0336 \u0623\u0642\u0631\u0627\u0635", "\u0969\u0336 \u0917\u094b\u0932\u0940",
                  "Take \uff13\u0336 tablets", "Take \u00b2\u0336", "Take \u00bd\u0336 a tablet",
                  "\u0661\u0662\u064b\u0663\u0664 mg"]


#: Marks beside a number, or covering what they are drawn on (review findings): an Arabic vowel mark on
#: the point of "2.5" split the number in two and an Arabic leaflet printed "5.2"; a slash through the
#: point, a stroke through a space.
MARKED_BESIDE = [("ar", "\u062e\u0630 2.\u064b5 \u0645\u0644\u063a"), ("ar", "2.\u0651\u064b5 mg"),
                 ("ar", "5 \u064b\u0645\u0644\u063a"), ("en", "Take 1 \u0338tablet"), ("en", "2.\u03385 mg"),
                 ("en", "7 \u0336 mg"), ("en", "Take 5 m\u0336g"), ("en", "Take 1\u20dd tablet"),
                 ("en", "Take \u20e0 2 tablets")]


@pytest.mark.parametrize("language, text", MARKED_BESIDE, ids=[ascii(t) for _, t in MARKED_BESIDE])
def test_a_mark_beside_a_number_or_covering_a_character_is_refused(tmp_path, language, text):
    patient = tmp_path / "p.yaml"
    patient.write_text(f"directions: {json.dumps(text, ensure_ascii=False)}\n", encoding="utf-8")
    code, out = run("build", "diazepam", "--lang", language, "--patient", str(patient), "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and "field 'directions'" in out and ("beside a number" in out or "overlay" in out
                                                         or "on a digit" in out), out
    assert not (tmp_path / "x.pdf").exists()
    with pytest.raises(leaflet.LeafletError):
        leaflet.build_pdf("diazepam", language=language, patient={"notes": text})


@pytest.mark.parametrize("text", MARKED_NUMBERS, ids=[ascii(t) for t in MARKED_NUMBERS])
def test_a_mark_on_a_number_is_refused_however_it_is_typed(tmp_path, text):
    patient = tmp_path / "p.yaml"
    patient.write_text(f"directions: {json.dumps(text, ensure_ascii=False)}\n", encoding="utf-8")
    code, out = run("build", "diazepam", "--patient", str(patient), "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and "a mark on a digit" in out and "field 'directions'" in out, out
    with pytest.raises(leaflet.LeafletError, match="a mark on a digit"):
        leaflet.build_pdf("diazepam", patient={"name": text})
    assert not (tmp_path / "x.pdf").exists()


def test_marks_on_letters_stay_allowed():
    """Spelling needs marks: Devanagari vowel signs, Arabic vowel marks, a decomposed accent."""
    for text in ("\u092a\u094d\u0930\u093f\u092f\u093e", "\u0645\u064e\u0631\u0650\u064a\u0636",
                 "Zoe\u0308 2 mg", "\u0915\u200d\u094d 3"):
        assert typedtext.problem(text) is None, ascii(text)


def test_an_accent_typed_apart_from_its_letter_prints_on_it():
    """"Zoe" + U+0308 (text copied on a Mac) printed the dots beside the "e" in a leaflet that is not
    shaped: typed text is read in composed form (NFC), the same text, so the font draws "ë"."""
    decomposed = "Zoe\u0308 Nguye\u0302\u0303n"
    for language in ("en", "vi", "de"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TranslationWarning)
            data = leaflet.build_pdf("diazepam", language=language, patient={"name": decomposed})
        text = pdfium.PdfDocument(data)[0].get_textpage().get_text_range()
        assert "Zo\u00eb Nguy\u1ec5n" in text and "\u0308" not in text, language


@pytest.mark.parametrize("text, language, what", [
    ("\u092a\u094d\u0930\u093f\u092f\u093e", "en", "needs shaping"),  # a Devanagari name
    ("\u0926\u093f\u0928 \u092e\u0947\u0902", "zh-Hans", "needs shaping"),
    ("\u092a\u094d\u0930\u093f\u092f\u093e", "de", "needs shaping"),
])
def test_text_a_leaflet_would_print_out_of_place_is_refused(tmp_path, text, language, what):
    """A leaflet that does not shape its text printed a Devanagari vowel sign after the consonant it
    goes before ("दनि" for "दिन")."""
    patient = tmp_path / "p.yaml"
    patient.write_text(f"name: {json.dumps(text, ensure_ascii=False)}\n", encoding="utf-8")
    code, out = run("build", "diazepam", "--lang", language, "--patient", str(patient),
                    "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and what in out and "field 'name'" in out and "Traceback" not in out, out
    with warnings.catch_warnings(), pytest.raises(leaflet.LeafletError, match=what):
        warnings.simplefilter("ignore", TranslationWarning)
        leaflet.build_pdf("diazepam", language=language, patient={"directions": f"Take 1 tablet. {text}"})
    assert not (tmp_path / "x.pdf").exists()


def test_what_does_not_need_shaping_and_html_pages_are_not_refused(tmp_path):
    """An accent with no one-character form (a Cyrillic stress mark, "e" + U+0323 U+0301) sits over its
    letter unshaped; a browser shapes Devanagari in the HTML page."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        for language in ("ru", "en"):
            leaflet.build_pdf("diazepam", language=language,
                              patient={"name": "Ade\u0323\u0301", "notes": "\u041f\u0440\u0438\u043d\u0438\u043c\u0430\u0301\u0439\u0442\u0435"})
        page = leaflet.build_html("diazepam", patient={"name": "\u092a\u094d\u0930\u093f\u092f\u093e"})
    assert "\u092a\u094d\u0930\u093f\u092f\u093e" in page


def test_notes_given_apart_are_composed_and_a_form_given_apart_is_checked(tmp_path):
    """--notes and build_pdf(notes=) are composed like a patient file's; --form and build_pdf(form=)
    meet the dose-unit check (they were set without it: "Dose: 5 mL" printed for tablets)."""
    code, _out = run("build", "diazepam", "--notes", "Zoe\u0308 to review", "-o", str(tmp_path / "n.pdf"))
    assert code == 0 and "Zo\u00eb to review" in " ".join(page_texts((tmp_path / "n.pdf").read_bytes())[0].split())
    patient = tmp_path / "p.yaml"
    patient.write_text("directions: {dose: 5, unit: ml, frequency: once-daily}\n")
    code, out = run("build", "diazepam", "--patient", str(patient), "--form", "tablets", "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and "the dose is in ml" in out, out
    with pytest.raises(leaflet.LeafletError, match="the dose is in ml"):
        leaflet.build_pdf("diazepam", form="tablets",
                          patient={"directions": {"dose": "5", "unit": "ml", "frequency": "once-daily"}})
    assert not (tmp_path / "x.pdf").exists()


def test_a_form_given_apart_replaces_the_file_s_before_the_dose_is_checked(tmp_path):
    """Review finding: ``--form`` replaces the patient file's form, but the file was checked with its own
    first, so a tablet dose in a file saying oral-solution was refused with ``--form tablets``, and a
    dose refused for ``--form``'s form was named without its line. It is checked with the form printed."""
    patient = tmp_path / "p.yaml"
    patient.write_text("name: Ann Example\nform: oral-solution\ndirections:\n  dose: 1\n  unit: tablet\n")
    code, out = run("build", "diazepam", "--patient", str(patient), "--form", "tablets", "-o", str(tmp_path / "t.pdf"))
    assert code == 0, out
    assert "Medicine Diazepam (Tablets) Directions for use Dose: 1 tablet" in all_text((tmp_path / "t.pdf").read_bytes())
    code, out = run("build", "diazepam", "--patient", str(patient), "-o", str(tmp_path / "s.pdf"))
    assert code == 2 and "the dose is in tablet, but the form dispensed is oral-solution" in out, out
    patient.write_text("name: Ann Example\nform: tablets\ndirections:\n  dose: 1\n  unit: tablet\n")
    code, out = run("build", "diazepam", "--patient", str(patient), "--form", "oral-solution", "-o", str(tmp_path / "i.pdf"))
    assert code == 2 and "p.yaml:5:9, field 'directions.unit'" in out and "--form" in out, out
    data = {"name": "Ann Example", "form": "oral-solution", "directions": {"dose": "1", "unit": "tablet"}}
    assert leaflet.build_pdf("diazepam", patient=data, form="tablets") == (tmp_path / "t.pdf").read_bytes()
    with pytest.raises(leaflet.LeafletError, match="patient data, field 'directions.unit': the dose is in tablet"):
        leaflet.build_pdf("diazepam", patient={**data, "form": "tablets"}, form="oral-solution")
    assert not (tmp_path / "s.pdf").exists() and not (tmp_path / "i.pdf").exists()


@pytest.mark.parametrize("language", ["hi", "ar"])
def test_shaped_leaflets_print_devanagari_and_loose_accents(language):
    name = "\u092a\u094d\u0930\u093f\u092f\u093e Ade\u0323\u0301"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        data = leaflet.build_pdf("diazepam", language=language, patient={"name": name})
    assert data.startswith(b"%PDF")


def test_yaml_tags_cannot_bring_yaml_readings_back(tmp_path):
    for line in ("dose: !!int 010", "dose: !!float 1e3", "days: !!int 030", "dose: !!bool yes"):
        patient = tmp_path / "p.yaml"
        key = line.split(":")[0]
        patient.write_text(_patient(line + ("\nunit: mg" if key == "dose" else "\ndose: 2\nunit: mg")))
        code, out = run("build", "diazepam", "--patient", str(patient), "-o", str(tmp_path / "x.pdf"))
        assert code == 2 and "YAML tags" in out and f"directions.{key}" in out, out
    jobs = tmp_path / "jobs.yaml"
    jobs.write_text("- {output: a.pdf, medicine: diazepam, patient: {directions: {dose: !!int 010, unit: mg}}}\n")
    code, out = run("batch", "--jobs", str(jobs), "-o", str(tmp_path / "out"))
    assert code != 0 and "YAML tags" in out and not list((tmp_path / "out").glob("*.pdf"))


@pytest.mark.parametrize("day", ["0026-11-20", "1899-12-31", "2200-01-01", "9999-12-31"])
def test_a_date_outside_any_prescriptions_years_is_refused_on_every_path(tmp_path, day):
    """"0026-11-20" printed "20 November 26", which reads as 2026."""
    patient = tmp_path / "p.yaml"
    patient.write_text(f"date_dispensed: {day}\n")
    code, out = run("build", "diazepam", "--patient", str(patient), "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and "is not a year a prescription can have" in out and "p.yaml:1" in out, out
    jobs = tmp_path / "jobs.csv"
    jobs.write_text(f"output,medicine,discard_date\na.pdf,diazepam,{day}\n")
    code, out = run("batch", "--jobs", str(jobs), "-o", str(tmp_path / "out"))
    assert code == 1 and "is not a year a prescription can have" in out, out
    with pytest.raises(leaflet.LeafletError, match="is not a year"):
        leaflet.build_pdf("diazepam", patient={"stop_date": dt.date.fromisoformat(day)})
    assert not (tmp_path / "x.pdf").exists() and not list((tmp_path / "out").glob("*.pdf"))


@pytest.mark.parametrize("fields, named", [
    ("form: tablets\ndirections: {dose: 5, unit: ml}", "the dose is in ml"),
    ("form: tablets\ndirections: {dose: 2, unit: capsule}", "the dose is in capsule"),
    ("form: oral-solution\ndirections: {dose: 1, unit: tablet}", "the dose is in tablet"),
    ("form: tablets\nquantity: 42\nquantity_unit: ml", "the quantity is in ml"),
    # review finding: a strength per volume for tablets printed "Diazepam 2 mg in 5 mL tablets"
    ("form: tablets\nstrength: 2\nstrength_unit: mg\nstrength_volume_ml: 5", "strength_volume_ml) is a liquid's"),
])
def test_a_dose_or_quantity_in_another_forms_unit_is_refused(tmp_path, fields, named):
    """"Diazepam 2 mg tablets" with "Dose: 5 mL" (or 42 mL of tablets) printed as given."""
    patient = tmp_path / "p.yaml"
    patient.write_text(fields + "\n")
    code, out = run("build", "diazepam", "--patient", str(patient), "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and named in out, out
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("fields", [{"form": "tablets", "directions": {"dose": "2", "unit": "mg"}},
                                    {"form": "oral-solution", "directions": {"dose": "5", "unit": "ml"}},
                                    {"form": "oral-solution", "directions": {"dose": "3", "unit": "drop"}},
                                    {"form": "rectal-gel", "directions": {"dose": "10", "unit": "mg"}}])
def test_a_dose_in_the_forms_unit_or_in_mg_is_accepted(fields):
    validate(leaflet.Patient, Loaded(fields, "p.yaml"))


@pytest.mark.parametrize("word", ["Null", "NULL", "null", "~"])
def test_yamls_words_for_no_value_are_refused_not_printed_blank(tmp_path, word):
    """``name: Null`` (a surname) printed a blank write-in line, where a CSV or JSON job prints "Null"."""
    for line in (f"name: {word}", f"prescriber: {word}", f"notes: {word}"):
        patient = tmp_path / "p.yaml"
        patient.write_text(line + "\n")
        code, out = run("build", "diazepam", "--patient", str(patient), "-o", str(tmp_path / "x.pdf"))
        assert code == 2 and "YAML's word for no value" in out and f'"{word}"' in out, out
    jobs = tmp_path / "jobs.yaml"
    jobs.write_text(f"- {{output: a.pdf, medicine: diazepam, patient: {{name: {word}}}}}\n")
    code, out = run("batch", "--jobs", str(jobs), "-o", str(tmp_path / "out"))
    assert code != 0 and "YAML's word for no value" in out and "jobs.yaml:1" in out
    assert not (tmp_path / "x.pdf").exists() and not list((tmp_path / "out").glob("*.pdf"))


def test_an_empty_value_is_no_value_and_a_quoted_word_prints(tmp_path):
    """(A word for no value in a coded field or a date is no value: no one's name is "~".)"""
    patient = tmp_path / "p.yaml"
    patient.write_text('name: "Null"\nprescriber:      # the prescriber\ndate_dispensed: ~\nform: null\n')
    code, out = run("build", "diazepam", "--patient", str(patient), "-o", str(tmp_path / "x.pdf"))
    assert code == 0, out
    assert "Null" in page_texts((tmp_path / "x.pdf").read_bytes())[0]


@pytest.mark.parametrize("body, comment", [
    ("directions: Take 1 tablet at night #2 hours before bed\n", "#2 hours before bed"),
    ("notes: Review in 2 weeks #urgent\n", "#urgent"),
    ("notes: Review in\n  two weeks   # then stop\n", "# then stop"),
    ("name: Ann Example # Mrs\n", "# Mrs"),
    ("\ufeffname: Ann Example # Mrs\n", "# Mrs"),  # after a byte-order mark
])
def test_a_comment_after_typed_text_is_refused_not_dropped(tmp_path, body, comment):
    """YAML drops everything from " #": "Take 1 tablet at night #2 hours before bed" printed "Take 1
    tablet at night", while the same text in a CSV or JSON job prints whole."""
    patient = tmp_path / "p.yaml"
    patient.write_text(body, encoding="utf-8")
    code, out = run("build", "diazepam", "--patient", str(patient), "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and f"'{comment}' after the text is a YAML comment" in out and "quotes" in out, out
    assert f"p.yaml:{body.count(chr(10))}:" in out  # the comment's own line
    patient.write_text(body.replace(": ", ': "', 1).rstrip("\n") + '"\n' if "\n  " not in body else
                       body.replace("Review in\n  two", '"Review in two').replace("stop\n", 'stop"\n'),
                       encoding="utf-8")
    code, out = run("build", "diazepam", "--patient", str(patient), "-o", str(tmp_path / "x.pdf"))
    assert code == 0, out
    printed = " ".join(page_texts((tmp_path / "x.pdf").read_bytes())[0].split())
    assert comment in printed


@pytest.mark.parametrize("language", ["en", "hi", "zh-Hans"])
def test_right_to_left_text_in_a_left_to_right_leaflet_is_refused(tmp_path, language):
    """Arabic typed into an English or Hindi leaflet printed unjoined, with its doses out of order."""
    text = "QQ تناول 12 ملغ ثم 2.5 ملغ"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        code, out = run("build", "diazepam", "--lang", language, "--notes", text, "-o", str(tmp_path / "x.pdf"))
        assert code == 2 and "right-to-left" in out and "field 'notes'" in out
        with pytest.raises(leaflet.LeafletError, match="right-to-left"):
            leaflet.build_pdf("diazepam", language=language, patient={"name": "سارة"})
        pharmacy = tmp_path / "ph.yaml"
        pharmacy.write_text("name: صيدلية النهر\n", encoding="utf-8")
        with pytest.raises(leaflet.LeafletError, match="right-to-left"):
            leaflet.build_pdf("diazepam", language=language, pharmacy=pharmacy)
        arabic = leaflet.build_pdf("diazepam", language="ar", notes=text, pharmacy=pharmacy)
    assert arabic.startswith(b"%PDF")


def test_job_output_names_cannot_hide_characters(tmp_path):
    jobs = tmp_path / "jobs.csv"
    jobs.write_text('output,medicine,name\n"ann\u202enaj\u202c.pdf",diazepam,Ann\n"bob\x01.pdf",diazepam,Bob\n'
                    '"c\u2060d.pdf",diazepam,C\nok.pdf,diazepam,Ok\n', encoding="utf-8")
    code, out = run("batch", "--jobs", str(jobs), "-o", str(tmp_path / "out"))
    assert code == 1 and "U+202E" in out and "U+0001" in out and "U+2060" in out
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == ["ok.pdf"]


def test_an_empty_output_name_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out = run("build", "diazepam", "-o", "")
    assert code == 3 and "empty" in out and not list(tmp_path.glob("*.pdf"))


def test_joiners_that_scripts_need_are_kept():
    for text in ("क्\u200dष", "می\u200cخواهم", "2 mg", "12 ملغ"):
        assert typedtext.problem(text) is None


def test_a_name_is_one_line(tmp_path):
    patient = tmp_path / "p.yaml"
    patient.write_text("name: |\n" + "".join(f"  line {i}\n" for i in range(20)))
    code, out = run("build", "diazepam", "--patient", str(patient), "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and "field 'name'" in out and "one line" in out


def test_a_nul_in_content_is_refused(tmp_path):
    folder = tmp_path / "testamol"
    folder.mkdir()
    text = (DATA / "content" / "testamol" / "en.yaml").read_text(encoding="utf-8")
    assert "  name: Testamol\n" in text
    (folder / "en.yaml").write_text(text.replace("  name: Testamol\n", '  name: "Testa\\0mol"\n'), encoding="utf-8")
    code, out = run("check", str(folder / "en.yaml"))
    assert code == 1 and "U+0000" in out and "medicine.name" in out


# --- 10, 11. layouts that cannot fit; braces in the pharmacy's details ------------------------------

@pytest.mark.parametrize("language,template,text", [
    ("zh-Hans", "large-print", "每天早上服用一片药物，" * 90),
    ("en", "large-print", "\n".join(f"Step {i}." for i in range(55))),
])
def test_directions_too_tall_for_a_page_are_a_user_error_naming_the_field(tmp_path, language, template, text):
    patient = tmp_path / "p.yaml"
    patient.write_text("name: Ann\ndirections: " + json.dumps(text, ensure_ascii=False) + "\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        code, out = run("build", "diazepam", "--lang", language, "--template", template,
                        "--patient", str(patient), "-o", str(tmp_path / "x.pdf"))
    assert code == 2, out
    assert "p.yaml:2" in out and "field 'directions'" in out and "too much text" in out


def test_page_placeholders_in_the_pharmacy_details_print_as_typed(tmp_path):
    pharmacy = tmp_path / "ph.yaml"
    pharmacy.write_text('name: "Pharmacy {page} of {pages}"\naddress: ["1 {pages} Street"]\n')
    for arabic in (False, True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TranslationWarning)
            pages = page_texts(leaflet.build_pdf("diazepam", language="ar" if arabic else "en", pharmacy=pharmacy))
        first, second = (" ".join(page.split()) for page in pages[:2])  # page 1's full header, page 2's name
        assert "{pages}" in first and "Street" in first and "{page}" in second and "{pages}" in second
        assert " 0 " not in f" {first} " and " 0 " not in f" {second} "
        if not arabic:
            assert "1 {pages} Street" in first and "Pharmacy {page} of {pages}" in second
            assert "Page 2 of" in second  # the footer's own placeholders are still filled


def test_what_composes_or_only_picks_a_glyph_stays_allowed(tmp_path):
    """Review findings on the rule above: "=" with a combining slash is the one character "≠" once
    composed (typed text is checked composed), and an emoji's variation selector beside a number
    draws nothing ("☎️020 7946 0000")."""
    import unicodedata

    text = unicodedata.normalize("NFD", "INR \u2260 2")
    data = leaflet.build_pdf("diazepam", patient={"notes": text, "directions": text})
    assert data.startswith(b"%PDF-") and "INR \u2260 2" in all_text(data)
    code, out = run("build", "diazepam", "--notes", text, "-o", str(tmp_path / "x.pdf"))
    assert code == 0, out
    for emoji in ("\u260e\ufe0f020 7946 0000", "\u26a0\ufe0f 2 tablets"):  # (the fonts then say they lack it)
        assert typedtext.problem(emoji) is None


@pytest.mark.parametrize(("lines", "field", "typed", "hint"), [
    # the field's own unit: the number alone (with a point) is what to write
    ("age_years: 4\nweight_kg: 16.5 kg\n", "weight_kg", "16.5 kg", "write only the number, 16.5"),
    ("age_years: 4\nweight_kg: 16,5 kg\n", "weight_kg", "16,5 kg", "write only the number, 16.5"),
    ("strength: 250\nstrength_unit: mg\nstrength_volume_ml: 5mL\n", "strength_volume_ml", "5mL",
     "write only the number, 5"),
    # another unit, or one given by another field: no number is suggested ("35 lb" is not 35 kg)
    ("age_years: 4\nweight_kg: 35 lb\n", "weight_kg", "35 lb", "in kg; if 'lb' is another unit, convert"),
    ("strength: 250 mg\nstrength_unit: mg\n", "strength", "250 mg", "in the unit in `strength_unit`"),
    ("quantity: 100 mL\n", "quantity", "100 mL", "in `quantity_unit` (or the form's unit)"),
    ("directions:\n  dose: 2 mg\n  unit: tablet\n", "directions.dose", "2 mg", "in the unit in `unit`"),
    ("directions:\n  dose: 2,5 ml\n  unit: ml\n", "directions.dose", "2,5 ml", "with a point for the decimal comma"),
])
def test_a_unit_typed_after_a_number_is_named_and_the_number_alone_suggested_only_in_the_field_s_unit(
        tmp_path, lines, field, typed, hint):
    """Review finding (an unseen medicine): "strength: 250 mg" was refused as "contains a separator ->
    write the digits without spaces, commas or underscores: 1000", a hint that read like a dose; and
    (review of the fix) "write only the number, 35" for "weight_kg: 35 lb" would have printed 35 kg."""
    patient = tmp_path / "p.yaml"
    patient.write_text(f"name: Ann Example\nform: oral-solution\n{lines}")
    code, text = run("build", "diazepam", "--patient", str(patient), "-o", str(tmp_path / "x.pdf"))
    assert code == 2, text
    assert f"field '{field}': '{typed}' has '{typed.split()[-1] if ' ' in typed else typed.lstrip('0123456789')}' " \
           "after the number" in text, text
    assert hint in text and "1000" not in text, text
    if "write only the number" not in hint:  # (no number to copy)
        assert not re.search(r"write [^\n]*\d", text.split("->")[1]), text


def test_ml_is_read_as_written_on_the_page_too(tmp_path):
    """Review finding: ``unit: mL`` was refused although the leaflet prints "mL" (and a pharmacist types
    it). It is the unit ``ml`` on every path: the same leaflet as ``ml``; other spellings are refused."""
    def patient(unit: str) -> dict:
        return {"name": "Ann Example", "form": "oral-solution", "quantity": "100", "quantity_unit": unit,
                "directions": {"dose": "2.5", "unit": unit, "frequency": "twice-daily"}}
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text("name: Ann Example\nform: oral-solution\nquantity: 100\nquantity_unit: mL\n"
                         "directions:\n  dose: 2.5\n  unit: mL\n  frequency: twice-daily\n")
    written = leaflet.build_pdf("diazepam", patient=patient("ml"))
    assert leaflet.build_pdf("diazepam", patient=patient("mL")) == written == leaflet.build_pdf("diazepam", patient=yaml_file)
    assert "Dose: 2.5 mL" in all_text(written) and "100 mL" in all_text(written)
    for other in ("ML", "Ml", "millilitre"):
        with pytest.raises(leaflet.LeafletError):
            leaflet.build_pdf("diazepam", patient=patient(other))
