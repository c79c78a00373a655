"""``provisioner pipeline run``: run a pipeline on a stack and print a run summary."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from provisioner.cli import console, pipeline_show, render
from provisioner.cli.run import (
    JsonOption,
    StackOption,
    announce_endpoint,
    run_summary,
    stack_flag,
    steps_table,
)
from provisioner.errors import OperationError

if TYPE_CHECKING:
    from provisioner.runtime.pipeline import Pipeline
    from provisioner.runtime.records import RunRecord
    from provisioner.stackconfig import StackConfig

app = typer.Typer(
    no_args_is_help=True,
    help="Run pipelines on a stack: a deployed stack's name or a stack config file.",
)

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


@contextmanager
def _stdout_to_stderr(active: bool) -> Iterator[None]:
    """While active, whatever steps print (Python's ``print`` and child processes writing
    to descriptor 1) goes to stderr, so stdout carries only the command's JSON."""
    if not active:
        yield
        return
    saved = None
    with contextlib.suppress(OSError, ValueError, AttributeError):
        out_fd, err_fd = sys.stdout.fileno(), sys.stderr.fileno()
        sys.stdout.flush()
        saved = os.dup(out_fd)
        os.dup2(err_fd, out_fd)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        if saved is not None:
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.flush()
            os.dup2(saved, out_fd)
            os.close(saved)


@app.command("run")
def run(
    target: Annotated[
        str,
        typer.Argument(
            metavar="TARGET",
            help="The pipeline: path/to/file.py:name, or module.path:name (modules are "
            "looked up in the current directory first).",
        ),
    ],
    stack: StackOption = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="NAME=VALUE",
            help="A pipeline parameter NAME=VALUE, checked against the pipeline's signature "
            "(JSON values; text for str parameters).",
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Run every step, even unchanged ones.")
    ] = False,
    image: Annotated[
        str | None,
        typer.Option(
            "--image",
            metavar="IMAGE",
            help="Kubernetes orchestrator: the image steps run in (holding your project and "
            "provisioner); :TAG means that tag in the stack's container registry. "
            "Default: $PROVISIONER_IMAGE.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run a pipeline on a stack (deployed stack name or stack config file).

    Prints its steps, their status, duration and cache use. Ctrl-C (or SIGTERM) cancels
    the run: it is recorded cancelled and the command exits 130 (143).
    """
    record = None
    try:
        with (
            warnings.catch_warnings(record=True) as caught,
            _sigterm_cancels(),
            _stdout_to_stderr(as_json),
        ):
            warnings.simplefilter("always")
            record = _run(target, stack, param or [], no_cache, image)
        for w in caught:
            console.warn(str(w.message))
        _show(record, as_json)
    except KeyboardInterrupt as exc:  # at any moment: this command's own message, 130/143
        _cancelled(exc, as_json, record)
    if record.status.value == "failed":
        error = OperationError(
            f"run {record.run_id} failed: "
            f"{record.error.message if record.error else 'a step failed'}",
            hint=f"see `provisioner run show {record.run_id}{stack_flag(stack)}` for the traceback",
        )
        if not as_json:
            raise error
        # The run record printed above is the one JSON document; the message goes to stderr.
        console.error(error)
        raise typer.Exit(code=error.exit_code)


def _run(
    target: str, stack: str | None, params: list[str], no_cache: bool, image: str | None = None
) -> RunRecord:
    from provisioner.runtime.params import parse_cli_parameters
    from provisioner.runtime.runner import resolve_stack, run_pipeline
    from provisioner.runtime.targets import load_pipeline

    config = resolve_stack(stack)
    announce_endpoint(config)
    pipe = load_pipeline(target)
    if not image:
        image = _built_image(pipe, config)
    return run_pipeline(
        pipe,
        config,
        parameters=parse_cli_parameters(pipe, params),
        cache=False if no_cache else None,
        raise_on_failure=False,
        orchestrator_options={"image": image} if image else None,
    )


def _built_image(pipe: Pipeline, config: StackConfig) -> str | None:
    """The step image the stack's image builder builds (with progress), when the stack's
    steps run in an image and none is given; None otherwise."""
    from provisioner.catalog.types import ComponentType
    from provisioner.runtime.images.auto import can_build, needs_image
    from provisioner.runtime.orchestrators.kube_image import ENV_IMAGE

    orch = config.component(ComponentType.ORCHESTRATOR)
    given = os.environ.get(ENV_IMAGE) or (orch.config.get("image") if orch else None)
    if given or not needs_image(config) or not can_build(config):
        return None
    from provisioner.cli.image import build_with_progress

    return build_with_progress(pipe, config).pinned


def _cancelled(exc: KeyboardInterrupt, as_json: bool, ended: RunRecord | None) -> NoReturn:
    """Ctrl-C or SIGTERM, at any moment of ``pipeline run``: say what happened, exit 130/143.

    Args:
        exc: the interrupt (a RunCancelled once the run was recorded).
        as_json: print the cancelled run's record as JSON.
        ended: the record of a run that had ended before the interrupt, if any.
    """
    from provisioner.runtime.errors import RunCancelled

    cause = exc.__cause__ if isinstance(exc, RunCancelled) else exc
    by = "SIGTERM" if isinstance(cause, _Terminated) else "Ctrl-C"
    if isinstance(exc, RunCancelled):
        _show(exc.result, as_json)
        message = (
            f"[yellow]run {exc.result.run_id} cancelled ({by})[/]; finished steps are cached: "
            "rerun the same command to go on from there"
        )
    elif ended is not None:  # while printing the summary of a run that had ended
        message = f"[yellow]interrupted ({by})[/]; run {ended.run_id} had {ended.status.value}"
    else:  # before the run was recorded (loading the stack or the pipeline)
        message = f"[yellow]pipeline run cancelled ({by})[/] before the run started; nothing ran"
    console.err.print(message, soft_wrap=True)
    raise typer.Exit(code=EXIT_SIGTERM if by == "SIGTERM" else EXIT_SIGINT) from None


def _show(record: RunRecord | None, as_json: bool) -> None:
    if record is None:
        return
    if as_json:
        render.dump_json(record.model_dump(mode="json"), exact=True)
    else:
        console.out.print(steps_table(record))
        console.out.print(run_summary(record))


app.command("show")(pipeline_show.show)
