"""The twelve component types, the clouds, and what each type is for."""

from __future__ import annotations

from enum import StrEnum


class ComponentType(StrEnum):
    """A kind of stack component; a stack holds at most one of each."""

    ORCHESTRATOR = "orchestrator"
    ARTIFACT_STORE = "artifact_store"
    CONTAINER_REGISTRY = "container_registry"
    DATA_VALIDATOR = "data_validator"
    EXPERIMENT_TRACKER = "experiment_tracker"
    MODEL_DEPLOYER = "model_deployer"
    STEP_OPERATOR = "step_operator"
    ALERTER = "alerter"
    IMAGE_BUILDER = "image_builder"
    ANNOTATOR = "annotator"
    MODEL_REGISTRY = "model_registry"
    FEATURE_STORE = "feature_store"

    @property
    def description(self) -> str:
        """One line on what the component does."""
        return DESCRIPTIONS[self]


class Cloud(StrEnum):
    """Where a stack's infrastructure lives."""

    LOCAL = "local"
    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"


DESCRIPTIONS: dict[ComponentType, str] = {
    ComponentType.ORCHESTRATOR: "Runs pipelines: schedules steps and their order.",
    ComponentType.ARTIFACT_STORE: "Stores step outputs (artifacts) and run records.",
    ComponentType.CONTAINER_REGISTRY: "Holds the container images that steps run in.",
    ComponentType.DATA_VALIDATOR: "Checks data quality and drift between steps.",
    ComponentType.EXPERIMENT_TRACKER: "Records parameters, metrics and models per run.",
    ComponentType.MODEL_DEPLOYER: "Serves trained models behind an endpoint.",
    ComponentType.STEP_OPERATOR: "Runs single steps on special compute (GPUs, managed jobs).",
    ComponentType.ALERTER: "Sends messages from pipelines to people (chat, pager).",
    ComponentType.IMAGE_BUILDER: "Builds the container images for steps.",
    ComponentType.ANNOTATOR: "Lets people label data for training.",
    ComponentType.MODEL_REGISTRY: "Versions models and tracks their stage.",
    ComponentType.FEATURE_STORE: "Serves features for training and inference.",
}

#: Types a stack must have to run pipelines.
REQUIRED_TO_RUN: tuple[ComponentType, ...] = (
    ComponentType.ORCHESTRATOR,
    ComponentType.ARTIFACT_STORE,
)

#: Order in which recipes are built, so later components can reference earlier ones.
BUILD_ORDER: tuple[ComponentType, ...] = (
    ComponentType.ARTIFACT_STORE,
    ComponentType.CONTAINER_REGISTRY,
    ComponentType.ORCHESTRATOR,
    ComponentType.IMAGE_BUILDER,
    ComponentType.STEP_OPERATOR,
    ComponentType.EXPERIMENT_TRACKER,
    ComponentType.MODEL_REGISTRY,
    ComponentType.MODEL_DEPLOYER,
    ComponentType.DATA_VALIDATOR,
    ComponentType.FEATURE_STORE,
    ComponentType.ANNOTATOR,
    ComponentType.ALERTER,
)
