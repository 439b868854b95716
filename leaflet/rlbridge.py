"""The one place leaflet touches ReportLab's internals.

Everything leaflet does with ReportLab beyond its documented API is here: the changes to ReportLab's
paragraph module (shaping words through :func:`leaflet.fasttext.shape_frag_word`, kinsoku for Chinese
punctuation, where long words and Han lines break: see :func:`install`), the paragraph that reuses its line breaks, the text
object that writes shaped text in one pass, the canvas that keeps its pages until "Page N of M" is
known, and the font-subset reuse. Nothing here happens on ``import leaflet``: :func:`install` applies
the two module changes when leaflet first renders, and checks first that this ReportLab has every
internal leaflet uses. A ReportLab without one fails with :class:`ReportLabChanged`, naming the
version, rather than laying out differently.

Reused paragraph layouts: a :class:`LeafletParagraph` made with ``memo=True`` (content and template
words, never what people type) takes its parsed text and its line breaks per width from
:mod:`leaflet.caches`. What is stored there is never given to ReportLab to change: a paragraph reads
the stored lines when it is wrapped and drawn, and takes its own copy before ReportLab splits it
(splitting changes the words it splits). So any number of builds can use them at once.
"""

from __future__ import annotations

import calendar
import contextlib
import copy
import fnmatch
import hashlib
import marshal
import operator
import os
import re
import stat
import threading
import time
import unicodedata
import weakref
from collections.abc import Callable

import reportlab
from reportlab import rl_config
from reportlab.lib import textsplit as _rl_textsplit
from reportlab.lib.abag import ABag
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfdoc, pdfmetrics, ttfonts
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject
from reportlab.platypus import Flowable, Paragraph
from reportlab.platypus import paragraph as _rl_paragraph

from . import caches

#: ReportLab versions (major, minor) the tests pass on (pyproject.toml pins the same).
TESTED = ((5, 1),)


class ReportLabChanged(RuntimeError):
    """This ReportLab lacks an internal leaflet relies on (leaflet would lay out differently)."""


def _changed(what: str) -> ReportLabChanged:
    tested = ", ".join(f"{a}.{b}" for a, b in TESTED)
    return ReportLabChanged(f"ReportLab {reportlab.Version} {what}; leaflet is tested with ReportLab {tested}: "
                            "install that version (pip install -e .)")


#: ReportLab internals leaflet uses: (object, attribute).
_REQUIRED = (
    (_rl_paragraph, "shapeFragWord"), (_rl_paragraph, "ALL_CANNOT_START"), (_rl_paragraph, "category"), (_rl_textsplit, "ALL_CANNOT_START"),
    (ttfonts, "shapeFragWord"),
    (ttfonts, "ShapedStr"), (Paragraph, "_setup"), (Paragraph, "breakLines"), (Paragraph, "breakLinesCJK"),
    (PDFTextObject, "_formatText"), (PDFTextObject, "setRise"), (Canvas, "_startPage"), (Canvas, "_escape"),
    (ttfonts.TTFont, "_TTFont__addPrivate"), (ttfonts.TTFont, "hbFace"), (ttfonts.TTFont, "hbFont"),
    (ttfonts.TTFontFace, "makeSubset"), (ttfonts.TTFontFace, "addSubsetObjects"), (pdfdoc, "PDFZCompress"),
    (pdfdoc, "PDFBase85Encode"), (pdfdoc, "PDFStream"), (pdfdoc.PDFPage, "check_format"),
    (pdfdoc.PDFDocument, "__init__"), (_rl_paragraph, "_splitWord"), (_rl_paragraph, "_splitFragWord"),
    (_rl_paragraph, "_fragWordIter"), (_rl_paragraph, "_split_blParaHard"), (_rl_paragraph, "_wsc"),
    (_rl_paragraph, "cjkFragSplit"), (_rl_paragraph, "wordSplit"), (_rl_textsplit, "category"),
    (_rl_textsplit, "CANNOT_END_LINE"), (_rl_paragraph, "_justifyDrawParaLineX"), (_rl_paragraph, "_leftDrawParaLineX"),
)

_installed = False
_install_lock = threading.Lock()
_NO_LINE_START = "，；：？！）］｝〉》」』】〕〗〙〛”’・·"


def install() -> None:
    """Check this ReportLab and make leaflet's two changes to its paragraph module (once; idempotent).

    - Words are shaped through :func:`leaflet.fasttext.shape_frag_word` (ReportLab's, plus what each
      glyph stands for, for /ActualText).
    - Chinese full-width punctuation may not start a line (kinsoku), as Japanese punctuation already
      may not.
    - A word too long for a line (a web address) breaks after a slash, else after other punctuation
      of an address, and only then between letters (:func:`word_breaks`).
    - Han line breaking never breaks Latin text at a no-break space ("24 hours" stays together), nor
      anywhere inside what no-break spaces join ("每 8 小时", "15 kg" in a narrow table cell).
    - A paragraph split across pages joins its lines again without a space after a word in a font
      that has none (the CJK font: it printed a missing-glyph box at the line's end).
    """
    global _installed
    if _installed:
        return
    with _install_lock:
        if _installed:
            return
        check()
        from .fasttext import shape_frag_word

        _rl_paragraph.shapeFragWord = shape_frag_word  # the paragraph module shapes words through this name
        _rl_paragraph.ALL_CANNOT_START = _rl_paragraph.ALL_CANNOT_START + "".join(
            ch for ch in _NO_LINE_START if ch not in _rl_paragraph.ALL_CANNOT_START)
        # a paragraph of one run breaks its lines in textsplit.wordSplit, which reads its own list
        _rl_textsplit.ALL_CANNOT_START = _rl_paragraph.ALL_CANNOT_START
        # Han line breaking looks back for a space ("Zs") to break Latin words at: never a no-break one
        _rl_paragraph.category = _category
        _rl_textsplit.category = _category  # (the same look back, in a paragraph of one run)
        _rl_paragraph._splitWord = _split_word(_rl_paragraph._splitWord)
        _rl_paragraph._splitFragWord = _split_frag_word(_rl_paragraph._splitFragWord)
        _rl_paragraph._split_blParaHard = _split_lines_joined
        _rl_paragraph.cjkFragSplit = _cjk_keeping_groups(_rl_paragraph.cjkFragSplit)
        _rl_paragraph.wordSplit = _one_run_keeping_groups(_rl_paragraph.wordSplit)
        _rl_paragraph._justifyDrawParaLineX = _justified_unless_hanging(_rl_paragraph._justifyDrawParaLineX)
        _installed = True


def _split_lines_joined(blPara, start, stop):
    """ReportLab's ``_split_blParaHard`` (the words of lines ``start`` to ``stop`` of a paragraph in
    several styles, for the part of a split paragraph), but a line's last word gets the space that
    joins it to the next line only in a font that has a space: Han text joins without one, and the
    CJK font has no U+0020 (ReportLab drew it as a missing-glyph box at the end of the line)."""
    words: list = []
    lines = blPara.lines[start:stop]
    for line in lines:
        words.extend(line.words)
        if line is lines[-1]:
            continue
        i = len(words) - 1
        while i >= 0 and hasattr(words[i], "cbDefn") and not getattr(words[i].cbDefn, "width", 0):
            i -= 1
        if i >= 0:
            word = words[i]
            if not _has_space(getattr(word, "fontName", None)):
                continue
            if not word.text:
                word.text = " "
            elif word.text[-1] != " ":
                word.text += " "
    return words


def _has_space(font_name: str | None) -> bool:
    try:
        font = pdfmetrics.getFont(font_name) if font_name else None
    except (KeyError, AttributeError):
        return True
    face = getattr(font, "face", None)
    return face is None or 0x20 in getattr(face, "charToGlyph", {0x20: 0})


#: What ReportLab's paragraphs take as the space between two words (and draw as U+0020 in the word's
#: font): its paragraph module's own list.
WORD_SPACES = frozenset(map(ord, getattr(_rl_paragraph, "_wsc", " ")))


#: Spaces that join (a number and its unit, a date): not where a line may break.
_NO_BREAK_SPACES = frozenset("\u00a0\u2007\u202f")


def _category(ch: str) -> str:
    """``unicodedata.category``, but a no-break space is not a space to break at ("Zs")."""
    return "Cf" if ch in _NO_BREAK_SPACES else unicodedata.category(ch)



# --- Han line breaking and no-break spaces ------------------------------------------------------------
# ReportLab's Han line breaking (cjkFragSplit, and textsplit.dumbSplit for a paragraph of one run) may
# break between any two characters. Inside Latin text it looks back for a space, but only half a line
# back, and before a Han character it never looks: so a narrow cell printed "10 至 15" / "kg" and a line
# could end "每 8" with "小时" starting the next. Where a break cuts what no-break spaces join (leaflet's
# numbers and their units, dates), the line is laid out again ending before the joined words.


def _joined_cut(before: str, after: str) -> tuple[int, int] | None:
    """Where the break between ``before`` (a line) and ``after`` (the rest of the paragraph) cuts
    what no-break spaces join: how many characters of it end the line and how many start the next;
    None if the break cuts nothing so joined, or if the line holds nothing else (it cannot move)."""
    tail = _run_length(reversed(before))
    head = _run_length(after)
    if not tail:
        return None
    if head:  # the break is inside a run of Latin text: cut if a no-break space is in it, or if it
        # is inside a number ("240" / "0微克": the run's Latin letters and digits may end a line unjoined)
        joined = any(ch in _NO_BREAK_SPACES for ch in before[len(before) - tail:] + after[:head]) or (
            "0" <= before[-1] <= "9" and "0" <= after[0] <= "9")
    else:  # the next line starts with a space or a Han character: cut after a no-break space, or
        # between a number and the Han character after it ("800" / "微克", "3" / "天": a number and its unit)
        joined = (before[-1] in _NO_BREAK_SPACES or "0" <= before[-1] <= "9") and bool(after) \
            and not after[0].isspace()
    return (tail, head) if joined and before[:len(before) - tail].strip() else None


#: What may not end a line in Chinese and Japanese (kinsoku): opening brackets and quotes (ReportLab's
#: own list; it does not apply it).
_OPENING = frozenset(getattr(_rl_textsplit, "CANNOT_END_LINE", ["\uff08"])[0])


def _opening_tail(line: str) -> int:
    """How many opening brackets and quotes end ``line`` (spaces after them aside), if it holds
    something else too; else 0."""
    text = line.rstrip()
    n = len(text) - len(text.rstrip("".join(_OPENING)))
    return n if n and text[:-n].strip() else 0


def _run_length(chars) -> int:
    """How many of ``chars`` (from the start) are Latin text or no-break spaces: not a space at which a
    line may break, not Han (at or after U+3000)."""
    n = 0
    for ch in chars:
        if ch not in _NO_BREAK_SPACES and (ch.isspace() or ord(ch) >= 0x3000):
            break
        n += 1
    return n


def _width_at(widths: list, line: int) -> float:
    """The width ReportLab gives line ``line`` (0-based): lines past the list's end take its last."""
    return widths[min(line, len(widths) - 1)]


def _from_line(widths: list, line: int, first: float | None) -> list:
    """The widths of lines ``line`` onwards, the first of them ``first`` when given."""
    return [_width_at(widths, line) if first is None else first, *(widths[line + 1:] or widths[-1:])]


#: After a cut, the rest of a paragraph is set a window of about this many lines at a time, so the
#: work grows with the paragraph's length, not with its length times its cuts.
_WINDOW_LINES = 3


def _cjk_keeping_groups(original: Callable) -> Callable:
    """ReportLab's Han line breaking of a paragraph of several runs, never inside what no-break
    spaces join (see above). From the first line that cuts them, the rest is set again a few lines at
    a time, each such line with a width that ends it before what it cut, keeping its real width (for
    its alignment). A paragraph with no such cut (nearly all) is ReportLab's, laid out once."""
    def split(frags, maxWidths, calcBounds, encoding="utf8"):  # noqa: N803
        widths = list(maxWidths) if isinstance(maxWidths, (list, tuple)) else [maxWidths]
        result = original(frags, widths, calcBounds, encoding)
        found = _first_cut(result.lines, 0, widths, 0, [])
        if found is None:
            return _hanging(result)
        k, narrow = found
        done, pending = list(result.lines[:k]), [w for line in result.lines[k:] for w in line.words]
        size, again = _WINDOW_LINES * max(widths), 0
        while pending:
            window, rest = _window(pending, size)
            try:
                new = list(original(window, _from_line(widths, len(done), narrow), calcBounds, encoding).lines)
            except (TypeError, ValueError, IndexError):  # (ReportLab could not set it so: its own lines)
                return result
            if len(new) < 2 and rest:
                size *= 2  # (a window too small to end a line in: a larger one)
                continue
            if narrow is not None:
                words = _texts(new[0])
                opening = _opening_tail("".join(t for _, t in words))
                if opening and again < 4:  # ending it earlier left an opening bracket at its end: that too
                    narrow, again = _width_before_tail(words, opening + _trailing_spaces(words)), again + 1
                    continue
                real = _width_at(widths, len(done))
                new[0].extraSpace += real - narrow
                new[0].maxWidth = real
            again = 0
            found = _first_cut(new, 0 if narrow is None else 1, widths, len(done), rest)
            if found is not None:
                j, narrow = found
                done += new[:j]
                pending = [w for line in new[j:] for w in line.words] + rest
                continue
            narrow = None
            if rest:
                done += new[:-1]
                pending = list(new[-1].words) + rest
            else:
                done += new
                pending = []
        result.lines = done
        return _hanging(result)
    return split


def _justified_unless_hanging(original: Callable) -> Callable:
    """ReportLab's drawing of a justified line, but a line :func:`_hanging` marks is drawn as it is, as
    its left, centred and right drawing do (justified, it took the overhang back from its spaces)."""
    def draw(tx, offset, line, last=0):
        if getattr(line, "preformatted", False) and line.extraSpace < 0:
            return _rl_paragraph._leftDrawParaLineX(tx, offset, line, last)
        return original(tx, offset, line, last)
    return draw


def _hanging(result):
    """``result`` (Han line breaking's lines) with each line that is longer than its width, by the
    punctuation hung at its end, drawn as it is: as ReportLab draws such a line unless it has a
    no-break space. With one, ReportLab took the overhang back from the line's spaces, but counted only
    its no-break spaces, so it moved the words after each space back by the whole overhang: the
    number in "超过 6 个月" printed over the characters around it."""
    for line in result.lines:
        if line.extraSpace < -1e-8 and any(isinstance(getattr(w, "text", None), str)
                                           and any(c in _NO_BREAK_SPACES for c in w.text) for w in line.words):
            line.preformatted = True  # (ReportLab's mark for a line drawn as it is: only that here)
    return result


def _window(words: list, width: float) -> tuple[list, list]:
    """``words`` cut in two: the first as wide as ``width`` (or all of them), and the rest."""
    used = 0.0
    for i, word in enumerate(words):
        if used >= width:
            return words[:i], words[i:]
        cb = getattr(word, "cbDefn", None)
        if cb is not None:
            used += getattr(cb, "width", 0) or 0
        elif isinstance(word.text, str):
            used += pdfmetrics.stringWidth(word.text, word.fontName, word.fontSize)
    return words, []


def _word_text(word) -> tuple:
    """A line's word (a fragment) and its text ("" for a picture or a line break)."""
    return word, word.text if isinstance(getattr(word, "text", ""), str) else ""


def _texts(line) -> list[tuple]:
    return [_word_text(w) for w in line.words]


def _first_cut(lines: list, start: int, widths: list, offset: int, rest: list) -> tuple[int, float] | None:
    """The first of ``lines`` from ``start`` (line ``offset`` + its index of the paragraph) that is not
    the last and whose end cuts what no-break spaces join, where moving that to the next line helps (it
    fits there), and the width that ends the line before it; else None. ``rest``: the words after
    ``lines`` (the last line may not be whole: what starts the next line may go on into them)."""
    for k in range(start, len(lines) - 1):
        if getattr(lines[k], "lineBreak", False):
            continue  # a line break in the text ends this line: nothing is cut
        words, after = _texts(lines[k]), _texts(lines[k + 1])
        if k + 1 == len(lines) - 1:
            after += [_word_text(w) for w in rest[:8]]
        if any(getattr(getattr(w, "cbDefn", None), "width", 0) for w, _ in words):
            continue  # (a picture in the line: left as ReportLab sets it)
        before = "".join(t for _, t in words)
        cut = _joined_cut(before, "".join(t for _, t in after))
        # (what is joined but wider than a line is cut wherever it goes)
        if cut is not None and _chars_width(words, -cut[0]) + _chars_width(after, cut[1]) <= \
                _width_at(widths, offset + k + 1):
            return k, _width_before_tail(words, cut[0])
        opening = _opening_tail(before)
        if opening:  # an opening bracket or quote may not end a line (kinsoku): it starts the next
            return k, _width_before_tail(words, opening + _trailing_spaces(words))
    return None


def _trailing_spaces(words: list) -> int:
    text = "".join(t for _, t in words)
    return len(text) - len(text.rstrip())


def _chars_width(words: list, n: int) -> float:
    """The width of the first ``n`` characters of a line's words (the last ``-n`` when negative)."""
    if n < 0:  # (the same characters read backwards: as wide, with no kerning between them)
        return _chars_width([(w, t[::-1]) for w, t in reversed(words)], -n)
    width = 0.0
    for word, text in words:
        if n <= 0:
            break
        width += pdfmetrics.stringWidth(text[:n], word.fontName, word.fontSize)
        n -= len(text)
    return width


def _width_before_tail(words: list, n: int) -> float:
    """The width of a line's words less their last ``n`` characters, and half the first of those
    (a width at which the line ends just before them)."""
    kept, cut = [], None
    for word, text in reversed(words):
        if n >= len(text):
            n -= len(text)
            if text:
                cut = (word, text[0])
            continue
        kept.append((word, text[:len(text) - n]))
        if n:
            cut = (word, text[len(text) - n])
        n = 0
    width = sum(pdfmetrics.stringWidth(t, w.fontName, w.fontSize) for w, t in kept)
    if cut is not None:
        width += pdfmetrics.stringWidth(cut[1], cut[0].fontName, cut[0].fontSize) / 2
    return width


def _one_run_keeping_groups(original: Callable) -> Callable:
    """ReportLab's Han line breaking of a paragraph of one run (``textsplit.wordSplit``), never inside
    what no-break spaces join, as :func:`_cjk_keeping_groups` does. Its lines come back as
    ``[extra space, text]``, the text stripped of spaces at both ends."""
    def split(word, maxWidths, fontName, fontSize, encoding="utf8"):  # noqa: N803
        if not isinstance(word, str) or not any(c in _NO_BREAK_SPACES or c in _OPENING or "0" <= c <= "9"
                                                for c in word):
            return original(word, maxWidths, fontName, fontSize, encoding)
        widths = list(maxWidths) if isinstance(maxWidths, (list, tuple)) else [maxWidths]

        def measure(text: str) -> float:
            return pdfmetrics.stringWidth(text, fontName, fontSize)

        # spaces (no-break ones too) before the text start no line: ReportLab strips them from the line
        # it draws, but counted them in its width, and a number with its unit that fitted the line
        # without them was cut ("125 m" / "g": hypothesis, a paragraph starting with a no-break space)
        word = word.lstrip(" " + "".join(_NO_BREAK_SPACES))
        lines = original(word, widths, fontName, fontSize, encoding)
        found = _first_cut_in_text(lines, word, 0, widths, 0, measure)
        if found is None:
            return lines
        k, narrow, at = found
        done, pending = list(lines[:k]), word[at:]
        size, again = _WINDOW_LINES * max(widths), 0
        while pending:
            end = _text_window(pending, size, fontName, fontSize)
            window, rest = pending[:end], pending[end:]
            new = original(window, _from_line(widths, len(done), narrow), fontName, fontSize, encoding)
            if len(new) < 2 and rest:
                size *= 2
                continue
            if narrow is not None:
                opening = _opening_tail(new[0][1])
                if opening and again < 4:  # (as in _cjk_keeping_groups)
                    kept = new[0][1].rstrip()[:-opening]
                    narrow, again = measure(kept) + measure(new[0][1].rstrip()[-opening]) / 2, again + 1
                    continue
                new[0][0] += _width_at(widths, len(done)) - narrow
            again = 0
            found = _first_cut_in_text(new, pending, 0 if narrow is None else 1, widths, len(done), measure)
            if found is not None:
                j, narrow, at = found
                done += new[:j]
                pending = pending[at:]
                continue
            narrow = None
            if rest:
                done += new[:-1]
                pending = pending[_starts(new, pending)[-1]:]
            else:
                done += new
                pending = ""
        return done
    return split


def _starts(lines: list, text: str) -> list[int]:
    """Where each of a one-run paragraph's lines (stripped) starts in its ``text``."""
    starts, pos = [], 0
    for _, line in lines:
        pos = text.find(line, pos) if line else pos
        starts.append(pos)
        pos += len(line)
    return starts


def _first_cut_in_text(lines: list, text: str, start: int, widths: list, offset: int,
                       measure: Callable[[str], float]) -> tuple[int, float, int] | None:
    """:func:`_first_cut` for the lines of a one-run paragraph of ``text`` (they may end before it
    does): the line, the width that ends it before what it cuts, and where that starts in ``text``."""
    starts = _starts(lines, text)
    for j in range(start, len(lines) - 1):
        before, after = text[starts[j]:starts[j + 1]], text[starts[j + 1]:]
        cut = _joined_cut(before, after)
        if cut is not None and measure(before[len(before) - cut[0]:] + after[:cut[1]]) <= \
                _width_at(widths, offset + j + 1):  # (as in :func:`_first_cut`)
            kept = before[:len(before) - cut[0]]
            return j, measure(kept) + measure(before[len(before) - cut[0]]) / 2, starts[j]
        opening = _opening_tail(before)
        if opening:
            kept = before.rstrip()[:-opening]
            return j, measure(kept) + measure(before.rstrip()[-opening]) / 2, starts[j]
    return None


def _text_window(text: str, width: float, font: str, size: float) -> int:
    """How many characters of ``text`` make it as wide as ``width`` (or all of them)."""
    used = 0.0
    for i, ch in enumerate(text):
        if used >= width:
            return i
        used += pdfmetrics.stringWidth(ch, font, size)
    return len(text)


# --- where a word too long for its line breaks -------------------------------------------------------

_AFTER_SLASH = 0  # break classes, best first
_AFTER_PUNCTUATION = 1
_URL_PUNCTUATION = frozenset("-._~?&=#+")


def _break_class(chars: list[str], j: int) -> int | None:
    """How good a place it is to break before ``chars[j]``: after a slash (not inside ``//``, nor just
    after it), after an address's other punctuation, or None (between letters)."""
    before, after = chars[j - 1], chars[j]
    if before == "/" and after != "/":
        # not just after "https://": a line would end with the bare scheme (the address starts the next
        # line instead, or breaks at its next slash or punctuation)
        return None if j >= 2 and chars[j - 2] == "/" else _AFTER_SLASH
    if before in _URL_PUNCTUATION and after not in _URL_PUNCTUATION and after != "/":
        return _AFTER_PUNCTUATION
    return None


def word_breaks(chars: list[str], widths: list[float], first: float, nexts: Callable[[int], float],
                may_move: bool) -> list[int]:
    """Where a word too long for one line starts each new line: the indices of ``chars``.

    ``first`` is the room left on the word's first line, ``nexts(k)`` the width of the k-th line
    after it. Each line ends at the furthest place that fits, preferring (in this order) after a
    slash, after other punctuation, and between letters only when neither fits. When the word does
    not start its line (``may_move``) and no slash or punctuation fits, it starts on the next line; so
    it does too when the only places that fit are inside its scheme and host ("https://www.").
    """
    breaks: list[int] = []
    start, room, line, n = 0, first, 0, len(chars)
    host = _host_end(chars)  # where the address's path starts: its first line ends after it (below)
    while True:
        width, fit, best = 0.0, start, {}
        for j in range(start, n):
            if width + widths[j] > room and j > start:
                break
            width += widths[j]
            fit = j + 1
            if fit < n and not (line == 0 and may_move and fit < host):  # not "https://www." alone
                kind = _break_class(chars, fit)
                if kind is not None:
                    best[kind] = fit
        if fit >= n:
            return breaks
        if _AFTER_SLASH in best:
            cut = best[_AFTER_SLASH]
            further = best.get(_AFTER_PUNCTUATION, 0)
            if further > cut and _next_piece_fits(chars, widths, cut, fit, nexts(line + 1)):
                # the next line would end at punctuation this one holds too: ReportLab would set both
                # pieces on this line, a space between them ("emc/ search?q="): end this one there
                cut = further
        elif _AFTER_PUNCTUATION in best:
            cut = best[_AFTER_PUNCTUATION]
        elif line == 0 and may_move and start == 0:
            cut = 0  # nothing good fits after the words before it: the word starts the next line
        else:
            cut = fit
        breaks.append(cut)
        start, line = cut, line + 1
        room = nexts(line)


def _next_piece_fits(chars: list[str], widths: list[float], cut: int, fit: int, room: float) -> bool:
    """Whether the next line, of ``room`` from ``chars[cut]``, would end (by the same preferences) no
    further than ``fit``: its piece would fit on this line too."""
    width, end, best = 0.0, cut, {}
    for j in range(cut, len(chars)):
        if width + widths[j] > room and j > cut:
            break
        width += widths[j]
        end = j + 1
        if end < len(chars):
            kind = _break_class(chars, end)
            if kind is not None:
                best[kind] = end
    if end >= len(chars):
        return False  # the rest of the address is the next line: it did not fit on this one
    return best.get(_AFTER_SLASH, best.get(_AFTER_PUNCTUATION, end)) <= fit


def _host_end(chars: list[str]) -> int:
    """The index just after the slash that ends a web address's scheme and host ("https://www.x.org/"),
    or 0 (no scheme): the first line of an address that follows other words is not cut inside them."""
    text = "".join(chars)
    scheme = text.find("://")
    if scheme < 0:
        return 0
    slash = text.find("/", scheme + 3)
    return slash + 1 if slash >= 0 else len(chars)


def _widths_for(breaks: list[int], widths: list[float], start_width: float) -> list[float]:
    """Line widths that make ReportLab's own letter-by-letter splitter break exactly at ``breaks``."""
    edges = [0, *breaks, len(widths)]
    out = []
    for k in range(len(edges) - 1):
        out.append((start_width if k == 0 else 0.0) + sum(widths[edges[k]:edges[k + 1]]) + 1e-6)
    return out


def _with_lines(max_widths: list[float], lineno: int, lines: list[float]) -> list[float]:
    """``max_widths`` (whose last entry stands for every line after it) with ``lines`` from line
    ``lineno`` on."""
    last = len(max_widths) - 1
    return [*(max_widths[min(last, k)] for k in range(lineno)), *lines]


def _split_word(original: Callable) -> Callable:
    """ReportLab's splitter of a long word in a paragraph of one run, breaking at :func:`word_breaks`."""
    def split(w, lineWidth, maxWidths, lineno, fontName, fontSize, encoding="utf8"):  # noqa: N803
        if not isinstance(w, str) or not any(c in w for c in "/-."):  # bytes: as ReportLab does
            return original(w, lineWidth, maxWidths, lineno, fontName, fontSize, encoding)
        last = len(maxWidths) - 1
        chars = list(w)
        widths = [pdfmetrics.stringWidth(c, fontName, fontSize, encoding) for c in chars]
        first = maxWidths[min(last, lineno)] - lineWidth
        breaks = word_breaks(chars, widths, first, lambda k: maxWidths[min(last, lineno + k)], lineWidth > 1e-6)
        lines = _widths_for(breaks, widths, lineWidth)
        return original(w, lineWidth, _with_lines(maxWidths, lineno, lines), lineno, fontName, fontSize, encoding)
    return split


def _split_frag_word(original: Callable) -> Callable:
    """ReportLab's splitter of a long word made of runs, breaking at :func:`word_breaks`."""
    def split(w, maxWidth, maxWidths, lineno):  # noqa: N803
        if any(hasattr(f, "cbDefn") or not isinstance(t, str) for f, t in w[1:]) \
                or not any(c in t for _, t in w[1:] for c in "/-."):
            return original(w, maxWidth, maxWidths, lineno)  # an image, bytes: as ReportLab does
        pieces = list(_rl_paragraph._fragWordIter(w))
        last = len(maxWidths) - 1
        chars = [c for _, _, c in pieces]
        widths = [cw for _, cw, _ in pieces]
        full = maxWidths[min(last, lineno)]
        breaks = word_breaks(chars, widths, maxWidth, lambda k: maxWidths[min(last, lineno + k)],
                             maxWidth < full - 1e-6)
        lines = _widths_for(breaks, widths, 0.0)
        return original(w, lines[0], _with_lines(maxWidths, lineno + 1, lines[1:]), lineno)
    return split


def check() -> None:
    """Raise :class:`ReportLabChanged` if this ReportLab lacks an internal leaflet uses."""
    for owner, name in _REQUIRED:
        if not hasattr(owner, name):
            raise _changed(f"has no {getattr(owner, '__name__', owner)}.{name}")
    if _rl_paragraph.shapeFragWord is not ttfonts.shapeFragWord and not _installed:
        raise _changed("has a paragraph module that shapes words differently")


def _require(obj, name: str):
    """An attribute ReportLab sets on its objects (not on the class): present, or a loud failure."""
    try:
        return getattr(obj, name)
    except AttributeError:
        raise _changed(f"no longer sets {type(obj).__name__}.{name}") from None


# --- small accessors ------------------------------------------------------------------------------

def shape_data(text) -> list:
    """The glyph data (HarfBuzz positions) of a shaped string."""
    return _require(text, "__shapeData__")


def is_shaped(text) -> bool:
    return isinstance(text, ttfonts.ShapedStr)


def group_content(flowable: Flowable) -> list[Flowable]:
    """The flowables inside a KeepTogether or BalancedColumns."""
    return list(_require(flowable, "_content"))


def at_frame_top(flowable: Flowable) -> bool:
    """Whether the flowable is being placed at the top of its frame (False outside a frame)."""
    frame = flowable.__dict__.get("_frame")
    return bool(_require(frame, "_atTop")) if frame is not None else False


def number_private_glyphs(font_name: str) -> None:
    """Give every glyph without a character of its own a private-use code point, in glyph order, with
    ReportLab's own numbering (see :func:`leaflet.fonts.prepare_font`)."""
    font = pdfmetrics.getFont(font_name)
    hb_font = font.hbFont(1000)
    assign = font._TTFont__addPrivate
    mapped = font.face.glyphToChar
    for gid in range(font.hbFace.glyph_count):
        if gid not in mapped:
            assign(hb_font.glyph_to_string(gid), gid, hb_font.get_glyph_h_advance(gid))


#: One subset made at a time (see reuse_subsets): ReportLab's font faces are not safe to read at once.
_SUBSET_LOCK = threading.Lock()
#: The face whose subset this thread is making without keeping it (one with someone's letters).
_NOT_KEPT = threading.local()


def reuse_subsets(face, subsets: caches.Memo, compressed: caches.Memo) -> None:
    """Make ``face`` (a ReportLab TrueType face) reuse the subsets it made before, and their compressed
    streams. The bytes are the same as ReportLab makes: a subset depends only on the font file and the
    characters in it; this only saves making and compressing it again."""
    make, add = face.makeSubset, face.addSubsetObjects

    def make_subset(subset):
        if getattr(_NOT_KEPT, "face", None) is face:  # codes someone's words gave: made, not kept
            with _SUBSET_LOCK:
                return make(subset)
        key = (face.filename, tuple(subset))
        data = subsets.get(key)
        if data is None:
            # ReportLab reads the font file through one position shared by the face (seek, then read):
            # two builds making a subset of one face at once read from each other's places, and the
            # subset (kept here for every later build) then holds other glyphs
            with _SUBSET_LOCK:
                data = subsets.get(key)
                if data is None:
                    data = subsets.put(key, make(subset))
        return data

    def add_subset_objects(doc, fontname, subset):
        if _their_subset(doc, face, subset):
            _NOT_KEPT.face = face
            try:
                return add(doc, fontname, subset)  # (compressed by ReportLab's own filter)
            finally:
                _NOT_KEPT.face = None
        ref = add(doc, fontname, subset)
        stream = doc.idToObject.get(f"fontFile:{face.filename}({fontname})")
        if stream is not None and stream.filters == [pdfdoc.PDFZCompress]:
            stream.filters = [_CachedFlate(compressed)]
        return ref

    face.makeSubset, face.addSubsetObjects = make_subset, add_subset_objects


class _CachedFlate:
    """ReportLab's FlateDecode filter for font files, remembering what it compressed."""

    pdfname = "FlateDecode"

    def __init__(self, store: caches.Memo):
        self.store = store

    def encode(self, data: bytes | str) -> bytes:
        import zlib

        if isinstance(data, str):  # (as ReportLab's filter does)
            data = data.encode("utf8")
        out = self.store.get(data)
        return out if out is not None else self.store.put(data, zlib.compress(data))


class _CachedA85:
    """ReportLab's ASCII85 filter (on by default for page streams), remembering what it encoded."""

    pdfname = "ASCII85Decode"

    def __init__(self, store: caches.Memo):
        self.store = store

    def encode(self, data: bytes) -> bytes:
        out = self.store.get(data)
        return out if out is not None else self.store.put(data, pdfdoc.PDFBase85Encode.encode(data))


#: The pages of a leaflet built again for a new patient are mostly the same, operator for operator:
#: each page's stream, compressed (and ASCII85-encoded, ReportLab's default) once per process.
_PAGE_STREAMS = caches.Memo("pages.compressed", 64)
_PAGE_STREAMS_A85 = caches.Memo("pages.ascii85", 64)
_PAGE_FLATE = _CachedFlate(_PAGE_STREAMS)
_PAGE_A85 = _CachedA85(_PAGE_STREAMS_A85)


#: Set on a canvas while it draws a page's text: _PERSONAL once the page holds any text not known to be
#: content or template words (what a patient, prescriber or pharmacy gave, or anything not marked);
#: _TEMPLATE_TEXT (a depth) while it draws content or template words: a paragraph kept in the layout
#: caches (none of them holds a person's words: tests/test_caches.py), an icon's letter, a page number.
_PERSONAL = "_leaflet_personal_page"
_TEMPLATE_TEXT = "_leaflet_template_text"
_WORDS = "_leaflet_content_words"  # on a part of a split paragraph of content words


@contextlib.contextmanager
def template_text(canv):
    """Mark what ``canv`` draws inside as content or template words, never a person's."""
    own = canv.__dict__
    own[_TEMPLATE_TEXT] = own.get(_TEMPLATE_TEXT, 0) + 1
    try:
        yield
    finally:
        own[_TEMPLATE_TEXT] -= 1


def _page_contents(page, personal: bool) -> None:
    """Give ``page`` (a ReportLab page, just added to its document) the content stream ReportLab's
    own ``check_format`` would give it, with filters that remember what they encoded; not for a page
    with someone's words on it (``personal``): what people give is never kept after their build."""
    if personal or page.Contents or not page.stream or not page.compression:
        return
    stream = pdfdoc.PDFStream()
    stream.filters = [_PAGE_A85, _PAGE_FLATE] if rl_config.useA85 else [_PAGE_FLATE]
    stream.content = page.stream
    stream.__Comment__ = "page stream"
    page.Contents = stream


# --- font files parsed once, their metrics kept on disk ---------------------------------------------

#: What a ReportLab TrueType font object holds (ReportLab 5.1), all of it set by :func:`load_ttfont`.
_TTFONT_ATTRS = frozenset({"fontName", "face", "encoding", "state", "_asciiReadable", "_shapable"})
#: What is not kept: the file itself (read again), its name, and a function (made again).
_FACE_NOT_KEPT = frozenset({"_ttf_data", "filename", "_pdfScale"})


def load_ttfont(name: str, path: str, data: bytes, folder) -> ttfonts.TTFont:
    """``ttfonts.TTFont(name, path, shapable=True)`` for the font file ``path`` whose bytes are ``data``.

    Parsing a font's tables (every character's glyph and width) is a tenth of a cold build; what it
    finds depends only on the file's bytes, its name and ReportLab's version and settings, so it is kept
    in ``folder`` (a private :mod:`leaflet.diskcache` folder; None: not kept), one file per font file's
    SHA-256, and the next process reads it back instead. The font object is the same as ReportLab makes,
    attribute for attribute: a kept file is written only after one made from it has been compared with
    the font ReportLab parsed, so a ReportLab that makes its fonts another way is simply not helped. A
    kept file carries the SHA-256 of what it holds and is used only if that matches and what it holds
    has the shape of a font's tables; anything else (damage, a file of another version) is parsed again.
    """
    digest = hashlib.sha256(data).hexdigest()
    key = _metrics_key(digest, path)
    if folder is not None:
        font = _read_kept(folder / f"{digest}.metrics", name, path, data, key)
        if font is not None:
            return font
    font = ttfonts.TTFont(name, path, shapable=True)
    if folder is not None and font.face._ttf_data == data:  # the file did not change while ReportLab read it
        kept = _font_metrics(font, key)
        if kept is not None:
            _keep(folder, f"{digest}.metrics", _METRICS_MAGIC + hashlib.sha256(kept).digest() + kept)
    return font


#: Kept metrics files start with this, then the SHA-256 of the rest (the marshalled tables).
_METRICS_MAGIC = b"leaflet-font-metrics-1\n"
_METRICS_LIMIT = 64 << 20


def _metrics_key(digest: str, path: str) -> list:
    """What a font's parsed tables depend on: the file's bytes and name (ReportLab decides from the name
    whether a font may be subset, and may name an unnamed font after it), ReportLab and its settings."""
    return [digest, os.path.basename(path), reportlab.Version,
            repr(getattr(rl_config, "allowTTFSubsetting", None)),
            repr(getattr(rl_config, "autoGenerateTTFMissingTTFName", None))]


def _read_kept(file, name: str, path: str, data: bytes, key: list) -> ttfonts.TTFont | None:
    """The font made from a kept metrics file, or None (missing, damaged, another version's)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(file, flags)
    except OSError:
        return None
    try:
        with open(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > _METRICS_LIMIT:
                return None
            blob = handle.read(info.st_size + 1)  # (its size: read(limit) would allocate the limit first)
        header = len(_METRICS_MAGIC) + 32
        if not blob.startswith(_METRICS_MAGIC) or hashlib.sha256(blob[header:]).digest() != \
                blob[len(_METRICS_MAGIC):header]:
            return None
        font = _restore_ttfont(name, path, data, key, marshal.loads(blob[header:]))
    except Exception:  # noqa: BLE001 - a kept file is only a shortcut: anything wrong with it, parse
        return None
    if font is not None:
        with contextlib.suppress(OSError):
            os.utime(file)  # used: kept longest (the oldest go first)
    return font


def _font_metrics(font: ttfonts.TTFont, key: list) -> bytes | None:
    """What :func:`_restore_ttfont` needs to make ``font`` again, or None if it would not be the same."""
    if set(vars(font)) != _TTFONT_ATTRS or type(font.face) is not ttfonts.TTFontFace:
        return None
    attrs, names = {}, {}
    for name, value in vars(font.face).items():
        if name in _FACE_NOT_KEPT:
            continue
        if isinstance(value, ttfonts.TTFNameBytes):
            names[name] = (bytes(value), value.ustr)
        else:
            attrs[name] = value
    try:
        kept = marshal.dumps({"key": key, "attrs": attrs, "names": names})
        again = _restore_ttfont(font.fontName, font.face.filename, font.face._ttf_data, key, marshal.loads(kept))
    except (ValueError, TypeError):  # something marshal cannot keep
        return None
    return kept if again is not None and _same_font(again, font) else None


def _same_font(a: ttfonts.TTFont, b: ttfonts.TTFont) -> bool:
    def plain(font):
        own = {k: v for k, v in vars(font).items() if k not in ("face", "encoding", "state")}
        face = {k: v for k, v in vars(font.face).items() if k != "_pdfScale"}
        kinds = [type(font.encoding), type(font.state), len(font.state), type(font.face)]
        return own, face, kinds, [font.face._pdfScale(v) for v in (1, 7, 1234, -38.5)]

    return plain(a) == plain(b)


#: The tables a face must have, and their types, for a kept file to be used.
_FACE_TABLES = {"charToGlyph": dict, "glyphToChar": dict, "charWidths": dict, "hmetrics": list,
                "glyphPos": list, "unitsPerEm": int, "numGlyphs": int, "ascent": int, "descent": int,
                "defaultWidth": (int, float), "flags": int, "bbox": list, "italicAngle": (int, float)}


def _restore_ttfont(name: str, path: str, data: bytes, key: list, kept: dict) -> ttfonts.TTFont | None:
    if type(kept) is not dict or kept.get("key") != key or type(kept.get("attrs")) is not dict \
            or type(kept.get("names")) is not dict:
        return None
    attrs = dict(kept["attrs"])
    if any(not isinstance(attrs.get(table), kinds) for table, kinds in _FACE_TABLES.items()) \
            or attrs["unitsPerEm"] <= 0 or len(attrs["glyphPos"]) != attrs["numGlyphs"] + 1:
        return None
    for attr, (raw, text) in kept["names"].items():
        attrs[attr] = ttfonts.TTFNameBytes(raw)
        if attrs[attr].ustr != text:
            return None
    face = ttfonts.TTFontFace.__new__(ttfonts.TTFontFace)
    face.__dict__.update(attrs)
    face.filename, face._ttf_data = path, data
    scale = 1000 / face.unitsPerEm
    face._pdfScale = (lambda x: x) if face.unitsPerEm == 1000 else (lambda x: x * scale)  # as ReportLab's
    font = ttfonts.TTFont.__new__(ttfonts.TTFont)  # what TTFont.__init__ sets, but the parsed face
    font.fontName, font.face, font.encoding = name, face, ttfonts.TTEncoding()
    font.state = weakref.WeakKeyDictionary()
    font._asciiReadable = rl_config.ttfAsciiReadable
    font.shapable = not any(fnmatch.fnmatch(name, glob) for glob in ttfonts.unShapedFontGlob)
    return font


#: Kept font metrics: at most this many files (a theme's own fonts add to the shipped ones).
_KEPT_FONTS = 64
_PART_AGE = 3600  # seconds: a temporary file older than this was left by a process that died


def _keep(folder, name: str, data: bytes) -> None:
    """Write ``folder/name`` whole or not at all (a temporary file renamed), keeping the files used last."""
    tmp = folder / f".{name}.{os.getpid()}.{threading.get_ident()}.part"
    try:
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(data)
        os.replace(tmp, folder / name)
        kept = sorted(folder.glob("*.metrics"), key=lambda p: p.stat().st_mtime_ns)
        for old in kept[:-_KEPT_FONTS]:
            old.unlink(missing_ok=True)
        for part in folder.glob(".*.part"):
            if time.time() - part.stat().st_mtime > _PART_AGE:
                part.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


# --- paragraphs whose parsing and line breaks are reused ------------------------------------------

_PARSED = caches.Memo("paragraphs.parsed", 8192)  # (text, style, bullet) -> (frags, style, bullet)
_BROKEN = caches.Memo("paragraphs.lines", 16384)  # (text, style, bullet, width) -> (lines, height)
_STYLE_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_STYLE_LOCK = threading.Lock()


def style_key(style) -> int:
    """A number for a style's settings: two styles with the same settings (which lay out alike) have
    the same number. Small, so that keys holding it hash fast."""
    key = _STYLE_KEYS.get(style)
    if key is None:
        items = []
        for name, value in sorted(style.__dict__.items()):
            if name in ("name", "parent"):
                continue
            try:
                hash(value)
            except TypeError:
                value = repr(value)
            items.append((name, value))
        settings = tuple(items)
        with _STYLE_LOCK:
            key = _STYLE_NUMBERS.setdefault(settings, len(_STYLE_NUMBERS))
            _STYLE_KEYS[style] = key
    return key


#: Style settings -> their number (a process has a few hundred styles; not cleared, so that a number
#: always means the same settings).
_STYLE_NUMBERS: dict[tuple, int] = {}


def private_copy(obj):
    """A copy of parsed or broken paragraph data that ReportLab may change (fragments, lines and words
    are copied; fonts, colours and glyph data are shared, ReportLab never changes them)."""
    kind = type(obj)
    if kind is str or kind is float or kind is int or kind is _SHAPED or obj is None:
        return obj  # (a shaped string is never changed by ReportLab)
    if kind is tuple:
        return tuple([private_copy(x) for x in obj])
    if kind is list:
        return [private_copy(x) for x in obj]
    if isinstance(obj, list):
        out = copy.copy(obj)
        out[:] = [private_copy(x) for x in obj]
        return out
    if isinstance(obj, ABag):
        out = kind.__new__(kind)
        out.__dict__.update({k: private_copy(v) for k, v in obj.__dict__.items()})
        return out
    if isinstance(obj, str):  # a split word: ReportLab may change its class
        return copy.copy(obj)
    return obj


_SHAPED = ttfonts.ShapedStr


class LeafletParagraph(Paragraph):
    """A Paragraph that does not parse or break its lines again when it need not.

    With ``memo`` (content and template words only), parsing and line breaks per width come from the
    process's cache, shared read-only with other builds. Without, the lines are still reused when the
    same paragraph is wrapped again at the same width (Platypus wraps a flowable several times).
    """

    _wrapped_at: tuple[float, tuple[float, float], object] | None = None
    _memo_key: tuple | None = None

    def __init__(self, text, style, bulletText=None, frags=None, caseSensitive=1, encoding="utf8",  # noqa: N803
                 memo: bool = False, style_number: int | None = None):
        if memo and frags is None:
            key = (text, style_key(style) if style_number is None else style_number, bulletText)
            parsed = _PARSED.get(key)
            if parsed is None:
                probe = Paragraph(text, style, bulletText, caseSensitive=caseSensitive, encoding=encoding)
                parsed = _PARSED.put(key, (probe.frags, probe.style, probe.bulletText, probe.text))
            frags, parsed_style, bullet, clean = parsed
            self.caseSensitive, self.encoding = caseSensitive, encoding
            self._setup(clean, parsed_style, bullet, frags, None)
            self._memo_key = key
            return
        super().__init__(text, style, bulletText=bulletText, frags=frags, caseSensitive=caseSensitive,
                         encoding=encoding)

    def wrap(self, availWidth, availHeight):  # noqa: N803 - ReportLab's names
        key = self._memo_key
        if key is not None and "_private" not in self.__dict__:
            width_key = (*key, availWidth)
            broken = _BROKEN.get(width_key)
            if broken is None:
                probe = Paragraph(None, self.style, self.bulletText, frags=private_copy(self.frags))
                before = dict(probe.__dict__)
                size = probe.wrap(availWidth, availHeight)
                # what wrapping set: the lines, their size, and (shaped text) the words the lines index
                broken = _BROKEN.put(width_key, ({k: v for k, v in probe.__dict__.items()
                                                  if k not in before or before[k] is not v}, size))
            wrapped, size = broken
            state = self.__dict__
            state.update(wrapped)  # (never changed: ReportLab replaces these, and split copies first)
            state["_leaflet_lines_key"] = width_key
            if "_wrapWidths" in wrapped:
                state["_wrapWidths"] = list(wrapped["_wrapWidths"])
            return size
        # reuse only if the lines are the very ones this wrap made (split() may replace or drop them)
        cached = self._wrapped_at
        if cached is not None and cached[0] == availWidth and self.__dict__.get("blPara") is cached[2]:
            self.width, self.height = cached[1]
            return cached[1]
        result = super().wrap(availWidth, availHeight)
        self._wrapped_at = (availWidth, result, self.__dict__.get("blPara"))
        return result

    def draw(self):
        """ReportLab's drawing, or what it drew for the same lines before (:func:`_drawn_again`)."""
        if _drawn_again(self):
            return
        if self._memo_key is None and not self.__dict__.get(_WORDS):
            super().draw()  # what people typed: the page it is on is theirs (see _formatText)
            return
        with template_text(self.canv):
            super().draw()

    def deepcopy(self):
        """The copy ReportLab's boxes and columns split instead of the paragraph (``cdeepcopy``): its
        own fragments and lines (:func:`private_copy`), sharing its style, its tag and the glyph data,
        which nothing changes. ``copy.deepcopy`` copied every font name and shaped glyph of it again
        (a fifth of a Korean build), and gave the parts a tag of their own."""
        kind = type(self)
        new = kind.__new__(kind)
        state = new.__dict__
        state.update(self.__dict__)
        if self._memo_key is not None and "_private" not in state:
            return new  # its lines are the shared ones: split() takes its own copy before ReportLab's
        for name in ("frags", "blPara"):
            if name in state:
                state[name] = private_copy(state[name])
        if "_wrapWidths" in state:
            state["_wrapWidths"] = list(state["_wrapWidths"])
        wrapped = state.get("_wrapped_at")
        if wrapped is not None:  # still the lines it was wrapped to: the copy's own are those lines
            state["_wrapped_at"] = (wrapped[0], wrapped[1], state.get("blPara")) \
                if wrapped[2] is self.__dict__.get("blPara") else None
        return new

    def split(self, availWidth, availHeight):  # noqa: N803
        """ReportLab's split, on this paragraph's own copy of shared lines; when nothing fits, the
        broken lines are kept (ReportLab drops them) for the next wrap at the same width."""
        if self._memo_key is not None:
            self.wrap(availWidth, availHeight)
            self.frags, self.blPara = private_copy(self.frags), private_copy(self.blPara)
            self._private = True  # from now on this paragraph lays itself out (ReportLab changes it)
            self._wrapped_at = (availWidth, (self.width, self.height), self.blPara)
        broken = self.__dict__.get("blPara")
        parts = super().split(availWidth, availHeight)
        if not parts and broken is not None and "blPara" not in self.__dict__:
            self.blPara = broken
        if self._memo_key is not None or self.__dict__.get(_WORDS):
            for part in parts:  # the parts of content words are content words (see template_text)
                part.__dict__[_WORDS] = True
        return parts


def fresh(flowable: Flowable) -> Flowable:
    """A copy of a never-drawn flowable for one build: the flowables inside it copied the same way,
    shared lines and text left shared. ReportLab changes a flowable as it lays it out; the cached
    original is never given to it."""
    kind = type(flowable)
    new = kind.__new__(kind)
    state = new.__dict__
    state.update(flowable.__dict__)
    if kind is LeafletParagraph and flowable._memo_key is not None:
        return new  # its parsed text and lines are shared read-only
    for name, value in flowable.__dict__.items():
        if isinstance(value, list):
            state[name] = _fresh_list(value)
        elif isinstance(value, Flowable):
            state[name] = fresh(value)
    return new


def _fresh_list(items: list) -> list:
    return [fresh(x) if isinstance(x, Flowable) else _fresh_list(x) if isinstance(x, list) else x for x in items]


# --- someone's words, written after the pages ----------------------------------------------------

# ReportLab numbers a font's letters in the order a document first writes them. Page 1 opens with the
# patient's panel, so a name or a note that wrote a letter first would move the code of every letter
# written after it, and what the caches keep (paragraph operators, page streams, font subsets) would
# depend on what someone typed. So someone's words that need a new code are written last: a placeholder
# while the pages are drawn, the text once every page is (TextObject._later, _write_later).

def _point(ch: str) -> int:
    """The code point ReportLab files a character under (a no-break space under the space's)."""
    return 32 if ch == "\u00a0" else ord(ch)


#: On a document: someone's words that needed new subset codes, in the order drawn (see TextObject._later);
#: on a canvas: set while they are written. On a document after that: per face, the letters they gave codes.
_LATER = "_leaflet_later"
_LATE = "_leaflet_writing_late"
_THEIR_LETTERS = "_leaflet_their_letters"
_PLACEHOLDER = re.compile("\x00([0-9]+)\x00")


def _needs_codes(font, doc, text: str) -> bool:
    """Whether writing ``text`` in ``font`` gives the document a new subset code or font name."""
    if not getattr(font, "_dynamicFont", False):
        return False  # a standard font's codes are fixed
    state = font.state.get(doc)
    if state is None or state.internalName is None:
        return True
    assigned, glyphs = state.assignments, font.face.charToGlyph
    return any(point not in assigned and point in glyphs for point in map(_point, set(text)))


def _write_later(canv, pages) -> None:
    """Write the words :meth:`TextObject._later` put off, in the order drawn, into ``pages`` (ReportLab
    pages, their streams made): after every page is drawn, so their new letters take the last codes of
    each font (and a font first used by them the last name). The letters they gave codes are noted on
    the document: a font subset holding one is made for this document alone (see reuse_subsets)."""
    doc = canv._doc
    later = doc.__dict__.pop(_LATER, None)
    if not later:
        return
    had: dict = {}
    written = []
    canv.__dict__[_LATE] = True
    try:
        for font_name, size, leading, rise, subset, text in later:
            font = pdfmetrics.getFont(font_name)
            if font not in had:
                state = font.state.get(doc)
                had[font] = set(state.assignments) if state is not None else set()
            tx = TextObject(canv)
            tx._code = []
            tx._fontname, tx._fontsize, tx._leading, tx._rise, tx._curSubset = font_name, size, leading, rise, subset
            written.append(tx._write(text))
    finally:
        del canv.__dict__[_LATE]
    theirs = doc.__dict__.setdefault(_THEIR_LETTERS, {})
    for font, points in had.items():
        new = font.state[doc].assignments.keys() - points
        if new:
            theirs.setdefault(font.face, set()).update(new)
    placed = 0  # (a page with a placeholder was marked someone's when it was drawn: its stream is unencoded)
    for page in pages:
        if isinstance(page.stream, str) and "\x00" in page.stream:
            page.stream, count = _PLACEHOLDER.subn(lambda m: written[int(m.group(1))], page.stream)
            placed += count
    if placed != len(written):  # each is drawn once, on a page: else something would print without them
        raise RuntimeError(f"{len(written) - placed} of {len(written)} texts were not placed on a page")


def _their_subset(doc, face, subset) -> bool:
    """Whether a subset of ``face`` holds a letter someone's words gave a code in ``doc``."""
    theirs = doc.__dict__.get(_THEIR_LETTERS, {}).get(face)
    return bool(theirs) and not theirs.isdisjoint(subset)


# --- shaped text, written in one pass -------------------------------------------------------------

class TextObject(PDFTextObject):
    """ReportLab's text object, with shaped text written in one pass (see :mod:`leaflet.fasttext`),
    and someone's words that need new subset codes written once the pages are done (see _later)."""

    def _formatText(self, text):  # noqa: N802 - ReportLab's name
        own = self._canvas.__dict__
        recording = own.get(_RECORDING)
        if recording is not None and isinstance(text, str):
            recording.letters.setdefault(self._fontname, {}).update(dict.fromkeys(text))  # in order of use
        elif recording is None and not own.get(_TEMPLATE_TEXT):
            own[_PERSONAL] = True  # text that may be someone's: this page's stream is not remembered
            if isinstance(text, bytes):
                text = text.decode("utf-8")  # (as ReportLab's writing does)
            if _needs_codes(pdfmetrics.getFont(self._fontname), self._canvas._doc, text):
                return self._later(text)
        return self._write(text)

    def _later(self, text: str) -> str:
        """Someone's words whose letters need subset codes: a placeholder now, the text written after
        every page is drawn (:func:`_write_later`), so their letters get the last codes and no code
        of the content's letters depends on what anyone typed."""
        doc = self._canvas._doc
        later = doc.__dict__.setdefault(_LATER, [])
        later.append((self._fontname, self._fontsize, self._leading, self._rise, self._curSubset, text))
        self._curSubset = -1  # (which subset it ends in is not known yet: the next text selects its own)
        return f"\x00{len(later) - 1}\x00"  # (never in a page otherwise: escaped strings hold no NUL)

    def _write(self, text):
        if not isinstance(text, ttfonts.ShapedStr):
            return super()._formatText(text)
        font = pdfmetrics.getFont(self._fontname)
        if not (font._dynamicFont and font.shapable):
            return super()._formatText(text)
        doc = self._canvas._doc
        entry = text.__dict__.get(_WRITTEN)
        if entry is None:
            # ReportLab files a no-break space under the space's code
            entry = text.__dict__.setdefault(
                _WRITTEN, (tuple({32 if ch == "\u00a0" else ord(ch) for ch in text}), {}))
        letters, written = entry
        before = (self._fontsize, self._leading, self._rise, self._curSubset)
        key = _written_key(font, doc, letters, before)
        if key is None:  # a letter's first use in this document gives it a subset code: do that first
            font.splitString(text, doc)
            key = _written_key(font, doc, letters, before)
        hit = written.get(key)
        if hit is not None:
            code, self._curSubset = hit
            return code
        code = self._shaped(font, text)
        actual = _fasttext().actual_text(text)
        if actual is not None:  # what the glyphs stand for, for copying and search (PDF readers use it)
            code = f"/Span<</ActualText<FEFF{actual.encode('utf-16-be').hex().upper()}>>>BDC {code} EMC"
        # the same text in the same state writes the same (someone's words written late: not kept)
        if key is not None and not self._canvas.__dict__.get(_LATE):
            with _WRITTEN_LOCK:
                if len(written) >= 4:
                    written.clear()
                written[key] = (code, self._curSubset)
        return code

    def _shaped(self, font, text) -> str:
        close_tj = _fasttext().close_tj
        canv = self._canvas
        state = (self._code, self._x, self._y)
        try:
            self._code = code = []
            escape = canv._escape
            size = self._fontsize
            r0 = self._rise
            data = shape_data(text)
            start = 0
            selector = None
            for subset, t in font.splitString(text, canv._doc):
                if subset != self._curSubset:
                    selector = selector or f"{fp_str(size)} Tf {fp_str(self._leading)} TL"
                    code.append(f"{font.getSubsetInternalName(subset, canv._doc)} {selector}")
                    self._curSubset = subset
                glyphs = data[start:start + len(t)]
                start += len(t)
                items: list[str] = []  # the TJ array being built
                run = bytearray()  # glyph codes since the last number
                pending = 0.0  # the offset (thousandths of an em) before the next glyph
                rise_now = self._rise
                for code_point, (_, x_advance, _, x_offset, y_offset, width) in zip(t, glyphs, strict=False):
                    rise = r0 + size * y_offset / 1000 if y_offset else r0
                    if rise != rise_now:  # a new baseline: close this TJ, move, start another
                        close_tj(code, items, run, pending, escape)
                        items, run, pending = [], bytearray(), 0.0
                        self._set_rise(rise)
                        rise_now = self._rise
                    if x_offset:
                        pending -= x_offset
                    if pending:
                        number = fp_str(pending)
                        if number != "0":
                            if run:
                                items.append(f"({escape(bytes(run))})")
                                run = bytearray()
                            items.append(number)
                    run.append(code_point)
                    pending = width - x_advance + x_offset
                close_tj(code, items, run, pending, escape)
                if self._rise != r0:
                    self._set_rise(r0)
        finally:
            code, self._code, self._x, self._y = self._code, *state
        return " ".join(code)

    def _set_rise(self, rise: float) -> None:
        """ReportLab's setRise, which looks at the last operator written (there may be none yet)."""
        if self._code:
            self.setRise(rise)
        else:
            self._rise = rise
            self._y -= rise
            self._code.append(f"{fp_str(rise)} Ts")


def _fasttext():
    """leaflet.fasttext (imported when first needed: it imports this module)."""
    from . import fasttext

    return fasttext


#: Where a shaped string keeps its distinct letters, and what it was written as: per font, text
#: object state and the subset codes of its letters (at most 4 states; it dies with the string).
_WRITTEN = "_leaflet_written"
_WRITTEN_LOCK = threading.Lock()


def _written_key(font, doc, letters: tuple[int, ...], before: tuple):
    """What decides how a shaped text is written: the font, the text object's state before (size,
    leading, rise, current subset) and the subset codes its letters have in this document. None if
    a letter has none yet or the font has no name in this document yet."""
    state = font.state.get(doc)
    if state is None or state.internalName is None:
        return None
    codes = tuple(map(state.assignments.get, letters))
    if None in codes:
        return None
    return (font.fontName, state.internalName, before, codes)


# --- paragraphs drawn again -----------------------------------------------------------------------

#: A paragraph of content or template words, wrapped to lines kept in ``_BROKEN``, draws the same
#: operators whenever the canvas is in the same state and each letter it draws has the same code in
#: the document's font subsets. Its drawing does not depend on where it is drawn: Platypus moves the
#: origin there first. Kept per lines (text, style, bullet, width): :class:`_Kept`.
_DRAWN = caches.Memo("paragraphs.drawn", 16384)
_DRAWN_LOCK = threading.Lock()
_RECORDING = "_leaflet_recording"
#: What decides how Platypus draws a paragraph's lines, besides its lines: the canvas's graphics and
#: text state, but where it is (the current matrix) and the transparency (``_extgstate``, an object of
#: its own for each saved state: compared by its values).
_CANVAS_STATE = tuple(a for a in Canvas.STATE_ATTRIBUTES if a not in ("_currentMatrix", "_extgstate"))
_state_of = operator.attrgetter(*_CANVAS_STATE)
_STATES_KEPT = 4  # canvas states kept per paragraph, and letter codes per state


class _Kept:
    """What one paragraph's lines drew: whether they may be drawn from memory at all (no link, image,
    callback, underline or background), and per canvas state the letters drawn and, per their codes
    in a document, the operators written (and each font's letters in the order first written)."""

    __slots__ = ("drawable", "states")

    def __init__(self, drawable: bool):
        self.drawable = drawable
        self.states: dict[tuple, tuple[tuple, dict, tuple]] = {}


class _Recording:
    """What a paragraph drew, while it draws: the letters each font wrote, and where a list item's
    label (its bullet, which the structure tree marks by where it falls) begins and ends."""

    def __init__(self, start: int):
        self.letters: dict[str, dict[str, None]] = {}  # per font, its letters in the order first drawn
        self.cuts: list[int] = [start]  # per label: before it, its own drawing starts, ends, after it


def recording(canvas) -> _Recording | None:
    return canvas.__dict__.get(_RECORDING)


def _drawn_again(para: LeafletParagraph) -> bool:
    """Draw ``para`` as it was drawn before in the same state, if it was; else draw it (ReportLab) and
    keep what it drew for next time. False: not a paragraph drawn from memory (the caller draws it)."""
    state = para.__dict__
    lines_key = state.get("_leaflet_lines_key")
    if lines_key is None or "_private" in state or para.debug:
        return False
    broken = _BROKEN.get(lines_key)
    if broken is None or state.get("blPara") is not broken[0].get("blPara"):
        return False  # lines of its own (split, or replaced since): drawn as usual
    kept = _DRAWN.get(lines_key)
    if kept is None:
        kept = _DRAWN.put(lines_key, _Kept(_drawable(para)))
    if not kept.drawable:
        return False
    canv = para.canv
    look = (_state_of(canv), type(canv._fillColorObj), type(canv._strokeColorObj),  # (Color and CMYKColor compare)
            tuple(canv._extgstate._d.items()), getattr(canv, "_leaflet_tags", None) is not None,
            tuple(getattr(para, "_offsets", ())), getattr(para, "_JustifyLast", None), para.width, para.height)
    try:
        seen = kept.states.get(look)
    except TypeError:  # a state that cannot be compared
        return False
    if seen is not None:
        codes = _codes(canv, seen[0])
        if codes is None and _first_uses(canv, seen[2]):
            codes = _codes(canv, seen[0])
        script = seen[1].get(codes) if codes is not None else None
        if script is not None:
            _replay(canv, script)
            return True
        if codes is None:
            return False  # a letter's first use in this document: drawn as usual, nothing to keep
    before = _canvas_marks(canv)
    rec = canv.__dict__[_RECORDING] = _Recording(len(canv._code))
    try:
        Paragraph.draw(para)
    finally:
        del canv.__dict__[_RECORDING]
    if len(rec.cuts) % 4 != 1 or _canvas_marks(canv) != before:
        return True  # it changed something besides the page's operators: never drawn from memory
    letters = tuple(sorted((font, tuple(sorted({_point(ch) for ch in chars})))
                           for font, chars in rec.letters.items()))
    codes = _codes(canv, letters)
    if codes is None or (seen is not None and seen[0] != letters):
        return True
    code, cuts = canv._code, [*rec.cuts, len(canv._code)]
    script = tuple(tuple(code[cuts[i]:cuts[i + 1]]) for i in range(len(cuts) - 1))
    with _DRAWN_LOCK:
        if seen is None:
            if len(kept.states) >= _STATES_KEPT:
                kept.states.clear()
            order = tuple((font, "".join(chars)) for font, chars in rec.letters.items())
            seen = kept.states.setdefault(look, (letters, {}, order))
        if len(seen[1]) >= _STATES_KEPT:
            seen[1].clear()
        seen[1][codes] = script
    return True


def _drawable(para: LeafletParagraph) -> bool:
    """Whether a paragraph may be drawn from memory: one without links, images, callbacks, underlines
    or backgrounds (they place something on the page besides its operators, or depend on where)."""
    if getattr(para, "_showBoundary", None):
        return False
    blpara = para.blPara
    parsed = _PARSED.get(para._memo_key) if para._memo_key is not None else None
    frags = [*(parsed[0] if parsed else ()), *para.frags, blpara]
    if blpara.kind == 1:  # lines of words in several styles: the styles the lines are drawn in
        frags.extend(word for line in blpara.lines for word in getattr(line, "words", ()))
    for frag in frags:
        if getattr(frag, "cbDefn", None) or getattr(frag, "link", None) or getattr(frag, "us_lines", None) \
                or getattr(frag, "backColor", None):
            return False
    return True


def _codes(canv, letters: tuple) -> tuple | None:
    """Each font's name in this document and its letters' subset codes (None: one has none yet)."""
    doc, out = canv._doc, []
    for font_name, points in letters:
        font = pdfmetrics.getFont(font_name)
        if not getattr(font, "_dynamicFont", False):  # a standard font: its letters have fixed codes
            name = doc.fontMapping.get(font_name)
            if name is None:
                return None
            out.append((name, None))
            continue
        state = font.state.get(doc)
        if state is None or state.internalName is None:
            return None
        codes = tuple(map(state.assignments.get, points))
        if None in codes:
            glyphs = font.face.charToGlyph
            if any(code is None and point in glyphs for point, code in zip(points, codes, strict=True)):
                return None
        out.append((state.internalName, codes))
    return tuple(out)


def _first_uses(canv, order: tuple) -> bool:
    """Give the letters a paragraph draws that have no subset code in this document yet the codes its
    drawing would give them: ReportLab gives a font's next code to each new letter in the order it is
    written, and ``order`` holds each font's letters in the order the paragraph first wrote them
    (the same lines in the same state write the same text). False, with nothing given, when a font
    has no name in this document yet (the name is given by the drawing, in an order of its own)."""
    doc, fonts = canv._doc, []
    for font_name, letters in order:
        font = pdfmetrics.getFont(font_name)
        if not getattr(font, "_dynamicFont", False):
            if font_name not in doc.fontMapping:
                return False
            continue
        state = font.state.get(doc)
        if state is None or state.internalName is None:
            return False
        fonts.append((font, state, letters))
    for font, state, letters in fonts:
        assigned, glyphs = state.assignments, font.face.charToGlyph
        new = [ch for ch in letters if _point(ch) not in assigned and _point(ch) in glyphs]
        if new:
            font.splitString("".join(new), doc)
    return True


def _replay(canv, script: tuple) -> None:
    """Write a kept paragraph's operators; each list item label it held is marked as drawing it would."""
    code = canv._code
    code.extend(script[0])
    collector = getattr(canv, "_leaflet_tags", None)
    for i in range(1, len(script), 4):
        # [i]: what the label wrote before its bullet (it writes that again), [i+1]: the bullet,
        # [i+2]: what the label wrote after it, [i+3]: the paragraph's drawing after the label
        if collector is None:
            code.extend(script[i] + script[i + 1] + script[i + 2])
        else:
            with collector.label(canv):
                code.extend(script[i + 1])
        code.extend(script[i + 3])


def _canvas_marks(canv) -> tuple:
    """The canvas and document state a drawing could change besides the page's operators: which object
    each attribute is, and how many entries each list and mapping holds."""
    own, doc, code = canv.__dict__, canv._doc.__dict__, canv._code
    sizes = [len(v) for v in (*own.values(), *doc.values()) if type(v) in (list, dict) and v is not code]
    sizes.append(len(canv._extgstate._c))
    return tuple(own.values()), tuple(doc.values()), tuple(sizes)


# --- the canvas that keeps its pages --------------------------------------------------------------

class DeferredCanvas(Canvas):
    """Keeps pages until the end so each can say "of M"; replays deferred bookmarks and fields.

    A subclass made per build sets ``decorate`` (draws header and footer) and ``created`` (the
    creation date written into the document).
    """

    decorate: Callable[[DeferredCanvas, int, int], None]
    created = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []
        self._deferred: list[Callable[[Canvas], None]] = []
        if self.created is not None:  # the creation date is the leaflet's revision date
            stamp = _require(self._doc, "_timeStamp")
            stamp.t = calendar.timegm(self.created.timetuple())
            stamp.lt = time.gmtime(stamp.t)
            stamp.YMDhms = tuple(stamp.lt)[:6]

    def beginText(self, x=0, y=0, direction=None):  # noqa: N802 - ReportLab's name
        return TextObject(self, x, y, direction=direction)  # shaped text written faster, same output

    def defer(self, action: Callable[[Canvas], None]) -> None:
        """Run ``action`` on the real page when it is written (for things that refer to the page)."""
        self._deferred.append(action)

    def bookmarkPage(self, key, **kw):  # noqa: N802 - ReportLab's name
        self._deferred.append(lambda c: Canvas.bookmarkPage(c, key, **kw))

    def showPage(self):  # noqa: N802
        self._pages.append(dict(self.__dict__))
        self._deferred = []
        self.__dict__.pop(_PERSONAL, None)  # (each page's own: see _page_contents)
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.decorate(self, number, total)
            for action in state["_deferred"]:
                action(self)
            personal = self.__dict__.pop(_PERSONAL, False)
            Canvas.showPage(self)
            _page_contents(self._doc.Pages.pages[-1], personal)
        _write_later(self, self._doc.Pages.pages)
        Canvas.save(self)
