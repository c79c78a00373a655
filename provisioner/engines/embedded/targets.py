"""``--target`` and ``--replace`` on the embedded engine: which URNs an operation may touch."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from provisioner.engines.embedded.checkpoint import Checkpoint, ResourceState
from provisioner.engines.embedded.values import to_json
from provisioner.errors import UserInputError


@dataclass(frozen=True)
class Node:
    """What a targeting closure needs of a resource: its name, parent and dependencies."""

    urn: str
    name: str
    parent: str | None
    dependencies: tuple[str, ...]


def nodes_of(items: Iterable[Any]) -> dict[str, Node]:
    """Registrations or recorded resources, as nodes by URN."""
    return {
        r.urn: Node(r.urn, r.name, r.parent, tuple(r.dependencies))
        for r in items
        if not getattr(r, "delete", False)
    }


def resolve(names: Collection[str], nodes: dict[str, Node], what: str) -> set[str]:
    """The URNs that ``names`` (logical names or URNs) designate.

    Raises:
        UserInputError: a name matches no resource of the program or the state.
    """
    found: set[str] = set()
    for name in names:
        hits = {urn for urn, n in nodes.items() if name in (urn, n.name)}
        if not hits:
            known = ", ".join(sorted({n.name for n in nodes.values()})[:12]) or "none"
            raise UserInputError(
                f"{what} {name!r}: no resource of that name or URN in the stack "
                f"(resources: {known})"
            )
        found |= hits
    return found


def with_dependencies(urns: set[str], nodes: dict[str, Node]) -> set[str]:
    """``urns`` plus everything they depend on and their parents, transitively."""
    closed, todo = set(), list(urns)
    while todo:
        urn = todo.pop()
        if urn in closed:
            continue
        closed.add(urn)
        node = nodes.get(urn)
        if node is not None:
            todo.extend(node.dependencies)
            todo.extend([node.parent] if node.parent else [])
    return closed


def with_dependents(urns: set[str], resources: list[ResourceState]) -> set[str]:
    """``urns`` plus every recorded resource that depends on one of them or is its child."""
    closed = set(urns)
    grew = True
    while grew:
        grew = False
        for res in resources:
            if res.urn in closed:
                continue
            if res.parent in closed or closed.intersection(res.dependencies):
                closed.add(res.urn)
                grew = True
    return closed


def fingerprint(cp: Checkpoint) -> str:
    """A digest of the recorded state (secret values left out), to tell whether it changed
    since a plan was made."""
    masked = lambda value, path: "[secret]"  # noqa: E731
    doc = {
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "id": r.id,
                "parent": r.parent,
                "dependencies": r.dependencies,
                "delete": r.delete,
                "inputs": to_json(r.inputs, masked),
                "outputs": to_json(r.outputs, masked),
            }
            for r in cp.resources
        ],
        "pending": [(p.op, p.resource.urn) for p in cp.pending],
        "outputs": to_json(cp.outputs, masked),
    }
    data = json.dumps(doc, sort_keys=True, default=str).encode()
    return "sha256:" + hashlib.sha256(data).hexdigest()
