"""Engine-neutral results: steps, property diffs, plans, drift and progress events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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

    def summary(self) -> Counter[Op]:
        """How many steps of each op (component resources included)."""
        return Counter(s.op for s in self.steps)

    @property
    def has_changes(self) -> bool:
        return any(s.op not in (Op.SAME, Op.READ) for s in self.steps)


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
