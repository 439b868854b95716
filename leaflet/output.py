"""Stage 6: PDF bytes -> a file, atomically (a failed build never leaves a partial PDF)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import Location, OutputError, display_path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    folder = path.parent if str(path.parent) else Path(".")
    where = Location(display_path(path))
    if path.is_dir():
        raise OutputError("the output path is a folder", where=where, hint="give a file name ending in .pdf")
    if not folder.is_dir():
        raise OutputError(f"the folder {display_path(folder)} does not exist", where=where,
                          hint="create it first, or choose another output path")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write in {display_path(folder)}: {exc.strerror}", where=where,
                          hint="choose a folder you can write to") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write the file: {exc.strerror}", where=where) from None
        raise
