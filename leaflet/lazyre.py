"""Regular expressions that libraries compile when they are imported, compiled when first used instead.

ReportLab compiles a pattern for web addresses when ``reportlab.platypus.paragraph`` is imported (it
splits an address that does not fit at the end of a line); it is the costliest line of a cold start
(about 23 ms of a 350 ms ``leaflet build``, :mod:`benchmarks.peer`), and few leaflets ever need it.
pikepdf's pattern for characters XML cannot hold costs 3 ms, and two more (ReportLab's for CJK text,
PyYAML's for characters YAML cannot hold) 6 ms together. :func:`install` puts a
:class:`LazyPattern` for each into the ``re`` module's cache of compiled patterns before those
libraries are imported, so their ``re.compile`` returns it: the pattern is compiled, exactly as they
wrote it, the first time it is used, and then takes the seed's place in the cache. Nothing else
changes: the same pattern matches the same text.

Only a few specific patterns are seeded: other code that compiled the very same string before its
first use would get the stand-in (its methods work; it is not an ``re.Pattern``). It works with Python's
``re`` as it is (dicts of compiled patterns keyed by type, pattern and flags, consulted first by
``re.compile``: one in Python 3.11, two from 3.12); on a Python whose ``re`` keeps its cache another way,
or if a library changes its pattern, the seed is simply not used and the library compiles as usual.
``tests/test_startup.py`` checks the seeds are taken, so an upgrade that stops them shows.
"""

from __future__ import annotations

import re
import threading

#: (pattern, flags) as the libraries write them, and where (ReportLab 4-5, pikepdf 9-10).
SEEDS: tuple[tuple[str, int], ...] = (
    # reportlab/platypus/paragraph.py, uri_pat (after Django's URL validator)
    ("(^(?:[a-z0-9\\.\\-\\+]*)://)(?:\\S+(?::\\S*)?@)?(?:(?:25[0-5]|2[0-4]\\d|[0-1]?\\d?\\d)"
     "(?:\\.(?:25[0-5]|2[0-4]\\d|[0-1]?\\d?\\d)){3}|\\[[0-9a-f:\\.]+\\]|([a-z\xa1-\uffff0-9]"
     "(?:[a-z\xa1-\uffff0-9-]{0,61}[a-z\xa1-\uffff0-9])?(?:\\.(?!-)[a-z\xa1-\uffff0-9-]{1,63}(?<!-))*"
     "\\.(?!-)(?:[a-z\xa1-\uffff-]{2,63}|xn--[a-z0-9]{1,59})(?<!-)\\.?|localhost))(?::\\d{2,5})?"
     "(?:[/?#][^\\s]*)?\\Z", re.I),
    # pikepdf/models/metadata/_constants.py, re_xml_illegal_chars
    (r"(?u)[^\x09\x0A\x0D\x20-\U0000D7FF\U0000E000-\U0000FFFD\U00010000-\U0010FFFF]", 0),
    # reportlab/lib/textsplit.py, rx (its cjkwrap, which leaflet never calls): 2.6 ms
    ("([\u2e80-\uffff])", re.UNICODE),
    # yaml/reader.py, Reader.NON_PRINTABLE: only the pure-Python reader uses it (leaflet reads with
    # libyaml's, and names a bad scalar with the other): 3.3 ms
    ("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]", 0),
)


class LazyPattern:
    """Stands in for ``re.compile(pattern, flags)`` and compiles it on first use."""

    __slots__ = ("_compiled", "_flags", "_lock", "_source")

    def __init__(self, source: str, flags: int):
        self._source, self._flags = source, flags
        self._compiled: re.Pattern | None = None
        self._lock = threading.Lock()

    def compiled(self) -> re.Pattern:
        if self._compiled is None:
            with self._lock:
                if self._compiled is None:
                    self._compiled = _compile(self._source, self._flags)
        return self._compiled

    def __getattr__(self, name: str):  # match, search, sub, pattern, flags, ...
        if name.startswith("_"):  # (copy and pickle look for their hooks: a pattern has none)
            raise AttributeError(name)
        return getattr(self.compiled(), name)

    def __reduce__(self):  # copied or pickled, it is the compiled pattern
        return re.compile, (self._source, self._flags)

    def __eq__(self, other) -> bool:
        if isinstance(other, LazyPattern):
            return (self._source, self._flags) == (other._source, other._flags)
        return self.compiled() == other

    def __hash__(self) -> int:
        return hash(self.compiled())

    def __repr__(self) -> str:
        return f"LazyPattern({self._source[:40]!r}...)"


def _key(source: str, flags: int) -> tuple:
    return (type(source), source, int(flags))


def _compile(source: str, flags: int) -> re.Pattern:
    """Compile as ``re.compile`` does, past its caches (which hold the seed), and put the compiled
    pattern in the seed's place there."""
    from re import _compiler  # what re.compile runs on a cache miss (Python 3.11 and later)

    compiled = _compiler.compile(source, flags)
    key = _key(source, flags)
    for name in ("_cache", "_cache2"):  # (3.12 and later keep two)
        cache = getattr(re, name, None)
        if type(cache) is dict and isinstance(cache.get(key), LazyPattern):
            cache[key] = compiled
    return compiled


def install() -> None:
    """Seed ``re``'s cache with a :class:`LazyPattern` for each of :data:`SEEDS` (once; cheap)."""
    cache = getattr(re, "_cache", None)
    if type(cache) is not dict:
        return
    for source, flags in SEEDS:
        key = _key(source, flags)
        # a real compiled pattern taken out of the cache, compiled again by the LazyPattern, and the
        # seed kept by the LazyPattern, are all the same pattern
        if key not in cache:
            cache[key] = LazyPattern(source, int(flags))

