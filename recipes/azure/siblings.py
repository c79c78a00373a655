"""Look up the sibling components an Azure recipe builds on, with a clear error when missing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provisioner.catalog.flavor import RecipeContext
from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError


@dataclass(frozen=True)
class ContainerRef:
    """The stack's artifact container, as other recipes see it."""

    account_id: Any
    account_name: Any
    account_url: Any
    container: str
    scope: Any
    prefix: str


@dataclass(frozen=True)
class RegistryRef:
    """The stack's container registry, as other recipes see it."""

    id: Any
    name: Any
    login_server: Any


@dataclass(frozen=True)
class Identity:
    """A principal the runtime acts as, to be granted what a component's use needs.

    Attributes:
        principal_id: its object id.
        type: ``ServicePrincipal`` (a managed identity), ``User`` or ``Group``.
    """

    principal_id: Any
    type: str


def artifact_container(ctx: RecipeContext, needed_by: str) -> ContainerRef:
    """The Azure artifact store of the stack, or an error naming who needs it."""
    store = ctx.components.get(ComponentType.ARTIFACT_STORE)
    ref = getattr(store, "container_ref", None)
    if ref is None:
        raise _missing(needed_by, "an artifact_store of flavor 'azure'")
    return ref


def container_registry(ctx: RecipeContext, needed_by: str) -> RegistryRef:
    """The Azure container registry of the stack, or an error naming who needs it."""
    ref = optional_registry(ctx)
    if ref is None:
        raise _missing(needed_by, "a container_registry of flavor 'azure'")
    return ref


def optional_registry(ctx: RecipeContext) -> RegistryRef | None:
    """The registry if the stack has one."""
    return getattr(ctx.components.get(ComponentType.CONTAINER_REGISTRY), "registry_ref", None)


def runtime_identities(ctx: RecipeContext) -> dict[str, Identity]:
    """Every principal the runtime acts as, by a label for resource names: the identities
    steps run as (``orchestrator``, ``step-operator``), the stack user identity
    (``stack-user``) and the listed users (``user-<hash>``)."""
    out: dict[str, Identity] = {}
    for component in ctx.components.values():
        out.update(getattr(component, "identities", None) or {})
    return out


def _missing(needed_by: str, what: str) -> UserInputError:
    return UserInputError(
        f"{needed_by} needs {what} in the same stack",
        hint=f"add {what} under 'components' in the stack definition",
    )
