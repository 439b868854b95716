"""Shaped text (Devanagari, Arabic) in the PDF: written faster, and readable by copy and search.

ReportLab writes each shaped glyph through several small Python objects (a bytes object, offsets,
a grouping pass) before joining them into a ``TJ`` array; for Hindi and Arabic leaflets that was about
half of the rendering time. :class:`TextObject` writes the same ``TJ`` arrays, with the same glyph
offsets, in one pass, and reuses what it wrote when the same shaped text is written in the same state
again (a reused body). Everything else is ReportLab's own :class:`PDFTextObject`.

A shaped glyph often has no character of its own (a conjunct, a vowel sign drawn before its
consonant), so copying or searching the glyphs gives damaged words. :func:`shape_frag_word` marks
each glyph cluster with the characters it draws, and the text object wraps left-to-right shaped text
in a marked-content span whose ``/ActualText`` is those characters, which PDF readers copy instead.
"""

from __future__ import annotations

import re

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import ttfonts
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.pdfbase.ttfonts import ShapedStr
from reportlab.pdfgen.textobject import PDFTextObject
from reportlab.platypus import paragraph as _rl_paragraph

from .fonts import prepare_font


class TextObject(PDFTextObject):
    """ReportLab's text object, with shaped text written in one pass."""

    def _formatText(self, text):  # noqa: N802 - ReportLab's name
        if not isinstance(text, ShapedStr):
            return super()._formatText(text)
        font = getFont(self._fontname)
        if not (font._dynamicFont and font.shapable):
            return super()._formatText(text)
        doc = self._canvas._doc
        entry = text.__dict__.get(_CACHE)
        if entry is None:
            # ReportLab files a no-break space under the space's code
            entry = text.__dict__[_CACHE] = (tuple({32 if ch == "\u00a0" else ord(ch) for ch in text}), {})
        letters, written = entry
        before = (self._fontsize, self._leading, self._rise, self._curSubset)
        key = _key(font, doc, letters, before)
        if key is None:  # a letter's first use in this document gives it a subset code: do that first
            font.splitString(text, doc)
            key = _key(font, doc, letters, before)
        if key in written:
            code, self._curSubset = written[key]
            return code
        code = self._shaped(font, text)
        actual = actual_text(text)
        if actual is not None:  # what the glyphs stand for, for copying and search (PDF readers use it)
            code = f"/Span<</ActualText<FEFF{actual.encode('utf-16-be').hex().upper()}>>>BDC {code} EMC"
        if key is not None:  # the same text in the same state is written the same way
            if len(written) >= 4:
                written.clear()
            written[key] = (code, self._curSubset)
        return code

    def _shaped(self, font, text) -> str:
        canv = self._canvas
        state = (self._code, self._x, self._y)
        try:
            self._code = code = []
            escape = canv._escape
            size = self._fontsize
            r0 = self._rise
            data = text.__shapeData__
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
                        _close(code, items, run, pending, escape)
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
                _close(code, items, run, pending, escape)
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


#: Where a shaped string keeps its distinct letters, and what it was written as: per font, text
#: object state and the subset codes of its letters.
_CACHE = "_leaflet_written"


def _key(font, doc, letters: tuple[int, ...], before: tuple):
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


def _close(code: list[str], items: list[str], run: bytearray, pending: float, escape) -> None:
    """Write a finished TJ array (or a plain Tj when it is one string)."""
    if run:
        items.append(f"({escape(bytes(run))})")
    if pending:
        number = fp_str(pending)
        if number != "0":
            items.append(number)
    if not items:
        return
    if len(items) == 1 and items[0].startswith("("):
        code.append(f"{items[0]} Tj")
    else:
        code.append(f"[{' '.join(items)}] TJ")


# --- what shaped glyphs stand for --------------------------------------------------------------

_reportlab_shape = ttfonts.shapeFragWord


def shape_frag_word(word, *args, **kwargs):
    """ReportLab's ``shapeFragWord``, with each glyph cluster marked with the characters it draws.

    HarfBuzz numbers every glyph with the index of the first character of its cluster (clusters are
    kept in character order); a cluster draws the characters up to the next cluster's. The first
    glyph of a cluster gets them as ``source``, the others an empty string.
    """
    for f, _ in word[1:]:
        if not hasattr(f, "cbDefn"):
            prepare_font(f.fontName)  # private-use numbers for its glyphs first: cheap once done
    shaped = _reportlab_shape(word, *args, **kwargs)
    if shaped is word:
        return shaped
    text = "".join(s for f, s in word[1:] if not hasattr(f, "cbDefn"))
    if _RIGHT_TO_LEFT.search(text):
        return shaped  # right-to-left text gets no /ActualText (see actual_text)
    data = [d for item in shaped[1:] if len(item) > 1 and isinstance(item[1], ShapedStr)
            for d in item[1].__shapeData__]
    starts = sorted({d.cluster for d in data if 0 <= d.cluster < len(text)})
    ends = dict(zip(starts, [*starts[1:], len(text)], strict=True))
    done: set[int] = set()
    for d in data:
        if d.cluster in ends:
            d.source = "" if d.cluster in done else text[d.cluster:ends[d.cluster]]
            done.add(d.cluster)
    return shaped


def actual_text(text: ShapedStr) -> str | None:
    """The characters a left-to-right shaped text stands for, or None when its glyphs already are
    those characters (nothing to add) or it is right to left (PDF readers put the glyphs of Arabic,
    which has a character for each joined form, in reading order themselves)."""
    parts = []
    for ch, d in zip(text, text.__shapeData__, strict=False):
        source = getattr(d, "source", None)
        parts.append(ch if source is None else source)  # None: a character added after shaping (a space)
    actual = "".join(parts)
    if actual == text or _RIGHT_TO_LEFT.search(actual):
        return None
    return actual


#: Hebrew, Arabic, Syriac, Thaana, N'Ko and their presentation forms.
_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


_rl_paragraph.shapeFragWord = shape_frag_word  # the paragraph module shapes words through this name
