"""The ``leaflet`` command: a thin layer over :mod:`leaflet.pipeline`.

:func:`main` takes ``argv`` and the output streams, so tests run it in-process. User errors print one
message and exit non-zero; a traceback is shown only for a bug, and only with ``LEAFLET_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import warnings
from pathlib import Path
from typing import IO

from . import __version__, authoring, buildcache, content, pdf, templating
from .errors import LeafletError, LeafletWarning, NotFoundError, OutputError, display_path
from .files import read_text_limited
from .interrupt import Stopping
from .output import write_atomic
from .patient import check_notes, load_pharmacy
from .pipeline import build_html, build_pdf, check_body
from .translations import findings as translation_findings

EXIT_OK, EXIT_PROBLEMS, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 70, 130
MAX_NOTES_FILE = 64 * 1024  # bytes; the notes themselves are limited to MAX_NOTES characters


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leaflet", description="Printable patient information leaflets from medicine content.",
        epilog="Run 'leaflet COMMAND --help' for a command's options.")
    parser.add_argument("--version", action="version", version=f"leaflet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--version", action="version", version=f"leaflet {__version__}")
        return p

    b = add("build", "Build one leaflet as a PDF.")
    b.add_argument("medicine", help="medicine id, e.g. diazepam (see 'leaflet list')")
    b.add_argument("--lang", default="en", help="language code (default: en)")
    b.add_argument("--template", default="standard",
                   help=", ".join(templating.shipped_templates())
                   + ", or the path of a template folder (default: standard)")
    b.add_argument("--paper", default="a4", choices=sorted(pdf.PAPER), help="paper size (default: a4)")
    b.add_argument("--patient", type=Path, metavar="FILE", help="patient and prescription file (YAML)")
    b.add_argument("--pharmacy", type=Path, metavar="FILE", help="pharmacy branding file (YAML)")
    notes = b.add_mutually_exclusive_group()
    notes.add_argument("--notes", metavar="TEXT", help="prescriber notes to print (replaces the patient file's)")
    notes.add_argument("--notes-file", type=Path, metavar="FILE", help="read the prescriber notes from a file")
    b.add_argument("--fillable", action="store_true", help="make the notes box a fillable PDF form field")
    b.add_argument("--format", choices=["pdf", "html"], default="pdf",
                   help="pdf (default), or html: one self-contained, accessible web page")
    b.add_argument("--pdfa", choices=["2b", "3b"],
                   help="write an archival PDF/A-2b file, or PDF/A-3b with the content file embedded")
    b.add_argument("--untagged", action="store_true",
                   help="leave out the structure tree screen readers use (PDFs are tagged by default)")
    b.add_argument("--form", metavar="FORM",
                   help="the form dispensed (e.g. tablets): print only the content for it (default: all forms)")
    b.add_argument("-o", "--output", metavar="FILE",
                   help="output file, or - for standard output (default: MEDICINE-LANG.pdf or .html)")
    b.add_argument("--content", type=Path, action="append", default=[], metavar="DIR",
                   help="extra content folder, searched before the shipped one (repeatable)")

    c = add("check", "Validate content files and render them with each template (no PDF written).")
    c.add_argument("paths", nargs="*", type=Path, help="content files or folders (default: all content)")
    c.add_argument("--template", action="append", default=[],
                   help="template to check against (repeatable; default: every shipped template)")
    c.add_argument("--content", type=Path, action="append", default=[], metavar="DIR",
                   help="a content folder to check (repeatable; the same as giving it as a path)")

    bt = add("batch", "Build many leaflets in parallel: every combination, or a job list (mail-merge).")
    bt.add_argument("-o", "--output", type=Path, default=Path("leaflets"), metavar="DIR",
                    help="output folder (default: leaflets)")
    bt.add_argument("--medicine", action="append", default=[], help="medicine id (repeatable; default: all)")
    bt.add_argument("--lang", action="append", default=[], help="language (repeatable; default: all)")
    bt.add_argument("--template", action="append", default=[], help="template (repeatable; default: all shipped)")
    bt.add_argument("--paper", action="append", default=[], choices=sorted(pdf.PAPER),
                    help="paper size (repeatable; default: a4 and letter)")
    bt.add_argument("--jobs", type=Path, metavar="FILE",
                    help="per-patient jobs from a CSV or YAML file instead of the combinations")
    bt.add_argument("--pharmacy", type=Path, metavar="FILE", help="pharmacy branding file for every leaflet")
    bt.add_argument("-j", "--workers", type=int, default=0, metavar="N",
                    help="worker processes (default: all cores)")
    bt.add_argument("--force", action="store_true", help="rebuild even what has not changed")
    bt.add_argument("--cluster", metavar="ADDRESS",
                    help="run on a Dask cluster, e.g. tcp://HOST:8786 (needs leaflet[cluster]; every path, "
                         "the output folder too, must be the same on the workers)")
    bt.add_argument("--content", type=Path, action="append", default=[], metavar="DIR",
                    help="extra content folder (repeatable)")

    li = add("list", "List the medicines, languages and templates available.")
    li.add_argument("--content", type=Path, action="append", default=[], metavar="DIR",
                    help="extra content folder (repeatable)")

    im = add("import", "Import approved product information (EU ePI bundle, US SPL label) as content files.")
    im.add_argument("source", type=Path, help="an ePI FHIR Bundle (XML or JSON) or an SPL label (XML)")
    im.add_argument("--out", type=Path, default=Path("content"), metavar="CONTENT_DIR",
                    help="content folder to write <medicine-id>/<language>.yaml into (default: content)")
    im.add_argument("--id", dest="medicine_id", metavar="ID", help="medicine id to use instead of one made "
                    "from the medicine's name")

    n = add("new", "Write a skeleton content file with the six standard sections and their titles.")
    n.add_argument("medicine", help="medicine id for the new leaflet, e.g. warfarin")
    n.add_argument("--name", help="the medicine's name as printed (default: from the id)")
    n.add_argument("--content", type=Path, default=Path("content"), metavar="DIR",
                   help="content folder to write <medicine>/en.yaml into (default: content)")

    sv = add("serve", "Run the counter web page and the JSON/FHIR API (needs the 'service' extra).")
    sv.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default: 127.0.0.1, this machine only)")
    sv.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    sv.add_argument("--workers", type=int, default=1, metavar="N",
                    help="worker processes (default: 1; use the number of cores for throughput)")
    sv.add_argument("--content", type=Path, action="append", default=[], metavar="DIR",
                    help="extra content folder (repeatable)")
    sv.add_argument("--pharmacy", type=Path, metavar="FILE", help="pharmacy branding file for every leaflet")
    sv.add_argument("--log", type=Path, default=Path("leaflet-issued.sqlite3"), metavar="FILE",
                    help="the issued-leaflet log, SQLite (default: leaflet-issued.sqlite3)")
    sv.add_argument("--store-patient-text", action="store_true",
                    help="keep patient names, directions and notes in the log, so any leaflet can be reprinted")

    s = add("schema", "Write the JSON Schema of content files (for editors).")
    s.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    return parser


def main(argv: list[str] | None = None, stdout: IO[str] | None = None, stderr: IO[str] | None = None,
         stdout_bytes: IO[bytes] | None = None) -> int:
    """Run the command line; return the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = _parser()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return int(exc.code or 0)
    if not args.command:
        parser.print_help(out)
        return EXIT_PROBLEMS
    try:
        commands = {  # one handler a command
            "build": lambda: _build(args, err, stdout_bytes), "batch": lambda: _batch(args, out, err),
            "check": lambda: _check(args, out), "list": lambda: _list(args, out),
            "schema": lambda: _schema(args, out), "import": lambda: _import(args, out, err),
            "new": lambda: _new(args, out), "serve": lambda: _serve(args, err),
        }
        if args.command in commands:
            return commands[args.command]()
    except LeafletError as exc:
        print(f"leaflet: error: {exc.format()}", file=err)
        return exc.exit_code
    except KeyboardInterrupt:
        print("leaflet: interrupted", file=err)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: say so plainly
        if os.environ.get("LEAFLET_DEBUG"):
            raise
        print(f"leaflet: internal error: {type(exc).__name__}: {exc}\n"
              "  -> this is a bug in leaflet; run again with LEAFLET_DEBUG=1 to see the details",
              file=err)
        return EXIT_BUG
    return EXIT_PROBLEMS  # pragma: no cover - argparse only allows the commands above


def _build(args: argparse.Namespace, err: IO[str], stdout_bytes: IO[bytes] | None) -> int:
    written: list[Path] = []
    try:
        return _build_one(args, err, stdout_bytes, written)
    except BaseException as exc:
        # the leaflet asked for was not made: one already at its path (another patient's, yesterday's
        # directions) must not be printed as this one, so it is set aside, as a batch does (a link:
        # the file it points to, which the new leaflet would have replaced)
        if not written and args.output != "-" and args.output != "":
            from .batch import STALE_FAILED, set_aside

            target = Path(args.output or f"{args.medicine}-{args.lang}.{args.format}")
            real = Path(os.path.realpath(target)) if target.is_symlink() else target
            moved = set_aside(real.parent, real.name, STALE_FAILED)
            if moved:
                note = f"the earlier {display_path(target)} was renamed {moved}, so it is not printed as this leaflet"
                if isinstance(exc, LeafletError):
                    exc.hint = f"{exc.hint}; {note}" if exc.hint else note
                else:
                    print(f"leaflet: {note}", file=err)
        raise


def _build_one(args: argparse.Namespace, err: IO[str], stdout_bytes: IO[bytes] | None, written: list[Path]) -> int:
    patient = args.patient  # a path: build_pdf reads it, and can point at its lines
    notes = args.notes
    if args.notes_file:
        notes = check_notes(read_text_limited(args.notes_file, MAX_NOTES_FILE, what="notes file"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LeafletWarning)
        common = {"language": args.lang, "template": args.template, "paper": args.paper, "patient": patient,
                  "notes": notes, "pharmacy": args.pharmacy, "content_dirs": args.content,
                  "form": args.form}
        if args.format == "html":
            if args.pdfa or args.fillable:
                raise LeafletError("--pdfa and --fillable are for PDF output",
                                   hint="leave them out with --format html")
            data = build_html(args.medicine, **common).encode("utf-8")
        else:
            data = build_pdf(args.medicine, fillable=args.fillable, pdfa=args.pdfa, tagged=not args.untagged,
                             **common)
    said = [f"leaflet: warning: {warning.message}" for warning in caught]
    for line in said:
        print(line, file=err)
    if args.output == "-":
        _write_stdout(data, stdout_bytes)
        return EXIT_OK
    if args.output == "":
        raise OutputError("the output file name is empty", hint="give a file name, or - for standard output")
    output = Path(args.output or f"{args.medicine}-{args.lang}.{args.format}")
    write_atomic(output, data)
    written.append(output)  # from here on a failure (of what is printed) leaves the new leaflet in place
    said.append(f"wrote {display_path(output)} ({len(data) // 1024} KiB)")
    print(said[-1], file=err)
    buildcache.finish(args, data, os.path.abspath(output), said)  # kept only when `python -m leaflet` recorded
    return EXIT_OK


def _write_stdout(data: bytes, sink: IO[bytes] | None) -> None:
    """``-o -``: standard output, which may be closed, or a pipe whose reader has gone."""
    ours = sink is None
    if ours:
        sink = getattr(sys.stdout, "buffer", None)
        if sink is None or sys.stdout.closed:
            raise OutputError("cannot write to standard output: it is closed",
                              hint="redirect it to a file or a program, or give -o FILE")
    try:
        sink.write(data)
        sink.flush()
    except (OSError, ValueError) as exc:  # a closed pipe, a full disk, a closed stream
        if ours and isinstance(exc, BrokenPipeError):
            # the reader went away: stop Python's own last flush from failing again at exit
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        reason = getattr(exc, "strerror", None) or str(exc)
        raise OutputError(f"cannot write to standard output: {reason}",
                          hint="check where standard output goes, or give -o FILE") from None


def _batch(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    with Stopping() as stop:  # Ctrl-C and SIGTERM are noted, and the batch stops at a safe point
        return _run_batch(args, out, err, stop)


def _run_batch(args: argparse.Namespace, out: IO[str], err: IO[str], stop: Stopping) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from . import batch

    if args.jobs:
        plan = batch.plan_jobs_file(args.jobs)
        jobs, rejected = plan.jobs, plan.rejected
    else:
        jobs = batch.plan_matrix(args.medicine, args.lang, args.template, args.paper, args.content)
        rejected = []
    if stop:  # nothing has been touched yet
        print("leaflet: interrupted before the batch began", file=err)
        return EXIT_INTERRUPTED
    console = Console(file=err, highlight=False)
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("eta"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("building", total=len(jobs) + len(rejected))

        def step(result, done, total):
            bar.update(task, completed=done)

        summary = batch.run(jobs, args.output, workers=args.workers or None, force=args.force,
                            content_dirs=args.content, pharmacy=args.pharmacy, progress=step, rejected=rejected,
                            cluster=args.cluster)
    notes: dict[str, int] = {}
    for r in summary.results:
        if r.status == "failed":
            print(f"FAILED  {r.output + ': ' if r.output else ''}{r.message}", file=out)
            if r.stale:
                print(f"        the previous {r.output} is out of date: moved aside to {r.stale}", file=out)
        elif r.status == "built" and r.message:
            notes[r.message] = notes.get(r.message, 0) + 1
    for message, count in notes.items():
        print(f"warning {message} ({count} leaflet{'s' if count > 1 else ''})", file=out)
    built, same, failed = summary.count("built"), summary.count("unchanged"), summary.count("failed")
    rate = built / summary.seconds if summary.seconds else 0.0
    print(f"{built} built, {same} unchanged, {failed} failed in {summary.seconds:.1f} s "
          f"({rate:.1f} leaflets/s) -> {display_path(args.output)}/", file=out)
    aside = sum(1 for r in summary.results if r.stale)
    if aside:
        print(f"{aside} out-of-date leaflet{'s' if aside > 1 else ''} of failed jobs moved aside "
              f"(*{batch.STALE_FAILED}): do not print them", file=out)
    if summary.interrupted or stop:
        print("interrupted: the files listed in the manifest are complete; run the same command again "
              "to finish", file=out)
        return EXIT_INTERRUPTED
    return EXIT_PROBLEMS if failed else EXIT_OK


def _check(args: argparse.Namespace, out: IO[str]) -> int:
    paths = [*args.paths, *args.content] or content.content_roots()
    for path in paths:
        if not path.exists():
            raise NotFoundError(f"{display_path(path)} does not exist",
                                hint="give content files or folders, or nothing to check all content")
    templates = args.template or templating.shipped_templates()
    failures = warned = 0
    results, seen = [], set()
    for path, problem in content.check_all(paths):  # a file named and inside a folder named: once
        if path.resolve() not in seen:
            seen.add(path.resolve())
            results.append((path, problem))
    for path, problem in results:
        if problem is None:
            for name in templates:
                try:
                    check_body(path, name)
                except LeafletError as exc:
                    problem = exc
                    break
        if problem is None:
            print(f"ok      {display_path(path)}", file=out)
            loaded = content.load(path)
            messages = [f.message for f in translation_findings(path, loaded.leaflet)]
            messages += authoring.warnings_for(path, loaded.source.data, loaded.leaflet)
            for message in messages:
                warned += 1
                print(f"warning {display_path(path)}: {message}", file=out)
        else:
            failures += 1
            print(f"FAILED  {problem.format()}", file=out)
    print(f"{len(results) - failures} passed, {failures} failed" + (f", {warned} warning(s)" if warned else ""),
          file=out)
    return EXIT_PROBLEMS if failures or not results else EXIT_OK


def _list(args: argparse.Namespace, out: IO[str]) -> int:
    found = content.available(content.content_roots(args.content))
    print("medicines (languages):", file=out)
    for name, langs in found.items():
        print(f"  {name} ({', '.join(langs)})", file=out)
    print("templates: " + ", ".join(templating.shipped_templates()), file=out)
    print("paper: " + ", ".join(sorted(pdf.PAPER)), file=out)
    return EXIT_OK


def _new(args: argparse.Namespace, out: IO[str]) -> int:
    import datetime as dt

    if not content.is_medicine_id(args.medicine):
        raise LeafletError(f"'{args.medicine}' is not a medicine id",
                           hint="ids use lowercase letters, digits and single hyphens, e.g. 'warfarin'")
    target = args.content / args.medicine / "en.yaml"
    if target.exists():
        raise OutputError(f"{display_path(target)} already exists", hint="edit it, or choose another id")
    if not args.content.is_dir():
        raise NotFoundError(f"content folder {display_path(args.content)} does not exist", hint="create it first")
    name = args.name or args.medicine.replace("-", " ").capitalize()
    target.parent.mkdir(exist_ok=True)
    write_atomic(target, authoring.skeleton(args.medicine, name, dt.date.today().isoformat()).encode("utf-8"))
    print(display_path(target), file=out)
    return EXIT_OK


def _import(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from .importers import import_file

    if args.medicine_id is not None and not content.is_medicine_id(args.medicine_id):
        raise LeafletError(f"'{args.medicine_id}' is not a medicine id",
                           hint="ids use lowercase letters, digits and single hyphens, e.g. 'isentress'")
    if not args.out.is_dir():
        raise NotFoundError(f"content folder {display_path(args.out)} does not exist", hint="create it first")
    written, notes = import_file(args.source, args.out, args.medicine_id)
    for note in notes:
        print(f"leaflet: warning: {display_path(args.source)}: {note}", file=err)
    for path in written:
        print(display_path(path), file=out)
    return EXIT_OK


def _schema(args: argparse.Namespace, out: IO[str]) -> int:
    from .model import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        write_atomic(Path(args.output), text.encode("utf-8"))
    else:
        out.write(text)
    return EXIT_OK


def _serve(args: argparse.Namespace, err: IO[str]) -> int:
    """Start uvicorn with the app factory (FastAPI is imported only here)."""
    try:
        import uvicorn

        from .service.settings import ENV, Settings
    except ImportError as exc:
        raise LeafletError(f"the service needs packages that are not installed ({exc.name})",
                           hint="pip install 'leaflet[service]'") from None
    for folder in args.content:
        if not folder.is_dir():
            raise NotFoundError(f"content folder {display_path(folder)} does not exist", hint="check the --content path")
    if args.pharmacy and not args.pharmacy.is_file():
        raise NotFoundError(f"pharmacy file {display_path(args.pharmacy)} does not exist", hint="check --pharmacy")
    if args.pharmacy:
        load_pharmacy(args.pharmacy)  # a mistake in it is reported now, not on the first leaflet
    if args.workers < 1:
        raise LeafletError("--workers must be at least 1")
    loopback = args.host in ("127.0.0.1", "localhost")
    settings = Settings(content_dirs=tuple(p.resolve() for p in args.content),
                        pharmacy=args.pharmacy.resolve() if args.pharmacy else None, log_path=args.log.resolve(),
                        store_patient_text=args.store_patient_text,
                        **({} if loopback else {"allowed_hosts": ("*",)}))
    os.environ[ENV] = settings.to_json()  # each worker process builds the app from these
    if not loopback and args.host != "::1":
        print(f"leaflet: warning: listening on {args.host}: anyone who can reach it can make leaflets and read "
              "the issued-leaflet log; put it behind an authenticating proxy", file=err)
    uvicorn.run("leaflet.service.app:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="info", server_header=False)
    return EXIT_OK


def run() -> None:
    """Console-script entry point (see leaflet/__main__.py, which handles signals from the start)."""
    from .__main__ import main as entry

    sys.exit(entry())
