"""``provisioner pipeline run``: summary table, --json, parameters, failures, bad input."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provisioner.runtime import RunClient, Status
from provisioner.stackconfig import load_stack_config
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
    monkeypatch.delitem(sys.modules, "mypipes", raising=False)
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
    client = RunClient(str(config))
    cached = {
        json.loads(client.store.get_bytes(k))["step"] for k in client.store.list_keys("cache")
    }
    assert cached == {"first"}  # the interrupted step is never served from the cache


MODEL_PIPES = """
from provisioner.runtime import pipeline, step

class Model:
    def __init__(self, w):
        self.w = w

@step(pickle=True)
def make() -> Model:
    return Model(3)

@step
def use(m: Model) -> int:
    return m.w * FACTOR

@pipeline
def models():
    use(make())
"""


def _python(args: list[str], cwd, home) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env={**env, "PROVISIONER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_pickled_outputs_of_a_pipeline_file_load_in_later_processes(tmp_path):
    """Edit-and-rerun reuses a cached pickle of this home; load_output works where the
    pipeline's module is importable, and never imports the file a run record names."""
    config = tmp_path / "stack.yaml"
    make_stack("local", root=tmp_path).write(config)
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    script = project / "modelpipes.py"
    script.write_text(MODEL_PIPES.replace("FACTOR", "2"))
    run = ["-m", "provisioner", "pipeline", "run", "modelpipes.py:models", "--stack", str(config)]
    first = _python([*run, "--json"], project, tmp_path / "home")
    assert first.returncode == 0, first.stderr
    script.write_text(MODEL_PIPES.replace("FACTOR", "5"))  # edit `use` only, as users do
    second = _python([*run, "--json"], project, tmp_path / "home")
    assert second.returncode == 0, second.stderr
    record = json.loads(second.stdout)
    assert record["steps"]["make"]["status"] == "cached"  # unpickled by `use` in a new process
    assert record["steps"]["use"]["status"] == "completed"
    assert record["module"] == "modelpipes" and record["source_file"] == str(script)
    load = (
        "import sys\nfrom provisioner.runtime import load_output\n"
        "try:\n"
        f"    m = load_output({str(config)!r}, {record['run_id']!r}, 'make')\n"
        "    print(type(m).__module__, type(m).__qualname__, m.w)\n"
        f"    print(load_output({str(config)!r}, {record['run_id']!r}, 'use'))\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    loaded = _python(["-c", load], project, tmp_path / "home")  # where the module is
    assert loaded.stdout.split("\n")[:2] == ["modelpipes Model 3", "15"], loaded.stderr
    gone = _python(["-c", load], elsewhere, tmp_path / "home")  # not the project's folder
    assert gone.stdout.startswith("ArtifactImportError cannot load artifact"), gone.stderr
    assert "it is a pickled modelpipes.Model, and module 'modelpipes' cannot be imported" in (
        gone.stdout
    )
    assert f"imported its pipeline as module 'modelpipes' (from {script})" in gone.stdout
    assert "never imports code a run record names" in gone.stdout
    assert "Traceback" not in gone.stdout + gone.stderr
    other_home = _python(["-c", load], project, tmp_path / "other-home")
    assert other_home.stdout.startswith("PickleNotAllowedError"), other_home.stderr


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "import nonexistent_mod_qa\n",
            "ModuleNotFoundError: No module named 'nonexistent_mod_qa'",
        ),
        ("x = (\n", "SyntaxError at"),
        ("import sys\nsys.exit('bye')\n", "it called sys.exit('bye') while being imported"),
        ("raise SystemExit(3)\n", "it called sys.exit(3) while being imported"),
    ],
)
def test_a_pipeline_file_that_fails_to_import_exits_2(setup, tmp_path, source, message):
    bad = tmp_path / f"bad_{abs(hash(source)) % 10**8}.py"
    bad.write_text(source)
    result = invoke("pipeline", "run", f"{bad}:pipe", "--stack", str(setup))
    assert result.exit_code == 2
    assert f"could not import {bad.name}" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr and "bye\n" not in result.stdout + result.stderr


def test_ctrl_c_before_the_run_starts_gets_the_pipeline_message(tmp_path):
    config = tmp_path / "stack.yaml"
    make_stack("local", root=tmp_path).write(config)
    marker = tmp_path / "importing"
    script = tmp_path / "slowimport.py"
    script.write_text(
        "import time\nfrom pathlib import Path\n"
        f"Path({str(marker)!r}).write_text('x')\ntime.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "provisioner",
            "pipeline",
            "run",
            f"{script}:p",
            "--stack",
            str(config),
        ],
        env={**os.environ, "PROVISIONER_HOME": str(tmp_path / "home")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    wait_for(marker, proc)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "pipeline run cancelled (Ctrl-C) before the run started; nothing ran" in err
    assert "converge" not in err and "Traceback" not in err


def test_a_destroyed_stack_config_fails_and_never_recreates_the_store(tmp_path, monkeypatch):
    from provisioner.cli.app import app

    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pipes_destroyed.py").write_text(PIPELINES)
    assert runner.invoke(app, ["stack", "deploy", "local-recipe", "--yes"]).exit_code == 0
    config = tmp_path / "stack.yaml"
    assert runner.invoke(app, ["stack", "export", "local", "-o", str(config)]).exit_code == 0
    store = Path(load_stack_config(config).components["artifact_store"].config["uri"])
    assert store.is_dir()  # the deploy made it
    ran = invoke("pipeline", "run", "pipes_destroyed.py:good", "--stack", str(config))
    assert ran.exit_code == 0, ran.stderr
    assert runner.invoke(app, ["stack", "destroy", "local", "--yes"]).exit_code == 1  # data guard
    shutil.rmtree(store)  # the user empties it; destroy goes through now
    assert runner.invoke(app, ["stack", "destroy", "local", "--yes"]).exit_code == 0
    result = invoke("pipeline", "run", "pipes_destroyed.py:good", "--stack", str(config))
    assert result.exit_code == 1
    assert (
        f"artifact store {store}: does not exist; was the stack destroyed? deploy it again"
        in result.stderr
    )
    assert "provisioner stack deploy local-recipe" in result.stderr
    assert not store.exists()
    listed = invoke("run", "list", "--stack", str(config))  # not "no runs yet"
    assert listed.exit_code == 1 and "does not exist; was the stack destroyed?" in listed.stderr


def test_a_recipe_name_as_stack_names_the_stack_it_deploys(setup):
    result = invoke("pipeline", "run", "mypipes:good", "--stack", "local-recipe")
    assert result.exit_code == 2
    assert "the recipe local-recipe deploys the stack 'local'; use --stack local" in (result.stderr)
    listed = invoke("run", "list", "--stack", "local-recipe")
    assert listed.exit_code == 2 and "use --stack local" in listed.stderr


def test_help_says_a_stack_config_file_works():
    from provisioner.cli import pipeline

    assert "stack config file" in (pipeline.app.info.help or "")
    result = invoke("pipeline", "run", "--help")
    assert "stack config file" in result.stdout and "current directory" in result.stdout
