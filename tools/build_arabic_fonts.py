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

from fontTools import subset
from fontTools.merge import Merger
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
PUNCTUATION = "()[]{}<>?%;\"'/\\*+=#&@_|~^`$«»‘’“”–—…\u00a0"


def build(folder: Path, style: str) -> Path:
    arabic_path = folder / f"NotoSansArabic-{style}.ttf"
    latin = TTFont(str(folder / f"NotoSans-{style}.ttf"))
    have = TTFont(str(arabic_path)).getBestCmap()
    wanted = {ord(ch) for ch in PUNCTUATION} - set(have)
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = []
    options.hinting = False
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(latin)
    for table in ("GSUB", "GPOS", "GDEF", "kern", "hdmx", "LTSH", "VDMX", "fpgm", "prep", "cvt ", "gasp"):
        if table in latin:
            del latin[table]
    part = ROOT / "build" / f"latin-punct-{style}.ttf"
    part.parent.mkdir(exist_ok=True)
    latin.save(str(part))
    base = TTFont(str(arabic_path))
    for table in ("hdmx", "LTSH", "VDMX", "fpgm", "prep", "cvt ", "gasp"):
        if table in base:
            del base[table]
    stripped = ROOT / "build" / f"arabic-{style}.ttf"
    base.save(str(stripped))
    merged = Merger().merge([str(stripped), str(part)])
    out = ROOT / "leaflet" / "fonts" / f"NotoSansArabic-{style}-punct.ttf"
    merged.save(str(out))
    return out


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
