"""The runtime's CLI sub-apps wrapped in a root app, for CliRunner tests."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from provisioner.cli import pipeline, run
from provisioner.cli.app import ProvisionerGroup


def cli_app() -> typer.Typer:
    """A root app holding only ``pipeline`` and ``run``, with the real error handling."""
    root = typer.Typer(cls=ProvisionerGroup, pretty_exceptions_enable=False)

    @root.callback()
    def _root() -> None:
        """Test root."""

    root.add_typer(pipeline.app, name="pipeline")
    root.add_typer(run.app, name="run")
    return root


def invoke(*args: str):
    """Run the CLI; returns the click Result (stdout and stderr kept apart)."""
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # click >= 8.2 always keeps them apart
        runner = CliRunner()
    return runner.invoke(cli_app(), list(args), catch_exceptions=False)
