"""Validation of run ids, step and artifact names, and store keys (no path traversal)."""

from __future__ import annotations

import re

from provisioner.runtime.errors import InvalidNameError

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_SEGMENT_RE = re.compile(r"^[A-Za-z0-9._=+@,-]{1,255}$")


def check_name(value: str, what: str) -> str:
    """A step, output or parameter name: a Python identifier of at most 128 characters.

    Raises:
        InvalidNameError: anything else (slashes, dots, empty, too long).
    """
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise InvalidNameError(
            f"invalid {what} {value!r}: use letters, digits and underscores "
            "(a Python identifier, at most 128 characters)"
        )
    return value


def check_run_id(value: str) -> str:
    """A run id: letters, digits, ``._-``; no path separators and no ``..``.

    Raises:
        InvalidNameError: an unsafe run id.
    """
    if not isinstance(value, str) or not _RUN_ID_RE.match(value) or ".." in value:
        raise InvalidNameError(
            f"invalid run id {value!r}: use letters, digits, '.', '_' and '-' (no '/' or '..')"
        )
    return value


def check_key(key: str) -> str:
    """A relative store key: ``/``-separated safe segments, none of them ``.`` or ``..``.

    Raises:
        InvalidNameError: absolute keys, backslashes, empty or dot segments.
    """
    parts = key.split("/") if isinstance(key, str) else [""]
    for part in parts:
        if part in ("", ".", "..") or not _SEGMENT_RE.match(part):
            raise InvalidNameError(f"invalid artifact key {key!r}")
    return key


def join(*parts: str) -> str:
    """Join key parts with ``/`` and validate the result."""
    return check_key("/".join(p.strip("/") for p in parts if p))
