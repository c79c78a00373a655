"""Provider calls with crash safety: record the pending operation, call, record the result."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from provisioner.engines import failpoints
from provisioner.engines.embedded import checkpoint
from provisioner.engines.embedded.checkpoint import Checkpoint, ResourceState
from provisioner.engines.embedded.providers import load_provider
from provisioner.engines.embedded.values import PROVIDER_KEY, mark_secrets, plain, secret_keys


def provider_props(values: dict[str, Any], blob: str | None) -> dict[str, Any]:
    """What a dynamic provider receives: plaintext values plus ``__provider`` (as in Pulumi)."""
    props = plain(values)
    if blob is not None:
        props[PROVIDER_KEY] = blob
    return props


def recorded_outputs(outs: dict[str, Any] | None, secrets: set[str]) -> dict[str, Any]:
    """A provider's outputs as recorded: ``__provider`` dropped, secret inputs kept secret."""
    outs = {k: v for k, v in (outs or {}).items() if k != PROVIDER_KEY}
    return mark_secrets(outs, secrets)


class StateStore:
    """A stack's checkpoint plus its file; every mutation is saved before it returns.

    Thread-safe: the SDK registers independent resources from several threads at once.
    """

    def __init__(self, path: Path, cp: Checkpoint) -> None:
        self.path = path
        self.cp = cp
        self.lock = threading.RLock()

    def save(self) -> None:
        with self.lock:
            checkpoint.save(self.path, self.cp)

    # -- provider operations -------------------------------------------------------------

    def create(self, res: ResourceState, *, replacing: bool = False) -> ResourceState:
        """Create ``res`` through its provider and record it.

        A pending ``create`` is in the checkpoint while the provider runs, so a crash there is
        reconciled on the next run. With ``replacing``, the live resource at the same URN is
        marked for deletion in the same write that records the new one.
        """
        provider = load_provider(res.provider or "")
        with self.lock:
            pending = self.cp.add_pending("create", res)
            self.save()
        failpoints.hit("before-create", res.name)
        try:
            result = provider.create(provider_props(res.inputs, res.provider))
        except BaseException:
            with self.lock:
                self.cp.clear_pending(pending)
                self.save()
            raise
        failpoints.hit("after-create", res.name)
        new = replace(
            res, id=str(result.id), outputs=recorded_outputs(result.outs, secret_keys(res.inputs))
        )
        with self.lock:
            old = self.cp.live(res.urn)
            if replacing and old is not None:
                old.delete = True
                self.cp.resources.append(new)
            else:
                self.cp.put(new)
            self.cp.clear_pending(pending)
            self.save()
        return new

    def update(self, old: ResourceState, new: ResourceState) -> ResourceState:
        """Update ``old`` in place to ``new``'s inputs and record the result.

        When the provider returns no outputs, the old outputs overlaid with the new inputs are
        kept (Pulumi would drop them).
        """
        provider = load_provider(new.provider or "")
        with self.lock:
            pending = self.cp.add_pending("update", new)
            self.save()
        failpoints.hit("before-update", new.name)
        try:
            result = provider.update(
                old.id,
                provider_props(old.outputs, old.provider),
                provider_props(new.inputs, new.provider),
            )
        except BaseException:
            with self.lock:
                self.cp.clear_pending(pending)
                self.save()
            raise
        failpoints.hit("after-update", new.name)
        outs = result.outs if result is not None else None
        if outs is None:
            outs = {**plain(old.outputs), **plain(new.inputs)}
        done = replace(new, id=old.id, outputs=recorded_outputs(outs, secret_keys(new.inputs)))
        with self.lock:
            self.cp.put(done)
            self.cp.clear_pending(pending)
            self.save()
        return done

    def delete(self, res: ResourceState) -> None:
        """Delete ``res`` through its provider (unless retained) and forget it."""
        if res.custom and not res.retain_on_delete:
            provider = load_provider(res.provider or "")
            with self.lock:
                pending = self.cp.add_pending("delete", res)
                self.save()
            failpoints.hit("before-delete", res.name)
            try:
                provider.delete(res.id, provider_props(res.outputs, res.provider))
            except BaseException:
                with self.lock:
                    self.cp.clear_pending(pending)
                    self.save()
                raise
            failpoints.hit("after-delete", res.name)
            with self.lock:
                self.cp.remove(res)
                self.cp.clear_pending(pending)
                self.save()
            return
        with self.lock:
            self.cp.remove(res)
            self.save()


def delete_order(
    resources: list[ResourceState], everything: list[ResourceState]
) -> list[ResourceState]:
    """``resources`` ordered so nothing is deleted before a resource that depends on it.

    Dependents are found among ``everything`` (the whole state): a resource waits while any
    other doomed resource names it as a dependency or a parent. Ties keep reverse state order.
    """
    doomed = {id(r) for r in resources}
    position = {id(r): i for i, r in enumerate(everything)}
    remaining = sorted(resources, key=lambda r: -position.get(id(r), -1))
    ordered: list[ResourceState] = []
    while remaining:
        for i, cand in enumerate(remaining):
            blocked = any(
                other is not cand
                and id(other) in doomed
                and (cand.urn in other.dependencies or other.parent == cand.urn)
                and other.urn != cand.urn
                for other in remaining
            )
            if not blocked:
                ordered.append(remaining.pop(i))
                break
        else:  # a cycle cannot come from a program; fall back to reverse state order
            ordered.extend(remaining)
            break
    return ordered
