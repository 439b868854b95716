"""What a new content author runs into: `leaflet new`, `leaflet check --content`, and clear hints."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import yaml

import leaflet
from leaflet.cli import main

from .conftest import DATA, EXAMPLES

MINIMAL = DATA / "content" / "testamol" / "en.yaml"


def check(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["check", *args], stdout=out, stderr=io.StringIO())
    return code, out.getvalue()


def _folder(tmp_path: Path, edit=None, medicine: str = "testamol", raw: str | None = None) -> Path:
    folder = tmp_path / medicine
    folder.mkdir()
    if raw is not None:
        (folder / "en.yaml").write_text(raw, encoding="utf-8")
    else:
        data = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
        if edit:
            edit(data)
        (folder / "en.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return tmp_path


def test_check_takes_a_content_folder(tmp_path):
    code, text = check("--content", str(_folder(tmp_path)))
    assert code == 0 and "1 passed, 0 failed" in text


def test_other_yaml_in_a_content_folder_is_not_read_as_content(tmp_path):
    root = _folder(tmp_path)
    shutil.copy(EXAMPLES / "patient.yaml", root / "testamol" / "patient.yaml")
    code, text = check("--content", str(root))
    assert code == 0 and "1 passed, 0 failed" in text and "schema" not in text
    stdout = io.StringIO()
    main(["list", "--content", str(root)], stdout=stdout)
    assert "testamol (en)" in stdout.getvalue()  # not "en, patient"


def test_check_lists_every_problem_and_does_not_send_you_to_itself(tmp_path):
    def empty_all(data):
        data["medicine"]["drug_class"] = ""
        data["sections"][0]["title"] = ""
        data["sections"][1]["title"] = ""
        data["sections"][2]["title"] = ""
        data["sections"][3]["title"] = ""
        data["sections"][4]["title"] = ""
    code, text = check(str(_folder(tmp_path, empty_all)))
    assert code == 1
    assert text.count("must not be empty") == 6
    assert "run `leaflet check`" not in text


@pytest.mark.parametrize("line, value, message", [
    ("    blocks: [\"A test.\"]", "    blocks:\n      - **Not** a test.", "must be in quotes, or YAML reads the * as an alias"),
    ("revision: {version: \"0.1\", date: 2026-01-15}", "revision: {version: \"0.1\", date: 15 January 2026}",
     "should be a date written YYYY-MM-DD"),
    ("  name: Testamol", "  name: no", "YAML reads a bare yes, no, on or off as false"),
    ("  drug_class: test medicine", "  drug_class: 12", "must be written in quotes"),
])
def test_common_mistakes_get_a_hint(tmp_path, line, value, message):
    raw = MINIMAL.read_text(encoding="utf-8")
    assert line in raw
    root = _folder(tmp_path, raw=raw.replace(line, value, 1))
    code, text = check(str(root))
    assert code == 1 and message in text, text


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["sections"][0].update(blocks=["Take **one tablet a day."]),
     "field 'sections[0].blocks[0]': an unclosed ** or * will print as asterisks"),
    (lambda d: d["medicine"].update(id="testamoll"), "medicine.id 'testamoll' does not match its folder 'testamol'"),
    (lambda d: d["sections"].insert(1, {"id": "how-it-works", "title": "How it works", "blocks": ["x"]}),
     "section 'how-it-works' (sections[1]) is not one of the six standard sections; it prints as section 2"),
])
def test_valid_but_suspicious_content_is_warned_about(tmp_path, edit, message):
    code, text = check(str(_folder(tmp_path, edit)))
    assert code == 0 and message in text, text


def test_a_clean_file_has_no_authoring_warnings(tmp_path):
    code, text = check(str(_folder(tmp_path)))
    assert code == 0 and "warning" not in text


def test_new_writes_a_skeleton_that_cannot_print_until_written(tmp_path):
    stdout = io.StringIO()
    assert main(["new", "amoxicillin", "--content", str(tmp_path)], stdout=stdout, stderr=io.StringIO()) == 0
    path = tmp_path / "amoxicillin" / "en.yaml"
    assert stdout.getvalue().strip().endswith("amoxicillin/en.yaml") and path.is_file()
    code, text = check(str(tmp_path))
    assert code == 1 and "must not be empty" in text
    with pytest.raises(leaflet.LeafletError):
        leaflet.build_pdf("amoxicillin", content_dirs=[tmp_path])
    # the structure and stock titles are right: filled in, it passes
    path.write_text(path.read_text(encoding="utf-8").replace('""', '"Written."'), encoding="utf-8")
    code, text = check(str(tmp_path))
    assert code == 0, text
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [s["id"] for s in data["sections"]][:2] == ["what-it-is", "before-you-take"]
    assert data["sections"][2]["subsections"][0]["title"] == "If you take more Amoxicillin than you should"
    err = io.StringIO()
    assert main(["new", "amoxicillin", "--content", str(tmp_path)], stdout=io.StringIO(), stderr=err) == 3
    assert "already exists" in err.getvalue()
