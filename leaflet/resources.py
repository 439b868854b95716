"""Where shipped content, templates and fonts live, from a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
FONTS_DIR = PACKAGE_DIR / "fonts"


def shipped_dir(name: str) -> Path:
    """The shipped ``content`` or ``templates`` folder.

    In a wheel they are packaged as ``leaflet/_data/<name>``; in a checkout (or an editable
    install) they are the top-level folders beside the package.
    """
    for candidate in (PACKAGE_DIR / "_data" / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"shipped folder '{name}' is missing from this installation")
