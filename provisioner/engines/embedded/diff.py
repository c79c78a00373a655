"""Property-level diffs between recorded and new inputs (paths like ``a.b[0]``)."""

from __future__ import annotations

from typing import Any

from provisioner.engines.model import DiffKind, PropertyDiff, Secret, Unknown


def _path(base: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key


def _same(old: Any, new: Any) -> bool:
    if isinstance(new, Unknown):
        return False
    if isinstance(old, Secret) or isinstance(new, Secret):
        o = old.value if isinstance(old, Secret) else old
        n = new.value if isinstance(new, Secret) else new
        return _same(o, n)
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(o, n) for o, n in zip(old, new, strict=True))
    return bool(old == new)


def _walk(base: str, old: Any, new: Any, out: list[PropertyDiff]) -> None:
    secret = isinstance(old, Secret) or isinstance(new, Secret)
    if not secret and isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            if key not in new:
                out.append(PropertyDiff(_path(base, key), DiffKind.DELETE, old=old[key]))
            elif key not in old:
                out.append(PropertyDiff(_path(base, key), DiffKind.ADD, new=new[key]))
            elif not _same(old[key], new[key]):
                _walk(_path(base, key), old[key], new[key], out)
        return
    if not secret and isinstance(old, list) and isinstance(new, list):
        for i in range(max(len(old), len(new))):
            if i >= len(new):
                out.append(PropertyDiff(_path(base, i), DiffKind.DELETE, old=old[i]))
            elif i >= len(old):
                out.append(PropertyDiff(_path(base, i), DiffKind.ADD, new=new[i]))
            elif not _same(old[i], new[i]):
                _walk(_path(base, i), old[i], new[i], out)
        return
    if secret:
        # Never show a secret's plaintext: keep both sides masked.
        old = old if isinstance(old, Secret) else Secret(old)
        new = new if isinstance(new, (Secret, Unknown)) else Secret(new)
    out.append(PropertyDiff(base, DiffKind.UPDATE, old=old, new=new))


def diff_properties(
    old: dict[str, Any], new: dict[str, Any], replace_keys: list[str] | None = None
) -> list[PropertyDiff]:
    """Every changed property path between ``old`` and ``new``.

    Args:
        old: recorded inputs.
        new: new inputs (may hold ``UNKNOWN``).
        replace_keys: properties that force a replacement; a diff under one of them
            gets ``replaces=True`` (``*`` matches all).

    Returns:
        One PropertyDiff per changed leaf, in key order.
    """
    out: list[PropertyDiff] = []
    _walk("", old, new, out)
    for d in out:
        d.replaces = covers(replace_keys or [], d.path)
    return out


def covers(keys: list[str], path: str) -> bool:
    """True if ``path`` is one of ``keys`` or nested under one of them."""
    return any(key == "*" or path == key or path.startswith((key + ".", key + "[")) for key in keys)


def same(old: Any, new: Any) -> bool:
    """Deep equality that looks through secrets and treats unknowns as changed."""
    return _same(old, new)
