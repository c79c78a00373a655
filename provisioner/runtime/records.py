"""Run and step records, stored as JSON beside the artifacts: ``runs/<run_id>/...``."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from provisioner.runtime.errors import ArtifactNotFoundError, RunNotFoundError
from provisioner.runtime.keys import check_name, check_run_id
from provisioner.runtime.stores.base import ArtifactStore

RUNS = "runs"


class Status(StrEnum):
    """The state of a run or a step."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    CACHED = "cached"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def done(self) -> bool:
        """True when the step produced its outputs (ran or reused them)."""
        return self in (Status.COMPLETED, Status.CACHED)


class ErrorInfo(BaseModel):
    """An exception raised by a step, with its traceback as text."""

    type: str
    message: str
    traceback: str = ""


class StepRecord(BaseModel):
    """One step of one run."""

    name: str
    function: str = ""
    status: Status = Status.PENDING
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration: float | None = None
    attempts: int = 0
    parameters: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, str] = Field(default_factory=dict, description="arg -> artifact URI")
    outputs: dict[str, str] = Field(default_factory=dict, description="output -> artifact URI")
    serializers: dict[str, str] = Field(default_factory=dict, description="output -> serializer")
    upstream: list[str] = Field(default_factory=list)
    code_hash: str = ""
    cache_key: str | None = None
    cached_from: str | None = Field(default=None, description="run id that produced the outputs")
    error: ErrorInfo | None = None


class RunRecord(BaseModel):
    """One pipeline run: its status, timings, parameters and steps."""

    run_id: str
    pipeline: str
    stack: str
    status: Status = Status.RUNNING
    started_at: datetime
    ended_at: datetime | None = None
    duration: float | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    cache: bool = True
    store_uri: str = ""
    steps: dict[str, StepRecord] = Field(default_factory=dict)
    error: ErrorInfo | None = None

    @property
    def cached_steps(self) -> list[str]:
        """Names of the steps whose outputs came from the cache."""
        return [n for n, s in self.steps.items() if s.status is Status.CACHED]

    def output_uri(self, step: str, output: str = "output") -> str:
        """The artifact URI of one step output.

        Raises:
            RunNotFoundError: no such step or output in this run.
        """
        rec = self.steps.get(step)
        if rec is None:
            raise RunNotFoundError(
                f"run {self.run_id} has no step {step!r} (steps: {', '.join(self.steps)})"
            )
        if output not in rec.outputs:
            have = ", ".join(rec.outputs) or "none"
            raise RunNotFoundError(
                f"step {step!r} of run {self.run_id} has no output {output!r} (outputs: {have})"
            )
        return rec.outputs[output]


def run_key(run_id: str) -> str:
    """Key of a run's record."""
    return f"{RUNS}/{check_run_id(run_id)}/run.json"


def step_key(run_id: str, step: str) -> str:
    """Key of one step's record."""
    return f"{RUNS}/{check_run_id(run_id)}/steps/{check_name(step, 'step name')}.json"


def write_run(store: ArtifactStore, run: RunRecord) -> None:
    """Store the run record (atomically replacing the previous one)."""
    store.put_bytes(run_key(run.run_id), run.model_dump_json(indent=1).encode())


def write_step(store: ArtifactStore, run_id: str, step: StepRecord) -> None:
    """Store one step record as soon as the step ends, so a killed run still shows it."""
    store.put_bytes(step_key(run_id, step.name), step.model_dump_json(indent=1).encode())


def read_run(store: ArtifactStore, run_id: str) -> RunRecord:
    """A run record, with the latest step records merged in.

    Raises:
        RunNotFoundError: no such run in this store.
    """
    try:
        run = RunRecord.model_validate_json(store.get_bytes(run_key(run_id)))
    except ArtifactNotFoundError:
        raise RunNotFoundError(f"no run {run_id!r} in {store.uri}") from None
    if run.status is Status.RUNNING:
        for key in store.list_keys(f"{RUNS}/{run_id}/steps"):
            if key.endswith(".json"):
                step = StepRecord.model_validate(json.loads(store.get_bytes(key)))
                run.steps[step.name] = step
    return run


def list_runs(store: ArtifactStore, pipeline: str | None = None) -> list[RunRecord]:
    """Every run in the store, newest first, optionally of one pipeline."""
    runs = []
    for key in store.list_keys(RUNS):
        parts = key.split("/")
        if len(parts) == 3 and parts[2] == "run.json":
            run = RunRecord.model_validate_json(store.get_bytes(key))
            if pipeline is None or run.pipeline == pipeline:
                runs.append(run)
    runs.sort(key=lambda r: r.started_at, reverse=True)
    return runs
