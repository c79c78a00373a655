"""A guard around the Pulumi SDK's dynamic-provider serialization, for long-lived processes."""

from __future__ import annotations

import threading
from typing import Any

_GUARD_LOCK = threading.RLock()
_guarded = False


def guard_provider_serialization() -> None:
    """Make the SDK's ``serialize_provider`` undo its pickle patches.

    It replaces ``pickle._Pickler._batch_setitems`` with a wrapper around the current one
    and never restores it, so each dynamic resource a process creates adds one level: after
    about a thousand, serializing a provider raises ``RecursionError`` (a long-lived process,
    like a test session, running many programs). The wrapper installed here restores the
    pickler after each call, and serializes the calls.
    """
    global _guarded
    with _GUARD_LOCK:
        if _guarded:
            return
        import pickle

        from pulumi.dynamic import dynamic

        original = dynamic.serialize_provider

        def serialize_provider(provider: Any) -> str:
            with _GUARD_LOCK:
                saved = pickle._Pickler._batch_setitems, pickle._Pickler.save_dict  # type: ignore[attr-defined]
                try:
                    return original(provider)
                finally:
                    pickle._Pickler._batch_setitems, pickle._Pickler.save_dict = saved  # type: ignore[attr-defined]

        dynamic.serialize_provider = serialize_provider
        _guarded = True
