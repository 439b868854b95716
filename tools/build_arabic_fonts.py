"""Make the Arabic fonts that ship in leaflet/fonts/: Noto Sans Arabic plus common punctuation.

Noto Sans Arabic has no ASCII brackets, question mark or percent sign (Noto leaves them to Noto Sans),
but Arabic text puts brackets around words: "(سائل)". HarfBuzz, through ReportLab, shapes a word with
one font, so a word whose bracket came from another font would lose its letters. This script copies
the punctuation Arabic text uses from Noto Sans into Noto Sans Arabic (same design family and units
per em), so every Arabic word is drawn by one font. HarfBuzz mirrors the brackets in right-to-left
text.

    python tools/build_arabic_fonts.py DIR   # DIR holds NotoSans-*.ttf and NotoSansArabic-*.ttf

Needs fontTools. The inputs are the unmodified fonts from Debian's fonts-noto-core.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontparts import ROOT, add_glyphs
from fontTools.ttLib import TTFont

PUNCTUATION = "()[]{}<>?%;\"'/\\*+=#&@_|~^`$«»‘’“”–—…\u00a0"


def build(folder: Path, style: str) -> Path:
    base = folder / f"NotoSansArabic-{style}.ttf"
    have = TTFont(str(base)).getBestCmap()
    wanted = "".join(c for c in PUNCTUATION if ord(c) not in have)
    out = ROOT / "leaflet" / "fonts" / f"NotoSansArabic-{style}-punct.ttf"
    return add_glyphs(base, [(folder / f"NotoSans-{style}.ttf", wanted)], out)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    for style in ("Regular", "Bold"):
        out = build(Path(sys.argv[1]), style)
        cmap = TTFont(str(out)).getBestCmap()
        print(f"{out.relative_to(ROOT)}: {out.stat().st_size // 1024} KiB, "
              f"brackets {'present' if ord('(') in cmap else 'MISSING'}")


if __name__ == "__main__":
    main()
