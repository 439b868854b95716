"""Where a batch's tasks run: worker processes on this machine, or a Dask cluster.

Both are a :class:`concurrent.futures.Executor` (a ``ProcessPoolExecutor``, or Dask's
``Client.get_executor()``), wrapped in :class:`Workers` with the two things a batch needs beyond
``submit``: :meth:`Workers.stop` (Ctrl-C: cancel what waits, end what runs) and :meth:`Workers.close`.
The batch itself (:mod:`leaflet.batch`) has one code path for both.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from .errors import LeafletError

_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Workers:
    """An executor and how to end it."""

    remote = False  # tasks run on other machines: their processes are not ours to end

    def __init__(self, executor: Executor):
        self.executor = executor

    def submit(self, fn, *args) -> Future:
        return self.executor.submit(fn, *args)

    def stop(self, pending: set[Future]) -> None:
        """Interrupted: cancel the tasks not started; end the running ones where that is possible."""
        for future in pending:
            future.cancel()
        self.executor.shutdown(wait=False)

    def close(self) -> None:
        self.executor.shutdown(wait=True)


# --- this machine ----------------------------------------------------------------------------------

class LocalWorkers(Workers):
    """Worker processes forked from this one; they ignore Ctrl-C (the batch decides) and die with it."""

    def __init__(self, count: int):
        context = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
        super().__init__(ProcessPoolExecutor(count, mp_context=context, initializer=_init_worker,
                                             initargs=(os.getpid(),)))

    def submit(self, fn, *args) -> Future:
        # The pool forks its workers on the first submit: they start with SIGINT and SIGTERM blocked, so
        # neither can reach them before _init_worker has set them up.
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            return self.executor.submit(fn, *args)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def stop(self, pending: set[Future]) -> None:
        """Cancel what waits and end the worker processes (SIGTERM, then SIGKILL): within seconds."""
        pool = self.executor
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()
        deadline = time.monotonic() + 2
        for process in processes:
            with contextlib.suppress(Exception):
                process.join(max(0.0, deadline - time.monotonic()))
                if process.is_alive():
                    process.kill()
                    process.join(1)
        manager = getattr(pool, "_executor_manager_thread", None)
        if manager is not None:
            manager.join(5)


def _init_worker(parent: int) -> None:
    """Set up a worker process: the parent decides what an interrupt means; die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited through fork
    die_with_parent(parent)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def die_with_parent(parent: int) -> None:
    """Exit when the batch's process goes, even after ``kill -9`` (which it cannot catch)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it went before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="leaflet-parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:  # the fallback where prctl is not available
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


# --- a Dask cluster --------------------------------------------------------------------------------

class ClusterWorkers(Workers):
    """A Dask distributed cluster's workers, through ``Client.get_executor()``.

    The scheduler runs a task again on another worker when the one running it dies (up to Dask's
    ``distributed.scheduler.allowed-failures``); a batch's tasks are safe to run twice (each writes
    its files atomically, with the same bytes).
    """

    remote = True

    def __init__(self, address: str, client: Any = None):
        try:
            from distributed import Client
        except ImportError:
            raise LeafletError("--cluster needs Dask: pip install 'leaflet[cluster]'") from None
        if client is None:
            try:
                client = Client(address, timeout="20s", set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise LeafletError(f"cannot reach the Dask scheduler at {address}: {exc}",
                                   hint="start it with `dask scheduler` and its workers with `dask worker "
                                        f"{address} --nthreads 1`; check the address and port") from None
        self.client = client
        super().__init__(client.get_executor(pure=False))

    @property
    def worker_count(self) -> int:
        return max(1, len(self.client.scheduler_info(n_workers=-1).get("workers", {})))

    def stop(self, pending: set[Future]) -> None:
        """Cancel every task of this batch; a task already running finishes its current leaflet's file."""
        super().stop(pending)
        self.client.close()

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.client.close()
