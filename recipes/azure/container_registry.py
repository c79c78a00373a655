"""Recipe: the Azure container registry (ACR), admin user disabled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.azure import names, siblings
from provisioner.recipes.azure.base import component_options, stack_base
from provisioner.recipes.azure.flavors import REGISTRY_PROTECTED_HINT, ACRContainerRegistryConfig
from provisioner.recipes.azure.sdk import azure


def registry_protected_hint(error_text: str) -> str | None:
    """The hint to show when a destroy stopped at the protected registry, else None."""
    return REGISTRY_PROTECTED_HINT if "protect" in error_text.lower() else None


def default_registry_name(stack: str) -> str:
    """``<stack without dashes>acr<hash>``, at most 50 letters and digits."""
    return names.compact(stack, "acr", names.CONTAINER_REGISTRY[1])


@dataclass(frozen=True)
class AzureContainerRegistryArgs:
    """Inputs of an AzureContainerRegistry.

    Attributes:
        location: Azure location of the registry.
        tags: tags of every taggable resource.
        registry_name: the registry's (global) name.
        config: the flavor's settings.
    """

    location: str
    tags: dict[str, str]
    registry_name: str
    config: ACRContainerRegistryConfig

    @classmethod
    def from_config(
        cls, config: ACRContainerRegistryConfig, ctx: RecipeContext
    ) -> AzureContainerRegistryArgs:
        """Args from the flavor config and the stack."""
        return cls(
            location=ctx.spec.location_name,  # type: ignore[union-attr]
            tags=ctx.tags,
            registry_name=config.registry_name or default_registry_name(ctx.spec.name),
            config=config,
        )


class AzureContainerRegistry(pulumi.ComponentResource):
    """An ACR registry: no admin user, no anonymous pull; access by Entra ID role only.

    Connection: ``{"uri": "<login server>/<repository>", "azure": {"registry_name",
    "login_server", "registry_id"}}``. Siblings use ``registry_ref`` to grant pull or push.
    """

    TYPE = "provisioner:azure:ContainerRegistry"

    def __init__(
        self,
        name: str,
        config: ACRContainerRegistryConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, component_options(ctx, opts))
        args = self.args = AzureContainerRegistryArgs.from_config(config, ctx)
        base = stack_base(ctx)
        self.registry = azure.containerregistry.Registry(
            f"{name}-registry",
            registry_name=args.registry_name,
            resource_group_name=base.group.name,
            location=args.location,
            sku={"name": config.sku},
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=not config.force_delete),
        )
        self.registry_ref = siblings.RegistryRef(
            id=self.registry.id, name=args.registry_name, login_server=self.registry.login_server
        )
        self.connection: dict[str, Any] = {
            "uri": pulumi.Output.concat(self.registry.login_server, "/", config.repository),
            "azure": {
                "registry_name": args.registry_name,
                "login_server": self.registry.login_server,
                "registry_id": self.registry.id,
            },
        }
        self.register_outputs({"registry_id": self.registry.id, "connection": self.connection})
