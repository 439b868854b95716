"""Stage 3: a template folder turns the validated model into leaflet markup.

A template is a folder with ``theme.yaml`` (the look), ``body.xml.j2`` (the medicine's leaflet) and
``patient.xml.j2`` (the per-patient parts: the prescription panel and the prescriber notes). The
layouts run in Jinja2's sandbox with autoescaping, see only plain data (no Python objects, no files),
and can include only files from their own template folders.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from . import buildcache, caches, diskcache, i18n, inline
from .content import validate
from .errors import Location, NotFoundError, TemplateError, display_path
from .fonts import Family, FontChain, family
from .model import header_rows
from .resources import shipped_dir
from .theme import REQUIRED_STYLES, Theme, merge
from .yamlsafe import Loaded, load_yaml_file

BODY = "body.xml.j2"
PATIENT = "patient.xml.j2"


class _FolderLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that refuses links leading out of the template folders."""

    def get_source(self, environment, template):
        for folder in self.searchpath:  # a template added to an earlier folder would take this one's place
            buildcache.consulted(os.path.join(folder, *template.split("/")))
        source, filename, uptodate = super().get_source(environment, template)
        real = os.path.realpath(filename)
        if not any(real.startswith(os.path.realpath(root) + os.sep) for root in self.searchpath):
            raise jinja2.TemplateNotFound(template)
        return source, filename, uptodate


@dataclass(frozen=True, eq=False)  # identity: instances are cached
class Template:
    """A loaded template: its theme, its fonts and its sandboxed Jinja2 environment."""

    name: str
    folders: tuple[Path, ...]  # the template's own folder first, then what it extends
    theme: Theme
    env: ImmutableSandboxedEnvironment
    body_font: Family
    heading_font: Family
    fallbacks: tuple[tuple[str, Callable[[], Family]], ...] = ()  # (name, loader), loaded when needed

    @property
    def body_chain(self) -> FontChain:
        return _chain(self.body_font, self.fallbacks)

    @property
    def heading_chain(self) -> FontChain:
        return _chain(self.heading_font, self.fallbacks)

    def render_body(self, data: dict[str, Any]) -> str:
        """The medicine's leaflet as markup; ``data`` is the content model as plain data."""
        return self._render(BODY, data)

    def render_patient(self, data: dict[str, Any]) -> str:
        """The per-patient parts as markup."""
        return self._render(PATIENT, data)

    def _render(self, name: str, data: dict[str, Any]) -> str:
        try:
            return self.env.get_template(name).render(data)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"template syntax error: {exc.message}",
                                where=Location(display_path(exc.filename or name), exc.lineno)) from None
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"template file '{exc.name}' not found",
                                where=Location(display_path(self.folders[0]))) from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"template uses an undefined value: {exc.message}",
                                where=Location(display_path(self.folders[0] / name))) from None
        except jinja2.exceptions.SecurityError as exc:
            raise TemplateError(f"template tried something the sandbox forbids: {exc}",
                                where=Location(display_path(self.folders[0] / name))) from None
        except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError, MemoryError,
                OverflowError, jinja2.TemplateError) as exc:  # a mistake in the template's own code
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
            where = (Location(display_path(frames[-1].filename), frames[-1].lineno) if frames
                     else Location(display_path(self.folders[0] / name)))
            raise TemplateError(f"the template failed: {type(exc).__name__}: {exc}", where=where) from None


def shipped_templates() -> list[str]:
    root = shipped_dir("templates")
    return sorted(p.name for p in root.iterdir() if (p / "theme.yaml").is_file())


def resolve(spec: str, relative_to: Path | None = None) -> Path:
    """``standard`` / ``large-print`` -> the shipped folder; anything path-like -> that folder
    (relative to ``relative_to``, the folder of the theme that names it, when given)."""
    if "/" in spec or os.sep in spec or spec.startswith("."):
        folder = Path(spec) if relative_to is None else relative_to / spec
        if not (folder / "theme.yaml").is_file():
            raise NotFoundError(f"'{spec}' is not a template folder (no theme.yaml in it)",
                                hint="a template folder holds theme.yaml, body.xml.j2 and patient.xml.j2")
        return folder
    folder = shipped_dir("templates") / spec
    if not (folder / "theme.yaml").is_file():
        raise NotFoundError(f"unknown template '{spec}'",
                            hint="available: " + ", ".join(shipped_templates())
                            + ", or a path to your own template folder")
    return folder


def load_template(spec: str) -> Template:
    """Load a template by shipped name or folder path (cached per process)."""
    folder = resolve(spec).resolve()
    return _load(folder, _stamp(folder))


@caches.memoize("templating.extends", 64)
def _extends(theme: Path, _mtime: int) -> str | None:
    """The template a theme file extends (read again only when the file changes)."""
    try:
        data = load_yaml_file(theme).data
    except Exception:  # noqa: BLE001 - a broken theme is reported when the template is loaded
        return None
    return data.get("extends") if isinstance(data, dict) else None


def _stamp(folder: Path) -> tuple:
    """Modification times of every file of a template and of the templates it extends (cache key)."""
    out: list = []
    seen: set[Path] = set()
    while folder not in seen:
        seen.add(folder)
        out += [(str(p), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()]
        theme = folder / "theme.yaml"
        parent = _extends(theme, theme.stat().st_mtime_ns) if theme.is_file() else None
        if not parent:
            break
        try:
            folder = resolve(str(parent), folder).resolve()
        except NotFoundError:
            break
    return tuple(out)


@caches.memoize("templating.templates", 16)
def _load(folder: Path, _stamp: tuple) -> Template:
    folders: list[Path] = []
    raw_themes: list[Loaded] = []
    current: Path | None = folder
    while current is not None:
        if current in folders:
            raise TemplateError("templates extend each other in a loop",
                                where=Location(display_path(current / "theme.yaml")))
        loaded = load_yaml_file(current / "theme.yaml", what="theme file")
        if not isinstance(loaded.data, dict):
            raise TemplateError("theme.yaml must be a mapping", where=Location(loaded.file, 1))
        folders.append(current)
        raw_themes.append(loaded)
        parent = loaded.data.get("extends")
        current = resolve(str(parent), current).resolve() if parent else None
    merged: dict = {}
    for loaded in reversed(raw_themes):
        merged = merge(merged, loaded.data)
    merged["name"] = raw_themes[0].data.get("name", folder.name)
    top = Loaded(merged, raw_themes[0].file, raw_themes[0].positions)
    theme = validate(Theme, top)
    missing = [s for s in REQUIRED_STYLES if s not in theme.styles]
    if missing:
        raise TemplateError("theme has no style(s): " + ", ".join(missing),
                            where=Location(top.file, field="styles"))
    fams = {role: _family(theme, name, folders) for role, name in theme.fonts.items()}
    if "body" not in fams:
        raise TemplateError("theme names no body font", where=Location(top.file, field="fonts.body"))
    env = ImmutableSandboxedEnvironment(loader=_FolderLoader([str(f) for f in folders]), **_ENV_SETTINGS,
                                        bytecode_cache=_bytecode_cache())
    # Template words go through _("...") / gettext("..."). They return plain text, so autoescaping
    # applies to translations too; "{name}" placeholders are filled from keyword arguments. Each render
    # passes the functions for its language; these English ones are the fallback.
    env.globals.update(i18n.functions("en"))
    env.filters["inline"] = _inline_filter(theme.allow_italic)
    env.filters["lines"] = _lines_filter(theme.allow_italic)
    env.filters["plain"] = inline.plain
    env.filters["numbers"] = inline.bind_numbers
    env.filters["longdate"] = i18n.long_date
    env.filters["head_rows"] = head_rows
    env.filters["up_to_strength"] = inline.up_to_strength
    env.tests["introducing"] = _introducing
    fallbacks = tuple((name, partial(_family, theme, name, tuple(folders))) for name in theme.fallback_fonts)
    return Template(folder.name, tuple(folders), theme, env, fams["body"], fams.get("heading", fams["body"]),
                    fallbacks)


def _introducing(value: Any) -> bool:
    """``x is introducing`` in a template: content text that ends with a colon (a list's intro)."""
    return isinstance(value, str) and inline.introduces(inline.plain(value))


def head_rows(table: dict) -> list[list[str]]:
    """A content table's header rows (``table|head_rows`` in a template): its ``header`` is one row of
    cells, or a list of rows (a group heading above the columns' headings)."""
    return header_rows(table.get("header") if isinstance(table, dict) else None)


#: How every template's Jinja2 environment is made (with its own folders as the loader).
_ENV_SETTINGS: dict[str, Any] = {"autoescape": True, "undefined": jinja2.StrictUndefined, "trim_blocks": True,
                                 "lstrip_blocks": True, "auto_reload": False}


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept on disk for the next process (:mod:`leaflet.diskcache`); None: off."""
    return diskcache.jinja_bytecode_cache(
        (ImmutableSandboxedEnvironment.__qualname__, sorted((k, repr(v)) for k, v in _ENV_SETTINGS.items())))


@caches.memoize("templating.font-chains", 64)
def _chain(primary: Family, fallbacks: tuple) -> FontChain:
    return FontChain(primary, fallbacks)


def _family(theme: Theme, name: str, folders: tuple[Path, ...] | list[Path]) -> Family:
    files = theme.font_files.get(name)
    if files is None:
        return family(name)
    paths: dict[str, Path] = {}
    for face, rel in files.items():
        for folder in folders:  # font files must live inside a template folder
            candidate = (folder / rel).resolve()
            if candidate.is_file() and candidate.is_relative_to(folder):
                paths[face] = candidate
                break
        else:
            raise TemplateError(f"font file '{rel}' not found inside the template folder",
                                where=Location(display_path(folders[0] / "theme.yaml"),
                                               field=f"font_files.{name}.{face}"))
    return family(name, paths)


def _text_only(value: Any, name: str) -> str:
    """A filter's value as text; a list or mapping is a template's mistake (it printed as "['', 'Dose']":
    a table's header of several rows looped over as one row), refused with what to do."""
    if isinstance(value, (list, tuple, dict)):  # (reported with the template's file and line)
        raise TypeError(f"the '{name}' filter was given a {type(value).__name__}, not text (a table's "
                        "header rows: loop over `b.table|head_rows`, then over each row's cells; a cell "
                        "over several columns is a mapping: `<td columns=\"{{ c.columns }}\">{{ c.text|lines }}</td>`)")
    return str(value)


def _inline_filter(allow_italic: bool):
    def apply(value: Any) -> Markup:
        markup = inline.to_markup(_text_only(value, "inline"))
        if not allow_italic:
            markup = markup.replace("<i>", "<b>").replace("</i>", "</b>")
        return Markup(markup)
    return apply


def _lines_filter(allow_italic: bool):
    """``inline``, line by line, a ``<br/>`` between the lines (a table cell's lines)."""
    one = _inline_filter(allow_italic)

    def apply(value: Any) -> Markup:
        return Markup("<br/>").join(one(line) for line in _text_only(value, "lines").split("\n"))
    return apply
