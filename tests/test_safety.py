"""Safe by default: sandboxed templates, escaped text, no file or network access from content."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import leaflet
from leaflet.errors import ContentError, LeafletError, TemplateError
from leaflet.inline import plain, to_markup

from .conftest import DATA, EXAMPLES, ROOT, all_text, page_texts

STANDARD_BODY = (Path(leaflet.__file__).parent.parent / "templates" / "standard" / "body.xml.j2").read_text()


def make_template(root: Path, body: str | None = None, theme_extra: str = "") -> Path:
    folder = root / "mine"
    folder.mkdir()
    (folder / "theme.yaml").write_text(f"name: mine\nextends: standard\n{theme_extra}")
    if body is not None:
        (folder / "body.xml.j2").write_text(body)
    return folder


def build_with(folder: Path, **options) -> bytes:
    return leaflet.build_pdf("testamol", template=str(folder), content_dirs=[DATA / "content"], **options)


def test_a_users_template_can_restyle_and_reorder(tmp_path):
    body = STANDARD_BODY.replace('<slot name="prescriber-notes"/>', "").replace('<slot name="short-notes"/>', "").replace(
        '<slot name="patient-panel"/>', '<slot name="prescriber-notes"/><slot name="patient-panel"/>')
    folder = make_template(tmp_path, body, "colors: {accent: '#006400'}\n")
    text = all_text(build_with(folder, notes="Seen today."))
    assert text.index("Prescriber notes") < text.index("Your prescription") < text.index("1. What it is")


@pytest.mark.parametrize("expression", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ medicine.__class__.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
])
def test_sandbox_stops_escapes(tmp_path, expression):
    folder = make_template(tmp_path, f"<leaflet><p>{expression}</p></leaflet>")
    with pytest.raises(TemplateError):
        build_with(folder)


def test_templates_cannot_include_files_outside_their_folder(tmp_path):
    folder = make_template(tmp_path, '<leaflet><p>{% include "../../../../etc/passwd" %}</p></leaflet>')
    with pytest.raises(TemplateError, match="not found"):
        build_with(folder)


def test_templates_cannot_follow_links_out_of_their_folder(tmp_path):
    folder = make_template(tmp_path, '<leaflet><p>{% include "secret.txt" %}</p></leaflet>')
    os.symlink("/etc/hostname", folder / "secret.txt")
    with pytest.raises(TemplateError, match="not found"):
        build_with(folder)


def test_theme_fonts_must_live_in_the_template_folder(tmp_path):
    folder = make_template(tmp_path, None, "fonts: {body: Mine}\nfont_files: {Mine: {regular: ../../../etc/hostname}}\n")
    with pytest.raises(TemplateError, match="inside the template folder"):
        build_with(folder)


@pytest.mark.parametrize("body, message", [
    ('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><leaflet><p>&e;</p></leaflet>', "DOCTYPE"),
    ("<leaflet><script>x</script></leaflet>", "unknown markup element <script>"),
    ('<leaflet><p onclick="x">hi</p></leaflet>', "unknown attribute"),
    ("<leaflet><p>unclosed</leaflet>", "not well-formed"),
    ("<leaflet><p><ul><li>x</li></ul></p></leaflet>", "cannot be inside <p>"),
    ('<leaflet><box level="scary"><p>x</p></box></leaflet>', "must be one of"),
    ('<leaflet><spacer height="9999"/></leaflet>', "between"),
    ("<patient/>", "must start with <leaflet>"),
    ("{{ no_such_thing }}", "undefined value"),
    ("{% if %}", "syntax error"),
])
def test_template_mistakes_are_clear(tmp_path, body, message):
    folder = make_template(tmp_path, body)
    with pytest.raises(TemplateError, match=message):
        build_with(folder)


def test_markup_in_content_is_text(tmp_path):
    folder = tmp_path / "testamol"
    folder.mkdir()
    source = (DATA / "content" / "testamol" / "en.yaml").read_text()
    source = source.replace("Keep it dry.", "<font size=40>Keep</font> <a href='x'>it</a> & dry.")
    (folder / "en.yaml").write_text(source)
    text = all_text(leaflet.build_pdf("testamol", content_dirs=[tmp_path]))
    assert "<font size=40>Keep</font> <a href='x'>it</a> & dry." in text


def test_emphasis_syntax_is_all_the_markup_authors_get():
    assert to_markup("Take **one** *daily* <b>x</b> & y") == (
        "Take <b>one</b> <i>daily</i> &lt;b&gt;x&lt;/b&gt; &amp; y")
    assert to_markup("2 * 3 * 4") == "2 * 3 * 4"
    assert to_markup(r"a \*literal\* star") == "a *literal* star"
    assert to_markup("**bold *and italic* too**") == "<b>bold <i>and italic</i> too</b>"
    assert plain("**Do not** stop *suddenly*") == "Do not stop suddenly"


def test_logo_must_be_an_image(tmp_path):
    (tmp_path / "logo.png").write_text("not really a png")
    (tmp_path / "pharmacy.yaml").write_text("name: Test\nlogo: logo.png\n")
    with pytest.raises(ContentError, match="not a PNG or JPEG"):
        leaflet.build_pdf("diazepam", pharmacy=tmp_path / "pharmacy.yaml")


def test_logo_must_be_png_or_jpeg_by_name(tmp_path):
    (tmp_path / "pharmacy.yaml").write_text("name: Test\nlogo: /etc/passwd\n")
    with pytest.raises(ContentError, match=".png or .jpg"):
        leaflet.build_pdf("diazepam", pharmacy=tmp_path / "pharmacy.yaml")


def test_patient_file_unknown_field(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: Ann\nnote: typo\n")
    with pytest.raises(LeafletError) as info:
        leaflet.build_pdf("diazepam", patient=path)
    assert "unknown field 'note' (did you mean 'notes'?)" in info.value.format()
    assert info.value.where.line == 2


def test_example_files_are_valid():
    data = leaflet.build_pdf("diazepam", patient=EXAMPLES / "patient.yaml", pharmacy=EXAMPLES / "pharmacy.yaml")
    assert data.startswith(b"%PDF")


def test_the_readmes_patient_file_builds(tmp_path):
    """The README's example patient file is read by the same strict rules as any (its comments too)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("# patient.yaml: every field is optional", 1)[1].split("```", 1)[0]
    patient = tmp_path / "patient.yaml"
    patient.write_text(block, encoding="utf-8")
    data = leaflet.build_pdf("diazepam", patient=patient)
    assert "Ann Example" in page_texts(data)[0]


def test_python_api_patient_dict_errors_are_leaflet_errors():
    with pytest.raises(LeafletError) as info:
        leaflet.build_pdf("diazepam", patient={"nmae": "Ann"})
    assert "unknown field 'nmae' (did you mean 'name'?)" in info.value.format()


def test_the_quick_look_at_typed_text_finds_what_the_look_at_every_character_finds():
    """typedtext.problem first looks at each distinct character once; it must refuse exactly what a look
    at every position refuses, at the same position (a mark on a number depends on the position)."""
    import random
    import unicodedata

    from leaflet import typedtext

    def others(chars):  # what is neither a mark nor a joiner
        return [c for c in chars if not (unicodedata.category(c).startswith("M") or ord(c) in typedtext.JOINERS)]

    def number(chars):
        return bool(chars) and unicodedata.category(chars[0]) in ("Nd", "Nl", "No")

    def on_a_number(text, index):  # the character the mark is drawn on: past marks and joiners
        if unicodedata.category(text[index]) == "Me" or unicodedata.combining(text[index]) == 1:
            return True  # an overlay or enclosing mark, on anything
        before, after = others(text[:index])[::-1], others(text[index + 1:])
        if number(before):
            return True
        on_a_letter = bool(before) and unicodedata.category(before[0]).startswith("L")
        return not on_a_letter and (number(before[1:]) or number(after))

    def every_position(text, single_line):
        for index, ch in enumerate(text):
            code, category = ord(ch), unicodedata.category(ch)
            if ch == "\n" and single_line:
                return index
            if ch in "\n\t":
                continue
            if (code in typedtext.BIDI_CONTROLS or code in typedtext.INVISIBLE or category in ("Cc", "Cs", "Co")
                    or category == "Cf" and code not in typedtext.JOINERS
                    or category in ("Mn", "Mc", "Me") and on_a_number(text, index)):
                return index
        return None

    alphabet = [*"ab 12\n\t\r\x00\x7fé", "\u0301", "\u093e", "\u0903", "\u20dd", "\u200c", "\u200d", "\u200e",
                "\u202e", "\u00ad", "\u2028", "\u034f", "\u3164", "\ue000", "\ud800", "\u00a0", "\u0627", "\u0661",
                "\u4e00", "\ufffc", "\u2066", "\u061c", "\u0969", "\uff13", "\u00b2", "\u00bd", "\u2167",
                ".", ",", "\u064b", "\u0338", "\u0336"]
    rng = random.Random(14)
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        for single_line in (False, True):
            found = typedtext.problem(text, single_line=single_line)
            assert (found[0] if found else None) == every_position(text, single_line), (text, single_line)
