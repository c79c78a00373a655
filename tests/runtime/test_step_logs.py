"""Step logs: stdout, stderr and logging captured per step into the store, shown live, and
read back with ``provisioner run logs`` (also ``--follow`` on a run in another process)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time

from provisioner.runtime import RunClient, Status, pipeline, step
from provisioner.runtime.records import log_key
from tests.runtime.cli_helpers import invoke
from tests.runtime.conftest import make_stack

BARRIER = threading.Barrier(2, timeout=10)


@step
def left() -> int:
    BARRIER.wait()  # both steps run at the same time: each log holds only its own lines
    print("left says hello")
    BARRIER.wait()
    return 1


@step
def right() -> int:
    BARRIER.wait()
    print("right on stderr", file=sys.stderr)
    logging.getLogger("right.model").info("trained %d trees", 3)
    BARRIER.wait()
    return 2


@step
def quiet(a: int, b: int) -> int:
    return a + b


@pipeline
def pair():
    quiet(left(), right())


def test_each_step_keeps_its_own_output(local_stack, capfd, tmp_path):
    BARRIER.reset()
    run = pair.run(local_stack)
    assert run.status is Status.COMPLETED

    store = RunClient(local_stack).store
    text = {n: store.get_bytes(r.log).decode() for n, r in run.steps.items() if r.log}
    assert set(text) == {"left", "right"}  # a step that writes nothing keeps no log
    assert text["left"] == "left says hello\n"
    assert "right on stderr\n" in text["right"]
    assert "INFO right.model: trained 3 trees" in text["right"]
    assert "left" not in text["right"] and "right" not in text["left"]
    assert run.steps["left"].log == log_key(run.run_id, "left", "step")
    # ... and it was shown live too.
    out, err = capfd.readouterr()
    assert "left says hello" in out and "right on stderr" in err
    assert sys.stdout.__class__.__name__ != "_Router"  # put back after the run

    config = tmp_path / "stack.yaml"
    local_stack.write(config)
    shown = invoke("run", "logs", run.run_id, "right", "--stack", str(config))
    assert shown.exit_code == 0 and "trained 3 trees" in shown.stdout
    data = json.loads(invoke("run", "logs", "latest", "--stack", str(config), "--json").stdout)
    assert data["left"] == {"step": "left says hello\n"}


FOLLOWED = """
import time
from provisioner.runtime import pipeline, step

@step
def ticker() -> int:
    for i in range(3):
        print(f"tick {i}", flush=True)
        time.sleep(0.7)
    return 3

@pipeline
def ticking():
    ticker()
"""


def test_follow_prints_a_running_step_as_it_writes(tmp_path):
    config = tmp_path / "stack.yaml"
    make_stack("local", root=tmp_path).write(config)
    script = tmp_path / "ticking.py"
    script.write_text(FOLLOWED)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "provisioner",
            "pipeline",
            "run",
            f"{script}:ticking",
            "--stack",
            str(config),
        ],
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "PROVISIONER_HOME": str(tmp_path / "home"),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        client = RunClient(str(config))
        deadline = time.monotonic() + 60
        while not client.list_runs():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        followed = invoke("run", "logs", "latest", "--follow", "--stack", str(config))
        assert proc.wait(60) == 0
    finally:
        proc.kill()
    assert followed.exit_code == 0, followed.stderr
    assert followed.stdout == "tick 0\ntick 1\ntick 2\n"
    assert "completed" in followed.stderr
