"""One exclusive lock per stack (``flock``), so two deploys of a stack never interleave."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from provisioner import home
from provisioner.errors import LockedError

LOCK_FILE = "lock"


def _describe(holder: dict | None) -> str:
    if not holder:
        return "another process"
    return (
        f"pid {holder.get('pid')} on {holder.get('host')} "
        f"running '{holder.get('command')}' since {holder.get('started')}"
    )


class StackLock:
    """Exclusive, process-wide lock on a stack's state.

    The kernel drops an ``flock`` when its holder dies, so a killed deploy never leaves a
    stale lock. The lock file also names the holder (pid, host, command, start time) so the
    next caller can say who holds it.

    Args:
        stack_dir: the stack's folder; the lock file is ``<stack_dir>/lock``.
        command: what the holder is doing, e.g. ``up``.
        timeout: seconds to wait for a busy lock; 0 fails at once.
    """

    def __init__(self, stack_dir: Path, command: str, timeout: float = 0.0) -> None:
        self.path = stack_dir / LOCK_FILE
        self.command = command
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout`` seconds.

        Raises:
            LockedError: another process still holds it; the message names the holder.
        """
        home.make_dirs(self.path.parent)
        deadline = time.monotonic() + self.timeout
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if time.monotonic() >= deadline:
                    raise LockedError(
                        f"stack '{self.path.parent.name}' is locked by {_describe(self.holder())}",
                        hint="Wait for it to finish. A lock held by a dead process is "
                        "released automatically.",
                    ) from None
                time.sleep(0.05)
                continue
            # A destroy may have unlinked the file we opened: lock the current one instead.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            self._fd = fd
            self._write_holder()
            return

    def _write_holder(self) -> None:
        assert self._fd is not None
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": self.command,
            "argv": " ".join(sys.argv[:4]),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, json.dumps(info).encode(), 0)

    def holder(self) -> dict | None:
        """Who holds the lock, as written by the holder (None if unreadable)."""
        try:
            return json.loads(self.path.read_text() or "null")
        except (OSError, ValueError):
            return None

    def release(self, unlink: bool = False) -> None:
        """Release the lock; ``unlink`` also removes the lock file (after a destroy)."""
        if self._fd is None:
            return
        try:
            if unlink:
                self.path.unlink(missing_ok=True)
            else:
                os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> StackLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
