"""SIGKILL half-way through a checkpoint write: the state on disk stays whole, a rerun converges."""

from __future__ import annotations

import json
import signal

from provisioner.engines import failpoints
from provisioner.engines.embedded import EmbeddedEngine
from provisioner.engines.embedded.checkpoint import CHECKPOINT_FILE

KILLED = -signal.SIGKILL
MID_WRITE = f"{failpoints.CHECKPOINT_WRITE}:dev"


def test_a_deploy_killed_mid_write_keeps_the_previous_checkpoint(ws, provisioner_home):
    path = provisioner_home / "stacks" / "dev" / CHECKPOINT_FILE
    assert ws.run("up").returncode == 0
    before = path.read_bytes()
    json.loads(before)

    killed = ws.run("up", content="v2", failpoint=MID_WRITE)  # its first write: a pending update

    assert killed.returncode == KILLED, killed.stderr
    assert path.read_bytes() == before, "the checkpoint was changed by a write that never finished"
    assert EmbeddedEngine().outputs("dev")["b_content"] == "a has 2 bytes"
    rerun = ws.run("up", content="v2")
    assert rerun.returncode == 0, rerun.stderr
    assert ws.files() == {"a.txt": "v2", "b.txt": "a has 2 bytes"}
    assert json.loads(path.read_text())["pending"] == []


def test_a_first_deploy_killed_mid_write_leaves_no_partial_state(ws, provisioner_home):
    path = provisioner_home / "stacks" / "dev" / CHECKPOINT_FILE

    killed = ws.run("up", failpoint=MID_WRITE)

    assert killed.returncode == KILLED, killed.stderr
    assert not path.exists() or json.loads(path.read_text())
    rerun = ws.run("up")
    assert rerun.returncode == 0, rerun.stderr
    assert ws.files() == {"a.txt": "v1", "b.txt": "a has 2 bytes"}
    assert ws.run("destroy").returncode == 0
    assert ws.files() == {}


def test_a_destroy_killed_mid_write_converges(ws, provisioner_home):
    assert ws.run("up").returncode == 0

    killed = ws.run("destroy", failpoint=MID_WRITE)

    assert killed.returncode == KILLED, killed.stderr
    rerun = ws.run("destroy")
    assert rerun.returncode == 0, rerun.stderr
    assert ws.files() == {}
    assert not EmbeddedEngine().has_state("dev")
