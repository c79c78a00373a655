"""End to end: the shipped local-registry-recipe deployed and destroyed by the embedded engine."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from provisioner import home
from provisioner.engines.embedded import EmbeddedEngine
from provisioner.engines.model import Op
from provisioner.errors import OperationError
from provisioner.recipes.local.providers import process
from provisioner.recipes.local.providers.registry import auth_header
from provisioner.spec.loader import load_stack

SERVICE_TYPE = "pulumi-python:dynamic/provisioner:LocalRegistryService"


def registry_state(stack: str) -> dict:
    checkpoint = json.loads((home.stack_dir(stack) / "checkpoint.json").read_text())
    (svc,) = [r for r in checkpoint["resources"] if r["type"] == SERVICE_TYPE]
    return svc["outputs"]


def test_deploy_refresh_repair_destroy(provisioner_home):
    engine = EmbeddedEngine()
    stack = load_stack("local-registry-recipe")
    root = Path(provisioner_home)

    plan = engine.up(stack)
    comps = plan.outputs["components"]
    assert comps["artifact_store"]["connection"] == {"uri": str(root / "artifacts" / stack.name)}
    assert comps["orchestrator"]["connection"]["workspace"] == str(root / "workspaces" / stack.name)
    assert comps["orchestrator"]["connection"]["max_workers"] == 4
    tracking = comps["experiment_tracker"]["connection"]["tracking_uri"]
    assert tracking == (root / "mlruns" / stack.name).as_uri()
    for sub in ("artifacts", "workspaces", "mlruns"):
        assert (root / sub / stack.name).is_dir()
    uri = comps["container_registry"]["connection"]["uri"]
    creds = json.loads(
        Path(comps["container_registry"]["connection"]["credentials_file"]).read_text()
    )
    auth = auth_header((creds["username"], creds["password"]))
    host, port = uri.split(":")
    assert host == "127.0.0.1" and process.http_ok(int(port), "/v2/", headers=auth)
    assert not process.http_ok(int(port), "/v2/")  # no credentials, no access

    assert set(engine.up(stack).summary()) == {Op.SAME}
    assert engine.refresh(stack.name).drift == []

    # The registry dies: refresh reports it, the next up starts it again on the same port.
    pid = int(registry_state(stack.name)["pid"])
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while process.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    (drift,) = engine.refresh(stack.name).drift
    assert drift.type == SERVICE_TYPE and not drift.gone
    assert {d.path: d.new for d in drift.diffs}["running"] is False
    repaired = engine.up(stack)
    assert {s.name: s.op for s in repaired.steps if s.op != Op.SAME} == {
        f"{stack.name}-container-registry-service": Op.UPDATE
    }
    assert repaired.outputs["components"]["container_registry"]["connection"]["uri"] == uri
    assert process.http_ok(int(port), "/v2/", headers=auth)
    new_pid = int(registry_state(stack.name)["pid"])
    assert new_pid != pid

    # Artifacts guard the destroy until they are gone or force_destroy is set.
    artifact = root / "artifacts" / stack.name / "run-1.bin"
    artifact.write_bytes(b"\0")
    with pytest.raises(OperationError, match="force_destroy"):
        engine.destroy(stack.name)
    assert artifact.exists()
    artifact.unlink()

    engine.destroy(stack.name)
    assert not engine.has_state(stack.name)
    assert not process.http_ok(int(port), "/v2/", headers=auth)
    assert not process.pid_alive(new_pid)
    for sub in ("artifacts", "workspaces", "mlruns"):
        assert not (root / sub / stack.name).exists()
    assert not (root / "services" / stack.name).exists()
