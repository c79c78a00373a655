"""``provisioner stack check|use|current`` and ``stack export --format env``, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provisioner.cli.app import app
from tests.runtime.conftest import make_stack

runner = CliRunner()

PIPE = """
from provisioner.runtime import pipeline, step

@step
def one() -> int:
    return 1

@pipeline
def tiny():
    one()
"""


def run(*args: str, code: int = 0):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture
def config_file(tmp_path) -> Path:
    """A received stack config on a local artifact store."""
    path = tmp_path / "received.yaml"
    make_stack("local", root=tmp_path).write(path)
    return path


def test_check_passes_a_reachable_stack(config_file):
    data = json.loads(run("stack", "check", str(config_file), "--json").stdout)
    assert data["ok"] is True and data["stack"] == "test-local"
    status = {c["component"]: c["status"] for c in data["checks"]}
    assert status == {"orchestrator": "skip", "artifact_store": "pass"}
    text = run("stack", "check", str(config_file)).stdout
    assert "all checks passed" in text


def test_check_fails_with_cause_hint_and_exit_1(tmp_path):
    stack = make_stack("s3", root=tmp_path, endpoint="http://127.0.0.1:9")  # nothing listens
    path = tmp_path / "s3.yaml"
    stack.write(path)
    data = json.loads(run("stack", "check", str(path), "--json", code=1).stdout)
    [store] = [c for c in data["checks"] if c["component"] == "artifact_store"]
    assert data["ok"] is False and store["status"] == "fail"
    assert store["detail"].startswith("write failed") and store["hint"]
    text = " ".join(run("stack", "check", str(path), "--timeout", "15", code=1).stdout.split())
    assert "1 of 2 checks failed" in text and "hint:" in text


def test_check_of_a_missing_file_is_bad_input(tmp_path):
    result = run("stack", "check", str(tmp_path / "nope.yaml"), code=2)
    assert "no such stack config file" in result.stderr


def test_use_makes_stack_optional_for_runs(config_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tinypipes.py").write_text(PIPE)
    no_stack = run("run", "list", code=2)
    assert "no stack given and no active stack" in no_stack.stderr
    assert "provisioner stack use" in no_stack.stderr
    run("stack", "current", code=1)

    assert "Active stack: test-local" in run("stack", "use", str(config_file)).stdout
    current = json.loads(run("stack", "current", "--json").stdout)["active"]
    assert current == {"stack": "test-local", "ref": str(config_file.resolve()), "source": "home"}
    record = json.loads(run("pipeline", "run", "tinypipes.py:tiny", "--json").stdout)
    assert record["status"] == "completed"
    runs = json.loads(run("run", "list", "--json").stdout)
    assert [r["run_id"] for r in runs] == [record["run_id"]]


def test_env_var_wins_over_use(config_file, tmp_path, monkeypatch):
    other = tmp_path / "other"
    other.mkdir()
    make_stack("local", root=other).model_copy(update={"name": "other"}).write(other / "o.yaml")
    run("stack", "use", str(config_file))
    monkeypatch.setenv("PROVISIONER_STACK", str(other / "o.yaml"))
    current = json.loads(run("stack", "current", "--json").stdout)["active"]
    assert current["stack"] == "other" and current["source"] == "env"


def test_use_refuses_a_broken_config_and_keeps_the_active_one(config_file, tmp_path):
    run("stack", "use", str(config_file))
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    assert "schema_version" in run("stack", "use", str(bad), code=2).stderr
    assert "test-local" in run("stack", "current").stdout


def test_export_env_prints_references_never_secrets(tmp_path, monkeypatch):
    stack = make_stack("azure", root=tmp_path, endpoint=10000)
    path = tmp_path / "az.yaml"
    stack.write(path)
    monkeypatch.setenv("PROVISIONER_TEST_AZURE_CONNECTION_STRING", "AccountKey=TOPSECRET")
    text = run("stack", "export", str(path), "--format", "env").stdout
    assert "TOPSECRET" not in text
    assert f"export PROVISIONER_STACK={path.resolve()}" in text
    assert "# set $PROVISIONER_TEST_AZURE_CONNECTION_STRING yourself" in text
    data = json.loads(run("stack", "export", str(path), "--format", "env", "--json").stdout)
    assert data["variables"]["PROVISIONER_STACK"] == str(path.resolve())
    assert data["secrets_to_set"] == {
        "PROVISIONER_TEST_AZURE_CONNECTION_STRING": "azure_connection_string"
    }
    run("stack", "export", str(path), "--format", "toml", code=2)
