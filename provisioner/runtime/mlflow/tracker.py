"""The MLflow experiment tracker: one MLflow run per pipeline run, a nested run per step."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
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
from provisioner.runtime.mlflow.writer import OrderedWriter, TrackingWriteError
from provisioner.runtime.records import RunRecord, Status, StepRecord

log = logging.getLogger(__name__)

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
#: What a step logged is sent at the latest this many seconds later (or at its end).
FLUSH_SECONDS = 2.0
#: ... or once this many values wait (MLflow's limit for one batch).
FLUSH_VALUES = 1000
#: How long the end of a run waits for its tracking writes to reach the server.
DRAIN_SECONDS = 120.0

#: Experiment ids by (tracking URI, name): looked up once per process.
_EXPERIMENTS: dict[tuple[str, str], str] = {}

#: MLflow's error codes for a create_run in an experiment that is gone.
_NO_EXPERIMENT = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")

_Key = tuple[str, str]  # (provisioner run id, step name)


def _params(values: Mapping[str, Any]) -> list[Any]:
    from mlflow.entities import Param

    return [Param(str(k), str(v)[:_MAX_PARAM]) for k, v in values.items()]


def _metrics(values: Mapping[str, Any], step: int | None = None) -> list[Any]:
    from mlflow.entities import Metric

    now = _now_ms()
    return [Metric(str(k), float(v), now, step or 0) for k, v in values.items()]


def _check_names(keys: Mapping[str, Any], kind: str) -> None:
    """Refuse a name the server would refuse, at the call (the write is sent later).

    Raises:
        MlflowException: an invalid ``kind`` ("metric" or "param") name.
    """
    from mlflow.utils import validation

    check = getattr(validation, f"_validate_{kind}_name", None)
    if check is not None:
        for key in keys:
            check(str(key))


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class _StepRun:
    """A step's nested MLflow run, and what the step logged that is not sent yet."""

    mlflow_id: str
    params: dict[str, str] = field(default_factory=dict)  # all logged, to refuse a change
    unsent_params: dict[str, str] = field(default_factory=dict)
    unsent_metrics: list[Any] = field(default_factory=list)
    since: float | None = None  # when the oldest unsent value was logged (monotonic)

    def add_params(self, values: Mapping[str, Any], step: str) -> None:
        for key, value in values.items():
            key, text = str(key), str(value)[:_MAX_PARAM]
            old = self.params.get(key)
            if old is not None and old != text:
                raise UserInputError(
                    f"step {step!r} logged parameter {key!r} as {old!r}, then as {text!r}: an "
                    "MLflow parameter cannot change within a run",
                    hint="log a value that changes as a metric (log_metrics)",
                )
            if old is None:
                self.params[key] = self.unsent_params[key] = text
        self._touch()

    def add_metrics(self, metrics: list[Any]) -> None:
        self.unsent_metrics.extend(metrics)
        self._touch()

    def _touch(self) -> None:
        if self.since is None and (self.unsent_params or self.unsent_metrics):
            self.since = time.monotonic()

    def due(self, now: float) -> bool:
        """Whether what waits should be sent now (old or many enough)."""
        waiting = len(self.unsent_params) + len(self.unsent_metrics)
        return bool(waiting) and (
            waiting >= FLUSH_VALUES
            or (self.since is not None and now - self.since >= FLUSH_SECONDS)
        )

    def take(self) -> tuple[list[Any], list[Any]]:
        """What waits, as MLflow params and metrics; the buffer is emptied."""
        params, metrics = _params(self.unsent_params), self.unsent_metrics
        self.unsent_params, self.unsent_metrics, self.since = {}, [], None
        return params, metrics


class MLflowExperimentTracker(ExperimentTracker):
    """Logs to the MLflow server (or store) of the connection's ``tracking_uri``.

    The pipeline's name is the experiment; each pipeline run is an MLflow run named after
    the run id and tagged with it, the pipeline and the stack; each step is a nested run.
    Run parameters, step parameters, step status and durations are logged by the run
    hooks. The MLflow run id is kept in the run record (``tracking``).

    Only the creation of the runs is on the caller's path (one call each: the run record
    and a step's model registrations need the id). What a step logs is buffered and sent
    at its end, with its status and duration, in one batch and one terminate call, by an
    ordered writer thread, while the pipeline goes on; values a long step logged are sent
    at the latest ``FLUSH_SECONDS`` later. The end of the run waits for every write before
    the run record is written. A write that fails is reported once as a failed run event
    (tracking is a record of the run, not part of it), and nothing more is sent.
    """

    def __init__(self, connection: Any, stack: Any) -> None:
        super().__init__(connection, stack)
        self.tracking_uri: str = str(self.config.get("tracking_uri") or "")
        self._client: Any = None
        self._lock = threading.Lock()
        self._steps: dict[_Key, _StepRun] = {}
        # the running steps' MLflow run ids (the model registry reads them)
        self._step_runs: dict[_Key, str] = {}
        self._untracked: set[str] = set()  # runs whose steps' logging was warned as dropped
        self._writer = OrderedWriter("mlflow-tracker", on_idle=self._flush_due)

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

    def experiment_id(self, name: str, *, fresh: bool = False) -> str:
        """The id of experiment ``name``, created if needed (looked up once per process)."""
        key = (self.tracking_uri, name)
        found = None if fresh else _EXPERIMENTS.get(key)
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
        _EXPERIMENTS[key] = exp_id
        return exp_id

    def run_url(self, run_id: str) -> str | None:
        run = self.client.get_run(run_id)
        return web_url(self.tracking_uri, run.info.experiment_id, run_id)

    def close(self) -> None:
        """Send what is still queued, then stop the writer; a failure is logged."""
        writer = self._writer
        self._writer = OrderedWriter("mlflow-tracker", on_idle=self._flush_due)
        left = writer.drain(DRAIN_SECONDS)
        writer.close()
        try:
            writer.check()
        except TrackingWriteError as exc:
            log.warning("experiment_tracker: %s", exc)
        if left:
            log.warning("experiment_tracker: %d tracking writes were not sent", left)

    # -- what a step logs -------------------------------------------------------------------

    def _current_step(self) -> tuple[str, _StepRun] | None:
        from provisioner.runtime.context import _current

        ctx = _current.get()
        if ctx is None:
            raise UserInputError(
                "the experiment tracker logs to the running step's run: call log_params and "
                "log_metrics inside a step (get_step_context().experiment_tracker)"
            )
        with self._lock:
            found = self._steps.get((ctx.run_id, ctx.step))
            if found is None:
                # The tracker could not start the step's run (its server is down, and the run
                # was warned about once): tracking is a record of the run, not part of it, so
                # the step goes on and what it logs is dropped, with one warning per run.
                first = ctx.run_id not in self._untracked
                self._untracked.add(ctx.run_id)
        if found is None:
            if first:
                log.warning(
                    "experiment_tracker: step %r of run %s has no MLflow run (the tracker could "
                    "not start one; see the warning before): what the run's steps log is not "
                    "recorded",
                    ctx.step,
                    ctx.run_id,
                )
            return None
        return ctx.step, found

    def log_params(self, params: Mapping[str, Any]) -> None:
        _check_names(params, "param")
        current = self._current_step()
        if current is None:
            return
        name, step_run = current
        with self._lock:
            step_run.add_params(params, name)
        self._flush_due()

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        _check_names(metrics, "metric")
        batch = _metrics(metrics, step)
        current = self._current_step()
        if current is None:
            return
        _, step_run = current
        with self._lock:
            step_run.add_metrics(batch)
        self._flush_due()

    def _flush_due(self) -> None:
        """Send what the running steps logged long enough ago (or in great numbers)."""
        now = time.monotonic()
        with self._lock:
            due = [(s.mlflow_id, *s.take()) for s in self._steps.values() if s.due(now)]
        for mlflow_id, params, metrics in due:
            self._send(mlflow_id, params, metrics, what="log a step's values")

    def _send(
        self, mlflow_id: str, params: list[Any], metrics: list[Any], tags=(), what: str = ""
    ) -> None:
        if params or metrics or tags:
            self._writer.submit(
                what,
                lambda: self.client.log_batch(
                    mlflow_id, metrics=metrics, params=params, tags=list(tags)
                ),
            )

    # -- run hooks ---------------------------------------------------------------------------

    def _tags(self, run: RunRecord) -> dict[str, str]:
        return {RUN_ID_TAG: run.run_id, PIPELINE_TAG: run.pipeline, STACK_TAG: run.stack}

    def on_run_start(self, run: RunRecord) -> None:
        exp_id = self.experiment_id(run.pipeline)
        try:
            created = self.client.create_run(exp_id, run_name=run.run_id, tags=self._tags(run))
        except Exception as exc:  # the experiment this process knew may be deleted since
            if getattr(exc, "error_code", "") not in _NO_EXPERIMENT:
                raise
            exp_id = self.experiment_id(run.pipeline, fresh=True)
            created = self.client.create_run(exp_id, run_name=run.run_id, tags=self._tags(run))
        mlflow_id = created.info.run_id
        self._send(mlflow_id, _params(run.parameters), [], what="log the run's parameters")
        run.tracking = {
            "flavor": self.flavor,
            "tracking_uri": self.tracking_uri,
            "experiment_id": exp_id,
            "run_id": mlflow_id,
            **({"url": url} if (url := web_url(self.tracking_uri, exp_id, mlflow_id)) else {}),
        }

    def on_step_start(self, run: RunRecord, step: StepRecord) -> None:
        self._writer.check()
        parent = run.tracking.get("run_id")
        if not parent:
            return
        created = self.client.create_run(
            run.tracking.get("experiment_id") or self.experiment_id(run.pipeline),
            run_name=step.name,
            tags=self._step_tags(run, step, parent),
        )
        step_run = _StepRun(created.info.run_id)
        step_run.add_params(step.parameters, step.name)
        with self._lock:
            self._steps[run.run_id, step.name] = step_run
            self._step_runs[run.run_id, step.name] = step_run.mlflow_id
        self._writer.start()  # its idle ticks send what a long step logs

    def _step_tags(self, run: RunRecord, step: StepRecord, parent: str) -> dict[str, str]:
        return {**self._tags(run), STEP_TAG: step.name, "mlflow.parentRunId": parent}

    def on_step_end(self, run: RunRecord, step: StepRecord) -> None:
        self._writer.check()
        parent = run.tracking.get("run_id")
        if not parent:
            return
        key = (run.run_id, step.name)
        with self._lock:
            step_run = self._steps.pop(key, None)
            self._step_runs.pop(key, None)
        if step_run is not None:
            self._end(step_run, step.status, step.duration, step.attempts, f"step {step.name!r}")
            return
        # skipped, or reused from the cache without running: nothing waits for its id
        tags = self._step_tags(run, step, parent)
        exp_id = run.tracking.get("experiment_id") or self.experiment_id(run.pipeline)
        start, params = _now_ms(), _params(step.parameters)

        def record() -> None:
            made = self.client.create_run(exp_id, start_time=start, run_name=step.name, tags=tags)
            self._finish(
                made.info.run_id, params, [], step.status, step.duration, step.attempts, start
            )

        self._writer.submit(f"record step {step.name!r}", record)

    def on_run_end(self, run: RunRecord) -> None:
        """End the steps still open (a Ctrl-C stopped them), wait until every write of the
        run reached the server, then end the pipeline's MLflow run."""
        mlflow_id = run.tracking.get("run_id")
        if not mlflow_id:
            return
        with self._lock:
            still = [(k[1], self._steps.pop(k)) for k in list(self._steps) if k[0] == run.run_id]
            for name, _ in still:
                self._step_runs.pop((run.run_id, name), None)
        for name, step_run in still:
            rec = run.steps.get(name)
            status = rec.status if rec is not None else run.status
            self._end(step_run, status, rec.duration if rec else None, None, f"step {name!r}")
        self._end(_StepRun(mlflow_id), run.status, run.duration, None, f"run {run.run_id}")
        left = self._writer.drain(DRAIN_SECONDS)
        self._writer.check()
        if left:
            raise TrackingWriteError(
                f"{left} tracking writes of run {run.run_id} did not reach {self.tracking_uri} "
                f"within {DRAIN_SECONDS:.0f} s"
            )

    def _end(
        self,
        step_run: _StepRun,
        status: Status,
        duration: float | None,
        attempts: int | None,
        what: str,
    ) -> None:
        """Queue the end of ``step_run``'s MLflow run, with what it logged that waits."""
        end = _now_ms()
        with self._lock:
            params, metrics = step_run.take()
        self._writer.submit(
            f"end the MLflow run of {what}",
            lambda: self._finish(
                step_run.mlflow_id, params, metrics, status, duration, attempts, end
            ),
        )

    def _finish(
        self,
        mlflow_id: str,
        params: list[Any],
        metrics: list[Any],
        status: Status,
        duration: float | None,
        attempts: int | None,
        end: int,
    ) -> None:
        """Log ``params`` and ``metrics`` with the status tag, duration and attempts in one
        batch; then end the MLflow run."""
        from mlflow.entities import RunTag

        values: dict[str, float] = {} if duration is None else {"duration_seconds": duration}
        if attempts:
            values["attempts"] = attempts
        self.client.log_batch(
            mlflow_id,
            metrics=metrics + _metrics(values),
            params=params,
            tags=[RunTag(STATUS_TAG, str(status))],
        )
        self.client.set_terminated(mlflow_id, status=_END.get(status, "FINISHED"), end_time=end)
