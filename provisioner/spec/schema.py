"""The JSON Schema of stack definitions, generated from the models and the flavor registry."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, TypeAdapter, create_model

from provisioner.catalog.flavor import StrictModel
from provisioner.catalog.registry import FlavorRegistry, registry
from provisioner.catalog.types import Cloud, ComponentType
from provisioner.spec.models import MODELS

SCHEMA_ID = "https://provisioner.dev/schemas/stack-definition.json"


def _component_model(reg: FlavorRegistry, cloud: Cloud, type_: ComponentType) -> Any:
    variants = []
    for flavor in reg.flavors_for(type_, cloud):
        variants.append(
            create_model(
                f"{cloud.value.upper()}_{type_.value}_{flavor.name}".replace("-", "_"),
                __base__=StrictModel,
                __doc__=flavor.description or None,
                flavor=(Literal[flavor.name], ...),  # type: ignore[valid-type]
                config=(flavor.config_model, Field(default_factory=flavor.config_model)),
            )
        )
    if not variants:
        return None
    if len(variants) == 1:
        return variants[0]
    return Annotated[Union[tuple(variants)], Field(discriminator="flavor")]  # noqa: UP007


def _stack_model(reg: FlavorRegistry, cloud: Cloud) -> type[StrictModel]:
    fields: dict[str, Any] = {}
    for type_ in ComponentType:
        model = _component_model(reg, cloud, type_)
        if model is not None:
            fields[type_.value] = (model, Field(default=None, description=type_.description))
    components = create_model(f"{cloud.value.upper()}Components", __base__=StrictModel, **fields)
    base = MODELS[cloud]
    return create_model(
        f"{base.__name__}Definition",
        __base__=base,
        __doc__=base.__doc__,
        components=(components, Field(description="Component type -> {flavor, config}.")),
    )


def stack_definition_schema(reg: FlavorRegistry | None = None) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) for stack definitions, one branch per cloud.

    Each component's ``config`` is typed by its flavor's config model, so editors can
    complete and check flavor settings too.
    """
    reg = reg or registry()
    union = Union[tuple(_stack_model(reg, c) for c in Cloud)]  # noqa: UP007
    adapter: TypeAdapter[Any] = TypeAdapter(Annotated[union, Field(discriminator="cloud")])
    schema = adapter.json_schema(by_alias=True)
    for cloud in Cloud:
        components = schema.get("$defs", {}).get(f"{cloud.value.upper()}Components")
        rules = _sibling_rules(reg, cloud)
        if components is not None and rules:
            components["allOf"] = rules
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "provisioner stack definition",
        **schema,
    }


def _sibling_rules(reg: FlavorRegistry, cloud: Cloud) -> list[dict[str, Any]]:
    """``Flavor.requires`` as JSON Schema: if a component has that flavor, then its siblings."""
    rules = []
    for flavor in reg.all():
        if flavor.cloud != cloud or not flavor.requires:
            continue
        rules.append(
            {
                "if": {
                    "properties": {
                        flavor.type.value: {
                            "properties": {"flavor": {"const": flavor.name}},
                            "required": ["flavor"],
                        }
                    },
                    "required": [flavor.type.value],
                },
                "then": {
                    "required": [need.type.value for need in flavor.requires],
                    "properties": {
                        need.type.value: {"properties": {"flavor": {"enum": list(need.flavors)}}}
                        for need in flavor.requires
                    },
                },
            }
        )
    return rules
