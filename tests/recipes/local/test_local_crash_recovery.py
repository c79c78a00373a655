"""A deploy SIGKILLed right after the registry started: the next deploy adopts it, no leak."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from provisioner import home
from provisioner.engines import failpoints
from provisioner.engines.embedded import EmbeddedEngine
from provisioner.engines.model import Op
from provisioner.recipes.local.providers import process
from provisioner.recipes.local.providers.registry import auth_header
from provisioner.spec.loader import load_stack

SERVICE = "local-registry-container-registry-service"
UP = (
    "from provisioner.engines.embedded import EmbeddedEngine\n"
    "from provisioner.spec.loader import load_stack\n"
    "EmbeddedEngine().up(load_stack('local-registry-recipe'))\n"
)


def test_killed_after_registry_create_is_adopted(provisioner_home):
    env = {**os.environ, failpoints.ENV_VAR: f"after-create:{SERVICE}"}
    killed = subprocess.run([sys.executable, "-c", UP], env=env, timeout=60, capture_output=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()

    service_dir = home.services_dir() / "local-registry" / "local-registry-container-registry"
    try:
        checkpoint = json.loads((home.stack_dir("local-registry") / "checkpoint.json").read_text())
        pending = {p["resource"]["name"]: p["op"] for p in checkpoint["pending"]}
        # Other creates may be pending too: independent resources are created in parallel.
        assert pending[SERVICE] == "create"
        assert SERVICE not in {r["name"] for r in checkpoint["resources"]}
        orphan = json.loads((service_dir / "state.json").read_text())
        assert process.pid_alive(orphan["pid"]), "the registry outlives the killed deploy"

        engine = EmbeddedEngine()
        plan = engine.up(load_stack("local-registry-recipe"))
        step = next(s for s in plan.steps if s.name == SERVICE)
        assert step.op == Op.SAME  # adopted, not started a second time
        uri = plan.outputs["components"]["container_registry"]["connection"]["uri"]
        assert uri == f"127.0.0.1:{orphan['port']}"
        assert json.loads((service_dir / "state.json").read_text())["pid"] == orphan["pid"]
        creds = json.loads((service_dir / "credentials.json").read_text())
        auth = auth_header((creds["username"], creds["password"]))
        assert process.http_ok(orphan["port"], "/v2/", headers=auth)

        engine.destroy("local-registry")
        assert not process.pid_alive(orphan["pid"])
        assert not service_dir.exists()
    finally:  # never leak the orphan, even when an assertion fails
        state = json.loads((service_dir / "state.json").read_text()) if service_dir.exists() else {}
        process.stop_process(state.get("pid"), str(service_dir / "config.yml"))
