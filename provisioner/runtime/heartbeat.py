"""The heartbeat: a background thread that keeps a running run's sign of life fresh."""

from __future__ import annotations

import logging
import os
import threading
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
    one interval costs no extra write. A failed write is logged and retried on the next
    beat: the run never fails because of its heartbeat.

    Args:
        store: the run's artifact store.
        run: the run record (read, never changed, by the thread).
        interval: seconds between beats.
    """

    def __init__(self, store: ArtifactStore, run: RunRecord, interval: float) -> None:
        self.store = store
        self.run = run
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"heartbeat-{run.run_id}", daemon=True
        )

    def start(self) -> None:
        """Start beating."""
        self._thread.start()

    def beat(self) -> None:
        """Write one heartbeat now, naming the steps running at this moment."""
        running = {
            rec.name: rec.started_at
            for rec in list(self.run.steps.values())
            if rec.status is Status.RUNNING and rec.started_at is not None
        }
        write_heartbeat(self.store, self.run.run_id, datetime.now(UTC), running)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception as exc:  # the store hiccuped: try again on the next beat
                log.warning("heartbeat of run %s failed: %s", self.run.run_id, exc)

    def stop(self) -> None:
        """Stop beating; waits briefly for a beat in flight."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
