"""The step cache: ``cache/<key>.json`` maps a step's code, inputs and parameters to outputs."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from provisioner.runtime.artifacts import PICKLE_NAME, ArtifactIO, artifact_key, hash_from_uri
from provisioner.runtime.errors import (
    ArtifactIntegrityError,
    ArtifactNotFoundError,
    InvalidNameError,
)

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
    """The cached entry for ``key`` if every output artifact in it verifies, else None.

    Anyone who can write to the store can write a cache entry, so an entry is used only if
    each output it names is complete and verifies against its address (manifest and every
    file), and its serializer, type and size are taken from the verified manifest. An entry
    with a pickle this reader does not load (see :mod:`provisioner.runtime.trust`) is a miss,
    so the step runs again instead.
    """
    try:
        entry = json.loads(io.get_bytes(f"{CACHE}/{key}.json"))
        outputs = _checked(io, entry["outputs"])
        # what the step saved itself (ctx.save_artifact); entries of older versions have none
        saved = _checked(io, entry.get("artifacts", {}))
        if outputs is None or saved is None:
            return None
    except (
        ArtifactNotFoundError,
        ArtifactIntegrityError,
        InvalidNameError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
    ):
        return None
    run_id = entry.get("run_id")
    return {
        "run_id": run_id if isinstance(run_id, str) else None,
        "outputs": outputs,
        "artifacts": saved,
    }


def _checked(io: ArtifactIO, refs: Any) -> dict[str, dict[str, Any]] | None:
    """The entry's artifacts as their verified manifests describe them; None if one is a
    pickle this reader does not load (raises if one is missing or does not verify)."""
    if not isinstance(refs, dict):
        return None
    checked = {}
    for name, out in refs.items():
        hash_ = hash_from_uri(out["uri"])
        manifest = io.verify(hash_)
        if manifest["serializer"] == PICKLE_NAME and not io.may_load_pickle(hash_):
            return None
        checked[name] = {
            "hash": hash_,
            "uri": io.store.object_uri(artifact_key(hash_)),
            "serializer": manifest["serializer"],
            "type": str(manifest.get("type", "")),
            "size": int(manifest.get("size", 0)),
        }
    return checked


def record(io: ArtifactIO, key: str, entry: dict[str, Any]) -> None:
    """Store a cache entry (after the outputs it names are complete)."""
    data = json.dumps(entry, indent=1).encode()
    io.store.put_bytes(f"{CACHE}/{key}.json", data)
