"""Pipeline parameters from the command line, checked against the pipeline's signature."""

from __future__ import annotations

from typing import Literal

import pytest

from provisioner.runtime import pipeline, step
from provisioner.runtime.errors import PipelineDefinitionError
from provisioner.runtime.params import parse_cli_parameters


@step
def use(v: int, name: str = "", rate: float = 0.0) -> int:
    return v


@pipeline
def typed(
    n: int,
    name: str = "x",
    rate: float = 0.5,
    tags: list[str] | None = None,
    mode: Literal["fast", "slow"] = "fast",
    flag: bool = False,
    anything=None,
):
    use(v=n, name=name, rate=rate)


def test_values_follow_the_annotations():
    params = parse_cli_parameters(
        typed,
        [
            "n=3",
            "name=123",  # a str parameter takes the text, not the JSON number
            "rate=1",
            'tags=["a","b"]',
            "mode=slow",
            "flag=true",
            'anything={"k": [1]}',
        ],
    )
    assert params == {
        "n": 3,
        "name": "123",
        "rate": 1,
        "tags": ["a", "b"],
        "mode": "slow",
        "flag": True,
        "anything": {"k": [1]},
    }
    assert parse_cli_parameters(typed, ["n=1", 'name="quoted"'])["name"] == "quoted"
    assert parse_cli_parameters(typed, ["n=1", "anything=plain text"])["anything"] == "plain text"
    assert parse_cli_parameters(typed, ["n=1", "tags=null"])["tags"] is None


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["n=true"], "-p n=true: pipeline 'typed' parameter 'n' expects int, got 'true'"),
        (["n=notjson"], "parameter 'n' expects int, got 'notjson'"),
        (["n=1.5"], "parameter 'n' expects int"),
        (["n=1", "flag=1"], "parameter 'flag' expects bool"),
        (["n=1", "mode=medium"], "parameter 'mode' expects Literal['fast', 'slow']"),
        (["n=1", "tags=[1]"], "parameter 'tags' expects list[str] | None"),
        (["n=3", "n=4"], "pipeline parameter 'n' is given twice (-p n=3, -p n=4)"),
        (["n=1", "m=2"], "pipeline 'typed' has no parameter 'm' (its parameters: n, name, rate"),
        (["name=a"], "pipeline 'typed' needs parameter 'n' (pass -p n=VALUE"),
        (["oops"], "expected NAME=VALUE"),
    ],
)
def test_bad_parameters_name_the_pipeline_parameter(items, message):
    with pytest.raises(PipelineDefinitionError) as info:
        parse_cli_parameters(typed, items)
    assert message in info.value.message


def test_python_parameters_are_checked_against_the_pipeline_too():
    with pytest.raises(PipelineDefinitionError, match="parameter 'n' expects int, got 'many'"):
        typed.build({"n": "many"})
    with pytest.raises(PipelineDefinitionError, match="has no parameter 'nope'"):
        typed.build({"n": 1, "nope": 2})
    assert [inv.parameters["v"] for inv in typed.build({"n": 4})] == [4]
