"""``provisioner run list|show``: tables, --json, unknown and unsafe run ids."""

from __future__ import annotations

import json

import pytest

from provisioner.runtime import pipeline, step
from tests.runtime.cli_helpers import invoke
from tests.runtime.conftest import make_stack


@step
def one() -> int:
    return 1


@step
def plus(x: int, k: int = 1) -> int:
    return x + k


@pipeline
def small():
    plus(one())


@pytest.fixture
def config(tmp_path):
    stack = make_stack("local", root=tmp_path)
    path = tmp_path / "stack.yaml"
    stack.write(path)
    small.run(stack, run_id="first-run")
    small.run(stack, run_id="second-run")
    return path


def test_list_table_and_json(config):
    result = invoke("run", "list", "--stack", str(config))
    assert result.exit_code == 0
    assert "first-run" in result.stdout and "second-run" in result.stdout
    data = json.loads(invoke("run", "list", "--stack", str(config), "--json").stdout)
    assert [r["run_id"] for r in data] == ["second-run", "first-run"]
    assert data[0]["steps"] == {"one": "cached", "plus": "cached"}
    limited = json.loads(invoke("run", "list", "--stack", str(config), "-n", "1", "--json").stdout)
    assert len(limited) == 1
    none = json.loads(
        invoke("run", "list", "--stack", str(config), "--pipeline", "other", "--json").stdout
    )
    assert none == []


def test_show_table_and_json(config):
    result = invoke("run", "show", "first-run", "--stack", str(config))
    assert result.exit_code == 0
    assert "plus" in result.stdout and "plus.output:" in result.stdout
    data = json.loads(invoke("run", "show", "second-run", "--stack", str(config), "--json").stdout)
    assert data["steps"]["plus"]["status"] == "cached"
    assert data["steps"]["plus"]["inputs"]["x"] == data["steps"]["one"]["outputs"]["output"]


@pytest.mark.parametrize(("run_id", "message"), [("nope", "no run"), ("../etc", "invalid run id")])
def test_show_unknown_or_unsafe_run_exits_2(config, run_id, message):
    result = invoke("run", "show", run_id, "--stack", str(config))
    assert result.exit_code == 2 and message in result.stderr
