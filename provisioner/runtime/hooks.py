"""Pipeline hooks: ``@pipeline(on_failure=..., on_success=...)``, run after the run is recorded.

A hook is a callable, given the run record if it takes an argument, or the string
``"alerter"``: post a summary through the stack's alerter. A hook never changes the run's
outcome: one that fails is logged and the run stays as it was.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from provisioner.runtime.errors import PipelineDefinitionError
from provisioner.runtime.records import RunRecord, Status

if TYPE_CHECKING:
    from provisioner.runtime.components import Components

log = logging.getLogger(__name__)

#: The hook that posts through the stack's alerter.
ALERTER = "alerter"

Hook = Callable[..., Any] | str


def check_hook(hook: Hook | None, where: str) -> Hook | None:
    """``hook`` if it is None, ``"alerter"`` or a callable taking at most one argument.

    Raises:
        PipelineDefinitionError: naming ``where`` (``on_failure`` of pipeline 'x').
    """
    if hook is None or hook == ALERTER:
        return hook
    if isinstance(hook, str) or not callable(hook):
        raise PipelineDefinitionError(f"{where} must be a callable or {ALERTER!r}, got {hook!r}")
    if len(_required(hook)) > 1:
        raise PipelineDefinitionError(
            f"{where}: {getattr(hook, '__name__', hook)!r} must take no argument or one "
            "(the run record)"
        )
    return hook


def _required(hook: Callable[..., Any]) -> list[inspect.Parameter]:
    try:
        params = inspect.signature(hook).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: call it with the run
        return []
    return [
        p
        for p in params
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]


def _takes_run(hook: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(hook).parameters.values())
    except (TypeError, ValueError):
        return True
    return any(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params
    )


def message(run: RunRecord) -> str:
    """The alerter's summary of a finished run: pipeline, run id, status, failed step, error."""
    took = f" in {run.duration:.1f} s" if run.duration is not None else ""
    if run.status is Status.COMPLETED:
        return f"Pipeline {run.pipeline} completed{took} (run {run.run_id}, stack {run.stack})."
    failed = next((r for r in run.steps.values() if r.status is Status.FAILED), None)
    lines = [
        f"Pipeline {run.pipeline} {run.status.value}{took} (run {run.run_id}, stack {run.stack})."
    ]
    if failed is not None:
        lines.append(f"Failed step: {failed.name}")
        if failed.error is not None:
            lines.append(f"Error: {failed.error.type}: {failed.error.message}"[:2000])
    elif run.error is not None:
        lines.append(f"Error: {run.error.type}: {run.error.message}"[:2000])
    return "\n".join(lines)


def run_hook(hook: Hook | None, run: RunRecord, components: Components, kind: str) -> None:
    """Call ``hook`` for the finished ``run``; log (never raise) what goes wrong."""
    if hook is None:
        return
    try:
        if hook == ALERTER:
            components.get("alerter").post(message(run))
        elif callable(hook):
            if _takes_run(hook):
                hook(run)
            else:
                hook()
    except Exception as exc:
        name = hook if isinstance(hook, str) else getattr(hook, "__qualname__", repr(hook))
        detail = getattr(exc, "message", None) or str(exc)
        log.warning(
            "the %s hook %s of run %s failed (the run stays %s): %s: %s",
            kind,
            name,
            run.run_id,
            run.status.value,
            type(exc).__name__,
            detail,
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
