"""Decode property values from Pulumi's engine-event JSON: secrets, unknowns, property paths."""

from __future__ import annotations

import json
from typing import Any

from provisioner.engines.model import UNKNOWN, Secret

#: Pulumi's serialized form of a value known only after apply.
UNKNOWN_PLACEHOLDER = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
#: Key marking a special object (secret, asset, archive, resource reference).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

MISSING = object()


def decode(value: Any) -> Any:
    """Turn a serialized property value into plain Python, with Secret and UNKNOWN markers.

    A secret shown in plaintext keeps its value inside ``Secret`` (it renders masked); a
    blinded secret (``ciphertext``) becomes ``Secret(None)``.
    """
    if isinstance(value, str):
        return UNKNOWN if value == UNKNOWN_PLACEHOLDER else value
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            plaintext = value.get("plaintext")
            if isinstance(plaintext, str):
                try:
                    return Secret(decode(json.loads(plaintext)))
                except ValueError:
                    return Secret(plaintext)
            return Secret(None)
        return {k: decode(v) for k, v in value.items()}
    return value


def decode_map(props: Any) -> dict[str, Any]:
    """Decode a property map (None -> {})."""
    return {k: decode(v) for k, v in props.items()} if isinstance(props, dict) else {}


def parse_path(path: str) -> list[str | int]:
    """Split a Pulumi property path (``a.b[0]``, ``tags["k.x"]``) into keys and indexes."""
    parts: list[str | int] = []
    i, n = 0, len(path)
    decoder = json.JSONDecoder()
    while i < n:
        ch = path[i]
        if ch == ".":
            i += 1
        elif ch == "[":
            if i + 1 < n and path[i + 1] == '"':
                key, end = decoder.raw_decode(path, i + 1)
                parts.append(str(key))
                i = path.index("]", end) + 1
            else:
                end = path.index("]", i)
                token = path[i + 1 : end]
                parts.append(int(token) if token.lstrip("-").isdigit() else token)
                i = end + 1
        else:
            end = i
            while end < n and path[end] not in ".[":
                end += 1
            parts.append(path[i:end])
            i = end
    return parts


def lookup(props: Any, path: str) -> Any:
    """The value at ``path`` in ``props``, or MISSING. Secrets along the way stay masked."""
    value = props
    for part in parse_path(path):
        if isinstance(value, Secret):
            return value
        if isinstance(part, int) and isinstance(value, list) and -len(value) <= part < len(value):
            value = value[part]
        elif isinstance(value, dict) and str(part) in value:
            value = value[str(part)]
        else:
            return MISSING
    return value


def join_path(prefix: str, key: str | int) -> str:
    """Extend a property path by one key or index."""
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if key.isidentifier() or key.replace("-", "_").isidentifier():
        return f"{prefix}.{key}" if prefix else key
    return f"{prefix}[{json.dumps(key)}]"


def changed_paths(old: Any, new: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """Leaf paths whose values differ between ``old`` and ``new`` (MISSING where absent)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            out += changed_paths(
                old.get(key, MISSING), new.get(key, MISSING), join_path(prefix, key)
            )
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out += changed_paths(a, b, join_path(prefix, i))
        return out
    return [] if old == new else [(prefix, old, new)]
