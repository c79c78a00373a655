"""What the thin resource layers share (:mod:`provisioner.recipes.kube_objects`,
:mod:`provisioner.recipes.aws.sdk`): the provider plugin version a typed Pulumi SDK asks for,
read without importing it, and the SDKs' name translations."""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Iterable

import pulumi

_PEP440 = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:(a|b|rc)(\d+))?(?:\.dev(\d+))?(?:\+(.+))?$")
_PRE = {"a": "alpha", "b": "beta", "rc": "rc"}
_UPPER = re.compile(r"(?<!^)(?=[A-Z])")


def sdk_plugin_version(distribution: str) -> str:
    """The provider plugin version the installed SDK ``distribution`` asks for.

    Read from the distribution's metadata and turned into semver as the generated SDKs do
    (``4.34.2``, ``4.35.0-alpha.1``, ``4.35.0-dev.3``).
    """
    text = importlib.metadata.version(distribution)
    found = _PEP440.match(text)
    if found is None:
        return text
    major, minor, patch, tag, pre, dev, local = found.groups()
    version = f"{major}.{minor}.{patch}"
    if tag:
        return f"{version}-{_PRE[tag]}.{pre}"
    if dev is not None:
        return f"{version}-dev.{dev}"
    if local:
        return f"{version}-{local}"
    return version


def snake(name: str) -> str:
    """``tagsAll`` -> ``tags_all``: an engine property's name as the typed SDKs spell it."""
    return _UPPER.sub("_", name).lower()


def camel(name: str) -> str:
    """``tags_all`` -> ``tagsAll``: a Python argument's name as the engine spells it."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def snake_attributes(resource: pulumi.Resource, names: Iterable[str]) -> None:
    """Give a thin resource's properties their snake_case attributes.

    A thin resource registers its properties under the engine's camelCase names, and the SDK
    makes an Output attribute of each (``tagsAll``), resolved from the engine's key of the same
    name; nested keys stay the engine's. This sets ``tags_all`` to that same Output, as the
    typed classes name it.
    """
    for name in names:
        attribute = snake(name)
        if attribute != name:
            setattr(resource, attribute, getattr(resource, name))
