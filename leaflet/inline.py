"""The content authors' inline emphasis: ``**bold**`` and ``*italic*``, and nothing else.

Everything that is not one of those two markers is text: ``<``, ``>`` and ``&`` are escaped here, so
a tag typed into content is printed, never interpreted. ``\\*`` is a literal asterisk.
"""

from __future__ import annotations

import re

from .xmltext import escape

_STAR = "\x00"  # placeholder for an escaped asterisk while parsing


def to_markup(text: str) -> str:
    """Text with emphasis markers -> escaped leaflet markup with ``<b>`` and ``<i>``.

    Unmatched markers are kept as literal asterisks.
    """
    text = text.replace("\\*", _STAR)
    out: list[str] = []
    pos = 0
    for match in re.finditer(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", text):
        out.append(_italic(text[pos:match.start()]))
        out.append("<b>" + _italic(match.group(1)) + "</b>")
        pos = match.end()
    out.append(_italic(text[pos:]))
    return bind_numbers("".join(out).replace(_STAR, "*"))


#: A space after a digit and before a word: where a line must not break ("5 mL", "24 hours").
_NUMBER_SPACE = re.compile(r"(?<!\w)([0-9]+(?:[.,][0-9]+)*) (?=[^\W\d_]|%)")
#: The same after a number a Latin word runs into, as imported text has it ("Almus20 mg", "a2 cm": its
#: spaces lost between the source's pieces), before a unit only: before any word, "word0007 word0008 ..."
#: was one unbreakable run, cut at the frame's edge (a test caught it). Not after another script's word
#: (an Arabic letter before a number stays as it was: a no-break space is a bidi separator).
_RUN_INTO_UNIT = re.compile(r"(?<=[a-zA-Z\u00c0-\u024f])([0-9]+(?:[.,][0-9]+)*) (?=(?:mg|g|kg|µg|μg|mcg|ng|ml|mL|l|L|"
                            r"cm|mm|UI|IU|%|mmol|años|meses|semanas|días|horas|years|months|weeks|days|hours)(?!\w))")


#: A telephone number written in groups ("91 562 04 20", "+39 06 361911", "(+49 (0) 89 4561 0)").
_PHONE = re.compile(r"(?<![\w.,/])\(?\+?\d{1,4}\)?(?: \(?\d{1,8}\)?){2,6}(?!\w|[.,/]\d)")


def bind_numbers(text: str) -> str:
    """``text`` with the space between a number and the word after it made a no-break space, so a
    number and its unit ("5 mL", "24 hours", "2 mg") never end up on two lines; and a telephone
    number's groups tied too (one with a "+", or of seven digits or more: "91 562 04 20" was broken
    across lines, review finding), so it is read and dialled whole."""
    return _RUN_INTO_UNIT.sub("\\1\u00a0", _NUMBER_SPACE.sub("\\1\u00a0", _PHONE.sub(_phone, text)))


def _phone(match: re.Match) -> str:
    number = match.group(0)
    # (at most 24 characters: a longer run of numbers is not a telephone number, and tied it could be too
    # long for a line in large print)
    if len(number) <= 24 and ("+" in number or sum(ch.isdigit() for ch in number) >= 7):
        return number.replace(" ", "\u00a0")
    return number


def _italic(segment: str) -> str:
    out: list[str] = []
    pos = 0
    for match in re.finditer(r"(?<!\*)\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?!\*)", segment):
        out.append(escape(segment[pos:match.start()]))
        out.append("<i>" + escape(match.group(1)) + "</i>")
        pos = match.end()
    out.append(escape(segment[pos:]))
    return "".join(out)


def introduces(text: str) -> bool:
    """Whether a text ends with a colon (":" or the full-width "\uff1a"): it introduces what follows it
    (a list's intro, "La dosis recomendada es:"). The template's ``is introducing`` test and the layout's
    keeping rules all ask this."""
    return text.rstrip().endswith((":", "\uff1a"))


def plain(text: str) -> str:
    """Text with the emphasis markers removed (for outlines, metadata and readability checks)."""
    text = text.replace("\\*", _STAR)
    text = re.sub(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", r"\1", text)
    text = re.sub(r"(?<!\*)\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?!\*)", r"\1", text)
    return text.replace(_STAR, "*")


#: A medicine's name up to and with its first strength: "Simvastatina ALMUS 20 mg" of "... 20 mg
#: comprimidos recubiertos con película EFG", "Recto Menaderm 0,125 mg/g" of "... pomada rectal".
_UP_TO_STRENGTH = re.compile(
    r"^(.*?(?<![\w.,])\d+(?:[.,]\d+)?\s*(?:mg|g|µg|μg|mcg|microgramos?|micrograms?|ng|ml|mL|l|L|%|UI|IU|U|mmol)"
    r"(?:\s*/\s*(?:\d+(?:[.,]\d+)?\s*)?(?:mg|g|ml|mL|l|L|dosis|dose|h|hours?|horas?))?)(?![\w])")
#: What a strength may go on with, so that cutting after it would change it: a qualifier ("per dose",
#: "w/v", "en 5 ml") or another strength (any digit: "25 microgramos/250 microgramos", "0.25 mg, 0.5 mg").
_GOES_ON = re.compile(r"\d|^\s*(?:[/+,(&x×-]|w/|v/|per\b|por\b|pro\b|par\b|pour\b|je\b|in\b|en\b|de\b|di\b|of\b"
                      r"|and\b|y\b|und\b|et\b|e\b|i\b|units?\b|unidades\b)", re.IGNORECASE)


def up_to_strength(name: str) -> str:
    """A medicine's name up to and with its strength, for a running footer that must fit one line: the
    form after it left out ("comprimidos recubiertos con película"), never anything that is part of the
    strength; a name whose strength goes on after the first one (a combination, "25 microgramos/250
    microgramos/inhalación", several strengths, a qualifier such as "per dose" or "w/v"), or that has no
    strength, whole."""
    match = _UP_TO_STRENGTH.match(name)
    if match is None or _GOES_ON.search(name[match.end():]):
        return name
    return match.group(1)
