"""Friendlier run ids: ``latest`` and unique prefixes, wherever a run id is taken."""

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
def small(k: int = 1):
    plus(one(), k=k)


@pytest.fixture
def config(tmp_path):
    stack = make_stack("local", root=tmp_path)
    path = tmp_path / "stack.yaml"
    stack.write(path)
    small.run(stack, run_id="first-run", parameters={"k": 1})
    small.run(stack, run_id="second-run", parameters={"k": 2})
    small.run(stack, run_id="second-try", parameters={"k": 3})
    return str(path)


def show(config: str, ref: str, code: int = 0):
    result = invoke("run", "show", ref, "--stack", config, "--json")
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


def test_latest_is_the_newest_run(config):
    assert json.loads(show(config, "latest").stdout)["run_id"] == "second-try"


def test_a_unique_prefix_names_its_run(config):
    assert json.loads(show(config, "fir").stdout)["run_id"] == "first-run"
    assert json.loads(show(config, "second-r").stdout)["run_id"] == "second-run"


def test_an_exact_id_wins_and_full_ids_still_work(config):
    assert json.loads(show(config, "second-try").stdout)["run_id"] == "second-try"


def test_an_ambiguous_prefix_is_exit_2_listing_the_matches(config):
    result = show(config, "second", code=2)
    assert "matches 2 runs: second-run, second-try" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_no_match_is_exit_2(config):
    result = show(config, "third", code=2)
    assert "no run 'third'" in result.stderr


def test_output_and_logs_take_latest_and_prefixes(config):
    result = invoke("run", "output", "latest", "plus", "--stack", config, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["value"] == 4
    result = invoke("run", "output", "fir", "plus", "--stack", config, "--json")
    assert json.loads(result.stdout)["value"] == 2
    result = invoke("run", "logs", "fir", "--stack", config, "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == {}
    assert invoke("run", "logs", "second", "--stack", config).exit_code == 2


def test_latest_without_runs_is_exit_2(tmp_path):
    stack = make_stack("local", root=tmp_path)
    path = tmp_path / "stack.yaml"
    stack.write(path)
    result = show(str(path), "latest", code=2)
    assert "no runs yet" in result.stderr
