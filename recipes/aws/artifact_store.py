"""Recipe: the S3 artifact store, a private, versioned, encrypted bucket."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.aws import names
from provisioner.recipes.aws.flavors import (
    BUCKET_NOT_EMPTY_HINT,
    S3ArtifactStoreConfig,
    S3LifecycleRule,
)
from provisioner.recipes.aws.sdk import aws

__all__ = [
    "BUCKET_NOT_EMPTY_HINT",
    "AWSArtifactStore",
    "AWSArtifactStoreArgs",
    "bucket_not_empty_hint",
]


def bucket_not_empty_hint(error_text: str) -> str | None:
    """The hint to show when a destroy failed on a non-empty bucket, else None.

    Args:
        error_text: the engine's error message for the failed delete.
    """
    return BUCKET_NOT_EMPTY_HINT if "BucketNotEmpty" in error_text else None


@dataclass(frozen=True)
class AWSArtifactStoreArgs:
    """Inputs of an AWSArtifactStore.

    Attributes:
        region: AWS region of the bucket.
        tags: tags of every taggable resource.
        bucket_name: physical bucket name, or None for ``<name>-<account>-<region>``.
        prefix: key prefix of artifacts and run records.
        encryption: ``"aws:kms"`` or ``"AES256"``.
        kms_key_arn: customer-managed key for ``aws:kms``, or None for the AWS-managed one.
        versioning: keep older object versions.
        force_destroy: let destroy empty and delete the bucket.
        lifecycle_rules: expiry rules.
    """

    region: str
    tags: dict[str, str]
    bucket_name: str | None = None
    prefix: str = "artifacts"
    encryption: str = "aws:kms"
    kms_key_arn: str | None = None
    versioning: bool = True
    force_destroy: bool = False
    lifecycle_rules: list[S3LifecycleRule] = field(default_factory=list)

    @classmethod
    def from_config(cls, config: S3ArtifactStoreConfig, ctx: RecipeContext) -> AWSArtifactStoreArgs:
        """Args from the flavor config and the stack."""
        return cls(
            region=ctx.spec.region,
            tags=ctx.tags,
            bucket_name=config.bucket_name,
            prefix=config.prefix,
            encryption=config.encryption,
            kms_key_arn=config.kms_key_arn,
            versioning=config.versioning,
            force_destroy=config.force_destroy,
            lifecycle_rules=list(config.lifecycle_rules),
        )


class AWSArtifactStore(pulumi.ComponentResource):
    """An S3 bucket for artifacts.

    Connection: ``{"uri": "s3://<bucket>/<prefix>", "aws": {"bucket_arn"}}``. Siblings use
    ``bucket_name``, ``bucket_arn`` and ``kms_key_arn`` to grant their roles access.
    """

    TYPE = "provisioner:aws:ArtifactStore"

    def __init__(
        self,
        name: str,
        config: S3ArtifactStoreConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        args = self.args = AWSArtifactStoreArgs.from_config(config, ctx)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name or self._default_bucket_name(name, args.region),
            force_destroy=args.force_destroy,
            region=args.region,
            tags=args.tags,
            opts=child,
        )
        bucket_id = self.bucket.id
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            region=args.region,
            opts=child,
        )
        self.ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            region=args.region,
            opts=child,
        )
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_id,
            rules=[self._encryption_rule(args)],
            region=args.region,
            opts=child,
        )
        self.versioning = None
        if args.versioning:
            self.versioning = aws.s3.BucketVersioning(
                f"{name}-versioning",
                bucket=bucket_id,
                versioning_configuration={"status": "Enabled"},
                region=args.region,
                opts=child,
            )
        self.tls_policy = aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket_id,
            policy=self._tls_only_policy(self.bucket.arn),
            region=args.region,
            # S3 rejects a policy put while the public access block is being applied.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access_block]),
        )
        self.lifecycle = None
        if args.lifecycle_rules:
            after = [self.versioning] if self.versioning is not None else []
            self.lifecycle = aws.s3.BucketLifecycleConfiguration(
                f"{name}-lifecycle",
                bucket=bucket_id,
                rules=[self._lifecycle_rule(rule) for rule in args.lifecycle_rules],
                region=args.region,
                opts=pulumi.ResourceOptions(parent=self, depends_on=after),
            )
        self.bucket_name: pulumi.Output[str] = self.bucket.bucket
        self.bucket_arn: pulumi.Output[str] = self.bucket.arn
        self.kms_key_arn: str | None = args.kms_key_arn
        self.prefix = args.prefix
        self.uri: pulumi.Output[str] = pulumi.Output.concat(
            "s3://", self.bucket.bucket, "/", args.prefix
        )
        self.connection: dict[str, Any] = {"uri": self.uri, "aws": {"bucket_arn": self.bucket_arn}}
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "connection": self.connection,
            }
        )

    def _default_bucket_name(self, name: str, region: str) -> str:
        """Bucket names are global: the account and region keep this one unique."""
        account = aws.get_caller_identity(opts=pulumi.InvokeOptions(parent=self)).account_id
        return names.fit(f"{name}-{account}-{region}", names.S3_BUCKET)

    @staticmethod
    def _encryption_rule(args: AWSArtifactStoreArgs) -> dict[str, Any]:
        default: dict[str, Any] = {"sse_algorithm": args.encryption}
        if args.kms_key_arn is not None:
            default["kms_master_key_id"] = args.kms_key_arn
        return {
            "apply_server_side_encryption_by_default": default,
            "bucket_key_enabled": args.encryption == "aws:kms",
        }

    @staticmethod
    def _lifecycle_rule(rule: S3LifecycleRule) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": rule.id,
            "status": "Enabled",
            "filter": {"prefix": rule.prefix},
        }
        if rule.expire_after_days is not None:
            out["expiration"] = {"days": rule.expire_after_days}
        if rule.noncurrent_expire_after_days is not None:
            out["noncurrent_version_expiration"] = {
                "noncurrent_days": rule.noncurrent_expire_after_days
            }
        if rule.abort_multipart_after_days is not None:
            out["abort_incomplete_multipart_upload"] = {
                "days_after_initiation": rule.abort_multipart_after_days
            }
        return out

    @staticmethod
    def _tls_only_policy(bucket_arn: pulumi.Output[str]) -> pulumi.Output[str]:
        return pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            }
        )
