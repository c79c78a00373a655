"""Azure flavors' connection models: what a deploy writes into the stack config for each.

Keys a component type has on every cloud (``uri``, ``cluster_name``, ``tracking_uri``...)
sit at the top; what only Azure has sits under the one ``azure`` key. A stack config written
when some of those keys sat elsewhere still loads: each model's ``MOVED`` moves them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from provisioner.catalog.flavor import Connection, StrictModel
from provisioner.recipes.kube_connection import KubernetesClusterConnection

Text = Annotated[str, Field(min_length=1)]
ResourceId = Annotated[str, Field(pattern=r"^/subscriptions/[^/]+/resourceGroups/[^/]+/")]
Https = Annotated[str, Field(pattern=r"^https?://")]


class AzureStorageExtras(StrictModel):
    """Where the container lives: the storage account's blob endpoint and ids."""

    account_url: Https
    account_name: Text
    storage_account_id: ResourceId | None = None
    resource_group: Text | None = None


class AzureBlobArtifactStoreConnection(Connection):
    """``{"uri": "az://container/prefix", "azure": {"account_url", "account_name", ...}}``;
    a top-level ``account_url`` and ``account_name`` are read too, for hand-written files
    (Azurite)."""

    uri: Annotated[str, Field(pattern=r"^az://[^/]+(/.*)?$")]
    azure: AzureStorageExtras | None = None
    account_url: Https | None = None
    account_name: Text | None = None


class AzureRegistryExtras(StrictModel):
    """The registry itself, for ``az acr login --name``."""

    registry_name: Text
    login_server: Text
    registry_id: ResourceId | None = None


class ACRContainerRegistryConnection(Connection):
    """``{"uri": "<registry>.azurecr.io/<repository>", "azure": {...}}``."""

    uri: Text
    azure: AzureRegistryExtras | None = None


class AKSExtras(StrictModel):
    """The AKS cluster's location and resource group, and the identity steps run as."""

    subscription_id: Text
    resource_group: Text
    region: Text | None = None
    runner_client_id: Text | None = None
    tenant_id: Text | None = None


class AKSOrchestratorConnection(KubernetesClusterConnection):
    """The keys of every cloud's kubernetes connection; ``azure`` holds what only AKS has."""

    MOVED = {
        "azure.endpoint": "endpoint",
        "azure.credentials_command": "credentials_command",
        "region": "azure.region",
    }

    azure: AKSExtras | None = None


class AzureMLExtras(StrictModel):
    """The workspace and the compute cluster jobs run on."""

    subscription_id: Text
    resource_group: Text
    workspace_name: Text
    compute_name: Text
    identity_client_id: Text | None = None


class AzureMLConnection(Connection):
    """``{"region", "instance_type", "azure": {workspace, compute...}}``."""

    region: Text
    instance_type: Text
    azure: AzureMLExtras


class ACRTasksExtras(StrictModel):
    """The registry ACR Tasks runs in."""

    registry_name: Text
    resource_group: Text
    subscription_id: Text
    identity_client_id: Text | None = None
    timeout_seconds: int | None = None
    platform: Text | None = None


class ACRTasksImageBuilderConnection(Connection):
    """``{"source_uri": "az://container/prefix", "azure": {registry...}}``; optional
    ``base_image`` and ``poll_interval`` (seconds) for the runtime builder."""

    source_uri: Annotated[str, Field(pattern=r"^az://")]
    azure: ACRTasksExtras
    base_image: Text | None = None
    poll_interval: Annotated[float, Field(gt=0)] | None = None


class AzureMLflowExtras(StrictModel):
    """The workspace whose MLflow server this is, its region, and its HTTPS URL."""

    subscription_id: Text
    resource_group: Text
    workspace_name: Text
    region: Text | None = None
    tracking_server_url: Text | None = None


class AzureMLflowConnection(Connection):
    """The workspace's MLflow tracking URI (``azureml://...``) and, for the model registry,
    ``registry_uri``; ``azure`` holds the workspace."""

    MOVED = {"region": "azure.region", "tracking_server_url": "azure.tracking_server_url"}

    tracking_uri: Text
    registry_uri: Text | None = None
    azure: AzureMLflowExtras | None = None


class SlackKeyVaultExtras(StrictModel):
    """The Key Vault that holds the secret."""

    key_vault_uri: Text | None = None


class SlackAlerterConnection(Connection):
    """``{"webhook_secret", "channel", "azure": {"key_vault_uri"}}``: the Key Vault secret's
    id holding the webhook URL (a reference, never the value)."""

    MOVED = {"azure.webhook_secret_id": "webhook_secret"}

    webhook_secret: Annotated[str, Field(pattern=r"^https://[a-z0-9-]+\.vault\.")]
    channel: str | None = None
    azure: SlackKeyVaultExtras | None = None
