"""Content validation: every file in tests/data/bad is a test, with its expected message on line 1."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

import leaflet
from leaflet import content
from leaflet.cli import main
from leaflet.errors import ContentError, GlyphError
from leaflet.model import json_schema
from leaflet.yamlsafe import MAX_BYTES, load_yaml_text

from .conftest import DATA, ROOT, all_text

BAD = sorted((DATA / "bad").glob("*.yaml"))


def expectations(path: Path) -> list[str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} has no '# expect:' line"
    return [part.strip() for part in first[len("# expect: "):].split(";")]


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_content_gets_one_clear_message(path):
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", str(path)], stdout=out, stderr=err)
    text = out.getvalue()
    assert code == 1
    assert "Traceback" not in text + err.getvalue()
    assert path.name in text  # the message names the file
    for expected in expectations(path):
        assert expected in text, f"{expected!r} not in:\n{text}"


def test_the_corpus_covers_the_kinds_of_mistake():
    assert len(BAD) >= 15


def test_good_minimal_file_passes():
    out = io.StringIO()
    assert main(["check", str(DATA / "content")], stdout=out) == 0, out.getvalue()
    assert "1 passed, 0 failed" in out.getvalue()


def test_shipped_content_passes():
    out = io.StringIO()
    assert main(["check"], stdout=out) == 0, out.getvalue()


def test_every_shipped_content_file_matches_the_json_schema():
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    files = sorted((ROOT / "content").rglob("*.yaml")) + [DATA / "content" / "testamol" / "en.yaml"]
    for file in files:
        data = json.loads(json.dumps(yaml.safe_load(file.read_text()), default=str))
        jsonschema.validate(data, schema)


def test_json_schema_rejects_what_the_model_rejects():
    schema = json_schema()
    data = json.loads(json.dumps(yaml.safe_load((DATA / "content" / "testamol" / "en.yaml").read_text()),
                                 default=str))
    data["medicine"]["brand_name"] = ["typo"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_oversized_file_is_refused_before_parsing(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("a: '" + "x" * (MAX_BYTES + 10) + "'\n")
    with pytest.raises(ContentError, match="larger than"):
        content.load(big)


def test_deeply_nested_yaml_is_refused():
    with pytest.raises(ContentError, match="nested deeper"):
        load_yaml_text("a: " + "[" * 200 + "]" * 200)


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"schema: 1\nlanguage: en\nname: caf\xe9\n")
    with pytest.raises(ContentError) as info:
        content.load(path)
    assert info.value.where.line == 3 and "UTF-8" in info.value.message


def test_alias_bomb_is_refused_quickly():
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(ContentError, match="aliases"):
        load_yaml_text("\n".join(levels))


def test_character_the_font_cannot_draw_names_file_line_and_field(tmp_path):
    folder = tmp_path / "testamol"
    folder.mkdir()
    text = (DATA / "content" / "testamol" / "en.yaml").read_text().replace("Keep it dry.", "Keep it dry \u2603.")
    (folder / "en.yaml").write_text(text)
    with pytest.raises(GlyphError) as info:
        leaflet.build_pdf("testamol", content_dirs=[tmp_path])
    err = info.value
    assert "U+2603 SNOWMAN" in err.message and "Noto Sans" in err.message
    assert err.where.file.endswith("en.yaml") and err.where.line == text.splitlines().index(
        '    blocks: ["Keep it dry \u2603."]') + 1
    assert err.where.field == "sections[4].blocks[0]"


def test_user_content_folder_comes_first(tmp_path):
    """A medicine in a user's content folder is built from there, not from the shipped content; of
    several folders, the first given that has it wins."""
    shipped = (ROOT / "content" / "diazepam" / "en.yaml").read_text(encoding="utf-8")
    sentence = "Diazepam is a prescription medicine, often known by the brand name Valium."
    assert sentence in shipped
    folders = []
    for name in ("first", "second"):
        folder = tmp_path / name / "diazepam"
        folder.mkdir(parents=True)
        (folder / "en.yaml").write_text(shipped.replace(sentence, f"This copy comes from the {name} folder."),
                                        encoding="utf-8")
        folders.append(tmp_path / name)
    text = all_text(leaflet.build_pdf("diazepam", content_dirs=folders))
    assert "This copy comes from the first folder." in text and sentence not in text
    assert "second folder" not in text
    text = all_text(leaflet.build_pdf("diazepam", content_dirs=folders[::-1]))
    assert "This copy comes from the second folder." in text
    assert sentence in all_text(leaflet.build_pdf("diazepam"))  # the shipped one, without user folders
    assert leaflet.build_pdf("testamol", content_dirs=[DATA / "content"]).startswith(b"%PDF")  # only there


def test_unknown_medicine_lists_what_exists():
    with pytest.raises(leaflet.LeafletError) as info:
        leaflet.build_pdf("diazepan")
    assert "did you mean 'diazepam'" in info.value.format()


def test_unknown_language_lists_languages():
    with pytest.raises(leaflet.LeafletError) as info:
        leaflet.build_pdf("diazepam", language="xx")
    assert "available languages: " in info.value.format() and " en" in info.value.format()


@pytest.mark.parametrize("block, field", [({"steps": ["One.", "Two."], "note": "x"}, "note"),
                                          ({"table": {"rows": [["a"]]}, "captoin": "x"}, "captoin"),
                                          ({"bullets": ["a"], "intor": "x"}, "intor"),
                                          ({"steps": ["One.", 7]}, "steps[1]")])
def test_an_error_in_a_block_names_its_own_field_not_the_blocks_kind(tmp_path, block, field):
    """Review finding: an unknown key in a steps block was reported as "unknown field 'steps' (did you
    mean 'items'?)": pydantic's location holds the block's kind ('steps') as a union tag, and the
    block's own key has the same name."""
    data = yaml.safe_load((Path(__file__).parent.parent / "content" / "diazepam" / "en.yaml").read_text("utf-8"))
    how = next(s for s in data["sections"] if s["id"] == "how-to-take")
    how["subsections"][0]["blocks"].append(block)
    folder = tmp_path / "diazepam"
    folder.mkdir()
    (folder / "en.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = io.StringIO()
    assert main(["check", str(folder / "en.yaml")], stdout=out) == 1
    text = out.getvalue()
    where = f"sections[2].subsections[0].blocks[{len(how['subsections'][0]['blocks']) - 1}].{field}'"
    assert where in text, text
    assert "unknown field 'steps'" not in text


def test_check_counts_a_file_named_and_inside_a_folder_named_once(tmp_path):
    out = io.StringIO()
    root = Path(__file__).parent.parent / "content"
    assert main(["check", "--content", str(root), str(root / "diazepam" / "en.yaml")], stdout=out) == 0
    files = len(list(root.glob("*/*.yaml")))
    assert f"{files} passed, 0 failed" in out.getvalue()
    assert out.getvalue().count("ok      ") == files


def test_a_python_caller_may_name_content_folders_as_text(tmp_path):
    """(visual review) ``content_dirs=["/some/folder"]`` failed with a TypeError deep in the lookup;
    a folder may be given as text or a path, alone or in a list, and builds the same leaflet."""
    import shutil

    import leaflet

    shutil.copytree(DATA / "content", tmp_path / "content")
    as_path = leaflet.build_pdf("testamol", content_dirs=[tmp_path / "content"])
    assert leaflet.build_pdf("testamol", content_dirs=[str(tmp_path / "content")]) == as_path
    assert leaflet.build_pdf("testamol", content_dirs=str(tmp_path / "content")) == as_path
