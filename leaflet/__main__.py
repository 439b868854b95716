"""``python -m leaflet`` and the ``leaflet`` command.

``leaflet build`` makes one leaflet and ends: it runs without Python's cyclic garbage collector, which
would otherwise stop it about 20 times to look through every object the imports made (26 ms of a
300 ms cold build). Reference counting still frees what the build lets go of; the few cycles it leaves
(1-4 MiB, measured on the largest leaflets) go with the process a moment later. The long-running
commands (``batch``, ``serve``) and leaflet used as a library keep the collector.

Signals are noted (:mod:`leaflet.interrupt`) from the first moment, so a command stopped while it is
still importing ends cleanly (exit 130) instead of failing inside whatever it was importing. A batch
keeps noting them and stops at its next safe point; the other commands then stop where they are.
"""

import gc
import os
import signal
import sys

from . import interrupt


def main() -> int:
    interrupt.note_signals()
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    if command == "build":  # unchanged content: the leaflet built last time, without importing the rest
        gc.disable()  # one leaflet, then the process ends (see above)
        from . import buildcache

        try:
            key = buildcache.key(sys.argv[1:])  # worked out once, for the look-up and for the recording
            code = buildcache.replay(sys.argv[1:], sys.stderr, key)
            if code is not None:
                return _leave(code)
            buildcache.start(sys.argv[1:], key)
        except Exception:  # noqa: BLE001 - the cache is only ever a shortcut: build as usual
            buildcache._recording = None
    from .cli import EXIT_INTERRUPTED
    from .cli import main as cli_main

    if interrupt.STOP.is_set():
        sys.stderr.write("leaflet: interrupted\n")
        return EXIT_INTERRUPTED
    if command != "batch":
        interrupt.raise_on_signals()
        return _leave(cli_main())
    code = cli_main()
    # From here no signal runs a handler: one that came after the batch's last look is still pending.
    signal.pthread_sigmask(signal.SIG_BLOCK, interrupt.SIGNALS)
    if interrupt.STOP.is_set() or signal.sigpending() & set(interrupt.SIGNALS):
        code = EXIT_INTERRUPTED
    # Python's own shutdown puts back the default handlers, and a SIGTERM arriving then (the batch is
    # done, its manifest written) would end the process as killed instead of with 130.
    return _leave(code)


def _leave(code: int) -> int:
    """End the process once what it printed is out: every file it wrote is complete and renamed into
    place already (leaflet.output), so Python's slow teardown of every module (a tenth of a cold
    build) has nothing left to do. Output that cannot be flushed (a closed pipe) fails the command."""
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            if stream is sys.stdout and code == 0:
                code = 1
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
