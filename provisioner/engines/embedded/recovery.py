"""Settle provider operations a killed run left pending in the checkpoint.

* pending create: ask the provider's optional ``adopt(props) -> CreateResult | None`` for
  what the interrupted create made, and record it (a replaced predecessor is marked for
  deletion); without ``adopt``, warn that a resource may exist outside the state.
* pending delete: delete again (provider deletes are idempotent) and forget the resource.
* pending update: warn; the state still holds the old inputs, so the next ``up`` re-applies it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from provisioner.engines.embedded.checkpoint import ResourceState
from provisioner.engines.embedded.executor import StateStore, provider_props, recorded_outputs
from provisioner.engines.embedded.providers import load_provider
from provisioner.engines.embedded.values import secret_keys
from provisioner.errors import OperationError


def reconcile(store: StateStore, warn: Callable[[str], None]) -> None:
    """Settle every pending operation in ``store``, saving after each one.

    Raises:
        OperationError: a provider failed while settling; that operation stays pending.
    """
    cp = store.cp
    for pending in list(cp.pending):
        res = pending.resource
        try:
            if pending.op == "create":
                _adopt(store, res, warn)
            elif pending.op == "delete":
                _finish_delete(store, res)
                warn(f"finished the interrupted delete of {res.name}")
            else:
                warn(
                    f"the {pending.op} of {res.name} was interrupted; "
                    "the next up re-applies it if it is still needed"
                )
        except OperationError:
            raise
        except Exception as exc:
            raise OperationError(
                f"settling the interrupted {pending.op} of {res.name} ({res.type}) failed: {exc}"
            ) from exc
        with store.lock:
            cp.clear_pending(pending)
            store.save()


def _finish_delete(store: StateStore, res: ResourceState) -> None:
    provider = load_provider(res.provider or "")
    provider.delete(res.id, provider_props(res.outputs, res.provider))
    with store.lock:
        for rec in list(store.cp.resources):
            if rec.urn == res.urn and rec.id == res.id:
                store.cp.remove(rec)


def _adopt(store: StateStore, res: ResourceState, warn: Callable[[str], None]) -> None:
    provider = load_provider(res.provider or "")
    adopt = getattr(provider, "adopt", None)
    if adopt is None:
        warn(
            f"the create of {res.name} ({res.type}) was interrupted and its provider cannot "
            "adopt what it left; a resource may exist outside the state"
        )
        return
    result = adopt(provider_props(res.inputs, res.provider))
    if result is None:
        return
    outputs = recorded_outputs(result.outs, secret_keys(res.inputs))
    found = replace(res, id=str(result.id), outputs=outputs)
    with store.lock:
        old = store.cp.live(res.urn)
        if old is not None:
            old.delete = True
        store.cp.resources.append(found)
    warn(f"adopted {res.name} ({found.id}), created by an interrupted run")
