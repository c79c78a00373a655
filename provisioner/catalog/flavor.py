"""What a flavor declares: its type, name, clouds, config model, recipe and runtime."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, model_validator

from provisioner.catalog.types import Cloud, ComponentType

if TYPE_CHECKING:
    import pulumi

    from provisioner.spec.models import StackSpec


class StrictModel(BaseModel):
    """Base of every user-facing model: unknown keys are errors, not silently dropped.

    Validators are built on first use (``defer_build``): a command loads the models of every
    flavor but validates a few, and building them all cost a tenth of a second at start-up.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class FlavorConfig(StrictModel):
    """Base of every flavor's config model. Flavors with no settings use it as is.

    User data is validated with :func:`validate_data`, so types are never coerced.
    """


class Connection(StrictModel):
    """Base of every flavor's connection model: what a deploy writes into the stack config.

    ``MOVED`` maps a key's old dotted path to its new one (``{"bucket_arn": "aws.bucket_arn"}``):
    a stack config written before the key moved still validates, and :meth:`upgrade` gives
    the runtime the new shape.
    """

    MOVED: ClassVar[dict[str, str]] = {}

    @classmethod
    def upgrade(cls, data: Any) -> Any:
        """``data`` with every key at an old path moved to its new one (a new one wins)."""
        if not cls.MOVED or not isinstance(data, dict):
            return data
        data = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
        for old, new in cls.MOVED.items():
            *old_parents, old_key = old.split(".")
            source = data
            for part in old_parents:
                source = source.get(part) if isinstance(source, dict) else None
            if not isinstance(source, dict) or old_key not in source:
                continue
            value = source.pop(old_key)
            if old_parents and not source:
                data.pop(old_parents[0], None)
            *new_parents, new_key = new.split(".")
            target = data
            for part in new_parents:
                if not isinstance(target.get(part), dict):
                    target[part] = {}
                target = target[part]
            target.setdefault(new_key, value)
        return data

    @model_validator(mode="before")
    @classmethod
    def _move_old_keys(cls, data: Any) -> Any:
        return cls.upgrade(data)


Model = TypeVar("Model", bound=BaseModel)


def validate_data(model: type[Model], data: Any) -> Model:
    """Validate YAML or JSON data as the JSON Schema reads it: strictly, with no coercion.

    ``true`` is not the integer 1 and ``"yes"`` is not a boolean; a number with no
    fractional part (``4.0``) is an integer, as in JSON Schema; enums and literals take
    their values. Nested models are strict too.

    Raises:
        pydantic.ValidationError: the data does not fit; each error has its field path.
    """
    text = json.dumps(_integral_floats(data), default=str)
    return model.model_validate_json(text, strict=True)


def _integral_floats(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral_floats(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_integral_floats(v) for v in value]
    return value


@dataclass(frozen=True)
class Requirement:
    """A sibling component that a flavor's recipe builds on, in the same stack.

    Attributes:
        type: the component type the stack must also have.
        flavors: the flavors of that type that will do.
    """

    type: ComponentType
    flavors: tuple[str, ...]

    def describe(self) -> str:
        """``"an artifact_store of flavor 's3'"``."""
        names = " or ".join(repr(f) for f in self.flavors)
        article = "an" if str(self.type)[0] in "aeiou" else "a"
        return f"{article} {self.type} of flavor {names}"


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
        shared: resources several recipes of one cloud share (the Azure resource group),
            created by the first recipe that needs them, by a key the cloud's recipes choose.
    """

    spec: StackSpec
    components: dict[ComponentType, pulumi.ComponentResource] = field(default_factory=dict)
    base_dir: Path | None = None
    shared: dict[str, Any] = field(default_factory=dict, compare=False)

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
        requires: sibling components the recipe builds on; a definition without them is
            refused when it is loaded, before any recipe runs.
        connection_model: model of the connection the recipe exports into the stack config;
            loading a stack config checks it. None: not checked (a plugin may omit it).
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
    requires: tuple[Requirement, ...] = ()
    connection_model: type[Connection] | None = None
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
