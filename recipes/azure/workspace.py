"""Recipe part: the stack's AzureML workspace and what it depends on (key vault, Application
Insights with its Log Analytics workspace, and its own storage account).

The azureml orchestrator, the azureml step operator and the mlflow flavors share one
workspace; it sits in its own component at the stack's root, so it stays put whichever of
them the stack has.
"""

from __future__ import annotations

from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.azure import names, roles, siblings
from provisioner.recipes.azure.base import component_options, stack_base
from provisioner.recipes.azure.sdk import azure

_KEY = "azure:ml-workspace"


def default_workspace_name(stack: str) -> str:
    """``<stack>-ml``, within AzureML's 33 characters."""
    return names.fit(f"{stack}-ml", names.ML_WORKSPACE[1])


class AzureMLWorkspace(pulumi.ComponentResource):
    """An AzureML workspace with a system identity, and its dependent resources.

    Attributes:
        workspace: the workspace (``ml_flow_tracking_uri`` is its MLflow server).
        workspace_name: its name.
    """

    TYPE = "provisioner:azure:MLWorkspace"

    def __init__(self, name: str, ctx: RecipeContext, workspace_name: str | None) -> None:
        super().__init__(self.TYPE, name, None, component_options(ctx, None))
        base = stack_base(ctx)
        stack = ctx.spec.name
        location = base.location
        tags = ctx.tags
        child = pulumi.ResourceOptions(parent=self)
        group = base.group.name
        self.storage = azure.storage.StorageAccount(
            f"{name}-storage",
            account_name=names.compact(stack, "mlst", names.STORAGE_ACCOUNT[1]),
            resource_group_name=group,
            location=location,
            kind="StorageV2",
            sku={"name": "Standard_LRS"},
            enable_https_traffic_only=True,
            minimum_tls_version="TLS1_2",
            allow_blob_public_access=False,
            allow_shared_key_access=False,
            default_to_o_auth_authentication=True,
            allow_cross_tenant_replication=False,
            tags=tags,
            opts=child,
        )
        self.key_vault = azure.keyvault.Vault(
            f"{name}-vault",
            vault_name=names.dashed(stack, "mlkv", names.KEY_VAULT[1]),
            resource_group_name=group,
            location=location,
            properties={
                "tenant_id": base.tenant_id,
                "sku": {"family": "A", "name": "standard"},
                "enable_rbac_authorization": True,
                "soft_delete_retention_in_days": 7,
            },
            tags=tags,
            opts=child,
        )
        self.logs = azure.operationalinsights.Workspace(
            f"{name}-logs",
            workspace_name=names.fit(f"{stack}-ml-logs", names.LOG_WORKSPACE[1]),
            resource_group_name=group,
            location=location,
            sku={"name": "PerGB2018"},
            retention_in_days=30,
            tags=tags,
            opts=child,
        )
        self.insights = azure.applicationinsights.Component(
            f"{name}-insights",
            resource_name_=names.fit(f"{stack}-ml-insights", names.APP_INSIGHTS[1]),
            resource_group_name=group,
            location=location,
            kind="web",
            application_type="web",
            workspace_resource_id=self.logs.id,
            ingestion_mode="LogAnalytics",
            tags=tags,
            opts=child,
        )
        self.workspace_name = workspace_name or default_workspace_name(stack)
        self.workspace = azure.machinelearningservices.Workspace(
            f"{name}-workspace",
            workspace_name=self.workspace_name,
            resource_group_name=group,
            location=location,
            identity={"type": "SystemAssigned"},
            sku={"name": "Basic", "tier": "Basic"},
            storage_account=self.storage.id,
            key_vault=self.key_vault.id,
            application_insights=self.insights.id,
            system_datastores_auth_mode="identity",
            tags=tags,
            opts=child,
        )
        self.subscription_id = base.subscription_id
        self.resource_group = base.name
        self.tracking_uri: pulumi.Output[str] = self.workspace.ml_flow_tracking_uri
        self._granted: set[str] = set()
        self.register_outputs(
            {"workspace_id": self.workspace.id, "tracking_uri": self.tracking_uri}
        )

    def grant_data_scientist(
        self, owner: pulumi.ComponentResource, name: str, stack: str, who: dict[str, Any]
    ) -> list[Any]:
        """``AzureML Data Scientist`` on this workspace to each identity not granted yet."""
        out = []
        for label, identity in who.items():
            key = str(label)
            if key in self._granted:
                continue
            self._granted.add(key)
            out.append(
                roles.assign(
                    f"{name}-ml-{label}",
                    stack=stack,
                    role="AzureML Data Scientist",
                    on="AzureML workspace",
                    scope=self.workspace.id,
                    principal_id=identity.principal_id,
                    principal_type=identity.type,
                    opts=pulumi.ResourceOptions(parent=owner),
                )
            )
        return out


def ml_workspace(ctx: RecipeContext, workspace_name: str | None = None) -> AzureMLWorkspace:
    """The stack's AzureML workspace, created on first use in this program."""
    found = ctx.shared.get(_KEY)
    if found is None:
        found = ctx.shared[_KEY] = AzureMLWorkspace(
            f"{ctx.spec.name}-ml-workspace", ctx, workspace_name
        )
    return found


__all__ = ["AzureMLWorkspace", "ml_workspace", "siblings"]
