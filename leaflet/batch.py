"""Build many leaflets at once: medicines x languages x templates x papers, or a job list (mail-merge).

Jobs run in parallel worker processes. Each PDF is written atomically, so an interrupted batch leaves
only complete files, and a manifest (``manifest.json`` in the output folder) records every output with
its checksum and a fingerprint of everything that went into it (content, template, fonts, catalogue,
options, program version). A job whose fingerprint and file are unchanged is not built again, so
running an interrupted batch again finishes it.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import hashlib
import io
import json
import multiprocessing
import os
import signal
import stat
import sys
import threading
import time
import unicodedata
import warnings
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, caches, content, i18n, templating, typedtext
from .directions import parse_flag
from .errors import ContentError, LeafletError, Location, OutputError, display_path
from .files import read_text_limited
from .fonts import SHIPPED
from .images import logo_path
from .interrupt import Stopping
from .output import write_atomic
from .patient import Patient, load_pharmacy
from .resources import FONTS_DIR
from .translations import TranslationWarning
from .yamlsafe import Loaded, load_yaml_file

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
    line: int = 0  # for a rejected row of a job file: its line
    stale: str = ""  # for a failure: where its previous, now out-of-date output was moved


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
ALL_FIELDS = JOB_FIELDS | PATIENT_FIELDS | DIRECTION_FIELDS
MAX_JOB_FILE = 64 * 1024 * 1024  # bytes: about 300,000 rows


@dataclass
class JobPlan:
    """The jobs of a job file, and the rows that are not jobs (each one a failure with file:line)."""

    jobs: list[Job]
    rejected: list[Result]


def plan_jobs_file(path: Path) -> JobPlan:
    """Per-patient jobs from a CSV file (one row a leaflet) or a YAML file (a list of jobs).

    A mistake in the file as a whole (unreadable, a bad header, not a list) raises :class:`ContentError`.
    A mistake in one row or entry rejects that job only, with its line and the reason; two jobs that
    would write the same file are both rejected (neither can be trusted to be the one meant).
    """
    rows = _read_csv(path) if path.suffix.lower() == ".csv" else _read_yaml_jobs(path)
    if not rows:
        raise ContentError("the job file has no jobs", where=Location(display_path(path)),
                           hint="one row (CSV) or entry (YAML) per leaflet")
    jobs: list[tuple[Location, Job]] = []
    rejected: list[Result] = []
    for where, row in rows:
        try:
            if isinstance(row, _BadRow):
                raise row.error
            if not isinstance(row, dict):
                raise ContentError("each job must be a mapping of fields (output: ..., medicine: ...)",
                                   where=where)
            jobs.append((where, _job(row, where)))
        except ContentError as exc:
            name = row.get("output") if isinstance(row, dict) else row.output if isinstance(row, _BadRow) else None
            name = name if isinstance(name, str) and _plain_pdf_name(name) else ""
            rejected.append(Result(name, "failed", message=exc.format(), line=where.line or 0))
    by_name: dict[str, list[tuple[Location, Job]]] = {}
    for where, job in jobs:  # case-insensitive: a.pdf and A.pdf are one file on many disks
        by_name.setdefault(unicodedata.normalize("NFC", job.output).casefold(), []).append((where, job))
    kept = []
    for where, job in jobs:
        same = by_name[unicodedata.normalize("NFC", job.output).casefold()]
        if len(same) == 1:
            kept.append(job)
            continue
        others = ", ".join(str(w.line) for w, _ in same if w is not where)
        error = ContentError(f"two jobs write the same file '{job.output}' (also line {others}); "
                             "neither is built", where=where, hint="give each job its own 'output'")
        rejected.append(Result(job.output, "failed", message=error.format(), line=where.line or 0))
    rejected.sort(key=lambda r: r.line)
    return JobPlan(kept, rejected)


def _read_yaml_jobs(path: Path) -> list[tuple[Location, Any]]:
    loaded = load_yaml_file(path, what="job file", text_scalars=True)
    nested = isinstance(loaded.data, dict)
    if nested and set(loaded.data) != {"jobs"}:
        extra = sorted(str(k) for k in set(loaded.data) - {"jobs"})
        raise ContentError("a job file holds a list of jobs, or 'jobs:' with a list"
                           + (f" (unknown key(s): {', '.join(extra)})" if extra else ""),
                           where=Location(loaded.file, 1))
    data = loaded.data.get("jobs") if nested else loaded.data
    if data is None:
        return []
    if not isinstance(data, list):
        raise ContentError("a job file holds a list of jobs (or 'jobs:' with a list)",
                           where=Location(loaded.file, 1))
    return [(loaded.locate(("jobs", i) if nested else (i,), ""), row) for i, row in enumerate(data)]


@dataclass
class _BadRow:
    error: ContentError
    output: str | None = None  # what its output column seems to say: yesterday's file must not stay


def _read_csv(path: Path) -> list[tuple[Location, dict | _BadRow]]:
    """Rows as mappings, read strictly: the header names each column once, every row has its fields."""
    shown = display_path(path)
    text = read_text_limited(path, MAX_JOB_FILE, what="job file", encoding="utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[Location, dict | _BadRow]] = []
    header: list[str] | None = None
    line = 1
    while True:
        where = Location(shown, line)
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if header is None:
                raise ContentError(f"the header row cannot be read: {exc}", where=where) from None
            rows.append((where, _BadRow(ContentError(
                f"this row cannot be read as CSV: {exc}", where=where,
                hint="put a field that holds a comma or a quote in double quotes, and double the quotes inside it"))))
            line = reader.line_num + 1
            continue
        line = reader.line_num + 1
        if not fields or all(not f.strip() for f in fields) and len(fields) <= 1:
            continue  # a blank line
        if header is None:
            header = _csv_header(fields, where)
            continue
        if len(fields) != len(header):
            many = "more" if len(fields) > len(header) else "fewer"
            at = header.index("output") if "output" in header else len(fields)
            output = fields[at].strip() if at < len(fields) else None
            rows.append((where, _BadRow(ContentError(
                f"this row has {len(fields)} fields, {many} than the {len(header)} columns of the header",
                where=where, hint="put a field that holds a comma in double quotes; give every column a "
                                  "field (an empty one is fine)"), output)))
            continue
        rows.append((where, {k: v.strip() for k, v in zip(header, fields, strict=True) if v.strip()}))
    if header is None:
        return []
    return rows


def _csv_header(fields: list[str], where: Location) -> list[str]:
    names = [f.strip() for f in fields]
    seen: dict[str, int] = {}
    for number, name in enumerate(names, 1):
        if not name:
            raise ContentError(f"column {number} of the header has no name", where=where,
                               hint="name every column, or remove the empty one")
        if name in seen:
            raise ContentError(f"column '{name}' appears twice in the header (columns {seen[name]} and {number})",
                               where=where, hint="keep one of them: leaflet does not guess which one is meant")
        seen[name] = number
    unknown = sorted(set(names) - ALL_FIELDS)
    if unknown:
        raise ContentError("unknown column(s): " + ", ".join(unknown), where=where,
                           hint="columns: " + ", ".join(sorted(ALL_FIELDS)))
    return names


def _plain_pdf_name(output: str) -> bool:
    return (Path(output).name == output and output.endswith(".pdf") and output not in (".pdf",)
            and not output.startswith(".") and "\\" not in output and "\x00" not in output)


def _job(row: dict, where: Location) -> Job:
    unknown = set(row) - ALL_FIELDS - {"patient"}
    if unknown:
        raise ContentError("unknown field(s): " + ", ".join(sorted(map(str, unknown))), where=where,
                           hint="fields: " + ", ".join(sorted(ALL_FIELDS | {"patient"})))
    for needed in ("output", "medicine"):
        if row.get(needed) in (None, ""):
            raise ContentError(f"missing '{needed}'", where=where)
    for name in ("output", "medicine", "language", "template", "paper"):
        if name in row and not isinstance(row[name], str):
            raise ContentError(f"'{name}' must be text, found {row[name]!r}", where=where,
                               hint=f"put the value in quotes: {name}: \"...\"")
    output = row["output"]
    hidden = typedtext.explain(output, single_line=True) if isinstance(output, str) else None
    if hidden:  # a file name that reads as another patient's ("ann<RLO>naj.pdf" shows as annjan.pdf)
        raise ContentError(f"output file name contains {hidden[0]}", where=where, hint=hidden[1])
    if not _plain_pdf_name(output):
        raise ContentError(f"output '{output}' must be a plain file name ending in .pdf", where=where)
    if row.get("patient") is not None and not isinstance(row["patient"], dict):
        raise ContentError("'patient' must be a mapping of patient fields (name, notes, ...)", where=where)
    patient = dict(row.get("patient") or {})
    both = sorted(set(patient) & set(row) & (PATIENT_FIELDS | DIRECTION_FIELDS))
    if both:
        raise ContentError(f"'{both[0]}' is given twice, in the job and in its 'patient'", where=where,
                           hint="give it once")
    patient.update({k: row[k] for k in PATIENT_FIELDS if k in row})
    structured = {k: row[k] for k in DIRECTION_FIELDS if k in row}
    if structured:
        if "directions" in patient:
            raise ContentError("both 'directions' and structured directions (dose, unit, ...) are given",
                               where=where, hint="give one or the other")
        patient["directions"] = structured
    try:  # the same validation, and the same messages, as a patient file's
        content.validate(Patient, Loaded(patient, where.file or "job file"))
    except LeafletError as exc:
        field_name = exc.where.field if exc.where else None
        raise ContentError(f"invalid patient data: {f'field {field_name!r}: ' if field_name else ''}{exc.message}",
                           where=where, hint=exc.hint) from None
    fillable = row.get("fillable") or False  # an empty CSV cell is "not fillable"
    try:
        fillable = parse_flag(fillable)
    except ValueError:
        raise ContentError(f"fillable must be true or false, found {fillable!r}", where=where) from None
    return Job(output, row["medicine"], row.get("language", "en"), row.get("template", "standard"),
               row.get("paper", "a4"), patient, fillable)


# --- fingerprints --------------------------------------------------------------------------------

def _hash_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.name).encode())
        digest.update(_file_digest(path, path.stat().st_mtime_ns, path.stat().st_size).encode())
    return digest.hexdigest()


@caches.memoize("batch.file-digest", 4096)
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
        if isinstance(logo, str) and logo_path(pharmacy, logo).is_file():
            inputs.append(logo_path(pharmacy, logo))
    options = json.dumps({**asdict(job), "versions": _versions()}, sort_keys=True, default=str)
    digest = hashlib.sha256(options.encode())
    digest.update(_hash_files([p for p in inputs if p.is_file()]).encode())
    digest.update(_fonts_digest().encode())
    return digest.hexdigest()


@caches.memoize("batch.versions", 1)
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


@caches.memoize("batch.fonts-digest", 1)
def _fonts_digest() -> str:
    return _hash_files([FONTS_DIR / f for faces in SHIPPED.values() for f in set(faces.values())])


# --- running -------------------------------------------------------------------------------------

_WORKER_CONTEXT: dict[str, Any] = {}
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _init_worker(context: dict[str, Any]) -> None:
    """Set up a worker process: the parent decides what an interrupt means; die with the parent."""
    _WORKER_CONTEXT.update(context)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited through fork
    _die_with_parent(context["parent_pid"])
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # blocked by the parent while it forked us


def _die_with_parent(parent: int) -> None:
    """Exit when the batch's process goes, even after ``kill -9`` (which it cannot catch)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it went before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="leaflet-parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:  # the fallback where prctl is not available
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


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


def write_manifest(outdir: Path, entries: dict[str, dict], failed: list[Result] | None = None) -> None:
    """The manifest: what is there and good (``outputs``), and what failed this time (``failed``)."""
    body: dict[str, Any] = {"leaflet": __version__, "outputs": [entries[k] for k in sorted(entries)]}
    body["failed"] = [{"output": r.output, "line": r.line or None, "message": r.message, "set_aside": r.stale or None}
                      for r in failed or []]
    write_atomic(outdir / MANIFEST, (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


STALE_FAILED = ".stale-failed"
STALE_INTERRUPTED = ".stale-interrupted"


def set_aside(outdir: Path, output: str, suffix: str) -> str:
    """Rename a previous, now out-of-date output so nothing prints it as today's; return its new name."""
    if not output:
        return ""
    target = outdir / output
    try:
        if not stat.S_ISREG(os.lstat(target).st_mode):
            return ""
        os.replace(target, outdir / (output + suffix))
    except OSError:
        return ""
    return output + suffix


def run(jobs: list[Job], outdir: Path, *, workers: int | None = None, force: bool = False,
        content_dirs: list[Path] | None = None, pharmacy: Path | None = None,
        progress: Callable[[Result, int, int], None] | None = None,
        rejected: list[Result] | None = None) -> Summary:
    """Build ``jobs`` into ``outdir``; see the module docstring. Never raises for one job's failure.

    ``rejected`` are jobs that failed before they could be planned (bad rows of a job file): they are
    reported with the rest, and their previous outputs are set aside like those of any failed job.
    """
    start = time.perf_counter()
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder: {exc.strerror}",
                          where=Location(display_path(outdir))) from None
    _clear_parts(outdir)  # left by a batch that was killed outright
    if pharmacy is not None:
        load_pharmacy(pharmacy)  # a mistake in it is the user's, reported once, before any work
    manifest = load_manifest(outdir)
    total = len(jobs) + len(rejected or [])
    results: list[Result] = []
    todo: list[tuple[Job, str]] = []
    before: dict[str, tuple[int, int]] = {}  # out-of-date outputs as found: (inode, mtime)
    tally = _Tally(results, manifest, outdir, progress, total)
    with Stopping() as stop:
        for r in rejected or []:
            tally.add(r, None)
        for job in jobs:
            if stop:
                break
            try:
                fp = fingerprint(job, content_dirs or [], pharmacy)
            except LeafletError as exc:
                tally.add(Result(job.output, "failed", message=exc.format()), job)
                continue
            entry = manifest.get(job.output)
            target = outdir / job.output
            if (not force and entry and entry.get("fingerprint") == fp and target.is_file()
                    and _file_digest(target, target.stat().st_mtime_ns, target.stat().st_size)
                    == entry.get("sha256")):
                tally.add(Result(job.output, "unchanged", sha256=entry["sha256"], bytes=entry.get("bytes", 0),
                                 fingerprint=fp), job)
            else:
                todo.append((job, fp))
                with contextlib.suppress(OSError):
                    info = os.lstat(target)
                    before[job.output] = (info.st_ino, info.st_mtime_ns)
        context = {"pharmacy": pharmacy, "content_dirs": content_dirs or [], "parent_pid": os.getpid()}
        workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
        try:
            if stop:
                pass
            elif workers == 1:
                _WORKER_CONTEXT.update(context)
                for job, fp in todo:
                    if stop:
                        break
                    tally.add(_build_one(job, str(outdir), fp), job)
            else:
                _run_pool(todo, outdir, workers, context, tally, stop)
        finally:
            interrupted = bool(stop)
            if interrupted:
                _clear_parts(outdir)  # the workers are gone: what they were writing is half a file
                _set_aside_unfinished(todo, tally, outdir, manifest, before)
            write_manifest(outdir, manifest, [r for r in results if r.status == "failed"])
    return Summary(results, time.perf_counter() - start, interrupted)


def _clear_parts(outdir: Path) -> None:
    for pattern in (".*.pdf.*.part", f".{MANIFEST}.*.part"):
        for part in outdir.glob(pattern):
            part.unlink(missing_ok=True)


def _set_aside_unfinished(todo, tally, outdir: Path, manifest: dict[str, dict], before) -> None:
    """An interrupted batch: an out-of-date output that was not rebuilt must not stay printable."""
    for job, _fp in todo:
        if job.output in tally.done or job.output not in before:
            continue
        with contextlib.suppress(OSError):
            info = os.lstat(outdir / job.output)
            if (info.st_ino, info.st_mtime_ns) != before[job.output]:
                continue  # written in this run, complete (atomic), just not reported before we stopped
        if set_aside(outdir, job.output, STALE_INTERRUPTED):
            manifest.pop(job.output, None)


def _run_pool(todo, outdir: Path, workers: int, context: dict, tally: _Tally, stop: Stopping) -> None:
    """Run the jobs on a process pool; on a stop signal, cancel what waits and end the workers."""
    ctx = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)  # the workers start with them blocked
    try:
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(context,))
        submitted: dict[Future, Job] = {pool.submit(_build_one, job, str(outdir), fp): job for job, fp in todo}
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    pending: set[Future] = set(submitted)
    try:
        while pending and not stop:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                tally.add(_outcome(future, submitted[future]), submitted[future])
    finally:
        if pending:
            _stop_pool(pool)
            for future in pending:  # finished while we were stopping: they are complete, list them
                if future.done() and not future.cancelled() and future.exception() is None:
                    tally.add(future.result(), submitted[future], report=False)
        else:
            pool.shutdown(wait=True)


def _outcome(future: Future, job: Job) -> Result:
    error = future.exception()
    if error is None:
        return future.result()
    return Result(job.output, "failed", message=f"the worker building it stopped: {type(error).__name__}: {error}")


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel the jobs not started and end the worker processes (SIGTERM, then SIGKILL)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    deadline = time.monotonic() + 2
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(1)
    manager = getattr(pool, "_executor_manager_thread", None)
    if manager is not None:
        manager.join(5)


class _Tally:
    """Results as they come: the list, the manifest, set-aside outputs, the progress callback."""

    def __init__(self, results: list[Result], manifest: dict[str, dict], outdir: Path, progress, total: int):
        self.results, self.manifest, self.outdir = results, manifest, outdir
        self.progress, self.total = progress, total
        self.done: set[str] = set()

    def add(self, result: Result, job: Job | None, report: bool = True) -> None:
        self.results.append(result)
        self.done.add(result.output)
        _record(result, job, self.manifest, self.outdir)
        if self.progress and report:
            self.progress(result, len(self.results), self.total)


def _record(result: Result, job: Job | None, manifest: dict[str, dict], outdir: Path) -> None:
    if result.status == "built" and job is not None:
        patient = json.dumps(job.patient, sort_keys=True, default=str).encode()
        manifest[result.output] = {
            "output": result.output, "sha256": result.sha256, "bytes": result.bytes,
            "fingerprint": result.fingerprint,
            "inputs": {"medicine": job.medicine, "language": job.language, "template": job.template,
                       "paper": job.paper, "fillable": job.fillable,
                       "patient_sha256": hashlib.sha256(patient).hexdigest() if job.patient else None,
                       "leaflet": __version__},
        }
        for suffix in (STALE_FAILED, STALE_INTERRUPTED):  # an older failure's leftovers are older still
            (outdir / (result.output + suffix)).unlink(missing_ok=True)
    elif result.status == "failed":
        manifest.pop(result.output, None)
        result.stale = set_aside(outdir, result.output, STALE_FAILED)
