"""The counter handout's prescription panel and the dispensed form (issue 10, part 1).

What prevents a dosing error is printed, in every language, exactly: the strength and form dispensed,
the dose (tablet fractions in words), when, how long, the quantity, the discard date, age and weight.
Content marked for other dosage forms is left out when a form is chosen.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from decimal import Decimal

import pytest
from babel.numbers import get_decimal_symbol, get_group_symbol
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leaflet
from leaflet import batch, content, directions, forms, i18n, prescription
from leaflet.cli import main
from leaflet.errors import ContentError, LeafletError, display_path
from leaflet.patient import Patient
from leaflet.yamlsafe import Loaded

from .conftest import EXAMPLES, ROOT, all_text, page_texts, reader

LANGS = sorted(p.stem for p in (ROOT / "content" / "diazepam").glob("*.yaml"))
TABLETS = {"form": "tablets", "strength": "2", "strength_unit": "mg", "quantity": "42",
           "directions": {"dose": "1", "unit": "tablet", "route": "by-mouth", "frequency": "three-times-daily",
                          "as_needed": "anxiety", "max_doses_per_day": "3", "days": "14"}}


def squeezed(text: str) -> str:
    return "".join(text.split()).replace("\u00ad", "")


def rows(patient: dict, language: str = "en", name: str = "Diazepam", form: str | None = "Tablets") -> dict:
    t = i18n.translations(language)
    return prescription.rows(Patient.model_validate(patient), name, form,
                             prescription.Words(t.gettext, t.ngettext, language))


# --- natural phrasing ----------------------------------------------------------------------------

def test_the_panel_reads_naturally_in_english():
    r = rows({**TABLETS, "age_years": "7", "weight_kg": "23.5", "discard_date": "2026-12-20"})
    assert r["medicine"] == "Diazepam 2 mg tablets"
    assert r["directions"] == [("Dose", "1 tablet, by mouth (swallow)"),
                               ("When", "up to three times a day when needed for anxiety"),
                               ("How long", "for 14 days"), ("Maximum", "no more than 3 doses in 24 hours")]
    assert (r["quantity"], r["age_weight"], r["discard"]) == ("42 tablets", "7 years, 23.5 kg", "20 December 2026")


@pytest.mark.parametrize("extra,when", [
    ({"frequency": "twice-daily"}, "twice a day"),
    ({"every_hours": "6"}, "every 6 hours"),
    ({"as_needed": "sleep"}, "when needed for trouble sleeping"),
    ({"every_hours": "4", "as_needed": "anxiety"}, "at least 4 hours apart when needed for anxiety"),
    ({"frequency": "at-bedtime", "as_needed": "sleep"}, "at bedtime when needed for trouble sleeping"),
    ({"frequency": "once-only", "as_needed": "before-procedure"}, "once only before your procedure"),
])
def test_when_is_one_phrase(extra, when):
    d = directions.Directions(dose="1", unit="tablet", **extra)
    assert directions.when_phrase(d, str, lambda s, p, n: s if n == 1 else p) == when


def test_a_liquid_and_a_stop_date():
    r = rows({"form": "oral-solution", "strength": "250", "strength_unit": "mg", "strength_volume_ml": "5",
              "quantity": "100", "stop_date": "2026-12-04", "date_dispensed": "2026-11-20",
              "directions": {"dose": "2.5", "unit": "ml", "frequency": "twice-daily"}}, form="Oral solution")
    assert r["medicine"] == "Diazepam 250 mg in 5 mL oral solution"
    assert r["quantity"] == "100 mL"
    assert ("How long", "until 4 December 2026, then stop") in r["directions"]


@pytest.mark.parametrize("strength,unit,volume,form,language,expected", [
    ("50", "microgram", None, "tablets", "en", "Levothyroxine 50 microgram tablets"),  # not "micrograms tablets"
    ("1", "microgram", None, "capsules", "en", "Levothyroxine 1 microgram capsules"),
    ("0.5", "g", None, "tablets", "en", "Levothyroxine 0.5 g tablets"),
    ("25", "microgram", "5", "oral-solution", "en", "Levothyroxine 25 micrograms in 5 mL oral solution"),
    ("50", "microgram", None, None, "en", "Levothyroxine 50 micrograms"),  # no form: the amount as a noun
    ("50", "microgram", None, "tablets", "fr", "Levothyroxine comprimés à 50 microgrammes"),
])
def test_a_strength_before_its_form_reads_as_english_writes_it(strength, unit, volume, form, language, expected):
    patient = {"strength": strength, "strength_unit": unit, "strength_volume_ml": volume, "form": form}
    assert rows({k: v for k, v in patient.items() if v is not None}, language, "Levothyroxine",
                form=None)["medicine"] == expected


@pytest.mark.parametrize("dose,words", [("0.25", "a quarter of a tablet"), ("0.5", "half a tablet"),
                                        ("0.75", "three quarters of a tablet"), ("1.5", "one and a half tablets"),
                                        ("1.25", "1.25 tablets"), ("2", "2 tablets"), ("1", "1 tablet")])
def test_tablet_fractions_in_words_other_doses_in_digits(dose, words):
    d = directions.Directions(dose=dose, unit="tablet")
    assert directions.dose_phrase(d, str, lambda s, p, n: s if n == 1 else p) == words


@pytest.mark.parametrize("lang", LANGS)
def test_every_new_phrase_is_translated_and_the_fractions_are_distinct(lang):
    if lang == "en":
        return
    t = i18n.translations(lang)
    fractions = [t.gettext(m) for m in directions.TABLET_FRACTIONS.values()]
    assert len(set(fractions)) == 4 and not set(fractions) & set(directions.TABLET_FRACTIONS.values())
    names = [*directions.UP_TO.values(), *directions.WHEN_NEEDED.values(), *prescription.FORM_PHRASES.values(),
             *prescription.LABELS.values(), directions.UNTIL]
    untranslated = [m for m in names if t.gettext(m) == m]
    assert not untranslated, f"{lang}: {untranslated}"
    for msg in (*prescription.FORM_PHRASES.values(), directions.UNTIL, directions.WHEN_AS_NEEDED):
        wanted = {p for p in ("{strength}", "{date}", "{when}", "{as_needed}") if p in msg}
        assert all(p in t.gettext(msg) for p in wanted), (lang, msg)


# --- every number printed exactly, in every language ---------------------------------------------

def _plain(printed: str, language: str) -> str:
    locale = language.replace("-", "_")
    return printed.replace(get_group_symbol(locale, numbering_system="latn"), "").replace(
        get_decimal_symbol(locale, numbering_system="latn"), ".")


def _numbers(text: str, language: str) -> list[str]:
    import re

    locale = language.replace("-", "_")
    group = re.escape(get_group_symbol(locale, numbering_system="latn"))
    point = re.escape(get_decimal_symbol(locale, numbering_system="latn"))
    found = re.findall(rf"[0-9](?:[0-9]|{group}(?=[0-9]{{3}}))*(?:{point}[0-9]+)?", text)
    return [_plain(n, language) for n in found]


@pytest.mark.parametrize("lang", LANGS)
def test_every_panel_number_is_the_entered_value(lang):
    patient = {**TABLETS, "strength": "2.5", "quantity": "1250", "weight_kg": "23.75", "age_years": "7",
               "age_months": "6", "directions": {**TABLETS["directions"], "dose": "1.25", "days": "21"}}
    r = rows(patient, lang)
    assert _numbers(r["medicine"], lang) == ["2.5"]
    assert _numbers(r["quantity"], lang) == ["1250"]
    assert sorted(_numbers(r["age_weight"], lang)) == sorted(["7", "6", "23.75"])
    printed = dict(enumerate(phrase for _label, phrase in r["directions"]))
    assert _numbers(printed[0], lang) == ["1.25"]
    assert "21" in _numbers(printed[2], lang) and "3" in _numbers(printed[3], lang)


#: Every language a leaflet may be in: the shipped ones, and others whose separators differ.
NUMBER_LANGS = sorted({*LANGS, "pt", "pt-BR", "nl", "sv", "ja", "fa", "bn", "de-CH", "fr-CH", "en-IN"})


def _babel(value: Decimal, language: str) -> str:
    from babel.numbers import format_decimal

    return format_decimal(value, locale=language.replace("-", "_"), numbering_system="latn",
                          decimal_quantization=False)


@pytest.mark.parametrize("language", NUMBER_LANGS)
def test_a_whole_number_below_1000_prints_as_babel_formats_it(language):
    # (directions._number prints these without Babel's locale data; it must print what Babel would)
    for n in range(0, 1001):
        for value in (Decimal(n), Decimal(f"{n}.00"), Decimal(n).scaleb(-2).scaleb(2)):
            assert directions._number(value, language) == _babel(value, language), (value, language)
    for value in (Decimal("1E+2"), Decimal("1.0E+2"), Decimal("999.000"), Decimal("1000"), Decimal("-0"),
                  Decimal("-5"), Decimal("0E-3"), Decimal("12345"), Decimal("0.5"), Decimal("2.50")):
        assert directions._number(value, language) == _babel(value, language), (value, language)


@settings(max_examples=300, deadline=None)
@given(value=st.decimals(min_value=-10, max_value=10**7, allow_nan=False, allow_infinity=False),
       language=st.sampled_from(NUMBER_LANGS))
def test_fuzz_a_number_prints_as_babel_formats_it(value, language):
    assert directions._number(value, language) == _babel(value, language)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.from_regex(r"\A(0|[1-9][0-9]{0,4})(\.[0-9]{1,3})?\Z"),
       field=st.sampled_from(["strength", "quantity", "weight_kg", "strength_volume_ml"]),
       language=st.sampled_from(LANGS))
def test_fuzz_panel_numbers_print_as_entered_or_are_refused(value, field, language):
    patient = {"form": "oral-solution", "strength": "5", "strength_unit": "mg", "quantity_unit": "ml",
               "quantity": "100", field: value}
    try:
        r = rows(patient, language, form="Oral solution")
    except ValueError:
        return
    expected = value.rstrip("0").rstrip(".") if "." in value else value
    shown = {"strength": r["medicine"], "strength_volume_ml": r["medicine"], "quantity": r["quantity"],
             "weight_kg": r["age_weight"]}[field]
    assert expected in _numbers(shown, language)


@pytest.mark.parametrize("bad,named", [
    ({"quantity": "010"}, "quantity"), ({"quantity": "1e2"}, "quantity"), ({"weight_kg": "1,5"}, "weight_kg"),
    ({"weight_kg": "900"}, "weight"), ({"strength": "2"}, "strength_unit"), ({"quantity": "0.3"}, "quantity"),
    ({"age_years": "0"}, "age_years"), ({"age_years": "3", "age_months": "14"}, "age_months"),
    ({"discard_date": "2026-11-01", "date_dispensed": "2026-11-20"}, "discard_date"),
    ({"review_date": "2026-11-01", "date_dispensed": "2026-11-20"}, "review_date"),
    ({"review_date": "0027-03-15"}, "review_date"),
    ({"stop_date": "2026-12-01", "directions": {"dose": "1", "unit": "tablet", "days": "3"}}, "stop_date"),
    ({"stop_date": "20/11/26"}, "YYYY-MM-DD"), ({"form": "Tablets!"}, "form"),
    ({"strength": "2", "strength_unit": "mcg"}, "strength_unit"),
])
def test_bad_prescription_fields_are_refused_with_the_field_named(bad, named):
    with pytest.raises(ContentError) as info:
        content.validate(Patient, Loaded({"form": "tablets", **bad}, "p.yaml"))
    assert named in info.value.format()


# --- the panel in the PDF ------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_the_panel_prints_in_every_language_with_english_beside(lang):
    patient = {**TABLETS, "name": "Ann Example", "age_years": "7", "weight_kg": "23.5"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # draft translations warn
        data = leaflet.build_pdf("diazepam", language=lang, patient=patient)
    page1 = squeezed(reader(data).pages[0].extract_text())
    name = content.load(ROOT / "content" / "diazepam" / f"{lang}.yaml").leaflet.medicine.name
    local = rows(patient, lang, name=name)
    if lang not in ("ar", "hi"):  # pypdf reads shaped and right-to-left text out of order
        for phrase in (local["medicine"], local["quantity"], local["age_weight"], *dict(local["directions"]).values()):
            assert squeezed(phrase) in page1, phrase
    if lang != "en":
        assert squeezed("Medicine: Diazepam 2 mg tablets; Dose: 1 tablet, by mouth (swallow)") in page1
        assert squeezed("When: up to three times a day when needed for anxiety; How long: for 14 days") in page1
        assert squeezed("Quantity supplied: 42 tablets; Age and weight: 7 years, 23.5 kg") in page1


# --- only the dispensed form ---------------------------------------------------------------------

INJECTION_ONLY = "only a doctor or nurse gives it"
GEL_ONLY = "only a trained caregiver should give it"


def test_a_form_leaves_out_the_others_and_no_form_prints_all():
    everything = squeezed(all_text(leaflet.build_pdf("diazepam")))
    tablets = squeezed(all_text(leaflet.build_pdf("diazepam", form="tablets")))
    for words in (INJECTION_ONLY, GEL_ONLY, "pain or swelling where an injection was given"):
        assert squeezed(words) in everything and squeezed(words) not in tablets
    assert squeezed("swallow them with a glass of water") in tablets
    assert squeezed("Do not give diazepam tablets or liquid to babies") in tablets
    injection = squeezed(all_text(leaflet.build_pdf("diazepam", form="injection")))
    assert squeezed(INJECTION_ONLY) in injection and squeezed("swallow them with a glass") not in injection
    assert squeezed("Do not give diazepam tablets or liquid to babies") not in injection
    # the ingredients: the tablets' sugar for tablets, the liquids' alcohol for the others, the pack leaflet for all
    lactose, alcohol = squeezed("Many tablets contain lactose"), squeezed("Some liquids, injections and gels")
    assert lactose in everything and alcohol in everything
    assert lactose in tablets and alcohol not in tablets
    assert alcohol in injection and lactose not in injection
    assert squeezed("Your pack leaflet lists all the ingredients.") in tablets and squeezed(
        "Your pack leaflet lists all the ingredients.") in injection


@pytest.mark.parametrize("lang", LANGS)
def test_every_language_marks_the_same_parts(lang):
    leaf = content.load(ROOT / "content" / "diazepam" / f"{lang}.yaml").leaflet
    en = content.load(ROOT / "content" / "diazepam" / "en.yaml").leaflet
    dump = leaf.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert forms.ids(leaf.medicine) == forms.ids(en.medicine) == ["tablets", "oral-solution", "injection", "rectal-gel"]
    assert [(p, v) for p, v in forms._markers(dump)] == [
        (p, v) for p, v in forms._markers(en.model_dump(mode="json", by_alias=True, exclude_none=True))]


def test_a_medicine_whose_forms_have_no_ids_keeps_its_forms_table_for_a_known_form():
    # warfarin names no form ids; --form tablets (a known kind) must not empty its "forms and strengths"
    for template in ("standard", "compact"):
        text = squeezed(all_text(leaflet.build_pdf("warfarin", form="tablets", template=template)))
        assert squeezed("0.5 mg, 1 mg, 3 mg, 5 mg") in text or all(
            squeezed(s) in text for s in ("0.5 mg", "3 mg", "5 mg")), template
        assert squeezed("Each strength has its own colour") in text or squeezed("has its own colour") in text


def test_the_subtitle_lists_only_the_dispensed_form():
    page1 = reader(leaflet.build_pdf("diazepam", form="tablets")).pages[0].extract_text()
    assert "Tablets" in page1 and "Rectal gel" not in page1


def test_an_unknown_form_is_a_user_error_listing_the_forms(tmp_path):
    with pytest.raises(LeafletError) as info:
        leaflet.build_pdf("diazepam", form="patches")
    assert "patches" in info.value.message and "tablets, oral-solution, injection, rectal-gel" in info.value.format()
    patient = tmp_path / "p.yaml"
    patient.write_text("name: Ann\nform: patch\n", encoding="utf-8")
    with pytest.raises(LeafletError) as info:
        leaflet.build_pdf("diazepam", patient=patient)
    assert info.value.where.line == 2 and "tablets" in info.value.format()


def test_the_command_line_and_a_job_file_choose_the_form(tmp_path, capsys):
    out = tmp_path / "t.pdf"
    assert main(["build", "diazepam", "--form", "tablets", "-o", str(out)]) == 0
    assert squeezed(INJECTION_ONLY) not in squeezed(all_text(out.read_bytes()))
    assert main(["build", "diazepam", "--form", "gel", "-o", str(out)]) == 2
    assert "rectal-gel" in capsys.readouterr().err
    jobs = tmp_path / "jobs.csv"
    with open(jobs, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["output", "medicine", "form", "strength", "strength_unit", "quantity"])
        w.writerow(["a.pdf", "diazepam", "tablets", "2", "mg", "28"])
    plan = batch.plan_jobs_file(jobs)
    assert not plan.rejected
    job = plan.jobs[0]
    assert job.patient["form"] == "tablets" and job.patient["quantity"] == "28"


@pytest.mark.parametrize("change,message", [
    (("    - id: tablets\n", "    - id: tablets\n"), None),
    (("            forms: [tablets, oral-solution]", "            forms: [tablets, syrup]"), "unknown form 'syrup'"),
    (("    - id: injection\n", "    - id: tablets\n"), "used twice"),
    (("    - id: injection\n      name", "    - name"), "has no 'id'"),
    (("  - id: storage\n", "  - id: storage\n    forms: [tablets]\n"), "required section"),
])
def test_form_markers_are_checked(tmp_path, change, message):
    text = (ROOT / "content" / "diazepam" / "en.yaml").read_text(encoding="utf-8")
    assert change[0] in text
    folder = tmp_path / "diazepam"
    folder.mkdir()
    (folder / "en.yaml").write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    if message is None:
        content.load(folder / "en.yaml")
        return
    with pytest.raises(ContentError) as info:
        content.load(folder / "en.yaml")
    assert message in info.value.format() and info.value.where.line


def test_the_schema_knows_form_markers():
    from leaflet.model import json_schema

    schema = json.dumps(json_schema())
    assert '"forms"' in schema and "Marked" in schema


def test_marked_items_reach_a_template_as_plain_text():
    leaf = content.load(ROOT / "content" / "diazepam" / "en.yaml").leaflet
    data = forms.select(leaf.model_dump(mode="json", by_alias=True), None)
    how = next(s for s in data["sections"] if s["id"] == "how-to-take")
    bullets = next(s for s in how["subsections"] if s["id"] == "how-to-use")["blocks"][0]["bullets"]
    assert all(isinstance(b, str) for b in bullets) and len(bullets) == 4
    data = forms.select(leaf.model_dump(mode="json", by_alias=True), "tablets")
    assert [f["id"] for f in data["medicine"]["forms"]] == ["tablets"]


def test_examples_patient_names_the_tablet_form():
    patient = leaflet.patient.load_patient(ROOT / "examples" / "patient.yaml")
    assert patient.form == "tablets" and patient.strength == Decimal("2")


# --- a date never breaks across lines (issue 10: compact printed "20 / November / 2026") ------------

_DATED = {"name": "Ann Example", "date_dispensed": "2026-11-20", "stop_date": "2026-12-04",
          "discard_date": "2026-12-20", "review_date": "2027-02-20", "quantity": "42", "form": "tablets",
          "strength": "2", "strength_unit": "mg", "prescriber": "Dr Sam Rivera", "directions": "Take one 2 mg tablet up to three times a day when needed."}


@pytest.mark.parametrize("template", ["standard", "compact", "large-print"])
@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize("lang", LANGS)
def test_the_panels_dates_each_print_on_one_line(lang, paper, template):
    import pypdfium2 as pdfium

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = leaflet.build_pdf("diazepam", language=lang, template=template, paper=paper, patient=_DATED)
    text = pdfium.PdfDocument(data)[0].get_textpage().get_text_range()
    lines = [" ".join(line.split()) for line in text.replace("\r", "").split("\n")]  # no-break spaces too
    def words(text: str) -> set[str]:  # (right to left, a comma after the date is extracted before it)
        return {w.strip("،,.") for w in text.split()}

    for day in ("2026-11-20", "2026-12-04", "2026-12-20", "2027-02-20"):
        date = " ".join(i18n.long_date(day, lang).split())
        assert any(date in line or (lang == "ar" and words(date) <= words(line)) for line in lines), (
            f"{lang} {template} {paper}: {date!r} is not on one line")


@pytest.mark.parametrize("lang", ["en", "de", "ar", "zh-Hans"])
def test_a_review_date_prints_in_the_panel_and_in_english_beside_it(lang):
    """Review finding (levothyroxine, taken for good): a pharmacist had only stop_date for "see your doctor
    by", and the panel said "then stop". ``review_date`` prints as its own row ("Next review"), in the
    English repeat of a translated leaflet too, and in a job list's column."""
    patient = {**TABLETS, "name": "Ann Example", "date_dispensed": "2026-12-07", "review_date": "2027-03-15"}
    t = i18n.translations(lang)
    r = prescription.rows(content.validate(Patient, Loaded(patient, "p.yaml")), "Diazepam", "Tablets",
                          prescription.Words(t.gettext, t.ngettext, lang))
    assert r["review"] == i18n.long_date("2027-03-15", lang) and r["labels"]["review"] == t.gettext("Next review")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        html = leaflet.build_html("diazepam", language=lang, patient=patient)
        pdf = leaflet.build_pdf("diazepam", language=lang, patient=patient)
    page = " ".join(re.sub(r"<[^>]+>", " ", html).replace("\u00a0", " ").split())
    assert f"{t.gettext('Next review')} {' '.join(i18n.long_date('2027-03-15', lang).split())}" in page, page[:2000]
    if lang != "en":
        assert "Next review: 15 March 2027" in page and t.gettext("Next review") != "Next review"  # (translated)
    if lang in ("en", "de"):  # (the PDF's page 1, read back: shaped Arabic is not)
        assert "Next review" in " ".join(page_texts(pdf)[0].split())
    assert "then stop" not in page
    assert "review_date" in batch.PATIENT_FIELDS


# --- a strength the medicine is not made in ---------------------------------------------------------

def test_a_strength_the_medicine_is_not_listed_in_is_pointed_out_and_printed_as_entered(tmp_path):
    """examples/patient.yaml is a diazepam 2 mg prescription; warfarin is made in 0.5, 1, 3 and 5 mg.
    The leaflet prints what was entered (2 mg), and the command says where to look."""
    from leaflet.cli import main

    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "w.pdf"
    code = main(["build", "warfarin", "--patient", str(EXAMPLES / "patient.yaml"), "-o", str(target)],
                stdout=out, stderr=err)
    assert code == 0
    warning = [line for line in err.getvalue().splitlines() if "check the strength" in line]
    assert warning == [f"leaflet: warning: {display_path(EXAMPLES / 'patient.yaml')}:7:11, field 'strength': "
                       "Warfarin is listed in 0.5 mg, 1 mg, 3 mg, 5 mg, not 2 mg: check the strength "
                       "dispensed (or the medicine)"]
    assert "Warfarin 2 mg tablets" in " ".join(all_text(target.read_bytes()).split())


@pytest.mark.parametrize("fields, warns", [
    ({"strength": "2", "strength_unit": "mg", "form": "tablets"}, False),  # diazepam 2 mg tablets
    ({"strength": "10.0", "strength_unit": "mg"}, False),  # 10 mg, written another way
    ({"strength": "2.5", "strength_unit": "mg", "form": "tablets"}, True),
    ({"strength": "2", "strength_unit": "g", "form": "tablets"}, True),  # the unit counts
    ({"strength": "5", "strength_unit": "mg", "form": "rectal-gel"}, True),  # the form's own strengths
    ({"strength": "2", "strength_unit": "mg", "strength_volume_ml": "5"}, False),  # a liquid's, any form
    ({"strength": "3", "strength_unit": "mg", "strength_volume_ml": "5"}, True),
    # a liquid's strength is an amount in 1 mL: 0.4 mg in 1 mL is 2 mg in 5 mL; 5 mg in 1 mL is listed
    ({"strength": "0.4", "strength_unit": "mg", "strength_volume_ml": "1", "form": "oral-solution"}, False),
    ({"strength": "5", "strength_unit": "mg", "strength_volume_ml": "1", "form": "oral-solution"}, False),
    ({"strength": "2", "strength_unit": "mg", "strength_volume_ml": "1", "form": "oral-solution"}, True),
    ({"strength": "20", "strength_unit": "mg", "strength_volume_ml": "5", "form": "oral-solution"}, True),  # 10x
    ({"strength": "2", "strength_unit": "mg", "strength_volume_ml": "3", "form": "oral-solution"}, True),
    ({"strength": "5", "strength_unit": "mg", "strength_volume_ml": "5", "form": "injection"}, True),  # the form's
    ({}, False),
])
def test_a_strength_is_checked_against_the_form_s_strengths(fields, warns):
    from leaflet.prescription import StrengthWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        leaflet.build_pdf("diazepam", patient={"name": "Ann", **fields})
    assert any(issubclass(w.category, StrengthWarning) for w in caught) == warns


@pytest.mark.parametrize("lang", ["ru", "de", "ko", "hi", "ar", "zh-Hans"])
@pytest.mark.parametrize("fields, warns", [
    ({"strength": "3", "strength_unit": "mg", "form": "tablets"}, True),
    ({"strength": "10", "strength_unit": "mg", "form": "tablets"}, False),
    ({"strength": "2000", "strength_unit": "microgram", "form": "tablets"}, False),  # 2 mg, in micrograms
    ({"strength": "0.002", "strength_unit": "g", "form": "tablets"}, False),
    ({"strength": "2", "strength_unit": "mg", "strength_volume_ml": "5", "form": "oral-solution"}, False),
    ({"strength": "2500", "strength_unit": "microgram", "strength_volume_ml": "0.5", "form": "oral-solution"}, False),
    ({"strength": "20", "strength_unit": "mg", "strength_volume_ml": "5", "form": "oral-solution"}, True),
])
def test_a_strength_is_checked_in_every_language(lang, fields, warns):
    """Review finding: the check read English units only, so in Russian ("2 мг") and in any language that
    writes "microgrammes", "mikrogramów" or "마이크로그램" a strength the medicine is not made in printed
    without a word; 0.05 mg was "not listed" in a medicine made in 50 micrograms."""
    from leaflet.prescription import StrengthWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        leaflet.build_pdf("diazepam", language=lang, patient={"name": "Ann", **fields})
    assert any(issubclass(w.category, StrengthWarning) for w in caught) == warns


def _listed_strengths():
    """(content file, listed strength) for every strength of every form in every content file there is."""
    import yaml

    for path in [*(ROOT / "content").rglob("*.yaml"), *(ROOT / "tests" / "data").rglob("*.yaml")]:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):  # (files that test bad input)
            continue
        medicine = data.get("medicine") if isinstance(data, dict) else None
        forms = medicine.get("forms") if isinstance(medicine, dict) else None
        for form in forms if isinstance(forms, list) else []:
            for text in form.get("strengths") or [] if isinstance(form, dict) else []:
                if isinstance(text, str):
                    yield path, text


def _each_read(read, written_so) -> int:
    """How many listed strengths ``written_so`` picks out; fails on the first of them ``read`` cannot read."""
    seen = 0
    for path, text in _listed_strengths():
        if written_so(text):
            seen += 1
            assert read(text) is not None, (path, text)
    return seen


def test_every_strength_of_one_amount_in_any_content_is_read():
    """A strength written as one number and one word ("2 мг", "25 microgrammes") is read, in every
    content file there is: a unit the check does not know would leave a language unchecked."""
    from leaflet.prescription import plain_strength

    assert _each_read(plain_strength, lambda text: re.fullmatch(r"\s*[0-9]+(?:[.,][0-9]+)?\s*\S+\s*", text)) > 50
    assert plain_strength("2 mg in 5 mL") is None and plain_strength("1,000 mg") is None
    assert plain_strength("0,5 mg") == plain_strength("500 micrograms") == plain_strength("500 \u00b5g")


@pytest.mark.parametrize(("listed", "strength", "volume", "warns"), [
    (["5 mg/mL"], "50", "1", True), (["5 mg/mL"], "5", "1", False), (["5 mg/mL"], "25", "5", False),
    (["2 mg in 5 mL", "5 mg/mL"], "5", "1", False), (["2 mg in 5 mL", "5 mg per mL"], "50", "1", True)])
def test_a_liquid_listed_per_ml_is_checked(tmp_path, listed, strength, volume, warns):
    """Review finding: a strength listed as "5 mg/mL" was read, but left out of the strengths compared:
    50 mg in 1 mL passed without a word, and 5 mg in 1 mL was warned about as not "2 mg in 5 mL"."""
    import yaml

    from leaflet.prescription import StrengthWarning

    data = yaml.safe_load((ROOT / "content" / "diazepam" / "en.yaml").read_text(encoding="utf-8"))
    next(f for f in data["medicine"]["forms"] if f["id"] == "oral-solution")["strengths"] = listed
    (tmp_path / "diazepam").mkdir()
    (tmp_path / "diazepam" / "en.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        leaflet.build_pdf("diazepam", content_dirs=[tmp_path], patient={
            "name": "Ann", "form": "oral-solution", "strength": strength, "strength_unit": "mg",
            "strength_volume_ml": volume})
    assert any(issubclass(w.category, StrengthWarning) for w in caught) == warns


def test_every_liquid_strength_in_any_content_is_read_as_an_amount_in_one_ml():
    """Review finding (an unseen medicine): a suspension's "2500 mg in 5 mL", ten times the "250 mg in 5
    mL" it is made in, printed without a word: strengths per volume were not checked. Every one in
    every content file there is reads as one amount of mass in 1 mL, in its language's words."""
    from fractions import Fraction

    from leaflet.prescription import per_volume_strength

    assert _each_read(per_volume_strength, lambda text: re.search(r"\d\s*(mL|ml|мл|毫升)", text)) > 40
    assert per_volume_strength("2 mg in 5 mL") == per_volume_strength("5 mL 중 2 mg") == per_volume_strength(
        "每 5 mL 含 2 mg") == per_volume_strength("2 мг в 5 мл") == per_volume_strength("400 micrograms in 1 ml") == 400
    assert per_volume_strength("2 mg in 3 mL") == Fraction(2000, 3)
    # review finding: "5 mg/mL", the usual way to write a concentration, was not read (and left the check off)
    assert per_volume_strength("5 mg/mL") == per_volume_strength("5 mg per mL") == per_volume_strength(
        "5 мг/мл") == per_volume_strength("5 mg in 1 mL") == 5000
    assert per_volume_strength("5 mg/5 mL") == 1000
    for unread in ("2 mg", "2 mg in 5 mL, 10 mg in 2 mL", "1,000 mg in 5 mL", "2 mg in 5 mL for 3 days",
                   "2 mg in 5 mL (0.4 mg/mL)", "5/mL",
                   "2 mgx in 5 mL", "2 mg in 0 mL", "5 mL"):
        assert per_volume_strength(unread) is None, unread


def test_the_service_says_so_too(tmp_path):
    from leaflet.service import builder
    from leaflet.service.settings import Settings

    built = builder.build(builder.Inputs("warfarin", patient={"strength": "2", "strength_unit": "mg"}),
                          Settings(log_path=tmp_path / "log.sqlite3"))
    assert built.warning and "not 2 mg: check the strength" in built.warning


def test_steps_tables_and_figures_can_be_marked_for_a_form(tmp_path):
    """Review finding: numbered steps and tables could not be marked with ``forms`` ("unknown field
    'steps'"), so a leaflet for capsules still printed the oral syringe's steps and the liquid's table."""
    import yaml

    data = yaml.safe_load((ROOT / "content" / "diazepam" / "en.yaml").read_text(encoding="utf-8"))
    how = next(s for s in data["sections"] if s["id"] == "how-to-take")
    how["subsections"][0]["blocks"] += [
        {"steps": ["Shake the bottle for the syringe step.", "Fill the oral syringe to the line."],
         "forms": ["oral-solution"]},
        {"table": {"header": ["Injection site", "Volume"], "rows": [["Thigh muscle", "2 mL"]]},
         "forms": ["injection"]}]
    folder = tmp_path / "content" / "diazepam"
    folder.mkdir(parents=True)
    (folder / "en.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    roots = [tmp_path / "content"]
    everything = squeezed(all_text(leaflet.build_pdf("diazepam", content_dirs=roots)))
    tablets = squeezed(all_text(leaflet.build_pdf("diazepam", form="tablets", content_dirs=roots)))
    liquid = squeezed(all_text(leaflet.build_pdf("diazepam", form="oral-solution", content_dirs=roots)))
    for words in ("Fill the oral syringe to the line.", "Thigh muscle"):
        assert squeezed(words) in everything and squeezed(words) not in tablets
    assert squeezed("Fill the oral syringe to the line.") in liquid and squeezed("Thigh muscle") not in liquid


@pytest.mark.parametrize("lines, bad, field", [
    (["form: tablets", "quantity: 100001"], 2, "quantity"),
    (["form: tablets", "directions:", "  dose: 5", "  unit: ml", "  frequency: once-daily"], 4, "directions.unit"),
    (["date_dispensed: 2026-11-20", "stop_date: 2026-11-01"], 2, "stop_date"),
    (["strength_unit: mg"], 1, "strength_unit"),
    (["weight_kg: 900"], 1, "weight_kg"),
])
def test_a_check_of_several_fields_names_the_line_and_field_to_fix(tmp_path, lines, bad, field):
    """Review finding: a problem found by comparing fields (a quantity, a dose unit against the form)
    was placed at the file's line 1 with no field."""
    from leaflet.cli import main

    path = tmp_path / "p.yaml"
    path.write_text("name: Ann\n" + "\n".join(lines) + "\n", encoding="utf-8")
    err = io.StringIO()
    assert main(["build", "diazepam", "--patient", str(path), "-o", str(tmp_path / "x.pdf")],
                stdout=io.StringIO(), stderr=err) == 2
    assert f"p.yaml:{bad + 1}:" in err.getvalue() and f"field '{field}'" in err.getvalue(), err.getvalue()
    assert "Traceback" not in err.getvalue()
