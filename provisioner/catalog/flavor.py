"""What a flavor declares: its type, name, clouds, config model, recipe and runtime."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from provisioner.catalog.types import Cloud, ComponentType

if TYPE_CHECKING:
    import pulumi

    from provisioner.spec.models import StackSpec


class StrictModel(BaseModel):
    """Base of every user-facing model: unknown keys are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FlavorConfig(StrictModel):
    """Base of every flavor's config model. Flavors with no settings use it as is."""


@dataclass(frozen=True)
class RecipeContext:
    """What a recipe sees of the stack it is part of.

    Attributes:
        spec: the whole validated stack definition.
        components: recipes already built in this program, by component type, so a
            recipe can reference its siblings (an orchestrator role granting access to
            the artifact bucket, for example).
        base_dir: the definition file's folder; relative paths in flavor configs are
            relative to it, wherever the command runs from.
    """

    spec: StackSpec
    components: dict[ComponentType, pulumi.ComponentResource] = field(default_factory=dict)
    base_dir: Path | None = None

    @property
    def tags(self) -> dict[str, str]:
        """Tags every taggable resource gets: the definition's, the stack name and manager."""
        return {**self.spec.tags, "stack": self.spec.name, "managed-by": "provisioner"}


#: A recipe builder: (name, config, context) -> ComponentResource exposing ``connection``.
RecipeBuilder = Callable[[str, FlavorConfig, RecipeContext], "pulumi.ComponentResource"]


def load_object(ref: str) -> Any:
    """Import ``"package.module:attr"`` on demand."""
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class Flavor:
    """One flavor of one component type on one cloud.

    Attributes:
        type: the component type it implements.
        name: the flavor's name, as written in stack definitions.
        cloud: the cloud its recipe provisions on.
        config_model: pydantic model of the flavor's ``config`` block; importing it must not
            import any cloud SDK.
        recipe: ``"module:attr"`` of the recipe builder, imported only when the program runs.
        implementation: ``"module:attr"`` of the runtime implementation, or None if the
            runtime has nothing to do for this flavor.
        description: one line shown in ``provisioner component list``.
        dynamic_only: True when the recipe creates only Pulumi dynamic resources, so the
            embedded engine can deploy it without the Pulumi CLI or provider plugins.
        source: ``"builtin"`` or the entry point that registered it.
    """

    type: ComponentType
    name: str
    cloud: Cloud
    config_model: type[FlavorConfig]
    recipe: str
    implementation: str | None = None
    description: str = ""
    dynamic_only: bool = False
    source: str = "builtin"

    @property
    def key(self) -> tuple[ComponentType, str, Cloud]:
        """The catalog key."""
        return (self.type, self.name, self.cloud)

    def load_recipe(self) -> RecipeBuilder:
        """Import the recipe builder (this may import a cloud's Pulumi SDK)."""
        return load_object(self.recipe)

    def load_implementation(self) -> Any:
        """Import the runtime implementation, or None."""
        return load_object(self.implementation) if self.implementation else None
