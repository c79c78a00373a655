"""Load dynamic providers from their serialized ``__provider`` blobs, and classify types."""

from __future__ import annotations

import base64
import threading
from typing import Any

from provisioner.errors import OperationError

_CACHE: dict[str, Any] = {}
_CACHE_LOCK = threading.Lock()


def is_dynamic(type_: str) -> bool:
    """True for resources implemented by a Python dynamic provider."""
    return type_.startswith("pulumi-python:dynamic")


def needs_plugin(type_: str, custom: bool) -> bool:
    """True for a custom resource only a provider plugin (and the Pulumi CLI) can deploy."""
    return custom and not is_dynamic(type_)


def load_provider(blob: str) -> Any:
    """Deserialize a dynamic provider (base64 dill), caching by blob.

    Raises:
        OperationError: the blob cannot be loaded (for example a module it needs is gone).
    """
    provider = _CACHE.get(blob)
    if provider is not None:
        return provider
    with _CACHE_LOCK:
        provider = _CACHE.get(blob)
        if provider is None:
            import dill
            from pulumi.runtime._serialization import _deserialize

            try:
                provider = _deserialize(lambda: dill.loads(base64.b64decode(blob)))
            except Exception as exc:
                raise OperationError(f"cannot load a dynamic provider: {exc}") from exc
            _CACHE[blob] = provider
    return provider
