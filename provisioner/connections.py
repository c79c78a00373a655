"""Check each component's connection in a stack config against its flavor's connection model."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from provisioner.catalog.flavor import validate_data
from provisioner.catalog.registry import registry
from provisioner.catalog.types import Cloud, ComponentType

if TYPE_CHECKING:
    from provisioner.spec.yamlsource import LineMap
    from provisioner.stackconfig import StackConfig

Problem = tuple[str, int | None, str]

#: Fields where a wrong value may be a pasted secret (a webhook URL for its secret's ARN).
_SECRETISH = re.compile(r"secret|password|token|webhook|key", re.IGNORECASE)


def connection_model(type_: ComponentType, flavor: str, cloud: Cloud) -> type[BaseModel] | None:
    """The connection model of a flavor, or None when no known flavor declares one.

    The runtime picks a component's implementation by flavor name, so a flavor not offered
    on the stack's cloud is checked with the model of that name on another cloud, when
    exactly one model fits.
    """
    exact = [f for f in registry().flavors_for(type_, cloud) if f.name == flavor]
    candidates = exact or [f for f in registry().flavors_for(type_) if f.name == flavor]
    models = {f.connection_model for f in candidates if f.connection_model is not None}
    return models.pop() if len(models) == 1 else None


def connection_problems(config: StackConfig, lines: LineMap) -> list[Problem]:
    """Every way the components' connection configs do not fit their flavors' models."""
    from provisioner.spec.loader import problems_from

    problems: list[Problem] = []
    for type_, comp in config.components.items():
        model = connection_model(type_, comp.flavor, config.cloud)
        if model is None:
            continue
        try:
            validate_data(model, comp.config)
        except ValidationError as exc:
            for field, line, message in problems_from(
                exc, ("components", str(type_), "config"), lines
            ):
                if _SECRETISH.search(field.rsplit(".", 1)[-1]):
                    message = message.split("; got ")[0] + "; the value is not shown"
                problems.append((field, line, message))
    return problems


def upgrade_connections(config: StackConfig) -> StackConfig:
    """``config`` with every connection key a flavor has moved (``Connection.MOVED``) at its
    new place, so the runtime reads one shape whichever provisioner wrote the file."""
    components = {}
    for type_, comp in config.components.items():
        model = connection_model(type_, comp.flavor, config.cloud)
        upgrade = getattr(model, "upgrade", None)
        new = upgrade(comp.config) if upgrade is not None else comp.config
        components[type_] = comp if new is comp.config else comp.model_copy(update={"config": new})
    return config.model_copy(update={"components": components})
