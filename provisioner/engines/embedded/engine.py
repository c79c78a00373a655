"""EmbeddedEngine: runs the inline Pulumi program in-process and drives dynamic providers.

Zero-install engine for stacks built from Pulumi dynamic resources, and an offline planner
for any recipe. The program runs through the Pulumi Python SDK against our own resource
monitor (``EngineMonitor``); the engine keeps a JSON checkpoint per stack at
``home.stack_dir(name)/checkpoint.json`` and follows Pulumi's step semantics (same, create,
update, replace, delete).

Provider contract, beyond ``pulumi.dynamic.ResourceProvider``:

* Providers receive plaintext props including ``__provider`` (as under Pulumi). ``diff``,
  ``update``, ``delete`` and ``read`` receive the recorded *outputs* as the old props.
* ``delete`` must be idempotent: deleting something already gone succeeds.
* Optional ``adopt(props) -> CreateResult | None``. A run killed after a provider's
  ``create`` but before the state was written leaves a pending create in the checkpoint.
  The next ``up``, ``destroy`` or ``refresh`` calls ``adopt`` with the inputs of that create
  (plus ``__provider``). It returns the ``CreateResult`` (id and outputs) of the resource the
  interrupted create made, which then enters the state, or None if nothing was made. Without
  ``adopt`` the engine can only warn that a resource may exist outside the state.
* A pending delete is finished by calling ``delete`` again; a pending update is reported and
  re-applied by the next ``up`` (the state still holds the old inputs).

Custom resources that need a provider plugin (``aws:...``, ``gcp:...``) are planned offline:
each becomes a create (or a diff of its inputs against the recorded state, which may be a
Pulumi checkpoint passed as ``baseline``) with outputs unknown, and data-source
calls get the placeholders of :mod:`provisioner.engines.embedded.invokes`. ``up`` refuses
such programs before changing anything.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner import home
from provisioner.engines.base import Engine
from provisioner.engines.embedded import checkpoint
from provisioner.engines.embedded.checkpoint import CHECKPOINT_FILE, Checkpoint
from provisioner.engines.embedded.deployment import CLI_HINT, Deployment
from provisioner.engines.embedded.executor import (
    StateStore,
    delete_order,
)
from provisioner.engines.embedded.lock import StackLock
from provisioner.engines.embedded.refresh import refresh_resource
from provisioner.engines.model import (
    EngineEvent,
    EventCallback,
    EventKind,
    Op,
    Plan,
    RefreshResult,
    Step,
    no_events,
)
from provisioner.errors import EngineUnavailableError, OperationError, ProvisionerError

if TYPE_CHECKING:
    from provisioner.spec.loader import LoadedStack

#: The Pulumi project name of every stack program.
PROJECT = "provisioner"

Program = Callable[[], Any]


class EmbeddedEngine(Engine):
    """The in-process engine.

    Args:
        lock_timeout: seconds ``up``, ``destroy`` and ``refresh`` wait for another process
            holding the stack's lock; 0 fails at once with ``LockedError``.
    """

    name = "embedded"

    def __init__(self, lock_timeout: float = 0.0) -> None:
        self.lock_timeout = lock_timeout

    # -- Engine interface -----------------------------------------------------------------

    def preview(
        self,
        stack: LoadedStack,
        on_event: EventCallback = no_events,
        baseline: Checkpoint | None = None,
    ) -> Plan:
        """Compute the steps an ``up`` would take; nothing is created or written.

        Args:
            stack: the loaded stack.
            on_event: progress callback.
            baseline: state to diff against instead of the stack's checkpoint, e.g. a Pulumi
                checkpoint read by :mod:`.pulumi_state`; it is only read.
        """
        from provisioner.program import build_program

        return self.preview_program(stack.name, build_program(stack), on_event, baseline)

    def up(self, stack: LoadedStack, on_event: EventCallback = no_events) -> Plan:
        from provisioner.program import build_program

        return self.up_program(stack.name, build_program(stack), on_event)

    def destroy(self, stack_name: str, on_event: EventCallback = no_events) -> Plan:
        plan = Plan(stack=stack_name, engine=self.name)
        path = self._checkpoint_path(stack_name)
        if not path.exists():
            return plan
        lock = StackLock(path.parent, "destroy", self.lock_timeout)
        lock.acquire()
        unlink = False
        try:
            store = StateStore(path, checkpoint.load(path, stack_name))
            deployment = Deployment(store, preview=False, on_event=on_event)
            deployment.reconcile_pending()
            cp = store.cp
            deployment.apply_deletes(delete_order(list(cp.resources), cp.resources))
            plan.steps = deployment.steps
            path.unlink(missing_ok=True)
            unlink = True
        finally:
            lock.release(unlink=unlink)
        if unlink:
            _remove_if_empty(path.parent)
        on_event(EngineEvent(EventKind.SUMMARY, message=_summary(plan)))
        return plan

    def refresh(self, stack_name: str, on_event: EventCallback = no_events) -> RefreshResult:
        result = RefreshResult(stack=stack_name, engine=self.name)
        path = self._checkpoint_path(stack_name)
        if not path.exists():
            return result
        with StackLock(path.parent, "refresh", self.lock_timeout):
            store = StateStore(path, checkpoint.load(path, stack_name))
            Deployment(store, preview=False, on_event=on_event).reconcile_pending()
            for res in list(store.cp.resources):
                if not res.custom or not res.provider:
                    continue
                result.checked += 1
                drift = refresh_resource(store, res)
                if drift is not None:
                    result.drift.append(drift)
                    what = "is gone" if drift.gone else f"drifted ({len(drift.diffs)} properties)"
                    on_event(
                        EngineEvent(
                            EventKind.DIAGNOSTIC, message=f"{res.name} {what}", severity="warning"
                        )
                    )
            store.save()
        return result

    def outputs(self, stack_name: str) -> dict[str, Any]:
        return checkpoint.load(self._checkpoint_path(stack_name), stack_name).outputs

    def has_state(self, stack_name: str) -> bool:
        path = self._checkpoint_path(stack_name)
        return path.exists() and not checkpoint.load(path, stack_name, decrypt=False).empty

    def state_location(self, stack_name: str) -> str:
        return self._checkpoint_path(stack_name).as_uri()

    def resources(self, stack_name: str) -> list[Step]:
        """The recorded resources, as the delete steps a destroy would take."""
        state = checkpoint.load(self._checkpoint_path(stack_name), stack_name, decrypt=False)
        return [
            Step(r.urn, r.type, r.name, Op.DELETE, custom=r.custom, parent=r.parent)
            for r in reversed(state.resources)
            if r.type != "pulumi:pulumi:Stack"
        ]

    # -- explicit programs ----------------------------------------------------------------

    def preview_program(
        self,
        stack_name: str,
        program: Program,
        on_event: EventCallback = no_events,
        baseline: Checkpoint | None = None,
    ) -> Plan:
        """Preview ``program`` as stack ``stack_name``; nothing is created or written.

        With ``baseline``, the plan diffs against that state instead of the stack's checkpoint.
        """
        path = self._checkpoint_path(stack_name)
        if baseline is not None:
            store: StateStore = _BaselineStore(path, baseline)
        else:
            store = StateStore(path, checkpoint.load(path, stack_name))
        deployment = Deployment(store, preview=True, on_event=on_event)
        self._run(deployment, stack_name, program, preview=True)
        deployment.plan_deletes()
        if store.cp.pending:
            names = ", ".join(p.resource.name for p in store.cp.pending)
            deployment.notes.append(f"interrupted operations on {names} are settled by the next up")
        plan = self._plan(stack_name, deployment)
        plan.offline = bool(deployment.plugin_types or deployment.invoked)
        if deployment.assumed_secrets:
            plan.notes.append(
                f"{deployment.assumed_secrets} secret values are encrypted in the recorded "
                "state; offline they cannot be compared, so the plan assumes them unchanged"
            )
        changing = sorted(  # unchanged resources keep the outputs recorded in the state
            t
            for t in deployment.plugin_types
            if any(s.type == t and s.op not in (Op.SAME, Op.DELETE) for s in plan.steps)
        )
        if changing:
            shown = ", ".join(changing[:5]) + (
                f" and {len(changing) - 5} more" if len(changing) > 5 else ""
            )
            plan.notes.append(
                f"offline plan: outputs of {_count(changing, 'resource type')} being created or "
                f"changed ({shown}) are known only after a deploy with the Pulumi engine"
            )
        on_event(EngineEvent(EventKind.SUMMARY, message=_summary(plan)))
        return plan

    def up_program(
        self, stack_name: str, program: Program, on_event: EventCallback = no_events
    ) -> Plan:
        """Deploy ``program`` as stack ``stack_name``; returns the steps and final outputs.

        Raises:
            EngineUnavailableError: the program needs provider plugins (nothing is changed).
            OperationError: a provider failed; the state records what succeeded.
            LockedError: another process holds the stack's lock.
        """
        path = self._checkpoint_path(stack_name)
        lock = StackLock(path.parent, "up", self.lock_timeout)
        lock.acquire()
        try:
            store = StateStore(path, checkpoint.load(path, stack_name))
            self._refuse_plugins(store, stack_name, program)
            deployment = Deployment(store, preview=False, on_event=on_event)
            deployment.reconcile_pending()
            self._run(deployment, stack_name, program, preview=False)
            deployment.apply_deletes()
            store.cp.outputs = deployment.outputs
            store.save()
        finally:
            # An up that recorded nothing leaves no stack folder behind.
            nothing = not path.exists()
            lock.release(unlink=nothing)
            if nothing:
                _remove_if_empty(path.parent)
        plan = self._plan(stack_name, deployment)
        on_event(EngineEvent(EventKind.SUMMARY, message=_summary(plan)))
        return plan

    # -- internals ------------------------------------------------------------------------

    def _checkpoint_path(self, stack_name: str) -> Path:
        return home.stack_dir(stack_name) / CHECKPOINT_FILE

    def _refuse_plugins(self, store: StateStore, stack_name: str, program: Program) -> None:
        """Preview first: refuse before creating anything if a plugin would be needed."""
        probe = Deployment(store, preview=True, on_event=no_events)
        self._run(probe, stack_name, program, preview=True)
        needs = list(dict.fromkeys(probe.plugin_types + probe.invoked))
        if needs:
            plugins = sorted({t.split(":")[0] for t in needs})
            shown = ", ".join(needs[:3]) + (f" and {len(needs) - 3} more" if len(needs) > 3 else "")
            raise EngineUnavailableError(
                f"the embedded engine cannot deploy {_count(needs, 'resource type')} of this "
                f"stack ({shown}): they need the {', '.join(plugins)} provider plugin, which "
                "only the Pulumi CLI runs",
                hint=CLI_HINT,
            )

    def _run(self, deployment: Deployment, stack_name: str, program: Program, *, preview: bool):
        from provisioner.engines.embedded.monitor import EngineMonitor
        from provisioner.engines.embedded.runner import run_program

        monitor = EngineMonitor(deployment, stack_name, PROJECT)
        try:
            run_program(
                program,
                monitor=monitor,
                project=PROJECT,
                stack=stack_name,
                preview=preview,
                on_event=deployment.emit_event,
            )
        except BaseException as exc:
            if deployment.failure is not None:
                raise deployment.failure from None
            if isinstance(exc, ProvisionerError):
                raise
            if not isinstance(exc, Exception):
                raise
            raise OperationError(f"the stack program failed: {exc}") from exc
        finally:
            monitor.close()
        if deployment.failure is not None:
            raise deployment.failure

    def _plan(self, stack_name: str, deployment: Deployment) -> Plan:
        return Plan(
            stack=stack_name,
            engine=self.name,
            steps=deployment.steps,
            outputs=deployment.outputs,
            notes=deployment.notes,
        )


class _BaselineStore(StateStore):
    """A baseline state that a preview reads and never writes."""

    def save(self) -> None:
        raise OperationError("internal error: a preview tried to write its baseline state")


def _count(items: list, word: str) -> str:
    return f"{len(items)} {word}" + ("" if len(items) == 1 else "s")


def _summary(plan: Plan) -> str:
    counts = plan.summary()
    return ", ".join(f"{n} {op}" for op, n in sorted(counts.items())) or "no resources"


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


__all__ = ["PROJECT", "EmbeddedEngine"]
