"""What a step's container is given: its image, the pipeline's import path, and the stack
config with the pod's own credentials."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError

if TYPE_CHECKING:
    from provisioner.runtime.orchestrators.kube_manifest import PodSettings
    from provisioner.runtime.pipeline import Pipeline
    from provisioner.stackconfig import StackConfig

#: A full image reference, or ``:TAG`` for the stack's container registry.
ENV_IMAGE = "PROVISIONER_IMAGE"
_DEFAULT_AUTH = {"aws": "aws-default", "gcp": "gcp-default", "azure": "azure-default"}


def resolve_image(option: str | None, stack: StackConfig) -> str:
    """The steps' image: ``option``, else ``$PROVISIONER_IMAGE``, else the orchestrator's
    ``image`` config; a value ``:TAG`` is a tag of the stack's container registry.

    Raises:
        UserInputError: no image given, or a tag without a container registry.
    """
    orch = stack.component(ComponentType.ORCHESTRATOR)
    ref = option or os.environ.get(ENV_IMAGE) or (orch.config.get("image") if orch else None)
    registry = stack.component(ComponentType.CONTAINER_REGISTRY)
    uri = registry.config.get("uri") if registry else None
    if not ref:
        example = f"{uri}:TAG" if uri else "REGISTRY/REPOSITORY:TAG"
        raise UserInputError(
            "the kubernetes orchestrator needs an image for its steps, and none was given",
            hint=f"build an image that holds your project and provisioner, push it "
            f"(e.g. to {example}), then pass --image {example}"
            + (" (or --image :TAG)" if uri else "")
            + f", or set ${ENV_IMAGE}",
        )
    if ref.startswith(":"):
        if not uri:
            raise UserInputError(
                f"image {ref!r} is a tag, but stack {stack.name!r} has no container registry",
                hint="pass the full image reference, e.g. --image REGISTRY/REPOSITORY:TAG",
            )
        ref = f"{uri}{ref}"
    if any(c.isspace() for c in ref) or ref.endswith((":", "/")):
        raise UserInputError(f"image {ref!r} is not a valid image reference")
    return ref


def pipeline_target(pipeline: Pipeline) -> str:
    """``module:attribute`` under which the pipeline's container can import the pipeline.

    Raises:
        UserInputError: the pipeline lives in ``__main__`` or is not a module attribute.
    """
    module = pipeline.func.__module__
    if module == "__main__":
        raise UserInputError(
            f"pipeline {pipeline.name!r} is defined in a script run as __main__; a step "
            "container cannot import it",
            hint="put the pipeline in a module (a .py file) and run it with "
            "`provisioner pipeline run path/to/file.py:PIPELINE`",
        )
    found = [k for k, v in vars(sys.modules.get(module, object())).items() if v is pipeline]
    if not found:
        raise UserInputError(
            f"pipeline {pipeline.name!r} is not a module-level name of {module}; a step "
            "container cannot import it",
            hint="define the pipeline at the top level of its module",
        )
    return f"{module}:{found[0]}"


def pod_stack_json(stack: StackConfig, pod: PodSettings) -> str:
    """The stack config the pods get: the cloud's default credential chain (IRSA, GKE and
    AKS workload identity) instead of this machine's profile or role, and only the
    ``auth.env`` entries that the pods receive from Kubernetes Secrets."""
    auth = stack.auth
    given = set(pod.secret_env)
    env = {k: v for k, v in auth.env.items() if v in given or pod.env_from_secrets}
    pod_auth = auth.model_copy(
        update={
            "method": _DEFAULT_AUTH.get(str(stack.cloud), "none"),
            "aws_profile": None,
            "aws_role_arn": None,
            "gcp_service_account": None,
            "env": env,
        }
    )
    return stack.model_copy(update={"auth": pod_auth}).model_dump_json()
