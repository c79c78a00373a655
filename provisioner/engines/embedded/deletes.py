"""Which deletes are safe: what a live resource still uses is only forgotten, and refusals a
provider predicts are known before anything changes.

Provider contract, beyond ``pulumi.dynamic.ResourceProvider``: an optional
``check_delete(id, props) -> str | None`` says why ``delete`` would refuse (for example a
guarded directory that holds data), or None when it would go ahead. It must not change
anything.
"""

from __future__ import annotations

import os

from provisioner.engines.embedded.checkpoint import ResourceState
from provisioner.engines.embedded.executor import provider_props
from provisioner.engines.embedded.providers import load_provider


def _is_path(value: str) -> bool:
    return bool(value) and os.path.isabs(value)


def _within(inner: str, outer: str) -> bool:
    """True if path ``inner`` is ``outer`` or lies inside it."""
    inner, outer = os.path.normpath(inner), os.path.normpath(outer)
    return inner == outer or inner.startswith(outer.rstrip(os.sep) + os.sep)


def used_by(res: ResourceState, live: list[ResourceState]) -> ResourceState | None:
    """The live resource that still uses what deleting ``res`` would remove, if any.

    A live resource uses it when it has the same type and ID (a replace that came back to
    the same thing), or when its ID is a path at or under ``res``'s path ID (deleting a
    folder removes everything in it).
    """
    if not res.custom or not res.id:
        return None
    for other in live:
        if other is res or other.delete or not other.custom or not other.id:
            continue
        if other.type == res.type and other.id == res.id:
            return other
        if _is_path(res.id) and _is_path(other.id) and _within(other.id, res.id):
            return other
    return None


def predicted_refusal(res: ResourceState) -> str | None:
    """Why the provider would refuse to delete ``res`` (None: it would delete it, or cannot
    tell). Protected resources are always refused."""
    if res.protect:
        return f"{res.name} is protected"
    if not res.custom or res.retain_on_delete or not res.provider:
        return None
    check = getattr(load_provider(res.provider), "check_delete", None)
    if check is None:
        return None
    reason = check(res.id, provider_props(res.outputs, res.provider))
    return str(reason) if reason else None


def matches(res: ResourceState, names: set[str]) -> bool:
    """True if ``res`` is named in ``names`` by its logical name or its URN."""
    return res.name in names or res.urn in names
