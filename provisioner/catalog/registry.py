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


def module_cloud(module: str) -> Cloud | None:
    """The one cloud whose flavors a built-in module declares, or None for a module of any.

    A module named ``provisioner.recipes.<cloud>.flavors`` declares that cloud's flavors
    only (a test holds every built-in module to it), so a stack on AWS never imports the
    Azure models.
    """
    parts = module.split(".")
    if len(parts) == 4 and parts[:2] == ["provisioner", "recipes"] and parts[3] == "flavors":
        return Cloud(parts[2]) if parts[2] in set(Cloud) else None
    return None


class FlavorRegistry:
    """Every known flavor, keyed by (type, name, cloud).

    Args:
        modules: modules declaring flavors (``FLAVORS: list[Flavor]``), imported only when a
            flavor of their cloud is first asked for (see :func:`module_cloud`): a command on
            one stack pays for the models of its cloud, not every cloud's.
    """

    def __init__(self, modules: Iterable[str] = ()) -> None:
        self._flavors: dict[tuple[ComponentType, str, Cloud], Flavor] = {}
        self._pending = {module: module_cloud(module) for module in modules}

    def _load(self, cloud: Cloud | None = None) -> None:
        """Register the pending modules' flavors: those of ``cloud``, or all of them."""
        for module, serves in list(self._pending.items()):
            if cloud is None or serves is None or serves == cloud:
                flavors = importlib.import_module(module).FLAVORS
                del self._pending[module]
                for flavor in flavors:
                    self._add(flavor, replace=False)

    def register(self, flavor: Flavor, *, replace: bool = False) -> None:
        """Add a flavor; a clash with an existing key is an error unless ``replace``."""
        self._load(flavor.cloud)  # a clash with a built-in is found whatever the order
        self._add(flavor, replace=replace)

    def _add(self, flavor: Flavor, *, replace: bool) -> None:
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
        self._load()
        return sorted(
            self._flavors.values(),
            key=lambda f: (list(ComponentType).index(f.type), f.name, f.cloud),
        )

    def flavors_for(self, type_: ComponentType, cloud: Cloud | None = None) -> list[Flavor]:
        """The flavors of one type, optionally on one cloud."""
        self._load(cloud)
        return sorted(
            (f for f in self._flavors.values() if f.type == type_ and cloud in (None, f.cloud)),
            key=lambda f: (f.name, f.cloud),
        )

    def get(self, type_: ComponentType, name: str, cloud: Cloud) -> Flavor:
        """Resolve a flavor, or explain what exists instead."""
        self._load(cloud)
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
    """The process-wide registry, built on first use: every entry-point plugin is loaded
    then, each built-in module when its cloud is first asked for."""
    global _registry
    if _registry is None:
        reg = FlavorRegistry(BUILTIN_MODULES)
        _load_entry_points(reg)
        _registry = reg
    return _registry


def reset_registry() -> None:
    """Forget the registry so the next call rebuilds it (used by tests and plugins)."""
    global _registry
    _registry = None
