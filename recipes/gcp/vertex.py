"""Recipes: Vertex AI orchestrator and step operator, each a least-privilege service account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.gcp import iam, services, siblings
from provisioner.recipes.gcp.flavors import VertexConfig

APIS = ("aiplatform.googleapis.com", "iam.googleapis.com")


@dataclass(frozen=True)
class GCPVertexArgs:
    """Inputs of a Vertex AI job service account.

    Attributes:
        project: GCP project.
        region: where the jobs run.
        config: the flavor's settings.
        bucket: the artifact bucket the jobs read and write.
        repository: the repository the jobs pull their images from, if any.
    """

    project: str
    region: str
    config: VertexConfig
    bucket: siblings.BucketRef
    repository: siblings.RepositoryRef | None

    @classmethod
    def from_config(cls, config: VertexConfig, ctx: RecipeContext, who: str) -> GCPVertexArgs:
        """Args from the flavor config, the stack and its sibling components."""
        return cls(
            project=ctx.spec.project,
            region=ctx.spec.region,
            config=config,
            bucket=siblings.artifact_bucket(ctx, who),
            repository=siblings.optional_repository(ctx),
        )


GCPVertexOrchestratorArgs = GCPVertexArgs
GCPVertexStepOperatorArgs = GCPVertexArgs


class _VertexAccount(pulumi.ComponentResource):
    """A service account Vertex AI jobs run as; the runtime's accounts may start jobs as it."""

    TYPE: ClassVar[str]
    WHO: ClassVar[str]
    #: True when the account itself starts jobs (a pipeline's steps).
    STARTS_JOBS: ClassVar[bool] = False

    def __init__(
        self,
        name: str,
        config: VertexConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        args = self.args = GCPVertexArgs.from_config(config, ctx, self.WHO)
        # The runtime accounts that start this flavor's jobs, taken before this one joins them.
        starters = siblings.runtime_members(ctx)
        apis = services.enable(self, name, ctx, APIS)
        self.workload_account = iam.service_account(
            self, f"{name}-jobs", args.project, f"Vertex AI jobs of stack {ctx.spec.name}", apis
        )
        member = self.workload_account.member
        self.grants = [
            iam.on_bucket(self, f"{name}-jobs-bucket", args.bucket.name, iam.OBJECT_USER, member)
        ]
        if args.repository is not None:
            self.grants.append(
                iam.on_repository(
                    self,
                    f"{name}-jobs-pull",
                    args.project,
                    args.repository,
                    iam.REGISTRY_READER,
                    member,
                )
            )
        if self.STARTS_JOBS:
            starters = {"jobs": member, **starters}
        for label, who in starters.items():
            self.grants += [
                iam.on_project(self, f"{name}-start-{label}", args.project, iam.VERTEX_USER, who),
                iam.on_account(
                    self, f"{name}-act-as-{label}", self.workload_account, iam.ACT_AS, who
                ),
            ]
        staging = pulumi.Output.concat("gs://", args.bucket.name, "/", config.staging_prefix)
        self.connection: dict[str, Any] = {
            "service_account": self.workload_account.email,
            "region": args.region,
            "machine_type": config.machine_type,
            "staging_uri": staging,
            "gcp": {"project": args.project},
        }
        if config.accelerator_type:
            self.connection["accelerator_type"] = config.accelerator_type
        self.register_outputs({"connection": self.connection})


class GCPVertexOrchestrator(_VertexAccount):
    """Runs pipelines as Vertex AI Pipelines; its account also starts the steps' jobs.

    Connection: ``{"service_account", "region", "machine_type", "staging_uri", "gcp"}``.
    """

    TYPE = "provisioner:gcp:VertexOrchestrator"
    WHO = "orchestrator 'vertex'"
    STARTS_JOBS = True


class GCPVertexStepOperator(_VertexAccount):
    """Runs single steps as Vertex AI custom jobs under this account.

    The stack's runtime accounts (the orchestrator's step account and the stack user) may
    start Vertex jobs and act as this account, and nothing else of it.
    """

    TYPE = "provisioner:gcp:VertexStepOperator"
    WHO = "step_operator 'vertex'"
