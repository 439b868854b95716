"""Builds in threads: any number may run at once and each gives the bytes a lone build gives."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import leaflet
from leaflet.translations import TranslationWarning

from .conftest import EXAMPLES, ROOT

NOTES = "Review in 2 weeks.\n两周后复查 (12 mg)。"
NOTES_HI = NOTES + "\nदो सप्ताह में।"  # Devanagari only where it is shaped
NOTES_AR = NOTES_HI + "\nمراجعة بعد أسبوعين (12 mg)."  # right-to-left text only where it can be laid out
CASES = [{"language": lang, **extra}
         for lang in ("en", "ar", "hi", "zh-Hans")
         for extra in ({}, {"patient": str(EXAMPLES / "patient.yaml"), "pharmacy": str(EXAMPLES / "pharmacy.yaml"),
                            "notes": {"ar": NOTES_AR, "hi": NOTES_HI}.get(lang, NOTES)})]


def _build(case: dict) -> str:
    from pathlib import Path

    options = {k: Path(v) if k in ("patient", "pharmacy") else v for k, v in case.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranslationWarning)
        return hashlib.sha256(leaflet.build_pdf("diazepam", **options)).hexdigest()


def _alone() -> list[str]:
    """Each case built one at a time, in a fresh process."""
    code = ("import json, sys; sys.path.insert(0, 'tests'); "
            "from tests.test_concurrency import CASES, _build; print(json.dumps([_build(c) for c in CASES]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout)


def test_builds_in_eight_threads_give_the_bytes_of_lone_builds_in_a_fresh_process():
    """8 threads x 6 builds of English, Arabic, Hindi and Chinese leaflets, blank and with a patient,
    pharmacy and notes, starting from empty caches: every PDF is byte-identical to the same build made
    alone in a fresh process."""
    expected = _alone()
    leaflet.clear_caches()  # the threads fill the caches together
    start = threading.Barrier(8)

    def worker(n: int) -> list[tuple[int, str]]:
        start.wait()
        out = []
        for k in range(6):
            index = (n + k * 3) % len(CASES)  # each thread its own mix, all cases at once
            try:
                out.append((index, _build(CASES[index])))
            except Exception as exc:  # noqa: BLE001 - reported below with the case
                out.append((index, repr(exc)))
        return out

    # warnings.catch_warnings (in _build) is not thread-safe: one thread leaving it restores the filters
    # another saved, which can drop that thread's "ignore" (and the draft-translation warning is then an
    # error); the same filter set here, around all threads, is in every state they restore
    with warnings.catch_warnings(), ThreadPoolExecutor(8) as pool:
        warnings.simplefilter("ignore", TranslationWarning)
        results = [r for rs in pool.map(worker, range(8)) for r in rs]
    assert len(results) == 48 and {i for i, _ in results} == set(range(len(CASES)))
    wrong = [(CASES[i]["language"], "patient" in CASES[i], got[:120]) for i, got in results if got != expected[i]]
    assert wrong == []


def test_font_subsets_are_made_one_at_a_time():
    """ReportLab reads a font face through one shared position (seek, then read), so two threads making
    subsets of one face at once read each other's glyphs; the subset, kept for later builds, then holds
    other glyphs (the eight-thread test above failed about one run in five). leaflet makes one at a time."""
    import time

    from leaflet import rlbridge

    inside = []
    most = []

    class Face:
        filename = "face.ttf"

        def makeSubset(self, subset):  # noqa: N802 - ReportLab's name
            inside.append(1)
            most.append(len(inside))
            time.sleep(0.05)
            inside.pop()
            return bytes(subset)

        def addSubsetObjects(self, doc, fontname, subset):  # noqa: N802
            return None

    class Kept(dict):  # what caches.Memo offers reuse_subsets
        def put(self, key, value):
            self[key] = value
            return value

    face = Face()
    rlbridge.reuse_subsets(face, Kept(), Kept())
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(face.makeSubset, [[1], [2], [3], [4]]))
    assert made == [b"\x01", b"\x02", b"\x03", b"\x04"]
    assert max(most) == 1
