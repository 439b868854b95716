"""Reading the files people give us: only regular files, and never more than a limit.

Every user file (content, patient, pharmacy, logo, notes, job list) goes through :func:`read_limited`.
It opens without blocking (a FIFO or a terminal would otherwise wait for a writer for ever), refuses
anything that is not a regular file (``/dev/zero``, a FIFO, a socket, a folder; a symbolic link is
followed and its target judged), and reads at most ``limit`` bytes (files in ``/proc`` say they are
empty, so the size on disk alone is not trusted).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import ContentError, LeafletError, Location, display_path


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_limited(path: Path, limit: int, *, what: str = "file", where: Location | None = None,
                 error: type[LeafletError] = ContentError) -> bytes:
    """The bytes of the regular file ``path``; raise ``error`` naming the file for anything else."""
    where = where or Location(display_path(path))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise error(f"{what} not found", where=where, hint="check the path and the spelling") from None
    except IsADirectoryError:
        raise error(f"expected a {what}, found a folder", where=where) from None
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror}", where=where) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            found = _kind(info.st_mode)
            found = f"found {found}" if found != "not a regular file" else found
            raise error(f"expected a {what}, {found}", where=where,
                        hint="give the path of an ordinary file") from None
        if info.st_size > limit:
            raise error(f"the {what} is larger than {_size(limit)}", where=where,
                        hint="use a smaller file") from None
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror}", where=where) from None
    finally:
        os.close(fd)
    if total > limit:
        raise error(f"the {what} is larger than {_size(limit)}", where=where, hint="use a smaller file")
    return b"".join(chunks)


def _size(limit: int) -> str:
    if limit >= 1 << 20 and limit % (1 << 20) == 0:
        return f"{limit >> 20} MiB"
    if limit >= 1 << 10 and limit % (1 << 10) == 0:
        return f"{limit >> 10} KiB"
    return f"{limit} bytes"


def read_text_limited(path: Path, limit: int, *, what: str = "file", where: Location | None = None,
                      error: type[LeafletError] = ContentError, encoding: str = "utf-8") -> str:
    """:func:`read_limited`, decoded; a decoding error names the line."""
    raw = read_limited(path, limit, what=what, where=where, error=error)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        base = where or Location(display_path(path))
        raise error(f"the {what} is not valid UTF-8 text", where=Location(base.file, line),
                    hint="save the file as UTF-8") from None


def hide_linked_text(exc: LeafletError, path: Path, what: str) -> LeafletError:
    """``exc`` as it may be shown when ``path`` is a symbolic link: where the problem is, no text from it.

    A link can point at any file the user running leaflet may read; an error message quoting its values
    would show another file's contents (for example through a service or a shared log).
    """
    if not os.path.islink(path) or exc.where is None or exc.where.line is None:
        return exc
    return type(exc)(f"the {what} is a link to another file that is not a valid {what} (its text is not shown)",
                     where=Location(display_path(path), exc.where.line, exc.where.column),
                     hint="open the file the link points to, or give its own path, to see the whole message")
