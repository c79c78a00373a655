"""Helpers for driving the real CLI in a subprocess: plain, with a terminal on stdin, in pipes."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import yaml

from provisioner.spec.loader import builtin_recipes

PIPELINE = """
from provisioner.runtime import pipeline, step

@step
def make(n: int = 3) -> list:
    return list(range(n))

@pipeline
def fill(n: int = 3):
    make(n=n)
"""


def env(home: Path) -> dict[str, str]:
    out = {**os.environ, "PROVISIONER_HOME": str(home), "COLUMNS": "200"}
    out.pop("PROVISIONER_FAILPOINT", None)
    return out


def cli(home: Path, *args: str, cwd: Path | None = None, **extra_env: str):
    """Run ``provisioner ARGS`` with no terminal; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "provisioner", *args],
        capture_output=True,
        text=True,
        env={**env(home), **extra_env},
        timeout=180,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
    )


def definition(tmp_path: Path, name: str = "my-stack.yaml", **changes) -> Path:
    """A copy of local-recipe with ``dotted.key=value`` changes."""
    data = yaml.safe_load(builtin_recipes()["local-recipe"].read_text())
    for dotted, value in changes.items():
        node = data
        *parents, leaf = dotted.split(".")
        for key in parents:
            if node.get(key) is None:
                node[key] = {}
            node = node[key]
        node[leaf] = value
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def status(home: Path, name: str = "local") -> str | None:
    stacks = json.loads(cli(home, "stack", "list", "--json").stdout)
    return next((s["status"] for s in stacks if s["name"] == name), None)


def checkpoint(home: Path, name: str = "local") -> list[dict]:
    path = home / "stacks" / name / "checkpoint.json"
    return json.loads(path.read_text())["resources"] if path.exists() else []


class TerminalRun:
    """``provisioner ARGS`` with a pseudo-terminal on stdin (a person at a terminal) and
    stdout/stderr as given (pipes by default, as under ``2>&1 | tee log``)."""

    def __init__(self, home: Path, *args: str, tty_stderr: bool = False) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "provisioner", *args],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=slave if tty_stderr else subprocess.STDOUT,
            env=env(home),
        )
        os.close(slave)
        self.tty_stderr = tty_stderr
        self.seen = b""
        self.proc_stdout = ""

    def wait_for(self, text: str, timeout: float = 120) -> None:
        """Read the prompt side until ``text`` appears."""
        stream = self.master if self.tty_stderr else self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise AssertionError(f"no {text!r} in {self.seen.decode(errors='replace')}")
            ready, _, _ = select.select([stream], [], [], min(left, 1))
            if ready:
                try:
                    chunk = os.read(stream, 4096)
                except OSError:
                    chunk = b""
                self.seen += chunk

    def answer(self, text: str) -> None:
        os.write(self.master, text.encode())

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        """Wait for the end; returns the exit code and everything read (``proc_stdout``
        keeps stdout alone when stderr was the terminal)."""
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        finally:
            os.close(self.master)
        self.proc_stdout = (out or b"").decode(errors="replace")
        return self.proc.returncode, (self.seen + (out or b"")).decode(errors="replace")
