"""Translate Automation API engine events into the engine-neutral Plan, Steps and EngineEvents."""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

from provisioner.engines.model import (
    DiffKind,
    Drift,
    EngineEvent,
    EventCallback,
    EventKind,
    Op,
    PropertyDiff,
    Step,
)
from provisioner.engines.pulumi.values import (
    MISSING,
    changed_paths,
    decode_map,
    lookup,
    parse_path,
    strip_defaults,
)

if TYPE_CHECKING:
    from pulumi.automation.events import EngineEvent as PulumiEvent
    from pulumi.automation.events import StepEventMetadata

STACK_TYPE = "pulumi:pulumi:Stack"

#: Pulumi step op -> engine-neutral op; the three parts of a replacement collapse to REPLACE.
OPS: dict[str, Op] = {
    "same": Op.SAME,
    "create": Op.CREATE,
    "update": Op.UPDATE,
    "delete": Op.DELETE,
    "replace": Op.REPLACE,
    "create-replacement": Op.REPLACE,
    "delete-replaced": Op.REPLACE,
    "read": Op.READ,
    "read-replacement": Op.READ,
    "refresh": Op.REFRESH,
    "import": Op.CREATE,
    "import-replacement": Op.REPLACE,
    "discard": Op.DELETE,
}

#: Pulumi diff kind -> (kind, forces a replacement).
DIFF_KINDS: dict[str, tuple[DiffKind, bool]] = {
    "add": (DiffKind.ADD, False),
    "add-replace": (DiffKind.ADD, True),
    "update": (DiffKind.UPDATE, False),
    "update-replace": (DiffKind.UPDATE, True),
    "delete": (DiffKind.DELETE, False),
    "delete-replace": (DiffKind.DELETE, True),
}

_MARKUP = re.compile(r"<\{%[^%]*%\}>|\x1b\[[0-9;]*[A-Za-z]")


def clean_message(text: str) -> str:
    """Strip Pulumi's colour markup and ANSI codes, and surrounding blank space."""
    return _MARKUP.sub("", text or "").strip()


def resource_name(urn: str) -> str:
    """The logical name at the end of a URN."""
    return urn.rsplit("::", 1)[-1]


def property_diffs(md: StepEventMetadata) -> list[PropertyDiff]:
    """Property-level changes of an update or replace, with old and new values."""
    old_inputs = decode_map(md.old.inputs) if md.old else {}
    old_outputs = decode_map(md.old.outputs) if md.old else {}
    new_inputs = decode_map(md.new.inputs) if md.new else {}
    keys = set(md.keys or [])
    out = []
    if md.detailed_diff:
        for path, diff in md.detailed_diff.items():
            kind, replaces = DIFF_KINDS.get(str(diff.diff_kind.value), (DiffKind.UPDATE, False))
            old = lookup(old_inputs, path)
            if not diff.input_diff and old is MISSING:
                old = lookup(old_outputs, path)
            new = lookup(new_inputs, path)
            parts = parse_path(path)
            top = str(parts[0]) if parts else path
            out.append(_diff(path, kind, old, new, replaces or top in keys or path in keys))
        return out
    for key in md.diffs or []:
        old, new = lookup(old_inputs, key), lookup(new_inputs, key)
        if old is MISSING and new is MISSING:
            continue  # not an input: e.g. ``provider``, when the provider was replaced
        if old is MISSING:
            kind = DiffKind.ADD
        elif new is MISSING:
            kind = DiffKind.DELETE
        else:
            kind = DiffKind.UPDATE
        out.append(_diff(key, kind, old, new, key in keys))
    return out


def _diff(path: str, kind: DiffKind, old: Any, new: Any, replaces: bool) -> PropertyDiff:
    return PropertyDiff(
        path,
        kind,
        None if old is MISSING else old,
        None if new is MISSING else new,
        replaces,
    )


def step_from_metadata(md: StepEventMetadata, op: Op) -> Step:
    """One Step from a step event's metadata."""
    state = md.new or md.old
    source = md.old if op is Op.DELETE and md.old else state
    step = Step(
        urn=md.urn,
        type=md.type or (state.type if state else ""),
        name=resource_name(md.urn),
        op=op,
        custom=bool(state.custom) if state else True,
        parent=(state.parent or None) if state else None,
        inputs=strip_defaults(decode_map(source.inputs)) if source else {},
    )
    if op in (Op.UPDATE, Op.REPLACE):
        step.diffs = property_diffs(md)
    if op is Op.REPLACE:
        step.replace_reasons = list(md.keys or [])
    if str(md.op.value).startswith("import"):
        step.note = "imported"
    return step


def _is_default_provider(md: StepEventMetadata) -> bool:
    return md.type.startswith("pulumi:providers:") and resource_name(md.urn).startswith("default")


class EventRecorder:
    """The ``on_event`` callback given to the Automation API.

    It builds the steps, stack outputs, failures and drift of one operation, and forwards
    each event to the caller as an engine-neutral EngineEvent. It never emits a property
    value in a message, and values marked secret stay ``Secret``.
    """

    def __init__(self, on_event: EventCallback, *, refresh: bool = False) -> None:
        self._on_event = on_event
        self._refresh = refresh
        self._lock = threading.Lock()
        self._steps: dict[str, Step] = {}
        self.stack_outputs: dict[str, Any] = {}
        self.summary: dict[str, int] | None = None
        self.failed: list[Step] = []
        self.errors: list[tuple[str | None, str]] = []
        self.drift: list[Drift] = []
        self.checked = 0
        #: Steps that changed something and finished (in the order they finished).
        self.completed: list[Step] = []
        self._old_inputs: set[str] = set()
        #: URNs read back by a refresh before an update, whose outcome is still to come.
        self._refreshing: set[str] = set()

    @property
    def steps(self) -> list[Step]:
        """Every step seen, in the order the engine first reported it."""
        return list(self._steps.values())

    def __call__(self, event: PulumiEvent) -> None:
        with self._lock:
            for emitted in self._translate(event):
                self._on_event(emitted)

    def _translate(self, event: PulumiEvent) -> list[EngineEvent]:
        if event.resource_pre_event is not None:
            md = event.resource_pre_event.metadata
            if not self._refresh and str(md.op.value) == "refresh":
                # ``preview/up --refresh`` reads the resource back before planning it: its
                # outcome is drift, not a step of the plan.
                self._refreshing.add(md.urn)
                return []
            step = self._record(md)
            return [self._step_event(EventKind.STEP_START, step)] if step else []
        if event.res_outputs_event is not None:
            md = event.res_outputs_event.metadata
            if md.urn in self._refreshing:
                self._refreshing.discard(md.urn)
                self._check_drift(md)
                return []
            step = self._record(md)
            if md.type == STACK_TYPE and md.new is not None:
                self.stack_outputs = decode_map(md.new.outputs)
            if self._refresh:
                self._check_drift(md)
            elif step is not None and step.op is not Op.SAME and step not in self.completed:
                self.completed.append(step)
            return [self._step_event(EventKind.STEP_DONE, step)] if step else []
        if event.res_op_failed_event is not None:
            return self._failed(event.res_op_failed_event.metadata)
        if event.diagnostic_event is not None:
            return self._diagnostic(event.diagnostic_event)
        if event.summary_event is not None:
            self.summary = {str(k): int(v) for k, v in event.summary_event.resource_changes.items()}
            return [EngineEvent(EventKind.SUMMARY, message=summary_text(self.summary))]
        return []

    def _record(self, md: StepEventMetadata) -> Step | None:
        op = OPS.get(str(md.op.value))
        if op is None or _is_default_provider(md):
            return self._steps.get(md.urn)
        step = step_from_metadata(md, op)
        existing = self._steps.get(md.urn)
        if existing is None:
            self._steps[md.urn] = step
            if md.new is None and op is Op.REPLACE:
                self._old_inputs.add(md.urn)
            return step
        if Op.REPLACE in (op, existing.op):
            existing.op = Op.REPLACE
            existing.diffs = existing.diffs or step.diffs
            existing.replace_reasons = existing.replace_reasons or step.replace_reasons
            if md.new is not None and md.urn in self._old_inputs:
                # A delete-before-replace starts with ``delete-replaced`` (no new state):
                # the plan shows what is coming, from the first event that has it.
                self._old_inputs.discard(md.urn)
                existing.inputs, existing.parent = step.inputs, step.parent
                existing.custom = step.custom
        return existing

    def _step_event(self, kind: EventKind, step: Step) -> EngineEvent:
        verb = "done" if kind is EventKind.STEP_DONE else str(step.op)
        return EngineEvent(kind, step=step, message=f"{verb} {step.type} {step.name}")

    def _failed(self, md: StepEventMetadata) -> list[EngineEvent]:
        step = self._record(md) or step_from_metadata(md, OPS.get(str(md.op.value), Op.UPDATE))
        reasons = [msg for urn, msg in self.errors if urn == md.urn]
        step.note = reasons[-1] if reasons else "the operation failed"
        self.failed.append(step)
        message = f"{step.type} {step.name}: {step.note}"
        return [EngineEvent(EventKind.STEP_FAILED, step=step, message=message, severity="error")]

    def _diagnostic(self, diag: Any) -> list[EngineEvent]:
        severity = str(diag.severity or "info")
        if severity == "debug":
            return []
        message = clean_message(diag.message)
        if not message:
            return []
        if severity == "error":
            self.errors.append((diag.urn or None, message))
        step = self._steps.get(diag.urn) if diag.urn else None
        return [EngineEvent(EventKind.DIAGNOSTIC, step=step, message=message, severity=severity)]

    def _check_drift(self, md: StepEventMetadata) -> None:
        state = md.old or md.new
        if state is None or not state.custom or _is_default_provider(md):
            return
        self.checked += 1
        name = resource_name(md.urn)
        if md.new is None or str(md.op.value) in ("delete", "discard"):
            self.drift.append(Drift(md.urn, md.type, name, gone=True))
            return
        old = decode_map(md.old.outputs) if md.old else {}
        changes = changed_paths(old, decode_map(md.new.outputs))
        if changes:
            diffs = [_diff(p, _kind(a, b), a, b, False) for p, a, b in changes]
            self.drift.append(Drift(md.urn, md.type, name, diffs=diffs))

    def failure_report(self) -> list[str]:
        """One line per failed resource (type, name, diagnostic), then errors not tied to one."""
        lines = [f"{s.type} {s.name}: {s.note}" for s in self.failed]
        failed_urns = {s.urn for s in self.failed}
        for urn, message in self.errors:
            if urn in failed_urns or message.strip().lower() in (
                "update failed",
                "error: update failed",
            ):
                continue
            step = self._steps.get(urn) if urn else None
            lines.append(f"{step.type} {step.name}: {message}" if step else message)
        return lines


def _kind(old: Any, new: Any) -> DiffKind:
    if old is MISSING:
        return DiffKind.ADD
    return DiffKind.DELETE if new is MISSING else DiffKind.UPDATE


def summary_text(changes: dict[str, int]) -> str:
    """``2 create, 1 update, 3 same`` from a summary's resource changes."""
    counts = Counter({k: v for k, v in changes.items() if v})
    if not counts:
        return "no changes"
    order = ["create", "update", "replace", "delete", "read", "refresh", "same"]
    keys = sorted(counts, key=lambda k: order.index(k) if k in order else len(order))
    return ", ".join(f"{counts[k]} {k}" for k in keys)
