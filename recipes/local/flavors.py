"""Local flavors: their config models and catalog entries (no recipe code is imported here)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from provisioner.catalog.flavor import Flavor, FlavorConfig, Requirement
from provisioner.catalog.types import Cloud, ComponentType
from provisioner.recipes.local.connections import (
    LocalArtifactStoreConnection,
    LocalContainerRegistryConnection,
    LocalFeastConnection,
    LocalMLflowConnection,
    LocalOrchestratorConnection,
    MaxWorkers,
)


class LocalOrchestratorConfig(FlavorConfig):
    """Runs pipeline steps on this machine."""

    max_workers: Annotated[MaxWorkers, Field(default=4)]


class LocalArtifactStoreConfig(FlavorConfig):
    """A directory on this machine."""

    path: Annotated[
        str | None,
        Field(
            default=None,
            min_length=1,
            max_length=4096,
            description="Directory for artifacts; default: <home>/artifacts/<stack>.",
        ),
    ]
    force_destroy: Annotated[
        bool,
        Field(
            default=False,
            description="Let a destroy delete the directory while it still holds artifacts.",
        ),
    ]


class LocalContainerRegistryConfig(FlavorConfig):
    """A real OCI registry (Debian's docker-registry) run as a managed service on 127.0.0.1."""

    port: Annotated[
        int, Field(default=0, ge=0, le=65535, description="Port on 127.0.0.1; 0 picks a free one.")
    ]
    allow_delete: Annotated[
        bool,
        Field(
            default=False,
            description="Let clients delete images from the registry (off: images can only "
            "be pushed and pulled).",
        ),
    ]


class LocalMLflowConfig(FlavorConfig):
    """An MLflow file store in a local directory."""

    path: Annotated[
        str | None,
        Field(default=None, min_length=1, description="Default: <home>/mlruns/<stack>."),
    ]
    force_destroy: Annotated[
        bool,
        Field(
            default=False,
            description="Let a destroy delete the directory while it still holds runs.",
        ),
    ]


class LocalFeastConfig(FlavorConfig):
    """A Feast feature repository: registry file and sqlite online store in a local
    directory, offline data as files in the artifact store."""

    path: Annotated[
        str | None,
        Field(
            default=None,
            min_length=1,
            max_length=4096,
            description="Directory of the registry and online store; default: "
            "<home>/feature_store/<stack>.",
        ),
    ]
    project: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^[A-Za-z0-9_]{1,64}$",
            description="Feast project name; default: the stack name with '_' for '-'.",
        ),
    ]
    force_destroy: Annotated[
        bool,
        Field(
            default=False,
            description="Let a destroy delete the directory while it still holds the registry.",
        ),
    ]


FLAVORS: list[Flavor] = [
    Flavor(
        type=ComponentType.ORCHESTRATOR,
        name="local",
        cloud=Cloud.LOCAL,
        config_model=LocalOrchestratorConfig,
        connection_model=LocalOrchestratorConnection,
        recipe="provisioner.recipes.local.orchestrator:LocalOrchestrator",
        implementation="provisioner.runtime.orchestrators.local:LocalOrchestrator",
        description="Runs steps on this machine, independent steps concurrently.",
        dynamic_only=True,
    ),
    Flavor(
        type=ComponentType.ARTIFACT_STORE,
        name="local",
        cloud=Cloud.LOCAL,
        config_model=LocalArtifactStoreConfig,
        connection_model=LocalArtifactStoreConnection,
        recipe="provisioner.recipes.local.artifact_store:LocalArtifactStore",
        implementation="provisioner.runtime.stores.local:LocalArtifactStore",
        description="A directory on this machine.",
        dynamic_only=True,
    ),
    Flavor(
        type=ComponentType.CONTAINER_REGISTRY,
        name="local",
        cloud=Cloud.LOCAL,
        config_model=LocalContainerRegistryConfig,
        connection_model=LocalContainerRegistryConnection,
        recipe="provisioner.recipes.local.container_registry:LocalContainerRegistry",
        description="An OCI registry (docker-registry) served on 127.0.0.1.",
        dynamic_only=True,
    ),
    Flavor(
        type=ComponentType.EXPERIMENT_TRACKER,
        name="mlflow",
        cloud=Cloud.LOCAL,
        config_model=LocalMLflowConfig,
        connection_model=LocalMLflowConnection,
        recipe="provisioner.recipes.local.experiment_tracker:LocalMLflow",
        description="An MLflow file store (file:// tracking URI) in a local directory.",
        dynamic_only=True,
    ),
    Flavor(
        type=ComponentType.FEATURE_STORE,
        name="feast",
        cloud=Cloud.LOCAL,
        config_model=LocalFeastConfig,
        connection_model=LocalFeastConnection,
        recipe="provisioner.recipes.local.feature_store:LocalFeast",
        implementation="provisioner.tools.feast.feature_store:FeastFeatureStore",
        requires=(Requirement(ComponentType.ARTIFACT_STORE, ("local",)),),
        description="Feast: a registry file and a sqlite online store; offline data as "
        "files in the artifact store.",
        dynamic_only=True,
    ),
]
