"""The MLflow experiment tracker: one MLflow run per pipeline run, a nested run per step."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from provisioner.errors import UserInputError
from provisioner.runtime.components.tracker import ExperimentTracker
from provisioner.runtime.mlflow.client import (
    PIPELINE_TAG,
    RUN_ID_TAG,
    STACK_TAG,
    STATUS_TAG,
    STEP_TAG,
    is_already_there,
    mlflow_client,
    web_url,
)
from provisioner.runtime.records import RunRecord, Status, StepRecord

#: MLflow's end states for ours.
_END = {
    Status.COMPLETED: "FINISHED",
    Status.CACHED: "FINISHED",
    Status.FAILED: "FAILED",
    Status.SKIPPED: "KILLED",
    Status.CANCELLED: "KILLED",
    Status.INTERRUPTED: "KILLED",
    Status.ABANDONED: "KILLED",
}
_MAX_PARAM = 6000  # MLflow's limit on a parameter value's length


def _params(values: Mapping[str, Any]) -> list[Any]:
    from mlflow.entities import Param

    return [Param(str(k), str(v)[:_MAX_PARAM]) for k, v in values.items()]


def _metrics(values: Mapping[str, Any], step: int | None = None) -> list[Any]:
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    return [Metric(str(k), float(v), now, step or 0) for k, v in values.items()]


class MLflowExperimentTracker(ExperimentTracker):
    """Logs to the MLflow server (or store) of the connection's ``tracking_uri``.

    The pipeline's name is the experiment; each pipeline run is an MLflow run named after
    the run id and tagged with it, the pipeline and the stack; each step is a nested run.
    Run parameters, step parameters, step status and durations are logged by the run
    hooks. The MLflow run id is kept in the run record (``tracking``).
    """

    def __init__(self, connection: Any, stack: Any) -> None:
        super().__init__(connection, stack)
        self.tracking_uri: str = str(self.config.get("tracking_uri") or "")
        self._client: Any = None
        self._lock = threading.Lock()
        self._experiments: dict[str, str] = {}
        self._step_runs: dict[tuple[str, str], str] = {}

    @classmethod
    def from_connection(cls, connection: Any, stack: Any) -> MLflowExperimentTracker:
        if not connection.config.get("tracking_uri"):
            raise UserInputError(
                f"stack {stack.name!r}: the experiment_tracker's connection has no tracking_uri"
            )
        return cls(connection, stack)

    @property
    def client(self) -> Any:
        """The MlflowClient (mlflow is imported on first use)."""
        with self._lock:
            if self._client is None:
                self._client = mlflow_client(self.tracking_uri)
            return self._client

    def experiment_id(self, name: str) -> str:
        """The id of experiment ``name``, created if needed."""
        found = self._experiments.get(name)
        if found:
            return found
        client = self.client
        exp = client.get_experiment_by_name(name)
        if exp is None:
            try:
                exp_id = client.create_experiment(name, tags={"provisioner": "true"})
            except Exception as exc:
                if not is_already_there(exc):
                    raise
                exp_id = client.get_experiment_by_name(name).experiment_id
        else:
            exp_id = exp.experiment_id
        self._experiments[name] = exp_id
        return exp_id

    def run_url(self, run_id: str) -> str | None:
        run = self.client.get_run(run_id)
        return web_url(self.tracking_uri, run.info.experiment_id, run_id)

    # -- what a step logs -------------------------------------------------------------------

    def _current_run(self) -> str:
        from provisioner.runtime.context import _current

        ctx = _current.get()
        if ctx is None:
            raise UserInputError(
                "the experiment tracker logs to the running step's run: call log_params and "
                "log_metrics inside a step (get_step_context().experiment_tracker)"
            )
        key = (ctx.run_id, ctx.step)
        with self._lock:
            found = self._step_runs.get(key)
        if found is None:
            raise UserInputError(
                f"step {ctx.step!r} of run {ctx.run_id} has no MLflow run (the tracker could "
                "not start one when the step started; see the run's warnings)"
            )
        return found

    def log_params(self, params: Mapping[str, Any]) -> None:
        self.client.log_batch(self._current_run(), params=_params(params))

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        self.client.log_batch(self._current_run(), metrics=_metrics(metrics, step))

    # -- run hooks ---------------------------------------------------------------------------

    def _tags(self, run: RunRecord) -> dict[str, str]:
        return {RUN_ID_TAG: run.run_id, PIPELINE_TAG: run.pipeline, STACK_TAG: run.stack}

    def on_run_start(self, run: RunRecord) -> None:
        exp_id = self.experiment_id(run.pipeline)
        created = self.client.create_run(exp_id, run_name=run.run_id, tags=self._tags(run))
        mlflow_id = created.info.run_id
        params = {k: v for k, v in run.parameters.items()}
        if params:
            self.client.log_batch(mlflow_id, params=_params(params))
        run.tracking = {
            "flavor": self.flavor,
            "tracking_uri": self.tracking_uri,
            "experiment_id": exp_id,
            "run_id": mlflow_id,
            **({"url": url} if (url := web_url(self.tracking_uri, exp_id, mlflow_id)) else {}),
        }

    def on_step_start(self, run: RunRecord, step: StepRecord) -> None:
        parent = run.tracking.get("run_id")
        if not parent:
            return
        self._start_step(run, step, parent)

    def _start_step(self, run: RunRecord, step: StepRecord, parent: str) -> str:
        tags = {**self._tags(run), STEP_TAG: step.name, "mlflow.parentRunId": parent}
        exp_id = run.tracking.get("experiment_id") or self.experiment_id(run.pipeline)
        created = self.client.create_run(exp_id, run_name=step.name, tags=tags)
        mlflow_id = created.info.run_id
        if step.parameters:
            self.client.log_batch(mlflow_id, params=_params(step.parameters))
        with self._lock:
            self._step_runs[run.run_id, step.name] = mlflow_id
        return mlflow_id

    def on_step_end(self, run: RunRecord, step: StepRecord) -> None:
        parent = run.tracking.get("run_id")
        if not parent:
            return
        with self._lock:
            mlflow_id = self._step_runs.pop((run.run_id, step.name), None)
        if mlflow_id is None:  # skipped, or reused from the cache without running
            mlflow_id = self._start_step(run, step, parent)
            with self._lock:
                self._step_runs.pop((run.run_id, step.name), None)
        self._end(mlflow_id, step.status, step.duration, step.attempts)

    def on_run_end(self, run: RunRecord) -> None:
        mlflow_id = run.tracking.get("run_id")
        if mlflow_id:
            self._end(mlflow_id, run.status, run.duration, None)

    def _end(self, mlflow_id: str, status: Status, duration: float | None, attempts: int | None):
        from mlflow.entities import RunTag

        metrics = {} if duration is None else {"duration_seconds": duration}
        if attempts:
            metrics["attempts"] = attempts
        self.client.log_batch(
            mlflow_id, metrics=_metrics(metrics), tags=[RunTag(STATUS_TAG, str(status))]
        )
        self.client.set_terminated(mlflow_id, status=_END.get(status, "FINISHED"))
