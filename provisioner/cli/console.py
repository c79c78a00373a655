"""The CLI's two consoles (data on stdout, messages on stderr) and its error printer."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape

from provisioner.errors import ProvisionerError

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)


def error(exc: ProvisionerError) -> None:
    """Print one clear message for a project error, never a traceback."""
    label = "error" if exc.exit_code != 2 else "invalid input"
    err.print(f"[bold red]{label}:[/] {escape(exc.message)}", soft_wrap=True)
    if exc.hint:
        err.print(escape(exc.hint), soft_wrap=True)


def warn(message: str) -> None:
    """Print a warning on stderr."""
    err.print(f"[yellow]warning:[/] {escape(message)}", soft_wrap=True)


def interactive() -> bool:
    """True when a person can answer a question (stdin and stderr are terminals)."""
    return sys.stdin.isatty() and sys.stderr.isatty()
