"""Recipe: the ACR Tasks image builder: images are built and pushed inside the registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.azure import roles, siblings
from provisioner.recipes.azure.base import component_options, stack_base
from provisioner.recipes.azure.flavors import ACRTasksImageBuilderConfig


@dataclass(frozen=True)
class AzureImageBuilderArgs:
    """Inputs of an AzureImageBuilder.

    Attributes:
        config: the flavor's settings.
        container: the artifact container build contexts are uploaded to.
        registry: the registry whose tasks build and receive the images.
    """

    config: ACRTasksImageBuilderConfig
    container: siblings.ContainerRef
    registry: siblings.RegistryRef

    @classmethod
    def from_config(
        cls, config: ACRTasksImageBuilderConfig, ctx: RecipeContext
    ) -> AzureImageBuilderArgs:
        """Args from the flavor config and the stack's sibling components."""
        who = "image_builder 'azure'"
        return cls(
            config=config,
            container=siblings.artifact_container(ctx, who),
            registry=siblings.container_registry(ctx, who),
        )


class AzureImageBuilder(pulumi.ComponentResource):
    """Lets the runtime identities run ACR Tasks (``az acr build``) on the stack's registry:
    a quick task builds the uploaded context and pushes to that registry, with the registry's
    own credentials. Nothing else is created, so nothing bills until a build runs.

    Connection: ``{"source_uri": "az://<container>/<source_prefix>", "azure":
    {"registry_name", "resource_group", "subscription_id", "timeout_seconds", "platform"}}``.
    """

    TYPE = "provisioner:azure:ImageBuilder"

    def __init__(
        self,
        name: str,
        config: ACRTasksImageBuilderConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, component_options(ctx, opts))
        args = self.args = AzureImageBuilderArgs.from_config(config, ctx)
        base = stack_base(ctx)
        self.grants = [
            roles.assign(
                f"{name}-tasks-{label}",
                stack=ctx.spec.name,
                role="Container Registry Tasks Contributor",
                on="container registry",
                scope=args.registry.id,
                principal_id=who.principal_id,
                principal_type=who.type,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for label, who in siblings.runtime_identities(ctx).items()
        ]
        self.connection: dict[str, Any] = {
            "source_uri": f"az://{args.container.container}/{config.source_prefix}",
            "azure": {
                "registry_name": args.registry.name,
                "resource_group": base.name,
                "subscription_id": base.subscription_id,
                "timeout_seconds": config.build_timeout_minutes * 60,
                "platform": config.platform,
            },
        }
        self.register_outputs({"connection": self.connection})
