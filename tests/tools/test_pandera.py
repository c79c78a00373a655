"""The pandera data validator: every failed check in a bounded report, stored with the step."""

from __future__ import annotations

import logging

import pandas as pd
import pandera.pandas as pa
import pytest

from provisioner.errors import UserInputError
from provisioner.runtime import RunClient, Status, connect, get_step_context, pipeline, step
from provisioner.runtime.components.validator import (
    DataValidationError,
    UnsupportedOperationError,
)
from tests.runtime.cli_helpers import invoke

SCHEMA = pa.DataFrameSchema(
    {
        "age": pa.Column(int, pa.Check.ge(0)),
        "name": pa.Column(str, nullable=False),
        "score": pa.Column(float, pa.Check.in_range(0, 1)),
        "city": pa.Column(str),
    },
    name="people",
)


class People(pa.DataFrameModel):
    age: int = pa.Field(ge=0)
    score: float = pa.Field(in_range={"min_value": 0, "max_value": 1})


def bad_people(n: int = 4) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [1, -2, 3, -4] * (n // 4),
            "name": ["a", None, "c", "d"] * (n // 4),
            "score": [0.1, 2.0, 0.3, 0.4] * (n // 4),
        }
    )


def test_a_report_names_every_failed_check_with_its_values_and_rows(stack_with):
    validator = connect(stack_with(data_validator=("pandera", {}))).data_validator
    report = validator.validate(bad_people(), SCHEMA, on_fail="warn")
    assert not report.passed and report.rows == 4
    assert report.columns == ["age", "name", "score", "city"]
    found = {(f.column, f.check): (f.count, f.values, f.rows) for f in report.failures}
    assert found == {
        ("city", "column_in_dataframe"): (1, ["city"], [None]),
        ("age", "greater_than_or_equal_to(0)"): (2, [-2, -4], [1, 3]),
        ("name", "not_nullable"): (1, [None], [1]),
        ("score", "in_range(0, 1)"): (1, [2.0], [1]),
    }
    assert report.failure_count == 5 and not report.truncated
    assert report.artifact is None  # outside a step nothing is stored
    text = report.summary()
    assert "schema 'people': 4 check(s) failed on 4 rows x 4 columns" in text
    assert "age: greater_than_or_equal_to(0): 2 x [-2, -4] (rows 1, 3)" in text


def test_the_report_is_bounded_but_counts_everything(stack_with):
    validator = connect(
        stack_with(data_validator=("pandera", {"max_failure_cases": 3}))
    ).data_validator
    report = validator.validate(bad_people(4000), People, on_fail="warn")
    age, score = report.failures
    assert (age.column, age.count, age.rows) == ("age", 2000, [1, 3, 5])
    assert age.values == [-2, -4, -2]
    assert (score.column, score.count, score.values) == ("score", 1000, [])
    assert report.truncated and report.failure_count == 3000
    assert "score: in_range(0, 1): 1000 x (values not listed" in report.summary()


def test_passing_data_and_a_model_class(stack_with):
    validator = connect(stack_with(data_validator=("pandera", {}))).data_validator
    df = pd.DataFrame({"age": [1, 2], "score": [0.5, 0.25]})
    report = validator.validate(df, People)
    assert report.passed and report.failures == [] and report.schema == "People"
    assert report.summary() == "schema 'People': 2 rows x 2 columns passed every check"


def test_raise_fails_with_a_readable_summary_and_warn_logs(stack_with, caplog):
    validator = connect(stack_with(data_validator=("pandera", {}))).data_validator
    with pytest.raises(DataValidationError) as err:
        validator.validate(bad_people(), SCHEMA)
    assert "name: not_nullable: 1 x [None] (rows 1)" in str(err.value)
    assert err.value.report.failure_count == 5
    with caplog.at_level(logging.WARNING, logger="provisioner.data_validator"):
        validator.validate(bad_people(), SCHEMA, on_fail="warn")
    assert "4 check(s) failed" in caplog.text


def test_bad_arguments_are_clear(stack_with):
    validator = connect(stack_with(data_validator=("pandera", {}))).data_validator
    with pytest.raises(UserInputError, match="on_fail must be 'raise' or 'warn'"):
        validator.validate(bad_people(), SCHEMA, on_fail="ignore")
    with pytest.raises(UserInputError, match="expected a pandera DataFrameSchema"):
        validator.validate(bad_people(), {"age": int})
    with pytest.raises(UserInputError, match="expected a pandas DataFrame"):
        validator.validate([1, 2], SCHEMA)
    with pytest.raises(UserInputError, match="cannot be imported"):
        validator.validate(bad_people(), "tests.tools.test_pandera:NOPE")
    with pytest.raises(
        UnsupportedOperationError, match="use a data_validator of flavor 'evidently'"
    ):
        validator.drift(bad_people(), bad_people())


@step
def check_people(n: int = 4, on_fail: str = "raise") -> int:
    report = get_step_context().data_validator.validate(bad_people(n), SCHEMA, on_fail=on_fail)
    return report.failure_count


@pipeline
def people(on_fail: str = "raise"):
    check_people(on_fail=on_fail)


def test_in_a_step_the_report_is_an_artifact_and_raise_fails_the_step(stack_with, tmp_path):
    stack = stack_with(data_validator=("pandera", {}))
    failed = people.run(stack, raise_on_failure=False)
    rec = failed.steps["check_people"]
    assert rec.status is Status.FAILED
    assert rec.error.type.endswith("DataValidationError")
    assert "schema 'people': 4 check(s) failed" in rec.error.message
    stored = RunClient(stack).load_output(failed.run_id, "check_people", "validation_report")
    assert stored["passed"] is False and stored["failure_count"] == 5
    assert {f["check"] for f in stored["failures"]} >= {"not_nullable", "in_range(0, 1)"}

    warned = people.run(stack, parameters={"on_fail": "warn"})
    assert warned.steps["check_people"].status is Status.COMPLETED
    assert RunClient(stack).load_output(warned.run_id, "check_people") == 5

    config = tmp_path / "stack.yaml"
    stack.write(config)
    result = invoke(
        "run", "output", warned.run_id, "check_people", "validation_report", "-s", str(config)
    )
    assert result.exit_code == 0 and '"failure_count": 5' in result.stdout
