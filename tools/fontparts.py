"""What the font scripts in tools/ share: subsetting and merging with fontTools."""

from __future__ import annotations

from pathlib import Path

from fontTools import subset
from fontTools.merge import Merger
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
HINTING = ("hdmx", "LTSH", "VDMX", "fpgm", "prep", "cvt ", "gasp")  # does not survive a merge
LAYOUT = ("GSUB", "GPOS", "GDEF", "kern")


def subset_font(font: TTFont, unicodes: set[int]) -> TTFont:
    """Keep only ``unicodes`` (no OpenType features, no hinting), in place."""
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.hinting = False
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    return font


def drop(font: TTFont, tables: tuple[str, ...]) -> TTFont:
    for table in tables:
        if table in font:
            del font[table]
    return font


def add_glyphs(base: Path, donors: list[tuple[Path, str]], out: Path) -> Path:
    """``base`` with the glyphs of ``chars`` copied in from each donor font (same units per em)."""
    BUILD.mkdir(exist_ok=True)
    parts = [BUILD / out.with_suffix(".base.ttf").name]
    drop(TTFont(str(base)), HINTING).save(str(parts[0]))
    for n, (donor, chars) in enumerate(donors):
        part = BUILD / out.with_suffix(f".part{n}.ttf").name
        drop(subset_font(TTFont(str(donor)), {ord(c) for c in chars}), LAYOUT + HINTING).save(str(part))
        parts.append(part)
    Merger().merge([str(p) for p in parts]).save(str(out))
    return out
