"""Right-to-left ordering against Unicode's own conformance data (BidiCharacterTest.txt).

Every test case is run except those with explicit directional formatting characters (embeddings,
overrides, isolates: leaflet content has none, and the layout does not support them) and those with
"auto" paragraph direction (a leaflet's direction comes from its language). Levels (rules P-I, with
N0 for brackets, and L1) and the visual order (L2) must both match.
"""

from __future__ import annotations

import gzip

from leaflet import rtl

from .conftest import DATA

EXPLICIT = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


def cases():
    with gzip.open(DATA / "unicode" / "BidiCharacterTest-15.0.txt.gz", "rt", encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.strip().split(";")
            codes = [int(x, 16) for x in fields[0].split()]
            direction = int(fields[1])
            if direction == 2 or EXPLICIT.intersection(codes):
                continue
            yield number, "".join(map(chr, codes)), direction, fields[3].split(), [int(x) for x in fields[4].split()]


def test_bidi_character_test_conformance():
    checked, failures = 0, []
    for number, text, base, want_levels, want_order in cases():
        got = rtl.line_levels(text, rtl.levels(text, base), base)
        keep = [i for i, w in enumerate(want_levels) if w != "x"]
        order = [keep[i] for i in rtl.visual_order([got[i] for i in keep], base)]
        if any(w != "x" and int(w) != g for w, g in zip(want_levels, got, strict=True)) or order != want_order:
            failures.append(number)
        checked += 1
    assert checked > 90_000  # the data was read, and nearly all of it applies
    assert not failures, f"{len(failures)} of {checked} cases fail, first at line {failures[0]}"


def test_brackets_take_the_direction_of_their_content():
    # rule N0, which python-bidi alone does not implement: inside Arabic, "(abc)" after Latin text keeps
    # its brackets left-to-right; after Arabic text they follow the paragraph (right-to-left)
    after_latin = "\u0627 xyz (abc) \u062c"
    lv = rtl.levels(after_latin, 1)
    assert lv[6] == lv[10] == 2
    after_arabic = "\u0627\u0628 (abc) \u062c\u062f"
    lv = rtl.levels(after_arabic, 1)
    assert lv[3] == lv[7] == 1 and lv[4] == 2


def test_a_line_of_arabic_with_a_number_and_a_latin_word():
    # logical: ALEF BEH, "5 mg Valium". Read right to left, the line says ALEF BEH, then 5, then
    # "mg Valium" (the number and the Latin words are separate runs, as in every UBA renderer)
    text = "\u0627\u0628 5 mg Valium"
    order = rtl.visual_order(rtl.line_levels(text, rtl.levels(text, 1)))
    assert "".join(text[i] for i in order) == "mg Valium 5 \u0628\u0627"
