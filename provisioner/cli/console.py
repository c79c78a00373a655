"""The CLI's two consoles (data on stdout, messages on stderr) and its error printer."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape

from provisioner.cli.sanitize import install
from provisioner.errors import ProvisionerError


class PipeSafe:
    """A text stream whose reader may go away (``| head -1``): once a write or flush fails
    with a closed pipe, the stream's descriptor is pointed at /dev/null and later output is
    dropped, so an operation never stops or hangs because nobody reads its output.

    Args:
        get: returns the current underlying stream (``sys.stdout`` is looked up at each
            write, so test runners that swap it keep working).
    """

    def __init__(self, get: Callable[[], TextIO]) -> None:
        self._get = get
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._get().write(text)
            except (BrokenPipeError, ValueError):  # ValueError: the stream was closed
                self._drop()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._get().flush()
            except (BrokenPipeError, ValueError):
                self._drop()

    def _drop(self) -> None:
        self.broken = True
        silence(self._get())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)


def silence(stream: TextIO) -> None:
    """Point ``stream``'s file descriptor at /dev/null (after its reader went away), so
    buffered output and the interpreter's final flush fail no more."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


stdout = PipeSafe(lambda: sys.stdout)
stderr = PipeSafe(lambda: sys.stderr)

# Data goes to stdout: no markup or emoji codes are read from it (a path may hold "[x]" or
# ":x:"), and when piped it is not squeezed into 80 columns.
# Both print terminal control characters from data as escapes (see sanitize).
out = install(
    Console(
        file=stdout,  # type: ignore[arg-type]
        highlight=False,
        markup=False,
        emoji=False,
        width=None if sys.stdout.isatty() else int(os.environ.get("COLUMNS") or 200),
    )
)
# Messages and progress go to stderr; user data in them is escaped.
err = install(Console(file=stderr, highlight=False, emoji=False))  # type: ignore[arg-type]


def plain_json(value: Any) -> Any:
    """``value`` with the floats JSON cannot hold (NaN, ±Infinity) as the strings
    ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` (as protobuf's JSON mapping does)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    return value


def write_json(data: Any) -> None:
    """Print one JSON document to stdout (strict JSON: no NaN or Infinity)."""
    stdout.write(json.dumps(plain_json(data), indent=2, allow_nan=False) + "\n")
    stdout.flush()


def error(exc: ProvisionerError, *, as_json: bool = False) -> None:
    """Print one clear message for a project error, never a traceback.

    With ``as_json`` the error also goes to stdout as ``{"error": {...}}``, so a caller that
    parses stdout always gets JSON.
    """
    if as_json:
        problems = getattr(exc, "problems", None)
        body = {
            "type": type(exc).__name__,
            "message": exc.message,
            "hint": exc.hint,
            "exit_code": exc.exit_code,
        }
        if problems:
            body["problems"] = [{"field": f, "line": line, "message": m} for f, line, m in problems]
        write_json({"error": body})
    label = "error" if exc.exit_code != 2 else "invalid input"
    err.print(f"[bold red]{label}:[/] {escape(exc.message)}", soft_wrap=True)
    if exc.hint:
        err.print(escape(exc.hint), soft_wrap=True)


def warn(message: str) -> None:
    """Print a warning on stderr."""
    err.print(f"[yellow]warning:[/] {escape(message)}", soft_wrap=True)


def interactive() -> bool:
    """True when a person can answer a question: stdin is a terminal (wherever the output
    goes: ``2>&1 | tee log`` still asks)."""
    try:
        return sys.stdin.isatty()
    except ValueError:  # stdin closed
        return False


def confirm(question: str) -> bool:
    """Ask a yes/no question on stderr; end of input is "no".

    Raises:
        KeyboardInterrupt: Ctrl-C at the question (the CLI exits 130).
    """
    import typer

    try:
        return typer.confirm(question, default=False, err=True)
    except typer.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from None
        err.print()
        return False
