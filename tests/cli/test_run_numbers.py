"""Runtime data is shown as recorded: ``-p scale=3.0`` is 3.0 everywhere, not 3."""

from __future__ import annotations

import json
import sys

import pytest

from provisioner.cli import render
from tests.runtime.cli_helpers import invoke
from tests.runtime.conftest import make_stack

PIPELINES = """
from provisioner.runtime import pipeline, step

@step
def scaled(scale: float) -> float:
    return 2 * scale

@pipeline
def scaling(scale: float = 1.0, label=None):
    scaled(scale)
"""


@pytest.fixture
def stack(tmp_path, monkeypatch):
    config = tmp_path / "stack.yaml"
    make_stack("local", root=tmp_path).write(config)
    (tmp_path / "numpipes.py").write_text(PIPELINES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "numpipes", raising=False)
    return str(config)


def _float(value) -> bool:
    return isinstance(value, float) and value == 3.0


def test_a_float_parameter_stays_a_float_in_every_view(stack):
    result = invoke(
        "pipeline", "run", "numpipes:scaling", "--stack", stack, "-p", "scale=3.0", "--json"
    )
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert _float(record["parameters"]["scale"]), result.stdout
    assert _float(record["steps"]["scaled"]["parameters"]["scale"])
    run_id = record["run_id"]

    shown = json.loads(invoke("run", "show", run_id, "--stack", stack, "--json").stdout)
    assert _float(shown["parameters"]["scale"])
    listed = json.loads(invoke("run", "list", "--stack", stack, "--json").stdout)
    assert _float(listed[0]["parameters"]["scale"])
    assert '"scale": 3.0' in invoke("run", "show", run_id, "--stack", stack).stdout
    output = json.loads(
        invoke("run", "output", run_id, "scaled", "--stack", stack, "--json").stdout
    )
    assert isinstance(output["value"], float) and output["value"] == 6.0


def test_exact_keeps_numbers_and_engine_data_drops_pulumis_float():
    assert render.to_jsonable({"a": 3.0, "b": [2.0]}, exact=True) == {"a": 3.0, "b": [2.0]}
    assert render.to_jsonable({"a": 3.0}) == {"a": 3}, "engine data: Pulumi's floats are ints"
