"""Recipe: the Cloud Build image builder, building step images from contexts in the bucket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.gcp import iam, services, siblings
from provisioner.recipes.gcp.flavors import CloudBuildImageBuilderConfig

APIS = ("cloudbuild.googleapis.com", "iam.googleapis.com")


@dataclass(frozen=True)
class GCPImageBuilderArgs:
    """Inputs of a GCPImageBuilder.

    Attributes:
        project: GCP project.
        region: where builds run.
        config: the flavor's settings.
        bucket: the artifact bucket holding build contexts and logs under the source prefix.
        repository: the repository images are pushed to.
    """

    project: str
    region: str
    config: CloudBuildImageBuilderConfig
    bucket: siblings.BucketRef
    repository: siblings.RepositoryRef

    @classmethod
    def from_config(
        cls, config: CloudBuildImageBuilderConfig, ctx: RecipeContext
    ) -> GCPImageBuilderArgs:
        """Args from the flavor config, the stack and its sibling components."""
        who = "image_builder 'gcp'"
        return cls(
            project=ctx.spec.project,
            region=ctx.spec.region,
            config=config,
            bucket=siblings.artifact_bucket(ctx, who),
            repository=siblings.container_repository(ctx, who),
        )


class GCPImageBuilder(pulumi.ComponentResource):
    """A service account Cloud Build runs the stack's builds as: it reads build contexts and
    writes build logs in the bucket, and pushes to the stack's repository, nothing more.

    Builds log to the bucket (``logs_uri``), so the account needs no project-wide logging role.
    The runtime's accounts may submit builds and act as this account. Connection:
    ``{"source_uri", "gcp": {"project", "region", "service_account", "logs_uri",
    "repository"}}``.
    """

    TYPE = "provisioner:gcp:ImageBuilder"

    def __init__(
        self,
        name: str,
        config: CloudBuildImageBuilderConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        args = self.args = GCPImageBuilderArgs.from_config(config, ctx)
        apis = services.enable(self, name, ctx, APIS)
        self.build_account = iam.service_account(
            self, f"{name}-builds", args.project, f"Image builds of stack {ctx.spec.name}", apis
        )
        member = self.build_account.member
        self.grants = [
            iam.on_bucket(self, f"{name}-builds-bucket", args.bucket.name, iam.OBJECT_USER, member),
            iam.on_repository(
                self,
                f"{name}-builds-push",
                args.project,
                args.repository,
                iam.REGISTRY_WRITER,
                member,
            ),
        ]
        for label, who in siblings.runtime_members(ctx).items():
            self.grants += [
                iam.on_project(
                    self, f"{name}-submit-{label}", args.project, iam.BUILDS_EDITOR, who
                ),
                iam.on_account(self, f"{name}-act-as-{label}", self.build_account, iam.ACT_AS, who),
            ]
        prefix = config.source_prefix
        self.source_uri = pulumi.Output.concat("gs://", args.bucket.name, "/", prefix, "/sources")
        self.connection: dict[str, Any] = {
            "source_uri": self.source_uri,
            "gcp": {
                "project": args.project,
                "region": args.region,
                "service_account": self.build_account.email,
                "logs_uri": pulumi.Output.concat("gs://", args.bucket.name, "/", prefix, "/logs"),
                "repository": args.repository.uri,
                "machine_type": config.machine_type,
                "timeout_seconds": config.build_timeout_minutes * 60,
            },
        }
        self.register_outputs({"connection": self.connection})
