"""Up-to-date builds: ``leaflet build`` of content that has not changed writes the bytes it wrote last time.

A content team rebuilds the same leaflets again and again; most of them have not changed. The first build
of a command line records every file it read (through Python's audit hook, so no read is missed: content,
templates, themes, catalogues, pharmacy files, logos, figures, fonts in a template folder) and the
listing of every folder it looked in, and keeps the leaflet it wrote in the on-disk cache
(:mod:`leaflet.diskcache`). The next process with the same command line, in the same folder, with the
same ``LEAFLET_*`` settings, the same leaflet code and the same installed packages checks each of those
files by its SHA-256 and each folder's listing; only if every one is unchanged does it write the stored
leaflet (itself checked by its SHA-256) atomically to the same place, print what the first build
printed, and stop, without importing ReportLab, pydantic or Jinja2. Anything else builds as usual.

What is never kept:
- a build that carries a person's data (``--patient``, ``--notes``, ``--notes-file``): no patient's
  prescription is left in a cache folder, and a new patient's leaflet is new anyway;
- a build to standard output (``-o -``), a failed build, or one whose inputs could not all be recorded
  (a read from ``/dev``, ``/proc`` or ``/sys``, a file that is not a regular file or is over 64 MiB).

leaflet's own code and data (its package folder, with the shipped fonts and catalogues) are checked by
each file's size and modification time, as Python checks its compiled modules; installed packages by the
names of their ``dist-info`` folders, which carry their versions. ``LEAFLET_CACHE_DIR=off`` turns this
off with the rest of the cache. The cache keeps the most recent :data:`MAX_ENTRIES` builds.

This module imports only the standard library and :mod:`leaflet.diskcache`: a hit must stay cheap.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import tempfile

from . import diskcache

MAX_ENTRIES = 64
MAX_OUTPUT = 64 * 1024 * 1024  # bytes: a leaflet larger than this is not kept
MAX_INPUT = 64 * 1024 * 1024  # bytes: a build that read a larger file is not kept (and it is not hashed)
_FORMAT = 1  # bump when the entry layout changes
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_PERSONAL = ("patient", "notes", "notes_file")


# --- what decides a build, besides the files it reads ----------------------------------------------------

def _code_stamp() -> list:
    """leaflet's own files (sizes and modification times) and the installed packages' versions."""
    files = []
    for folder, dirs, names in os.walk(_PACKAGE_DIR):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".pyc"):
                continue
            path = os.path.join(folder, name)
            try:
                info = os.stat(path)
            except OSError:  # a dangling link (an editor's lock file): its being there counts
                files.append((os.path.relpath(path, _PACKAGE_DIR), -1, -1))
                continue
            files.append((os.path.relpath(path, _PACKAGE_DIR), info.st_size, info.st_mtime_ns))
    packages = []
    for entry in sys.path:
        if entry and os.path.isdir(entry) and entry.endswith(("site-packages", "dist-packages")):
            packages.append((entry, sorted(n for n in os.listdir(entry) if n.endswith((".dist-info", ".pth")))))
    return [_PACKAGE_DIR, sys.path, files, packages]


def key(argv: list[str]) -> str:
    """The key of a command line here: its words, folder, settings, leaflet's code and packages."""
    from . import __version__

    settings = sorted((k, v) for k, v in os.environ.items()
                      if k.startswith(("LEAFLET_", "LC_", "RL_")) or k in ("LANG", "LANGUAGE"))
    text = json.dumps([_FORMAT, __version__, sys.version, sys.executable, os.getcwd(), list(argv), settings,
                       _code_stamp()], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _folder():
    return diskcache.private_dir("builds")


def _code_folders() -> tuple[str, ...]:
    """Python's standard library and installed packages, leaflet's own package (its shipped data
    apart), and the cache itself: read, but stamped as code (:func:`_code_stamp`), not recorded."""
    folders = {os.path.dirname(os.__file__), _PACKAGE_DIR}
    folders.update(p for p in sys.path if p and p.endswith(("site-packages", "dist-packages")))
    cache = diskcache.root()
    if cache is not None:
        folders.add(str(cache))
    forms = {os.path.abspath(f) for f in folders} | {os.path.realpath(f) for f in folders}
    return tuple(os.path.join(f, "") for f in forms)


#: Read as files but not files: what they give cannot be checked later (``/proc/self/status``, which
#: leaflet.output reads for the umask, is the exception).
_SPECIAL = tuple(os.path.join(p, "") for p in ("/dev", "/proc", "/sys"))
_DATA_DIR = os.path.join(_PACKAGE_DIR, "_data", "")  # shipped content in a wheel: hashed like any other


# --- recording the first build ------------------------------------------------------------------------

class _Recorder:
    """Every file opened for reading and every folder listed, by the path the build used (links not
    followed: a link switched to another release counts), each with its state when first seen."""

    def __init__(self, key: str):
        self.key = key  # of leaflet's code as it was when the build started
        self.files: dict[str, str | None] = {}
        self.folders: dict[str, tuple | None] = {}
        self.busy = False
        self.unrecordable = False
        self.skip = _code_folders()

    def note(self, event: str, args: tuple) -> None:
        if self.busy:  # our own look at a file below
            return
        if event == "open":
            path, mode, flags = args
            if path is None or isinstance(path, int):
                return
            if mode is not None and any(c in mode for c in "wax+"):
                return
            if mode is None and isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR):
                return
            self._add(path, "file")
        else:  # os.listdir, os.scandir
            path = args[0]
            if isinstance(path, int):
                self.unrecordable = True  # a listing by file descriptor: which folder is unknown
                return
            self._add("." if path is None else path, "folder")

    def _add(self, path, kind: str) -> None:
        try:
            text = os.path.abspath(os.fsdecode(path))
        except (TypeError, ValueError):
            self.unrecordable = True
            return
        if (text + os.sep).startswith(_SPECIAL):
            if text != "/proc/self/status":
                self.unrecordable = True
            return
        if (text + os.sep).startswith(self.skip) and not text.startswith(_DATA_DIR):
            return
        into = self.files if kind == "file" else self.folders
        if text in into:
            return
        self.busy = True
        try:
            into[text] = _state(text, kind)
            if kind == "file" and into[text] != "missing":  # a file added beside it may take its place
                parent = os.path.dirname(text)
                if parent not in self.folders:
                    self.folders[parent] = _state(parent, "folder")
        finally:
            self.busy = False


_recording: _Recorder | None = None
_hooked = False


def _hook(event: str, args: tuple) -> None:
    recorder = _recording
    if recorder is not None and event in _EVENTS:
        recorder.note(event, args)


_EVENTS = frozenset({"open", "os.listdir", "os.scandir"})


def start(argv: list[str], key_: str | None = None) -> None:
    """Record what this process reads from now on, for :func:`finish` (only ``python -m leaflet``);
    ``key_``: the command line's :func:`key`, when :func:`replay` has just worked it out."""
    global _recording, _hooked
    if _personal(argv) or _folder() is None:
        return
    recorder = _Recorder(key_ or key(argv))
    if not _hooked:
        sys.addaudithook(_hook)  # a hook cannot be removed; it does nothing while nothing is recorded
        _hooked = True
    _recording = recorder


def _personal(argv: list[str]) -> bool:
    """Whether the command line names a person's data (or may: argparse takes ``--pat`` for ``--patient``);
    such a build is never kept, so nothing is recorded. :func:`finish` checks the parsed options too."""
    options = argv[:argv.index("--")] if "--" in argv else argv
    return any(a.startswith(("--pat", "--no")) for a in options)


def consulted(path) -> None:
    """Note a path the build looked for without opening it (``is_file``): its being there or not counts."""
    recorder = _recording
    if recorder is not None:
        recorder._add(path, "file")


def _state(path: str, kind: str):
    """A file's SHA-256 ("missing" when it is not there; None: not a regular file, too large, unreadable);
    a folder's sorted names (a tuple; "missing"; None)."""
    try:
        if kind == "folder":
            return tuple(sorted(os.listdir(path)))
        # never open a FIFO or a device, never read a huge file: such a build is not kept
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_INPUT:
                return None
            return "sha256:" + hashlib.file_digest(fh, "sha256").hexdigest()
    except FileNotFoundError:
        return "missing"
    except (OSError, ValueError):
        return None


def _listing(path: str, names, target: str) -> str | None:
    """A folder's state as kept: its names' SHA-256, leaving out the leaflet this build writes and its
    temporary files (they come and go with every build; nothing else is left out)."""
    if names is None:
        return None
    if names == "missing":
        return "missing"
    if os.path.dirname(target) == path:
        mine = os.path.basename(target)
        names = [n for n in names if n != mine and not (n.startswith(f".{mine}.") and n.endswith(".part"))]
    return "listing:" + hashlib.sha256("\0".join(names).encode("utf-8", "surrogateescape")).hexdigest()


def finish(args, data: bytes, target: str, said: list[str]) -> None:
    """Keep the leaflet this build wrote to ``target`` (an absolute path), with what it printed."""
    global _recording
    recorder, _recording = _recording, None
    if recorder is None or recorder.unrecordable or len(data) > MAX_OUTPUT:
        return
    if any(getattr(args, name, None) is not None for name in _PERSONAL):
        return
    folder = _folder()
    if folder is None:
        return
    recorder.busy = True  # the checks below open files too
    inputs = []
    for path, state in sorted(recorder.files.items()):
        if state is None or _state(path, "file") != state:
            return  # unreadable, or changed while the build ran: nothing reliable to keep
        inputs.append(["file", path, state])
    for path, names in sorted(recorder.folders.items()):
        then = _listing(path, names, target)
        if then is None or _listing(path, _state(path, "folder"), target) != then:
            return
        inputs.append(["folder", path, then])
    try:
        name = recorder.key
        entry = {"format": _FORMAT, "target": target, "said": said, "inputs": inputs,
                 "output": hashlib.sha256(data).hexdigest(), "size": len(data)}
        _put(folder, f"{name}.out", data)
        _put(folder, f"{name}.json", json.dumps(entry, ensure_ascii=False).encode("utf-8"))
        _prune(folder)
    except (OSError, ValueError):
        return  # a cache that cannot be written is only a slower next build


def _put(folder, name: str, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, os.path.join(folder, name))
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _prune(folder) -> None:
    entries = []
    for item in os.scandir(folder):
        if item.name.endswith(".json"):
            entries.append((item.stat().st_mtime_ns, item.name[:-5]))
    for _, stem in sorted(entries, reverse=True)[MAX_ENTRIES:]:
        for suffix in (".json", ".out"):
            try:
                os.unlink(os.path.join(folder, stem + suffix))
            except OSError:
                pass


# --- a later build of the same --------------------------------------------------------------------------

def replay(argv: list[str], err, key_: str | None = None) -> int | None:
    """Write the stored leaflet if nothing it was built from has changed; the exit code, or None: build it."""
    folder = _folder()
    if folder is None:
        return None
    try:
        name = key_ or key(argv)
        manifest = os.path.join(folder, f"{name}.json")
        try:
            with open(manifest, "rb") as fh:
                entry = json.loads(fh.read(4 * 1024 * 1024))
        except FileNotFoundError:
            return None
        if entry.get("format") != _FORMAT:
            return None
        target = entry["target"]
        for kind, path, state in entry["inputs"]:
            now = _state(path, kind) if kind == "file" else _listing(path, _state(path, "folder"), target)
            if now != state:
                return None
        with open(os.path.join(folder, f"{name}.out"), "rb") as fh:
            data = fh.read(MAX_OUTPUT + 1)
        if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["output"]:
            return None
        from pathlib import Path

        from .output import write_atomic

        write_atomic(Path(target), data)
    except Exception:  # noqa: BLE001 - any trouble here (a damaged entry, an unwritable target): build as usual
        return None
    try:
        os.utime(manifest)  # most recently used: kept longest
    except OSError:
        pass
    for line in entry["said"]:
        print(line, file=err)
    return 0
