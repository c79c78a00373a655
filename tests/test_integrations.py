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


def test_list_reports_status_versions_and_flavors():
    rows = json.loads(runner.invoke(app, ["integration", "list", "--json"]).stdout)
    by_name = {r["name"]: r for r in rows}
    aws = by_name["aws"]
    assert aws["status"] == "installed" and aws["missing"] == []
    assert "artifact_store/s3" in aws["flavors"]
    assert all(p["installed"] and p["in_range"] for p in aws["requirements"])
    assert by_name["kubernetes"]["flavors"] == ["orchestrator/kubernetes"]


def test_install_dry_run_prints_the_pip_command():
    result = runner.invoke(app, ["integration", "install", "aws", "--dry-run", "--json"])
    data = json.loads(result.stdout)
    assert data["command"][:4] == [sys.executable, "-m", "pip", "install"]
    assert "pulumi-aws>=7,<8" in data["command"] and data["dry_run"] is True


def test_unknown_integration_exits_2():
    result = runner.invoke(app, ["integration", "install", "oracle"])
    assert result.exit_code == 2 and "unknown integration 'oracle'" in result.stderr


def test_asking_for_uv_without_uv_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    result = runner.invoke(app, ["integration", "install", "numpy", "--uv", "-y"])
    assert result.exit_code == 1 and "uv is not on PATH" in result.stderr
    assert "pip install uv" in result.stderr


def test_install_asks_on_a_terminal_and_no_changes_nothing(monkeypatch):
    from provisioner import installer

    ran = []
    monkeypatch.setattr(installer, "run", ran.append)
    monkeypatch.setattr("provisioner.cli.console.interactive", lambda: True)
    result = runner.invoke(app, ["integration", "install", "numpy"], input="n\n")
    assert result.exit_code == 1 and "Cancelled" in result.stderr and ran == []
    assert "pip install 'numpy>=1.26,<3'" in " ".join(result.stderr.split())
    result = runner.invoke(app, ["integration", "install", "numpy"], input="y\n")
    assert result.exit_code == 0 and len(ran) == 1


def test_requirements_writes_the_lines(tmp_path):
    out = tmp_path / "reqs.txt"
    result = runner.invoke(app, ["integration", "requirements", "aws", "numpy", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert out.read_text() == "pulumi-aws>=7,<8\nboto3>=1.28,<2\nnumpy>=1.26,<3\n"
    printed = runner.invoke(app, ["integration", "requirements", "gcp"]).stdout
    assert printed == "pulumi-gcp>=9,<11\ngoogle-cloud-storage>=2.10,<4\n"


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


MISSING_BOTO3 = """
import sys
sys.modules["boto3"] = None
sys.argv = ["provisioner", *sys.argv[1:]]
from provisioner.cli.app import main
main()
"""

TINY_PIPE = """
from pathlib import Path
from provisioner.runtime import pipeline, step

@step
def touch() -> int:
    Path("STEP_RAN").write_text("yes")
    return 1

@pipeline
def tiny():
    touch()
"""


@pytest.mark.parametrize("command", [["pipeline", "run", "tiny.py:tiny"], ["run", "list"]])
def test_a_runtime_path_without_its_integration_names_the_install_command(command, tmp_path):
    from tests.runtime.conftest import make_stack

    make_stack("s3", root=tmp_path, endpoint="http://127.0.0.1:9").write(tmp_path / "s3.yaml")
    (tmp_path / "tiny.py").write_text(TINY_PIPE)
    out = subprocess.run(
        [sys.executable, "-c", MISSING_BOTO3, *command, "--stack", "s3.yaml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PROVISIONER_HOME": str(tmp_path / "home")},
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 1, out.stderr
    assert "stack 'test-s3' needs the aws integration (boto3 not installed)" in out.stderr
    assert "provisioner integration install aws" in out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "STEP_RAN").exists()
