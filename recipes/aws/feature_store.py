"""Recipe: Feast on AWS, its registry and offline data in the artifact bucket, its online
store in DynamoDB.

Feast creates its DynamoDB tables itself when feature views are applied, named
``<project>.<feature view>``; the recipe creates no table, and lets the stack's runtime roles
manage exactly those tables and the objects under the feature store's bucket prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.aws import iam, names, siblings
from provisioner.recipes.aws.flavors import AWSFeastConfig
from provisioner.recipes.aws.sdk import aws

#: What Feast's DynamoDB online store calls: table set-up on apply (create, wait, describe),
#: teardown, and batched writes (materialize) and reads (online features).
DYNAMODB_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:CreateTable",
    "dynamodb:DeleteTable",
    "dynamodb:DescribeTable",
)
#: What Feast's S3 registry store and file offline store do under the prefix.
OBJECT_ACTIONS = ("s3:DeleteObject", "s3:GetObject", "s3:PutObject")
#: The registry store checks the bucket with HeadBucket, which IAM authorizes as ListBucket.
BUCKET_ACTIONS = ("s3:ListBucket",)


@dataclass(frozen=True)
class AWSFeastArgs:
    """Inputs of an AWSFeast.

    Attributes:
        region: the region of the DynamoDB tables.
        project: the Feast project (and table prefix).
        prefix: the bucket prefix of the registry and offline data.
    """

    region: str
    project: str
    prefix: str

    @classmethod
    def from_config(cls, config: AWSFeastConfig, ctx: RecipeContext) -> AWSFeastArgs:
        """Args from the flavor config and the stack."""
        project = config.project or re.sub(r"[^A-Za-z0-9_]", "_", ctx.spec.name)
        return cls(region=ctx.spec.region, project=project, prefix=config.prefix.strip("/"))


class AWSFeast(pulumi.ComponentResource):
    """Grants the runtime roles Feast's DynamoDB tables and the bucket prefix.

    Connection: ``{"project", "registry": "s3://...", "online_store": {"type": "dynamodb",
    "region", "table_prefix"}, "offline_store": {"type": "file", "root": "s3://..."}}``.
    """

    TYPE = "provisioner:aws:Feast"

    def __init__(
        self,
        name: str,
        config: AWSFeastConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        args = self.args = AWSFeastArgs.from_config(config, ctx)
        bucket = siblings.artifact_bucket(ctx, f"the feast feature_store {name!r}")
        invoke = pulumi.InvokeOptions(parent=self)
        account = aws.get_caller_identity(opts=invoke).account_id
        partition = aws.get_partition(opts=invoke).partition
        tables = pulumi.Output.concat(
            "arn:",
            partition,
            ":dynamodb:",
            args.region,
            ":",
            account,
            ":table/",
            args.project,
            ".*",
        )
        statements = [
            {
                "Sid": "FeastOnlineTables",
                "Effect": "Allow",
                "Action": list(DYNAMODB_ACTIONS),
                "Resource": tables,
            },
            {
                "Sid": "FeastObjects",
                "Effect": "Allow",
                "Action": list(OBJECT_ACTIONS),
                "Resource": iam.bucket_objects(bucket.arn, args.prefix),
            },
            {
                "Sid": "FeastBucket",
                "Effect": "Allow",
                "Action": list(BUCKET_ACTIONS),
                "Resource": bucket.arn,
            },
            *iam.kms_use(bucket.kms_key_arn),
        ]
        child = pulumi.ResourceOptions(parent=self)
        self.grants = [
            aws.iam.RolePolicy(
                f"{name}-{label}",
                name=names.fit(f"{name}-{label}", names.IAM_INLINE_POLICY),
                role=role.id,
                policy=iam.document(statements),
                opts=child,
            )
            for label, role in siblings.runtime_roles(ctx).items()
        ]
        root = pulumi.Output.concat("s3://", bucket.name, "/", args.prefix)
        self.connection: dict[str, Any] = {
            "project": args.project,
            "registry": pulumi.Output.concat(root, "/registry.pb"),
            "online_store": {
                "type": "dynamodb",
                "region": args.region,
                "table_prefix": args.project,
            },
            "offline_store": {"type": "file", "root": pulumi.Output.concat(root, "/offline")},
        }
        self.register_outputs({"connection": self.connection})
