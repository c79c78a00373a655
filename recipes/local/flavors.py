"""Local flavors: their config models and catalog entries (no recipe code is imported here)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from provisioner.catalog.flavor import Flavor, FlavorConfig, Requirement
from provisioner.catalog.types import Cloud, ComponentType
from provisioner.recipes.local.connections import (
    LocalArtifactStoreConnection,
    LocalContainerRegistryConnection,
    LocalMLflowConnection,
    LocalMLflowModelDeployerConnection,
    LocalMLflowModelRegistryConnection,
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
    """A real MLflow tracking server on 127.0.0.1 (or, with ``backend: file``, a file store)."""

    backend: Annotated[
        Literal["server", "file"],
        Field(
            default="server",
            description="server: an `mlflow server` run as a managed service on 127.0.0.1, "
            "from its own environment, sqlite store, artifacts in the stack's artifact store; "
            "file: an MLflow file store in a directory (no server, no model registry).",
        ),
    ]
    port: Annotated[
        int,
        Field(
            default=0, ge=0, le=65535, description="Server port on 127.0.0.1; 0 picks a free one."
        ),
    ]
    path: Annotated[
        str | None,
        Field(
            default=None,
            min_length=1,
            description="File store directory (backend: file); default: <home>/mlruns/<stack>.",
        ),
    ]
    force_destroy: Annotated[
        bool,
        Field(
            default=False,
            description="Let a destroy delete the directory while it still holds runs.",
        ),
    ]


class LocalMLflowModelDeployerConfig(FlavorConfig):
    """Model servers (``mlflow models serve``) run as processes on 127.0.0.1."""

    start_timeout: Annotated[
        int,
        Field(
            default=180,
            ge=5,
            le=3600,
            description="Seconds a new model server has to answer /health before the deploy "
            "fails (the old version keeps serving).",
        ),
    ]


#: The MLflow server the registry and deployer use, and the store it keeps artifacts in.
_MLFLOW_SERVER = (
    Requirement(ComponentType.ARTIFACT_STORE, ("local",)),
    Requirement(ComponentType.EXPERIMENT_TRACKER, ("mlflow",)),
)

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
        implementation="provisioner.runtime.mlflow.tracker:MLflowExperimentTracker",
        description="An MLflow tracking server on 127.0.0.1 (or a file store).",
        dynamic_only=True,
        requires=(Requirement(ComponentType.ARTIFACT_STORE, ("local",)),),
    ),
    Flavor(
        type=ComponentType.MODEL_REGISTRY,
        name="mlflow",
        cloud=Cloud.LOCAL,
        config_model=FlavorConfig,
        connection_model=LocalMLflowModelRegistryConnection,
        recipe="provisioner.recipes.local.model_registry:LocalMLflowModelRegistry",
        implementation="provisioner.runtime.mlflow.registry:MLflowModelRegistry",
        description="The registry of the stack's MLflow server; models in the artifact store.",
        dynamic_only=True,
        requires=_MLFLOW_SERVER,
    ),
    Flavor(
        type=ComponentType.MODEL_DEPLOYER,
        name="mlflow",
        cloud=Cloud.LOCAL,
        config_model=LocalMLflowModelDeployerConfig,
        connection_model=LocalMLflowModelDeployerConnection,
        recipe="provisioner.recipes.local.model_deployer:LocalMLflowModelDeployer",
        implementation="provisioner.runtime.mlflow.deployer:MLflowModelDeployer",
        description="`mlflow models serve` processes on 127.0.0.1, health-checked, no-gap swaps.",
        dynamic_only=True,
        requires=_MLFLOW_SERVER,
    ),
]
