"""Regression tests for problems a review found: each names the problem it guards against."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import leaflet
from leaflet import batch
from leaflet.cli import main
from leaflet.errors import ContentError, TemplateError

from .conftest import DATA, ROOT, all_text, page_texts


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


def test_an_impossible_date_is_a_user_error_with_its_line(tmp_path):
    patient = tmp_path / "p.yaml"
    patient.write_text("name: Ann\ndate_dispensed: 2026-02-30\n")
    code, text = run("build", "diazepam", "--patient", str(patient), "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and "p.yaml:2" in text and "does not exist" in text


def test_a_number_is_not_a_date():
    with pytest.raises(leaflet.LeafletError, match="YYYY-MM-DD"):
        leaflet.build_pdf("diazepam", patient={"date_dispensed": 0})


def test_errors_in_a_users_template_code_name_the_line(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "theme.yaml").write_text("name: mine\nextends: standard\n")
    (folder / "body.xml.j2").write_text("<leaflet>\n<p>{{ 1 // 0 }}</p>\n</leaflet>\n")
    with pytest.raises(TemplateError) as info:
        leaflet.build_pdf("testamol", template=str(folder), content_dirs=[DATA / "content"])
    assert "ZeroDivisionError" in info.value.message and info.value.where.line == 2


def test_extends_is_relative_to_the_theme_and_a_parent_change_is_seen(tmp_path, monkeypatch):
    base, child = tmp_path / "base", tmp_path / "child"
    base.mkdir()
    child.mkdir()
    (base / "theme.yaml").write_text("name: base\nextends: standard\ncolors: {accent: '#006400'}\n")
    (child / "theme.yaml").write_text("name: child\nextends: ../base\n")
    monkeypatch.chdir(ROOT)  # not the template's folder: "../base" must be found from the theme file
    assert leaflet.build_pdf("testamol", template=str(child), content_dirs=[DATA / "content"])
    (base / "theme.yaml").write_text("name: base\nextends: standard\ncolors: {accent: 'green'}\n")
    with pytest.raises(leaflet.LeafletError):  # the cached template is not reused after the change
        leaflet.build_pdf("testamol", template=str(child), content_dirs=[DATA / "content"])


def test_a_missing_content_folder_is_an_error():
    with pytest.raises(leaflet.LeafletError, match="does not exist"):
        leaflet.build_pdf("diazepam", content_dirs=[Path("/no/such/folder")])


@pytest.mark.parametrize("medicine, language", [("../content/diazepam", "en"), ("diazepam", "../diazepam/en")])
def test_names_that_look_like_paths_are_refused(medicine, language):
    with pytest.raises(leaflet.LeafletError, match="is not a"):
        leaflet.build_pdf(medicine, language=language)


def test_a_typical_four_line_address_fits_the_header(tmp_path):
    pharmacy = tmp_path / "pharmacy.yaml"
    pharmacy.write_text("name: Riverside Pharmacy\naddress: [12 Mill Lane, Riverside, Countyshire, RV1 2AB]\n"
                        "phone: Tel. 01234 567 890\n")
    data = leaflet.build_pdf("diazepam", pharmacy=pharmacy)
    first, second = page_texts(data)[:2]
    assert "RV1 2AB" in first and "Tel. 01234 567 890" in first
    assert "Riverside Pharmacy" in second and "RV1 2AB" not in second  # the running header: the name only


def test_the_pharmacy_header_uses_the_leaflets_fonts_and_checks_them(tmp_path):
    pharmacy = tmp_path / "pharmacy.yaml"
    pharmacy.write_text("name: 河畔药房\naddress: [北京市]\n")
    assert "河畔药房" in all_text(leaflet.build_pdf("diazepam", pharmacy=pharmacy))
    pharmacy.write_text("name: Snow \u2603 Pharmacy\n")
    with pytest.raises(leaflet.LeafletError) as info:
        leaflet.build_pdf("diazepam", pharmacy=pharmacy)
    assert "U+2603" in info.value.message and info.value.where.file.endswith("pharmacy.yaml")


@pytest.mark.parametrize(("lang", "name"), [("hi", "अनुष्का श्रीवास्तव द्वारका"), ("ar", "ليلى عبد الرحمن (Layla)")])
def test_shaped_leaflets_are_byte_identical_whatever_was_built_before(lang, name):
    code = ("import sys, warnings; warnings.simplefilter('ignore'); from leaflet import build_pdf; "
            f"sys.stdout.buffer.write(build_pdf('diazepam', language='{lang}'))")
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, check=True).stdout
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # other letters first: subset codes and reused shaped text must not carry over
        leaflet.build_pdf("diazepam", language=lang, patient={"name": name}, notes=name)
        assert leaflet.build_pdf("diazepam", language=lang) == fresh
        leaflet.build_pdf("diazepam", language=lang, patient={"name": name}, notes=name)
        assert leaflet.build_pdf("diazepam", language=lang) == fresh


def test_blank_lines_in_arabic_notes_are_kept():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = leaflet.build_pdf("diazepam", language="ar", notes="واحد\nاثنان")
        three = leaflet.build_pdf("diazepam", language="ar", notes="واحد\n\n\nاثنان")
    assert one != three


def test_batch_with_a_broken_pharmacy_file_is_a_user_error(tmp_path):
    pharmacy = tmp_path / "pharmacy.yaml"
    pharmacy.write_text("- not\n- a mapping\n")
    code, text = run("batch", "--medicine", "diazepam", "--lang", "en", "--template", "standard", "--paper", "a4",
                     "--pharmacy", str(pharmacy), "-o", str(tmp_path / "out"))
    assert code == 2 and "pharmacy.yaml" in text and "Traceback" not in text


@pytest.mark.parametrize("body, exit_code", [("jobs:\n  - {output: a.pdf, medicine: testamol, patient: Ann}\n", 1),
                                             ("", 2)])
def test_bad_or_empty_yaml_job_files_are_user_errors(tmp_path, body, exit_code):
    jobs = tmp_path / "jobs.yaml"
    jobs.write_text(body)
    code, text = run("batch", "--jobs", str(jobs), "--content", str(DATA / "content"), "-o", str(tmp_path / "o"))
    assert code == exit_code and "Traceback" not in text


def test_a_foreign_manifest_is_ignored(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text("[1, 2]")
    summary = batch.run([batch.Job("x.pdf", "testamol")], out, workers=1, content_dirs=[DATA / "content"])
    assert summary.count("built") == 1


def test_a_change_in_a_template_subfolder_rebuilds(tmp_path):
    folder = tmp_path / "tpl"
    (folder / "parts").mkdir(parents=True)
    (folder / "theme.yaml").write_text("name: tpl\nextends: standard\n")
    body = (ROOT / "templates" / "standard" / "body.xml.j2").read_text()
    (folder / "body.xml.j2").write_text(body.replace('<slot name="prescriber-notes"/>',
                                                     '{% include "parts/extra.j2" %}<slot name="prescriber-notes"/>'))
    (folder / "parts" / "extra.j2").write_text("<p>NOTE v1</p>")
    jobs = [batch.Job("x.pdf", "testamol", template=str(folder))]
    batch.run(jobs, tmp_path / "out", workers=1, content_dirs=[DATA / "content"])
    (folder / "parts" / "extra.j2").write_text("<p>NOTE v2</p>")
    summary = batch.run(jobs, tmp_path / "out", workers=1, content_dirs=[DATA / "content"])
    assert summary.count("built") == 1 and "NOTE v2" in all_text((tmp_path / "out" / "x.pdf").read_bytes())


def test_the_same_combination_twice_is_built_once(tmp_path):
    jobs = batch.plan_matrix(["testamol"], ["en", "en"], ["standard"], ["a4"], [DATA / "content"])
    assert [j.output for j in jobs] == ["testamol-en-standard-a4.pdf"]


def test_check_goes_on_when_a_translations_source_is_broken(tmp_path):
    folder = tmp_path / "testamol"
    folder.mkdir()
    good = (DATA / "content" / "testamol" / "en.yaml").read_text()
    (folder / "en.yaml").write_text(good.replace("drug_class: test medicine\n", ""))
    (folder / "es.yaml").write_text(good.replace("language: en", "language: es") + (
        "translation: {source_language: en, source_version: '0.1', status: draft}\n"))
    code, text = run("check", str(tmp_path))
    assert code == 1 and "1 passed, 1 failed" in text and "source en.yaml is not valid" in text


def test_batch_output_folder_that_cannot_be_made_is_an_output_error(tmp_path):
    code, text = run("batch", "--medicine", "testamol", "--content", str(DATA / "content"), "-o", "/proc/leaflets")
    assert code == 3 and "cannot create the output folder" in text


def test_a_patient_file_error_is_never_an_internal_error(tmp_path):
    with pytest.raises(ContentError):
        leaflet.build_pdf("diazepam", patient={"name": ["not", "text"]})
