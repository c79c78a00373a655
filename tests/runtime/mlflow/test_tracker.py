"""The mlflow experiment tracker against a real MLflow server: one MLflow run per pipeline
run, a nested run per step, parameters, status and durations logged without a call."""

from __future__ import annotations

import pytest

from provisioner.runtime import get_step_context, pipeline, run_pipeline, step
from tests.runtime.mlflow.conftest import cli, cli_json

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # a real server starts in the first


@step
def train(lr: float) -> float:
    tracker = get_step_context().experiment_tracker
    tracker.log_params({"lr": lr, "model": "linear"})
    for epoch in range(3):
        tracker.log_metrics({"loss": 1.0 / (epoch + 1)}, step=epoch)
    return 0.93


@step
def evaluate(score: float) -> float:
    get_step_context().experiment_tracker.log_metrics({"accuracy": score})
    return score


@pipeline
def tracked(lr: float = 0.1):
    evaluate(train(lr=lr))


@step
def explode() -> int:
    raise RuntimeError("boom")


@step
def after(x: int) -> int:
    return x


@pipeline
def broken():
    after(explode())


def _children(client, parent):
    exp = client.get_run(parent).info.experiment_id
    found = client.search_runs([exp], f"tags.mlflow.parentRunId = '{parent}'")
    return {r.data.tags["provisioner.step"]: r for r in found}


def test_a_run_is_an_mlflow_run_and_each_step_a_nested_one(stack, client):
    run = run_pipeline(tracked, stack, parameters={"lr": 0.25})

    assert run.tracking["flavor"] == "mlflow"
    parent = client.get_run(run.tracking["run_id"])
    assert parent.info.status == "FINISHED"
    assert parent.info.run_name == run.run_id
    assert parent.data.tags["provisioner.run_id"] == run.run_id
    assert parent.data.tags["provisioner.pipeline"] == "tracked"
    assert parent.data.tags["provisioner.stack"] == stack.name
    assert parent.data.params == {"lr": "0.25"}
    assert parent.data.metrics["duration_seconds"] > 0
    assert client.get_experiment(parent.info.experiment_id).name == "tracked"
    assert run.tracking["url"].endswith(
        f"/#/experiments/{parent.info.experiment_id}/runs/{parent.info.run_id}"
    )

    steps = _children(client, parent.info.run_id)
    assert set(steps) == {"train", "evaluate"}
    train_run = steps["train"]
    assert train_run.info.status == "FINISHED"
    assert train_run.data.params == {"lr": "0.25", "model": "linear"}
    assert train_run.data.tags["provisioner.status"] == "completed"
    assert train_run.data.metrics["duration_seconds"] > 0
    history = client.get_metric_history(train_run.info.run_id, "loss")
    assert [(m.step, round(m.value, 3)) for m in history] == [(0, 1.0), (1, 0.5), (2, 0.333)]
    assert steps["evaluate"].data.metrics["accuracy"] == pytest.approx(0.93)


def test_a_failed_step_fails_its_run_and_the_skipped_one_is_killed(stack, client):
    run = run_pipeline(broken, stack, raise_on_failure=False)
    assert run.status == "failed"

    parent = client.get_run(run.tracking["run_id"])
    assert parent.info.status == "FAILED"
    steps = _children(client, parent.info.run_id)
    assert steps["explode"].info.status == "FAILED"
    assert steps["explode"].data.tags["provisioner.status"] == "failed"
    assert steps["after"].info.status == "KILLED"
    assert steps["after"].data.tags["provisioner.status"] == "skipped"


def test_run_show_prints_the_link_and_keeps_the_id(stack, tmp_path):
    run = run_pipeline(tracked, stack, parameters={"lr": 0.5})
    config = tmp_path / "stack.yaml"
    stack.write(config)

    result = cli("run", "show", run.run_id, "--stack", str(config))
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert f"mlflow run {run.tracking['run_id']}: {run.tracking['url']}" in text
    shown = cli_json("run", "show", run.run_id, "--stack", str(config))
    assert shown["tracking"]["run_id"] == run.tracking["run_id"]


def test_logging_outside_a_step_says_where_it_works(stack):
    from provisioner.errors import UserInputError
    from provisioner.runtime import connect

    with pytest.raises(UserInputError, match="inside a step"):
        connect(stack).experiment_tracker.log_metrics({"x": 1.0})
