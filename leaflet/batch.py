"""Build many leaflets at once: medicines x languages x templates x papers, or a job list (mail-merge).

Jobs run in parallel worker processes. Each PDF is written atomically, so an interrupted batch leaves
only complete files, and a manifest (``manifest.json`` in the output folder) records every output with
its checksum and a fingerprint of everything that went into it (content, template, fonts, catalogue,
options, program version). A job whose fingerprint and file are unchanged is not built again, so
running an interrupted batch again finishes it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import time
import warnings
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from . import __version__, content, i18n, templating
from .errors import ContentError, LeafletError, Location, OutputError, display_path
from .fonts import SHIPPED
from .output import write_atomic
from .patient import Patient, load_pharmacy
from .resources import FONTS_DIR
from .translations import TranslationWarning
from .yamlsafe import load_yaml_file

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Job:
    """One leaflet to build."""

    output: str  # file name, relative to the output folder
    medicine: str
    language: str = "en"
    template: str = "standard"
    paper: str = "a4"
    patient: dict[str, Any] = field(default_factory=dict)
    fillable: bool = False


@dataclass
class Result:
    output: str
    status: str  # "built", "unchanged", "failed"
    seconds: float = 0.0
    sha256: str = ""
    bytes: int = 0
    fingerprint: str = ""
    message: str = ""  # the reason for a failure, or a warning (draft translation)
    worker: int = 0  # the process that built it


@dataclass
class Summary:
    results: list[Result]
    seconds: float
    interrupted: bool = False

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


# --- planning ------------------------------------------------------------------------------------

def plan_matrix(medicines: list[str], languages: list[str], templates: list[str], papers: list[str],
                content_dirs: list[Path]) -> list[Job]:
    """Every combination; empty lists mean "all" (every medicine, every language it has, ...)."""
    found = content.available(content.content_roots(content_dirs))
    jobs = []
    for medicine in medicines or list(found):
        if medicine not in found:
            content.locate(medicine, "en", content.content_roots(content_dirs))  # raises, listing what exists
        for language in languages or found[medicine]:
            for template in templates or templating.shipped_templates():
                for paper in papers or ["a4", "letter"]:
                    name = Path(template).name
                    job = Job(f"{medicine}-{language}-{name}-{paper}.pdf", medicine, language, template, paper)
                    if job in jobs:
                        continue  # the same combination asked for twice
                    if any(other.output == job.output for other in jobs):
                        raise LeafletError(f"two templates would write the same file '{job.output}'",
                                           hint="give the template folders different names")
                    jobs.append(job)
    return jobs


JOB_FIELDS = {"output", "medicine", "language", "template", "paper", "fillable"}
PATIENT_FIELDS = {"name", "prescriber", "pharmacy", "date_dispensed", "directions", "notes"}
DIRECTION_FIELDS = {"dose", "unit", "route", "frequency", "every_hours", "as_needed", "days",
                    "max_doses_per_day"}


def plan_jobs_file(path: Path) -> list[Job]:
    """Per-patient jobs from a CSV file (one row a leaflet) or a YAML file (a list of jobs)."""
    if path.suffix.lower() == ".csv":
        rows = _read_csv(path)
    else:
        loaded = load_yaml_file(path, what="job file", text_scalars=True)
        data = loaded.data.get("jobs") if isinstance(loaded.data, dict) else loaded.data
        if not isinstance(data, list):
            raise ContentError("a job file holds a list of jobs (or 'jobs:' with a list)",
                               where=Location(loaded.file, 1))
        rows = [(loaded.locate((i,)) if not isinstance(loaded.data, dict) else loaded.locate(("jobs", i)), row)
                for i, row in enumerate(data)]
    if not rows:
        raise ContentError("the job file has no jobs", where=Location(display_path(path)),
                           hint="one row (CSV) or entry (YAML) per leaflet")
    jobs, outputs = [], set()
    for where, row in rows:
        if not isinstance(row, dict):
            raise ContentError("each job must be a mapping of fields", where=where)
        job = _job(row, where)
        if job.output in outputs:
            raise ContentError(f"two jobs write the same file '{job.output}'", where=where,
                               hint="give each job its own 'output'")
        outputs.add(job.output)
        jobs.append(job)
    return jobs


def _read_csv(path: Path) -> list[tuple[Location, dict]]:
    shown = display_path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            rows = []
            for row in reader:
                clean = {k.strip(): v.strip() for k, v in row.items() if k and v is not None and v.strip()}
                rows.append((Location(shown, reader.line_num), clean))
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ContentError(f"cannot read the job file: {exc}", where=Location(shown)) from None


def _job(row: dict, where: Location) -> Job:
    unknown = set(row) - JOB_FIELDS - PATIENT_FIELDS - DIRECTION_FIELDS - {"patient"}
    if unknown:
        raise ContentError("unknown column(s): " + ", ".join(sorted(unknown)), where=where,
                           hint="columns: " + ", ".join(sorted(JOB_FIELDS | PATIENT_FIELDS | DIRECTION_FIELDS)))
    for needed in ("output", "medicine"):
        if not row.get(needed):
            raise ContentError(f"missing '{needed}'", where=where)
    output = str(row["output"])
    if Path(output).name != output or not output.endswith(".pdf"):
        raise ContentError(f"output '{output}' must be a plain file name ending in .pdf", where=where)
    if row.get("patient") is not None and not isinstance(row["patient"], dict):
        raise ContentError("'patient' must be a mapping of patient fields (name, notes, ...)", where=where)
    patient = dict(row.get("patient") or {})
    patient.update({k: row[k] for k in PATIENT_FIELDS if k in row})
    structured = {k: row[k] for k in DIRECTION_FIELDS if k in row}
    if structured:
        patient["directions"] = structured
    try:
        Patient.model_validate(patient)
    except Exception as exc:  # pydantic's message, shortened to its first line
        first = str(exc).splitlines()[1:3]
        raise ContentError("invalid patient data: " + " ".join(s.strip() for s in first), where=where) from None
    fillable = str(row.get("fillable", "")).lower() in ("1", "true", "yes")
    return Job(output, str(row["medicine"]), str(row.get("language", "en")), str(row.get("template", "standard")),
               str(row.get("paper", "a4")), patient, fillable)


# --- fingerprints --------------------------------------------------------------------------------

def _hash_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.name).encode())
        digest.update(_file_digest(path, path.stat().st_mtime_ns, path.stat().st_size).encode())
    return digest.hexdigest()


@cache
def _file_digest(path: Path, _mtime: int, _size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(job: Job, content_dirs: list[Path], pharmacy: Path | None) -> str:
    """A digest of everything that decides the job's bytes."""
    roots = content.content_roots(content_dirs)
    source = content.locate(job.medicine, job.language, roots)
    inputs = [source]
    leaflet = content.load(source).leaflet
    if leaflet.translation is not None:  # its review status depends on the source's version
        inputs.append(source.parent / f"{leaflet.translation.source_language}.yaml")
    tpl = templating.load_template(job.template)
    for folder in tpl.folders:
        inputs += [p for p in folder.rglob("*") if p.is_file()]
    catalogue = i18n.catalogue_path(job.language)
    if catalogue.is_file():
        inputs.append(catalogue)
    if pharmacy is not None:
        inputs.append(pharmacy)
        logo = (load_yaml_file(pharmacy).data or {}).get("logo") if pharmacy.is_file() else None
        if logo and (pharmacy.parent / logo).is_file():
            inputs.append(pharmacy.parent / logo)
    options = json.dumps({**asdict(job), "versions": _versions()}, sort_keys=True, default=str)
    digest = hashlib.sha256(options.encode())
    digest.update(_hash_files([p for p in inputs if p.is_file()]).encode())
    digest.update(_fonts_digest().encode())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    """leaflet's version and those of the libraries that decide a PDF's bytes."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"leaflet": __version__}
    for name in ("reportlab", "uharfbuzz", "python-bidi", "Babel", "Jinja2"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "-"
    return out


@lru_cache(maxsize=1)
def _fonts_digest() -> str:
    return _hash_files([FONTS_DIR / f for faces in SHIPPED.values() for f in set(faces.values())])


# --- running -------------------------------------------------------------------------------------

_WORKER_CONTEXT: dict[str, Any] = {}


def _init_worker(context: dict[str, Any]) -> None:
    _WORKER_CONTEXT.update(context)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt means


def _build_one(job: Job, outdir: str, fp: str) -> Result:
    from .pipeline import build_pdf

    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", TranslationWarning)
            data = build_pdf(job.medicine, language=job.language, template=job.template, paper=job.paper,
                             patient=job.patient or None, pharmacy=_WORKER_CONTEXT.get("pharmacy"),
                             fillable=job.fillable, content_dirs=_WORKER_CONTEXT.get("content_dirs"))
        write_atomic(Path(outdir) / job.output, data)
    except LeafletError as exc:
        return Result(job.output, "failed", time.perf_counter() - start, message=exc.format())
    except Exception as exc:  # a bug: report it as this job's failure, keep going
        return Result(job.output, "failed", time.perf_counter() - start,
                      message=f"internal error: {type(exc).__name__}: {exc}")
    note = "; ".join(str(w.message) for w in caught)
    return Result(job.output, "built", time.perf_counter() - start, hashlib.sha256(data).hexdigest(),
                  len(data), fp, note, os.getpid())


def load_manifest(outdir: Path) -> dict[str, dict]:
    try:
        data = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
        return {entry["output"]: entry for entry in data.get("outputs", []) if isinstance(entry, dict)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # none, or not ours: start afresh
        return {}


def write_manifest(outdir: Path, entries: dict[str, dict]) -> None:
    body = {"leaflet": __version__, "outputs": [entries[k] for k in sorted(entries)]}
    write_atomic(outdir / MANIFEST, (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def run(jobs: list[Job], outdir: Path, *, workers: int | None = None, force: bool = False,
        content_dirs: list[Path] | None = None, pharmacy: Path | None = None,
        progress: Callable[[Result, int, int], None] | None = None) -> Summary:
    """Build ``jobs`` into ``outdir``; see the module docstring. Never raises for one job's failure."""
    start = time.perf_counter()
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder: {exc.strerror}",
                          where=Location(display_path(outdir))) from None
    for pattern in (".*.pdf.*.part", f".{MANIFEST}.*.part"):  # left by a batch that was killed outright
        for stale in outdir.glob(pattern):
            stale.unlink(missing_ok=True)
    if pharmacy is not None:
        load_pharmacy(pharmacy)  # a mistake in it is the user's, reported once, before any work
    manifest = load_manifest(outdir)
    results: list[Result] = []
    todo: list[tuple[Job, str]] = []
    for job in jobs:
        try:
            fp = fingerprint(job, content_dirs or [], pharmacy)
        except LeafletError as exc:
            results.append(Result(job.output, "failed", message=exc.format()))
            continue
        entry = manifest.get(job.output)
        target = outdir / job.output
        if (not force and entry and entry.get("fingerprint") == fp and target.is_file()
                and _file_digest(target, target.stat().st_mtime_ns, target.stat().st_size) == entry.get("sha256")):
            results.append(Result(job.output, "unchanged", sha256=entry["sha256"], bytes=entry.get("bytes", 0),
                                  fingerprint=fp))
        else:
            todo.append((job, fp))
    for r in results:
        if progress:
            progress(r, len(results), len(jobs))
    interrupted = False
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    context = {"pharmacy": pharmacy, "content_dirs": content_dirs or []}
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        if workers == 1:
            _init_worker_inline(context)
            for job, fp in todo:
                results.append(_build_one(job, str(outdir), fp))
                _record(results[-1], job, manifest, progress, len(results), len(jobs))
        else:
            with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(context,)) as pool:
                submitted: dict[Future, Job] = {pool.submit(_build_one, job, str(outdir), fp): job
                                                for job, fp in todo}
                pending: set[Future] = set(submitted)
                try:
                    while pending:
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        for future in done:
                            results.append(future.result())
                            _record(results[-1], submitted[future], manifest, progress, len(results), len(jobs))
                except KeyboardInterrupt:
                    interrupted = True
                    for future in pending:
                        future.cancel()
                    pool.shutdown(wait=True, cancel_futures=True)
                    for future in pending:  # finished while we were stopping: they are complete, list them
                        if future.done() and not future.cancelled() and future.exception() is None:
                            results.append(future.result())
                            _record(results[-1], submitted[future], manifest, None, len(results), len(jobs))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        signal.signal(signal.SIGTERM, previous)
        write_manifest(outdir, manifest)
    return Summary(results, time.perf_counter() - start, interrupted)


def _init_worker_inline(context: dict[str, Any]) -> None:
    _WORKER_CONTEXT.update(context)


def _raise_interrupt(signum, frame):  # SIGTERM behaves like Ctrl-C: finish the manifest, then stop
    raise KeyboardInterrupt


def _record(result: Result, job: Job, manifest: dict[str, dict], progress, done: int, total: int) -> None:
    if result.status == "built":
        patient = json.dumps(job.patient, sort_keys=True, default=str).encode()
        manifest[result.output] = {
            "output": result.output, "sha256": result.sha256, "bytes": result.bytes,
            "fingerprint": result.fingerprint,
            "inputs": {"medicine": job.medicine, "language": job.language, "template": job.template,
                       "paper": job.paper, "fillable": job.fillable,
                       "patient_sha256": hashlib.sha256(patient).hexdigest() if job.patient else None,
                       "leaflet": __version__},
        }
    elif result.status == "failed":
        manifest.pop(result.output, None)
    if progress:
        progress(result, done, total)
