"""Recipe: the CodeBuild image builder, building step images from contexts in the bucket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.aws import iam, names, siblings
from provisioner.recipes.aws.flavors import CodeBuildImageBuilderConfig
from provisioner.recipes.aws.sdk import aws

#: Logs in to ECR, builds the uploaded context and pushes ``$REPOSITORY_URI:$IMAGE_TAG``;
#: the runtime overrides IMAGE_TAG (and the source location) per build.
BUILDSPEC = """\
version: 0.2
phases:
  pre_build:
    commands:
      - aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "${REPOSITORY_URI%%/*}"
  build:
    commands:
      - docker build -t "$REPOSITORY_URI:$IMAGE_TAG" .
  post_build:
    commands:
      - docker push "$REPOSITORY_URI:$IMAGE_TAG"
"""


@dataclass(frozen=True)
class AWSImageBuilderArgs:
    """Inputs of an AWSImageBuilder.

    Attributes:
        region: AWS region.
        tags: tags of every taggable resource.
        config: the flavor's settings.
        bucket: the artifact bucket holding build contexts under ``config.source_prefix``.
        repository: the ECR repository images are pushed to.
    """

    region: str
    tags: dict[str, str]
    config: CodeBuildImageBuilderConfig
    bucket: siblings.BucketRef
    repository: siblings.RepositoryRef

    @classmethod
    def from_config(
        cls, config: CodeBuildImageBuilderConfig, ctx: RecipeContext
    ) -> AWSImageBuilderArgs:
        """Args from the flavor config, the stack and its sibling components."""
        who = "image_builder 'aws'"
        return cls(
            region=ctx.spec.region,
            tags=ctx.tags,
            config=config,
            bucket=siblings.artifact_bucket(ctx, who),
            repository=siblings.container_repository(ctx, who),
        )


class AWSImageBuilder(pulumi.ComponentResource):
    """A CodeBuild project whose role may only read build contexts, log, and push one repo.

    Connection: ``{"source_uri", "aws": {"project_name"}}``; the runtime uploads a build
    context under ``source_uri`` and starts a build of ``project_name`` with that source and
    an IMAGE_TAG.
    """

    TYPE = "provisioner:aws:ImageBuilder"

    def __init__(
        self,
        name: str,
        config: CodeBuildImageBuilderConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        args = self.args = AWSImageBuilderArgs.from_config(config, ctx)
        child = pulumi.ResourceOptions(parent=self)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/codebuild/{name}",
            retention_in_days=config.log_retention_days,
            region=args.region,
            tags=args.tags,
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=names.fit(f"{name}-role", names.IAM_ROLE),
            description=f"Image builds of stack {ctx.spec.name}",
            assume_role_policy=iam.service_trust("codebuild.amazonaws.com"),
            tags=args.tags,
            opts=child,
        )
        log_arn = self.log_group.arn
        statements = iam.merge(
            [
                {
                    "Sid": "BuildLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": [log_arn, pulumi.Output.concat(log_arn, ":*")],
                }
            ],
            iam.bucket_read(args.bucket.arn, config.source_prefix, args.bucket.kms_key_arn),
            iam.ecr_push(args.repository.arn),
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name=names.fit(f"{name}-policy", names.IAM_INLINE_POLICY),
            role=self.role.id,
            policy=iam.document(statements),
            opts=child,
        )
        self.source_uri: pulumi.Output[str] = pulumi.Output.concat(
            "s3://", args.bucket.name, "/", config.source_prefix
        )
        self.project = aws.codebuild.Project(
            f"{name}-project",
            name=names.fit(name, names.CODEBUILD_PROJECT),
            description=f"Builds step images of stack {ctx.spec.name}",
            service_role=self.role.arn,
            build_timeout=config.build_timeout_minutes,
            source={
                "type": "S3",
                "location": pulumi.Output.concat(args.bucket.name, "/", config.source_prefix, "/"),
                "buildspec": BUILDSPEC,
            },
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "compute_type": config.compute_type,
                "image": config.build_image,
                "image_pull_credentials_type": "CODEBUILD",
                # docker build needs the daemon, which needs privileged mode.
                "privileged_mode": True,
                "environment_variables": [
                    {"name": "REPOSITORY_URI", "value": args.repository.url},
                    {"name": "IMAGE_TAG", "value": "latest"},
                ],
            },
            logs_config={
                "cloudwatch_logs": {"status": "ENABLED", "group_name": self.log_group.name},
                "s3_logs": {"status": "DISABLED"},
            },
            region=args.region,
            tags=args.tags,
            # A build started before its role can log and read would fail.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy]),
        )
        self.connection: dict[str, Any] = {
            "source_uri": self.source_uri,
            "aws": {"project_name": self.project.name},
        }
        self.register_outputs({"project_arn": self.project.arn, "connection": self.connection})
