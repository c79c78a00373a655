"""A run whose pid now belongs to another live process (pid reuse) is reported abandoned."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from provisioner.runtime import RunClient, Status
from provisioner.runtime.liveness import ProcessState, process_state
from provisioner.runtime.records import RunOwner, RunRecord, StepRecord, write_run

CHILD = (
    "import sys, time\n"
    "from provisioner.runtime.liveness import this_owner\n"
    "print(this_owner().model_dump_json(), flush=True)\n"
    "sys.stdin.read()\n"  # lives until the test closes its stdin
)


@pytest.fixture
def other_process() -> Iterator[RunOwner]:
    """Another live process on this machine, as it would record itself as a run's owner."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        yield RunOwner.model_validate_json(proc.stdout.readline())
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def _running(owner: RunOwner, run_id: str) -> RunRecord:
    now = datetime.now(UTC)
    return RunRecord(
        run_id=run_id,
        pipeline="p",
        stack="s",
        started_at=now,
        steps={"a": StepRecord(name="a", status=Status.RUNNING)},
        owner=owner,
        heartbeat_at=now,  # a fresh heartbeat: only the process check can tell
        heartbeat_interval=60,
    )


def test_a_reused_pid_is_dead_and_its_run_abandoned(local_stack, other_process):
    owner = other_process
    assert owner.process_started_at is not None, "this machine records start times"
    reused = owner.model_copy(
        update={"process_started_at": owner.process_started_at - timedelta(hours=1)}
    )
    assert process_state(owner) is ProcessState.ALIVE
    assert process_state(reused) is ProcessState.DEAD

    client = RunClient(local_stack)
    write_run(client.store, _running(owner, "live"))
    write_run(client.store, _running(reused, "reused"))
    assert client.get_run("live").status is Status.RUNNING
    abandoned = client.get_run("reused")
    assert abandoned.status is Status.ABANDONED
    assert f"pid {owner.pid}" in abandoned.error.message and "is gone" in abandoned.error.message
    assert abandoned.steps["a"].status is Status.INTERRUPTED
