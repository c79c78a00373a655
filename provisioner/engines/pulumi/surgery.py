"""Reading and editing an exported Pulumi deployment (``stack export`` JSON) for the state
commands; the CLI calls themselves live in the engine."""

from __future__ import annotations

from typing import Any

from provisioner.engines.model import Secret, StateResource
from provisioner.errors import NotFoundError, UserInputError

#: The tag of a secret value in an exported deployment (Pulumi's ``sig.Secret``).
SECRET_SIG = "4dabf18193072939515e22adb298388d"


def state_resource(raw: dict[str, Any]) -> StateResource:
    urn = raw.get("urn", "")
    return StateResource(
        urn=urn,
        type=raw.get("type", ""),
        name=urn.rsplit("::", 1)[-1],
        id=raw.get("id", "") or "",
        custom=bool(raw.get("custom", False)),
        parent=raw.get("parent") or None,
        dependencies=list(raw.get("dependencies") or []),
        inputs=masked(raw.get("inputs") or {}),
        outputs=masked(raw.get("outputs") or {}),
    )


def masked(value: Any) -> Any:
    """An exported value with each (encrypted) secret as ``Secret``."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return Secret("[encrypted]")
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def reparent(resources: list[dict[str, Any]], urn: str, parent: str) -> dict[str, str]:
    """Give the resource at ``urn`` the parent ``parent`` in an exported deployment, in
    place; its URN and its children's change with their type chain. Returns old -> new."""
    by_urn = {r["urn"]: r for r in resources}
    if urn not in by_urn or parent not in by_urn:
        raise NotFoundError(f"no resource {urn if urn not in by_urn else parent} in the state")
    renames: dict[str, str] = {}

    def relocate(old: str, parent_urn: str) -> None:
        prefix, chain, name = old.rsplit("::", 2)
        own_type = chain.rsplit("$", 1)[-1]
        parent_chain = parent_urn.rsplit("::", 2)[1]
        qualified = (
            own_type if parent_chain == "pulumi:pulumi:Stack" else f"{parent_chain}${own_type}"
        )
        new = f"{prefix}::{qualified}::{name}"
        renames[old] = new
        for child in resources:
            if child.get("parent") == old and child["urn"] not in renames:
                relocate(child["urn"], new)

    relocate(urn, parent)
    if parent in renames:
        raise UserInputError("cannot make a resource a child of itself or of its children")
    for res in resources:
        if res["urn"] == urn:
            res["parent"] = parent
        elif res.get("parent") in renames:
            res["parent"] = renames[res["parent"]]
        res["dependencies"] = [renames.get(d, d) for d in res.get("dependencies") or []]
        res["urn"] = renames.get(res["urn"], res["urn"])
    return renames
