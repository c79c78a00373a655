"""Recipe part: what every Azure component of a stack shares, the provider and the resource group.

One resource group per stack holds everything the stack creates; its name comes from the stack
name (or the definition's ``resource_group``). It sits in its own component at the stack's
root, so it stays put whichever components the stack has.
"""

from __future__ import annotations

from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.azure import names
from provisioner.recipes.azure.sdk import azure

_KEY = "azure:base"


def resource_group_name(stack: str) -> str:
    """The default resource group of a stack: ``rg-<stack>``."""
    return names.fit(f"rg-{stack}", names.RESOURCE_GROUP[1])


class AzureResourceGroup(pulumi.ComponentResource):
    """The stack's provider (its subscription, or the logged-in one) and resource group.

    Attributes:
        provider: the azure-native provider every Azure resource of the stack uses.
        group: the resource group.
        name: the resource group's name.
        location: the Azure location of the stack.
        subscription_id: the subscription (the definition's, else the deployer's).
        tenant_id: the deployer's tenant.
        deployer_object_id: the object id of the principal that deploys.
    """

    TYPE = "provisioner:azure:ResourceGroup"

    def __init__(self, name: str, ctx: RecipeContext) -> None:
        super().__init__(self.TYPE, name, None, None)
        spec = ctx.spec
        self.location: str = spec.location_name  # type: ignore[union-attr]
        configured = getattr(spec, "subscription_id", None)
        self.provider = azure.provider.Provider(
            f"{name}-provider",
            subscription_id=configured,
            location=self.location,
            opts=pulumi.ResourceOptions(parent=self),
        )
        client = azure.authorization.get_client_config_output(
            opts=pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
        )
        self.subscription_id: Any = configured or client.subscription_id
        self.tenant_id: Any = client.tenant_id
        self.deployer_object_id: Any = client.object_id
        self.name: str = getattr(spec, "resource_group", None) or resource_group_name(spec.name)
        self.group = azure.resources.ResourceGroup(
            f"{name}-group",
            resource_group_name=self.name,
            location=self.location,
            tags=ctx.tags,
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider),
        )
        self.register_outputs(
            {"resource_group_id": self.group.id, "subscription_id": self.subscription_id}
        )

    @property
    def options(self) -> pulumi.ResourceOptions:
        """Options for an Azure component: the stack's provider for every child."""
        return pulumi.ResourceOptions(providers=[self.provider])


def stack_base(ctx: RecipeContext) -> AzureResourceGroup:
    """The stack's resource group and provider, created on first use in this program."""
    base = ctx.shared.get(_KEY)
    if base is None:
        base = ctx.shared[_KEY] = AzureResourceGroup(f"{ctx.spec.name}-resource-group", ctx)
    return base


def component_options(
    ctx: RecipeContext, opts: pulumi.ResourceOptions | None
) -> pulumi.ResourceOptions:
    """``opts`` plus the stack's provider, for a component's ``super().__init__``."""
    return pulumi.ResourceOptions.merge(stack_base(ctx).options, opts)
