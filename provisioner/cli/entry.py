"""The console-script entry point: Ctrl-C even during start-up exits 130 without a traceback,
and output nobody reads any more (``| head -1``) is dropped quietly."""

from __future__ import annotations

import gc
import sys


def main() -> None:
    """Import the CLI, then run it.

    The cyclic garbage collector is kept off what only grows: the modules that start-up
    imports (no collection runs while they load, and they are frozen afterwards), and, once
    the command is done, everything left for the interpreter's exit, whose collections would
    otherwise walk every object of the SDKs the command loaded to free almost nothing. For an
    offline plan of a cloud recipe that was a quarter of a second of CPU. Reference counting
    still frees what is not in a cycle, and ``atexit`` handlers run as before.
    """
    gc.disable()
    try:
        from provisioner.cli.app import main as run
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        gc.freeze()
        gc.enable()
    try:
        run()
    finally:
        _flush_quietly()
        gc.freeze()


def _flush_quietly() -> None:
    """Flush stdout and stderr; a reader that went away is no error (the work is done)."""
    from provisioner.cli.console import silence

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            silence(stream)
