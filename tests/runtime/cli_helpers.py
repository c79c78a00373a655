"""CLI test helpers: the runtime's sub-apps for CliRunner, and a real slow run to kill."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

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


SLOW_PIPELINE = """
import os, time
from pathlib import Path
from provisioner.runtime import pipeline, step

@step
def first() -> int:
    return 41

@step
def slow(x: int) -> int:
    Path(os.environ["SLOW_MARKER"]).write_text("started")
    time.sleep(float(os.environ.get("SLOW_SECONDS", "60")))
    return x + 1

@step
def last(y: int) -> int:
    return y * 2

@pipeline
def slowpipe():
    last(slow(first()))
"""


def start_slow_run(
    tmp_path: Path, config: Path, *extra: str, seconds: float = 60, **env: str
) -> tuple[subprocess.Popen[str], Path]:
    """``provisioner pipeline run slowpipe.py:slowpipe`` in a real process.

    Returns the process and the marker file its ``slow`` step writes when it starts.
    """
    script = tmp_path / "slowpipe.py"
    script.write_text(SLOW_PIPELINE)
    marker = tmp_path / f"slow-started-{len(list(tmp_path.glob('slow-started-*')))}"
    command = ["pipeline", "run", f"{script}:slowpipe", "--stack", str(config), *extra]
    proc = subprocess.Popen(
        [sys.executable, "-m", "provisioner", *command],
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "PROVISIONER_HOME": str(tmp_path / "home"),
            "SLOW_MARKER": str(marker),
            "SLOW_SECONDS": str(seconds),
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    return proc, marker


def wait_for(marker: Path, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    """Wait until ``marker`` exists; fail if ``proc`` ends first or it takes too long."""
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before its slow step: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the slow step never started")
        time.sleep(0.02)
