"""Recipe: the ECR container registry, a private repository scanned on push."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.aws import names
from provisioner.recipes.aws.flavors import REPOSITORY_NOT_EMPTY_HINT, ECRContainerRegistryConfig
from provisioner.recipes.aws.sdk import aws


def repository_not_empty_hint(error_text: str) -> str | None:
    """The hint to show when a destroy failed on a repository holding images, else None.

    Args:
        error_text: the engine's error message for the failed delete.
    """
    return REPOSITORY_NOT_EMPTY_HINT if "RepositoryNotEmpty" in error_text else None


@dataclass(frozen=True)
class AWSContainerRegistryArgs:
    """Inputs of an AWSContainerRegistry.

    Attributes:
        region: AWS region of the repository.
        tags: tags of every taggable resource.
        repository_name: physical name, or None for ``<name>-repository``.
        keep_images: how many of the newest images survive the lifecycle policy.
        immutable_tags: refuse to overwrite tags.
        force_delete: let destroy delete a repository holding images.
    """

    region: str
    tags: dict[str, str]
    repository_name: str | None = None
    keep_images: int = 50
    immutable_tags: bool = False
    force_delete: bool = False

    @classmethod
    def from_config(
        cls, config: ECRContainerRegistryConfig, ctx: RecipeContext
    ) -> AWSContainerRegistryArgs:
        """Args from the flavor config and the stack."""
        return cls(
            region=ctx.spec.region,
            tags=ctx.tags,
            repository_name=config.repository_name,
            keep_images=config.keep_images,
            immutable_tags=config.immutable_tags,
            force_delete=config.force_delete,
        )


def lifecycle_policy(keep_images: int) -> str:
    """An ECR lifecycle policy that expires all but the ``keep_images`` newest images."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"keep the {keep_images} newest images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_images,
                    },
                    "action": {"type": "expire"},
                }
            ]
        }
    )


class AWSContainerRegistry(pulumi.ComponentResource):
    """An ECR repository; connection: ``{"uri": <repository URL>}``.

    Siblings use ``repository_arn`` and ``repository_url`` to grant push or pull.
    """

    TYPE = "provisioner:aws:ContainerRegistry"

    def __init__(
        self,
        name: str,
        config: ECRContainerRegistryConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        args = self.args = AWSContainerRegistryArgs.from_config(config, ctx)
        child = pulumi.ResourceOptions(parent=self)
        self.repository = aws.ecr.Repository(
            f"{name}-repository",
            name=args.repository_name or names.fit(f"{name}-repository", names.ECR_REPOSITORY),
            image_scanning_configuration={"scan_on_push": True},
            image_tag_mutability="IMMUTABLE" if args.immutable_tags else "MUTABLE",
            encryption_configurations=[{"encryption_type": "AES256"}],
            force_delete=args.force_delete,
            region=args.region,
            tags=args.tags,
            opts=child,
        )
        self.lifecycle = aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=self.repository.name,
            policy=lifecycle_policy(args.keep_images),
            region=args.region,
            opts=child,
        )
        self.repository_arn: pulumi.Output[str] = self.repository.arn
        self.repository_url: pulumi.Output[str] = self.repository.repository_url
        self.connection: dict[str, Any] = {"uri": self.repository_url}
        self.register_outputs(
            {"repository_arn": self.repository_arn, "connection": self.connection}
        )
