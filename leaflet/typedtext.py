"""Rules for text that people type: nothing in it may reorder or hide what prints.

Names, directions, notes, the pharmacy's details and the content itself are printed as typed. A few
invisible characters would let typed text print something other than what a reader of the source file
sees: bidirectional controls (an override prints "Take 01 mg" as "Take 10 mg" in a right-to-left
leaflet), control characters (a NUL printed as "*"), format characters (soft hyphens, word joiners,
invisible operators, the Arabic number signs), separators that start lines the layout does not know
about, blank "filler" letters, private-use characters (which a shaped font maps to glyphs of its own
choosing), marks stacked on a digit of any script (a stroke through "3" or "٣", a vowel mark between
"12" and "34" that turns the number around), also past a joiner put between them, marks on a point, a
comma or a space beside a number (one on the point of "2.5" splits it, and a right-to-left line prints
"5.2"), and marks that cover what they are drawn on (overlays, enclosing circles). What people type
is checked composed (NFC). leaflet sets the direction of every run of text itself, so none of these is
needed; each is refused, the same way in every language, with a message that names the character and
where it is. Zero-width joiners and non-joiners stay allowed: Devanagari and Arabic spelling uses them.
"""

from __future__ import annotations

import unicodedata

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

#: Characters that reorder text (bidirectional embeddings, overrides, isolates and marks).
BIDI_CONTROLS = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
#: Characters that hide or restructure text without being seen (format characters, category Cf,
#: are refused as a class, but for the joiners below).
INVISIBLE = frozenset([0x2028, 0x2029, 0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, 0xFFFC])
#: Format characters that spelling needs: the zero-width non-joiner and joiner.
JOINERS = frozenset([0x200C, 0x200D])


def problem(text: str, *, single_line: bool = False) -> tuple[int, str] | None:
    """The first character ``text`` may not contain, as (0-based index, reason), or None."""
    if _clean(text, single_line):
        return None
    for index, ch in enumerate(text):
        code = ord(ch)
        if ch == "\n":
            if single_line:
                return index, "a line break (this field is one line)"
            continue
        if ch == "\t":
            continue
        if code in BIDI_CONTROLS:
            return index, "a bidirectional control character, which can reorder what prints"
        category = unicodedata.category(ch)
        if code in INVISIBLE or category in ("Cc", "Cs") or (category == "Cf" and code not in JOINERS):
            return index, "an invisible control or format character"
        if category == "Co":
            return index, "a private-use character, which has no agreed meaning"
        if category in ("Mn", "Mc", "Me"):
            reason = _mark_problem(text, index, category)
            if reason:
                return index, reason
    return None


def _mark_problem(text: str, index: int, category: str) -> str | None:
    """Why the mark at ``index`` may not be there, or None. The character it is drawn on is the one
    before it, past other marks and the joiners (which do not stop a mark from being drawn on what
    comes before). Refused: a mark that covers what it is drawn on (an overlay such as a stroke or a
    slash, or an enclosing circle), on anything; a mark on a digit of any script or another number
    character (superscript two, a fraction, a Roman numeral); and a mark on what is not a letter (a
    point, a comma, a space, nothing) beside a number: "2." + an Arabic vowel mark + "5" splits the
    number in two, which a right-to-left line then prints as "5.2"."""
    base = _skip_marks(text, index, -1)
    if base is not None and unicodedata.category(text[base]).startswith("N"):
        return "a mark on a digit, which can change how the number reads"
    if category == "Me" or unicodedata.combining(text[index]) == 1:
        return "an overlay or enclosing mark, which can hide or change the character under it"
    if _is_variation_selector(ord(text[index])):
        return None  # it picks how its character is drawn (an emoji's colour), and draws nothing itself
    if base is None or not unicodedata.category(text[base]).startswith("L"):
        before = _skip_marks(text, base, -1) if base is not None else None
        after = _skip_marks(text, index, 1)
        if any(at is not None and unicodedata.category(text[at]).startswith("N") for at in (before, after)):
            return "a mark beside a number (on a point, a comma or a space), which can change how the number reads"
    return None


def _is_variation_selector(code: int) -> bool:
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def _skip_marks(text: str, index: int, step: int) -> int | None:
    """The index of the first character from ``index`` (not included) in the direction ``step`` that is
    neither a mark nor a joiner, or None."""
    index += step
    while 0 <= index < len(text):
        ch = text[index]
        if ord(ch) not in JOINERS and unicodedata.category(ch) not in ("Mn", "Mc", "Me"):
            return index
        index += step
    return None


def _clean(text: str, single_line: bool) -> bool:
    """True if :func:`problem` finds nothing in ``text``, found by looking at each of its characters once
    (a content file's texts are parsed for every build and batch: the look at every position was a
    third of parsing one). False means "look closer": a character that is refused anywhere, or a mark
    and a number somewhere (a mark is refused only on a number)."""
    if text.isascii():  # printable ASCII is never refused; of the ASCII controls only these two may stay
        return (text if single_line else text.replace("\n", "")).replace("\t", "").isprintable()
    marks = digits = False
    for ch in set(text):
        if ch == "\n" and not single_line or ch == "\t":
            continue
        code = ord(ch)
        if code in BIDI_CONTROLS or code in INVISIBLE:
            return False
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Co") or (category == "Cf" and code not in JOINERS):
            return False
        if category in ("Mn", "Mc", "Me"):
            if category == "Me" or unicodedata.combining(ch) == 1:  # an overlay or enclosing mark
                return False
            marks = True
        elif category.startswith("N"):  # a digit of any script, "²", "½", "Ⅻ"
            digits = True
    return not (marks and digits)


def needs_shaping(text: str) -> int | None:
    """The index of the first character in ``text`` that prints right only when its text is shaped
    (OpenType: vowel signs reordered, conjuncts formed), or None: a Devanagari letter or sign. (An
    accent on a Latin or Cyrillic letter sits over it unshaped too; other scripts the fonts lack.)"""
    if text.isascii():
        return None
    for index, ch in enumerate(text):
        if "\u0900" <= ch <= "\u097f" or "\ua8e0" <= ch <= "\ua8ff":
            return index
    return None


def right_to_left(text: str) -> int | None:
    """The index of the first right-to-left letter (Arabic, Hebrew, ...) in ``text``, or None."""
    for index, ch in enumerate(text):
        if unicodedata.bidirectional(ch) in ("R", "AL"):
            return index
    return None


def name(ch: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    kinds = {"Co": "private-use character", "Cf": "format character", "Cn": "unassigned character"}
    return f"U+{ord(ch):04X} {unicodedata.name(ch, kinds.get(unicodedata.category(ch), 'control character'))}"


def explain(text: str, *, single_line: bool = False) -> tuple[str, str] | None:
    """The character ``text`` may not contain and what to do, as (description, hint), or None."""
    found = problem(text, single_line=single_line)
    if found is None:
        return None
    index, reason = found
    if text[index] == "\n":
        return f"a line break after character {index}: this field is one line", "write it on one line"
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    where = f"line {line} of the text, character {column}" if "\n" in text else f"character {index + 1}"
    hint = ("delete the character (it may have come with copied text); leaflet sets the direction "
            "and the lines of text itself")
    return f"{name(text[index])} at {where}: {reason}", hint


def composed(text: str) -> str:
    """People's text in Unicode's composed form (NFC), which is the same text (canonically equivalent):
    a letter and an accent typed as two characters (as text copied on a Mac often is, "Zoe" + U+0308)
    become the one accented letter the font draws in place, where a leaflet that does not shape would
    have set the accent beside it. Content is not composed: approved text prints as it was given."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def check(text: str, *, single_line: bool = False) -> str:
    """``text`` with Windows line ends made plain, or a validation error that names the character."""
    text = text.replace("\r\n", "\n")
    found = explain(text, single_line=single_line)
    if found is None:
        return text
    message, hint = found
    raise PydanticCustomError("leaflet", "{message}", {"message": "contains " + message, "hint": hint})


def _one_line(value: str) -> str:
    return check(value, single_line=True)


def _lines(value: str) -> str:
    return check(value)


#: Validators for pydantic string fields, put after their StringConstraints (length and stripping).
OneLine = AfterValidator(_one_line)
Lines = AfterValidator(_lines)
#: The same for what people type (patient, pharmacy and job files, the API), also composed.
TypedLine = AfterValidator(lambda value: _one_line(composed(value)))
TypedLines = AfterValidator(lambda value: _lines(composed(value)))
