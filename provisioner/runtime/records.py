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
    CANCELLED = "cancelled"
    ABANDONED = "abandoned"
    INTERRUPTED = "interrupted"

    @property
    def done(self) -> bool:
        """True when the step produced its outputs (ran or reused them)."""
        return self in (Status.COMPLETED, Status.CACHED)

    @property
    def ended(self) -> bool:
        """True when nothing more will happen to the run or step."""
        return self not in (Status.PENDING, Status.RUNNING)


class ErrorInfo(BaseModel):
    """An exception raised by a step, with its traceback as text."""

    type: str
    message: str
    traceback: str = ""


class PodAttempt(BaseModel):
    """How one pod (one attempt) of a remote step ended, as the cluster reported it."""

    pod: str
    phase: str = ""
    reason: str = Field(default="", description="OOMKilled, Evicted, ImagePullBackOff, ...")
    exit_code: int | None = None
    message: str = ""
    log: str | None = Field(default=None, description="store key of the pod's copied log")


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
    artifacts: dict[str, str] = Field(
        default_factory=dict,
        description="name -> artifact URI of what the step stored itself (ctx.save_artifact)",
    )
    serializers: dict[str, str] = Field(
        default_factory=dict, description="output or artifact -> serializer"
    )
    upstream: list[str] = Field(default_factory=list)
    code_hash: str = ""
    cache_key: str | None = None
    cached_from: str | None = Field(default=None, description="run id that produced the outputs")
    error: ErrorInfo | None = None
    pods: list[PodAttempt] = Field(default_factory=list, description="remote attempts' ends")
    log: str | None = Field(
        default=None, description="store key of the step's captured stdout, stderr and logging"
    )


class RunOwner(BaseModel):
    """The process that runs (or ran) a pipeline run, to tell a live run from a dead one.

    Attributes:
        host: the machine's host name.
        pid: the process id.
        process_started_at: when that process started (guards against pid reuse).
        boot_id: the kernel's boot id (a reboot ends every process).
        pid_namespace: the pid namespace (a container has its own pids).
    """

    host: str
    pid: int
    process_started_at: datetime | None = None
    boot_id: str | None = None
    pid_namespace: str | None = None


class RunRecord(BaseModel):
    """One pipeline run: its status, timings, parameters and steps.

    A run whose record says ``running`` but whose process is gone (killed, machine
    crashed) is reported ``abandoned`` by the readers (see
    :func:`provisioner.runtime.liveness.assess`); the stored record is left as it is.
    """

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
    module: str = Field(default="", description="the module that defines the pipeline")
    source_file: str | None = Field(
        default=None, description="the file that module was imported from (to load pickles)"
    )
    steps: dict[str, StepRecord] = Field(default_factory=dict)
    error: ErrorInfo | None = None
    owner: RunOwner | None = None
    image: str | None = Field(default=None, description="the steps' image, as given")
    image_digest: str | None = Field(
        default=None, description="the manifest digest every step of the run ran on"
    )
    heartbeat_at: datetime | None = Field(
        default=None, description="last sign of life of the running process"
    )
    heartbeat_interval: float | None = Field(
        default=None, description="seconds between heartbeats of the running process"
    )
    tracking: dict[str, str] = Field(
        default_factory=dict,
        description="the experiment tracker's record of this run: flavor, run_id, "
        "experiment_id, url",
    )

    @property
    def cached_steps(self) -> list[str]:
        """Names of the steps whose outputs came from the cache."""
        return [n for n, s in self.steps.items() if s.status is Status.CACHED]

    def output_uri(self, step: str, output: str = "output") -> str:
        """The artifact URI of one step output, or of an artifact the step saved itself.

        Raises:
            RunNotFoundError: no such step, output or artifact in this run.
        """
        rec = self.steps.get(step)
        if rec is None:
            raise RunNotFoundError(
                f"run {self.run_id} has no step {step!r} (steps: {', '.join(self.steps)})"
            )
        if output in rec.outputs:
            return rec.outputs[output]
        if output in rec.artifacts:
            return rec.artifacts[output]
        have = ", ".join(rec.outputs) or "none"
        saved = f"; artifacts it saved: {', '.join(rec.artifacts)}" if rec.artifacts else ""
        raise RunNotFoundError(
            f"step {step!r} of run {self.run_id} has no output {output!r} (outputs: {have}{saved})"
        )


def run_key(run_id: str) -> str:
    """Key of a run's record."""
    return f"{RUNS}/{check_run_id(run_id)}/run.json"


def step_key(run_id: str, step: str) -> str:
    """Key of one step's record."""
    return f"{RUNS}/{check_run_id(run_id)}/steps/{check_name(step, 'step name')}.json"


def log_key(run_id: str, step: str, name: str) -> str:
    """Key of a log copied from a remote step's pod (readable after the pod is gone)."""
    return f"{RUNS}/{check_run_id(run_id)}/logs/{check_name(step, 'step name')}/{name}.log"


def heartbeat_key(run_id: str) -> str:
    """Key of a running run's heartbeat: ``{"at": time, "running": {step: started_at}}``."""
    return f"{RUNS}/{check_run_id(run_id)}/heartbeat.json"


def write_run(store: ArtifactStore, run: RunRecord) -> None:
    """Store the run record (atomically replacing the previous one)."""
    store.put_bytes(run_key(run.run_id), run.model_dump_json(indent=1).encode())


def write_step(store: ArtifactStore, run_id: str, step: StepRecord) -> None:
    """Store one step record as soon as the step ends, so a killed run still shows it."""
    store.put_bytes(step_key(run_id, step.name), step.model_dump_json(indent=1).encode())


def write_heartbeat(
    store: ArtifactStore, run_id: str, at: datetime, running: dict[str, datetime]
) -> None:
    """Store a heartbeat (atomically): the time, and the steps running at that time."""
    data = {"at": at.isoformat(), "running": {n: t.isoformat() for n, t in running.items()}}
    store.put_bytes(heartbeat_key(run_id), json.dumps(data).encode())


def _merge_live_state(store: ArtifactStore, run: RunRecord) -> None:
    """Fold a running run's heartbeat and finished step records into its record."""
    prefix = f"{RUNS}/{run.run_id}"
    keys = list(store.list_keys(prefix))
    if f"{prefix}/heartbeat.json" in keys:
        try:
            beat = json.loads(store.get_bytes(f"{prefix}/heartbeat.json"))
            at = datetime.fromisoformat(beat["at"])
            if run.heartbeat_at is None or at > run.heartbeat_at:
                run.heartbeat_at = at
            for name, started in beat.get("running", {}).items():
                rec = run.steps.get(name)
                if rec is not None and rec.status is Status.PENDING:
                    rec.status = Status.RUNNING
                    rec.started_at = datetime.fromisoformat(started)
        except (ArtifactNotFoundError, ValueError, KeyError, TypeError):
            pass  # gone (the run just ended) or unreadable: the run record stands
    for key in keys:
        if key.startswith(f"{prefix}/steps/") and key.endswith(".json"):
            step = StepRecord.model_validate(json.loads(store.get_bytes(key)))
            run.steps[step.name] = step


def _load(store: ArtifactStore, key: str) -> RunRecord:
    from provisioner.runtime.liveness import assess

    run = RunRecord.model_validate_json(store.get_bytes(key))
    if run.status is Status.RUNNING:
        _merge_live_state(store, run)
        assess(run)
    return run


def read_run(store: ArtifactStore, run_id: str) -> RunRecord:
    """A run record as it stands now: a running run gets its latest step records and
    heartbeat merged in, and is reported ``abandoned`` if its process is gone.

    Raises:
        RunNotFoundError: no such run in this store.
    """
    try:
        return _load(store, run_key(run_id))
    except ArtifactNotFoundError:
        raise RunNotFoundError(f"no run {run_id!r} in {store.uri}") from None


def list_runs(store: ArtifactStore, pipeline: str | None = None) -> list[RunRecord]:
    """Every run in the store, newest first, optionally of one pipeline (see :func:`read_run`)."""
    runs = []
    for key in store.list_keys(RUNS):
        parts = key.split("/")
        if len(parts) == 3 and parts[2] == "run.json":
            run = _load(store, key)
            if pipeline is None or run.pipeline == pipeline:
                runs.append(run)
    runs.sort(key=lambda r: r.started_at, reverse=True)
    return runs
