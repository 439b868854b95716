"""Stage 1: find a content file and turn it into a validated :class:`~leaflet.model.Leaflet`.

Every error names the file, the line and column, and the field, and says what is expected.
"""

from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from . import buildcache, caches, i18n, model
from .errors import ContentError, Location, NotFoundError, display_path
from .resources import shipped_dir
from .yamlsafe import Loaded, dotted, load_yaml_file

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, eq=False)  # identity: instances are cached
class ContentFile:
    """A validated leaflet and the file it came from (for error locations later)."""

    leaflet: model.Leaflet
    source: Loaded
    path: Path


def content_roots(extra: list[Path | str] | None = None) -> list[Path]:
    """Folders searched for ``<medicine>/<lang>.yaml``: the user's first (paths, or their names as
    text, from a Python caller), then the shipped one."""
    folders = [Path(folder) for folder in extra or []]
    for folder in folders:
        if not folder.is_dir():
            raise NotFoundError(f"content folder {display_path(folder)} does not exist",
                                hint="check the --content path")
    return [*folders, shipped_dir("content")]


_MEDICINE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2})?$")


def is_medicine_id(text: str) -> bool:
    return bool(_MEDICINE.match(text)) and len(text) <= 60


def available(roots: list[Path]) -> dict[str, list[str]]:
    """Medicines found under ``roots`` and the languages each has, sorted."""
    found: dict[str, set[str]] = {}
    for root in roots:
        if not root.is_dir():
            continue
        for folder in root.iterdir():
            if folder.is_dir():
                langs = {p.stem for p in folder.glob("*.yaml") if _LANGUAGE.match(p.stem)}
                if langs:
                    found.setdefault(folder.name, set()).update(langs)
    return {name: sorted(langs) for name, langs in sorted(found.items())}


def locate(medicine: str, language: str, roots: list[Path]) -> Path:
    """The content file for ``medicine`` in ``language``, or a :class:`NotFoundError` that lists what exists."""
    if not _MEDICINE.match(medicine):
        raise NotFoundError(f"'{medicine}' is not a medicine id", hint="ids look like 'diazepam'; see `leaflet list`")
    if not _LANGUAGE.match(language):
        raise NotFoundError(f"'{language}' is not a language code",
                            hint="codes look like 'en', 'zh-Hans' or 'pt-BR'; see `leaflet list`")
    for root in roots:
        candidate = root / medicine / f"{language}.yaml"
        buildcache.consulted(candidate)  # a file added later to an earlier folder would take its place
        if candidate.is_file():
            return candidate
    known = available(roots)
    chosen = i18n.negotiate(language, known.get(medicine, []))
    if chosen is not None and chosen != language:
        from .translations import LanguageChosen

        warnings.warn(f"there is no '{language}' leaflet for {medicine}; using '{chosen}', the same language "
                      "and script", LanguageChosen, stacklevel=3)
        return locate(medicine, chosen, roots)
    if medicine not in known:
        close = difflib.get_close_matches(medicine.lower(), list(known), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise NotFoundError(f"unknown medicine '{medicine}'",
                            hint=hint + "available: " + (", ".join(known) or "none"))
    raise NotFoundError(f"no '{language}' leaflet for {medicine}",
                        hint="available languages: " + ", ".join(known[medicine]))


def load(path: Path) -> ContentFile:
    """Load and validate one content file (cached by path, size and modification time)."""
    stat = path.stat()
    return _load_cached(path.resolve(), stat.st_mtime_ns, stat.st_size)


@caches.memoize("content.files", 64)
def _load_cached(path: Path, _mtime: int, _size: int) -> ContentFile:
    source = load_yaml_file(path, what="content file")
    leaflet = validate(model.Leaflet, source)
    problems = model.structure_problems(leaflet)
    if problems:
        path_key, message = problems[0]
        lines = [message] + [f"  also line {source.locate(p).line}, field '{dotted(p)}': {m}"
                             for p, m in problems[1:6]]
        raise ContentError("\n".join(lines), where=source.locate(path_key),
                           hint=_more(len(problems) - 6) if len(problems) > 6 else _structure_hint(message))
    return ContentFile(leaflet, source, path)


def validate(model_cls: type[M], source: Loaded, limit: int | None = 4) -> M:
    """Validate ``source.data`` as ``model_cls``; turn pydantic's errors into one clear message
    (showing ``limit`` problems, or all of them)."""
    if not isinstance(source.data, dict):
        raise ContentError("expected a mapping of fields (key: value) at the top of the file",
                           where=Location(source.file, 1, 1))
    try:
        return model_cls.model_validate(source.data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        path = _yaml_path(first["loc"], source, first["type"], first.get("ctx"))
        names = _field_names(model_cls)
        message = _explain(first, path, names)
        lines = [message]
        shown = len(errors) if limit is None else limit
        for other in errors[1:shown]:
            other_path = _yaml_path(other["loc"], source, other["type"], other.get("ctx"))
            where = source.locate(other_path)
            lines.append(f"  also {f'line {where.line}, ' if where.line else ''}field '{dotted(other_path)}': "
                         f"{_explain(other, other_path, names)}")
        extra = len(errors) - shown
        raise ContentError("\n".join(lines), where=source.locate(path),
                           hint=_more(extra) if extra > 0 else _hint(first)) from None


def _yaml_path(loc: tuple[Any, ...], source: Loaded, kind: str = "missing",
               ctx: dict | None = None) -> tuple[str | int, ...]:
    """Map pydantic's location (which includes union tags) onto a path in the YAML data.

    A last part that is not in the data is a missing or unknown key, named for those errors only
    (for others it is a union tag or a model validator's name). A model validator's error may name
    the field it is about (``ctx["field"]``, e.g. ``("quantity",)``): the path goes on to it, as far as
    the data has it."""
    if ctx and ctx.get("field"):
        loc = (*loc, *ctx["field"])
    path: tuple[str | int, ...] = ()
    data = source.data

    def has(value: Any, at: int) -> bool:  # whether loc[at] is in ``value``
        part = loc[at]
        if isinstance(value, dict):
            return part in value
        return isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)

    for index, part in enumerate(loc):
        if isinstance(data, dict) and part in data:
            if index + 1 < len(loc) and has(data, index + 1) and not has(data[part], index + 1):
                continue  # a union tag named as its block's key ('steps', 'table'): the block, not the key
            data = data[part]
            path += (part,)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
            path += (part,)
        elif (index == len(loc) - 1 and isinstance(data, dict) and isinstance(part, str)
              and kind in ("missing", "extra_forbidden")):
            path += (part,)  # a missing or unknown key: name it
        # anything else is a union tag such as 'paragraph' or 'warning': not in the file
    return path


def _field_names(model_cls: type[BaseModel]) -> set[str]:
    """Every field name of ``model_cls`` and of the models nested in it."""
    names: set[str] = set()
    todo, seen = [model_cls], set()
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        for name, info in cls.model_fields.items():
            names.add(info.alias or name)
            todo.extend(_models_in(info.annotation))
    return names


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) + getattr(annotation, "__metadata__", ())
            for m in _models_in(arg)]


def _explain(error: dict[str, Any], path: tuple[str | int, ...], names: set[str]) -> str:
    kind = error["type"]
    key = path[-1] if path else ""
    if kind == "leaflet":  # our own validators: a full sentence and a hint
        return error["ctx"]["message"]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(key), sorted(names - {str(key)}), n=1)
        return f"unknown field '{key}'" + (f" (did you mean '{close[0]}'?)" if close else "")
    if kind == "missing":
        return f"missing required field '{error['loc'][-1]}'"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch" and key == "id":
        return "an id uses lowercase letters, digits and single hyphens only (e.g. 'side-effects')"
    if kind == "string_pattern_mismatch" and str(key) in ("language", "source_language", "notes_language"):
        return (f"should be a language tag such as en, de, pt-BR or zh-Hans "
                f"(found {_short(error.get('input'))})")
    if kind == "string_type" and isinstance(error.get("input"), bool):
        return (f"YAML reads a bare yes, no, on or off as {str(error['input']).lower()}, not as text; put the "
                "text in quotes: \"no\"")
    if kind.startswith("date_"):
        return f"should be a date written YYYY-MM-DD, e.g. 2026-11-01 (found {_short(error.get('input'))})"
    if kind == "string_type" and isinstance(error.get("input"), (int, float)) and not isinstance(
            error.get("input"), bool):
        return (f"a number here must be written in quotes (found {error['input']!r}), so it prints exactly "
                "as typed: \"0.50\", not 0.5")
    if kind == "literal_error":
        return f"{error['msg'].replace('Input should be', 'must be')} (found {error['input']!r})"
    return f"{error['msg'].replace('Input should be', 'should be')} (found {_short(error.get('input'))})"


def _hint(error: dict[str, Any]) -> str | None:
    if error["type"] == "leaflet":
        return error["ctx"].get("hint")
    if error["type"] == "extra_forbidden":
        return "remove the field or fix its spelling; `leaflet schema` lists every field"
    if error["type"] == "missing":
        return "add the field; `leaflet schema` describes every field"
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _more(count: int) -> str | None:
    return f"and {count} more problem(s) after these; fix these first" if count else None


def _structure_hint(message: str) -> str | None:
    if message.startswith("missing required field"):
        return "add the field; `leaflet schema` describes every field"
    return None


def check_all(paths: list[Path]) -> list[tuple[Path, ContentError | None]]:
    """Validate every content file under ``paths``; used by ``leaflet check``."""
    results: list[tuple[Path, ContentError | None]] = []
    for path in paths:
        # a folder's other YAML (a patient or pharmacy file kept beside the content) is not content
        files = sorted(p for p in path.rglob("*.yaml") if _LANGUAGE.match(p.stem)) if path.is_dir() else [path]
        for file in files:
            try:
                try:
                    load(file)
                except ContentError:  # again, to list every problem (a build stops at the first few)
                    validate(model.Leaflet, load_yaml_file(file, what="content file"), limit=None)
                    raise
                results.append((file, None))
            except ContentError as exc:
                results.append((file, exc))
            except OSError as exc:
                results.append((file, ContentError(str(exc.strerror), where=Location(display_path(file)))))
    return results
