"""``provisioner run list|show``: tables, --json, unknown and unsafe run ids."""

from __future__ import annotations

import json
import os
import pickle
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from provisioner.runtime import pipeline, step
from provisioner.runtime.records import RunOwner, RunRecord, StepRecord, write_run
from provisioner.runtime.stores import open_store
from provisioner.stackconfig import load_stack_config
from tests.runtime.cli_helpers import invoke, start_slow_run, wait_for
from tests.runtime.conftest import make_stack


@step
def one() -> int:
    return 1


@step
def plus(x: int, k: int = 1) -> int:
    return x + k


@pipeline
def small():
    plus(one())


@pytest.fixture
def config(tmp_path):
    stack = make_stack("local", root=tmp_path)
    path = tmp_path / "stack.yaml"
    stack.write(path)
    small.run(stack, run_id="first-run")
    small.run(stack, run_id="second-run")
    return path


class Weights:
    """A class no serializer handles: stored with pickle."""

    def __init__(self, w: list[float]) -> None:
        self.w = w


@step(outputs=("small", "big", "array", "raw", "model"), pickle=True)
def everything():
    import numpy as np

    big = {"values": list(range(100))}
    return {"accuracy": 0.9}, big, np.arange(6).reshape(2, 3), b"\x00\x01binary", Weights([1.5])


@step
def folder(tmp: str) -> Path:
    root = Path(tmp) / "made"
    (root / "sub").mkdir(parents=True, exist_ok=True)
    (root / "a.txt").write_text("A")
    (root / "sub" / "b.txt").write_text("BB")
    return root


@pipeline
def kinds(tmp: str):
    everything()
    folder(tmp=tmp)


@pytest.fixture
def kinds_run(tmp_path):
    stack = make_stack("local", root=tmp_path)
    path = tmp_path / "stack.yaml"
    stack.write(path)
    kinds.run(stack, run_id="kinds-run", parameters={"tmp": str(tmp_path)})
    return path


def test_output_prints_json_values_and_summarises_others(kinds_run):
    def out(*args: str):
        return invoke("run", "output", "kinds-run", *args, "--stack", str(kinds_run))

    assert json.loads(out("everything", "small").stdout) == {"accuracy": 0.9}
    assert json.loads(out("everything", "big").stdout)["values"][99] == 99
    array = out("everything", "array")
    assert array.stdout.startswith("numpy.ndarray shape=(2, 3) dtype=int64\n[[0 1 2]\n [3 4 5]]")
    assert "stored with numpy" in array.stderr
    assert out("everything", "raw").stdout.startswith("8 bytes: b'\\x00\\x01binary'")
    model = out("everything", "model")
    assert model.stdout.strip() == "tests.cli.test_run.Weights(w=[1.5])"
    assert "stored with pickle" in model.stderr
    assert out("folder").stdout.startswith("folder ") and "(2 files)" in out("folder").stdout
    data = json.loads(out("everything", "small", "--json").stdout)
    assert data["value"] == {"accuracy": 0.9} and data["serializer"] == "json"
    assert data["type"] == "builtins.dict" and data["files"] == ["data.json"]
    described = json.loads(out("everything", "model", "--json").stdout)
    assert described["summary"] == "tests.cli.test_run.Weights(w=[1.5])"
    assert "value" not in described


def test_output_writes_the_stored_files(kinds_run, tmp_path):
    def out(*args: str):
        return invoke("run", "output", "kinds-run", *args, "--stack", str(kinds_run))

    raw = out("everything", "raw", "-o", str(tmp_path / "raw.bin"))
    assert raw.exit_code == 0 and "wrote" in raw.stderr
    assert (tmp_path / "raw.bin").read_bytes() == b"\x00\x01binary"
    assert out("everything", "raw", "-o", "-").stdout_bytes == b"\x00\x01binary"
    out("everything", "array", "-o", str(tmp_path / "a.npy"))
    import numpy as np

    assert np.load(tmp_path / "a.npy").tolist() == [[0, 1, 2], [3, 4, 5]]
    out("everything", "model", "-o", str(tmp_path / "m.pkl"))
    assert pickle.loads((tmp_path / "m.pkl").read_bytes()).w == [1.5]
    written = json.loads(out("folder", "-o", str(tmp_path / "copy"), "--json").stdout)
    assert len(written["written"]) == 2
    assert (tmp_path / "copy" / "sub" / "b.txt").read_text() == "BB"
    assert (tmp_path / "copy" / "a.txt").read_text() == "A"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["everything"], "has 5 outputs: small, big, array, raw, model; name one"),
        (["everything", "nope"], "has no output 'nope'"),
        (["nope"], "has no step 'nope' (steps: everything, folder)"),
        (["folder", "-o", "-"], "has 2 files; write them to a folder"),
    ],
)
def test_output_bad_names_exit_2(kinds_run, args, message):
    result = invoke("run", "output", "kinds-run", *args, "--stack", str(kinds_run))
    assert result.exit_code == 2 and message in result.stderr


def test_list_of_an_unknown_pipeline_says_so(config):
    result = invoke("run", "list", "--stack", str(config), "-p", "nonexist")
    assert result.exit_code == 0 and "no runs of pipeline 'nonexist'" in result.stderr


def test_list_table_and_json(config):
    result = invoke("run", "list", "--stack", str(config))
    assert result.exit_code == 0
    assert "first-run" in result.stdout and "second-run" in result.stdout
    data = json.loads(invoke("run", "list", "--stack", str(config), "--json").stdout)
    assert [r["run_id"] for r in data] == ["second-run", "first-run"]
    assert data[0]["steps"] == {"one": "cached", "plus": "cached"}
    limited = json.loads(invoke("run", "list", "--stack", str(config), "-n", "1", "--json").stdout)
    assert len(limited) == 1
    none = json.loads(
        invoke("run", "list", "--stack", str(config), "--pipeline", "other", "--json").stdout
    )
    assert none == []


def test_show_table_and_json(config):
    result = invoke("run", "show", "first-run", "--stack", str(config))
    assert result.exit_code == 0
    assert "plus" in result.stdout and "plus.output = 2  " in result.stdout  # small: inline
    assert "run output first-run STEP [OUTPUT]" in result.stderr
    data = json.loads(invoke("run", "show", "second-run", "--stack", str(config), "--json").stdout)
    assert data["steps"]["plus"]["status"] == "cached"
    assert data["steps"]["plus"]["inputs"]["x"] == data["steps"]["one"]["outputs"]["output"]


@pytest.mark.parametrize(("run_id", "message"), [("nope", "no run"), ("../etc", "invalid run id")])
def test_show_unknown_or_unsafe_run_exits_2(config, run_id, message):
    result = invoke("run", "show", run_id, "--stack", str(config))
    assert result.exit_code == 2 and message in result.stderr


def test_sigkilled_run_shows_abandoned_and_the_rerun_reuses_its_finished_step(tmp_path):
    config = tmp_path / "stack.yaml"
    make_stack("local", root=tmp_path).write(config)
    proc, marker = start_slow_run(tmp_path, config)  # default heartbeat interval: 15 s
    wait_for(marker, proc)
    live = json.loads(invoke("run", "list", "--stack", str(config), "--json").stdout)
    assert [r["status"] for r in live] == ["running"]
    assert live[0]["steps"] == {"first": "completed", "slow": "pending", "last": "pending"}
    assert live[0]["owner"]["pid"] == proc.pid
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL

    (listed,) = json.loads(invoke("run", "list", "--stack", str(config), "--json").stdout)
    assert listed["status"] == "abandoned"  # at once: the pid is gone, no heartbeat wait
    assert listed["steps"] == {"first": "completed", "slow": "interrupted", "last": "skipped"}
    assert f"pid {proc.pid}" in listed["error"]["message"]
    shown = invoke("run", "show", listed["run_id"], "--stack", str(config), "--json")
    data = json.loads(shown.stdout)
    assert data["status"] == "abandoned"
    assert data["steps"]["slow"]["status"] == "interrupted" and not data["steps"]["slow"]["outputs"]
    assert data["steps"]["first"]["outputs"]["output"]
    table = invoke("run", "show", listed["run_id"], "--stack", str(config))
    assert "abandoned" in table.stdout and "interrupted" in table.stdout
    stored = json.loads(
        open_store(load_stack_config(config)).get_bytes(f"runs/{listed['run_id']}/run.json")
    )
    assert stored["status"] == "running", "readers never rewrite the stored record"

    rerun, marker = start_slow_run(tmp_path, config, "--json", seconds=0)
    out, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, err
    again = json.loads(out)
    assert again["steps"]["first"]["status"] == "cached"
    assert again["steps"]["first"]["cached_from"] == listed["run_id"]
    assert again["steps"]["slow"]["status"] == "completed"


def _foreign_run(stack, run_id: str, beat_age: timedelta) -> None:
    """A running run record of a process on another machine, last seen ``beat_age`` ago."""
    now = datetime.now(UTC)
    write_run(
        open_store(stack),
        RunRecord(
            run_id=run_id,
            pipeline="small",
            stack=stack.name,
            started_at=now - timedelta(hours=2),
            steps={
                "one": StepRecord(name="one", status="completed"),
                "plus": StepRecord(name="plus", status="running", upstream=["one"]),
            },
            owner=RunOwner(host="elsewhere.example", pid=os.getpid()),
            heartbeat_at=now - beat_age,
            heartbeat_interval=15,
        ),
    )


def test_a_run_with_a_stale_heartbeat_on_another_host_shows_abandoned(tmp_path):
    stack = make_stack("local", root=tmp_path)
    config = tmp_path / "stack.yaml"
    stack.write(config)
    _foreign_run(stack, "stale-run", timedelta(minutes=5))
    _foreign_run(stack, "fresh-run", timedelta(seconds=5))
    listed = json.loads(invoke("run", "list", "--stack", str(config), "--json").stdout)
    status = {r["run_id"]: r["status"] for r in listed}
    assert status == {"stale-run": "abandoned", "fresh-run": "running"}
    data = json.loads(invoke("run", "show", "stale-run", "--stack", str(config), "--json").stdout)
    assert data["steps"]["plus"]["status"] == "interrupted"
    assert "no heartbeat from elsewhere.example" in data["error"]["message"]
    fresh = json.loads(invoke("run", "show", "fresh-run", "--stack", str(config), "--json").stdout)
    assert fresh["steps"]["plus"]["status"] == "running"
