"""Fixtures for the embedded engine tests: a scratch folder for files and a call journal."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from provisioner.engines.embedded import EmbeddedEngine
from provisioner.engines.embedded.checkpoint import CHECKPOINT_FILE

SCRIPT = Path(__file__).with_name("stack_script.py")


@dataclass
class Workspace:
    """Where test resources live and where the provider journals its calls."""

    root: Path
    journal: Path

    def calls(self) -> list[str]:
        """The provider calls so far, as ``op <file name>``."""
        if not self.journal.exists():
            return []
        lines = self.journal.read_text().splitlines()
        return [f"{op} {Path(path).name}" for op, path in (line.split(" ", 1) for line in lines)]

    def files(self) -> dict[str, str]:
        return {p.name: p.read_text() for p in sorted(self.root.iterdir())}

    def run(
        self, action: str, stack: str = "dev", **options: object
    ) -> subprocess.CompletedProcess:
        """Run an up or destroy of ``folder_program`` in a fresh Python process."""
        args = [sys.executable, str(SCRIPT), action, stack, str(self.root), str(self.journal)]
        return subprocess.run(
            [*args, json.dumps(options)], capture_output=True, text=True, timeout=60
        )

    def popen(self, action: str, stack: str = "dev", **options: object) -> subprocess.Popen:
        args = [sys.executable, str(SCRIPT), action, stack, str(self.root), str(self.journal)]
        return subprocess.Popen(
            [*args, json.dumps(options)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "files"
    root.mkdir()
    return Workspace(root=root, journal=tmp_path / "journal")


@pytest.fixture
def engine() -> EmbeddedEngine:
    return EmbeddedEngine()


@pytest.fixture
def checkpoint_of(provisioner_home: Path):
    """Read a stack's raw checkpoint JSON (None if absent)."""

    def read(stack: str = "dev") -> dict | None:
        path = provisioner_home / "stacks" / stack / CHECKPOINT_FILE
        return json.loads(path.read_text()) if path.exists() else None

    return read
