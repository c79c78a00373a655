"""Engine-neutral results: steps, property diffs, plans, drift and progress events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from provisioner.errors import OperationError


class Unknown:
    """A value known only after apply (Pulumi's unknown)."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    def __reduce__(self) -> str:
        return "UNKNOWN"


class Secret:
    """A secret value; it renders masked and never reaches a stack config or a log."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "[secret]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.value == self.value

    def __hash__(self) -> int:
        return hash(repr(self.value))


UNKNOWN = Unknown()


class Op(StrEnum):
    """What a step does to a resource (Pulumi's step ops)."""

    SAME = "same"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    READ = "read"
    REFRESH = "refresh"


class DiffKind(StrEnum):
    """How one property changes."""

    ADD = "add"
    UPDATE = "update"
    DELETE = "delete"


@dataclass
class PropertyDiff:
    """One property's change: its path (``a.b[0]``), old and new value, and whether it forces a replace."""

    path: str
    kind: DiffKind
    old: Any = None
    new: Any = None
    replaces: bool = False


@dataclass
class Step:
    """One resource's step in a preview, an update or a destroy.

    Attributes:
        urn: the resource's URN (parent chain included).
        type: type token, e.g. ``aws:s3/bucketV2:BucketV2``.
        name: logical name.
        op: the step's op.
        custom: False for component resources.
        parent: parent URN, or None for the root stack.
        inputs: the new inputs (create, update, replace) or old inputs (delete).
        diffs: property-level changes (update, replace).
        replace_reasons: properties that force the replacement.
        note: extra information (a placeholder answer in an offline plan, an error).
    """

    urn: str
    type: str
    name: str
    op: Op
    custom: bool = True
    parent: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    diffs: list[PropertyDiff] = field(default_factory=list)
    replace_reasons: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass
class Drift:
    """A resource whose real state differs from the recorded state."""

    urn: str
    type: str
    name: str
    diffs: list[PropertyDiff] = field(default_factory=list)
    gone: bool = False


@dataclass
class Plan:
    """The result of a preview (or the steps an update or destroy performed).

    Attributes:
        stack: the stack's name.
        engine: ``embedded`` or ``pulumi``.
        steps: every resource step, in program order.
        outputs: stack outputs; values not yet known are ``UNKNOWN``.
        notes: caveats, e.g. data-source calls answered with placeholders offline.
        offline: True when computed without provider plugins or credentials.
        drift: what a refresh before the plan found changed outside provisioner.
    """

    stack: str
    engine: str
    steps: list[Step] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    offline: bool = False
    drift: list[Drift] = field(default_factory=list)
    #: What the engine needs to apply exactly this plan later (``stack preview --out``):
    #: the fingerprint of the state it was made from, and the Pulumi update plan.
    saved: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> Counter[Op]:
        """How many steps of each op (component resources included)."""
        return Counter(s.op for s in self.steps)

    @property
    def has_changes(self) -> bool:
        return any(s.op not in (Op.SAME, Op.READ) for s in self.steps)


class StalePlanError(OperationError):
    """A saved plan no longer applies: the definition, the state or provisioner changed."""


@dataclass(frozen=True)
class Targeting:
    """Which resources an operation may touch, and which it must replace.

    Attributes:
        targets: names or URNs; empty means every resource. A preview or deploy also takes
            what they depend on (and their parents); a destroy also takes what depends on them.
        replace: names or URNs whose replacement is forced.
    """

    targets: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.targets or self.replace)

    def to_json(self) -> dict[str, list[str]]:
        return {"targets": list(self.targets), "replace": list(self.replace)}


EVERYTHING = Targeting()


@dataclass
class StateResource:
    """One resource as the state records it (``state list`` / ``state show``); secret
    values are ``Secret`` and never shown."""

    urn: str
    type: str
    name: str
    id: str = ""
    custom: bool = True
    parent: str | None = None
    dependencies: list[str] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class StateChange:
    """What a state command did: the URNs it touched (old -> new; new is "" when removed)
    and the backup of the state before, which ``state restore`` puts back."""

    stack: str
    backup: str
    changed: dict[str, str] = field(default_factory=dict)


@dataclass
class StateBackup:
    """A saved copy of a stack's state, made before a state command changed it."""

    name: str
    path: str
    created: str
    size: int


@dataclass
class RefreshResult:
    """What ``refresh`` found, after it updated the state."""

    stack: str
    engine: str
    checked: int = 0
    drift: list[Drift] = field(default_factory=list)


class EventKind(StrEnum):
    """Progress event kinds."""

    STEP_START = "step-start"
    STEP_DONE = "step-done"
    STEP_FAILED = "step-failed"
    DIAGNOSTIC = "diagnostic"
    SUMMARY = "summary"


@dataclass
class EngineEvent:
    """One progress event, fed to the CLI's live display."""

    kind: EventKind
    step: Step | None = None
    message: str = ""
    severity: str = "info"


EventCallback = Callable[[EngineEvent], None]


def no_events(event: EngineEvent) -> None:
    """Default event sink."""
