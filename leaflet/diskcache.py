"""The on-disk cache: what a new process may reuse from an earlier one, so a cold build starts warm.

Only what is checked against its source on every use is kept here: Jinja2's compiled templates, each
stored with a checksum of its template's source and used only while the source is unchanged (Jinja2's
own :class:`jinja2.FileSystemBytecodeCache`, which writes to a temporary file and renames it, so a
reader never sees half a file); and what ReportLab finds when it parses a font file (each character's
glyph and width), kept under the file's SHA-256 and the ReportLab version
(:func:`leaflet.rlbridge.load_ttfont`). The bytes of a leaflet never depend on whether the cache was
used.

Where: ``$LEAFLET_CACHE_DIR``, else ``$XDG_CACHE_HOME/leaflet``, else ``~/.cache/leaflet``. Set
``LEAFLET_CACHE_DIR=off`` to use none. Compiled templates are code, so the folder must be the user's
own: it is made private (0700), and a folder that another user owns, or that others may write to, is
not used (nor is one that cannot be made): leaflet then compiles in memory, as it always did.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

OFF = ("off", "0", "no", "none", "false")


def root() -> Path | None:
    """The cache folder, or None when caching is off."""
    configured = os.environ.get("LEAFLET_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in OFF or not configured.strip() else Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "leaflet"
    home = os.path.expanduser("~")
    return Path(home) / ".cache" / "leaflet" if home != "~" else None


def private_dir(*parts: str) -> Path | None:
    """``root()/parts...``, made if missing; None when caching is off or the folder is not private."""
    base = root()
    if base is None:
        return None
    folder = base.joinpath(*parts)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # every folder from the cache's root down must be the user's alone
        for path in (base, *(base.joinpath(*parts[:k]) for k in range(1, len(parts) + 1))):
            info = path.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != _uid() or info.st_mode & 0o022:
                return None
    except OSError:
        return None
    return folder


def _uid() -> int:
    return os.getuid() if hasattr(os, "getuid") else -1  # no user ids (Windows): no cache


def fingerprint(*settings: object) -> str:
    """A short name for a set of settings (a folder per set: what one set makes, another never reads)."""
    text = repr((sys.version_info[:2], *settings))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def jinja_bytecode_cache(settings: tuple):
    """A Jinja2 bytecode cache for environments made with ``settings``, or None."""
    import jinja2

    folder = private_dir("jinja", f"{jinja2.__version__}-{fingerprint(*settings)}")
    return jinja2.FileSystemBytecodeCache(str(folder)) if folder is not None else None
