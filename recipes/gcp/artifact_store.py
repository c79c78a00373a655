"""Recipe: the GCS artifact store, a private, versioned bucket with uniform access."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.gcp import names, services
from provisioner.recipes.gcp.flavors import (
    BUCKET_NOT_EMPTY_HINT,
    GCSArtifactStoreConfig,
    GCSLifecycleRule,
)
from provisioner.recipes.gcp.sdk import gcp

__all__ = [
    "BUCKET_NOT_EMPTY_HINT",
    "GCPArtifactStore",
    "GCPArtifactStoreArgs",
    "bucket_not_empty_hint",
]

APIS = ("storage.googleapis.com",)


def bucket_not_empty_hint(error_text: str) -> str | None:
    """The hint to show when a destroy failed on a non-empty bucket, else None.

    Args:
        error_text: the engine's error message for the failed delete.
    """
    text = error_text.lower()
    if "force_destroy" in text or ("bucket" in text and "not empty" in text):
        return BUCKET_NOT_EMPTY_HINT
    return None


@dataclass(frozen=True)
class GCPArtifactStoreArgs:
    """Inputs of a GCPArtifactStore.

    Attributes:
        project: GCP project of the bucket.
        location: the bucket's location.
        labels: labels of the bucket.
        bucket_name: physical bucket name.
        prefix: object prefix of artifacts and run records.
        storage_class: default storage class.
        versioning: keep older object versions.
        soft_delete_days: days deleted objects stay restorable (0: off).
        force_destroy: let destroy empty and delete the bucket.
        lifecycle_rules: expiry rules.
    """

    project: str
    location: str
    labels: dict[str, str]
    bucket_name: str
    prefix: str = "artifacts"
    storage_class: str = "STANDARD"
    versioning: bool = True
    soft_delete_days: int = 7
    force_destroy: bool = False
    lifecycle_rules: list[GCSLifecycleRule] = field(default_factory=list)

    @classmethod
    def from_config(
        cls, name: str, config: GCSArtifactStoreConfig, ctx: RecipeContext
    ) -> GCPArtifactStoreArgs:
        """Args from the flavor config and the stack."""
        project = ctx.spec.project
        return cls(
            project=project,
            location=config.location or ctx.spec.region,
            labels=ctx.tags,
            bucket_name=config.bucket_name or names.bucket(name, project),
            prefix=config.prefix,
            storage_class=config.storage_class,
            versioning=config.versioning,
            soft_delete_days=config.soft_delete_days,
            force_destroy=config.force_destroy,
            lifecycle_rules=list(config.lifecycle_rules),
        )


class GCPArtifactStore(pulumi.ComponentResource):
    """A GCS bucket for artifacts: uniform bucket-level access (no object ACLs), public access
    prevented, versioned, with optional lifecycle rules.

    Connection: ``{"uri": "gs://<bucket>/<prefix>", "gcp": {"project", "bucket"}}``. Siblings
    use ``bucket_name`` and ``prefix`` to grant their service accounts access.
    """

    TYPE = "provisioner:gcp:ArtifactStore"

    def __init__(
        self,
        name: str,
        config: GCSArtifactStoreConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        args = self.args = GCPArtifactStoreArgs.from_config(name, config, ctx)
        apis = services.enable(self, name, ctx, APIS)
        self.gcs_bucket = gcp.storage.Bucket(
            f"{name}-bucket",
            name=args.bucket_name,
            project=args.project,
            location=args.location,
            storage_class=args.storage_class,
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning={"enabled": args.versioning},
            soft_delete_policy={"retention_duration_seconds": args.soft_delete_days * 86400},
            lifecycle_rules=[r for rule in args.lifecycle_rules for r in self._rules(rule)],
            force_destroy=args.force_destroy,
            labels=args.labels,
            opts=pulumi.ResourceOptions(parent=self, depends_on=apis),
        )
        self.bucket_name: pulumi.Output[str] = self.gcs_bucket.name
        self.prefix = args.prefix
        self.uri: pulumi.Output[str] = pulumi.Output.concat(
            "gs://", self.gcs_bucket.name, "/", args.prefix
        )
        self.connection: dict[str, Any] = {
            "uri": self.uri,
            "gcp": {"project": args.project, "bucket": self.bucket_name},
        }
        self.register_outputs({"bucket_name": self.bucket_name, "connection": self.connection})

    @staticmethod
    def _rules(rule: GCSLifecycleRule) -> list[dict[str, Any]]:
        """GCS lifecycle rules have one action and one condition each."""
        prefixes = [rule.prefix] if rule.prefix else None
        out = []

        def delete(**condition: Any) -> None:
            out.append(
                {
                    "action": {"type": "Delete"},
                    "condition": {**condition, "matches_prefixes": prefixes},
                }
            )

        if rule.expire_after_days is not None:
            delete(age=rule.expire_after_days, with_state="LIVE")
        if rule.noncurrent_expire_after_days is not None:
            delete(days_since_noncurrent_time=rule.noncurrent_expire_after_days)
        if rule.keep_noncurrent_versions is not None:
            delete(num_newer_versions=rule.keep_noncurrent_versions, with_state="ARCHIVED")
        if rule.abort_multipart_after_days is not None:
            out.append(
                {
                    "action": {"type": "AbortIncompleteMultipartUpload"},
                    "condition": {"age": rule.abort_multipart_after_days},
                }
            )
        return out
