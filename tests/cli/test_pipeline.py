"""``provisioner pipeline run``: summary table, --json, parameters, failures, bad input."""

from __future__ import annotations

import json
import signal

import pytest

from provisioner.runtime import RunClient, Status
from tests.runtime.cli_helpers import invoke, start_slow_run, wait_for
from tests.runtime.conftest import make_stack

PIPELINES = """
from provisioner.runtime import pipeline, step

@step
def source(n: int = 3) -> list:
    return list(range(n))

@step
def explode(xs: list) -> int:
    raise ValueError("exploded on purpose")

@pipeline
def good(n: int = 3):
    source(n=n)

@pipeline
def bad():
    explode(source())

not_a_pipeline = 1
"""


@pytest.fixture
def setup(tmp_path, monkeypatch):
    config = tmp_path / "stack.yaml"
    make_stack("local", root=tmp_path).write(config)
    (tmp_path / "mypipes.py").write_text(PIPELINES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return config


def test_run_prints_a_summary_table(setup):
    result = invoke("pipeline", "run", "mypipes:good", "--stack", str(setup), "-p", "n=5")
    assert result.exit_code == 0, result.stderr
    assert "source" in result.stdout and "completed" in result.stdout
    assert "cached" in result.stdout and "duration" in result.stdout
    again = invoke("pipeline", "run", "mypipes.py:good", "--stack", str(setup), "-p", "n=5")
    assert "1 cached" in again.stdout


def test_run_json_and_no_cache(setup):
    invoke("pipeline", "run", "mypipes:good", "--stack", str(setup))
    result = invoke(
        "pipeline", "run", "mypipes:good", "--stack", str(setup), "--no-cache", "--json"
    )
    data = json.loads(result.stdout)
    assert data["status"] == "completed" and data["cache"] is False
    assert data["steps"]["source"]["status"] == "completed"
    assert data["parameters"] == {"n": 3}


def test_failed_run_exits_1_with_the_step_and_cause(setup):
    result = invoke("pipeline", "run", "mypipes:bad", "--stack", str(setup))
    assert result.exit_code == 1
    assert "explode" in result.stdout and "failed" in result.stdout
    assert "exploded on purpose" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("mypipes:nope", "no attribute"),
        ("mypipes:not_a_pipeline", "not a @pipeline"),
        ("no_such_module:x", "no module"),
        ("missing.py:x", "no such file"),
        ("nocolon", "expected module:pipeline"),
    ],
)
def test_bad_targets_exit_2(setup, target, message):
    result = invoke("pipeline", "run", target, "--stack", str(setup))
    assert result.exit_code == 2 and message in result.stderr


def test_bad_stack_and_parameters_exit_2(setup, tmp_path):
    assert invoke("pipeline", "run", "mypipes:good", "--stack", "no-such-stack").exit_code == 2
    result = invoke("pipeline", "run", "mypipes:good", "--stack", str(setup), "-p", "oops")
    assert result.exit_code == 2 and "NAME=VALUE" in result.stderr
    result = invoke("pipeline", "run", "mypipes:good", "--stack", str(setup), "-p", "m=1")
    assert result.exit_code == 2
    assert "pipeline 'good' has no parameter 'm' (its parameters: n)" in result.stderr


def test_stack_without_artifact_store_is_refused(tmp_path, setup):
    stack = make_stack("local", root=tmp_path)
    comps = {k: v for k, v in stack.components.items() if k != "artifact_store"}
    bare = tmp_path / "bare.yaml"
    stack.model_copy(update={"components": comps}).write(bare)
    result = invoke("pipeline", "run", "mypipes:good", "--stack", str(bare))
    assert result.exit_code == 2 and "no artifact_store" in result.stderr


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_or_sigterm_records_a_cancelled_run_and_exits_at_once(tmp_path, sig, code):
    config = tmp_path / "stack.yaml"
    make_stack("local", root=tmp_path).write(config)
    proc, marker = start_slow_run(tmp_path, config, seconds=120)
    wait_for(marker, proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)  # never waits for the 120 s step
    assert proc.returncode == code, err
    assert "Traceback" not in err and "cancelled" in err
    assert "interrupted" in out and "cancelled" in out
    (run,) = RunClient(str(config)).list_runs()
    assert run.status is Status.CANCELLED
    assert run.error is not None and run.error.type == "Cancelled"
    assert run.error.message == (
        "SIGTERM" if sig == signal.SIGTERM else "Ctrl-C (KeyboardInterrupt)"
    )
    assert run.steps["first"].status is Status.COMPLETED
    assert run.steps["slow"].status is Status.INTERRUPTED
    assert run.steps["last"].status is Status.SKIPPED
