"""Recipes: step operators that need no infrastructure of their own."""

from __future__ import annotations

import pulumi

from provisioner.catalog.flavor import FlavorConfig, RecipeContext
from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes.common.config_only import ConfigOnlyComponent


class ProcessStepOperator(ConfigOnlyComponent):
    """Steps in their own Python processes here; connection: the config."""

    KIND = "ProcessStepOperator"


class KubernetesStepOperator(ConfigOnlyComponent):
    """Steps as Jobs on a cluster (the orchestrator's by default); connection: the config."""

    KIND = "KubernetesStepOperator"


class KubernetesModelDeployer(ConfigOnlyComponent):
    """Model servers as Deployments on the stack's cluster; connection: the config (the
    runtime takes every key it leaves out from the kubernetes orchestrator)."""

    KIND = "KubernetesModelDeployer"

    def __init__(
        self,
        name: str,
        config: FlavorConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        orchestrator = ctx.components.get(ComponentType.ORCHESTRATOR)
        connection = getattr(orchestrator, "connection", None) or {}
        if "namespace" not in connection:
            raise UserInputError(
                f"model_deployer 'kubernetes' on {ctx.spec.cloud} serves on the stack's "
                "cluster: it needs an orchestrator of flavor 'kubernetes' listed before it"
            )
        super().__init__(name, config, ctx, opts)
