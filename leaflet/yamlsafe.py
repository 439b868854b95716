"""Safe, bounded YAML loading that remembers where every value came from.

Content, patient and branding files are YAML written by people, so they are loaded with the safe
loader (no Python objects), with limits on size, depth and node count, and with anchors and aliases
refused (they are how a small file explodes in memory). Each value's line and column is kept, so a
validation error later can point at the line to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ContentError, Location, display_path
from .files import read_text_limited

try:  # libyaml is much faster; the pure-Python loader behaves the same.
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader



class _TextLoader(_Loader):
    """The safe loader with one implicit type only, null: every other plain scalar stays the text it is.

    Patient, pharmacy and job files hold what people type about one patient. YAML 1.1 reads
    ``010`` as 8, ``1:30`` as 90, ``0x10`` as 16 and ``yes`` as true, so a dose could print as something
    other than what was typed, and differently from the same value in a CSV file. Read as text, each
    value is checked by the one parser every input path shares (``leaflet.directions``).
    """


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}

MAX_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 40

PathKey = tuple[str | int, ...]


@dataclass
class Loaded:
    """Plain data from a YAML file, with the position of every value and key."""

    data: Any
    file: str
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: PathKey, field_name: str | None = None) -> Location:
        """The location of ``path``, or of its nearest parent that has one."""
        probe = tuple(path)
        while probe and probe not in self.positions:
            probe = probe[:-1]
        line, col = self.positions.get(probe, (None, None))
        return Location(self.file, line, col, field_name if field_name is not None else dotted(path))


def dotted(path: PathKey) -> str:
    """``("sections", 2, "title")`` -> ``"sections[2].title"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def load_yaml_file(path: Path, *, what: str = "file", text_scalars: bool = False) -> Loaded:
    """Read and parse ``path``; raise :class:`ContentError` with a position on any problem.

    With ``text_scalars``, plain scalars other than null are read as text (see :class:`_TextLoader`).
    """
    shown = display_path(path)
    text = read_text_limited(path, MAX_BYTES, what=what, where=Location(shown))
    return load_yaml_text(text, shown, text_scalars=text_scalars)


def load_yaml_text(text: str, file: str = "<text>", *, text_scalars: bool = False) -> Loaded:
    """Parse YAML text safely, with limits; see the module docstring."""
    loader = (_TextLoader if text_scalars else _Loader)(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "malformed YAML"
            raise ContentError(
                f"malformed YAML: {problem}",
                where=Location(file, mark.line + 1 if mark else None,
                               mark.column + 1 if mark else None),
                hint=_hint_for(text, mark),
            ) from None
        except yaml.YAMLError as exc:
            raise ContentError(f"malformed YAML: {exc}", where=Location(file)) from None
        loaded = Loaded(None, file)
        if node is None:
            return loaded
        _walk(node, (), loaded, set(), [0])
        if text_scalars:
            lines = text.splitlines()
            if lines and lines[0].startswith("\ufeff"):  # (YAML's columns do not count a byte-order mark)
                lines[0] = lines[0][1:]
            _refuse_readings(node, (), loaded.file, lines)
        try:
            loaded.data = loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            raise ContentError(f"invalid YAML value: {exc.problem}",
                               where=Location(file, mark.line + 1 if mark else None)) from None
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date such as 2026-02-30
            raise ContentError(f"invalid value: {exc}", where=_bad_scalar(node, file),
                               hint="dates are written YYYY-MM-DD and must exist") from None
        return loaded
    finally:
        loader.dispose()


def _hint_for(text: str, mark) -> str:
    """What to do about a YAML syntax error; a value starting with * (bold) is the usual one."""
    lines = text.splitlines()
    line = lines[mark.line] if mark and 0 <= mark.line < len(lines) else ""
    if re.match(r"^\s*(?:-\s+|[\w-]+:\s+)\*", line):
        return ("a value that starts with * (such as **bold**) must be in quotes, or YAML reads the * as an "
                "alias: - \"**Do not** take ...\"")
    return "check indentation, colons and quotes on this line or the one before"


def _bad_scalar(node: yaml.Node, file: str) -> Location:
    """The first scalar that the safe constructor cannot turn into a value (for the error's line)."""
    stack = [(node, ())]
    constructor = yaml.SafeLoader("")
    while stack:
        current, path = stack.pop(0)
        if isinstance(current, yaml.ScalarNode):
            try:
                constructor.construct_object(current, deep=True)
            except Exception:  # noqa: BLE001 - any failure is the one we are looking for
                return Location(file, current.start_mark.line + 1, current.start_mark.column + 1, dotted(path))
        elif isinstance(current, yaml.MappingNode):
            stack.extend((v, path + (k.value,)) for k, v in current.value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((v, path + (i,)) for i, v in enumerate(current.value))
    return Location(file)


_PLAIN_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
               "tag:yaml.org,2002:seq"}


#: The fields of patient, pharmacy and job files printed as typed (free text, not a code from a list).
PRINTED_AS_TYPED = frozenset({"name", "prescriber", "pharmacy", "directions", "notes", "address", "phone"})


def _refuse_readings(node: yaml.Node, path: PathKey, file: str, lines: list[str]) -> None:
    """What a file read as text may not hold, so that each value is what its writer sees:

    - an explicit tag (``!!int 010``), which would bring YAML's other readings back;
    - YAML's words for no value (``null``, ``Null``, ``NULL``, ``~``) in a value printed as typed,
      which would print as a blank where someone may have meant the word (a surname); an empty value
      is no value, and so is such a word in a coded field or a date;
    - a comment after a value printed as typed (:data:`PRINTED_AS_TYPED`) on its line: YAML drops
      everything from `` #``, so "Take 1 at night #2 hours before bed" would print "Take 1 at night".
    """
    where = Location(file, node.start_mark.line + 1, node.start_mark.column + 1, dotted(path))
    if node.tag not in _PLAIN_TAGS:
        raise ContentError(f"YAML tags such as {node.tag.replace('tag:yaml.org,2002:', '!!')} are not allowed here",
                           where=where, hint="write the value plainly, without a tag: it is read as the text it is")
    if isinstance(node, yaml.ScalarNode) and not node.style and node.value and path:  # plain: None or ""
        field_name = next((part for part in reversed(path) if isinstance(part, str)), None)
        if field_name in PRINTED_AS_TYPED:  # (elsewhere a word for no value is no one's word)
            _refuse_hidden_text(node, path, file, lines, where)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _refuse_readings(key, path, file, lines)
            _refuse_readings(value, path + (key.value,), file, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_readings(item, path + (index,), file, lines)


def _refuse_hidden_text(node: yaml.ScalarNode, path: PathKey, file: str, lines: list[str], where: Location) -> None:
    """A plain, non-empty value printed as typed that YAML reads as no value, or that a comment follows."""
    if node.tag == "tag:yaml.org,2002:null":
        raise ContentError(f"'{node.value}' is YAML's word for no value, so it would print as a blank",
                           where=where, hint=f"to print the word, put it in quotes: \"{node.value}\"; for no "
                                             "value, leave nothing after the colon (or leave the field out)")
    end = node.end_mark
    rest = lines[end.line][end.column:] if end.line < len(lines) else ""
    after = rest.lstrip()
    if after.startswith("#"):
        raise ContentError(f"'{after}' after the text is a YAML comment, so it would not print",
                           where=Location(file, end.line + 1, end.column + 1 + len(rest) - len(after), dotted(path)),
                           hint="to print it, put the whole value in quotes; to keep it as a comment, put "
                                "it on a line of its own")


def _walk(node: yaml.Node, path: PathKey, loaded: Loaded, seen: set[int], count: list[int]) -> None:
    """Record positions; refuse aliases, duplicate keys, too deep or too many nodes."""
    where = Location(loaded.file, node.start_mark.line + 1, node.start_mark.column + 1, dotted(path))
    if id(node) in seen:  # the composer shares one node between an anchor and its aliases
        raise ContentError("YAML anchors and aliases (& and *) are not allowed", where=where,
                           hint="write the value out in full")
    seen.add(id(node))
    count[0] += 1
    if count[0] > MAX_NODES:
        raise ContentError(f"file has more than {MAX_NODES} values", where=where)
    if len(path) > MAX_DEPTH:
        raise ContentError(f"values nested deeper than {MAX_DEPTH} levels", where=where)
    loaded.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        keys: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ContentError("mapping keys must be plain words",
                                   where=Location(loaded.file, key_node.start_mark.line + 1,
                                                  key_node.start_mark.column + 1, dotted(path)))
            key = key_node.value
            if key == "<<":
                raise ContentError("YAML merge keys (<<) are not allowed", where=where)
            if key in keys:
                raise ContentError(
                    f"key '{key}' appears twice (first on line {keys[key]})",
                    where=Location(loaded.file, key_node.start_mark.line + 1,
                                   key_node.start_mark.column + 1, dotted(path + (key,))),
                    hint="remove or rename one of them",
                )
            keys[key] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), loaded, seen, count)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), loaded, seen, count)
