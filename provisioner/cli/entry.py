"""The console-script entry point: Ctrl-C even during start-up exits 130 without a traceback,
and output nobody reads any more (``| head -1``) is dropped quietly."""

from __future__ import annotations

import sys


def main() -> None:
    """Import the CLI, then run it."""
    try:
        from provisioner.cli.app import main as run
    except KeyboardInterrupt:
        sys.exit(130)
    try:
        run()
    finally:
        _flush_quietly()


def _flush_quietly() -> None:
    """Flush stdout and stderr; a reader that went away is no error (the work is done)."""
    from provisioner.cli.console import silence

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            silence(stream)
