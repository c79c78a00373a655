"""Crash-test failpoints: ``PROVISIONER_FAILPOINT=after-create:<name>`` SIGKILLs the process there."""

from __future__ import annotations

import os
import signal

#: Environment variable naming the failpoints, comma-separated ``<point>:<resource name>``.
ENV_VAR = "PROVISIONER_FAILPOINT"

#: The points an engine passes through around every provider call.
POINTS = (
    "before-create",
    "after-create",
    "before-update",
    "after-update",
    "before-delete",
    "after-delete",
)
#: Half-way through writing a stack's checkpoint (``checkpoint-write:<stack name>``).
CHECKPOINT_WRITE = "checkpoint-write"


def hit(point: str, name: str) -> None:
    """Kill this process with SIGKILL if ``point:name`` is an armed failpoint.

    Costs one environment lookup when no failpoint is set.

    Args:
        point: one of :data:`POINTS`, or :data:`CHECKPOINT_WRITE`.
        name: the resource's logical name (the stack's name for :data:`CHECKPOINT_WRITE`).
    """
    spec = os.environ.get(ENV_VAR)
    if not spec:
        return
    wanted = f"{point}:{name}"
    if any(item.strip() == wanted for item in spec.split(",")):
        os.kill(os.getpid(), signal.SIGKILL)
