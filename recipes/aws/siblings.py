"""Look up the sibling components an AWS recipe builds on, with a clear error when missing."""

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
    arn: Any
    kms_key_arn: str | None
    prefix: str = "artifacts"


@dataclass(frozen=True)
class RepositoryRef:
    """The stack's ECR repository, as other recipes see it."""

    arn: Any
    url: Any


def artifact_bucket(ctx: RecipeContext, needed_by: str) -> BucketRef:
    """The S3 artifact store of the stack, or an error naming who needs it."""
    store = ctx.components.get(ComponentType.ARTIFACT_STORE)
    if store is None or not hasattr(store, "bucket_arn"):
        raise _missing(needed_by, "an artifact_store of flavor 's3'")
    return BucketRef(
        name=store.bucket_name,
        arn=store.bucket_arn,
        kms_key_arn=store.kms_key_arn,
        prefix=store.prefix,
    )


def container_repository(ctx: RecipeContext, needed_by: str) -> RepositoryRef:
    """The ECR container registry of the stack, or an error naming who needs it."""
    registry = ctx.components.get(ComponentType.CONTAINER_REGISTRY)
    if registry is None or not hasattr(registry, "repository_arn"):
        raise _missing(needed_by, "a container_registry of flavor 'ecr'")
    return RepositoryRef(arn=registry.repository_arn, url=registry.repository_url)


def optional_repository(ctx: RecipeContext) -> RepositoryRef | None:
    """The ECR repository if the stack has one."""
    registry = ctx.components.get(ComponentType.CONTAINER_REGISTRY)
    if registry is None or not hasattr(registry, "repository_arn"):
        return None
    return RepositoryRef(arn=registry.repository_arn, url=registry.repository_url)


def workload_roles(ctx: RecipeContext) -> dict[ComponentType, Any]:
    """IAM roles that run the stack's steps (orchestrator, step operator), by component."""
    roles = {}
    for type_, component in ctx.components.items():
        role = getattr(component, "workload_role", None)
        if role is not None:
            roles[type_] = role
    return roles


def user_role(ctx: RecipeContext) -> Any | None:
    """The stack user role a data scientist assumes to run pipelines, if the stack has one."""
    for component in ctx.components.values():
        role = getattr(component, "user_role", None)
        if role is not None:
            return role
    return None


def runtime_roles(ctx: RecipeContext) -> dict[str, Any]:
    """Every role the runtime acts as, by a label for resource names: the step roles by
    component (``orchestrator``, ``step-operator``) and the stack user role (``stack-user``)."""
    roles = {str(t).replace("_", "-"): role for t, role in workload_roles(ctx).items()}
    user = user_role(ctx)
    if user is not None:
        roles["stack-user"] = user
    return roles


def _missing(needed_by: str, what: str) -> UserInputError:
    return UserInputError(
        f"{needed_by} needs {what} in the same stack",
        hint=f"add {what} under 'components' in the stack definition",
    )
