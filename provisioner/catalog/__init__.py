"""The component catalog: types, flavors and the plugin registry (loaded on first use)."""

from __future__ import annotations

from typing import Any

from provisioner.catalog.types import Cloud, ComponentType

_LAZY = {
    "Flavor": "provisioner.catalog.flavor",
    "FlavorConfig": "provisioner.catalog.flavor",
    "RecipeContext": "provisioner.catalog.flavor",
    "StrictModel": "provisioner.catalog.flavor",
    "FlavorRegistry": "provisioner.catalog.registry",
}
# The registry() function lives in provisioner.catalog.registry; it is not re-exported here
# because the submodule of the same name would shadow it.

__all__ = ["Cloud", "ComponentType", *_LAZY]


def __getattr__(name: str) -> Any:
    # pydantic loads only when a flavor is needed, which keeps `provisioner --help` fast.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
