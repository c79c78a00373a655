"""The mlflow tracker on ``backend: file`` (an MLflow file store, no server): the same runs."""

from __future__ import annotations

from provisioner.runtime import get_step_context, pipeline, run_pipeline, step
from provisioner.stackconfig import ComponentConnection
from tests.runtime.conftest import make_stack


@step
def fit(lr: float) -> float:
    get_step_context().experiment_tracker.log_metrics({"loss": 0.5}, step=1)
    return lr


@pipeline
def tiny(lr: float = 0.1):
    fit(lr=lr)


def test_runs_and_nested_steps_in_a_file_store(tmp_path):
    from mlflow.tracking import MlflowClient

    store = tmp_path / "mlruns"
    store.mkdir()
    tracker = ComponentConnection(flavor="mlflow", config={"tracking_uri": store.as_uri()})
    stack = make_stack("local", root=tmp_path, extra={"experiment_tracker": tracker})

    run = run_pipeline(tiny, stack, parameters={"lr": 0.3})

    client = MlflowClient(store.as_uri())
    parent = client.get_run(run.tracking["run_id"])
    assert parent.info.status == "FINISHED" and parent.data.params == {"lr": "0.3"}
    assert "url" not in run.tracking  # a file store has no web page
    (child,) = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert child.data.tags["provisioner.step"] == "fit"
    assert child.data.metrics["loss"] == 0.5
