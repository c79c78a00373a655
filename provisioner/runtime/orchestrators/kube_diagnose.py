"""Reading a step's pods and events: why a Job cannot start, and how each attempt ended."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from provisioner.runtime.records import PodAttempt

#: Container waiting reasons a pod does not recover from by waiting.
FATAL_WAITING = {
    "ImagePullBackOff": "the image cannot be pulled",
    "ErrImageNeverPull": "the image is not on the node and imagePullPolicy is Never",
    "InvalidImageName": "the image reference is invalid",
    "CreateContainerConfigError": "the container's configuration is broken",
    "CreateContainerError": "the container cannot be created",
    "RunContainerError": "the container cannot be started",
}


def _waiting(pod: Any) -> Any:
    for status in (pod.status and pod.status.container_statuses) or []:
        if status.state and status.state.waiting and status.state.waiting.reason:
            return status.state.waiting
    return None


def stuck(pods: list[Any], events: list[Any], pending_timeout: float) -> str | None:
    """Why the Job can never run its step, or None while it may still.

    Args:
        pods: the Job's pods.
        events: the Job's events (``FailedCreate``: the API refused its pods).
        pending_timeout: seconds a pod may stay Pending (unscheduled, pulling).
    """
    for pod in pods:
        waiting = _waiting(pod)
        if waiting is not None and waiting.reason in FATAL_WAITING:
            return (
                f"pod {pod.metadata.name} cannot start: {FATAL_WAITING[waiting.reason]} "
                f"({waiting.reason}: {waiting.message or 'no message'})"
            )
    for pod in pods:
        if pod.status is None or pod.status.phase != "Pending":
            continue
        created = pod.metadata.creation_timestamp
        age = (datetime.now(UTC) - created).total_seconds() if created else 0.0
        if age > pending_timeout:
            why = next(
                (
                    f"{c.reason}: {c.message}"
                    for c in pod.status.conditions or []
                    if c.type == "PodScheduled" and c.status == "False"
                ),
                "still Pending",
            )
            return f"pod {pod.metadata.name} was Pending for over {pending_timeout:g} s ({why})"
    if not pods:
        for event in events:
            if event.reason == "FailedCreate":
                return f"the cluster refused to create the step's pod: {event.message}"
    return None


def attempt(pod: Any) -> PodAttempt:
    """How one pod ended (or where it stands)."""
    status = pod.status
    rec = PodAttempt(pod=pod.metadata.name, phase=(status and status.phase) or "")
    if status is None:
        return rec
    term = next(
        (
            s.state.terminated
            for s in status.container_statuses or []
            if s.state and s.state.terminated
        ),
        None,
    )
    waiting = _waiting(pod)
    if term is not None:
        rec.exit_code = term.exit_code
        rec.reason = term.reason or ""
        rec.message = (term.message or "").strip()
    elif waiting is not None:
        rec.reason, rec.message = waiting.reason, waiting.message or ""
    if status.reason:  # Evicted, NodeLost, DeadlineExceeded: the pod's reason wins
        rec.reason = status.reason
        rec.message = status.message or rec.message
    disrupted = [
        c for c in status.conditions or [] if c.type == "DisruptionTarget" and c.status == "True"
    ]
    if disrupted and not status.reason:
        rec.reason = disrupted[0].reason or "DisruptionTarget"
        rec.message = disrupted[0].message or rec.message
    return rec


def summary(attempts: list[PodAttempt]) -> str:
    """One line per failed attempt, for an error message."""
    lines = []
    for a in attempts:
        if a.phase == "Succeeded":
            continue
        code = f", exit code {a.exit_code}" if a.exit_code is not None else ""
        text = a.message.strip().splitlines()[-1][:300] if a.message.strip() else ""
        lines.append(f"{a.pod}: {a.reason or a.phase}{code}" + (f" ({text})" if text else ""))
    return "; ".join(lines)
