"""Make the TrueType CJK fonts that ship in leaflet/fonts/ from Noto Sans CJK.

ReportLab embeds only TrueType-outline fonts, and Noto Sans CJK is published with CFF (PostScript)
outlines. This script takes the Simplified Chinese face of the Noto Sans CJK collections (Debian's
fonts-noto-cjk package, or the upstream release), keeps the characters a patient leaflet in Chinese or
Korean needs, and converts the outlines to TrueType (quadratic) curves with fontTools' cu2qu.

Kept: the 6,763 Hanzi of GB 2312, the 2,350 Hangul syllables of KS X 1001, Hangul and CJK punctuation,
full-width forms, and every character of the shipped content in those scripts. `leaflet check` names any
character a later text needs that is not there; run this script again with it added.

    python tools/build_cjk_fonts.py /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
        /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc

Needs fontTools (pip install fonttools). Takes a few minutes.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

from fontparts import subset_font
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

ROOT = Path(__file__).resolve().parent.parent
FACE = "Noto Sans CJK SC"


def wanted_characters() -> set[int]:
    chars: set[int] = set()
    for lead in range(0xA1, 0xFF):  # GB 2312 and KS X 1001 are both 94 x 94 EUC code tables
        for trail in range(0xA1, 0xFF):
            for codec in ("gb2312", "euc-kr"):
                try:
                    chars.add(ord(bytes([lead, trail]).decode(codec)))
                except UnicodeDecodeError:
                    pass
    chars.update(range(0x3000, 0x3040))  # CJK symbols and punctuation
    chars.update(range(0x3130, 0x3190))  # Hangul compatibility jamo
    chars.update(range(0xFF00, 0xFFF0))  # half- and full-width forms
    for path in (ROOT / "content").rglob("*.yaml"):  # whatever the shipped content uses
        for ch in path.read_text(encoding="utf-8"):
            name = unicodedata.name(ch, "")
            if name.startswith(("CJK", "HANGUL", "FULLWIDTH", "IDEOGRAPHIC")):
                chars.add(ord(ch))
    return chars


def face(collection: Path) -> TTFont:
    for font in TTCollection(str(collection)).fonts:
        if font["name"].getDebugName(1) == FACE:
            return font
    raise SystemExit(f"{collection}: no face named {FACE}")


def to_truetype(font: TTFont, max_err: float = 1.0) -> None:
    """Replace CFF outlines with TrueType ones (after fontTools' otf2ttf recipe)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    del font["CFF "]
    for table in ("VORG", "vhea", "vmtx"):
        if table in font:
            del font[table]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():
        if hasattr(glyph, "xMin"):
            hmtx[name] = (hmtx[name][0], glyph.xMin)
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 1 if attr == "maxZones" else 0)
    font["maxp"] = maxp
    post = font["post"]
    post.formatType = 3.0
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def build(collection: Path, style: str, chars: set[int]) -> Path:
    font = subset_font(face(collection), chars)  # no OpenType features: Han and Hangul need no shaping
    to_truetype(font)
    out = ROOT / "leaflet" / "fonts" / f"NotoSansCJKsc-{style}-subset.ttf"
    font.save(str(out))
    return out


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    chars = wanted_characters()
    for path, style in zip(sys.argv[1:], ("Regular", "Bold"), strict=True):
        out = build(Path(path), style, chars)
        print(f"{out.relative_to(ROOT)}: {out.stat().st_size // 1024} KiB, {len(chars)} characters requested")


if __name__ == "__main__":
    main()
