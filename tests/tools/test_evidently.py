"""The evidently data validator: drift and quality reports, stored as HTML and JSON."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from provisioner.errors import UserInputError
from provisioner.runtime import RunClient, Status, connect, get_step_context, pipeline, step
from tests.runtime.cli_helpers import invoke

pytestmark = pytest.mark.slow  # Evidently imports in seconds; a report takes about one


def frames(shift: float = 0.0, n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.normal(shift, 1.0, n),
            "age": rng.normal(40, 5, n),
            "city": rng.choice(["a", "b", "c"], n),
        }
    )


@pytest.fixture
def validator(stack_with):
    stack = stack_with(data_validator=("evidently", {"drift_share": 0.3}))
    return connect(stack).data_validator


def test_drift_is_detected_and_attributed_to_the_column_that_moved(validator):
    report = validator.drift(frames(seed=1), frames(shift=3.0, seed=2))
    assert report.drift_detected and report.drifted_columns == ["amount"]
    assert report.share == pytest.approx(1 / 3) and report.drift_share == 0.3
    by_name = {c.column: c for c in report.columns}
    assert set(by_name) == {"amount", "age", "city"}
    assert by_name["amount"].drifted and not by_name["age"].drifted
    assert by_name["amount"].method and by_name["amount"].threshold is not None
    assert (report.reference_rows, report.current_rows) == (400, 400)
    assert report.artifacts == {}  # outside a step
    assert "dataset drift detected: 1 of 3 columns drifted" in report.summary()


def test_same_distribution_is_no_drift(validator):
    report = validator.drift(frames(seed=1), frames(seed=2), columns=["amount", "age"])
    assert not report.drift_detected and report.drifted_columns == []
    assert [c.column for c in report.columns] == ["amount", "age"]


def test_quality_summarises_each_column(validator):
    df = frames()
    df.loc[:9, "amount"] = np.nan
    df = pd.concat([df, df.iloc[:5]], ignore_index=True)
    report = validator.quality(df)
    assert report.rows == 405 and report.duplicated_rows == 5
    amount = report.columns["amount"]
    assert amount["missing"] == 15 and amount["dtype"] == "float64"
    assert amount["min"] < amount["mean"] < amount["max"]
    assert report.columns["city"]["distinct"] == 3
    assert report.missing_values == 15 and report.missing_share == pytest.approx(15 / 405)


def test_bad_input_is_a_clear_error(validator):
    with pytest.raises(UserInputError, match="not in both frames"):
        validator.drift(frames(), frames(), columns=["nope"])
    with pytest.raises(UserInputError, match="expected a pandas DataFrame as the current"):
        validator.drift(frames(), [1, 2])
    with pytest.raises(UserInputError, match="share no column"):
        validator.drift(frames()[["age"]], frames()[["city"]].rename(columns={"city": "x"}))


@step
def compare(shift: float = 3.0) -> dict:
    report = get_step_context().data_validator.drift(
        frames(seed=1), frames(shift=shift, seed=2), columns=["amount", "age"], report_name="report"
    )
    return {"drift": report.drift_detected, "stored": sorted(report.artifacts)}


@pipeline
def monitoring(shift: float = 3.0):
    compare(shift=shift)


def test_in_a_step_html_and_json_are_stored_and_written_out(stack_with, tmp_path):
    stack = stack_with(data_validator=("evidently", {}))
    run = monitoring.run(stack)
    rec = run.steps["compare"]
    assert rec.status is Status.COMPLETED
    client = RunClient(stack)
    assert client.load_output(run.run_id, "compare") == {
        "drift": True,
        "stored": ["report", "report_json"],
    }
    data = client.load_output(run.run_id, "compare", "report_json")
    assert any("DriftedColumnsCount" in m["metric_name"] for m in data["metrics"])

    config = tmp_path / "stack.yaml"
    stack.write(config)
    out = tmp_path / "report.html"
    result = invoke(
        "run", "output", run.run_id, "compare", "report", "-o", str(out), "-s", str(config)
    )
    assert result.exit_code == 0, result.stderr
    html = out.read_text()
    assert html.lstrip().lower().startswith("<!doctype html") or "<html" in html[:500].lower()
    assert "amount" in html and len(html) > 100_000  # self-contained: scripts inlined
    # nothing loaded from elsewhere: no external script or stylesheet
    assert not re.search(r"<script[^>]*\ssrc=", html, re.IGNORECASE)
    assert not re.search(r"<link[^>]*\shref=[\"']?https?:", html, re.IGNORECASE)
    shown = invoke(
        "run", "output", run.run_id, "compare", "report_json", "--json", "-s", str(config)
    )
    assert json.loads(shown.stdout)["serializer"] == "json"
