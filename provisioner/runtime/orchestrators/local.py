"""The local orchestrator: runs steps in a thread pool, each as soon as its inputs exist."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from provisioner.runtime.records import Status, StepRecord

if TYPE_CHECKING:
    from provisioner.runtime.pipeline import Invocation


class LocalOrchestrator:
    """Runs independent steps concurrently on this machine, in threads.

    Threads, not processes: a step costs no process start or pickling of its inputs, any
    function (closures, lambdas, notebook code) can be a step, and numeric libraries
    (numpy, pandas, scikit-learn, torch) and store I/O release the GIL, so independent
    steps do overlap. A pure-Python CPU-bound step holds the GIL; give such work to a
    library or a subprocess inside the step.

    Args:
        config: the orchestrator's stack config (``max_workers``; ``workspace`` is used
            by the runner for local copies of artifacts).
    """

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        config = config or {}
        self.max_workers = max(1, int(config.get("max_workers", 4)))

    def run(
        self,
        invocations: Sequence[Invocation],
        execute: Callable[[Invocation], StepRecord],
        skip: Callable[[Invocation, str], None],
    ) -> None:
        """Run every invocation after its upstream ones.

        A failed step's dependents are skipped (``skip(inv, failed_upstream)``); steps that
        do not depend on it still run, so their outputs are kept for the next run.
        """
        waiting = {inv.name: inv for inv in invocations}
        status: dict[str, Status] = {}
        running: dict[Future[StepRecord], Invocation] = {}
        with ThreadPoolExecutor(self.max_workers, thread_name_prefix="step") as pool:
            while waiting or running:
                for name, inv in list(waiting.items()):
                    bad = [u for u in inv.upstream if u in status and not status[u].done]
                    if bad:
                        del waiting[name]
                        skip(inv, bad[0])
                        status[name] = Status.SKIPPED
                    elif all(u in status for u in inv.upstream):
                        del waiting[name]
                        running[pool.submit(execute, inv)] = inv
                if not running:
                    continue
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    inv = running.pop(fut)
                    status[inv.name] = fut.result().status
