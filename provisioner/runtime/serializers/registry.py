"""Which serializer stores which value: user serializers first, then the built-ins."""

from __future__ import annotations

import threading
from typing import Any

from provisioner.runtime.errors import PipelineDefinitionError, SerializationError
from provisioner.runtime.serializers.base import Serializer
from provisioner.runtime.serializers.builtin import (
    BytesSerializer,
    JSONSerializer,
    NumpySerializer,
    PandasSerializer,
    PathSerializer,
    PickleSerializer,
)

PICKLE = PickleSerializer()
_BUILTIN: list[Serializer] = [
    JSONSerializer(),
    BytesSerializer(),
    NumpySerializer(),
    PandasSerializer(),
    PathSerializer(),
]
_user: list[Serializer] = []
_lock = threading.Lock()


def register_serializer(serializer: Serializer) -> None:
    """Add a serializer; it is tried before the built-ins (last registered first).

    Raises:
        PipelineDefinitionError: not a Serializer, or its name is taken by another one.
    """
    if not isinstance(serializer, Serializer) or not serializer.name:
        raise PipelineDefinitionError("register_serializer needs a named Serializer instance")
    with _lock:
        for existing in [*_user, *_BUILTIN, PICKLE]:
            if existing.name == serializer.name and type(existing) is not type(serializer):
                raise PipelineDefinitionError(f"a serializer named {serializer.name!r} exists")
        _user[:] = [s for s in _user if s.name != serializer.name]
        _user.insert(0, serializer)


def unregister_serializer(name: str) -> None:
    """Remove a user serializer by name (built-ins stay)."""
    with _lock:
        _user[:] = [s for s in _user if s.name != name]


def find_serializer(value: Any) -> Serializer | None:
    """The first serializer that handles ``value`` (pickle is never picked here)."""
    for serializer in (*_user, *_BUILTIN):
        if serializer.handles(value):
            return serializer
    return None


def serializer_named(name: str) -> Serializer:
    """The serializer recorded in a manifest.

    Raises:
        SerializationError: none registered under that name in this process.
    """
    for serializer in (*_user, *_BUILTIN, PICKLE):
        if serializer.name == name:
            return serializer
    raise SerializationError(
        f"no serializer named {name!r} is registered; import the module that registers it"
    )
