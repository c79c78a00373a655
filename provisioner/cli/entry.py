"""The console-script entry point: Ctrl-C even during start-up exits 130 without a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    """Import the CLI, then run it."""
    try:
        from provisioner.cli.app import main as run
    except KeyboardInterrupt:
        sys.exit(130)
    run()
