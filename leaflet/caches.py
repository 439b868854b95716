"""Every cache leaflet keeps in a process, in one registry.

A cache registers its name, its bound and how to clear it; :func:`clear_caches` (``leaflet.clear_caches``)
clears them all, and :func:`registered` lists them. The rules every cache follows:

- It holds results that depend only on content, templates, fonts and options: never text that a patient,
  prescriber or pharmacy gave (that is laid out for its build only and dropped with it).
- What it holds is never changed after it is stored: a build gets a copy of anything ReportLab would
  change while laying it out, so any number of threads can build at once.
- It is bounded (the oldest entry goes first), and filling it is safe from several threads.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Registered:
    name: str
    bound: int | None  # None: one entry per font file or template, which a process has few of
    size: Callable[[], int]
    clear: Callable[[], None]


_REGISTRY: dict[str, Registered] = {}
_REGISTRY_LOCK = threading.Lock()


def register(name: str, bound: int | None, size: Callable[[], int], clear: Callable[[], None]) -> None:
    """Register a cache (a name may be registered once)."""
    with _REGISTRY_LOCK:
        if name in _REGISTRY:
            raise RuntimeError(f"cache '{name}' is registered twice")
        _REGISTRY[name] = Registered(name, bound, size, clear)


def registered() -> list[Registered]:
    with _REGISTRY_LOCK:
        return list(_REGISTRY.values())


def clear_caches() -> None:
    """Forget every reused result (layouts, shaped text, font subsets, parsed templates and content):
    the next build starts afresh and gives the same bytes."""
    for entry in registered():
        entry.clear()


class Memo:
    """A bounded mapping, oldest entry out first; safe to fill from several threads."""

    def __init__(self, name: str, bound: int):
        self.name, self.bound = name, bound
        self._data: dict = {}
        self._lock = threading.Lock()
        register(name, bound, self.__len__, self.clear)

    def get(self, key: Hashable, default: Any = None) -> Any:
        return self._data.get(key, default)  # one dict lookup: atomic

    def put(self, key: Hashable, value: Any) -> Any:
        """Store ``value`` unless another thread stored one first; return the one kept."""
        with self._lock:
            kept = self._data.get(key)
            if kept is not None:
                return kept
            while len(self._data) >= self.bound:
                del self._data[next(iter(self._data))]
            self._data[key] = value
            return value

    def clear(self) -> None:
        with self._lock:
            self._data = {}

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> list:
        return list(self._data)


def memoize(name: str, maxsize: int | None) -> Callable[[F], F]:
    """``functools.lru_cache`` (thread-safe), registered. Only for functions of content, templates,
    fonts and options."""
    def wrap(fn: F) -> F:
        cached = functools.lru_cache(maxsize=maxsize)(fn)
        register(name, maxsize, lambda: cached.cache_info().currsize, cached.cache_clear)
        return cached  # type: ignore[return-value]
    return wrap
