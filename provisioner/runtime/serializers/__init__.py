"""Serializers: how step outputs become files in the artifact store, and back."""

from provisioner.runtime.serializers.base import ArtifactFiles, Saved, Serializer, Staging
from provisioner.runtime.serializers.registry import (
    find_serializer,
    register_serializer,
    serializer_named,
    unregister_serializer,
)

__all__ = [
    "ArtifactFiles",
    "Saved",
    "Serializer",
    "Staging",
    "find_serializer",
    "register_serializer",
    "serializer_named",
    "unregister_serializer",
]
