"""One run of a program against the state: decide each resource's step, and apply it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any

from provisioner.engines.embedded.checkpoint import ResourceState
from provisioner.engines.embedded.deletes import matches, predicted_refusal, used_by
from provisioner.engines.embedded.diff import covers, diff_properties
from provisioner.engines.embedded.executor import (
    StateStore,
    delete_order,
    provider_props,
)
from provisioner.engines.embedded.invokes import answer
from provisioner.engines.embedded.providers import load_provider, needs_plugin
from provisioner.engines.embedded.pulumi_state import (
    assume_unchanged,
    has_encrypted,
    without_encrypted,
)
from provisioner.engines.embedded.recovery import reconcile
from provisioner.engines.embedded.values import (
    PROVIDER_KEY,
    has_unknown,
    mark_secrets,
    secret_keys,
    with_pulumi_unknowns,
)
from provisioner.engines.model import (
    UNKNOWN,
    DiffKind,
    Drift,
    EngineEvent,
    EventCallback,
    EventKind,
    Op,
    PropertyDiff,
    Step,
)
from provisioner.errors import EngineUnavailableError, OperationError, ProvisionerError

STACK_TYPE = "pulumi:pulumi:Stack"

CLI_HINT = (
    "Deploy it with the Pulumi engine (engine: pulumi), which needs the Pulumi CLI and the "
    "provider plugins: https://www.pulumi.com/docs/install/"
)


@dataclass
class Registration:
    """What the program asked for in one RegisterResource call (model values)."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    dependencies: list[str]
    inputs: dict[str, Any]
    provider: str | None = None
    delete_before_replace: bool = False
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    import_id: str = ""

    def state(self) -> ResourceState:
        return ResourceState(
            urn=self.urn,
            type=self.type,
            name=self.name,
            custom=self.custom,
            parent=self.parent,
            dependencies=list(self.dependencies),
            inputs=self.inputs,
            provider=self.provider,
            protect=self.protect,
            retain_on_delete=self.retain_on_delete,
        )


def sturdy(on_event: EventCallback) -> EventCallback:
    """``on_event``, dropped after its first failure (its output pipe closed): progress is
    never worth stopping or hanging an operation for."""
    alive = [True]

    def deliver(event: EngineEvent) -> None:
        if not alive[0]:
            return
        try:
            on_event(event)
        except Exception:
            logging.getLogger(__name__).debug("progress callback failed", exc_info=True)
            alive[0] = False

    return deliver


def _untargeted(reg: Registration, old: ResourceState | None) -> tuple[str, dict[str, Any]]:
    """What the program sees of a resource outside ``--target``: its recorded state, or (not
    created) its inputs; no step is taken."""
    if not reg.custom:
        return "", {}
    if old is not None:
        return old.id, old.outputs
    return "", reg.inputs


def step_of(res: ResourceState | Registration, op: Op, **extra: Any) -> Step:
    return Step(
        urn=res.urn,
        type=res.type,
        name=res.name,
        op=op,
        custom=res.custom,
        parent=res.parent,
        inputs=dict(res.inputs),
        **extra,
    )


class Deployment:
    """Decides and (unless previewing) performs each step of one run.

    Args:
        store: the stack's state; a preview never changes it.
        preview: compute steps only; providers' check and diff run, nothing else.
        on_event: progress callback. One that raises (a closed pipe) is dropped, and the
            run goes on.
        forget: names or URNs of resources to drop from the state instead of deleting them.
        drift: what a refresh before this run found, by URN (shown on drift-fixing updates).
        only: with ``--target``, the URNs this run may touch; every other resource keeps its
            recorded state, and a new one is not created.
        replace: URNs whose replacement is forced (``--replace``).
    """

    def __init__(
        self,
        store: StateStore,
        *,
        preview: bool,
        on_event: EventCallback,
        forget: Collection[str] = (),
        drift: dict[str, Drift] | None = None,
        only: set[str] | None = None,
        replace: Collection[str] = (),
    ) -> None:
        self.store = store
        self.preview = preview
        self._on_event = sturdy(on_event)
        self._event_lock = threading.Lock()
        self.steps: list[Step] = []
        self.seen: set[str] = set()
        self.outputs: dict[str, Any] = {}
        self.notes: list[str] = []
        self.plugin_types: list[str] = []
        self.invoked: list[str] = []
        #: Encrypted secrets of a Pulumi baseline that the plan assumed unchanged.
        self.assumed_secrets = 0
        self.failure: ProvisionerError | None = None
        self.forget = set(forget)
        self.drift = drift or {}
        #: Deletes the provider will refuse (a preview's finding): (resource, reason).
        self.refusals: list[tuple[ResourceState, str]] = []
        self.only = only
        self.replace = set(replace)
        #: Every registration of the run, by URN (what ``--target`` closes over).
        self.registered: dict[str, Registration] = {}

    # -- events ---------------------------------------------------------------------------

    def emit(self, kind: EventKind, step: Step | None = None, message: str = "", **kw: Any) -> None:
        self.emit_event(EngineEvent(kind, step=step, message=message, **kw))

    def emit_event(self, event: EngineEvent) -> None:
        """Forward ``event`` to the callback (serialized: steps run on several threads)."""
        with self._event_lock:
            self._on_event(event)

    def warn(self, message: str) -> None:
        self.emit(EventKind.DIAGNOSTIC, message=message, severity="warning")

    def _fail(self, step: Step, exc: BaseException) -> ProvisionerError:
        if isinstance(exc, ProvisionerError):
            error = exc
        else:
            what = f"{step.op} of {step.name} ({step.type})"
            error = OperationError(f"{what} failed: {exc}")
        step.note = error.message
        self.emit(EventKind.STEP_FAILED, step, error.message, severity="error")
        with self.store.lock:
            if self.failure is None:
                self.failure = error
        return error

    # -- RegisterResource -----------------------------------------------------------------

    def register(self, reg: Registration) -> tuple[str, dict[str, Any]]:
        """Handle one registration; returns (id, outputs) for the SDK."""
        with self.store.lock:
            if reg.urn in self.seen:
                if reg.type == STACK_TYPE:  # the root stack may register more than once
                    return "", {}
                raise OperationError(f"duplicate resource URN {reg.urn}")
            self.seen.add(reg.urn)
            self.registered[reg.urn] = reg
            old = self.store.cp.live(reg.urn)
        if self.only is not None and reg.urn not in self.only and reg.type != STACK_TYPE:
            return _untargeted(reg, old)
        if old is not None and (has_encrypted(old.inputs) or has_encrypted(old.outputs)):
            old = self._readable(old, reg)
        if not reg.custom:
            return self._component(reg, old)
        if reg.import_id:
            raise OperationError(f"{reg.name}: importing resources needs the Pulumi engine")
        if needs_plugin(reg.type, reg.custom):
            return self._plugin_resource(reg, old)
        return self._dynamic(reg, old)

    def _readable(self, old: ResourceState, reg: Registration) -> ResourceState:
        """A copy of a baseline resource whose encrypted secrets (Pulumi state) compare as
        unchanged and read as unknown: offline they cannot be decrypted."""
        inputs, count = assume_unchanged(old.inputs, reg.inputs)
        outputs, _ = assume_unchanged(old.outputs, reg.inputs)
        with self.store.lock:
            self.assumed_secrets += count
        return replace(old, inputs=inputs, outputs=without_encrypted(outputs))

    def _record(self, step: Step) -> Step:
        with self.store.lock:
            self.steps.append(step)
        return step

    def _component(self, reg: Registration, old: ResourceState | None) -> tuple[str, dict]:
        """Components and the root stack: no provider; their inputs are diffed as in Pulumi."""
        if old is None:
            step = step_of(reg, Op.CREATE)
        else:
            diffs = diff_properties(old.inputs, reg.inputs)
            step = step_of(reg, Op.UPDATE if diffs else Op.SAME, diffs=diffs)
        self._record(step)
        if not self.preview and not has_unknown(reg.inputs):
            state = reg.state()
            state.outputs = old.outputs if old is not None else {}
            with self.store.lock:
                if state != old:
                    self.store.cp.put(state)
                    self.store.save()
        self.emit(EventKind.STEP_DONE, step)
        return "", {}

    def _plugin_resource(self, reg: Registration, old: ResourceState | None) -> tuple[str, dict]:
        if not self.preview:
            raise EngineUnavailableError(
                f"{reg.name} ({reg.type}) needs the '{reg.type.split(':')[0]}' provider plugin, "
                "which the embedded engine cannot run",
                hint=CLI_HINT,
            )
        with self.store.lock:
            if reg.type not in self.plugin_types:
                self.plugin_types.append(reg.type)
        if old is None:
            step = step_of(reg, Op.CREATE, note="outputs known after apply (offline plan)")
        else:
            diffs = diff_properties(old.inputs, reg.inputs, reg.replace_on_changes)
            forced = reg.urn in self.replace
            op = (
                Op.REPLACE
                if forced or any(d.replaces for d in diffs)
                else Op.UPDATE
                if diffs
                else Op.SAME
            )
            step = step_of(reg, op, diffs=diffs, replace_reasons=["--replace"] if forced else [])
        self._record(step)
        self.emit(EventKind.STEP_DONE, step)
        if old is not None and step.op == Op.SAME:
            return old.id, old.outputs
        if old is not None and step.op == Op.UPDATE:
            # An update keeps the ID; outputs it does not set keep their recorded values.
            return old.id, {**old.outputs, **planned_outputs(reg.inputs)}
        return "", planned_outputs(reg.inputs)

    def _check(self, provider: Any, reg: Registration, old: ResourceState | None) -> dict:
        """Run the provider's check; returns the checked inputs (secrets kept)."""
        if has_unknown(reg.inputs):
            return reg.inputs
        # A baseline read from Pulumi's state has no usable provider blob: no olds then.
        olds = provider_props(old.inputs, old.provider) if old is not None and old.provider else {}
        result = provider.check(olds, provider_props(reg.inputs, reg.provider))
        if result.failures:
            problems = "; ".join(f"{f.property}: {f.reason}" for f in result.failures)
            raise OperationError(f"invalid inputs for {reg.name} ({reg.type}): {problems}")
        checked = {k: v for k, v in (result.inputs or {}).items() if k != PROVIDER_KEY}
        return mark_secrets(checked, secret_keys(reg.inputs))

    def _decide(
        self, provider: Any, reg: Registration, old: ResourceState, news: dict[str, Any]
    ) -> tuple[Op, Step, bool]:
        changes: bool | None = None
        replaces: list[str] = []
        dbr = reg.delete_before_replace
        result = self._provider_diff(provider, old, news, reg.provider)
        if result is not None:
            changes = result.changes
            replaces = list(result.replaces or [])
            dbr = dbr or bool(result.delete_before_replace)
        diffs = diff_properties(old.inputs, news)
        replaces += [
            d.path.split(".")[0].split("[")[0]
            for d in diffs
            if covers(reg.replace_on_changes, d.path)
        ]
        if reg.urn in self.replace:
            replaces.append("--replace")
        replaces = list(dict.fromkeys(replaces))
        for d in diffs:
            d.replaces = covers(replaces, d.path)
        if changes is None:
            changes = bool(diffs)
        op = Op.REPLACE if replaces else Op.UPDATE if changes else Op.SAME
        if op == Op.UPDATE and not diffs:
            diffs = self._drift_diffs(old, news)
        step = step_of(reg, op, diffs=diffs if op != Op.SAME else [], replace_reasons=replaces)
        step.inputs = dict(news)
        return op, step, dbr

    def _drift_diffs(self, old: ResourceState, news: dict[str, Any]) -> list[PropertyDiff]:
        """What an update with unchanged inputs changes: recorded outputs that differ from
        the inputs, else the values that drifted (from what is real now to what the update
        makes, known after apply)."""
        shown = {
            k: old.outputs[k]
            for k, v in news.items()
            if k in old.outputs and v is not None and not k.startswith("__")
        }
        diffs = diff_properties(shown, {k: news[k] for k in shown})
        if diffs or old.urn not in self.drift:
            return diffs
        return [
            PropertyDiff(d.path, DiffKind.UPDATE, old=d.new, new=UNKNOWN)
            for d in self.drift[old.urn].diffs
        ]

    def _provider_diff(
        self, provider: Any, old: ResourceState, news: dict[str, Any], blob: str | None
    ) -> Any:
        """The provider's DiffResult; in a preview unknown inputs reach it as Pulumi unknowns.

        A provider that cannot diff unknowns (raises) is treated as "don't know" (None), and
        the engine's own comparison decides, as Pulumi does for DIFF_UNKNOWN.
        """
        olds = provider_props(old.outputs, old.provider)
        if not has_unknown(news):
            return provider.diff(old.id, olds, provider_props(news, blob))
        try:
            return provider.diff(old.id, olds, with_pulumi_unknowns(provider_props(news, blob)))
        except Exception:
            return None

    def _dynamic(self, reg: Registration, old: ResourceState | None) -> tuple[str, dict]:
        step = step_of(reg, Op.CREATE if old is None else Op.SAME)
        try:
            if not reg.provider:
                raise OperationError(f"{reg.name}: dynamic resource without a provider")
            provider = load_provider(reg.provider)
            if reg.ignore_changes and old is not None:
                for key in reg.ignore_changes:
                    if key in old.inputs:
                        reg.inputs[key] = old.inputs[key]
            news = self._check(provider, reg, old)
            dbr = False
            if old is not None:
                _, step, dbr = self._decide(provider, reg, old, news)
            step.inputs = dict(news)
        except BaseException as exc:
            self._record(step)
            raise self._fail(step, exc) from exc
        self._record(step)
        if self.preview:
            self.emit(EventKind.STEP_DONE, step)
            if step.op == Op.SAME and old is not None:
                return old.id, old.outputs
            return (old.id if step.op == Op.UPDATE and old else ""), news
        return self._apply(step, reg, old, news, dbr)

    def _apply(
        self,
        step: Step,
        reg: Registration,
        old: ResourceState | None,
        news: dict[str, Any],
        dbr: bool,
    ) -> tuple[str, dict]:
        state = replace(reg.state(), inputs=news)
        if step.op == Op.SAME:
            assert old is not None
            # As in Pulumi, a same step records the new inputs with the old outputs.
            kept = replace(state, id=old.id, outputs=old.outputs)
            with self.store.lock:
                if kept != old:
                    self.store.cp.put(kept)
                    self.store.save()
            self.emit(EventKind.STEP_DONE, step)
            return kept.id, kept.outputs
        if self.failure is not None:
            step.note = "skipped: an earlier step failed"
            raise OperationError(f"{reg.name}: skipped because an earlier step failed")
        self.emit(EventKind.STEP_START, step)
        try:
            if step.op == Op.CREATE:
                done = self.store.create(state)
            elif step.op == Op.UPDATE:
                assert old is not None
                done = self.store.update(old, state)
            else:
                assert old is not None
                if dbr:
                    kept = self._kept_because(old, self._live([old]))
                    if kept is None:
                        self.store.delete(old)
                    else:
                        self.warn(f"{old.name}: {kept}")
                        self._forget(old)
                    done = self.store.create(state)
                else:
                    done = self.store.create(state, replacing=True)
        except BaseException as exc:
            raise self._fail(step, exc) from exc
        self.emit(EventKind.STEP_DONE, step)
        return done.id, done.outputs

    def register_outputs(self, urn: str, outputs: dict[str, Any]) -> None:
        """A component's (or the root stack's) registered outputs."""
        if urn.split("::")[2] == STACK_TYPE:
            self.outputs.update(outputs)
            return
        if self.preview or has_unknown(outputs):
            return
        with self.store.lock:
            res = self.store.cp.live(urn)
            if res is not None and res.outputs != outputs:
                res.outputs = outputs
                self.store.save()

    # -- Invoke ---------------------------------------------------------------------------

    def invoke(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        """Answer a data-source call: placeholders in a preview, refused in an update."""
        with self.store.lock:
            self.invoked.append(token)
        if not self.preview:
            raise EngineUnavailableError(
                f"data source {token} needs the '{token.split(':')[0]}' provider plugin, "
                "which the embedded engine cannot run",
                hint=CLI_HINT,
            )
        result, placeholder = answer(token, args)
        note = (
            f"data source {token} answered offline with placeholder values {result}"
            if placeholder
            else f"data source {token} answered offline with no values (unknown)"
        )
        with self.store.lock:
            if note not in self.notes:
                self.notes.append(note)
        return result

    # -- deletes --------------------------------------------------------------------------

    def doomed(self) -> list[ResourceState]:
        """Recorded resources the program no longer declares, plus replaced ones."""
        cp = self.store.cp
        gone = [r for r in cp.resources if r.delete or r.urn not in self.seen]
        if self.only is not None:
            gone = [r for r in gone if r.urn in self.only]
        return delete_order(gone, cp.resources)

    def _live(self, doomed: list[ResourceState]) -> list[ResourceState]:
        ids = {id(r) for r in doomed}
        return [r for r in self.store.cp.resources if id(r) not in ids and not r.delete]

    def _kept_because(self, res: ResourceState, live: list[ResourceState]) -> str | None:
        """Why ``res`` leaves the state without a provider delete, or None."""
        if matches(res, self.forget):
            return "forgotten: left in place and removed from the state"
        user = used_by(res, live)
        if user is not None:
            return f"only removed from the state: the live {user.name} uses {res.id}"
        return None

    def plan_deletes(self) -> None:
        """Preview: add a delete step for every doomed resource, and note every delete (of
        a doomed or a replaced resource) that its provider will refuse."""
        doomed = self.doomed()
        live = self._live(doomed)
        for res in doomed:
            note = "replaced earlier; deletion still pending" if res.delete else None
            step = self._record(step_of(res, Op.DELETE, note=note))
            kept = self._kept_because(res, live)
            step.note = kept or self._refusal(res, step) or note
            self.emit(EventKind.STEP_DONE, step)
        for step in list(self.steps):
            old = self.store.cp.live(step.urn) if step.op == Op.REPLACE else None
            if old is not None and not self._kept_because(old, live):
                self._refusal(old, step)

    def _refusal(self, res: ResourceState, step: Step) -> str | None:
        reason = predicted_refusal(res)
        if reason is None:
            return None
        with self.store.lock:
            self.refusals.append((res, reason))
        step.note = f"the delete will be refused: {reason}"
        return step.note

    def apply_deletes(
        self, resources: list[ResourceState] | None = None, *, keep_going: bool = False
    ) -> list[tuple[ResourceState, ProvisionerError]]:
        """Delete ``resources`` (default: the doomed ones) in reverse dependency order.

        A resource that a live one still uses (the same ID, or a path inside its path) and
        one named in ``forget`` only leave the state. With ``keep_going`` a failed delete
        does not stop the others: what it depends on (its dependencies and its parent) is
        kept, and every failure is returned.

        Raises:
            OperationError: without ``keep_going``, a protected resource or a provider
                failure; deletion stops there.
        """
        doomed = self.doomed() if resources is None else resources
        live = self._live(doomed)
        replaced_now = {s.urn for s in self.steps if s.op == Op.REPLACE}
        failed: list[tuple[ResourceState, ProvisionerError]] = []
        keep: set[str] = set()
        for res in doomed:
            step = step_of(res, Op.DELETE, note="replaced" if res.delete else None)
            if not (res.delete and res.urn in replaced_now):
                self._record(step)
            if res.urn in keep and not res.delete:
                step.op, step.note = Op.SAME, "kept: a resource in it could not be deleted"
                keep.update(res.dependencies)
                keep.update([res.parent] if res.parent else [])
                continue
            try:
                self._delete(res, step, live)
            except Exception as exc:
                if not keep_going:
                    raise
                error = exc if isinstance(exc, ProvisionerError) else OperationError(str(exc))
                failed.append((res, error))
                keep.update(res.dependencies)
                keep.update([res.parent] if res.parent else [])
        return failed

    def _delete(self, res: ResourceState, step: Step, live: list[ResourceState] | None = None):
        """Delete one resource through its provider, or only forget it when it is kept."""
        kept = self._kept_because(res, self._live([res]) if live is None else live)
        if kept is not None:
            step.note = kept
            self.warn(f"{res.name}: {kept}")
            self._forget(res)
            self.emit(EventKind.STEP_DONE, step)
            return
        if res.protect:
            raise self._fail(step, OperationError(f"{res.name} is protected; not deleting it"))
        self.emit(EventKind.STEP_START, step)
        try:
            self.store.delete(res)
        except BaseException as exc:
            raise self._fail(step, exc) from exc
        self.emit(EventKind.STEP_DONE, step)

    def _forget(self, res: ResourceState) -> None:
        with self.store.lock:
            self.store.cp.remove(res)
            self.store.save()

    def reconcile_pending(self) -> None:
        """Settle operations a crashed run left pending (see :mod:`.recovery`)."""
        reconcile(self.store, self.warn)


def planned_outputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """The outputs a plugin resource's offline create shows: its inputs, in the shape the
    provider returns them where that differs (an Azure resource's user-assigned identities,
    sent as a list of ids, come back as a map of id -> details)."""
    identity = inputs.get("identity")
    ids = identity.get("userAssignedIdentities") if isinstance(identity, dict) else None
    if not isinstance(ids, list):
        return inputs
    as_map = {i: {} for i in ids if isinstance(i, str)}
    return {**inputs, "identity": {**identity, "userAssignedIdentities": as_map}}
