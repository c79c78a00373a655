"""Recipes: AzureML orchestrator and step operator, each a compute cluster under its own identity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.azure import names, roles, siblings
from provisioner.recipes.azure.base import component_options, stack_base
from provisioner.recipes.azure.flavors import AzureMLConfig
from provisioner.recipes.azure.sdk import azure
from provisioner.recipes.azure.workspace import ml_workspace


@dataclass(frozen=True)
class AzureMLArgs:
    """Inputs of an AzureML compute cluster.

    Attributes:
        location: Azure location.
        tags: tags of every taggable resource.
        config: the flavor's settings.
        container: the artifact container jobs read and write.
        registry: the registry jobs pull their images from, if any.
    """

    location: str
    tags: dict[str, str]
    config: AzureMLConfig
    container: siblings.ContainerRef
    registry: siblings.RegistryRef | None

    @classmethod
    def from_config(cls, config: AzureMLConfig, ctx: RecipeContext, who: str) -> AzureMLArgs:
        """Args from the flavor config, the stack and its sibling components."""
        return cls(
            location=ctx.spec.location_name,  # type: ignore[union-attr]
            tags=ctx.tags,
            config=config,
            container=siblings.artifact_container(ctx, who),
            registry=siblings.optional_registry(ctx),
        )


AzureMLOrchestratorArgs = AzureMLArgs
AzureMLStepOperatorArgs = AzureMLArgs


class _AzureMLCompute(pulumi.ComponentResource):
    """A compute cluster (0 nodes when idle) whose jobs run as a user-assigned identity that
    may only read and write the artifact container and pull from the registry."""

    TYPE: ClassVar[str]
    WHO: ClassVar[str]
    LABEL: ClassVar[str]
    SUFFIX: ClassVar[str]

    def __init__(
        self,
        name: str,
        config: AzureMLConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, component_options(ctx, opts))
        args = self.args = AzureMLArgs.from_config(config, ctx, self.WHO)
        base = stack_base(ctx)
        stack = ctx.spec.name
        child = pulumi.ResourceOptions(parent=self)
        # The identities of components built before this one start its jobs.
        starters = siblings.runtime_identities(ctx)
        self.workspace = ml_workspace(ctx, config.workspace_name)
        self.identity = azure.managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=names.fit(f"{name}-jobs", names.IDENTITY[1]),
            resource_group_name=base.group.name,
            location=args.location,
            tags=args.tags,
            opts=child,
        )
        jobs = siblings.Identity(self.identity.principal_id, "ServicePrincipal")
        self.grants = [
            roles.assign(
                f"{name}-jobs-blob",
                stack=stack,
                role="Storage Blob Data Contributor",
                on="artifact container",
                scope=args.container.scope,
                principal_id=jobs.principal_id,
                principal_type=jobs.type,
                opts=child,
            )
        ]
        if args.registry is not None:
            self.grants.append(
                roles.assign(
                    f"{name}-jobs-pull",
                    stack=stack,
                    role="AcrPull",
                    on="container registry",
                    scope=args.registry.id,
                    principal_id=jobs.principal_id,
                    principal_type=jobs.type,
                    opts=child,
                )
            )
        self.compute_name = names.compact(stack, self.SUFFIX, names.ML_COMPUTE[1], lower=True)
        ml = azure.machinelearningservices
        self.compute = ml.Compute(
            f"{name}-compute",
            compute_name=self.compute_name,
            workspace_name=self.workspace.workspace.name,
            resource_group_name=base.group.name,
            location=args.location,
            identity={
                "type": "UserAssigned",
                "user_assigned_identities": [self.identity.id],
            },
            # A union type: only typed args get their keys translated for the API.
            properties=ml.AmlComputeArgs(
                compute_type="AmlCompute",
                disable_local_auth=True,
                properties=ml.AmlComputePropertiesArgs(
                    vm_size=config.vm_size,
                    vm_priority="LowPriority" if config.low_priority else "Dedicated",
                    os_type="Linux",
                    remote_login_port_public_access="Disabled",
                    scale_settings=ml.ScaleSettingsArgs(
                        min_node_count=0,
                        max_node_count=config.max_nodes,
                        node_idle_time_before_scale_down=(
                            f"PT{config.idle_minutes_before_scale_down}M"
                        ),
                    ),
                ),
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.grants),
        )
        # Whoever runs pipelines submits jobs to the workspace.
        self.workspace_grants = self.workspace.grant_data_scientist(
            self, name, stack, {**starters, self.LABEL: jobs}
        )
        self.identities: dict[str, siblings.Identity] = {self.LABEL: jobs}
        self.connection: dict[str, Any] = {
            "region": args.location,
            "instance_type": config.vm_size,
            "azure": {
                "subscription_id": base.subscription_id,
                "resource_group": base.name,
                "workspace_name": self.workspace.workspace_name,
                "compute_name": self.compute_name,
                "identity_client_id": self.identity.client_id,
            },
        }
        self.register_outputs({"compute_id": self.compute.id, "connection": self.connection})


class AzureMLOrchestrator(_AzureMLCompute):
    """Runs pipelines as AzureML pipeline jobs on the stack's compute cluster.

    Connection: ``{"region", "instance_type", "azure": {"subscription_id", "resource_group",
    "workspace_name", "compute_name", "identity_client_id"}}``.
    """

    TYPE = "provisioner:azure:AzureMLOrchestrator"
    WHO = "orchestrator 'azureml'"
    LABEL = "orchestrator"
    SUFFIX = "pipe"


class AzureMLStepOperator(_AzureMLCompute):
    """Runs single steps as AzureML command jobs on its own compute cluster.

    Connection: as the orchestrator's.
    """

    TYPE = "provisioner:azure:AzureMLStepOperator"
    WHO = "step_operator 'azureml'"
    LABEL = "step-operator"
    SUFFIX = "step"
