"""``--json`` prints exactly one strict JSON document on stdout, whatever happens."""

from __future__ import annotations

import json

import pytest

from tests.cli.trust_helpers import cli

PIPES = """
import os
from provisioner.runtime import pipeline, step

@step
def talk(x: float = 1.0) -> float:
    print("hello from a step")
    os.system("echo hello from a child process")
    return x

@step
def explode(x: float) -> int:
    raise ValueError("exploded on purpose")

@pipeline
def chatty(x: float = 1.0):
    talk(x=x)

@pipeline
def bad():
    explode(talk())
"""


def strict(text: str):
    """Parse exactly one JSON document; NaN and Infinity are not JSON."""

    def refuse(name: str):
        raise AssertionError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def stack(provisioner_home, tmp_path):
    assert cli(provisioner_home, "stack", "deploy", "local-recipe", "--yes").returncode == 0
    (tmp_path / "jsonpipes.py").write_text(PIPES)
    return tmp_path


def test_a_failed_pipeline_run_prints_one_document(provisioner_home, stack):
    result = cli(
        provisioner_home,
        "pipeline",
        "run",
        "jsonpipes.py:bad",
        "--stack",
        "local",
        "--json",
        cwd=stack,
    )
    assert result.returncode == 1
    assert strict(result.stdout)["status"] == "failed"
    assert "exploded on purpose" in result.stderr


def test_step_output_goes_to_stderr_and_numbers_stay_json(provisioner_home, stack):
    result = cli(
        provisioner_home,
        "pipeline",
        "run",
        "jsonpipes.py:chatty",
        "--stack",
        "local",
        "--json",
        "-p",
        "x=NaN",
        cwd=stack,
    )
    assert result.returncode == 0, result.stderr
    record = strict(result.stdout)
    assert record["status"] == "completed"
    assert "hello from a step" in result.stderr
    assert "hello from a child process" in result.stderr


def test_usage_errors_print_json(provisioner_home):
    result = cli(provisioner_home, "stack", "preview", "local-recipe", "--json", "--bogus")
    assert result.returncode == 2
    error = strict(result.stdout)["error"]
    assert error["exit_code"] == 2 and "--bogus" in error["message"]


def test_recipe_schema_accepts_json(provisioner_home):
    result = cli(provisioner_home, "recipe", "schema", "--json")
    assert result.returncode == 0, result.stderr
    assert strict(result.stdout)["title"]
