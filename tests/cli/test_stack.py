"""One CliRunner test per ``provisioner stack`` command, and the full preview cycle."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from provisioner.cli.app import app
from provisioner.spec.loader import builtin_recipes

runner = CliRunner()


def run(*args: str, code: int = 0):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


def jrun(*args: str, code: int = 0):
    return json.loads(run(*args, "--json", code=code).stdout)


def copy_recipe(tmp_path: Path, **changes) -> Path:
    data = yaml.safe_load(builtin_recipes()["local-recipe"].read_text())
    for dotted, value in changes.items():
        node = data
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    path = tmp_path / "my-stack.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_preview_before_deploy_lists_every_resource_as_create():
    plan = jrun("stack", "preview", "local-recipe")
    assert plan["steps"] and all(s["op"] == "create" for s in plan["steps"])
    assert plan["summary"]["create"] == len(plan["steps"])
    text = run("stack", "preview", "local-recipe").stdout
    assert "+ local-artifact-store" in text and "to create" in text


def test_deploy_writes_the_stack_config_and_reports_where(provisioner_home):
    result = run("stack", "deploy", "local-recipe", "--yes")
    path = provisioner_home / "stacks" / "local" / "stack-config.yaml"
    assert str(path) in " ".join(result.stdout.split())
    config = yaml.safe_load(path.read_text())
    assert config["schema_version"] == 1 and config["name"] == "local"
    assert Path(config["components"]["artifact_store"]["config"]["uri"]).is_dir()
    assert config["components"]["orchestrator"]["config"]["max_workers"] == 4
    assert config["provenance"]["engine"] == "embedded"


def test_full_preview_cycle(tmp_path, provisioner_home):
    run("stack", "deploy", "local-recipe", "--yes")
    again = jrun("stack", "preview", "local-recipe")
    assert not again["changes"] and all(s["op"] == "same" for s in again["steps"])
    assert "No changes" in run("stack", "preview", "local-recipe").stdout

    changed = copy_recipe(tmp_path, **{"components.orchestrator.config.max_workers": 8})
    plan = jrun("stack", "preview", str(changed))
    changing = [s for s in plan["steps"] if s["op"] != "same"]
    assert [s["op"] for s in changing] == ["update"], changing
    assert [(d["path"], d["old"], d["new"]) for d in changing[0]["diffs"]] == [
        ("max_workers", 4, 8)
    ]
    text = " ".join(run("stack", "preview", str(changed)).stdout.split())
    assert "max_workers: 4 → 8" in text and "1 to update" in text

    moved = copy_recipe(
        tmp_path, **{"components.artifact_store.config.path": str(tmp_path / "elsewhere")}
    )
    plan = jrun("stack", "preview", str(moved))
    changing = [s for s in plan["steps"] if s["op"] != "same"]
    assert {s["op"] for s in changing} == {"replace"} and changing[0]["replace_reasons"] == ["path"]

    destroyed = jrun("stack", "destroy", "local", "--yes")
    assert destroyed["destroyed"]
    assert not (provisioner_home / "stacks" / "local" / "checkpoint.json").exists()
    assert not (provisioner_home / "stacks" / "local" / "stack-config.yaml").exists()
    second = run("stack", "destroy", "local", "--yes")
    assert "nothing to destroy" in second.stdout


def test_deploy_applies_an_update(tmp_path):
    run("stack", "deploy", "local-recipe", "--yes")
    changed = copy_recipe(tmp_path, **{"components.orchestrator.config.max_workers": 2})
    run("stack", "deploy", str(changed), "--yes")
    assert (
        jrun("stack", "describe", "local")["components"]["orchestrator"]["config"]["max_workers"]
        == 2
    )
    assert not jrun("stack", "preview", str(changed))["changes"]


def test_list_describe_outputs_export(tmp_path):
    assert jrun("stack", "list") == []
    run("stack", "deploy", "local-recipe", "--yes")
    (rec,) = jrun("stack", "list")
    assert rec["name"] == "local" and rec["status"] == "deployed" and rec["engine"] == "embedded"
    assert "local" in run("stack", "list").stdout
    described = run("stack", "describe", "local").stdout
    assert "artifact_store" in described and "embedded" in described
    outputs = jrun("stack", "outputs", "local")
    assert outputs["components"]["artifact_store"]["flavor"] == "local"
    out = tmp_path / "handoff.yaml"
    run("stack", "export", "local", "-o", str(out))
    assert yaml.safe_load(out.read_text())["name"] == "local"
    assert yaml.safe_load(run("stack", "export", "local-recipe").stdout)["name"] == "local"


def test_refresh_shows_drift(provisioner_home):
    run("stack", "deploy", "local-recipe", "--yes")
    assert jrun("stack", "refresh", "local")["drift"] == []
    workspace = provisioner_home / "workspaces" / "local"
    workspace.rmdir()
    result = jrun("stack", "refresh", "local")
    assert [d["name"] for d in result["drift"]] == ["local-orchestrator-workspace"]
    # a deploy converges back to the definition
    run("stack", "deploy", "local-recipe", "--yes")
    assert workspace.is_dir()


def test_validate_ok_and_warnings(tmp_path):
    data = jrun("stack", "validate", "local-recipe")
    assert data[0]["valid"] and data[0]["name"] == "local"
    partial = tmp_path / "partial.yaml"
    partial.write_text("name: part\ncloud: local\ncomponents:\n  orchestrator: {flavor: local}\n")
    result = run("stack", "validate", str(partial))
    assert "pipelines cannot run" in " ".join(result.stderr.split())


def test_unknown_stack_and_bad_engine_exit_2():
    result = run("stack", "describe", "nosuchstack", code=2)
    assert "no deployed stack named 'nosuchstack'" in result.stderr
    result = run("stack", "preview", "local-recipe", "--engine", "terraform", code=2)
    assert "unknown engine" in result.stderr
    result = run("stack", "preview", "Bad Name!", code=2)
    assert "Traceback" not in result.stderr


def test_deploy_without_a_tty_needs_no_answer_and_exits_0(provisioner_home):
    env = {**os.environ, "PROVISIONER_HOME": str(provisioner_home)}
    out = subprocess.run(
        [sys.executable, "-m", "provisioner", "stack", "deploy", "local-recipe"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "stack-config.yaml" in out.stdout


def test_global_home_option_moves_all_state(tmp_path, provisioner_home):
    other = tmp_path / "elsewhere-home"
    run("--home", str(other), "stack", "deploy", "local-recipe", "--yes")
    assert (other / "stacks" / "local" / "stack-config.yaml").is_file()
    assert not (provisioner_home / "stacks").exists()
    assert (
        json.loads(run("--home", str(other), "stack", "list", "--json").stdout)[0]["name"]
        == "local"
    )
    run("--home", str(other), "stack", "destroy", "local", "--yes")


def test_backend_flag_is_validated():
    result = run("stack", "preview", "local-recipe", "--backend", "ftp://state", code=2)
    assert "invalid state backend 'ftp://state'" in result.stderr
    plan = jrun("stack", "preview", "local-recipe", "--backend", "s3://team-state")
    assert plan["engine"] == "embedded", "a backend only matters to the pulumi engine"


def test_deploy_asks_on_a_terminal_and_no_means_nothing_changes(monkeypatch, provisioner_home):
    from provisioner.cli import console

    monkeypatch.setattr(console, "interactive", lambda: True)
    result = runner.invoke(app, ["stack", "deploy", "local-recipe"], input="n\n")
    assert result.exit_code == 1
    assert "to create" in result.stdout and "Cancelled" in result.stderr
    assert not (provisioner_home / "stacks" / "local" / "checkpoint.json").exists()
    result = runner.invoke(app, ["stack", "deploy", "local-recipe"], input="y\n")
    assert result.exit_code == 0, result.stderr
    assert (provisioner_home / "stacks" / "local" / "stack-config.yaml").is_file()


def test_commands_leave_no_noise_on_stderr(provisioner_home):
    """Nothing like "Exception ignored" from stray event loops at interpreter exit."""
    env = {**os.environ, "PROVISIONER_HOME": str(provisioner_home)}
    for args in (["stack", "preview", "local-recipe"], ["stack", "preview", "aws-recipe"]) * 2:
        out = subprocess.run(
            [sys.executable, "-m", "provisioner", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert out.returncode == 0
        assert "Exception ignored" not in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_relative_paths_are_relative_to_the_definition_file(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    folder.mkdir()
    definition = copy_recipe(folder, **{"components.artifact_store.config.path": "data/artifacts"})
    monkeypatch.chdir(tmp_path)
    run("stack", "deploy", str(definition), "--yes")
    store = json.loads(run("stack", "describe", "local", "--json").stdout)
    assert store["components"]["artifact_store"]["config"]["uri"] == str(
        folder / "data" / "artifacts"
    )
    monkeypatch.chdir(folder / "data")  # elsewhere: the plan must not change
    assert not jrun("stack", "preview", str(definition))["changes"]


def test_detailed_exitcode_for_ci(provisioner_home):
    run("stack", "preview", "local-recipe", "--detailed-exitcode", code=3)
    run("stack", "deploy", "local-recipe", "--yes")
    run("stack", "preview", "local-recipe", "--detailed-exitcode")
    run("stack", "refresh", "local", "--detailed-exitcode")
    (provisioner_home / "workspaces" / "local").rmdir()
    run("stack", "refresh", "local", "--detailed-exitcode", "--json", code=3)


def test_deploying_another_definition_under_the_same_name_warns(tmp_path):
    run("stack", "deploy", "local-recipe", "--yes")
    other = copy_recipe(tmp_path, **{"components.orchestrator.config.max_workers": 2})
    result = run("stack", "deploy", str(other), "--yes")
    text = " ".join(result.stderr.split())
    assert "was last deployed from local-recipe" in text and "my-stack.yaml" in text
