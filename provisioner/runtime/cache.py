"""The step cache: ``cache/<key>.json`` maps a step's code, inputs and parameters to outputs."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from provisioner.runtime.artifacts import ArtifactIO, hash_from_uri
from provisioner.runtime.errors import ArtifactNotFoundError

CACHE = "cache"


def cache_key(code_hash: str, parameters: dict[str, Any], inputs: dict[str, str]) -> str:
    """The cache key of one step call.

    Args:
        code_hash: the step's code hash.
        parameters: its literal parameters.
        inputs: argument name -> input artifact hash.
    """
    blob = json.dumps(
        {"code": code_hash, "parameters": parameters, "inputs": inputs},
        sort_keys=True,
        separators=(",", ":"),
        default=repr,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def lookup(io: ArtifactIO, key: str) -> dict[str, Any] | None:
    """The cached entry for ``key`` if every output artifact in it is complete."""
    try:
        entry = json.loads(io.get_bytes(f"{CACHE}/{key}.json"))
    except ArtifactNotFoundError:
        return None
    for out in entry.get("outputs", {}).values():
        if not io.is_complete(hash_from_uri(out["uri"])):
            return None
    return entry


def record(io: ArtifactIO, key: str, entry: dict[str, Any]) -> None:
    """Store a cache entry (after the outputs it names are complete)."""
    data = json.dumps(entry, indent=1).encode()
    io.store.put_bytes(f"{CACHE}/{key}.json", data)
