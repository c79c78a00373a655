"""A waiter that opened the lock file just before a destroy unlinked it must not hold a lock
on the dead file: it locks the current one, so no second deploy can run beside it."""

from __future__ import annotations

import fcntl
import os
from types import SimpleNamespace

import pytest

from provisioner.engines.embedded import lock as lock_module
from provisioner.engines.embedded.lock import StackLock
from provisioner.errors import LockedError


def _destroy_finishes_between_open_and_flock(monkeypatch, destroy: StackLock) -> list[int]:
    """The race, made deterministic: on the waiter's first ``flock`` (its file already open),
    the destroy holding the lock removes the lock file and releases, as ``destroy`` does."""
    calls: list[int] = []

    def flock(fd: int, operation: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            destroy.release(unlink=True)
        fcntl.flock(fd, operation)

    shim = SimpleNamespace(
        flock=flock, LOCK_EX=fcntl.LOCK_EX, LOCK_NB=fcntl.LOCK_NB, LOCK_UN=fcntl.LOCK_UN
    )
    monkeypatch.setattr(lock_module, "fcntl", shim)
    return calls


def test_a_waiter_never_holds_a_lock_file_a_destroy_removed(tmp_path, monkeypatch):
    destroy = StackLock(tmp_path, "destroy")
    destroy.acquire()
    calls = _destroy_finishes_between_open_and_flock(monkeypatch, destroy)
    deploy = StackLock(tmp_path, "up", timeout=5)

    deploy.acquire()
    try:
        assert len(calls) >= 2, "the race never happened"
        with pytest.raises(LockedError, match=f"pid {os.getpid()}.*running 'up'"):
            StackLock(tmp_path, "up").acquire()  # a second deploy is refused, naming the first
        assert (tmp_path / "lock").exists()
    finally:
        deploy.release()
    second = StackLock(tmp_path, "up")
    second.acquire()
    second.release()
