"""The embedded engine's JSON state checkpoint, written atomically after every step."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provisioner.engines.embedded.values import from_json, to_json
from provisioner.errors import OperationError

#: Bump when the checkpoint layout changes incompatibly.
CHECKPOINT_VERSION = 1

CHECKPOINT_FILE = "checkpoint.json"


@dataclass
class ResourceState:
    """One resource as recorded in the checkpoint (Pulumi's deployment resource, trimmed).

    Attributes:
        urn: URN with the parent type chain.
        type: type token.
        name: logical name.
        custom: False for component resources and the root stack.
        id: provider-assigned ID (custom resources only).
        parent: parent URN.
        dependencies: URNs this resource depends on.
        inputs: the inputs it was created or last updated with (model values).
        outputs: the provider's outputs (model values; registered outputs for components).
        provider: base64 dill blob of the dynamic provider, so a destroy needs no program.
        delete: True for a replaced resource that still awaits deletion.
        protect: refuse to delete it.
        retain_on_delete: drop it from the state without deleting it.
    """

    urn: str
    type: str
    name: str
    custom: bool = True
    id: str = ""
    parent: str | None = None
    dependencies: list[str] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    provider: str | None = None
    delete: bool = False
    protect: bool = False
    retain_on_delete: bool = False


@dataclass
class PendingOperation:
    """A provider call that started but whose result is not yet recorded.

    Attributes:
        op: ``create``, ``update`` or ``delete``.
        resource: the resource it acts on (for a create: the resource it would become).
        started: ISO time the call started.
    """

    op: str
    resource: ResourceState
    started: str = ""


@dataclass
class Checkpoint:
    """A stack's full state: resources in dependency order, pending operations, stack outputs."""

    stack: str
    resources: list[ResourceState] = field(default_factory=list)
    pending: list[PendingOperation] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def live(self, urn: str) -> ResourceState | None:
        """The resource currently at ``urn`` (not a replaced one awaiting deletion)."""
        for res in self.resources:
            if res.urn == urn and not res.delete:
                return res
        return None

    def put(self, res: ResourceState) -> None:
        """Record ``res``, replacing the live entry with the same URN in place."""
        for i, old in enumerate(self.resources):
            if old.urn == res.urn and not old.delete:
                self.resources[i] = res
                return
        self.resources.append(res)

    def remove(self, res: ResourceState) -> None:
        """Forget ``res`` (matched by identity)."""
        self.resources = [r for r in self.resources if r is not res]

    def add_pending(self, op: str, res: ResourceState) -> PendingOperation:
        pending = PendingOperation(op, res, datetime.now(UTC).isoformat(timespec="seconds"))
        self.pending.append(pending)
        return pending

    def clear_pending(self, pending: PendingOperation) -> None:
        self.pending = [p for p in self.pending if p is not pending]

    @property
    def empty(self) -> bool:
        return not self.resources and not self.pending


def _res_to_json(res: ResourceState) -> dict[str, Any]:
    data = asdict(res)
    data["inputs"] = to_json(res.inputs)
    data["outputs"] = to_json(res.outputs)
    return data


def _res_from_json(data: dict[str, Any]) -> ResourceState:
    res = ResourceState(**data)
    res.inputs = from_json(res.inputs)
    res.outputs = from_json(res.outputs)
    return res


def load(path: Path, stack: str) -> Checkpoint:
    """Read the checkpoint at ``path``; a missing file is an empty state.

    Raises:
        OperationError: the file is unreadable or of an unknown version.
    """
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return Checkpoint(stack)
    except (OSError, ValueError) as exc:
        raise OperationError(f"cannot read the state checkpoint {path}: {exc}") from exc
    if raw.get("version") != CHECKPOINT_VERSION:
        raise OperationError(
            f"state checkpoint {path} has version {raw.get('version')!r}; "
            f"this provisioner reads version {CHECKPOINT_VERSION}"
        )
    return Checkpoint(
        stack=raw.get("stack", stack),
        resources=[_res_from_json(r) for r in raw.get("resources", [])],
        pending=[
            PendingOperation(p["op"], _res_from_json(p["resource"]), p.get("started", ""))
            for p in raw.get("pending", [])
        ],
        outputs=from_json(raw.get("outputs", {})),
    )


def save(path: Path, cp: Checkpoint) -> None:
    """Write ``cp`` atomically: temp file, fsync, rename (mode 0600: it may hold secrets)."""
    doc = {
        "version": CHECKPOINT_VERSION,
        "stack": cp.stack,
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
        "resources": [_res_to_json(r) for r in cp.resources],
        "pending": [
            {"op": p.op, "started": p.started, "resource": _res_to_json(p.resource)}
            for p in cp.pending
        ],
        "outputs": to_json(cp.outputs),
    }
    data = json.dumps(doc, indent=1, sort_keys=False).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".checkpoint-", suffix=".tmp")
    try:
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise
