"""Look up the sibling components a GCP recipe builds on, with a clear error when missing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provisioner.catalog.flavor import RecipeContext
from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError


@dataclass(frozen=True)
class BucketRef:
    """The stack's artifact bucket, as other recipes see it."""

    name: Any
    prefix: str = "artifacts"


@dataclass(frozen=True)
class RepositoryRef:
    """The stack's Docker repository, as other recipes see it."""

    repository_id: Any
    location: str
    uri: Any


def artifact_bucket(ctx: RecipeContext, needed_by: str) -> BucketRef:
    """The GCS artifact store of the stack, or an error naming who needs it."""
    store = ctx.components.get(ComponentType.ARTIFACT_STORE)
    if store is None or not hasattr(store, "gcs_bucket"):
        raise _missing(needed_by, "an artifact_store of flavor 'gcs'")
    return BucketRef(name=store.bucket_name, prefix=store.prefix)


def optional_repository(ctx: RecipeContext) -> RepositoryRef | None:
    """The Artifact Registry repository if the stack has one."""
    registry = ctx.components.get(ComponentType.CONTAINER_REGISTRY)
    if registry is None or not hasattr(registry, "docker_repository"):
        return None
    return RepositoryRef(
        repository_id=registry.repository_id, location=registry.location, uri=registry.uri
    )


def container_repository(ctx: RecipeContext, needed_by: str) -> RepositoryRef:
    """The Artifact Registry repository of the stack, or an error naming who needs it."""
    found = optional_repository(ctx)
    if found is None:
        raise _missing(needed_by, "a container_registry of flavor 'gcp'")
    return found


def cluster(ctx: RecipeContext, needed_by: str) -> Any:
    """The GKE orchestrator component, or an error naming who needs it."""
    orchestrator = ctx.components.get(ComponentType.ORCHESTRATOR)
    if orchestrator is None or not hasattr(orchestrator, "cluster_objects"):
        raise _missing(needed_by, "an orchestrator of flavor 'kubernetes'")
    return orchestrator


def runtime_members(ctx: RecipeContext) -> dict[str, Any]:
    """IAM members (``serviceAccount:EMAIL`` outputs) the runtime acts as, by a label for
    resource names: the step service accounts by component (``orchestrator``,
    ``step-operator``) and the stack user service account (``stack-user``)."""
    members: dict[str, Any] = {}
    for type_, component in ctx.components.items():
        account = getattr(component, "workload_account", None)
        if account is not None:
            members[str(type_).replace("_", "-")] = account.member
    for component in ctx.components.values():
        user = getattr(component, "user_account", None)
        if user is not None:
            members["stack-user"] = user.member
            break
    return members


def _missing(needed_by: str, what: str) -> UserInputError:
    return UserInputError(
        f"{needed_by} needs {what} in the same stack",
        hint=f"add {what} under 'components' in the stack definition",
    )
