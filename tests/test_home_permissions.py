"""The provisioner home is private: other local users cannot list stacks or read configs."""

from __future__ import annotations

import os
import stat

import pytest
from typer.testing import CliRunner

from provisioner import home
from provisioner.cli.app import app


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def fresh_home(tmp_path, monkeypatch):
    path = tmp_path / "not-yet" / "home"
    monkeypatch.setenv("PROVISIONER_HOME", str(path))
    home.set_home(None)
    old = os.umask(0o022)
    yield path
    os.umask(old)


def test_a_deploy_creates_a_private_home(fresh_home):
    result = CliRunner().invoke(app, ["stack", "deploy", "local-recipe", "--yes"])
    assert result.exit_code == 0, result.output
    stack = fresh_home / "stacks" / "local"
    assert mode(fresh_home) == 0o700
    assert mode(fresh_home / "stacks") == 0o700 and mode(stack) == 0o700
    for name in ("stack-config.yaml", "stack.json", "checkpoint.json"):
        assert mode(stack / name) == 0o600, name
    locks = [p for p in stack.iterdir() if "lock" in p.name]
    assert locks and all(mode(p) == 0o600 for p in locks)
    destroyed = CliRunner().invoke(app, ["stack", "destroy", "local", "--yes"])
    assert destroyed.exit_code == 0, destroyed.output


def test_make_dirs_and_file_modes(fresh_home, tmp_path):
    made = home.make_dirs(fresh_home / "a" / "b")
    assert made.is_dir() and mode(fresh_home) == mode(fresh_home / "a") == mode(made) == 0o700
    assert home.file_mode(fresh_home / "x") == 0o600
    assert home.file_mode(tmp_path / "elsewhere") == 0o644
