"""The experiment tracker's interface: what a step logs, and how runs are recorded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from provisioner.catalog.types import ComponentType
from provisioner.runtime.components.base import StackComponent


class ExperimentTracker(StackComponent):
    """Records each pipeline run (one tracker run) and each step (a nested run).

    ``ctx.experiment_tracker.log_params(...)`` and ``log_metrics(...)`` inside a step log to
    that step's nested run. Parameters, step status and durations are logged by the run
    hooks, without any call from the step.
    """

    type: ClassVar[ComponentType] = ComponentType.EXPERIMENT_TRACKER
    observes_runs: ClassVar[bool] = True

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log parameters to the running step's run."""
        raise NotImplementedError

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Log metrics (at training ``step``, if given) to the running step's run."""
        raise NotImplementedError

    def run_url(self, run_id: str) -> str | None:
        """The tracker's web page of one of its runs, if it has one."""
        return None
