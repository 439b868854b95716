"""Make the Noto Sans fonts that ship in leaflet/fonts/: Noto Sans plus the punctuation of other scripts.

A word such as "mL،" (a Latin unit and an Arabic comma) or "mg।" (and a Devanagari full stop) must be
drawn by one font: ReportLab has HarfBuzz shape a word with one font, and a character that font lacks
prints as an empty box. This script copies the Arabic comma, semicolon, question mark, percent and
decimal signs and the Arabic-Indic digits from Noto Sans Arabic, and the danda, double danda and
Devanagari digits from Noto Sans Devanagari, into each Noto Sans face (same design family, same units
per em). Existing glyphs keep their numbers, so Latin text is unchanged.

    python tools/build_latin_fonts.py DIR   # DIR holds the unmodified NotoSans-*.ttf,
                                            # NotoSansArabic-*.ttf and NotoSansDevanagari-*.ttf

Needs fontTools (pip install -e '.[tools]'). The inputs are Debian's fonts-noto-core 20201225-1.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontparts import ROOT, add_glyphs
from fontTools.ttLib import TTFont

ARABIC = "\u060c\u061b\u061f\u066a\u066b\u066c" + "".join(map(chr, range(0x0660, 0x066A))) + \
    "".join(map(chr, range(0x06F0, 0x06FA)))
DEVANAGARI = "\u0964\u0965" + "".join(map(chr, range(0x0966, 0x0970)))


def build(folder: Path, face: str) -> Path:
    weight = "Bold" if "Bold" in face else "Regular"
    out = ROOT / "leaflet" / "fonts" / f"NotoSans-{face}.ttf"
    return add_glyphs(folder / f"NotoSans-{face}.ttf", [(folder / f"NotoSansArabic-{weight}.ttf", ARABIC),
                                                         (folder / f"NotoSansDevanagari-{weight}.ttf", DEVANAGARI)],
                      out)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    for face in ("Regular", "Bold", "Italic", "BoldItalic"):
        out = build(Path(sys.argv[1]), face)
        cmap = TTFont(str(out)).getBestCmap()
        missing = [c for c in ARABIC + DEVANAGARI if ord(c) not in cmap]
        print(f"{out.relative_to(ROOT)}: {out.stat().st_size // 1024} KiB, missing: {missing or 'none'}")


if __name__ == "__main__":
    main()
