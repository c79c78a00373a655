"""The component catalog: types, flavors and the plugin registry."""

from provisioner.catalog.flavor import Flavor, FlavorConfig, RecipeContext, StrictModel
from provisioner.catalog.registry import FlavorRegistry, registry
from provisioner.catalog.types import Cloud, ComponentType

__all__ = [
    "Cloud",
    "ComponentType",
    "Flavor",
    "FlavorConfig",
    "FlavorRegistry",
    "RecipeContext",
    "StrictModel",
    "registry",
]
