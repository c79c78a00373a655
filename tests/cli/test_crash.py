"""SIGKILL a real deploy or destroy of the local registry stack part-way; the rerun converges."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

RECIPE = "local-registry-recipe"
SERVICE = "local-registry-container-registry-service"


def cli(home: Path, *args: str, failpoint: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PROVISIONER_HOME": str(home)}
    env.pop("PROVISIONER_FAILPOINT", None)
    if failpoint:
        env["PROVISIONER_FAILPOINT"] = failpoint
    return subprocess.run(
        [sys.executable, "-m", "provisioner", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def registry_pids(home: Path) -> list[int]:
    """docker-registry processes whose config lives under this home."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            cmd
            and cmd[0].endswith(b"docker-registry")
            and any(str(home).encode() in c for c in cmd)
        ):
            state = (proc / "stat").read_text().split()[2]
            if state != "Z":
                pids.append(int(proc.name))
    return pids


def resources(home: Path) -> list[dict]:
    checkpoint = home / "stacks" / "local-registry" / "checkpoint.json"
    if not checkpoint.exists():
        return []
    return json.loads(checkpoint.read_text())["resources"]


@pytest.fixture
def home(provisioner_home):
    yield provisioner_home
    for pid in registry_pids(provisioner_home):  # never leak a registry, even on failure
        os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_deploy_killed_after_the_registry_started_converges(home):
    killed = cli(home, "stack", "deploy", RECIPE, "--yes", failpoint=f"after-create:{SERVICE}")
    assert killed.returncode == -signal.SIGKILL
    assert len(registry_pids(home)) == 1, "the killed deploy did start the registry"
    assert SERVICE not in {r["name"] for r in resources(home)}, "but never recorded it"

    rerun = cli(home, "stack", "deploy", RECIPE, "--yes")
    assert rerun.returncode == 0, rerun.stderr
    pids = registry_pids(home)
    assert len(pids) == 1, f"no duplicate registry: {pids}"
    names = [r["name"] for r in resources(home)]
    assert len(names) == len(set(names)) and SERVICE in names
    (svc,) = [r for r in resources(home) if r["name"] == SERVICE]
    assert svc["outputs"]["pid"] == pids[0], "the state tracks the registry the killed run started"
    plan = json.loads(cli(home, "stack", "preview", RECIPE, "--json").stdout)
    assert not plan["changes"]

    assert cli(home, "stack", "destroy", "local-registry", "--yes").returncode == 0
    assert registry_pids(home) == [] and resources(home) == []


@pytest.mark.slow
def test_destroy_killed_part_way_converges(home):
    assert cli(home, "stack", "deploy", RECIPE, "--yes").returncode == 0
    assert len(registry_pids(home)) == 1
    killed = cli(
        home, "stack", "destroy", "local-registry", "--yes", failpoint=f"after-delete:{SERVICE}"
    )
    assert killed.returncode == -signal.SIGKILL
    rerun = cli(home, "stack", "destroy", "local-registry", "--yes")
    assert rerun.returncode == 0, rerun.stderr
    assert registry_pids(home) == [] and resources(home) == []
    assert not (home / "artifacts" / "local-registry").exists()
    again = cli(home, "stack", "destroy", "local-registry", "--yes")
    assert again.returncode == 0 and "nothing to destroy" in again.stdout


@pytest.mark.slow
def test_two_concurrent_deploys_one_fails_with_the_lock_holder(home):
    env = {**os.environ, "PROVISIONER_HOME": str(home)}
    cmd = [sys.executable, "-m", "provisioner", "stack", "deploy", RECIPE, "--yes"]
    procs = [
        subprocess.Popen(
            cmd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0
    if codes[1] != 0:
        (msg,) = [err for code, err in results if code != 0]
        assert "locked by pid" in msg and "Traceback" not in msg
    assert len(registry_pids(home)) == 1
    names = [r["name"] for r in resources(home)]
    assert len(names) == len(set(names)), "no duplicate resources"
    assert not json.loads(cli(home, "stack", "preview", RECIPE, "--json").stdout)["changes"]
    (record,) = json.loads(cli(home, "stack", "list", "--json").stdout)
    assert record["status"] == "deployed", "the refused deploy left the record as it was"
