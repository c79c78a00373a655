"""``provisioner pipeline run``: run a pipeline on a stack and print a run summary."""

from __future__ import annotations

import json
import signal
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from provisioner.cli import console, render
from provisioner.cli.run import JsonOption, StackOption, run_summary, steps_table
from provisioner.errors import OperationError, UserInputError

if TYPE_CHECKING:
    from provisioner.runtime.records import RunRecord

app = typer.Typer(no_args_is_help=True)

#: Exit codes of a cancelled run: 128 + the signal, as shells report it.
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class _Terminated(KeyboardInterrupt):
    """SIGTERM, turned into a Ctrl-C so the run is recorded cancelled the same way."""


@contextmanager
def _sigterm_cancels() -> Iterator[None]:
    """While running, SIGTERM (``kill``, a pod eviction) cancels the run like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise _Terminated("SIGTERM")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def parse_parameters(items: list[str]) -> dict[str, Any]:
    """``["n=100", "name=x"]`` -> ``{"n": 100, "name": "x"}`` (values parsed as JSON if they can be).

    Raises:
        UserInputError: an item without ``=``.
    """
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise UserInputError(f"--param {item!r}: expected NAME=VALUE")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


@app.command("run")
def run(
    target: Annotated[
        str,
        typer.Argument(help="The pipeline: module.path:name or path/to/file.py:name."),
    ],
    stack: StackOption,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A pipeline parameter NAME=VALUE (JSON values)."),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Run every step, even unchanged ones.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Run a pipeline on a stack: its steps, their status, duration and cache use."""
    from provisioner.runtime.errors import RunCancelled
    from provisioner.runtime.targets import run_target

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with _sigterm_cancels():
                record = run_target(
                    target,
                    stack,
                    parameters=parse_parameters(param or []),
                    cache=False if no_cache else None,
                )
        except RunCancelled as cancelled:
            _show(cancelled.result, as_json)
            by = "SIGTERM" if isinstance(cancelled.__cause__, _Terminated) else "Ctrl-C"
            console.err.print(
                f"[yellow]run {cancelled.result.run_id} cancelled ({by})[/]; finished steps "
                "are cached: rerun the same command to go on from there",
                soft_wrap=True,
            )
            code = EXIT_SIGTERM if by == "SIGTERM" else EXIT_SIGINT
            raise typer.Exit(code=code) from None
    for w in caught:
        console.warn(str(w.message))
    _show(record, as_json)
    if record.status.value == "failed":
        raise OperationError(
            f"run {record.run_id} failed: "
            f"{record.error.message if record.error else 'a step failed'}",
            hint=f"see `provisioner run show {record.run_id} --stack {stack}` for the traceback",
        )


def _show(record: RunRecord, as_json: bool) -> None:
    if as_json:
        render.dump_json(record.model_dump(mode="json"))
    else:
        console.out.print(steps_table(record))
        console.out.print(run_summary(record))
