"""The local orchestrator: runs steps in a thread pool, each as soon as its inputs exist."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from provisioner.runtime.records import Status, StepRecord

if TYPE_CHECKING:
    from provisioner.runtime.pipeline import Invocation

Execute = Callable[["Invocation"], StepRecord]
Skip = Callable[["Invocation", str], None]


class LocalOrchestrator:
    """Runs independent steps concurrently on this machine, in threads.

    Threads, not processes: a step costs no process start or pickling of its inputs, any
    function (closures, lambdas, notebook code) can be a step, and numeric libraries
    (numpy, pandas, scikit-learn, torch) and store I/O release the GIL, so independent
    steps do overlap. A pure-Python CPU-bound step holds the GIL; give such work to a
    library or a subprocess inside the step.

    A worker that finishes a step goes straight on with one of the steps that became
    ready and hands the others to the pool, so a chain of steps never waits for a
    thread switch.

    The workers are daemon threads: on Ctrl-C the run stops claiming steps and returns
    at once (the runner records it cancelled), and the process can exit without waiting
    for a step that is still running.

    Args:
        config: the orchestrator's stack config (``max_workers``; ``workspace`` is used
            by the runner for local copies of artifacts).
    """

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        config = config or {}
        self.max_workers = max(1, int(config.get("max_workers", 4)))

    def run(self, invocations: Sequence[Invocation], execute: Execute, skip: Skip) -> None:
        """Run every invocation after its upstream ones.

        A failed step's dependents are skipped (``skip(inv, failed_upstream)``); steps that
        do not depend on it still run, so their outputs are kept for the next run.
        """
        pool = _DaemonPool(self.max_workers)
        try:
            _Schedule(invocations, execute, skip, pool).run()
        finally:
            pool.shutdown()


class _DaemonPool:
    """At most ``size`` daemon threads, started on demand, that run submitted calls."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.queue: queue.SimpleQueue[tuple[Callable[[Any], None], Any] | None] = (
            queue.SimpleQueue()
        )
        self.threads: list[threading.Thread] = []
        self.idle = 0
        self.lock = threading.Lock()

    def submit(self, fn: Callable[[Any], None], arg: Any) -> None:
        """Run ``fn(arg)`` on an idle worker, a new one, or the next one to be free."""
        with self.lock:
            if self.idle:
                self.idle -= 1
            elif len(self.threads) < self.size:
                thread = threading.Thread(
                    target=self._worker, name=f"step-{len(self.threads)}", daemon=True
                )
                self.threads.append(thread)
                thread.start()
        self.queue.put((fn, arg))

    def _worker(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            item[0](item[1])
            with self.lock:
                self.idle += 1

    def shutdown(self) -> None:
        """Let every worker end once its current call returns (no waiting here)."""
        for _ in self.threads:
            self.queue.put(None)


class _Schedule:
    """The state of one run's scheduling, shared by the workers under a lock."""

    def __init__(
        self,
        invocations: Sequence[Invocation],
        execute: Execute,
        skip: Skip,
        pool: _DaemonPool,
    ) -> None:
        self.waiting = {inv.name: inv for inv in invocations}
        self.status: dict[str, Status] = {}
        self.execute = execute
        self.skip = skip
        self.pool = pool
        self.lock = threading.Lock()
        self.active = 0
        self.finished = threading.Event()
        self.crash: BaseException | None = None
        self.stopping = False

    def run(self) -> None:
        try:
            with self.lock:
                ready = self._take_ready()
            for inv in ready:
                self.pool.submit(self._work, inv)
            self._check_finished()
            while not self.finished.wait(0.5):  # wake up now and then for Ctrl-C
                pass
        except BaseException:  # Ctrl-C: claim no more steps; running ones finish alone
            self.stopping = True
            raise
        if self.crash is not None:
            raise self.crash

    def _take_ready(self) -> list[Invocation]:
        """Under the lock: skip what cannot run, return (and claim) what can."""
        ready: list[Invocation] = []
        progress = True
        while progress:
            progress = False
            for name, inv in list(self.waiting.items()):
                bad = [u for u in inv.upstream if u in self.status and not self.status[u].done]
                if bad:
                    del self.waiting[name]
                    self.status[name] = Status.SKIPPED
                    self.skip(inv, bad[0])
                    progress = True
                elif all(u in self.status for u in inv.upstream):
                    del self.waiting[name]
                    ready.append(inv)
        self.active += len(ready)
        return ready

    def _check_finished(self) -> None:
        with self.lock:
            if self.active == 0 and (not self.waiting or self.crash is not None):
                self.finished.set()

    def _work(self, inv: Invocation | None) -> None:
        while inv is not None and self.crash is None and not self.stopping:
            try:
                rec = self.execute(inv)
            except BaseException as exc:  # a runtime bug, not a step error: stop the run
                with self.lock:
                    self.crash = exc
                    self.active -= 1
                self._check_finished()
                return
            with self.lock:
                self.status[inv.name] = rec.status
                self.active -= 1
                ready = self._take_ready()
            for other in ready[1:]:
                self.pool.submit(self._work, other)
            inv = ready[0] if ready else None
        if inv is not None:  # claimed but not run: the run is stopping
            with self.lock:
                self.active -= 1
        self._check_finished()
