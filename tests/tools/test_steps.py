"""The ready-made steps: validate_data passes data on, detect_drift can fail on drift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

from provisioner.runtime import RunClient, Status, pipeline, step
from provisioner.steps import detect_drift, validate_data

pytestmark = pytest.mark.slow  # one Evidently report

POSITIVE = pa.DataFrameSchema({"x": pa.Column(float, pa.Check.gt(0))}, name="positive")


@step(outputs=("reference", "current"))
def frames(shift: float = 0.0):
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.uniform(1, 2, 300)})
    return ref, pd.DataFrame({"x": rng.uniform(1, 2, 300) + shift})


@pipeline
def guarded(shift: float = 0.0, schema: str = "tests.tools.test_steps:POSITIVE"):
    reference, current = frames(shift=shift)
    checked = validate_data(current, schema=schema)
    detect_drift(reference=reference, current=checked, fail_on_drift=True)


def test_drift_fails_the_step_after_storing_its_report(stack_with):
    stack = stack_with(data_validator=("evidently", {}))
    run = guarded.run(stack, parameters={"shift": 5.0}, raise_on_failure=False)
    assert run.steps["validate_data"].status is Status.COMPLETED
    rec = run.steps["detect_drift"]
    assert rec.status is Status.FAILED and rec.error.type.endswith("DriftDetectedError")
    assert "dataset drift detected: 1 of 1 columns drifted" in rec.error.message
    assert set(rec.artifacts) == {"report", "report_json"}
    client = RunClient(stack)
    assert client.load_output(run.run_id, "validate_data", "data")["x"].min() > 5

    bad = guarded.run(
        stack, parameters={"schema": "tests.tools.test_steps:MISSING"}, raise_on_failure=False
    )
    assert "cannot be imported" in bad.steps["validate_data"].error.message
