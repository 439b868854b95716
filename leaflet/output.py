"""Stage 6: PDF bytes -> a file, atomically (a failed build never leaves a partial PDF).

The output is either a new path or an existing regular file (a symbolic link to one is followed, and the
file it points to is replaced). Anything else is refused before a byte is written: a folder, a device
(``/dev/null``), a FIFO, a socket, and anything in ``/proc`` or ``/sys`` (``/dev/stdout`` is a link into
``/proc``: replacing it would send nothing to standard output; ``-o -`` does that). A new file gets the
permissions the umask gives (``0o666 & ~umask``, as ``open()`` would); a replaced file keeps its own.
"""

from __future__ import annotations

import os
import stat
import tempfile
import threading
from pathlib import Path

from .errors import Location, OutputError, display_path

#: Pseudo file systems: their "files" are the kernel's, never a place for a leaflet.
SYSTEM_DIRS = ("/proc", "/sys")
_MAX_LINKS = 40
_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process's umask, read without changing it (Linux), or briefly set and restored under a lock."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:  # other threads could create files in this instant: keep it short
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _in_system_dir(path: Path) -> bool:
    real = os.path.realpath(path.parent)
    return any(real == d or real.startswith(d + "/") for d in SYSTEM_DIRS)


def resolve_target(path: Path) -> tuple[Path, int | None]:
    """The file to replace and its permission bits (None for a new file); refuse anything else."""
    where = Location(display_path(path))
    refuse_hint = "give the path of a new or ordinary file, or - for standard output"
    current = Path(os.path.abspath(path))
    for _ in range(_MAX_LINKS):
        if _in_system_dir(current):
            raise OutputError(f"cannot write to {current}: it is a system file, not a place for a leaflet",
                              where=where, hint=refuse_hint)
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return current, None
        except OSError as exc:
            raise OutputError(f"cannot write the file: {exc.strerror}", where=where) from None
        if stat.S_ISLNK(info.st_mode):
            link = os.readlink(current)
            current = Path(os.path.abspath(Path(os.path.realpath(current.parent)) / link))
            continue
        if stat.S_ISDIR(info.st_mode):
            raise OutputError("the output path is a folder", where=where, hint="give a file name ending in .pdf")
        if not stat.S_ISREG(info.st_mode):
            raise OutputError(f"cannot write to {display_path(current)}: it is {_kind(info.st_mode)}",
                              where=where, hint=refuse_hint)
        return current, stat.S_IMODE(info.st_mode)
    raise OutputError("cannot write the file: too many levels of symbolic links", where=where)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    where = Location(display_path(path))
    target, mode = resolve_target(path)
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"the folder {display_path(folder)} does not exist", where=where,
                          hint="create it first, or choose another output path")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write in {display_path(folder)}: {exc.strerror}", where=where,
                          hint="choose a folder you can write to") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode if mode is not None else 0o666 & ~current_umask())
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write the file: {exc.strerror}", where=where) from None
        raise
