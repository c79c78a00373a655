"""Refresh: read a resource back through its provider and record its drift."""

from __future__ import annotations

from provisioner.engines.embedded.checkpoint import ResourceState
from provisioner.engines.embedded.diff import diff_properties
from provisioner.engines.embedded.executor import StateStore, provider_props, recorded_outputs
from provisioner.engines.embedded.providers import load_provider
from provisioner.engines.embedded.values import secret_keys
from provisioner.engines.model import Drift
from provisioner.errors import OperationError


def refresh_resource(store: StateStore, res: ResourceState) -> Drift | None:
    """Read ``res`` back through its provider and update it in the state (not saved).

    Returns:
        Its drift (``gone=True`` when the provider reads no ID), or None when it matches.
    """
    provider = load_provider(res.provider or "")
    try:
        read = provider.read(res.id, provider_props(res.outputs, res.provider))
    except Exception as exc:
        raise OperationError(f"refresh of {res.name} ({res.type}) failed: {exc}") from exc
    if read is None or not read.id:
        with store.lock:
            store.cp.remove(res)
        return Drift(urn=res.urn, type=res.type, name=res.name, gone=True)
    outputs = recorded_outputs(read.outs, secret_keys(res.outputs) | secret_keys(res.inputs))
    diffs = diff_properties(res.outputs, outputs)
    with store.lock:
        res.id = str(read.id)
        res.outputs = outputs
        if read.inputs is not None:
            res.inputs = recorded_outputs(read.inputs, secret_keys(res.inputs))
    if not diffs:
        return None
    return Drift(urn=res.urn, type=res.type, name=res.name, diffs=diffs)


def refresh_all(store: StateStore) -> tuple[int, list[Drift]]:
    """Read back every resource that has a provider, updating the state in memory (not saved).

    Returns:
        How many resources were read, and the drift found.
    """
    checked, drift = 0, []
    for res in list(store.cp.resources):
        if not res.custom or not res.provider:
            continue
        checked += 1
        found = refresh_resource(store, res)
        if found is not None:
            drift.append(found)
    return checked, drift
