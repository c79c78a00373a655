"""Pulumi dynamic providers for local resources: directories and the managed OCI registry."""

from provisioner.recipes.local.providers.directory import (
    LocalDirectory,
    LocalDirectoryArgs,
    LocalDirectoryProvider,
)
from provisioner.recipes.local.providers.registry import (
    LocalRegistryProvider,
    LocalRegistryService,
    LocalRegistryServiceArgs,
)

__all__ = [
    "LocalDirectory",
    "LocalDirectoryArgs",
    "LocalDirectoryProvider",
    "LocalRegistryProvider",
    "LocalRegistryService",
    "LocalRegistryServiceArgs",
]
