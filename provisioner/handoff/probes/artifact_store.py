"""Artifact store probe: write, read, list and delete one probe object."""

from __future__ import annotations

import contextlib
import secrets
from typing import TYPE_CHECKING

from provisioner.handoff.check import ProbeFailed
from provisioner.runtime.errors import ArtifactNotFoundError, ArtifactStoreError

if TYPE_CHECKING:
    from provisioner.runtime.stores import ArtifactStore
    from provisioner.stackconfig import ComponentConnection, StackConfig

PROBE_PREFIX = "_provisioner/check"

_HINT = (
    "check that the bucket or container in the stack config exists, that your credentials "
    "(the stack config's auth section) are the ones the platform engineer granted, and "
    "that they may read, write, list and delete objects under the store's prefix"
)


def probe(stack: StackConfig, conn: ComponentConnection) -> str:
    """Round-trip one small object through the stack's artifact store.

    Raises:
        ProbeFailed: a step of the round trip failed or returned the wrong thing.
    """
    from provisioner.runtime.stores import open_store

    store = open_store(stack)
    key = f"{PROBE_PREFIX}/{secrets.token_hex(8)}"
    data = secrets.token_bytes(32)
    stage = "write"
    try:
        store.put_bytes(key, data)
        stage = "read"
        if store.get_bytes(key) != data:
            raise ProbeFailed(
                f"{store.uri}: the probe object read back differs from what was written"
            )
        stage = "list"
        if key not in set(store.list_keys(PROBE_PREFIX)):
            raise ProbeFailed(f"{store.uri}: the probe object is missing from the listing")
        stage = "delete"
        store.delete(key)
        if store.exists(key):
            raise ProbeFailed(f"{store.uri}: the probe object is still there after delete")
    except ArtifactStoreError as exc:
        if stage in ("read", "list"):
            with contextlib.suppress(ArtifactStoreError):
                store.delete(key)  # leave no probe object behind
        if isinstance(exc, ArtifactNotFoundError):  # on a write: the bucket, not the object
            exc = _diagnose(store) or exc
        raise ProbeFailed(f"{stage} failed: {exc.message}", exc.hint or _HINT) from None
    return f"{store.uri}: wrote, read, listed and deleted a probe object"


def _diagnose(store: ArtifactStore) -> ArtifactStoreError | None:
    """The store's own reachability check, which names a missing bucket or container."""
    try:
        store.check()
    except ArtifactStoreError as exc:
        return exc
    return None
