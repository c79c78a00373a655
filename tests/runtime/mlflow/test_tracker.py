"""The mlflow experiment tracker against a real MLflow server: one MLflow run per pipeline
run, a nested run per step, parameters, status and durations logged without a call."""

from __future__ import annotations

import threading
import time

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


class _Recorded:
    """The tracker's real MlflowClient, with each call recorded with the thread that made it
    (and, when ``fail`` names a method, that method refused as a down server would)."""

    def __init__(self, client, calls, fail=None):
        self._client, self._calls, self._fail = client, calls, fail

    def __getattr__(self, name):
        method = getattr(self._client, name)

        def call(*args, **kwargs):
            self._calls.append((threading.current_thread().name, name))
            if name == self._fail:
                raise ConnectionError("connection refused")
            return method(*args, **kwargs)

        return call


def _record_calls(monkeypatch, fail=None):
    from provisioner.runtime.mlflow import tracker as tracker_module

    calls: list[tuple[str, str]] = []
    real = tracker_module.mlflow_client
    monkeypatch.setattr(
        tracker_module, "mlflow_client", lambda uri: _Recorded(real(uri), calls, fail)
    )
    return calls


def test_a_step_costs_one_call_on_its_path_and_its_values_go_with_its_end(
    stack, client, monkeypatch
):
    calls = _record_calls(monkeypatch)
    run = run_pipeline(tracked, stack, parameters={"lr": 0.25})

    on_steps = [name for thread, name in calls if thread.startswith("step-")]
    assert on_steps == ["create_run", "create_run"]  # the nested runs, nothing else
    written = [name for thread, name in calls if thread == "mlflow-tracker"]
    # the run's parameters; then for each step and the run: one batch and one terminate
    assert written == ["log_batch"] + ["log_batch", "set_terminated"] * 3
    steps = _children(client, run.tracking["run_id"])
    history = client.get_metric_history(steps["train"].info.run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2]  # three calls of the step, one batch
    assert steps["train"].info.end_time >= steps["train"].info.start_time


def test_what_a_long_step_logs_is_sent_while_it_runs(stack, mlflow_service, monkeypatch):
    from provisioner.runtime.mlflow import tracker as tracker_module
    from provisioner.runtime.mlflow import writer as writer_module

    monkeypatch.setattr(tracker_module, "FLUSH_SECONDS", 0.2)
    monkeypatch.setattr(writer_module, "TICK_SECONDS", 0.1)
    monkeypatch.setenv("WATCH_URI", mlflow_service.tracking_uri)  # no run parameter: the
    run = run_pipeline(long_step, stack)  # writer has nothing to send before the step logs
    assert run.steps["watch"].status == "completed", run.steps["watch"].error


@step
def watch() -> bool:
    """Log a metric, then wait (logging nothing) until the server has it."""
    import os

    from mlflow.tracking import MlflowClient

    uri = os.environ["WATCH_URI"]
    ctx = get_step_context()
    ctx.experiment_tracker.log_metrics({"seen": 1.0})
    mlflow_run = ctx.experiment_tracker._step_runs[ctx.run_id, ctx.step]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if "seen" in MlflowClient(uri).get_run(mlflow_run).data.metrics:
            return True
        time.sleep(0.1)
    raise AssertionError("the metric was not sent while the step ran")


@pipeline
def long_step():
    watch()


@step
def relog() -> int:
    tracker = get_step_context().experiment_tracker
    tracker.log_params({"a": 1})
    tracker.log_params({"a": 1})  # the same value again is fine
    tracker.log_params({"a": 2})
    return 0


@step
def bad_name() -> int:
    get_step_context().experiment_tracker.log_metrics({"bad|name": 1.0})
    return 0


@pipeline
def refused():
    relog()
    bad_name()


def test_a_changed_parameter_or_a_bad_name_fails_the_step_at_the_call(stack, client):
    run = run_pipeline(refused, stack, raise_on_failure=False)

    assert "logged parameter 'a' as '1', then as '2'" in run.steps["relog"].error.message
    assert "bad|name" in run.steps["bad_name"].error.message
    steps = _children(client, run.tracking["run_id"])
    assert steps["relog"].info.status == "FAILED"
    assert steps["relog"].data.params == {"a": "1"}


def test_a_write_that_fails_is_warned_about_once_and_the_run_goes_on(stack, monkeypatch, caplog):
    calls = _record_calls(monkeypatch, fail="set_terminated")
    with caplog.at_level("WARNING"):
        run = run_pipeline(tracked, stack, parameters={"lr": 0.25})

    assert run.status == "completed"  # tracking is a record of the run, not part of it
    warned = [r.getMessage() for r in caplog.records if "connection refused" in r.getMessage()]
    assert len(warned) == 1, warned
    assert "end the MLflow run of step 'train'" in warned[0]
    assert "skipped for the rest of the run" in warned[0]
    # nothing was sent after the failed write
    written = [name for thread, name in calls if thread == "mlflow-tracker"]
    assert written == ["log_batch", "log_batch", "set_terminated"]


ENTERED, GATE = threading.Event(), threading.Event()


@step
def wait_at_gate() -> int:
    get_step_context().experiment_tracker.log_metrics({"before_gate": 1.0})
    ENTERED.set()
    GATE.wait(30)
    return 0


@pipeline
def gated():
    wait_at_gate()


def test_ctrl_c_ends_the_open_step_runs_and_sends_everything_first(stack, client):
    import _thread

    from provisioner.runtime.errors import RunCancelled

    ENTERED.clear()
    GATE.clear()

    def interrupt_when_entered():
        ENTERED.wait(30)
        _thread.interrupt_main()  # what Ctrl-C does: KeyboardInterrupt in the main thread

    threading.Thread(target=interrupt_when_entered, daemon=True).start()
    try:
        with pytest.raises(RunCancelled) as caught:
            run_pipeline(gated, stack)
    finally:
        GATE.set()
    run = caught.value.result
    parent = client.get_run(run.tracking["run_id"])
    assert parent.info.status == "KILLED"
    assert parent.data.tags["provisioner.status"] == "cancelled"
    cut = _children(client, parent.info.run_id)["wait_at_gate"]
    assert cut.info.status == "KILLED"
    assert cut.data.tags["provisioner.status"] == "interrupted"
    assert cut.data.metrics["before_gate"] == 1.0


def test_a_tracker_that_cannot_reach_its_server_never_fails_the_steps_that_log(
    tmp_path, monkeypatch, caplog
):
    import socket

    from provisioner.stackconfig import ComponentConnection
    from tests.runtime.conftest import make_stack

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    down = ComponentConnection(flavor="mlflow", config={"tracking_uri": f"http://127.0.0.1:{port}"})
    stack = make_stack("local", root=tmp_path, extra={"experiment_tracker": down})

    with caplog.at_level("WARNING"):
        run = run_pipeline(tracked, stack, parameters={"lr": 0.25})

    assert run.status == "completed"  # both steps logged params and metrics
    assert run.steps["evaluate"].status == "completed"
    dropped = [r.getMessage() for r in caplog.records if "is not recorded" in r.getMessage()]
    assert len(dropped) == 1, dropped  # once per run, not once per call
    assert "step 'train'" in dropped[0]
