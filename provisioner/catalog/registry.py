"""The plugin registry: built-in flavors register explicitly, third-party ones by entry point."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from importlib.metadata import entry_points

from provisioner.catalog.flavor import Flavor
from provisioner.catalog.types import Cloud, ComponentType
from provisioner.errors import CatalogError

log = logging.getLogger(__name__)

#: Entry-point group through which a pip-installed package adds flavors.
ENTRY_POINT_GROUP = "provisioner.flavors"

#: Modules declaring the built-in flavors; each exposes ``FLAVORS: list[Flavor]``.
BUILTIN_MODULES: tuple[str, ...] = (
    "provisioner.recipes.local.flavors",
    "provisioner.recipes.aws.flavors",
    "provisioner.recipes.common.flavors",
    "provisioner.recipes.azure.flavors",
    "provisioner.recipes.gcp.flavors",
)


class FlavorRegistry:
    """Every known flavor, keyed by (type, name, cloud)."""

    def __init__(self) -> None:
        self._flavors: dict[tuple[ComponentType, str, Cloud], Flavor] = {}

    def register(self, flavor: Flavor, *, replace: bool = False) -> None:
        """Add a flavor; a clash with an existing key is an error unless ``replace``."""
        if flavor.key in self._flavors and not replace:
            old = self._flavors[flavor.key]
            raise CatalogError(
                f"flavor {flavor.name!r} for {flavor.type} on {flavor.cloud} is registered "
                f"twice ({old.source} and {flavor.source})"
            )
        self._flavors[flavor.key] = flavor

    def register_all(self, flavors: Iterable[Flavor]) -> None:
        """Add several flavors."""
        for flavor in flavors:
            self.register(flavor)

    def all(self) -> list[Flavor]:
        """Every flavor, sorted by type, name and cloud."""
        return sorted(
            self._flavors.values(),
            key=lambda f: (list(ComponentType).index(f.type), f.name, f.cloud),
        )

    def flavors_for(self, type_: ComponentType, cloud: Cloud | None = None) -> list[Flavor]:
        """The flavors of one type, optionally on one cloud."""
        return [f for f in self.all() if f.type == type_ and (cloud is None or f.cloud == cloud)]

    def get(self, type_: ComponentType, name: str, cloud: Cloud) -> Flavor:
        """Resolve a flavor, or explain what exists instead."""
        flavor = self._flavors.get((type_, name, cloud))
        if flavor is not None:
            return flavor
        elsewhere = sorted(str(f.cloud) for f in self.all() if f.type == type_ and f.name == name)
        here = [f.name for f in self.flavors_for(type_, cloud)]
        offered = ", ".join(here) if here else "none"
        if elsewhere:
            raise CatalogError(
                f"flavor {name!r} of {type_} is not offered on cloud {cloud!s} "
                f"(it is offered on: {', '.join(elsewhere)}); flavors on {cloud!s}: {offered}"
            )
        raise CatalogError(f"unknown {type_} flavor {name!r}; flavors on {cloud!s}: {offered}")


def _load_entry_points(registry: FlavorRegistry) -> None:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
            found = obj() if callable(obj) and not isinstance(obj, Flavor) else obj
            items = [found] if isinstance(found, Flavor) else list(found)
            for flavor in items:
                if not isinstance(flavor, Flavor):
                    raise TypeError(f"expected Flavor, got {type(flavor).__name__}")
                registry.register(_with_source(flavor, f"entry point {ep.name}"))
        except CatalogError:
            raise
        except Exception as exc:  # a broken plugin must not break the tool
            log.warning("skipping flavor plugin %s (%s): %s", ep.name, ep.value, exc)


def _with_source(flavor: Flavor, source: str) -> Flavor:
    from dataclasses import replace

    return replace(flavor, source=source) if flavor.source == "builtin" else flavor


_registry: FlavorRegistry | None = None


def registry() -> FlavorRegistry:
    """The process-wide registry, built on first use."""
    global _registry
    if _registry is None:
        reg = FlavorRegistry()
        for module in BUILTIN_MODULES:
            reg.register_all(importlib.import_module(module).FLAVORS)
        _load_entry_points(reg)
        _registry = reg
    return _registry


def reset_registry() -> None:
    """Forget the registry so the next call rebuilds it (used by tests and plugins)."""
    global _registry
    _registry = None
