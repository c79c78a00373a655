"""Local flavors: their config models and catalog entries (no recipe code is imported here)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from provisioner.catalog.flavor import Flavor, FlavorConfig
from provisioner.catalog.types import Cloud, ComponentType
from provisioner.recipes.local.connections import (
    ImageStrategy,
    LocalArtifactStoreConnection,
    LocalContainerRegistryConnection,
    LocalImageBuilderConnection,
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


#: A Python base image pushed once to the stack's own registry (see the README).
DEFAULT_BASE_IMAGE = "{container_registry}/base/bookworm-python:3.11"


class LocalImageBuilderConfig(FlavorConfig):
    """Builds step images on this machine with no Docker daemon (OCI append, or buildah)."""

    base_image: Annotated[
        str,
        Field(
            default=DEFAULT_BASE_IMAGE,
            min_length=1,
            description="A base image with Python, in a registry this machine reaches; "
            "{container_registry} stands for the stack's own registry.",
        ),
    ]
    strategy: ImageStrategy = "auto"
    dockerfile: Annotated[
        str | None,
        Field(
            default=None,
            min_length=1,
            description="The buildah strategy's Dockerfile (ARG BASE_IMAGE names the base); "
            "default: a generated one.",
        ),
    ]
    repository: Annotated[
        str,
        Field(
            default="steps",
            pattern="^[a-z0-9]+([._/-][a-z0-9]+)*$",
            description="Repository under a container registry given as host:port.",
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
        type=ComponentType.IMAGE_BUILDER,
        name="local",
        cloud=Cloud.LOCAL,
        config_model=LocalImageBuilderConfig,
        connection_model=LocalImageBuilderConnection,
        recipe="provisioner.recipes.local.image_builder:LocalImageBuilder",
        implementation="provisioner.runtime.images.local:LocalImageBuilder",
        description="Builds step images here with no Docker daemon: OCI layers appended "
        "to a base image, or buildah.",
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
]
