"""Live, abandoned and cancelled runs: owner, heartbeat, pid checks, Ctrl-C in a library."""

from __future__ import annotations

import _thread
import json
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from provisioner.errors import UserInputError
from provisioner.runtime import RunClient, Status, pipeline, step
from provisioner.runtime import heartbeat as heartbeat_module
from provisioner.runtime.errors import RunCancelled, RunIdTakenError
from provisioner.runtime.heartbeat import INTERVAL_VAR, heartbeat_interval
from provisioner.runtime.liveness import ProcessState, assess, process_state, this_owner
from provisioner.runtime.records import RunRecord, StepRecord

gate = threading.Event()
entered = threading.Event()


@step
def start() -> int:
    return 1


@step
def wait_at_gate(x: int) -> int:
    entered.set()
    assert gate.wait(30), "the test never opened the gate"
    return x + 1


@step
def finish(y: int) -> int:
    return y * 10


@pipeline
def gated():
    finish(wait_at_gate(start()))


@pytest.fixture(autouse=True)
def _reset_gate():
    gate.clear()
    entered.clear()
    yield
    gate.set()  # never leave a step thread waiting


def _in_thread(fn) -> tuple[threading.Thread, dict]:
    box: dict = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    return thread, box


def test_a_live_run_beats_and_shows_its_running_step(stack, monkeypatch):
    # Long enough that a loaded machine never looks abandoned (stale after 3 intervals).
    monkeypatch.setenv(INTERVAL_VAR, "0.5")
    thread, box = _in_thread(lambda: gated.run(stack, run_id="live"))
    assert entered.wait(10)
    client = RunClient(stack)
    deadline = time.monotonic() + 5
    first = client.get_run("live")
    while first.steps["wait_at_gate"].status is not Status.RUNNING:  # the next beat names it
        assert time.monotonic() < deadline, "no heartbeat named the running step"
        time.sleep(0.02)
        first = client.get_run("live")
    assert first.status is Status.RUNNING and first.owner == this_owner()
    assert first.heartbeat_interval == 0.5
    assert first.steps["start"].status is Status.COMPLETED
    assert first.steps["finish"].status is Status.PENDING
    deadline = time.monotonic() + 10
    later = client.get_run("live")
    while later.heartbeat_at <= first.heartbeat_at:
        assert time.monotonic() < deadline, "the heartbeat did not advance"
        time.sleep(0.1)
        later = client.get_run("live")
    assert later.status is Status.RUNNING
    assert [r.status for r in client.list_runs()] == [Status.RUNNING]
    gate.set()
    thread.join(10)
    assert box["result"].status is Status.COMPLETED
    time.sleep(0.7)  # no stray beat turns the finished run back
    done = client.get_run("live")
    assert done.status is Status.COMPLETED and done.steps["finish"].status is Status.COMPLETED


def test_a_failing_heartbeat_never_fails_the_run(local_stack, monkeypatch, caplog):
    monkeypatch.setenv(INTERVAL_VAR, "0.02")

    def broken(*args, **kwargs):
        raise OSError("store unreachable")

    monkeypatch.setattr(heartbeat_module, "write_heartbeat", broken)
    thread, box = _in_thread(lambda: gated.run(local_stack))
    assert entered.wait(10)
    time.sleep(0.1)
    gate.set()
    thread.join(10)
    assert box["result"].status is Status.COMPLETED
    assert "heartbeat of run" in caplog.text


def test_ctrl_c_in_a_library_call_records_cancelled_and_late_steps_change_nothing(local_stack):
    def interrupt_when_entered():
        entered.wait(10)
        _thread.interrupt_main()  # what Ctrl-C does: KeyboardInterrupt in the main thread

    threading.Thread(target=interrupt_when_entered, daemon=True).start()
    with pytest.raises(KeyboardInterrupt) as caught:
        gated.run(local_stack, run_id="cancelled")
    assert isinstance(caught.value, RunCancelled)
    record = caught.value.result
    assert record.status is Status.CANCELLED
    assert record.steps["wait_at_gate"].status is Status.INTERRUPTED
    assert record.steps["finish"].status is Status.SKIPPED
    gate.set()  # the step thread now finishes on its own
    time.sleep(0.3)
    stored = RunClient(local_stack).get_run("cancelled")
    assert stored.status is Status.CANCELLED
    assert stored.steps["wait_at_gate"].status is Status.INTERRUPTED
    assert record.steps["wait_at_gate"].status is Status.INTERRUPTED


def _join_step_threads() -> None:
    for thread in threading.enumerate():
        if thread.name.startswith("step-"):
            thread.join(10)
            assert not thread.is_alive(), f"{thread.name} is still running"


def test_an_interrupted_step_that_finishes_later_is_never_cached(local_stack):
    def interrupt_when_entered():
        entered.wait(10)
        _thread.interrupt_main()

    threading.Thread(target=interrupt_when_entered, daemon=True).start()
    with pytest.raises(RunCancelled):
        gated.run(local_stack, run_id="cut")
    gate.set()  # the interrupted step's function now returns, in its thread
    _join_step_threads()  # ... and its thread ends: whatever it would record is written
    client = RunClient(local_stack)
    cut = client.get_run("cut")
    assert cut.steps["wait_at_gate"].status is Status.INTERRUPTED
    assert cut.steps["wait_at_gate"].outputs == {}
    cached_steps = {
        json.loads(client.store.get_bytes(key))["step"] for key in client.store.list_keys("cache")
    }
    assert cached_steps == {"start"}  # done before the cancel: cached; interrupted: not
    again = gated.run(local_stack, run_id="again")
    assert again.steps["start"].status is Status.CACHED
    assert again.steps["wait_at_gate"].status is Status.COMPLETED  # ran again, not from cache
    assert again.steps["finish"].status is Status.COMPLETED


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_process_state_checks_pid_and_start_time_on_this_host_only():
    me = this_owner()
    assert me.process_started_at is not None and me.boot_id
    assert process_state(me) is ProcessState.ALIVE
    reused = me.model_copy(update={"process_started_at": datetime(2000, 1, 1, tzinfo=UTC)})
    assert process_state(reused) is ProcessState.DEAD
    assert process_state(me.model_copy(update={"pid": _dead_pid()})) is ProcessState.DEAD
    assert process_state(me.model_copy(update={"host": "elsewhere"})) is ProcessState.UNKNOWN
    other_boot = me.model_copy(update={"boot_id": "another-boot"})
    assert process_state(other_boot) is ProcessState.UNKNOWN


def _record(**changes) -> RunRecord:
    now = datetime.now(UTC)
    base = RunRecord(
        run_id="r",
        pipeline="p",
        stack="s",
        started_at=now,
        steps={
            "a": StepRecord(name="a", status=Status.COMPLETED),
            "b": StepRecord(name="b", upstream=["a"]),
            "c": StepRecord(name="c", upstream=["b"]),
        },
        owner=this_owner(),
        heartbeat_at=now,
        heartbeat_interval=10,
    )
    return base.model_copy(update=changes)


def test_assess_marks_dead_or_silent_runs_and_leaves_the_rest():
    now = datetime.now(UTC)
    assert assess(_record()).status is Status.RUNNING
    silent = assess(_record(heartbeat_at=now - timedelta(seconds=31)), now)
    assert silent.status is Status.ABANDONED and "no heartbeat" in silent.error.message
    assert assess(_record(heartbeat_at=now - timedelta(seconds=29)), now).status is Status.RUNNING
    dead = assess(_record(owner=this_owner().model_copy(update={"pid": _dead_pid()})))
    assert dead.status is Status.ABANDONED and "is gone" in dead.error.message
    assert [dead.steps[n].status for n in "abc"] == [
        Status.COMPLETED,
        Status.INTERRUPTED,  # its upstream was done: it was running
        Status.SKIPPED,
    ]
    legacy = _record(owner=None, heartbeat_at=None, heartbeat_interval=None)
    assert assess(legacy).status is Status.RUNNING
    old = legacy.model_copy(update={"started_at": now - timedelta(days=1)})
    assert assess(old).status is Status.ABANDONED
    finished = _record(status=Status.COMPLETED, heartbeat_at=now - timedelta(days=1))
    assert assess(finished).status is Status.COMPLETED


def test_an_explicit_run_id_is_never_reused(local_stack):
    gate.set()
    gated.run(local_stack, run_id="once")
    with pytest.raises(RunIdTakenError, match="already used") as caught:
        gated.run(local_stack, run_id="once")
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("raw", ["0", "-1", "soon"])
def test_a_bad_heartbeat_interval_is_a_clear_error(monkeypatch, raw):
    monkeypatch.setenv(INTERVAL_VAR, raw)
    with pytest.raises(UserInputError, match=INTERVAL_VAR):
        heartbeat_interval()
