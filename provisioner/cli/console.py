"""The CLI's two consoles (data on stdout, messages on stderr) and its error printer."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.markup import escape

from provisioner.cli.sanitize import install
from provisioner.errors import ProvisionerError

# Data goes to stdout: no markup or emoji codes are read from it (a path may hold "[x]" or
# ":x:"), and when piped it is not squeezed into 80 columns.
# Both print terminal control characters from data as escapes (see sanitize).
out = install(
    Console(
        highlight=False,
        markup=False,
        emoji=False,
        width=None if sys.stdout.isatty() else int(os.environ.get("COLUMNS") or 200),
    )
)
# Messages and progress go to stderr; user data in them is escaped.
err = install(Console(stderr=True, highlight=False, emoji=False))


def error(exc: ProvisionerError, *, as_json: bool = False) -> None:
    """Print one clear message for a project error, never a traceback.

    With ``as_json`` the error also goes to stdout as ``{"error": {...}}``, so a caller that
    parses stdout always gets JSON.
    """
    if as_json:
        import json

        problems = getattr(exc, "problems", None)
        body = {
            "type": type(exc).__name__,
            "message": exc.message,
            "hint": exc.hint,
            "exit_code": exc.exit_code,
        }
        if problems:
            body["problems"] = [{"field": f, "line": line, "message": m} for f, line, m in problems]
        sys.stdout.write(json.dumps({"error": body}, indent=2) + "\n")
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
