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
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner import home
from provisioner.engines import history
from provisioner.engines.base import Engine
from provisioner.engines.embedded import checkpoint, surgery
from provisioner.engines.embedded.checkpoint import CHECKPOINT_FILE, Checkpoint, ResourceState
from provisioner.engines.embedded.deletes import predicted_refusal
from provisioner.engines.embedded.deployment import CLI_HINT, Deployment, sturdy
from provisioner.engines.embedded.executor import (
    StateStore,
    delete_order,
    provider_props,
    recorded_outputs,
)
from provisioner.engines.embedded.lock import StackLock
from provisioner.engines.embedded.providers import load_provider, needs_plugin
from provisioner.engines.embedded.refresh import refresh_all
from provisioner.engines.embedded.targets import (
    fingerprint,
    nodes_of,
    resolve,
    with_dependencies,
    with_dependents,
)
from provisioner.engines.embedded.values import secret_keys
from provisioner.engines.model import (
    EVERYTHING,
    EngineEvent,
    EventCallback,
    EventKind,
    Op,
    Plan,
    RefreshResult,
    StalePlanError,
    StateBackup,
    StateChange,
    StateResource,
    Step,
    Targeting,
    no_events,
)
from provisioner.errors import (
    EngineUnavailableError,
    NotFoundError,
    OperationError,
    ProvisionerError,
    UserInputError,
)

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
        *,
        refresh: bool = False,
        targeting: Targeting = EVERYTHING,
    ) -> Plan:
        """Compute the steps an ``up`` would take; nothing is created or written.

        Args:
            stack: the loaded stack.
            on_event: progress callback.
            baseline: state to diff against instead of the stack's checkpoint, e.g. a Pulumi
                checkpoint read by :mod:`.pulumi_state`; it is only read.
            refresh: read every resource back first (in memory) and plan against what is
                real; the plan's ``drift`` says what changed outside provisioner.
            targeting: ``--target`` and ``--replace``.
        """
        from provisioner.program import build_program

        return self.preview_program(
            stack.name,
            build_program(stack),
            on_event,
            baseline,
            refresh=refresh,
            targeting=targeting,
        )

    def up(self, stack: LoadedStack, on_event: EventCallback = no_events) -> Plan:
        plan = self.plan_and_apply(stack, on_event)
        assert plan is not None
        return plan

    def plan_and_apply(
        self,
        stack: LoadedStack,
        on_event: EventCallback = no_events,
        *,
        confirm: Callable[[Plan], bool] | None = None,
        refresh: bool = False,
        forget: Collection[str] = (),
        targeting: Targeting = EVERYTHING,
        expect: dict[str, Any] | None = None,
    ) -> Plan | None:
        """Plan and apply under one hold of the stack's lock, so the plan ``confirm`` saw is
        the plan applied (see :meth:`up_program`)."""
        from provisioner.program import build_program

        return self.up_program(
            stack.name,
            build_program(stack),
            on_event,
            confirm=confirm,
            refresh=refresh,
            forget=forget,
            targeting=targeting,
            expect=expect,
        )

    def destroy(
        self,
        stack_name: str,
        on_event: EventCallback = no_events,
        *,
        forget: Collection[str] = (),
        on_locked: Callable[[], None] | None = None,
        targets: Collection[str] = (),
    ) -> Plan:
        """Delete every resource it may, in reverse dependency order, then the state.

        A resource whose delete fails (a guarded store that holds data) stays in the state
        with what it depends on; every other one is deleted. A rerun deletes what is left.

        Args:
            stack_name: the stack.
            on_event: progress callback.
            forget: names or URNs to drop from the state without deleting them.
            on_locked: called once the stack's lock is held, before anything changes.
            targets: names or URNs: delete only these and what depends on them; the state
                keeps the rest.

        Raises:
            OperationError: some resources could not be deleted; the message says which
                and why, and the state keeps them.
        """
        on_event = sturdy(on_event)
        plan = Plan(stack=stack_name, engine=self.name)
        path = self._checkpoint_path(stack_name)
        if not path.exists():
            return plan
        lock = StackLock(path.parent, "destroy", self.lock_timeout)
        lock.acquire()
        unlink = False
        entry = history.start("destroy")
        try:
            store = StateStore(path, checkpoint.load(path, stack_name))
            _check_forget(forget, store.cp.resources)
            doomed_urns = None
            if targets:
                chosen = resolve(targets, nodes_of(store.cp.resources), "--target")
                doomed_urns = with_dependents(chosen, store.cp.resources)
            if on_locked is not None:
                on_locked()
            deployment = Deployment(store, preview=False, on_event=on_event, forget=forget)
            deployment.reconcile_pending()
            cp = store.cp
            doomed = [r for r in cp.resources if doomed_urns is None or r.urn in doomed_urns]
            failed = deployment.apply_deletes(delete_order(doomed, cp.resources), keep_going=True)
            plan.steps = deployment.steps
            if failed:
                error = _destroy_refused(stack_name, plan, failed)
                _log(path.parent, entry, plan.steps, error)
                raise error
            _log(path.parent, entry, plan.steps)
            if doomed_urns is None or cp.empty:
                path.unlink(missing_ok=True)
                unlink = True
        finally:
            lock.release(unlink=unlink)
        if unlink:
            _remove_if_empty(path.parent)
        on_event(EngineEvent(EventKind.SUMMARY, message=_summary(plan)))
        return plan

    def refresh(self, stack_name: str, on_event: EventCallback = no_events) -> RefreshResult:
        on_event = sturdy(on_event)
        result = RefreshResult(stack=stack_name, engine=self.name)
        path = self._checkpoint_path(stack_name)
        if not path.exists():
            return result
        with StackLock(path.parent, "refresh", self.lock_timeout):
            entry = history.start("refresh")
            store = StateStore(path, checkpoint.load(path, stack_name))
            Deployment(store, preview=False, on_event=on_event).reconcile_pending()
            try:
                result.checked, result.drift = refresh_all(store)
            except BaseException as exc:
                _log(path.parent, entry, [], exc)
                raise
            entry.message = f"{result.checked} checked, {len(result.drift)} drifted"
            _log(path.parent, entry, [])
            for drift in result.drift:
                what = "is gone" if drift.gone else f"drifted ({len(drift.diffs)} properties)"
                on_event(
                    EngineEvent(
                        EventKind.DIAGNOSTIC, message=f"{drift.name} {what}", severity="warning"
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
        """The recorded resources, as the delete steps a destroy would take; a delete the
        provider will refuse says so in its note."""
        state = checkpoint.load(self._checkpoint_path(stack_name), stack_name, decrypt=False)
        return [
            Step(
                r.urn, r.type, r.name, Op.DELETE, custom=r.custom, parent=r.parent, note=_refused(r)
            )
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
        *,
        refresh: bool = False,
        targeting: Targeting = EVERYTHING,
    ) -> Plan:
        """Preview ``program`` as stack ``stack_name``; nothing is created or written.

        With ``baseline``, the plan diffs against that state instead of the stack's checkpoint.
        With ``refresh``, every resource is read back first, in memory, and the plan is made
        against what is real (``Plan.drift`` lists what changed).
        """
        on_event = sturdy(on_event)
        path = self._checkpoint_path(stack_name)
        if baseline is not None:
            store: StateStore = _BaselineStore(path, baseline)
        else:
            store = StateStore(path, checkpoint.load(path, stack_name))
        state = fingerprint(store.cp) if baseline is None else ""
        drift = refresh_all(store)[1] if refresh and baseline is None else []
        only, replace = self._targeted(store, stack_name, program, targeting)
        deployment = Deployment(
            store,
            preview=True,
            on_event=on_event,
            drift={d.urn: d for d in drift},
            only=only,
            replace=replace,
        )
        self._run(deployment, stack_name, program, preview=True)
        deployment.plan_deletes()
        if deployment.refusals:
            deployment.notes.append(_refusal_note(deployment.refusals))
        if store.cp.pending:
            names = ", ".join(p.resource.name for p in store.cp.pending)
            deployment.notes.append(f"interrupted operations on {names} are settled by the next up")
        plan = self._plan(stack_name, deployment)
        plan.drift = drift
        plan.saved = {"state": state} if state else {}
        if only is not None:
            plan.notes.append(_targeted_note(only, deployment.registered))
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
        self,
        stack_name: str,
        program: Program,
        on_event: EventCallback = no_events,
        *,
        confirm: Callable[[Plan], bool] | None = None,
        refresh: bool = False,
        forget: Collection[str] = (),
        targeting: Targeting = EVERYTHING,
        expect: dict[str, Any] | None = None,
    ) -> Plan | None:
        """Deploy ``program`` as stack ``stack_name``; returns the steps and final outputs.

        The stack's lock is held from the plan to the end of the apply, so nothing can
        change the state between the plan ``confirm`` approves and the steps taken.

        Args:
            stack_name: the stack.
            program: the inline program.
            on_event: progress callback.
            confirm: called with the plan before anything changes; False cancels (None is
                returned and nothing is written).
            refresh: read every resource back first and plan against what is real.
            forget: names or URNs of resources this deploy would delete that only leave
                the state (left in place).
            targeting: ``--target`` (only those resources and what they need) and
                ``--replace``.
            expect: a saved plan's ``Plan.saved`` plus its ``steps`` (``[urn, op]`` of each
                change): the deploy goes ahead only if the state is the one the plan was
                made from and the plan made now takes exactly those steps.

        Raises:
            StalePlanError: ``expect`` no longer holds (nothing is changed).
            EngineUnavailableError: the program needs provider plugins (nothing is changed).
            OperationError: a provider failed (the state records what succeeded), or a
                delete the plan needs will be refused (nothing is changed).
            UserInputError: ``forget`` names a resource this deploy does not delete.
            LockedError: another process holds the stack's lock.
        """
        on_event = sturdy(on_event)
        path = self._checkpoint_path(stack_name)
        lock = StackLock(path.parent, "up", self.lock_timeout)
        lock.acquire()
        deployment = None
        entry = history.start("deploy")
        try:
            store = StateStore(path, checkpoint.load(path, stack_name))
            if expect is not None and fingerprint(store.cp) != expect.get("state"):
                raise StalePlanError(
                    f"the saved plan no longer applies: the state of stack {stack_name!r} "
                    "changed since the plan was made (another deploy, a refresh or a state "
                    "command ran); nothing was changed",
                    hint="Make a new plan with `provisioner stack preview --out`.",
                )
            drift = refresh_all(store)[1] if refresh else []
            only, replace = self._targeted(store, stack_name, program, targeting)
            plan = self._probe(store, stack_name, program, drift, forget, only, replace)
            if expect is not None:
                _check_steps(plan, expect.get("steps", []))
            if confirm is not None and not confirm(plan):
                return None
            deployment = Deployment(
                store,
                preview=False,
                on_event=on_event,
                forget=forget,
                drift={d.urn: d for d in drift},
                only=only,
                replace=replace,
            )
            deployment.reconcile_pending()
            self._run(deployment, stack_name, program, preview=False)
            deployment.apply_deletes()
            store.cp.outputs = deployment.outputs
            store.save()
        except BaseException as exc:
            if deployment is not None:  # approved: something may have changed
                _log(path.parent, entry, deployment.steps, exc)
            raise
        finally:
            # An up that recorded nothing leaves no stack folder behind.
            nothing = not path.exists()
            lock.release(unlink=nothing)
            if nothing:
                _remove_if_empty(path.parent)
        plan = self._plan(stack_name, deployment)
        plan.drift = drift
        _log(path.parent, entry, plan.steps)
        on_event(EngineEvent(EventKind.SUMMARY, message=_summary(plan)))
        return plan

    # -- state surgery --------------------------------------------------------------------

    def state_list(self, stack_name: str) -> list[StateResource]:
        """The recorded resources (read without the secrets' key: secrets stay sealed)."""
        path = self._checkpoint_path(stack_name)
        cp = checkpoint.load(path, stack_name, decrypt=False)
        return [
            StateResource(
                urn=r.urn,
                type=r.type,
                name=r.name,
                id=r.id,
                custom=r.custom,
                parent=r.parent,
                dependencies=list(r.dependencies),
                inputs=r.inputs,
                outputs=r.outputs,
            )
            for r in cp.resources
            if not r.delete
        ]

    def state_remove(self, stack_name: str, names: list[str]) -> StateChange:
        gone, saved = surgery.remove(
            self._require_state(stack_name), stack_name, names, self.lock_timeout
        )
        return StateChange(stack_name, str(saved), {r.urn: "" for r in gone})

    def state_move(
        self, stack_name: str, name: str, new_name: str | None, new_parent: str | None
    ) -> StateChange:
        moved, saved = surgery.move(
            self._require_state(stack_name),
            stack_name,
            name,
            new_name=new_name,
            new_parent=new_parent,
            timeout=self.lock_timeout,
        )
        return StateChange(stack_name, str(saved), moved)

    def state_backups(self, stack_name: str) -> list[StateBackup]:
        return [
            StateBackup(b.name, str(b.path), b.created, b.size)
            for b in surgery.backups(home.stack_dir(stack_name))
        ]

    def state_restore(self, stack_name: str, name: str | None) -> StateChange:
        restored, previous = surgery.restore(
            self._checkpoint_path(stack_name), stack_name, name, self.lock_timeout
        )
        return StateChange(stack_name, str(previous or ""), {str(restored): "restored"})

    def import_resource(
        self, stack: LoadedStack, type_: str, name: str, id_: str, parent: str | None = None
    ) -> StateResource:
        """Adopt an existing resource (see :meth:`import_program`); the program says where
        it belongs, so ``parent`` must be None."""
        from provisioner.program import build_program

        if parent:
            raise UserInputError("--parent is for the pulumi engine; the program places it here")
        return self.import_program(stack.name, build_program(stack), type_, name, id_)

    def import_program(
        self, stack_name: str, program: Program, type_: str, name: str, id_: str
    ) -> StateResource:
        """Adopt an existing resource: the program's resource ``name`` (of type ``type_``)
        enters the state as the one whose ID is ``id_``, read through its dynamic
        provider's ``read`` (which gets only the ID, as under ``pulumi import``). The next
        preview shows it as ``same``, or as the updates that make it match the definition.

        Raises:
            UserInputError: the program declares no such resource, the state already has
                it, or its provider cannot read (no ``read``, or a provider plugin).
            NotFoundError: the provider finds nothing with that ID.
        """
        path = self._checkpoint_path(stack_name)
        with StackLock(path.parent, "import", self.lock_timeout):
            entry = history.start("import")
            store = StateStore(path, checkpoint.load(path, stack_name))
            dry = Deployment(store, preview=True, on_event=no_events)
            self._run(dry, stack_name, program, preview=True)
            reg = _importable(dry.registered, type_, name)
            if store.cp.live(reg.urn) is not None:
                raise UserInputError(
                    f"{name} is already in the state of stack {stack_name!r}; "
                    "`provisioner state rm` it first to import another one"
                )
            provider = load_provider(reg.provider or "")
            read = provider.read(id_, provider_props({}, reg.provider))
            if read is None or not read.id:
                raise NotFoundError(
                    f"{reg.type} {name}: the provider found nothing with ID {id_!r}"
                )
            outputs = recorded_outputs(read.outs, secret_keys(reg.inputs))
            state = ResourceState(
                urn=reg.urn,
                type=reg.type,
                name=reg.name,
                id=str(read.id),
                parent=reg.parent,
                dependencies=list(reg.dependencies),
                inputs={k: outputs[k] for k in reg.inputs if outputs.get(k) is not None},
                outputs=outputs,
                provider=reg.provider,
            )
            store.cp.put(state)
            store.save()
            entry.message = f"imported {name} ({id_})"
            _log(path.parent, entry, [], changes={"import": 1})
        return self.state_resource(state)

    @staticmethod
    def state_resource(r: ResourceState) -> StateResource:
        return StateResource(
            urn=r.urn,
            type=r.type,
            name=r.name,
            id=r.id,
            custom=r.custom,
            parent=r.parent,
            dependencies=list(r.dependencies),
            inputs=r.inputs,
            outputs=r.outputs,
        )

    def _require_state(self, stack_name: str) -> Path:
        path = self._checkpoint_path(stack_name)
        if not path.exists():
            raise NotFoundError(f"stack {stack_name!r} has no state in this home")
        return path

    def history(self, stack_name: str) -> list[history.HistoryEntry]:
        """Every deploy, destroy and refresh of the stack, oldest first."""
        return history.read(home.stack_dir(stack_name))

    # -- internals ------------------------------------------------------------------------

    def _checkpoint_path(self, stack_name: str) -> Path:
        return home.stack_dir(stack_name) / CHECKPOINT_FILE

    def _probe(
        self,
        store: StateStore,
        stack_name: str,
        program: Program,
        drift: list,
        forget: Collection[str],
        only: set[str] | None = None,
        replace: Collection[str] = (),
    ) -> Plan:
        """The plan of an ``up``, made under its lock; refuses before anything changes when
        a plugin would be needed, a delete will be refused, or ``forget`` names nothing
        that is deleted."""
        probe = Deployment(
            store,
            preview=True,
            on_event=no_events,
            forget=forget,
            drift={d.urn: d for d in drift},
            only=only,
            replace=replace,
        )
        self._run(probe, stack_name, program, preview=True)
        self._refuse_plugins(probe)
        probe.plan_deletes()
        deleted = [s for s in probe.steps if s.op in (Op.DELETE, Op.REPLACE)]
        unknown = sorted(set(forget) - {s.name for s in deleted} - {s.urn for s in deleted})
        if unknown:
            doomed = ", ".join(sorted({s.name for s in deleted})) or "nothing"
            raise UserInputError(
                f"cannot forget {', '.join(unknown)}: this deploy deletes no resource of that "
                f"name (it deletes or replaces: {doomed})"
            )
        if probe.refusals:
            raise OperationError(
                f"nothing was changed: {_refusal_note(probe.refusals)}",
                hint="Move the data away, or set `force_destroy: true` and deploy once; or "
                "pass `--forget NAME` to leave a resource in place and only drop it from the "
                "state.",
            )
        plan = self._plan(stack_name, probe)
        plan.drift = drift
        if only is not None:
            plan.notes.append(_targeted_note(only, probe.registered))
        return plan

    def _targeted(
        self, store: StateStore, stack_name: str, program: Program, targeting: Targeting
    ) -> tuple[set[str] | None, set[str]]:
        """``--target`` and ``--replace`` as URNs: the URNs the run may touch (None: all)
        and those to replace. Names are looked up in a dry run of the program and in the
        state."""
        if not targeting:
            return None, set()
        dry = Deployment(store, preview=True, on_event=no_events)
        self._run(dry, stack_name, program, preview=True)
        nodes = {**nodes_of(store.cp.resources), **nodes_of(dry.registered.values())}
        replace = resolve(targeting.replace, nodes, "--replace")
        if not targeting.targets:
            return None, replace
        return with_dependencies(resolve(targeting.targets, nodes, "--target"), nodes), replace

    def _refuse_plugins(self, probe: Deployment) -> None:
        """Refuse before creating anything if a plugin would be needed."""
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


def _importable(registered: dict, type_: str, name: str):
    """The registration ``stack import TYPE NAME`` designates."""
    candidates = [r for r in registered.values() if r.custom]
    for reg in candidates:
        if reg.name == name and (
            reg.type == type_ or reg.type.endswith((":" + type_, "/" + type_))
        ):
            if needs_plugin(reg.type, reg.custom) or not reg.provider:
                raise UserInputError(
                    f"{name} ({reg.type}) needs a provider plugin; import it with the Pulumi "
                    "engine (engine: pulumi)"
                )
            from pulumi.dynamic import ResourceProvider

            if type(load_provider(reg.provider)).read is ResourceProvider.read:
                raise UserInputError(f"{name} ({reg.type}): its provider cannot read resources")
            return reg
    listed = ", ".join(
        f"{r.type.rsplit(':', 1)[-1]} {r.name}"
        for r in candidates
        if not needs_plugin(r.type, r.custom)
    )
    raise UserInputError(
        f"the stack's program declares no {type_} named {name!r} to import "
        f"(importable: {listed or 'none'})"
    )


def _targeted_note(only: set[str], registered: dict) -> str:
    chosen = len(only & registered.keys())
    return (
        f"resource targeting is in effect: this plan covers {chosen} of {len(registered)} "
        "resources "
        "(the targets, what they depend on and their parents); the rest may be out of date. "
        "Like Terraform's -target, it is for exceptions (recovering from a mistake, working "
        "around a limitation), not for routine changes: deploy without --target next."
    )


def _check_steps(plan: Plan, expected: list) -> None:
    """Refuse a saved plan whose changes differ from the plan made now."""
    now = sorted((s.urn, str(s.op)) for s in plan.steps if s.op not in (Op.SAME, Op.READ))
    then = sorted((str(urn), str(op)) for urn, op in expected)
    if now == then:
        return
    extra = [f"{op} {urn.split('::')[-1]}" for urn, op in now if (urn, op) not in then]
    gone = [f"{op} {urn.split('::')[-1]}" for urn, op in then if (urn, op) not in now]
    parts = ([f"now also {', '.join(extra)}"] if extra else []) + (
        [f"no longer {', '.join(gone)}"] if gone else []
    )
    raise StalePlanError(
        "the saved plan no longer applies: the changes a deploy would make differ from the "
        f"plan ({'; '.join(parts)}); nothing was changed",
        hint="Make a new plan with `provisioner stack preview --out`.",
    )


def _refusal_note(refusals: list) -> str:
    listed = "; ".join(f"{res.name}: {reason}" for res, reason in refusals)
    return f"{_count(refusals, 'delete')} will be refused by the provider ({listed})"


def _refused(res: ResourceState) -> str | None:
    """ "the delete will be refused: <why>" for a resource read without its secrets' key,
    or None (also when that cannot be told without them)."""
    if not isinstance(res.provider, str):
        return None  # sealed: the provider cannot be loaded without the key
    try:
        reason = predicted_refusal(res)
    except Exception:
        return None
    return f"the delete will be refused: {reason}" if reason else None


def _check_forget(forget: Collection[str], resources: list) -> None:
    known = {r.name for r in resources} | {r.urn for r in resources}
    unknown = sorted(set(forget) - known)
    if unknown:
        raise UserInputError(f"cannot forget {', '.join(unknown)}: the stack has no such resource")


def _destroy_refused(stack_name: str, plan: Plan, failed: list) -> OperationError:
    deleted = sum(1 for s in plan.steps if s.op == Op.DELETE and s.custom) - len(failed)
    listed = "\n".join(f"  {res.name}: {error.message}" for res, error in failed)
    hints = dict.fromkeys(error.hint for _, error in failed if error.hint)
    return OperationError(
        f"destroy of stack {stack_name!r} deleted {deleted} resource{'' if deleted == 1 else 's'}"
        " and left "
        f"{_count(failed, 'resource')} it may not delete:\n{listed}",
        hint=" ".join(
            [
                *hints,
                "The state keeps only what is left: fix the cause and rerun destroy, or pass "
                "`--forget NAME` to leave a resource in place and drop it from the state.",
            ]
        ),
    )


def _log(
    folder: Path,
    entry: history.HistoryEntry,
    steps: list[Step],
    error: BaseException | None = None,
    *,
    changes: dict[str, int] | None = None,
) -> None:
    """Finish ``entry`` with the steps taken (and the error) and append it to the history."""
    entry.ended = history.now()
    counted = Plan("", "", [s for s in steps if s.type != "pulumi:pulumi:Stack"])
    entry.changes = changes or {
        str(op): n for op, n in sorted(counted.summary().items()) if op != Op.READ
    }
    if error is not None:
        entry.result = "failed"
        entry.message = getattr(error, "message", None) or str(error) or type(error).__name__
    with contextlib.suppress(OSError):  # history is never worth failing an operation for
        history.append(folder, entry)


def _count(items: list, word: str) -> str:
    return f"{len(items)} {word}" + ("" if len(items) == 1 else "s")


def _summary(plan: Plan) -> str:
    counts = plan.summary()
    return ", ".join(f"{n} {op}" for op, n in sorted(counts.items())) or "no resources"


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


__all__ = ["PROJECT", "EmbeddedEngine"]
