"""Right-to-left text: the Unicode bidirectional algorithm, line by line, for ReportLab.

ReportLab's own right-to-left support needs a package that is not available, so leaflet does it
itself. A paragraph's text is kept in logical order and broken into lines by the widths of its shaped
words; then each line is put into visual order (Unicode rules L1-L2) and handed to ReportLab as an
ordinary left-to-right line of words, right-aligned. HarfBuzz (through ReportLab) shapes each word,
so Arabic letters join and come out right to left within the word, while the order of the words
and of embedded numbers and Latin text comes from here.

Embedding levels come from python-bidi's implementation of the algorithm (rules P, X, W, N1-N2, I),
with rule N0 (paired brackets), which python-bidi does not implement, added here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import uharfbuzz
from bidi import algorithm as _uba
from bidi.mirror import MIRRORED
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import shapeStr

from . import caches
from .fonts import prepare_font
from .rlbridge import is_shaped, shape_data
from .xmltext import escape

#: Unicode's paired brackets (BidiBrackets.txt, Unicode 15): opening -> closing.
BRACKETS = {
    0x0028: 0x0029, 0x005B: 0x005D, 0x007B: 0x007D, 0x0F3A: 0x0F3B, 0x0F3C: 0x0F3D, 0x169B: 0x169C,
    0x2045: 0x2046, 0x207D: 0x207E, 0x208D: 0x208E, 0x2308: 0x2309, 0x230A: 0x230B, 0x2329: 0x232A,
    0x2768: 0x2769, 0x276A: 0x276B, 0x276C: 0x276D, 0x276E: 0x276F, 0x2770: 0x2771, 0x2772: 0x2773,
    0x2774: 0x2775, 0x27C5: 0x27C6, 0x27E6: 0x27E7, 0x27E8: 0x27E9, 0x27EA: 0x27EB, 0x27EC: 0x27ED,
    0x27EE: 0x27EF, 0x2983: 0x2984, 0x2985: 0x2986, 0x2987: 0x2988, 0x2989: 0x298A, 0x298B: 0x298C,
    0x298D: 0x2990, 0x298F: 0x298E, 0x2991: 0x2992, 0x2993: 0x2994, 0x2995: 0x2996, 0x2997: 0x2998,
    0x29D8: 0x29D9, 0x29DA: 0x29DB, 0x29FC: 0x29FD, 0x2E22: 0x2E23, 0x2E24: 0x2E25, 0x2E26: 0x2E27,
    0x2E28: 0x2E29, 0x2E55: 0x2E56, 0x2E57: 0x2E58, 0x2E59: 0x2E5A, 0x2E5B: 0x2E5C, 0x3008: 0x3009,
    0x300A: 0x300B, 0x300C: 0x300D, 0x300E: 0x300F, 0x3010: 0x3011, 0x3014: 0x3015, 0x3016: 0x3017,
    0x3018: 0x3019, 0x301A: 0x301B, 0xFE59: 0xFE5A, 0xFE5B: 0xFE5C, 0xFE5D: 0xFE5E, 0xFF08: 0xFF09,
    0xFF3B: 0xFF3D, 0xFF5B: 0xFF5D, 0xFF5F: 0xFF60, 0xFF62: 0xFF63,
}
_CLOSING = {close: opening for opening, close in BRACKETS.items()}
_CANONICAL = {0x2329: 0x3008, 0x232A: 0x3009}  # canonically equivalent brackets match each other
_STRONG = {"L": "L", "R": "R", "AL": "R", "EN": "R", "AN": "R"}  # N0 treats numbers as R


# --- levels --------------------------------------------------------------------------------------

def levels(text: str, base: int = 1) -> tuple[int, ...]:
    """Resolved embedding level of every character of a paragraph (rules P to I; no line rules)."""
    if not text:
        return ()
    st = _uba.get_empty_storage()
    st["base_level"] = base
    st["base_dir"] = ("L", "R")[base % 2]
    _uba.get_embedding_levels(text, st)
    for index, ch in enumerate(st["chars"]):
        ch["i"] = index
    _uba.explicit_embed_and_overrides(st)  # drops formatting characters (X9): keep their indices
    _uba.resolve_weak_types(st)
    _resolve_brackets(st)
    _uba.resolve_neutral_types(st, False)
    _uba.resolve_implicit_levels(st, False)
    out = [None] * len(text)
    for ch in st["chars"]:
        out[ch["i"]] = ch["level"]
    previous = base
    for index, value in enumerate(out):  # a removed character takes the level before it
        out[index] = previous = value if value is not None else previous
    return tuple(out)


def _resolve_brackets(st: dict) -> None:
    """Rule N0: a pair of brackets takes the direction of the strong text inside it (or around it)."""
    chars = st["chars"]
    for run in st["runs"]:
        start, end = run["start"], run["start"] + run["length"]
        embedding = "R" if chars[start]["level"] % 2 else "L"
        opposite = "L" if embedding == "R" else "R"
        pairs, stack = [], []
        for i in range(start, end):  # BD16: find the bracket pairs of this run
            ch = chars[i]
            if ch["type"] != "ON":
                continue
            code = _CANONICAL.get(ord(ch["ch"]), ord(ch["ch"]))
            if code in BRACKETS or ord(ch["ch"]) in BRACKETS:
                if len(stack) == 63:
                    break
                stack.append((_CANONICAL.get(BRACKETS.get(ord(ch["ch"]), 0), BRACKETS.get(ord(ch["ch"]), 0)), i))
            elif code in _CLOSING or ord(ch["ch"]) in _CLOSING:
                for depth in range(len(stack) - 1, -1, -1):
                    if stack[depth][0] == code:
                        pairs.append((stack[depth][1], i))
                        del stack[depth:]
                        break
        for opening, closing in sorted(pairs):
            inside = {_STRONG.get(chars[k]["type"]) for k in range(opening + 1, closing)} - {None}
            if embedding in inside:
                new = embedding
            elif opposite in inside:
                before = next((_STRONG[chars[k]["type"]] for k in range(opening - 1, start - 1, -1)
                               if chars[k]["type"] in _STRONG), run["sor"])
                new = opposite if before == opposite else embedding
            else:
                continue
            for k in (opening, closing):
                chars[k]["type"] = new
                j = k + 1  # non-spacing marks after a bracket follow it
                while j < end and chars[j]["orig"] == "NSM":
                    chars[j]["type"] = new
                    j += 1


def visual_order(line_levels: list[int], base: int = 1) -> list[int]:
    """Rule L2: the logical indices of a line's characters in visual (left-to-right) order."""
    order = list(range(len(line_levels)))
    if not line_levels:
        return order
    highest = max(line_levels)
    lowest_odd = min(level for level in line_levels if level % 2) if any(v % 2 for v in line_levels) else highest + 1
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if line_levels[order[i]] >= level:
                j = i
                while j < len(order) and line_levels[order[j]] >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return order


def line_levels(text: str, levels_: tuple[int, ...], base: int = 1) -> list[int]:
    """Rule L1: trailing whitespace (and whitespace before a segment separator) goes to the base level."""
    out = list(levels_)
    i = len(text) - 1
    while i >= 0 and (text[i].isspace() or _uba.bidirectional(text[i]) in ("WS", "BN", "FSI", "LRI", "RLI", "PDI")):
        out[i] = base
        i -= 1
    for k, ch in enumerate(text):
        if _uba.bidirectional(ch) in ("S", "B"):
            out[k] = base
            j = k - 1
            while j >= 0 and _uba.bidirectional(text[j]) in ("WS", "BN"):
                out[j] = base
                j -= 1
    return out


# --- lines for ReportLab -------------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """Text in one font (the font name already carries bold or italic)."""

    text: str
    font: str


def one_font_per_word(runs: list[Run]) -> list[Run]:
    """Give every character of a word the font of the word's first letter, where that font has it.

    A word's fonts are shaped apart (leaflet.fasttext), so a word that changes fonts does not join
    across the change: "**word**." keeps its full stop in the word's own font.
    """
    text = "".join(r.text for r in runs)
    fonts = [r.font for r in runs for _ in r.text]
    for m in re.finditer(r"\S+", text):
        a, b = m.span()
        if len(set(fonts[a:b])) < 2:
            continue
        lead = next((fonts[i] for i in range(a, b) if text[i].isalpha()), fonts[a])
        face = pdfmetrics.getFont(lead).face.charToGlyph
        for i in range(a, b):
            if ord(text[i]) in face:
                fonts[i] = lead
    out: list[Run] = []
    for ch, font in zip(text, fonts, strict=True):
        if out and out[-1].font == font:
            out[-1] = Run(out[-1].text + ch, font)
        else:
            out.append(Run(ch, font))
    return out


@dataclass(frozen=True)
class Line:
    """A one-line right-to-left text (a footer part) whose placeholders are filled in before layout."""

    runs: tuple[Run, ...]
    size: float
    font: str

    def markup(self, replace: dict[str, str], memo: bool = False) -> str:
        """The line with its placeholders filled in, as markup; ``memo`` only for content and
        template words (not a pharmacy's details)."""
        runs = []
        for r in self.runs:
            text = r.text
            for key, value in replace.items():
                text = text.replace(key, value)
            runs.append(Run(text, r.font))
        return "<br/>".join(layout(tuple(runs), 1e6, self.size, self.font, auto=True, memo=memo))


#: Widths of words of content and template words (a leaflet repeats its words): (word, font, size).
_WORD_WIDTHS = caches.Memo("rtl.word-widths", 8192)


def word_width(text: str, font: str, size: float, memo: dict | caches.Memo | None = None) -> float:
    """Width of a word as ReportLab will draw it: shaped when the font is shaped. ``memo`` keeps
    widths: the process's (only for content and template words) or one build's."""
    key = (text, font, size)
    if memo is not None:
        width = memo.get(key)
        if width is not None:
            return width
    f = pdfmetrics.getFont(font)
    width = None
    if getattr(f, "shapable", False):  # a TrueType font (the standard 14 are never shaped)
        prepare_font(font)
        shaped = shapeStr(text, font, size)
        if is_shaped(shaped):  # unchanged by shaping: a plain string
            width = sum(g.x_advance for g in shape_data(shaped)) * size / 1000
    if width is None:
        width = pdfmetrics.stringWidth(text, font, size)
    if isinstance(memo, caches.Memo):
        memo.put(key, width)
    elif memo is not None:
        memo[key] = width
    return width


def cell_level(text: str) -> int:
    """A table cell's direction in a right-to-left leaflet: 1 (right to left) if any of its letters is
    right-to-left, else 0. Not its first letter: a dose cell that starts with a Latin unit ("2.5 mL
    حتى 3 مرات في 24 ساعة") is Arabic, and read left to right it puts the dose in the wrong place. A
    cell of Latin strengths ("2 mg, 5 mg") reads left to right. The PDF and the HTML leaflet agree."""
    return int(any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text))


def base_level(runs: tuple[Run, ...]) -> int:
    """Rules P2-P3: 1 if the first strong character is right-to-left, else 0 (for "auto" direction)."""
    return _uba.get_base_level("".join(r.text for r in runs))


def layout(runs: tuple[Run, ...], width: float, size: float, space_font: str, base: int = 1,
           auto: bool = False, memo: bool = False) -> list[str]:
    """Break a paragraph into lines no wider than ``width``; return each line as ReportLab paragraph
    markup in visual order (to be set one line each, right-aligned when ``base`` is 1). With ``auto``,
    each hard line (between line breaks) takes its direction from its own first strong letter.
    ``memo``: the words' widths may be kept for the process (content and template words only; what
    people type is measured for this call only)."""
    widths = _WORD_WIDTHS if memo else {}
    text = "".join(r.text for r in runs)
    fonts: list[str] = []
    for r in runs:
        fonts.extend([r.font] * len(r.text))
    out: list[str] = []
    for start, end in _hard_lines(text):
        own = _uba.get_base_level(text[start:end]) if auto and text[start:end].strip() else base
        out.extend(_layout_lines(text, fonts, start, end, width, size, space_font, own, widths))
    return out


#: What a line never breaks inside: a run of characters that are not spaces, or no-break spaces ("5 mL",
#: a date in the prescription panel: leaflet.inline.bind_numbers, leaflet.i18n.long_date).
_WORD = re.compile(r"(?:[^\s]|\u00a0)+")


def longest_word(runs: tuple[Run, ...], size: float, memo: bool = False) -> float:
    """The width of the widest word :func:`layout` would set (a line is never narrower)."""
    widths = _WORD_WIDTHS if memo else {}
    text = "".join(r.text for r in runs)
    fonts = [r.font for r in runs for _ in r.text]
    return max((sum(word_width(text[s:e], fonts[s], size, widths) for s, e in _font_spans(fonts, *m.span()))
                for m in _WORD.finditer(text)), default=0.0)


def _hard_lines(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for i, ch in enumerate(text):
        if ch == "\n":
            spans.append((start, i))
            start = i + 1
    spans.append((start, len(text)))
    return spans


def _layout_lines(text: str, fonts: list[str], start: int, end: int, width: float, size: float,
                  space_font: str, base: int, widths) -> list[str]:
    own = levels(text[start:end], base)  # a hard line break ends a bidi paragraph (rule P1)
    paragraph_levels = (0,) * start + own + (0,) * (len(text) - end)
    words = [(m.start(), m.end()) for m in _WORD.finditer(text[start:end])]
    words = [(a + start, b + start) for a, b in words]
    space = pdfmetrics.stringWidth(" ", space_font, size)
    lines: list[list[tuple[int, int]]] = [[]]
    used = 0.0
    for a, b in words:
        w = sum(word_width(text[s:e], fonts[s], size, widths) for s, e in _font_spans(fonts, a, b))
        need = w + (space if lines[-1] else 0)
        if lines[-1] and used + need > width - 0.5:
            lines.append([])
            used, need = 0.0, w
        lines[-1].append((a, b))
        used += need
    if not words:
        return [""]  # an empty line between two line breaks is kept
    return [_visual_line(text, fonts, paragraph_levels, line, base) for line in lines if line]


def _font_spans(fonts: list[str], a: int, b: int) -> list[tuple[int, int]]:
    spans, s = [], a
    for i in range(a + 1, b):
        if fonts[i] != fonts[i - 1]:
            spans.append((s, i))
            s = i
    spans.append((s, b))
    return spans


def _visual_line(text: str, fonts: list[str], paragraph_levels: tuple[int, ...],
                 words: list[tuple[int, int]], base: int) -> str:
    """One line, words in logical order, as markup in visual order."""
    # the line's text: its words joined by single spaces (logical), with a map back to the paragraph
    index: list[int] = []  # paragraph index of each character of the line; a gap is one space
    gaps: dict[int, int] = {}  # line position of a gap -> the paragraph index of the space it stands for
    for n, (a, b) in enumerate(words):
        if n:
            gaps[len(index)] = words[n - 1][1]
            index.append(-1)
        index.extend(range(a, b))
    line_text = "".join(" " if i < 0 else text[i] for i in index)
    # every character keeps the level the algorithm resolved for it; a gap, that of the space it replaces
    lv = [paragraph_levels[gaps[k]] if i < 0 else paragraph_levels[i] for k, i in enumerate(index)]
    lv = line_levels(line_text, tuple(lv), base)
    order = visual_order(lv, base)
    # group visually adjacent characters of the same level and font into pieces
    pieces: list[tuple[str, str, bool]] = []  # (text in logical order, font, right-to-left)
    k = 0
    while k < len(order):
        level = lv[order[k]]
        rtl = level % 2 == 1
        font = fonts[index[order[k]]] if index[order[k]] >= 0 else None
        group = [order[k]]
        k += 1
        while k < len(order) and lv[order[k]] == level:
            nxt = order[k]
            f = fonts[index[nxt]] if index[nxt] >= 0 else None
            if f is not None and font is not None and f != font:
                break
            font = font or f
            group.append(nxt)
            k += 1
        logical = sorted(group)
        pieces.append(("".join(line_text[g] for g in logical), font or fonts[words[0][0]], rtl))
    # each piece is shaped on its own (leaflet.fasttext): a number glued to an Arabic word is its own run
    return "".join(_markup(piece, font, rtl) for piece, font, rtl in pieces)


def _markup(piece: str, font: str, rtl: bool) -> str:
    """A piece in logical order -> markup whose words ReportLab sets left to right.

    In a right-to-left piece the words are reversed here and each word's letters by HarfBuzz (which
    sees the Arabic script); a word of neutral characters only (brackets, punctuation) is reversed
    and mirrored here, since HarfBuzz would set it left to right.
    """
    tokens = re.split(r"( +)", piece)
    if rtl:
        tokens = [t if t.strip() == "" else _rtl_word(t) for t in reversed(tokens)]
    elif _ARABIC_SCRIPT.search(piece):
        # Arabic-Indic digits (and other Arabic-block characters) in a left-to-right piece: HarfBuzz takes
        # them for Arabic script and sets them right to left. Each run of them is its own fragment (so
        # its own HarfBuzz run, leaflet.fasttext), put in reverse here when HarfBuzz will reverse it;
        # the rest of the word ("mg" in "١٠mg") is set as written.
        chunks = [c for c in _ARABIC_RUNS.split(piece) if c]
        return "".join(f'<font face="{font}">{escape(c[::-1] if _set_right_to_left(c) else c)}</font>'
                       if c.strip() else escape(c) for c in chunks)
    # one font element for the whole piece: fewer fragments for ReportLab to set and write
    return f'<font face="{font}">{escape("".join(tokens))}</font>' if piece.strip() else escape(piece)


#: Characters HarfBuzz assigns to the Arabic script (in a left-to-right piece: digits and separators).
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
#: A left-to-right piece cut into runs of those characters, runs of others, and spaces.
_ARABIC_RUNS = re.compile("( +|[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]+)")


def _set_right_to_left(word: str) -> bool:
    """Whether HarfBuzz sets ``word`` right to left, as ReportLab shapes it (its script guessed from its
    first letter of a script: the Arabic comma "،" has none, so "،1.0" is set left to right). Not
    cached: the word may be a patient's (caches hold no one's text), and it is asked only of the rare
    left-to-right word with an Arabic-block character (Arabic-Indic digits, an Arabic comma)."""
    buffer = uharfbuzz.Buffer()
    buffer.add_str(word)
    buffer.guess_segment_properties()
    return buffer.direction == "rtl"


def _rtl_word(word: str) -> str:
    if any(_uba.bidirectional(ch) in ("R", "AL") for ch in word):
        return word  # HarfBuzz shapes it right to left, mirroring brackets
    return "".join(MIRRORED.get(ch, ch) for ch in reversed(word))
