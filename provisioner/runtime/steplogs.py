"""Step logs: a step's stdout, stderr and logging, captured into the artifact store while it
runs (``runs/<run>/logs/<step>/step.log``) and still shown live where the run was started.

Steps of one run execute on several threads, so ``sys.stdout`` and ``sys.stderr`` are
replaced (while any step captures) by a router that sends each write to the log of the step
running on the writing thread, and on to the original stream. The log is uploaded every
``FLUSH_SECONDS`` while the step runs (``run logs --follow`` reads it from any machine) and
once more when it ends.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Iterator
from typing import IO, Any

from provisioner.runtime.records import log_key
from provisioner.runtime.stores.base import ArtifactStore

#: Seconds between uploads of a running step's log.
FLUSH_SECONDS = 1.0
#: The name of a step's own log under ``runs/<run>/logs/<step>/``.
STEP_LOG = "step"

_current = threading.local()
_install_lock = threading.Lock()
_installed = 0
_originals: dict[str, IO[str]] = {}
_handler: logging.Handler | None = None
_root_level: int | None = None


class StepLog:
    """The log of one step: text in memory, uploaded to ``key`` in ``store``."""

    def __init__(self, store: ArtifactStore, run_id: str, step: str) -> None:
        self.store = store
        self.key = log_key(run_id, step, STEP_LOG)
        self._parts: list[str] = []
        self._lock = threading.Lock()
        self._dirty = False
        self._stop = threading.Event()

    def write(self, text: str) -> None:
        with self._lock:
            self._parts.append(text)
            self._dirty = True

    def text(self) -> str:
        with self._lock:
            return "".join(self._parts)

    def flush(self) -> None:
        """Upload the log if it changed (a failing store never fails the step)."""
        with self._lock:
            if not self._dirty:
                return
            data = "".join(self._parts).encode()
            self._dirty = False
        with contextlib.suppress(Exception):
            self.store.put_bytes(self.key, data)

    def _flusher(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self.flush()

    @contextlib.contextmanager
    def capture(self) -> Iterator[StepLog]:
        """Route this thread's output and logging into the log for the ``with`` block."""
        _install()
        previous = getattr(_current, "log", None)
        _current.log = self
        flusher = threading.Thread(target=self._flusher, name="step-log-flush", daemon=True)
        flusher.start()
        try:
            yield self
        finally:
            _current.log = previous
            self._stop.set()
            flusher.join()
            self.flush()
            _uninstall()

    def saved_key(self) -> str | None:
        """The store key of the log, or None when the step wrote nothing."""
        return self.key if self._parts else None


class _Router:
    """Stands in for ``sys.stdout``/``sys.stderr``: the current step's log, then the stream."""

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def _stream(self) -> IO[str]:
        return _originals[self._name]

    def write(self, text: str) -> int:
        log = getattr(_current, "log", None)
        if log is not None and text:
            log.write(text)
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _LogHandler(logging.Handler):
    """Logging records of the current step's thread go to its log, and to the terminal
    when no other handler shows them."""

    show = True

    def emit(self, record: logging.LogRecord) -> None:
        log = getattr(_current, "log", None)
        if log is None:
            return
        try:
            line = self.format(record) + "\n"
        except Exception:
            return
        log.write(line)
        if self.show:
            with contextlib.suppress(Exception):
                _originals["stderr"].write(line)


def _install() -> None:
    global _installed, _handler, _root_level
    with _install_lock:
        _installed += 1
        if _installed > 1:
            return
        _originals["stdout"], _originals["stderr"] = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Router("stdout"), _Router("stderr")  # type: ignore[assignment]
        _handler = _LogHandler()
        _handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        _handler.show = not root.handlers  # else the configured handlers show them
        if root.level > logging.INFO:
            _root_level = root.level  # step logs keep INFO and above
            root.setLevel(logging.INFO)
        root.addHandler(_handler)


def _uninstall() -> None:
    global _installed, _handler, _root_level
    with _install_lock:
        _installed -= 1
        if _installed > 0:
            return
        if isinstance(sys.stdout, _Router):
            sys.stdout = _originals["stdout"]
        if isinstance(sys.stderr, _Router):
            sys.stderr = _originals["stderr"]
        root = logging.getLogger()
        if _handler is not None:
            root.removeHandler(_handler)
            _handler = None
        if _root_level is not None:
            root.setLevel(_root_level)
            _root_level = None
