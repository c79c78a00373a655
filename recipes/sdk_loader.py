"""Load a Pulumi cloud SDK's services one resource module at a time (``pulumi_aws``, ``pulumi_gcp``).

The generated Pulumi SDKs register their services (``aws.ec2``, ``gcp.container``, ...) as lazy
modules, but the first name read from one runs the service's ``__init__``, which imports every
resource of the service with its input and output types: megabytes of generated code for EC2 or
GKE, where a recipe needs a few classes. After :func:`per_resource`, a service answers
``gcp.container.NodePool`` by importing ``pulumi_gcp/container/node_pool.py`` (and what that
module imports), and runs the service's ``__init__`` only for a name it cannot place, or for
``dir()``. Every name resolves to the same object as with the plain SDK, and the package stays
whole for any other user. A service that is loaded already, or an SDK without lazy services, is
left as it is.
"""

from __future__ import annotations

import importlib
import os
from functools import cache
from types import ModuleType
from typing import Any


@cache
def _files(folder: str) -> dict[str, str]:
    """The folder's Python modules by name, and by name lowercased without underscores."""
    names = [e.name[:-3] for e in os.scandir(folder) if e.name.endswith(".py")]
    by_key = {name.replace("_", ""): name for name in names if not name.startswith("_")}
    return {**by_key, **{name: name for name in names}}


def _import(service: ModuleType, stem: str) -> ModuleType:
    return importlib.import_module(f"{service.__name__}.{stem}")


def _lookup(service: ModuleType, name: str) -> Any:
    """What ``service.<name>`` is once the service's ``__init__`` has run."""
    files = _files(service.__path__[0])
    if files.get(name) == name:
        # A submodule, which is what ``from . import outputs`` asks for. A ``get_x`` module's
        # function of the same name replaces it on the service, as the service's __init__ does.
        module = _import(service, name)
        if name not in vars(module):
            return module
        setattr(service, name, vars(module)[name])
        return vars(module)[name]
    key = name.lower().replace("_", "")
    for candidate in dict.fromkeys((key, key.removesuffix("args"))):
        if not name.startswith("_") and candidate in files:
            found = vars(_import(service, files[candidate]))
            if name in found:
                setattr(service, name, found[name])
                return found[name]
    _complete(service)
    return getattr(service, name)


def _complete(service: ModuleType) -> None:
    """Run the service's ``__init__`` (once): it imports everything the service has."""
    if vars(service).pop("__getattr__", None) is not None:
        vars(service).pop("__dir__", None)
        service.__spec__.loader.exec_module(service)  # type: ignore[union-attr]


def _per_resource(service: ModuleType) -> None:
    """Make a service that the SDK has not loaded yet load per resource."""
    if type(service).__name__ != "_LazyModule":
        return  # loaded already, or not the SDK's lazy module: left as it is

    def lookup(name: str) -> Any:
        return _lookup(service, name)

    def listing() -> list[str]:
        _complete(service)
        return sorted(vars(service))

    service.__class__ = ModuleType  # no load on every attribute read: only what is missing
    service.__getattr__ = lookup  # type: ignore[method-assign]
    service.__dir__ = listing  # type: ignore[method-assign]


def per_resource(sdk: ModuleType) -> ModuleType:
    """Make every lazy service of a Pulumi SDK package load one resource module at a time."""
    for service in list(vars(sdk).values()):
        if isinstance(service, ModuleType):
            _per_resource(service)
    return sdk
