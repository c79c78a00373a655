"""``provisioner pipeline show``: the DAG of a pipeline, as a tree and as JSON, nothing run."""

from __future__ import annotations

import json

import pytest

from tests.runtime.cli_helpers import invoke

PIPELINES = """
import os
from pathlib import Path
from provisioner.runtime import pipeline, step

def touched():
    Path(os.environ["RAN_MARKER"]).write_text("a step ran")

@step
def load(n: int = 3) -> list:
    touched()
    return list(range(n))

@step(outputs=("train", "test"))
def split(xs: list, ratio: float = 0.5):
    touched()
    return xs, xs

@step(cache=False)
def fit(train: list, test: list) -> float:
    touched()
    return 1.0

@pipeline
def training(n: int = 5, twice: bool = False):
    train, test = split(load(n=n), ratio=0.8)
    fit(train, test)
    if twice:
        fit(test, train)

@pipeline
def needs(size: int):
    load(n=size)
"""


@pytest.fixture
def target(tmp_path, monkeypatch):
    path = tmp_path / "pipes.py"
    path.write_text(PIPELINES)
    monkeypatch.setenv("RAN_MARKER", str(tmp_path / "ran"))
    return str(path)


def show(*args: str, code: int = 0):
    result = invoke("pipeline", "show", *args)
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


def test_json_lists_parameters_steps_inputs_and_outputs_without_running(target, tmp_path):
    data = json.loads(show(f"{target}:training", "--json").stdout)
    assert data["pipeline"] == "training"
    assert data["parameters"] == [
        {"name": "n", "type": "int", "default": 5},
        {"name": "twice", "type": "bool", "default": False},
    ]
    steps = {s["name"]: s for s in data["steps"]}
    assert list(steps) == ["load", "split", "fit"]
    assert steps["load"]["parameters"] == {"n": 5} and steps["load"]["upstream"] == []
    assert steps["split"]["inputs"] == {"xs": "load.output"}
    assert steps["split"]["parameters"] == {"ratio": 0.8}
    assert steps["split"]["outputs"] == ["train", "test"]
    assert steps["fit"]["inputs"] == {"train": "split.train", "test": "split.test"}
    assert steps["fit"]["upstream"] == ["split"] and steps["fit"]["cache"] is False
    assert not (tmp_path / "ran").exists()


def test_params_shape_the_graph(target):
    data = json.loads(show(f"{target}:training", "-p", "twice=true", "--json").stdout)
    assert [s["name"] for s in data["steps"]] == ["load", "split", "fit", "fit_2"]
    assert data["steps"][3]["inputs"] == {"train": "split.test", "test": "split.train"}
    assert data["parameters"][1]["value"] is True


def test_the_tree_names_each_step_and_its_wiring(target, tmp_path):
    out = show(f"{target}:training").stdout
    for text in ("pipeline training", "n: int = 5", "split", "input xs ← load.output"):
        assert text in out, out
    assert "input test ← split.test" in out and "(no cache)" in out
    assert not (tmp_path / "ran").exists()


def test_a_parameter_without_default_needs_a_value(target):
    result = show(f"{target}:needs", code=2)
    assert "size" in result.stderr and "Traceback" not in result.stderr
    data = json.loads(show(f"{target}:needs", "-p", "size=2", "--json").stdout)
    assert data["steps"][0]["parameters"] == {"n": 2}


def test_a_bad_target_is_exit_2(target):
    result = show(f"{target}:nothing", code=2)
    assert "nothing" in result.stderr
