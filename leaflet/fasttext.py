"""Shaped text (Devanagari, Arabic) in the PDF: written faster, and readable by copy and search.

ReportLab writes each shaped glyph through several small Python objects (a bytes object, offsets,
a grouping pass) before joining them into a ``TJ`` array; for Hindi and Arabic leaflets that was about
half of the rendering time. :class:`leaflet.rlbridge.TextObject` writes the same ``TJ`` arrays, with the
same glyph offsets, in one pass (with :func:`close_tj` here), and reuses what it wrote when the same
shaped text is written in the same state again (a reused body). Everything else is ReportLab's own
:class:`PDFTextObject`.

A shaped glyph often has no character of its own (a conjunct, a vowel sign drawn before its
consonant), so copying or searching the glyphs gives damaged words. :func:`shape_frag_word` marks
each glyph cluster with the characters it draws, and the text object wraps left-to-right shaped text
in a marked-content span whose ``/ActualText`` is those characters, which PDF readers copy instead.
"""

from __future__ import annotations

import re

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import ttfonts

from .fonts import prepare_font
from .rlbridge import is_shaped, shape_data


def close_tj(code: list[str], items: list[str], run: bytearray, pending: float, escape) -> None:
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
    glyph of a cluster gets them as ``source``, the others an empty string. ReportLab's paragraphs
    shape through it once :func:`leaflet.rlbridge.install` has run (when leaflet first renders).
    """
    for f, _ in word[1:]:
        if not hasattr(f, "cbDefn"):
            prepare_font(f.fontName)  # private-use numbers for its glyphs first: cheap once done
    runs = _font_runs(word)
    if len(runs) > 1:
        return _shape_runs(word, runs, *args, **kwargs)
    shaped = _reportlab_shape(word, *args, **kwargs)
    if shaped is word:
        return shaped
    text = "".join(s for f, s in word[1:] if not hasattr(f, "cbDefn"))
    if _RIGHT_TO_LEFT.search(text):
        return shaped  # right-to-left text gets no /ActualText (see actual_text)
    data = [d for item in shaped[1:] if len(item) > 1 and is_shaped(item[1]) for d in shape_data(item[1])]
    starts = sorted({d.cluster for d in data if 0 <= d.cluster < len(text)})
    ends = dict(zip(starts, [*starts[1:], len(text)], strict=True))
    done: set[int] = set()
    for d in data:
        if d.cluster in ends:
            d.source = "" if d.cluster in done else text[d.cluster:ends[d.cluster]]
            done.add(d.cluster)
    return shaped


def _font_runs(word) -> list[list]:
    """A word's fragments in runs to shape on their own: runs of one font (a callback fragment joins the
    run it is in), and in right-to-left text every fragment alone. A right-to-left line reaches
    ReportLab in visual order, a fragment for each direction (leaflet.rtl): shaped together, HarfBuzz
    would set a number and the Arabic letters glued to it right to left as one run, reversing the
    number ("2.5" printed "5.2") and swapping the words on either side of it."""
    texts = [s for f, s in word[1:] if not hasattr(f, "cbDefn")]
    alone = any(_RIGHT_TO_LEFT.search(s) for s in texts)
    runs: list[list] = []
    font = None
    for item in word[1:]:
        f = item[0]
        name = None if hasattr(f, "cbDefn") else f.fontName
        if not runs or (name is not None and font is not None and (alone or name != font)):
            runs.append([])
        runs[-1].append(item)
        font = name or font
    return runs


def _shape_runs(word, runs: list[list], *args, **kwargs):
    """A word set in more than one font ("12،" in Noto Sans against an Arabic word): each font's run
    shaped on its own. ReportLab shapes a whole word with its first fragment's font and then looks each
    glyph number up in the fragment's own font, which printed other glyphs than the text's (a number
    became letters). Drawing needs nothing across runs: each fragment carries its own glyph data."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    items: list = []
    width = 0.0
    changed = False
    for run in runs:
        run_width = sum(stringWidth(s, f.fontName, f.fontSize) for f, s in run if not hasattr(f, "cbDefn"))
        sub = word.__class__([run_width, *run])
        shaped = shape_frag_word(sub, *args, **kwargs)
        changed = changed or shaped is not sub
        width += shaped[0]
        items.extend(shaped[1:])
    if not changed:
        return word
    return ttfonts.makeShapedFragWord(word)([width, *items])


def actual_text(text) -> str | None:
    """The characters a left-to-right shaped text stands for, or None when its glyphs already are
    those characters (nothing to add) or it is right to left (PDF readers put the glyphs of Arabic,
    which has a character for each joined form, in reading order themselves)."""
    parts = []
    for ch, d in zip(text, shape_data(text), strict=False):
        source = getattr(d, "source", None)
        parts.append(ch if source is None else source)  # None: a character added after shaping (a space)
    actual = "".join(parts)
    if actual == text or _RIGHT_TO_LEFT.search(actual):
        return None
    return actual


#: Hebrew, Arabic, Syriac, Thaana, N'Ko and their presentation forms.
_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")

