"""The process step operator: marked steps run in their own Python processes, inputs and
outputs through the artifact store, the other steps on the orchestrator."""

from __future__ import annotations

import os
import sys
import time

import pytest

from provisioner.runtime import Resources, load_output, pipeline, step
from provisioner.runtime.components import MissingComponentError
from provisioner.runtime.records import Status
from provisioner.runtime.stores import open_store
from provisioner.stackconfig import ComponentConnection
from tests.runtime.conftest import make_stack

pytestmark = pytest.mark.slow  # each step starts a Python process


def operator_stack(tmp_path, **config):
    return make_stack(
        "local",
        root=tmp_path,
        extra={"step_operator": ComponentConnection(flavor="process", config=config)},
    )


@step
def load() -> list[int]:
    return [1, 2, 3]


@step(step_operator=True)
def heavy(rows: list[int]) -> dict:
    return {"sum": sum(rows), "pid": os.getpid()}


@step
def report(result: dict) -> dict:
    return {**result, "reporter_pid": os.getpid()}


@pipeline
def mixed():
    report(heavy(load()))


def test_only_the_marked_step_runs_in_another_process(tmp_path):
    stack = operator_stack(tmp_path)
    run = mixed.run(stack, cache=False)
    assert run.status is Status.COMPLETED
    out = load_output(stack, run.run_id, "report")
    assert out["sum"] == 6
    assert out["reporter_pid"] == os.getpid() and out["pid"] != os.getpid()
    heavy_rec = run.steps["heavy"]
    assert heavy_rec.status is Status.COMPLETED and heavy_rec.pods[0].exit_code == 0
    rerun = mixed.run(stack)
    assert rerun.steps["heavy"].status is Status.CACHED  # the cache works across processes


@step(step_operator=True, retries=1, retry_delay=0.01)
def fails(rows: list[int]) -> int:
    raise ValueError(f"bad rows {rows}")


@pipeline
def failing():
    fails(load())


def test_a_failing_step_records_its_own_error(tmp_path):
    stack = operator_stack(tmp_path)
    run = failing.run(stack, raise_on_failure=False)
    rec = run.steps["fails"]
    assert rec.status is Status.FAILED and "ValueError" in rec.error.type
    assert "bad rows [1, 2, 3]" in rec.error.message
    assert rec.attempts == 2 and len(rec.pods) == 2
    log = open_store(stack).get_bytes(rec.pods[-1].log).decode()  # `provisioner run logs`
    assert "ValueError: bad rows [1, 2, 3]" in log


@step(step_operator=True, resources=Resources(memory="300Mi"))
def greedy() -> int:
    return len(bytearray(2 * 2**30))


@step(step_operator=True)
def spin() -> int:
    n = 0
    while True:
        n += 1


@step(step_operator=True)
def brief() -> dict:
    """Uses 0.6 s of CPU itself (more if its process started in less), so that with what its
    process's start used (interpreter, imports) the process passes 1.2 s."""
    started = time.process_time()
    own = max(0.6, 1.2 - started)
    while time.process_time() - started < own:
        pass
    return {"started": started, "own": own}


@pipeline
def limited():
    greedy()
    spin()
    brief()


def test_resource_limits(tmp_path):
    stack = operator_stack(tmp_path, cpu_seconds=1)
    run = limited.run(stack, raise_on_failure=False)
    assert "MemoryError" in run.steps["greedy"].error.type
    spun = run.steps["spin"]
    assert spun.status is Status.FAILED and "CPU time limit (1 s)" in spun.error.message
    # The limit counts from the step's start: the process's own start is not the step's.
    assert run.steps["brief"].status is Status.COMPLETED, run.steps["brief"].error
    out = load_output(stack, run.run_id, "brief")
    assert out["own"] < 1 < out["started"] + out["own"]


def test_another_interpreter_must_have_provisioner(tmp_path):
    bare = tmp_path / "bare-venv"
    import venv

    venv.create(bare, with_pip=False)
    with pytest.raises(Exception, match="cannot import provisioner"):
        mixed.run(operator_stack(tmp_path, python=str(bare)))
    assert sys.executable  # this interpreter still works as the default


def test_a_stack_without_step_operator(tmp_path):
    with pytest.raises(MissingComponentError, match="has no step_operator"):
        mixed.run(make_stack("local", root=tmp_path))


@step(step_operator=True)
def sleeper(pid_file: str) -> int:
    import time as _time
    from pathlib import Path as _Path

    _Path(pid_file).write_text(str(os.getpid()))
    _time.sleep(120)
    return 0


@pipeline
def sleeping(pid_file: str):
    sleeper(pid_file)


def test_ctrl_c_stops_the_step_process(tmp_path):
    import _thread
    import threading
    import time

    from provisioner.runtime import RunCancelled

    pid_file = tmp_path / "pid"

    def interrupt_when_started():
        deadline = time.monotonic() + 30
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        _thread.interrupt_main()  # what Ctrl-C does

    threading.Thread(target=interrupt_when_started, daemon=True).start()
    with pytest.raises(RunCancelled) as caught:
        sleeping.run(operator_stack(tmp_path), parameters={"pid_file": str(pid_file)})
    assert caught.value.result.steps["sleeper"].status is Status.INTERRUPTED
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the step process {pid} still runs after Ctrl-C")
