"""Local flavors: their config models and catalog entries (no recipe code is imported here)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from provisioner.catalog.flavor import Flavor, FlavorConfig, Requirement
from provisioner.catalog.types import Cloud, ComponentType
from provisioner.recipes.local.connections import (
    ImageStrategy,
    LocalArtifactStoreConnection,
    LocalContainerRegistryConnection,
    LocalFeastConnection,
    LocalImageBuilderConnection,
    LocalLabelStudioConnection,
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


_QUANTITY = re.compile(r"^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_UNITS = {None: 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_UNITS.update({"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40})


def parse_quantity(value: str) -> int:
    """Bytes in a Kubernetes memory quantity: ``"512Mi"``, ``"2Gi"``, ``"1G"``, ``"1048576"``.

    Raises:
        ValueError: not such a quantity.
    """
    match = _QUANTITY.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not a memory quantity such as 512Mi or 2Gi")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _memory(value: str) -> str:
    if parse_quantity(value) < 64 * 2**20:
        raise ValueError("must be at least 64Mi (a Python process needs that to start)")
    return value


class ProcessStepOperatorConfig(FlavorConfig):
    """Runs steps marked ``step_operator=True`` in their own Python processes here."""

    python: Annotated[
        str | None,
        Field(
            default=None,
            min_length=1,
            max_length=4096,
            description="A virtual environment's folder (or a python executable) with "
            "provisioner installed; default: the interpreter running the pipeline.",
        ),
    ]
    memory_limit: Annotated[
        str | None,
        AfterValidator(_memory),
        Field(
            default=None,
            description="Address-space limit of each step process (RLIMIT_AS), e.g. 4Gi; "
            "a step's resources.memory_limit (or memory) lowers it.",
        ),
    ]
    cpu_seconds: Annotated[
        int | None,
        Field(
            default=None,
            ge=1,
            le=10**7,
            description="CPU time limit of each step process (RLIMIT_CPU), in seconds, counted "
            "from when the step starts.",
        ),
    ]


#: Environment variable that holds the annotator's API token, unless the config names another.
DEFAULT_TOKEN_ENV = "LABEL_STUDIO_API_KEY"


class LocalLabelStudioConfig(FlavorConfig):
    """A real Label Studio server, run as a managed service on 127.0.0.1."""

    port: Annotated[
        int, Field(default=0, ge=0, le=65535, description="Port on 127.0.0.1; 0 picks a free one.")
    ]
    username: Annotated[
        str,
        Field(
            default="admin@provisioner.local",
            pattern=r"^[^@\s]+@[^@\s]+$",
            max_length=254,
            description="The admin's email (its password and API token are generated).",
        ),
    ]
    token_env: Annotated[
        str,
        Field(
            default=DEFAULT_TOKEN_ENV,
            pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
            description="Environment variable the runtime reads the API token from; the "
            "stack config names it, `provisioner stack outputs --show-secrets` shows the token.",
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
    Flavor(
        type=ComponentType.STEP_OPERATOR,
        name="process",
        cloud=Cloud.LOCAL,
        config_model=ProcessStepOperatorConfig,
        connection_model=ProcessStepOperatorConfig,
        recipe="provisioner.recipes.common.step_operator:ProcessStepOperator",
        implementation="provisioner.runtime.step_operators.process:ProcessStepOperator",
        description="Each marked step in its own Python process (parallel, free of the GIL).",
        dynamic_only=True,
    ),
    Flavor(
        type=ComponentType.ANNOTATOR,
        name="label_studio",
        cloud=Cloud.LOCAL,
        config_model=LocalLabelStudioConfig,
        connection_model=LocalLabelStudioConnection,
        recipe="provisioner.recipes.local.annotator:LocalLabelStudio",
        implementation="provisioner.runtime.annotators.label_studio:LabelStudioAnnotator",
        description="A Label Studio server on 127.0.0.1, in its own virtual environment.",
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
]
