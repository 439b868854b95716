"""Leaflet against peers, measured side by side in one run (issue 14): Typst and a ReportLab canvas floor.

Run with ``python benchmarks/peer.py [--runs N]`` after ``pip install -e '.[bench]'`` (Typst, PyPI
``typst``). Not a test: the numbers depend on the machine and its load; the ratios, measured in one run,
are what to compare. The Typst document is made at run time from the same content file
(``content/diazepam/en.yaml``: title, most important box, sections, paragraphs, lists, boxes) in the same
font (the Noto Sans that leaflet ships), with a patient's name and notes passed as ``sys.inputs``, so a
"new patient" is a recompile with other inputs, as in leaflet. The canvas floor draws the leaflet's own
lines, already broken, at their own positions: what is left when nothing is laid out.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import leaflet  # noqa: E402
from leaflet import content, inline  # noqa: E402
from leaflet.patient import Patient  # noqa: E402

FONTS = ROOT / "leaflet" / "fonts"
NOTES = "Take it at bedtime. We will review it at your appointment in two weeks."


def _typ(text: str) -> str:
    """Text as Typst markup: its special characters escaped."""
    out = []
    for ch in inline.plain(text):
        out.append("\\" + ch if ch in "\\#*_`$<>@[]~=-+/" else ch)
    return "".join(out)


def _blocks(blocks) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if not isinstance(b, str) and getattr(b, "text", None) is not None and not getattr(b, "bullets", None):
            b = b.text  # a paragraph marked with the forms it applies to
        if isinstance(b, str):
            out.append(_typ(b) + "\n")
        elif getattr(b, "bullets", None):
            if b.intro:
                out.append(_typ(b.intro) + "\n")
            for item in b.bullets:
                if not isinstance(item, str) and not getattr(item, "bullets", None):
                    item = item.text  # an item marked with its forms
                if isinstance(item, str):
                    out.append(f"- {_typ(item)}")
                else:
                    out.append(f"- {_typ(item.text)}")
                    out.extend(f"  - {_typ(s)}" for s in item.bullets)
            out.append("")
        elif getattr(b, "heading", None):
            out.append(f"=== {_typ(b.heading)}\n")
        elif getattr(b, "warning", None):
            inner = "\n".join(_blocks(b.warning.blocks))
            out.append(f"#block(stroke: 1.5pt, inset: 6pt, width: 100%)[*{_typ(b.warning.title)}*\n\n{inner}]\n")
        elif getattr(b, "side_effects", None):
            for g in b.side_effects.groups:
                out.append(f"*{_typ(g.label)}*\n")
                out.extend(f"- {_typ(i if isinstance(i, str) else i.text)}" for i in g.items)
                out.append("")
    return out


def typst_source() -> tuple[str, int]:
    """The diazepam leaflet as a Typst document, and its word count."""
    leaf = content.load(ROOT / "content" / "diazepam" / "en.yaml").leaflet
    lines = ['#set page(paper: "a4", margin: 17mm)', '#set text(font: "Noto Sans", size: 10pt)',
             "#set par(leading: 0.5em)",
             f"= {_typ(leaf.medicine.name)}\n",
             '#block(stroke: 1pt, inset: 6pt, width: 100%)[*Patient:* #sys.inputs.at("name", default: "")'
             ' \\ *Notes:* #sys.inputs.at("notes", default: "")]\n',
             f"#block(stroke: 2pt, inset: 6pt, width: 100%)[*{_typ(leaf.important.title)}*\n\n"
             + "\n".join(_blocks(leaf.important.blocks)) + "]\n"]
    for s in leaf.sections:
        lines.append(f"== {_typ(s.title)}\n")
        lines.extend(_blocks(s.blocks))
        for sub in s.subsections:
            lines.append(f"=== {_typ(sub.title)}\n")
            lines.extend(_blocks(sub.blocks))
    text = "\n".join(lines)
    return text, len(text.split())


def median_ms(fn, runs: int) -> float:
    times = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def process_ms(argv: list[str], runs: int, cwd: Path, env: dict | None = None) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd=cwd, env=env)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def import_ms(python: str, module: str, runs: int) -> float:
    """The median time ``import module`` takes in a new process, timed inside it."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = [float(subprocess.run([python, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
                   .stdout) * 1000 for _ in range(runs)]
    return statistics.median(times)


def canvas_floor(pdf: bytes):
    """A function drawing ``pdf``'s text lines, pre-broken, at their places with a ReportLab canvas."""
    import pypdfium2 as pdfium
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas

    pdfmetrics.registerFont(TTFont("PeerNotoSans", str(FONTS / "NotoSans-Regular.ttf")))
    pages = []
    for page in pdfium.PdfDocument(pdf):
        text = page.get_textpage()
        lines = []
        for i in range(text.count_rects()):
            x0, y0, x1, y1 = text.get_rect(i)
            lines.append((x0, y0, text.get_text_bounded(x0, y0, x1, y1)))
        pages.append(lines)

    def draw(i: int) -> bytes:
        out = io.BytesIO()
        canvas = Canvas(out, pagesize=(595.28, 841.89), invariant=1)
        for n, lines in enumerate(pages):
            canvas.setFont("PeerNotoSans", 10)
            if n == 0:
                canvas.drawString(48, 800, f"Patient {i}")
            for x, y, line in lines:
                canvas.drawString(x, y, line)
            canvas.showPage()
        canvas.save()
        return out.getvalue()
    return draw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="warm runs per case (default 20)")
    parser.add_argument("--cold-runs", type=int, default=5, help="whole-process runs (default 5)")
    args = parser.parse_args()
    try:
        import typst
    except ImportError:
        sys.exit("benchmarks/peer.py needs Typst: pip install -e '.[bench]'")
    warnings.simplefilter("ignore")  # draft translations warn
    python = sys.executable
    cache_setting = os.environ.get("LEAFLET_CACHE_DIR")
    source, _ = typst_source()
    rows: list[tuple[str, float, str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        typ = Path(tmp) / "diazepam.typ"
        typ.write_text(source)
        fonts = [str(FONTS)]
        import pypdfium2 as pdfium

        def pages_and_words(pdf: bytes) -> tuple[int, int]:
            document = pdfium.PdfDocument(pdf)
            return len(document), sum(len(p.get_textpage().get_text_range().split()) for p in document)
        peer_pages, peer_words = pages_and_words(typst.compile(str(typ), font_paths=fonts, ignore_system_fonts=True))
        our_pages, our_words = pages_and_words(leaflet.build_pdf("diazepam"))

        # whole processes; the first leaves the on-disk cache (compiled templates, the leaflet it wrote)
        build_command = [python, "-m", "leaflet", "build", "diazepam", "-o", str(Path(tmp) / "c.pdf")]
        subprocess.run(build_command, check=True, capture_output=True, cwd=ROOT)
        cold_leaflet = process_ms(build_command, args.cold_runs, ROOT)
        no_cache = dict(os.environ, LEAFLET_CACHE_DIR="off")
        cold_uncached = process_ms(build_command, args.cold_runs, ROOT, env=no_cache)
        cold_typst = process_ms([python, "-c", "import sys, typst; open(sys.argv[2], 'wb').write(typst.compile("
                                 "sys.argv[1], font_paths=[sys.argv[3]], ignore_system_fonts=True))",
                                 str(typ), str(Path(tmp) / "t.pdf"), str(FONTS)], args.cold_runs, ROOT)
        # a person's data is never kept (leaflet.buildcache): this one is built, in a process that records
        patient_command = [*build_command, "--patient", str(ROOT / "examples" / "patient.yaml")]
        cold_patient = process_ms(patient_command, args.cold_runs, ROOT)
        rows.append(("cold `leaflet build diazepam`, unchanged since the last build (kept)", cold_leaflet,
                     "Python process running typst.compile", cold_typst))
        rows.append(("cold `leaflet build diazepam --patient FILE` (built; templates kept)", cold_patient,
                     "Python process running typst.compile", cold_typst))
        rows.append(("cold `leaflet build diazepam`, no on-disk cache (LEAFLET_CACHE_DIR=off)", cold_uncached,
                     "Python process running typst.compile", cold_typst))
        import_leaflet = import_ms(python, "leaflet.cli", args.cold_runs)
        import_typst = import_ms(python, "typst", args.cold_runs)
        rows.append(("`import leaflet.cli` (timed in a new process)", import_leaflet, "`import typst`",
                     import_typst))

        # in one process
        leaflet.build_pdf("diazepam", patient=Patient(name="Warm Up", notes=NOTES))
        warm_leaflet = median_ms(lambda i: leaflet.build_pdf(
            "diazepam", patient=Patient(name=f"Patient {i}", notes=NOTES)), args.runs)
        compiler = typst.Compiler(str(typ), font_paths=fonts, ignore_system_fonts=True)
        compiler.compile(sys_inputs={"name": "Warm Up", "notes": NOTES})
        warm_typst = median_ms(lambda i: compiler.compile(sys_inputs={"name": f"Patient {i}", "notes": NOTES}),
                               args.runs)
        rows.append(("warm, new patient + notes", warm_leaflet, "Typst, reused compiler", warm_typst))
        floor = canvas_floor(leaflet.build_pdf("diazepam", patient=Patient(name="Floor", notes=NOTES)))
        floor(0)
        floor_ms = median_ms(floor, args.runs)
        rows.append(("warm, new patient + notes", warm_leaflet, "ReportLab canvas floor (pre-broken lines)",
                     floor_ms))

        def fresh(i: int) -> None:
            leaflet.clear_caches()
            leaflet.build_pdf("diazepam", patient=Patient(name=f"Patient {i}", notes=NOTES))
        fresh_leaflet = median_ms(fresh, max(5, args.runs // 2))
        os.environ["LEAFLET_CACHE_DIR"] = "off"  # read when a template is loaded: after clear_caches
        try:
            fresh_uncached = median_ms(fresh, max(5, args.runs // 2))
        finally:
            if cache_setting is None:
                del os.environ["LEAFLET_CACHE_DIR"]
            else:
                os.environ["LEAFLET_CACHE_DIR"] = cache_setting
        fresh_typst = median_ms(lambda i: typst.compile(str(typ), font_paths=fonts, ignore_system_fonts=True,
                                                        sys_inputs={"name": f"Patient {i}"}), max(5, args.runs // 2))
        rows.append(("fresh (caches cleared), new patient", fresh_leaflet, "typst.compile (new compiler)",
                     fresh_typst))
        rows.append(("the same, no on-disk cache", fresh_uncached, "typst.compile (new compiler)", fresh_typst))
        leaflet.build_pdf("diazepam", language="ar", patient=Patient(name="Warm Up", notes="ملاحظة"))
        arabic = median_ms(lambda i: leaflet.build_pdf(
            "diazepam", language="ar", patient=Patient(name=f"مريض {i}", notes="تناوله قبل النوم.")), args.runs)
        rows.append(("Arabic + new patient", arabic, "English + new patient (leaflet)", warm_leaflet))

        def batch(jobs: int) -> float:
            out = Path(tmp) / f"batch-{jobs}"
            start = time.perf_counter()
            subprocess.run([python, "-m", "leaflet", "batch", "--medicine", "diazepam", "-o", str(out),
                            "-j", str(jobs)], check=True, capture_output=True, cwd=ROOT)
            return time.perf_counter() - start
        count = 0
        one, two = batch(1), batch(2)
        count = len(list((Path(tmp) / "batch-2").rglob("*.pdf")))
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print(f"peer: Typst {getattr(typst, '__version__', '')}, {peer_words} printed words on {peer_pages} A4 pages; "
          f"leaflet: {our_words} words on {our_pages} pages (with its panel, contents and sources); "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'leaflet':<52} {'ms':>8}   {'peer':<44} {'ms':>8} {'ratio':>7}")
    for name, ours, peer_name, theirs in rows:
        print(f"{name:<52} {ours:8.1f}   {peer_name:<44} {theirs:8.1f} {ours / theirs:6.2f}x")
    print(f"batch, whole command, {count} leaflets: -j 1 {one:.1f} s ({count / one:.1f}/s), "
          f"-j 2 {two:.1f} s ({count / two:.1f}/s): -j 2 / -j 1 = {one / two:.2f}x")
    print(f"largest peak RSS of any process this benchmark started (a batch worker or a command): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
