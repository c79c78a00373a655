"""Recipe: the Artifact Registry container registry, a Docker repository in the stack's region."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.gcp import names, services
from provisioner.recipes.gcp.flavors import REPOSITORY_NOT_EMPTY_HINT, ArtifactRegistryConfig
from provisioner.recipes.gcp.sdk import gcp

APIS = ("artifactregistry.googleapis.com",)


def repository_not_empty_hint(error_text: str) -> str | None:
    """The hint to show when a destroy stopped at the kept repository, else None.

    Args:
        error_text: the engine's error message for the failed delete.
    """
    return REPOSITORY_NOT_EMPTY_HINT if "deletion_policy" in error_text.lower() else None


@dataclass(frozen=True)
class GCPContainerRegistryArgs:
    """Inputs of a GCPContainerRegistry.

    Attributes:
        project: GCP project of the repository.
        region: its location, the stack's region.
        labels: labels of the repository.
        repository_id: physical repository id.
        keep_images: how many newest versions of each image the cleanup policy keeps.
        immutable_tags: refuse to overwrite tags.
        force_delete: let destroy delete the repository and its images.
    """

    project: str
    region: str
    labels: dict[str, str]
    repository_id: str
    keep_images: int = 50
    immutable_tags: bool = False
    force_delete: bool = False

    @classmethod
    def from_config(
        cls, name: str, config: ArtifactRegistryConfig, ctx: RecipeContext
    ) -> GCPContainerRegistryArgs:
        """Args from the flavor config and the stack."""
        return cls(
            project=ctx.spec.project,
            region=ctx.spec.region,
            labels=ctx.tags,
            repository_id=config.repository_id
            or names.fit(f"{name}-images", names.ARTIFACT_REPOSITORY),
            keep_images=config.keep_images,
            immutable_tags=config.immutable_tags,
            force_delete=config.force_delete,
        )


def cleanup_policies(keep_images: int) -> list[dict[str, Any]]:
    """Delete every version but the ``keep_images`` newest of each image (KEEP wins over DELETE)."""
    return [
        {"id": "delete-old", "action": "DELETE", "condition": {"tag_state": "ANY"}},
        {
            "id": f"keep-{keep_images}-newest",
            "action": "KEEP",
            "most_recent_versions": {"keep_count": keep_images},
        },
    ]


class GCPContainerRegistry(pulumi.ComponentResource):
    """An Artifact Registry Docker repository; connection: ``{"uri": <repository URL>}``.

    Siblings use ``repository_id``, ``location`` and ``uri`` to grant push or pull.
    """

    TYPE = "provisioner:gcp:ContainerRegistry"

    def __init__(
        self,
        name: str,
        config: ArtifactRegistryConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        args = self.args = GCPContainerRegistryArgs.from_config(name, config, ctx)
        apis = services.enable(self, name, ctx, APIS)
        self.docker_repository = gcp.artifactregistry.Repository(
            f"{name}-repository",
            repository_id=args.repository_id,
            project=args.project,
            location=args.region,
            format="DOCKER",
            description=f"Step images of stack {ctx.spec.name}",
            docker_config={"immutable_tags": args.immutable_tags},
            cleanup_policies=cleanup_policies(args.keep_images),
            cleanup_policy_dry_run=False,
            deletion_policy="DELETE" if args.force_delete else "PREVENT",
            labels=args.labels,
            opts=pulumi.ResourceOptions(parent=self, depends_on=apis),
        )
        self.repository_id: pulumi.Output[str] = self.docker_repository.repository_id
        self.location = args.region
        self.uri: pulumi.Output[str] = pulumi.Output.concat(
            f"{args.region}-docker.pkg.dev/{args.project}/", self.docker_repository.repository_id
        )
        self.connection: dict[str, Any] = {
            "uri": self.uri,
            "gcp": {"project": args.project, "location": args.region},
        }
        self.register_outputs({"repository_id": self.repository_id, "connection": self.connection})
