"""Integrations: declared like the package extras, checked before a stack runs, installed on demand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provisioner import integrations
from provisioner.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_each_integration_matches_the_package_extra_of_its_name():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for name, integ in integrations.INTEGRATIONS.items():
        assert sorted(integ.requirements) == sorted(extras[name]), name


def test_list_reports_what_is_installed():
    rows = json.loads(runner.invoke(app, ["integration", "list", "--json"]).stdout)
    by_name = {r["name"]: r for r in rows}
    assert by_name["aws"]["installed"] and by_name["aws"]["missing"] == []


def test_install_dry_run_prints_the_pip_command(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")  # no uv
    result = runner.invoke(app, ["integration", "install", "aws", "--dry-run", "--json"])
    data = json.loads(result.stdout)
    assert data["command"][:4] == [sys.executable, "-m", "pip", "install"]
    assert "pulumi-aws>=7,<8" in data["command"]


def test_unknown_integration_and_installer_exit_2():
    result = runner.invoke(app, ["integration", "install", "oracle"])
    assert result.exit_code == 2 and "unknown integration 'oracle'" in result.stderr
    result = runner.invoke(
        app, ["integration", "install", "aws", "--installer", "conda", "--dry-run"]
    )
    assert result.exit_code == 2


def test_asking_for_uv_without_uv_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    result = runner.invoke(app, ["integration", "install", "numpy", "--installer", "uv"])
    assert result.exit_code == 1 and "uv is not on PATH" in result.stderr


@pytest.mark.slow
def test_install_really_runs_pip(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    result = runner.invoke(app, ["integration", "install", "numpy", "--installer", "pip", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["installed"] == ["numpy"]


MISSING_AWS = """
import sys
sys.modules["pulumi_aws"] = None
sys.argv = ["provisioner", *sys.argv[1:]]
from provisioner.cli.app import main
main()
"""


@pytest.mark.parametrize("verb", ["preview", "deploy"])
def test_a_cloud_stack_without_its_integration_says_how_to_install_it(verb, provisioner_home):
    env = {**os.environ, "PROVISIONER_HOME": str(provisioner_home)}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            MISSING_AWS,
            "stack",
            verb,
            "aws-recipe",
            "--yes" if verb == "deploy" else "--offline",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 1
    assert "provisioner integration install aws" in out.stderr
    assert "pip install 'provisioner[aws]'" in out.stderr
    assert "Traceback" not in out.stderr
