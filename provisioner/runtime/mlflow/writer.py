"""An ordered background writer: tracking writes leave the step's path, in the order made."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

#: Seconds between the writer's idle ticks (its ``on_idle`` callback, if any).
TICK_SECONDS = 1.0


class TrackingWriteError(RuntimeError):
    """A write the background writer sent failed; the writes queued after it were dropped."""


class OrderedWriter:
    """Runs queued writes one by one on a daemon thread, first in, first out.

    The first write that fails stops the writer: what was queued after it is dropped (a
    server that refused one call is likely down, and each further call would wait for its
    retries again) and :meth:`check` raises that failure, once, for the caller to report.

    Args:
        name: the thread's name.
        on_idle: called on the writer's thread when no write came for ``TICK_SECONDS``.
    """

    def __init__(self, name: str, on_idle: Callable[[], None] | None = None) -> None:
        self.name = name
        self._on_idle = on_idle
        self._queue: queue.SimpleQueue[tuple[str, Callable[[], Any]] | None] = queue.SimpleQueue()
        self._cond = threading.Condition()
        self._pending = 0
        self._error: TrackingWriteError | None = None
        self._reported = False
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, what: str, write: Callable[[], Any]) -> None:
        """Queue ``write`` (``what`` names it in an error); dropped once a write failed."""
        with self._cond:
            if self._error is not None or self._closed:
                return
            self._pending += 1
        self.start()
        self._queue.put((what, write))

    def start(self) -> None:
        """Start the thread (the first write does too); it ticks while idle from then on."""
        with self._cond:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()

    @property
    def pending(self) -> int:
        """Writes queued or running."""
        with self._cond:
            return self._pending

    def drain(self, timeout: float | None = None) -> int:
        """Wait until every queued write is done (or ``timeout`` passed); how many are left."""
        with self._cond:
            self._cond.wait_for(lambda: self._pending == 0, timeout)
            return self._pending

    def check(self) -> None:
        """Raise the first failed write, if it was not raised before.

        Raises:
            TrackingWriteError: a write failed.
        """
        with self._cond:
            if self._error is None or self._reported:
                return
            self._reported = True
            raise self._error

    def close(self) -> None:
        """Stop the thread after the writes queued so far (call :meth:`drain` first to wait)."""
        with self._cond:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)

    def _loop(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=TICK_SECONDS)
            except queue.Empty:
                if self._on_idle is not None and not self._failed():
                    self._run("an idle flush", self._on_idle)
                continue
            if item is None:
                return
            what, write = item
            try:
                if not self._failed():
                    self._run(what, write)
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

    def _failed(self) -> bool:
        with self._cond:
            return self._error is not None

    def _run(self, what: str, write: Callable[[], Any]) -> None:
        try:
            write()
        except Exception as exc:
            with self._cond:
                if self._error is None:
                    self._error = TrackingWriteError(f"{what} failed: {exc}")
                    self._error.__cause__ = exc
