"""Azure flavors: their config models and catalog entries (no recipe code is imported here)."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from provisioner.catalog.flavor import Flavor, FlavorConfig, Requirement, StrictModel
from provisioner.catalog.types import Cloud, ComponentType
from provisioner.recipes.azure import cloud_checks, names
from provisioner.recipes.azure import connections as conn

#: What a user is told when a destroy stops at the protected storage account.
STORAGE_PROTECTED_HINT = (
    "The artifact storage account is protected, because deleting it deletes every artifact and "
    "run record in it for good (Azure deletes a storage account with its data, it never refuses "
    "a non-empty one). Copy out what you need (`az storage copy` or azcopy), then set "
    "`force_destroy: true` under the artifact_store config, deploy once so the setting takes "
    "effect, and destroy again."
)

#: What a user is told when a destroy stops at the protected container registry.
REGISTRY_PROTECTED_HINT = (
    "The container registry is protected, because deleting it deletes every image in it for "
    "good. Delete or copy the images you need (`az acr import`, `az acr repository delete`), "
    "then set `force_delete: true` under the container_registry config, deploy once so the "
    "setting takes effect, and destroy again."
)

_K8S_NAME = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
_BLOB_PREFIX = r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$"
_UUID = r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"
_VM_SIZE = r"^Standard_[A-Za-z0-9_]+$"


def _named(value: str | None, rule: names.Rule, what: str) -> str | None:
    if value is None:
        return value
    problem = names.problem(value, rule)
    if problem:
        raise ValueError(f"{what} {value!r} {problem}")
    return value


class Principal(StrictModel):
    """An Entra ID principal given the stack user's rights."""

    object_id: Annotated[
        str, Field(pattern=_UUID, description="Object id of the user, group or service principal.")
    ]
    type: Annotated[
        Literal["User", "Group", "ServicePrincipal"],
        Field(
            default="User",
            description="What the object id is. In the cluster, groups and service "
            "principals are bound by object id; AKS may name a person by their UPN instead, "
            "so give people the runner rights through a Group.",
        ),
    ]


class AzureBlobArtifactStoreConfig(FlavorConfig):
    """A private container in a locked-down storage account."""

    account_name: Annotated[
        str | None,
        Field(
            default=None,
            description="Storage account name (global, 3-24 lowercase letters and digits); "
            "default: the stack name and a short hash.",
        ),
    ]
    container_name: Annotated[
        str,
        Field(default="artifacts", description="Blob container holding artifacts and runs."),
    ]
    prefix: Annotated[
        str,
        Field(
            default="artifacts",
            pattern=_BLOB_PREFIX,
            max_length=512,
            description="Blob name prefix under which artifacts and run records are written.",
        ),
    ]
    sku: Annotated[
        Literal["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_RAGRS"],
        Field(default="Standard_LRS", description="Redundancy of the storage account."),
    ]
    versioning: Annotated[
        bool, Field(default=True, description="Keep older versions of overwritten blobs.")
    ]
    soft_delete_days: Annotated[
        int,
        Field(default=7, ge=0, le=365, description="Days deleted blobs stay restorable (0: off)."),
    ]
    noncurrent_expire_after_days: Annotated[
        int | None,
        Field(default=30, ge=1, description="Delete older blob versions after N days."),
    ]
    shared_key_access: Annotated[
        bool,
        Field(
            default=False,
            description="Allow account-key and SAS access. Off: every client signs in with Entra "
            "ID, as the runtime does (DefaultAzureCredential).",
        ),
    ]
    force_destroy: Annotated[
        bool,
        Field(
            default=False,
            description="Let destroy delete the storage account and all its data. Off by "
            "default, so a destroy stops with this hint: " + STORAGE_PROTECTED_HINT,
        ),
    ]

    @field_validator("account_name")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        return _named(value, names.STORAGE_ACCOUNT, "storage account name")

    @field_validator("container_name")
    @classmethod
    def _container(cls, value: str) -> str:
        return _named(value, names.STORAGE_CONTAINER, "container name") or value


class ACRContainerRegistryConfig(FlavorConfig):
    """An Azure Container Registry, admin user off."""

    registry_name: Annotated[
        str | None,
        Field(
            default=None,
            description="Registry name (global, 5-50 letters and digits); default: the stack "
            "name and a short hash.",
        ),
    ]
    repository: Annotated[
        str,
        Field(
            default="steps",
            pattern=r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$",
            max_length=256,
            description="Repository step images are pushed to.",
        ),
    ]
    sku: Annotated[
        Literal["Basic", "Standard", "Premium"],
        Field(default="Basic", description="Registry tier (Basic is the cheapest)."),
    ]
    force_delete: Annotated[
        bool,
        Field(
            default=False,
            description="Let destroy delete the registry and its images. Off by default, so a "
            "destroy stops with this hint: " + REGISTRY_PROTECTED_HINT,
        ),
    ]

    @field_validator("registry_name")
    @classmethod
    def _registry(cls, value: str | None) -> str | None:
        return _named(value, names.CONTAINER_REGISTRY, "registry name")


class AKSOrchestratorConfig(FlavorConfig):
    """An AKS cluster with OIDC issuer and workload identity, and a runner identity for steps."""

    kubernetes_version: Annotated[
        str,
        Field(default="1.35", pattern=r"^1\.\d{2}$", description="AKS Kubernetes version."),
    ]
    sku_tier: Annotated[
        Literal["Free", "Standard"],
        Field(
            default="Free",
            description="Control plane tier: Free (no SLA, no hourly fee) or Standard (uptime "
            "SLA, billed per cluster hour).",
        ),
    ]
    upgrade_channel: Annotated[
        Literal["none", "patch", "stable"],
        Field(default="patch", description="Automatic upgrades of the cluster."),
    ]
    vm_size: Annotated[
        str, Field(default="Standard_D4s_v5", pattern=_VM_SIZE, description="Node VM size.")
    ]
    min_nodes: Annotated[int, Field(default=1, ge=1, le=1000, description="Fewest nodes.")]
    max_nodes: Annotated[int, Field(default=3, ge=1, le=1000, description="Most nodes.")]
    os_disk_size_gb: Annotated[int, Field(default=64, ge=30, le=2048, description="Node disk.")]
    authorized_ip_ranges: Annotated[
        list[str],
        Field(
            default_factory=list,
            description="CIDRs allowed to reach the cluster's API server (your office or VPN "
            "range, or your address /32); required unless private_cluster. The deploy itself "
            "reaches the API from here to create the namespace and its roles.",
        ),
    ]
    allow_public_api_from_anywhere: Annotated[
        bool,
        Field(
            default=False,
            description="Accept 0.0.0.0/0 in authorized_ip_ranges: the API server is then open "
            "to the whole internet (still behind Entra ID authentication).",
        ),
    ]
    private_cluster: Annotated[
        bool,
        Field(
            default=False,
            description="API server on a private endpoint only (the deploy must then run "
            "inside the cluster's network).",
        ),
    ]
    users: Annotated[
        list[Principal],
        Field(
            default_factory=list,
            max_length=50,
            description="Entra ID principals given the stack user's rights: the artifact "
            "container, the registry, and the runner's rights in the namespace.",
        ),
    ]
    namespace: Annotated[
        str,
        Field(default="provisioner", pattern=_K8S_NAME, description="Namespace steps run in."),
    ]
    service_account: Annotated[
        str,
        Field(
            default="provisioner-runner",
            pattern=_K8S_NAME,
            description="Service account steps run as; only it may use the runner identity.",
        ),
    ]

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, value: str) -> str:
        return cloud_checks.check_kubernetes_version(value)

    @field_validator("authorized_ip_ranges")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ipaddress.IPv4Network(cidr, strict=True)
        return value

    @model_validator(mode="after")
    def _checks(self) -> AKSOrchestratorConfig:
        if self.min_nodes > self.max_nodes:
            raise ValueError("node counts must satisfy min_nodes <= max_nodes")
        ids = [u.object_id.lower() for u in self.users]
        if len(ids) != len(set(ids)):
            raise ValueError("each object_id may appear once in users")
        if self.private_cluster:
            return self
        if not self.authorized_ip_ranges:
            raise ValueError(
                "set authorized_ip_ranges to the ranges that may reach the cluster's API server "
                "(your office or VPN range, or your address /32), or set private_cluster: true"
            )
        anywhere = [c for c in self.authorized_ip_ranges if ipaddress.IPv4Network(c).prefixlen == 0]
        if anywhere and not self.allow_public_api_from_anywhere:
            raise ValueError(
                f"authorized_ip_ranges holds {anywhere[0]}, which opens the cluster's API to the "
                "whole internet; narrow it, or set allow_public_api_from_anywhere: true"
            )
        return self


class AzureMLConfig(FlavorConfig):
    """An AzureML workspace (with its key vault, Application Insights and storage) and a
    compute cluster that scales to zero."""

    workspace_name: Annotated[
        str | None,
        Field(default=None, description="Workspace name; default: from the stack name."),
    ]
    vm_size: Annotated[
        str,
        Field(default="Standard_DS3_v2", pattern=_VM_SIZE, description="Compute cluster VMs."),
    ]
    max_nodes: Annotated[
        int, Field(default=2, ge=1, le=100, description="Most nodes of the compute cluster.")
    ]
    idle_minutes_before_scale_down: Annotated[
        int, Field(default=10, ge=1, le=1440, description="Idle time before nodes go away.")
    ]
    low_priority: Annotated[
        bool, Field(default=False, description="Low-priority (spot) compute nodes.")
    ]

    @field_validator("workspace_name")
    @classmethod
    def _workspace(cls, value: str | None) -> str | None:
        return _named(value, names.ML_WORKSPACE, "workspace name")


class ACRTasksImageBuilderConfig(FlavorConfig):
    """ACR Tasks builds step images in the registry (no Docker daemon needed)."""

    source_prefix: Annotated[
        str,
        Field(
            default="image-builds",
            pattern=_BLOB_PREFIX,
            description="Prefix in the artifact container where build contexts are uploaded.",
        ),
    ]
    build_timeout_minutes: Annotated[
        int, Field(default=60, ge=5, le=480, description="A build is stopped after this.")
    ]
    platform: Annotated[
        Literal["linux/amd64", "linux/arm64"],
        Field(default="linux/amd64", description="Platform images are built for."),
    ]


class AzureMLflowConfig(FlavorConfig):
    """MLflow tracking (and the model registry) of the stack's AzureML workspace."""

    workspace_name: Annotated[
        str | None,
        Field(
            default=None,
            description="Workspace name when the stack has no azureml component; default: "
            "from the stack name.",
        ),
    ]

    @field_validator("workspace_name")
    @classmethod
    def _workspace(cls, value: str | None) -> str | None:
        return _named(value, names.ML_WORKSPACE, "workspace name")


class SlackAlerterConfig(FlavorConfig):
    """A Key Vault secret reference for the Slack webhook URL; the value never enters state."""

    key_vault_name: Annotated[
        str | None,
        Field(
            default=None,
            description="Key vault to create (global, 3-24 letters, digits and '-'); default: "
            "the stack name and a short hash. Ignored with secret_id.",
        ),
    ]
    secret_name: Annotated[
        str,
        Field(
            default="slack-webhook",
            pattern=r"^[a-zA-Z0-9-]{1,127}$",
            description="Name of the secret to put the webhook URL in after deploy.",
        ),
    ]
    secret_id: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^https://[a-z0-9-]{3,24}\.vault\.azure\.net/secrets/[a-zA-Z0-9-]{1,127}/?$",
            description="An existing secret (https://VAULT.vault.azure.net/secrets/NAME); "
            "nothing is created.",
        ),
    ]
    soft_delete_days: Annotated[
        int, Field(default=7, ge=7, le=90, description="Days a deleted vault is restorable.")
    ]

    @field_validator("key_vault_name")
    @classmethod
    def _vault(cls, value: str | None) -> str | None:
        return _named(value, names.KEY_VAULT, "key vault name")


def vault_of(secret_id: str) -> str:
    """``https://v.vault.azure.net/secrets/x`` -> ``v``."""
    found = re.match(r"^https://([a-z0-9-]+)\.vault", secret_id)
    return found.group(1) if found else ""


_R = "provisioner.recipes.azure"

_NEEDS_CONTAINER = Requirement(ComponentType.ARTIFACT_STORE, ("azure",))
_NEEDS_REGISTRY = Requirement(ComponentType.CONTAINER_REGISTRY, ("azure",))

FLAVORS: list[Flavor] = [
    Flavor(
        type=ComponentType.ARTIFACT_STORE,
        name="azure",
        cloud=Cloud.AZURE,
        config_model=AzureBlobArtifactStoreConfig,
        recipe=f"{_R}.artifact_store:AzureArtifactStore",
        connection_model=conn.AzureBlobArtifactStoreConnection,
        implementation="provisioner.runtime.stores.azure:AzureArtifactStore",
        description="A private container in a storage account: HTTPS, TLS 1.2, Entra ID only.",
    ),
    Flavor(
        type=ComponentType.CONTAINER_REGISTRY,
        name="azure",
        cloud=Cloud.AZURE,
        config_model=ACRContainerRegistryConfig,
        recipe=f"{_R}.container_registry:AzureContainerRegistry",
        connection_model=conn.ACRContainerRegistryConnection,
        description="An Azure Container Registry, admin user disabled.",
    ),
    Flavor(
        type=ComponentType.ORCHESTRATOR,
        name="kubernetes",
        cloud=Cloud.AZURE,
        config_model=AKSOrchestratorConfig,
        recipe=f"{_R}.kubernetes:AzureKubernetesOrchestrator",
        connection_model=conn.AKSOrchestratorConnection,
        requires=(_NEEDS_CONTAINER,),
        implementation="provisioner.runtime.orchestrators.kubernetes:KubernetesOrchestrator",
        description="AKS with workload identity; steps run as Jobs under a managed identity.",
    ),
    Flavor(
        type=ComponentType.ORCHESTRATOR,
        name="azureml",
        cloud=Cloud.AZURE,
        config_model=AzureMLConfig,
        recipe=f"{_R}.azureml:AzureMLOrchestrator",
        connection_model=conn.AzureMLConnection,
        requires=(_NEEDS_CONTAINER,),
        description="AzureML pipelines on a compute cluster that scales to zero.",
    ),
    Flavor(
        type=ComponentType.STEP_OPERATOR,
        name="azureml",
        cloud=Cloud.AZURE,
        config_model=AzureMLConfig,
        recipe=f"{_R}.azureml:AzureMLStepOperator",
        connection_model=conn.AzureMLConnection,
        requires=(_NEEDS_CONTAINER,),
        description="Runs single steps as AzureML command jobs.",
    ),
    Flavor(
        type=ComponentType.IMAGE_BUILDER,
        name="azure",
        cloud=Cloud.AZURE,
        config_model=ACRTasksImageBuilderConfig,
        recipe=f"{_R}.image_builder:AzureImageBuilder",
        connection_model=conn.ACRTasksImageBuilderConnection,
        requires=(_NEEDS_CONTAINER, _NEEDS_REGISTRY),
        description="ACR Tasks: builds and pushes step images inside the registry.",
        implementation="provisioner.runtime.images.acr_tasks:AzureACRTasksImageBuilder",
    ),
    Flavor(
        type=ComponentType.EXPERIMENT_TRACKER,
        name="mlflow",
        cloud=Cloud.AZURE,
        config_model=AzureMLflowConfig,
        recipe=f"{_R}.mlflow:AzureMLflowExperimentTracker",
        connection_model=conn.AzureMLflowConnection,
        requires=(_NEEDS_CONTAINER,),
        description="The AzureML workspace's MLflow tracking server; Entra ID auth.",
        implementation="provisioner.runtime.mlflow.tracker:MLflowExperimentTracker",
    ),
    Flavor(
        type=ComponentType.MODEL_REGISTRY,
        name="mlflow",
        cloud=Cloud.AZURE,
        config_model=AzureMLflowConfig,
        recipe=f"{_R}.mlflow:AzureMLflowModelRegistry",
        connection_model=conn.AzureMLflowConnection,
        requires=(_NEEDS_CONTAINER,),
        description="The AzureML workspace's MLflow model registry.",
        implementation="provisioner.runtime.mlflow.registry:MLflowModelRegistry",
    ),
    Flavor(
        type=ComponentType.ALERTER,
        name="slack",
        cloud=Cloud.AZURE,
        config_model=SlackAlerterConfig,
        recipe=f"{_R}.alerter:AzureSlackAlerter",
        connection_model=conn.SlackAlerterConnection,
        implementation="provisioner.runtime.alerters.slack:SlackAlerter",
        description="Slack messages; the webhook URL stays in Key Vault.",
    ),
]
