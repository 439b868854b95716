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
import gc
import hashlib
import io
import json
import os
import stat
import time
import unicodedata
import warnings
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, caches, content, i18n, templating, typedtext
from .directions import parse_flag
from .errors import ContentError, LeafletError, LeafletWarning, Location, OutputError, display_path
from .executors import ClusterWorkers, LocalWorkers, Workers
from .files import read_text_limited
from .fonts import SHIPPED
from .images import logo_path
from .interrupt import Stopping
from .output import write_atomic
from .patient import Patient, load_pharmacy
from .resources import FONTS_DIR
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
PATIENT_FIELDS = {"name", "prescriber", "pharmacy", "date_dispensed", "directions", "notes", "notes_language",
                  "form", "strength",
                  "strength_unit", "strength_volume_ml", "quantity", "quantity_unit", "stop_date",
                  "discard_date", "review_date", "age_years", "age_months", "weight_kg"}
DIRECTION_FIELDS = {"dose", "unit", "route", "frequency", "every_hours", "as_needed", "days",
                    "max_doses_per_day", "confirm_unusual_dose"}
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
    if set(structured) == {"confirm_unusual_dose"} and _is_false(structured["confirm_unusual_dose"]):
        structured = {}  # a column of "false" on rows with free-text or no directions confirms nothing
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


def _is_false(value: object) -> bool:
    try:
        return parse_flag(value) is False
    except ValueError:
        return False  # (refused where the directions are read, with their message)


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

def build_group(items: list[tuple[Job, str]], outdir: str, context: dict[str, Any]) -> list[Result]:
    """One task: build ``items`` (jobs of one medicine and language, with their fingerprints) in turn.

    Runs in a worker process, local or on a cluster; returns what the batch records. A worker whose
    libraries differ from the batch's would make other bytes than the fingerprint promises: it refuses.
    """
    mine = _versions()
    if context.get("versions") not in (None, mine):
        theirs = context["versions"]
        differ = ", ".join(f"{k} {mine.get(k)} (batch: {v})" for k, v in theirs.items() if mine.get(k) != v)
        return [Result(job.output, "failed", message=f"the worker has other versions: {differ}; install the "
                       "batch's versions on every worker") for job, _fp in items]
    results = []
    for job, fp in items:
        _start_job(job)
        results.append(_build_one(job, outdir, fp, context))
    return results


_last_group: tuple[str, str] | None = None
_last_layout: tuple[str, str] | None = None

#: What one template on one paper laid out: the line breaks of every paragraph at that page's widths,
#: and the body made of them. Another template or paper wraps at other widths, in other styles, so
#: none of it is reused; the largest of them (``paragraphs.lines``) is about 5 MiB a leaflet.
LAYOUT_CACHES = frozenset({"paragraphs.lines", "paragraphs.drawn", "rtl.paragraph-lines", "pipeline.body-layout",
                           "pages.compressed", "pages.ascii85"})


def _start_job(job: Job) -> None:
    """Before a worker builds ``job``: forget what it laid out that ``job`` cannot reuse.

    Moving on to another medicine or language, everything but the parsed fonts goes: the largest
    worker of the diazepam set peaked at 298 MiB keeping everything, 151 MiB this way, no slower. Moving
    on to another template or paper of the same medicine and language, the line breaks and the body
    laid out for the last one go (:data:`LAYOUT_CACHES`), the parsed content and paragraphs stay (see
    CHANGELOG). Jobs of one template and paper (a mail-merge) keep everything between them.
    """
    global _last_group, _last_layout
    group, layout = (job.medicine, job.language), (job.template, job.paper)
    if _last_group is not None and _last_group != group:
        for cache in caches.registered():
            if not cache.name.startswith("fonts."):
                cache.clear()
    elif _last_layout is not None and _last_layout != layout:
        for cache in caches.registered():
            if cache.name in LAYOUT_CACHES:
                cache.clear()
    _last_group, _last_layout = group, layout


def _build_one(job: Job, outdir: str, fp: str, context: dict[str, Any]) -> Result:
    from .pipeline import build_pdf

    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LeafletWarning)
            data = build_pdf(job.medicine, language=job.language, template=job.template, paper=job.paper,
                             patient=job.patient or None, pharmacy=context.get("pharmacy"),
                             fillable=job.fillable, content_dirs=context.get("content_dirs"))
        write_atomic(Path(outdir) / job.output, data)
    except LeafletError as exc:
        return Result(job.output, "failed", time.perf_counter() - start, message=exc.format())
    except Exception as exc:  # a bug: report it as this job's failure, keep going
        return Result(job.output, "failed", time.perf_counter() - start,
                      message=f"internal error: {type(exc).__name__}: {exc}")
    note = "; ".join(str(w.message) for w in caught)
    return Result(job.output, "built", time.perf_counter() - start, hashlib.sha256(data).hexdigest(),
                  len(data), fp, note, os.getpid())


def tasks(todo: list[tuple[Job, str]], workers: int) -> list[list[tuple[Job, str]]]:
    """Group jobs by medicine and language (a worker loads that content and its fonts once per task),
    the costliest tasks first (:func:`script_cost`).

    A large group (a mail-merge of one medicine) is cut into pieces, so every worker has work and the
    progress bar moves: at most ``max(4, jobs / (4 x workers))`` jobs and never more than 64 a task.
    """
    groups: dict[tuple[str, str], list[tuple[Job, str]]] = {}
    for job, fp in todo:
        groups.setdefault((job.medicine, job.language), []).append((job, fp))
    for key, group in groups.items():  # a template and paper at a time (:func:`_start_job`), in the jobs' order
        first: dict[tuple[str, str], int] = {}
        for job, _fp in group:
            first.setdefault((job.template, job.paper), len(first))
        if len(first) > 1:
            groups[key] = sorted(group, key=lambda item: first[item[0].template, item[0].paper])
    size = min(MAX_TASK, max(4, -(-len(todo) // (4 * max(1, workers)))))
    pieces = [group[i:i + size] for group in groups.values() for i in range(0, len(group), size)]
    # the costliest first: a worker that takes the last task then finishes with the others, not after
    return sorted(pieces, key=lambda task: -len(task) * script_cost(task[0][0].language))


MAX_TASK = 64


def script_cost(language: str) -> float:
    """About how long a leaflet in ``language`` takes against an English one (benchmarks/bench.py:
    shaped Devanagari and Arabic 1.6-1.8x, Han and Hangul, with their large font, 1.5x)."""
    from .layout import script_layout

    base = language.split("-")[0].lower()
    if script_layout(base).get("shaping"):
        return 1.8
    return 1.5 if base in ("zh", "ja", "ko") else 1.0


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
        rejected: list[Result] | None = None, cluster: str | Workers | None = None) -> Summary:
    """Build ``jobs`` into ``outdir``; see the module docstring. Never raises for one job's failure.

    ``cluster`` is a Dask scheduler's address (``tcp://HOST:8786``) or a :class:`Workers`: the same jobs
    run there instead of in local worker processes, with the same results, manifest and files.
    ``rejected`` are jobs that failed before they could be planned (bad rows of a job file): they are
    reported with the rest, and their previous outputs are set aside like those of any failed job.
    """
    start, since = time.perf_counter(), time.time_ns() - 1_000_000_000  # (file times may lag a little)
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
        context = {"pharmacy": pharmacy, "content_dirs": content_dirs or [], "versions": _versions()}
        local = max(1, min(workers or os.cpu_count() or 1, len(todo)))
        pool: Workers | None = None
        try:
            if stop or not todo:
                pass
            elif cluster is None and local == 1:
                # one worker: this process, no pool to start; a medicine and language at a time, as a worker
                with _collector_skips_what_is_there():
                    for job, fp in (item for task in tasks(todo, 1) for item in task):
                        if stop:
                            break
                        _start_job(job)
                        tally.add(_build_one(job, str(outdir), fp, context), job)
            elif cluster is None:
                pool = LocalWorkers(local)
                with _collector_skips_what_is_there():  # and the workers forked meanwhile, for good
                    _run_tasks(pool, tasks(todo, local), outdir, context, tally, stop)
            else:  # run() closes it when done
                pool = cluster if isinstance(cluster, Workers) else ClusterWorkers(cluster)
                count = pool.worker_count if isinstance(pool, ClusterWorkers) else local
                _run_tasks(pool, tasks(todo, count), outdir, context, tally, stop)
        finally:
            interrupted = bool(stop)
            if not (interrupted and pool is not None and pool.remote):
                # the workers are gone (or done): what is left half-written is from one killed mid-write
                _clear_parts(outdir)
            if interrupted:
                _settle_unfinished(todo, tally, outdir, manifest, before, since)
            write_manifest(outdir, manifest, [r for r in results if r.status == "failed"])
    return Summary(results, time.perf_counter() - start, interrupted)


@contextlib.contextmanager
def _collector_skips_what_is_there():
    """Python's cyclic garbage collector leaves alone every object there is now (``gc.freeze``): the
    modules, the planned jobs, what the fingerprints parsed. A batch's full collections looked through
    all of it again and again: 1.1 s of a 10.9 s one-process diazepam batch went to 16 of them. A
    worker forked meanwhile keeps them left alone (it never frees them: they are the state it started
    with), and its collections no longer write to their memory pages, which stay shared with this
    process. This process hands them back to the collector when the batch ends. A caller that froze
    objects itself (a pre-forking server) is left as it was: nothing is frozen or unfrozen then."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _clear_parts(outdir: Path) -> None:
    for pattern in (".*.pdf.*.part", f".{MANIFEST}.*.part"):
        for part in outdir.glob(pattern):
            part.unlink(missing_ok=True)


def _settle_unfinished(todo, tally: _Tally, outdir: Path, manifest: dict[str, dict], before, since: int) -> None:
    """An interrupted batch: list what was written but not yet reported; set aside what is out of date.

    A task reports its jobs when it ends, so a stopped task may have written some of its files: each is
    complete (written atomically) and was made in this run from these inputs, so it is hashed and listed.
    An output still as it was before this run is out of date, and must not stay printable.
    """
    for job, fp in todo:
        if job.output in tally.done:
            continue
        target = outdir / job.output
        try:
            info = os.lstat(target)
        except OSError:
            continue
        if job.output in before and (info.st_ino, info.st_mtime_ns) == before[job.output]:
            if set_aside(outdir, job.output, STALE_INTERRUPTED):
                manifest.pop(job.output, None)
        elif stat.S_ISREG(info.st_mode) and info.st_mtime_ns >= since:
            data = target.read_bytes()
            tally.add(Result(job.output, "built", sha256=hashlib.sha256(data).hexdigest(), bytes=len(data),
                             fingerprint=fp), job, report=False)


def _run_tasks(pool: Workers, groups: list[list[tuple[Job, str]]], outdir: Path, context: dict,
               tally: _Tally, stop: Stopping) -> None:
    """Run the tasks on ``pool`` (local processes or a cluster); on a stop signal, stop it."""
    submitted: dict[Future, list[tuple[Job, str]]] = {}
    try:
        for group in groups:
            if stop:
                break
            submitted[pool.submit(build_group, group, str(outdir), context)] = group
        pending: set[Future] = set(submitted)
        while pending and not stop:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                for result, (job, _fp) in zip(_outcome(future, submitted[future]), submitted[future],
                                              strict=True):
                    tally.add(result, job)
    finally:
        if stop:
            unfinished = {f for f in submitted if not f.done()}
            pool.stop(unfinished)
            for future in unfinished:  # finished while we were stopping: they are complete, list them
                if future.done() and not future.cancelled() and future.exception() is None:
                    for result, (job, _fp) in zip(future.result(), submitted[future], strict=True):
                        tally.add(result, job, report=False)
        else:
            pool.close()


def _outcome(future: Future, group: list[tuple[Job, str]]) -> list[Result]:
    if future.cancelled():  # by the cluster (its scheduler went away), not by us
        reason = "the cluster cancelled the task building it; run the batch again"
        return [Result(job.output, "failed", message=reason) for job, _fp in group]
    error = future.exception()
    if error is None:
        return future.result()
    reason = f"the worker building it stopped ({type(error).__name__}: {error})"
    return [Result(job.output, "failed", message=reason) for job, _fp in group]


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
