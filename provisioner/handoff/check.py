"""Check a stack config component by component, concurrently, each within a time bound."""

from __future__ import annotations

import importlib
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

from provisioner.catalog.types import ComponentType
from provisioner.errors import ProvisionerError

if TYPE_CHECKING:
    from provisioner.stackconfig import ComponentConnection, StackConfig

#: Seconds each component's check may take before it counts as failed.
DEFAULT_TIMEOUT = 20.0

#: The probe of each checked component type: "module:function", imported when used.
PROBES: dict[ComponentType, str] = {
    ComponentType.ARTIFACT_STORE: "provisioner.handoff.probes.artifact_store:probe",
    ComponentType.CONTAINER_REGISTRY: "provisioner.handoff.probes.container_registry:probe",
    ComponentType.ORCHESTRATOR: "provisioner.handoff.probes.kubernetes:probe",
    ComponentType.EXPERIMENT_TRACKER: "provisioner.handoff.probes.experiment_tracker:probe",
    ComponentType.ANNOTATOR: "provisioner.handoff.probes.annotator:probe",
}

Status = Literal["pass", "fail", "skip"]


class ProbeFailed(Exception):
    """A check found the component unusable; ``cause`` says why, ``hint`` how to fix it."""

    def __init__(self, cause: str, hint: str | None = None) -> None:
        super().__init__(cause)
        self.cause = cause
        self.hint = hint


class ProbeSkipped(Exception):
    """Nothing to check for this component (e.g. a local orchestrator); the reason is the text."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one component's check.

    Attributes:
        component: the component type.
        flavor: its flavor.
        status: ``pass``, ``fail`` or ``skip``.
        detail: what was verified (pass), the cause (fail) or why nothing was checked (skip).
        hint: how to fix a failure.
        seconds: how long the check took.
    """

    component: str
    flavor: str
    status: Status
    detail: str
    hint: str | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def run_probe(stack: StackConfig, type_: ComponentType, conn: ComponentConnection) -> CheckResult:
    """Run one component's probe and turn its outcome (or its error) into a result."""
    start = time.monotonic()
    status: Status = "pass"
    hint = None
    try:
        if type_ not in PROBES:
            raise ProbeSkipped(f"no check for {type_} components yet")
        module, _, func = PROBES[type_].partition(":")
        detail = getattr(importlib.import_module(module), func)(stack, conn)
    except ProbeSkipped as exc:
        status, detail = "skip", str(exc)
    except ProbeFailed as exc:
        status, detail, hint = "fail", exc.cause, exc.hint
    except ProvisionerError as exc:
        status, detail, hint = "fail", exc.message, exc.hint
    except Exception as exc:  # a check reports; it never crashes the command
        status, detail = "fail", f"{type(exc).__name__}: {exc}"
    return CheckResult(
        str(type_), conn.flavor, status, detail, hint, round(time.monotonic() - start, 3)
    )


def check_stack(stack: StackConfig, timeout: float = DEFAULT_TIMEOUT) -> list[CheckResult]:
    """Check every component of ``stack`` concurrently; each gets ``timeout`` seconds.

    A check that overruns is reported as failed; its thread is abandoned (the probes bound
    their own network calls, so it ends soon after).

    Returns:
        One result per component, in the stack config's order.
    """
    items = list(stack.components.items())
    pool = ThreadPoolExecutor(max_workers=max(1, len(items)), thread_name_prefix="check")
    try:
        futures = [pool.submit(run_probe, stack, t, c) for t, c in items]
        deadline = time.monotonic() + timeout
        results = []
        for (type_, conn), future in zip(items, futures, strict=True):
            try:
                results.append(future.result(timeout=max(0.0, deadline - time.monotonic())))
            except FutureTimeout:
                results.append(
                    CheckResult(
                        str(type_),
                        conn.flavor,
                        "fail",
                        f"no answer within {timeout:g} s",
                        "check that the endpoint is reachable from here (VPN, firewall, "
                        "proxy), or raise --timeout",
                        timeout,
                    )
                )
        return results
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
