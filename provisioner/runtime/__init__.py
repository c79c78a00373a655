"""The runtime: define steps and pipelines, run them on a stack, read runs and artifacts."""

from provisioner.runtime.client import RunClient, get_run, list_pipeline_runs, load_output
from provisioner.runtime.components import (
    ConnectedStack,
    MissingComponentError,
    StackComponent,
    connect,
)
from provisioner.runtime.context import StepContext, get_step_context
from provisioner.runtime.errors import RunCancelled
from provisioner.runtime.execution import PickleFallbackWarning
from provisioner.runtime.pipeline import Pipeline, pipeline
from provisioner.runtime.records import RunOwner, RunRecord, Status, StepRecord
from provisioner.runtime.runner import run_pipeline
from provisioner.runtime.serializers import (
    ArtifactFiles,
    Saved,
    Serializer,
    Staging,
    register_serializer,
    unregister_serializer,
)
from provisioner.runtime.step import OutputRef, Resources, Step, step
from provisioner.runtime.targets import load_pipeline

__all__ = [
    "ArtifactFiles",
    "ConnectedStack",
    "MissingComponentError",
    "OutputRef",
    "PickleFallbackWarning",
    "Pipeline",
    "Resources",
    "RunCancelled",
    "RunClient",
    "RunOwner",
    "RunRecord",
    "Saved",
    "Serializer",
    "StackComponent",
    "Staging",
    "Status",
    "Step",
    "StepContext",
    "StepRecord",
    "connect",
    "get_run",
    "get_step_context",
    "list_pipeline_runs",
    "load_output",
    "load_pipeline",
    "pipeline",
    "register_serializer",
    "run_pipeline",
    "step",
    "unregister_serializer",
]
