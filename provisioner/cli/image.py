"""``provisioner image build``: build and push a pipeline's step image, without running it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from provisioner.cli import console
from provisioner.cli.run import JsonOption, StackOption

if TYPE_CHECKING:
    from provisioner.runtime.components.image_builder import BuiltImage, Progress
    from provisioner.runtime.pipeline import Pipeline
    from provisioner.stackconfig import StackConfig

app = typer.Typer(no_args_is_help=True, help="Step images: build and push without a daemon.")


@app.command("build")
def build(
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="[FILE.py:PIPELINE | module:PIPELINE]",
            help="The pipeline whose source and requirements go into the image.",
            show_default=False,
        ),
    ] = None,
    stack: StackOption = None,
    source: Annotated[
        Path | None,
        typer.Option(
            "--source",
            metavar="DIR",
            help="Build from this project directory instead of a pipeline's.",
            file_okay=False,
            exists=True,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Build the step image with the stack's image builder and push it to its container
    registry; skipped when the registry already holds the image of the same inputs."""
    from provisioner.errors import UserInputError
    from provisioner.runtime.runner import resolve_stack
    from provisioner.runtime.targets import load_pipeline

    if target is None and source is None:
        raise UserInputError(
            "name the pipeline (FILE.py:PIPELINE) or the project (--source DIR) to build"
        )
    config = resolve_stack(stack)
    pipe = load_pipeline(target) if target else None
    built = build_with_progress(pipe, config, source=source)
    if as_json:
        console.write_json(built.to_dict())
        return
    verb = "already pushed" if built.skipped else f"built with {built.strategy}"
    console.out.print(f"{built.image} ({verb}, {built.seconds:.1f} s)", soft_wrap=True)
    console.out.print(f"digest {built.digest}", soft_wrap=True)


def build_with_progress(
    pipeline: Pipeline | None, stack: StackConfig, *, source: Path | None = None
) -> BuiltImage:
    """Build the step image, showing progress on stderr."""
    from provisioner.catalog.types import ComponentType
    from provisioner.runtime.components import Components

    builder = Components(stack).get(ComponentType.IMAGE_BUILDER)
    with _progress("building the step image") as say:
        return builder.build(pipeline, source_root=source, progress=say)


@contextmanager
def _progress(title: str) -> Iterator[Progress]:
    """A spinner with the latest line on a terminal; one line per event otherwise."""
    err = console.err
    if not err.is_terminal:
        yield lambda line: err.print(f"  {line}", soft_wrap=True, highlight=False)
        return
    with err.status(title) as status:

        def say(line: str) -> None:
            err.print(f"  [dim]{line}[/]", soft_wrap=True, highlight=False)
            status.update(f"{title}: {line}")

        yield say
