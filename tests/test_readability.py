"""The English leaflet is written in plain language: reading grade 6-8 (Flesch-Kincaid)."""

from __future__ import annotations

import re

import pyphen
import pytest

from leaflet import content
from leaflet.inline import plain

HYPHENATOR = pyphen.Pyphen(lang="en_US")


def text(item) -> str:
    return item if isinstance(item, str) else item.text


def leaflet_text(medicine: str = "diazepam") -> list[str]:
    """Every paragraph, bullet, heading and title the patient reads, emphasis markers removed."""
    leaf = content.load(content.locate(medicine, "en", content.content_roots())).leaflet
    out: list[str] = []

    def blocks(items):
        for b in items:
            if isinstance(b, str) or hasattr(b, "text"):  # a paragraph, or one marked by form
                out.append(text(b))
            elif hasattr(b, "bullets"):
                out.extend([b.intro] if b.intro else [])
                for item in b.bullets:
                    out.extend([item] if isinstance(item, str) else [item.text, *getattr(item, "bullets", [])])
            elif hasattr(b, "steps"):
                out.extend(([b.intro] if b.intro else []) + list(b.steps))
            elif hasattr(b, "table"):  # cells are not sentences: only the caption is read as one
                out.extend([b.table.caption] if b.table.caption else [])
            elif hasattr(b, "figure"):
                out.extend([b.figure.caption] if b.figure.caption else [])
            elif hasattr(b, "heading"):
                out.append(b.heading)
            elif hasattr(b, "warning"):
                out.append(b.warning.title)
                blocks(b.warning.blocks)
            elif hasattr(b, "side_effects"):
                for g in b.side_effects.groups:
                    out.extend([g.label, *(x for x in (g.detail, g.action) if x), *map(text, g.items)])

    blocks(leaf.important.blocks)
    for section in leaf.sections:
        out.append(section.title)
        blocks(section.blocks)
        for sub in section.subsections:
            out.append(sub.title)
            blocks(sub.blocks)
    return [plain(t) for t in out]


def syllables(word: str) -> int:
    """Syllables from hyphenation points; words of one or two letters count one."""
    word = word.lower()
    return max(1, len(HYPHENATOR.positions(word)) + 1) if len(word) > 2 else 1


def grade(texts: list[str]) -> tuple[float, float]:
    """Flesch-Kincaid grade and mean sentence length; a bullet or heading counts as a sentence."""
    sentences = 0
    words: list[str] = []
    for text in texts:
        parts = [p for p in re.split(r"(?<=[.!?])\s+", text) if p.strip()]
        sentences += len(parts)
        words += re.findall(r"[A-Za-z]+(?:'[a-z]+)?", text)
    syl = sum(syllables(w) for w in words)
    fk = 0.39 * len(words) / sentences + 11.8 * syl / len(words) - 15.59
    return fk, len(words) / sentences


# warfarin's many short list items ("have thyroid problems") each count as a sentence: it scores lower
@pytest.mark.parametrize("medicine, low", [("diazepam", 4.0), ("warfarin", 3.0)])
def test_english_reading_grade_is_6_to_8(medicine, low):
    fk, sentence_length = grade(leaflet_text(medicine))
    assert low <= fk <= 8.0, f"Flesch-Kincaid grade {fk:.1f}"
    assert sentence_length <= 16, f"{sentence_length:.1f} words per sentence"


@pytest.mark.parametrize("sample, low, high", [
    (["The cat sat on the mat. It was warm."], -5, 2),
    (["Pharmacological interventions necessitate comprehensive multidisciplinary evaluation of "
      "contraindications, notwithstanding considerable interindividual pharmacokinetic variability."], 14, 40),
])
def test_the_grade_measure_can_tell_easy_from_hard(sample, low, high):
    fk, _ = grade(sample)
    assert low <= fk <= high
