"""``python -m leaflet`` and the ``leaflet`` command.

Signals are noted (:mod:`leaflet.interrupt`) from the first moment, so a command stopped while it is
still importing ends cleanly (exit 130) instead of failing inside whatever it was importing. A batch
keeps noting them and stops at its next safe point; the other commands then stop where they are.
"""

import sys

from . import interrupt


def main() -> int:
    interrupt.note_signals()
    from .cli import EXIT_INTERRUPTED
    from .cli import main as cli_main

    if interrupt.STOP.is_set():
        sys.stderr.write("leaflet: interrupted\n")
        return EXIT_INTERRUPTED
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    if command != "batch":
        interrupt.raise_on_signals()
    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
