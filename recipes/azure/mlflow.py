"""Recipes: MLflow experiment tracker and model registry on the AzureML workspace.

Every AzureML workspace serves MLflow's tracking and model registry APIs, with Entra ID auth
(the ``azureml-mlflow`` plugin turns the ``azureml://`` tracking URI into authenticated
requests). So there is no server to run, patch or secure, and no password: the stack config
holds the URI, and access is an ``AzureML Data Scientist`` role assignment on the workspace
for each identity the runtime acts as. The workspace bills nothing by itself; its key vault,
storage and Application Insights bill for what they hold.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.azure import siblings
from provisioner.recipes.azure.base import component_options
from provisioner.recipes.azure.flavors import AzureMLflowConfig
from provisioner.recipes.azure.workspace import ml_workspace


class _MLflowComponent(pulumi.ComponentResource):
    TYPE: ClassVar[str]
    WHO: ClassVar[str]

    def __init__(
        self,
        name: str,
        config: AzureMLflowConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, component_options(ctx, opts))
        siblings.artifact_container(ctx, self.WHO)  # the runtime's artifacts live there
        self.workspace = ml_workspace(ctx, config.workspace_name)
        self.grants = self.workspace.grant_data_scientist(
            self, name, ctx.spec.name, siblings.runtime_identities(ctx)
        )
        uri = self.workspace.tracking_uri
        self.connection: dict[str, Any] = {
            "tracking_uri": uri,
            "azure": {
                "subscription_id": self.workspace.subscription_id,
                "resource_group": self.workspace.resource_group,
                "workspace_name": self.workspace.workspace_name,
                "region": ctx.spec.location_name,  # type: ignore[union-attr]
                "tracking_server_url": uri.apply(lambda u: u.replace("azureml://", "https://", 1)),
            },
        }
        self._extend()
        self.register_outputs({"connection": self.connection})

    def _extend(self) -> None:
        """Add type-specific keys to the connection."""


class AzureMLflowExperimentTracker(_MLflowComponent):
    """The workspace's MLflow tracking server; the runtime identities may use it.

    Connection: ``{"tracking_uri" (azureml://), "azure": {"subscription_id",
    "resource_group", "workspace_name", "region", "tracking_server_url"}}``.
    """

    TYPE = "provisioner:azure:MLflowExperimentTracker"
    WHO = "experiment_tracker 'mlflow'"


class AzureMLflowModelRegistry(_MLflowComponent):
    """The workspace's MLflow model registry (the same workspace as the tracker).

    Connection: the tracker's, plus ``registry_uri``.
    """

    TYPE = "provisioner:azure:MLflowModelRegistry"
    WHO = "model_registry 'mlflow'"

    def _extend(self) -> None:
        self.connection["registry_uri"] = self.connection["tracking_uri"]
