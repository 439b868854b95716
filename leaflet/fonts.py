"""Fonts: the shipped families, registering them with ReportLab, and glyph coverage.

Every font is a TrueType file that ReportLab embeds as a subset, so a PDF never depends on the
reader's fonts. Families are registered once per process. A character that the chosen font cannot
draw is an error that names the character and the font, never a blank box in print.
"""

from __future__ import annotations

import hashlib
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError

from . import caches, diskcache, rlbridge
from .errors import GlyphError, Location, TemplateError
from .files import read_limited
from .resources import FONTS_DIR

FACES = ("regular", "bold", "italic", "bold_italic")

#: Families that ship with leaflet (see leaflet/fonts/README.md for sources and licences).
SHIPPED: dict[str, dict[str, str]] = {
    "Noto Sans": {  # Latin (with Vietnamese), Greek, Cyrillic
        "regular": "NotoSans-Regular.ttf",
        "bold": "NotoSans-Bold.ttf",
        "italic": "NotoSans-Italic.ttf",
        "bold_italic": "NotoSans-BoldItalic.ttf",
    },
    "Noto Sans Devanagari": {"regular": "NotoSansDevanagari-Regular.ttf", "bold": "NotoSansDevanagari-Bold.ttf"},
    "Noto Sans Arabic": {  # with brackets and other punctuation from Noto Sans: tools/build_arabic_fonts.py
        "regular": "NotoSansArabic-Regular-punct.ttf",
        "bold": "NotoSansArabic-Bold-punct.ttf",
    },
    "Noto Sans CJK SC": {  # Han (GB 2312) and Hangul (KS X 1001), converted by tools/build_cjk_fonts.py
        "regular": "NotoSansCJKsc-Regular-subset.ttf",
        "bold": "NotoSansCJKsc-Bold-subset.ttf",
    },
}

#: Characters that may stay in the font of the text around them (spaces, digits, common punctuation),
#: so a run of another script does not switch fonts at every space.
NEUTRAL = frozenset(map(ord, " \u00a0.,:;!?()[]-\u2013\u2014/'\"0123456789%+*&"))

#: What ReportLab takes as the space between two words, and draws as U+0020 in the word's font: the
#: ideographic space U+3000 that Chinese input methods type printed a missing-glyph box in the CJK
#: font, which has no U+0020. Each goes to a font that has U+0020.
SPACES = rlbridge.WORD_SPACES

# Characters that never need a glyph: line breaks and formatting controls the layout consumes.
_IGNORED = {"\n", "\r", "\t", "\u00ad", "\u200b", "\u200c", "\u200d", "\ufeff"}
_DROP_IGNORED = dict.fromkeys(map(ord, _IGNORED))


@dataclass(frozen=True, eq=False)  # identity: families are registered once
class Family:
    """A registered font family: ReportLab font names per face, and the characters all faces draw."""

    name: str
    faces: dict[str, str]  # face -> ReportLab font name
    charset: frozenset[int]
    italic: bool = True  # whether it has an italic of its own (without: *emphasis* prints bold, an
    # italic style such as a caption prints upright)

    @property
    def regular(self) -> str:
        return self.faces["regular"]

    @property
    def bold(self) -> str:
        return self.faces["bold"]

    def missing(self, text: str) -> list[str]:
        """Characters of ``text`` that this family cannot draw, in order of first appearance."""
        out: list[str] = []
        for ch in dict.fromkeys(text):
            if ch not in _IGNORED and ord(ch) not in self.charset:
                out.append(ch)
        return out


def family(name: str, files: dict[str, Path] | None = None) -> Family:
    """Register (once) and return a family: a shipped one by name, or one from ``files``."""
    if files is None:
        if name not in SHIPPED:
            raise TemplateError(f"unknown font family '{name}'",
                                hint="shipped families: " + ", ".join(SHIPPED)
                                + "; or give the font files in the theme's 'font_files'")
        files = {face: FONTS_DIR / file for face, file in SHIPPED[name].items()}
    key = tuple(sorted((face, str(path)) for face, path in files.items()))
    registered = _REGISTERED.get((name, key))
    if registered is None:
        with _FONT_LOCK:  # registering with ReportLab is not safe from two threads at once
            registered = _REGISTERED.get((name, key)) or _REGISTERED.put((name, key), _register(name, key))
    return registered


#: Registered families, per name and files (a process has a few).
_REGISTERED = caches.Memo("fonts.families", 256)
_FONT_LOCK = threading.RLock()


def _register(name: str, files: tuple[tuple[str, str], ...]) -> Family:
    paths = dict(files)
    has_italic = "italic" in paths
    if "regular" not in paths:
        raise TemplateError(f"font family '{name}' has no regular face")
    folder = _metrics_folder()  # (looked up once for the family's faces)
    for face in FACES:  # a missing face falls back to the nearest one; a missing italic to the bold, so
        # that emphasis stays visible in a script with no italic (Arabic, Devanagari, Han, Hangul)
        paths.setdefault(face, paths.get("bold" if face in ("italic", "bold_italic") else "regular"))
    faces: dict[str, str] = {}
    charset: frozenset[int] | None = None
    for face in FACES:
        path = Path(paths[face])
        digest = hashlib.sha1(str(path).encode()).hexdigest()[:8]
        font_name = f"{path.stem}-{digest}"
        if font_name not in pdfmetrics.getRegisteredFontNames():
            try:
                # shapable: HarfBuzz may shape it; whether a paragraph is shaped is decided per
                # language (layout.SCRIPT_LAYOUT), so Latin-script leaflets are never shaped
                data = read_limited(path, FONT_FILE_LIMIT, what="font file", error=TemplateError)
                font = rlbridge.load_ttfont(font_name, str(path), data, folder)
                rlbridge.reuse_subsets(font.face, _SUBSETS, _COMPRESSED)
                pdfmetrics.registerFont(font)
            except (TTFError, OSError) as exc:
                raise TemplateError(f"cannot use font file: {exc}", where=Location(str(path)),
                                    hint="use a TrueType (.ttf) font with glyph outlines") from None
        faces[face] = font_name
        cmap = frozenset(pdfmetrics.getFont(font_name).face.charToGlyph)
        charset = cmap if charset is None else charset & cmap
    # ReportLab reads a paragraph's family, bold and italic from its font's name (the reverse of
    # these: the last mapping naming a font wins), so a bold style is (family, bold) and <b> inside it
    # stays bold, <i> inside it is bold italic. No other family may name these fonts: mapping the bold
    # face as a family of its own made the regular face read as that family, and *italic* in ordinary
    # text printed bold italic.
    addMapping(faces["regular"], 0, 0, faces["regular"])
    addMapping(faces["regular"], 1, 0, faces["bold"])
    addMapping(faces["regular"], 0, 1, faces["italic"])
    addMapping(faces["regular"], 1, 1, faces["bold_italic"])
    return Family(name, faces, charset or frozenset(), has_italic)


#: The largest font file read (the shipped CJK faces are 3 MiB).
FONT_FILE_LIMIT = 64 << 20


def _metrics_folder():
    """Where fonts' parsed metrics are kept for the next process (:func:`leaflet.rlbridge.load_ttfont`)."""
    import reportlab

    return diskcache.private_dir("fonts", f"{reportlab.Version}-{diskcache.fingerprint()}")


#: Font subsets made, and compressed, before: (font file, characters) -> bytes. A leaflet built again
#: (another patient, the same medicine and language) embeds the same subsets. Oldest out first. Keys
#: are character codes, never text.
_SUBSETS = caches.Memo("fonts.subsets", 64)
_COMPRESSED = caches.Memo("fonts.compressed-subsets", 64)


class FontChain:
    """A primary family and the fallbacks tried, in order, for characters it cannot draw.

    Fallbacks are loaded the first time a text needs one, so a Latin-script leaflet never reads the
    large CJK font files.
    """

    def __init__(self, primary: Family, fallbacks: tuple[tuple[str, Callable[[], Family]], ...] = ()):
        self.primary = primary
        self._fallbacks = fallbacks  # (name, loader)
        self._loaded: list[Family] = []  # the fallbacks loaded so far, in order

    def _each(self) -> Iterator[Family]:
        """The primary family, then each fallback, loaded only when the one before could not serve."""
        yield self.primary
        for i in range(len(self._fallbacks)):
            if i >= len(self._loaded):
                with _FONT_LOCK:  # chains are shared by builds in other threads
                    while len(self._loaded) <= i:
                        self._loaded.append(self._fallbacks[len(self._loaded)][1]())
            if self._loaded[i] is not self.primary:
                yield self._loaded[i]

    @property
    def name(self) -> str:
        return " + ".join([self.primary.name, *(name for name, _ in self._fallbacks if name != self.primary.name)])

    def covers(self, text: str) -> bool:
        """True if the primary family alone draws all of ``text`` (the common, fast case)."""
        charset = self.primary.charset
        if 0x20 not in charset and not SPACES.isdisjoint(map(ord, text.translate(_DROP_IGNORED))):
            return False  # a space drawn as U+0020, which this family lacks: see runs()
        return charset.issuperset(map(ord, text)) or charset.issuperset(map(ord, text.translate(_DROP_IGNORED)))

    def missing(self, text: str) -> list[str]:
        """Characters that no family in the chain can draw."""
        if self.covers(text):
            return []
        out = self.primary.missing(text)
        fallbacks = islice(self._each(), 1, None)
        # a fallback is loaded only for what the families before it cannot draw
        while out and (fam := next(fallbacks, None)) is not None:
            out = fam.missing("".join(out))
        return out

    def runs(self, text: str) -> list[tuple[Family, str]]:
        """Split ``text`` into runs, each drawn by the first family of the chain that has its glyphs.

        Spaces, digits and common punctuation go with the letters of their own word where that font
        has them, so a word is never split between two fonts (HarfBuzz shapes a word with one font).
        """
        if self.covers(text):  # the common case: one run
            return [(self.primary, text)]
        strong = [None if ord(ch) in NEUTRAL or ord(ch) in SPACES or ch in _IGNORED else
                  next((f for f in self._each() if ord(ch) in f.charset), self.primary) for ch in text]
        chosen: list[Family] = []
        for i, ch in enumerate(text):
            fam = strong[i]
            if fam is None and ch in _IGNORED:  # a line break, a soft hyphen: no glyph, any font
                fam = chosen[-1] if chosen else self.primary
            if fam is None:  # a neutral: the nearest strong neighbour in the same word, if its font has it
                space = ord(ch) in SPACES
                code = 0x20 if space else ord(ch)  # (a space is drawn as U+0020, whichever it is)
                fam = next((strong[j] for j in range(i - 1, -1, -1) if strong[j] is not None or
                            ord(text[j]) in SPACES), None) if not space else None
                if fam is None or code not in fam.charset:
                    fam = next((strong[j] for j in range(i + 1, len(text))
                                if strong[j] is not None or ord(text[j]) in SPACES), None) if not space else None
                if fam is None or code not in fam.charset:
                    fam = chosen[-1] if chosen and code in chosen[-1].charset else \
                        next((f for f in self._each() if code in f.charset), self.primary)
            chosen.append(fam)
        out: list[tuple[Family, list[str]]] = []
        for fam, ch in zip(chosen, text, strict=True):
            if out and out[-1][0] is fam:
                out[-1][1].append(ch)
            else:
                out.append((fam, [ch]))
        return [(fam, "".join(chars)) for fam, chars in out]


def prepare_font(font_name: str) -> None:
    """Give every glyph without a character of its own a private-use code point, in glyph order.

    When HarfBuzz produces such a glyph (a conjunct, a joined letter form), ReportLab numbers it with
    the next free private-use code point, in the order it first meets it in this process; a PDF's
    bytes would then depend on what the process built before. Numbering them all up front, the same
    way every time, keeps every build byte-identical. Called before a font first shapes anything
    (:func:`leaflet.fasttext.shape_frag_word`, :func:`leaflet.rtl.word_width`), so a font that never
    shapes is never numbered.
    """
    if font_name in _PREPARED:
        return
    with _FONT_LOCK:  # numbered once, in one thread: the numbers must not depend on timing
        if font_name not in _PREPARED:
            rlbridge.number_private_glyphs(font_name)
            _PREPARED.add(font_name)


#: Fonts whose glyphs are numbered. Not a cache: the numbers live in ReportLab's font for the process.
_PREPARED: set[str] = set()


def describe(ch: str) -> str:
    """``'\\u2603'`` -> ``"'☃' (U+2603 SNOWMAN)"``."""
    return f"'{ch}' (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')})"


def require_glyphs(text: str, fam: Family | FontChain, where: Location | None = None,
                   what: str = "the text") -> None:
    """Raise :class:`GlyphError` if ``fam`` (a family or a chain) cannot draw every character of ``text``."""
    missing = fam.missing(text)
    if missing:
        shown = ", ".join(describe(ch) for ch in missing[:5])
        raise GlyphError(
            f"the font '{fam.name}' cannot draw {shown}, found in {what}",
            where=where,
            hint="replace the character, or use a template whose fonts cover it "
            "(the shipped fonts cover Latin, Greek, Cyrillic, Arabic, Devanagari, and the common Han and "
            "Hangul characters)",
        )
