"""One lock per stack: concurrent deploys never interleave; dead holders leave no stale lock."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from provisioner.engines.embedded.lock import StackLock
from provisioner.errors import LockedError

pytestmark = pytest.mark.slow


def wait_for_holder(lock_file: Path, pid: int) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            holder = json.loads(lock_file.read_text() or "null")
        except (OSError, ValueError):
            holder = None
        if holder and holder["pid"] == pid:
            return holder
        time.sleep(0.02)
    raise AssertionError("the first deploy never took the lock")


def test_second_concurrent_deploy_fails_naming_the_holder(ws, provisioner_home, checkpoint_of):
    first = ws.popen("up", delay=1.5)
    holder = wait_for_holder(provisioner_home / "stacks" / "dev" / "lock", first.pid)
    assert holder["command"] == "up"

    second = ws.run("up")
    assert second.returncode == 3
    assert "LockedError" in second.stderr
    assert f"stack 'dev' is locked by pid {first.pid}" in second.stderr
    assert "running 'up'" in second.stderr

    _out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert ws.calls() == ["create a.txt", "create b.txt"]
    assert checkpoint_of()["pending"] == []
    assert len(checkpoint_of()["resources"]) == 4


def test_waiting_deploy_runs_after_the_holder(ws, provisioner_home):
    first = ws.popen("up", delay=1.0)
    wait_for_holder(provisioner_home / "stacks" / "dev" / "lock", first.pid)

    second = ws.run("up", lock_timeout=30)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == {"same": 4}
    first.communicate(timeout=60)
    assert ws.calls() == ["create a.txt", "create b.txt"]


def test_killed_holder_leaves_no_stale_lock(ws, provisioner_home, engine):
    first = ws.popen("up", delay=5)
    wait_for_holder(provisioner_home / "stacks" / "dev" / "lock", first.pid)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=30)

    second = ws.run("up")
    assert second.returncode == 0, second.stderr
    assert set(ws.files()) == {"a.txt", "b.txt"}


def test_in_process_lock_waits_then_fails(tmp_path):
    held = StackLock(tmp_path, "up")
    held.acquire()
    try:
        start = time.monotonic()
        with pytest.raises(LockedError, match=f"pid {os.getpid()}"):
            StackLock(tmp_path, "destroy", timeout=0.3).acquire()
        assert time.monotonic() - start >= 0.3
    finally:
        held.release()
    with StackLock(tmp_path, "destroy"):
        pass
