"""Ctrl-C and SIGTERM for long commands: a flag that the work checks, never an exception mid-step.

Raising ``KeyboardInterrupt`` from a signal handler lands wherever the main thread happens to be: inside
an import (pydantic turns it into a schema error), inside ``concurrent.futures``' locking (a deadlock
between ``shutdown`` and ``Future.cancel``), or between writing a file and recording it. So the batch
command only *notes* the signal (:data:`STOP`) and stops at the next safe point: between jobs, after
planning, while waiting for workers.
"""

from __future__ import annotations

import signal
import threading

STOP = threading.Event()
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _note(signum, frame) -> None:
    STOP.set()


def _raise(signum, frame) -> None:
    raise KeyboardInterrupt


def in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def note_signals() -> None:
    """From now on SIGINT and SIGTERM set :data:`STOP` (main thread only; elsewhere nothing changes)."""
    if in_main_thread():
        for signum in SIGNALS:
            signal.signal(signum, _note)


def raise_on_signals() -> None:
    """SIGINT and SIGTERM raise ``KeyboardInterrupt``: for short commands, which stop anywhere."""
    if in_main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _raise)


class Stopping:
    """``with Stopping() as stop:`` ... ``if stop: ...``: true once SIGINT or SIGTERM came.

    Nested use (the command already notes signals) shares the flag; the outermost one restores the
    previous handlers and clears the flag when it ends.
    """

    def __init__(self) -> None:
        self.previous: dict[int, object] = {}

    def __enter__(self) -> Stopping:
        if in_main_thread() and signal.getsignal(signal.SIGTERM) is not _note:
            self.previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
            note_signals()
        return self

    def __exit__(self, *exc) -> None:
        if self.previous:
            for signum, handler in self.previous.items():
                signal.signal(signum, handler)
            STOP.clear()

    def __bool__(self) -> bool:
        return STOP.is_set()
