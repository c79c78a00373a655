"""End to end: a Label Studio annotator deployed, used, refreshed, repaired and destroyed.

The admin's password and API token exist only in the encrypted state: the stack config names
the variable to put the token in, and ``stack outputs --show-secrets`` reveals it.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from provisioner import home
from provisioner.cli.app import app
from provisioner.engines.embedded import EmbeddedEngine
from provisioner.recipes.local.providers import process
from provisioner.runtime import connect
from tests.label_studio import use_venv_cache

# The first session on a machine builds the server environment and its seed (minutes).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SERVICE_TYPE = "pulumi-python:dynamic/provisioner:LocalLabelStudioService"
runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def cli_code(code: int, *args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_deploy_use_refresh_repair_destroy(tmp_path, provisioner_home, monkeypatch):
    use_venv_cache(monkeypatch)
    definition = tmp_path / "labels.yaml"
    definition.write_text(
        yaml.safe_dump(
            {
                "name": "labels",
                "cloud": "local",
                "components": {
                    "orchestrator": {"flavor": "local"},
                    "artifact_store": {"flavor": "local", "config": {"force_destroy": True}},
                    "annotator": {"flavor": "label_studio", "config": {"token_env": "LS_TOKEN"}},
                },
            }
        )
    )
    cli("stack", "deploy", str(definition), "--yes")

    config_path = home.stack_config_path("labels")
    config = yaml.safe_load(config_path.read_text())
    connection = config["components"]["annotator"]["config"]
    assert set(connection) == {"url", "token_env"} and connection["token_env"] == "LS_TOKEN"

    exported = cli("stack", "export", "labels", "--format", "env")
    assert "# set $LS_TOKEN yourself: the stack config reads the annotator's API token" in exported

    masked = json.loads(cli("stack", "outputs", "labels", "--json"))
    assert masked["secrets"] == "[secret]"
    token = cli(
        "stack", "outputs", "labels", "secrets.annotator.api_token", "--raw", "--show-secrets"
    ).strip()
    revealed = json.loads(cli("stack", "outputs", "labels", "--json", "--show-secrets"))
    secrets = revealed["secrets"]["annotator"]
    assert secrets["api_token"] == token and len(token) == 40
    assert secrets["username"] == "admin@provisioner.local" and secrets["url"] == connection["url"]
    # the token and password are in no file in plaintext but Label Studio's own database
    checkpoint = (home.stack_dir("labels") / "checkpoint.json").read_text()
    for text in (config_path.read_text(), checkpoint):
        assert token not in text and secrets["password"] not in text

    monkeypatch.delenv("LS_TOKEN", raising=False)
    checked = json.loads(cli_code(1, "stack", "check", "labels", "--json"))
    (annotator_check,) = [c for c in checked["checks"] if c["component"] == "annotator"]
    assert annotator_check["status"] == "fail" and "$LS_TOKEN" in annotator_check["detail"]
    monkeypatch.setenv("LS_TOKEN", token)
    checked = json.loads(cli("stack", "check", "labels", "--json"))
    (annotator_check,) = [c for c in checked["checks"] if c["component"] == "annotator"]
    assert annotator_check["status"] == "pass", annotator_check
    annotator = connect("labels").annotator
    project = annotator.create_project("deployed", "<View><Text name='t' value='$t'/></View>")
    assert annotator.import_tasks(project, [{"t": "hello"}]) == 1

    # The server dies: a refresh reports it.
    state = json.loads(checkpoint)
    (svc,) = [r for r in state["resources"] if r["type"] == SERVICE_TYPE]
    pid = int(svc["outputs"]["pid"])
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while process.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    (drift,) = EmbeddedEngine().refresh("labels").drift
    assert drift.type == SERVICE_TYPE
    assert {d.path: d.new for d in drift.diffs}["running"] is False

    # The next deploy starts it again: same port, same admin and token, same data.
    cli("stack", "deploy", str(definition), "--yes")
    assert (
        yaml.safe_load(config_path.read_text())["components"]["annotator"]
        == config["components"]["annotator"]
    )
    assert connect("labels").annotator.get_project("deployed") == project

    service_dir = Path(svc["outputs"]["service_dir"])
    assert service_dir.is_dir()
    cli("stack", "destroy", "labels", "--yes")
    assert not service_dir.exists()
