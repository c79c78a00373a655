"""The heartbeat: a background thread that keeps a running run's sign of life fresh."""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime

from provisioner.errors import UserInputError
from provisioner.runtime.liveness import DEFAULT_INTERVAL
from provisioner.runtime.records import RunRecord, Status, write_heartbeat
from provisioner.runtime.stores.base import ArtifactStore

#: Environment variable that sets the heartbeat interval in seconds.
INTERVAL_VAR = "PROVISIONER_HEARTBEAT_INTERVAL"

log = logging.getLogger(__name__)


def heartbeat_interval() -> float:
    """Seconds between heartbeats: ``$PROVISIONER_HEARTBEAT_INTERVAL`` or 15.

    Raises:
        UserInputError: the variable is not a positive number.
    """
    raw = os.environ.get(INTERVAL_VAR)
    if not raw:
        return DEFAULT_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise UserInputError(f"{INTERVAL_VAR}={raw!r}: expected a positive number of seconds")
    return value


class Heartbeat:
    """Refreshes ``runs/<id>/heartbeat.json`` every ``interval`` seconds while a run lives.

    The run record itself carries the first heartbeat (its start), so a run shorter than
    one interval costs no extra write. One daemon thread per process beats for every
    live run, so starting and stopping a heartbeat costs no thread start or join. A failed
    write is logged and retried on the next beat: the run never fails because of it.

    Args:
        store: the run's artifact store.
        run: the run record (read, never changed, by the thread).
        interval: seconds between beats.
    """

    def __init__(self, store: ArtifactStore, run: RunRecord, interval: float) -> None:
        self.store = store
        self.run = run
        self.interval = interval
        self.due = 0.0

    def start(self) -> None:
        """Start beating (the first beat is due one interval from now)."""
        _BEATER.add(self)

    def stop(self) -> None:
        """Stop beating; a beat already being written may still land (readers ignore it
        once the run record says the run ended)."""
        _BEATER.remove(self)

    def beat(self) -> None:
        """Write one heartbeat now, naming the steps running at this moment."""
        running = {
            rec.name: rec.started_at
            for rec in list(self.run.steps.values())
            if rec.status is Status.RUNNING and rec.started_at is not None
        }
        write_heartbeat(self.store, self.run.run_id, datetime.now(UTC), running)


class _Beater:
    """The process's heartbeat thread: beats every live run when its turn comes."""

    def __init__(self) -> None:
        self.beats: set[Heartbeat] = set()
        self.wake = threading.Condition()
        self.thread: threading.Thread | None = None

    def add(self, beat: Heartbeat) -> None:
        with self.wake:
            beat.due = time.monotonic() + beat.interval
            self.beats.add(beat)
            if self.thread is None or not self.thread.is_alive():  # new, or forked process
                self.thread = threading.Thread(
                    target=self._loop, name="provisioner-heartbeat", daemon=True
                )
                self.thread.start()
            self.wake.notify()

    def remove(self, beat: Heartbeat) -> None:
        with self.wake:
            self.beats.discard(beat)

    def _loop(self) -> None:
        while True:
            with self.wake:
                now = time.monotonic()
                due = [b for b in self.beats if b.due <= now]
                if not due:
                    nxt = min((b.due for b in self.beats), default=now + 3600)
                    self.wake.wait(nxt - now)
                    continue
                for b in due:
                    b.due = now + b.interval
            for b in due:
                try:
                    b.beat()
                except Exception as exc:  # the store hiccuped: try again on the next beat
                    log.warning("heartbeat of run %s failed: %s", b.run.run_id, exc)


_BEATER = _Beater()
