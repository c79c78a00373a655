"""Decode property values from Pulumi's engine-event JSON: secrets, unknowns, property paths."""

from __future__ import annotations

import base64
import json
import re
import struct
from typing import Any

from provisioner.engines.model import UNKNOWN, Secret

#: Pulumi's serialized form of a value known only after apply.
UNKNOWN_PLACEHOLDER = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
#: Key marking a special object (secret, asset, archive, resource reference).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
#: A NaN or infinite number: ``value`` holds its IEEE 754 bits as 16 hex digits.
FLOAT_SIG = "8ad145fe-0d11-4827-bfd7-1abcbf086f5c"
#: A string that is not valid UTF-8: ``value`` holds its bytes, base64-encoded.
BYTE_STRING_SIG = "803fd3297a5875dc03ca845dda5d2a98"
#: Key listing the properties a Terraform-bridged provider filled in with defaults.
DEFAULTS_KEY = "__defaults"

MISSING = object()

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_]*")


def decode(value: Any) -> Any:
    """Turn a serialized property value into plain Python, with Secret and UNKNOWN markers.

    A secret shown in plaintext keeps its value inside ``Secret`` (it renders masked); a
    blinded secret (``ciphertext``, as the CLI always writes them to events) becomes
    ``Secret(None)``. NaN and infinities become floats; a string that is not UTF-8 is shown
    with its undecodable bytes replaced.
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
        if value.get(SIG_KEY) == FLOAT_SIG:
            return struct.unpack(">d", bytes.fromhex(str(value.get("value", ""))))[0]
        if value.get(SIG_KEY) == BYTE_STRING_SIG:
            raw = base64.b64decode(str(value.get("value", "")))
            return raw.decode(errors="replace")
        return {k: decode(v) for k, v in value.items()}
    return value


def strip_defaults(value: Any) -> Any:
    """Drop the ``__defaults`` bookkeeping key at every level: the program never set it."""
    if isinstance(value, list):
        return [strip_defaults(v) for v in value]
    if isinstance(value, dict):
        return {k: strip_defaults(v) for k, v in value.items() if k != DEFAULTS_KEY}
    return value


def decode_map(props: Any) -> dict[str, Any]:
    """Decode a property map (None -> {})."""
    return {k: decode(v) for k, v in props.items()} if isinstance(props, dict) else {}


def parse_path(path: str) -> list[str | int]:
    """Split a Pulumi property path (``a.b[0]``, ``tags["k.x"]``) into keys and indexes.

    Follows the CLI's grammar: inside a quoted key only ``\\"`` is an escape (for ``"``);
    every other character, a backslash included, stands for itself. A malformed path never
    raises: the rest of it becomes one last key.
    """
    parts: list[str | int] = []
    i, n = 0, len(path)
    while i < n:
        ch = path[i]
        if ch == ".":
            i += 1
        elif ch == "[" and i + 1 < n and path[i + 1] == '"':
            key, i = _quoted_key(path, i + 2)
            parts.append(key)
        elif ch == "[" and "]" in path[i:]:
            end = path.index("]", i)
            token = path[i + 1 : end]
            parts.append(int(token) if token.isdigit() else token)
            i = end + 1
        else:
            end = i + 1
            while end < n and path[end] not in ".[":
                end += 1
            parts.append(path[i:end])
            i = end
    return parts


def _quoted_key(path: str, i: int) -> tuple[str, int]:
    """The key of a ``["..."]`` accessor starting after its opening quote, and where it ends."""
    key: list[str] = []
    n = len(path)
    while i < n:
        if path[i] == "\\" and i + 1 < n and path[i + 1] == '"':
            key.append('"')
            i += 2
        elif path[i] == '"':
            i += 1
            break
        else:
            key.append(path[i])
            i += 1
    if i < n and path[i] == "]":
        i += 1
    return "".join(key), i


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
    """Extend a property path by one key or index, the way the CLI prints paths.

    A key with any character outside ``[A-Za-z0-9_]`` is quoted, with only ``"`` escaped:
    ``tags["managed-by"]``, not ``tags.managed-by``.
    """
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if _PLAIN_KEY.fullmatch(key):
        return f"{prefix}.{key}" if prefix else key
    escaped = key.replace('"', '\\"')
    return f'{prefix}["{escaped}"]'


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
