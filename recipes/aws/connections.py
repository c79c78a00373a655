"""AWS flavors' connection models: what a deploy writes into the stack config for each.

Keys a component type has on every cloud sit at the top; what only AWS has (ARNs, the
region, CodeBuild's project) sits under ``aws``. A stack config written when those keys were
at the top still loads: each model's ``MOVED`` moves them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from provisioner.catalog.flavor import Connection, StrictModel
from provisioner.recipes.kube_connection import KubernetesClusterConnection

Text = Annotated[str, Field(min_length=1)]
ARN = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:[a-z0-9-]+:")]


class S3Extras(StrictModel):
    """The bucket's ARN (siblings grant their roles access to it), and its region."""

    bucket_arn: ARN | None = None
    region: Text | None = None


class S3ArtifactStoreConnection(Connection):
    """``{"uri": "s3://bucket/prefix", "aws": {"bucket_arn"}}``; ``endpoint_url`` is read
    too, for hand-written files (MinIO, moto), and ``aws.region`` picks the bucket's region."""

    MOVED = {"bucket_arn": "aws.bucket_arn", "region": "aws.region"}

    uri: Annotated[str, Field(pattern=r"^s3://[^/]+(/.*)?$")]
    aws: S3Extras | None = None
    endpoint_url: Annotated[str, Field(pattern=r"^https?://")] | None = None


class ECRContainerRegistryConnection(Connection):
    """``{"uri"}``: the repository URL images are pushed to."""

    uri: Text


class EKSExtras(StrictModel):
    """The cluster's region, and the IAM role the runner service account assumes (IRSA)."""

    region: Text
    service_account_role_arn: ARN | None = None


class EKSOrchestratorConnection(KubernetesClusterConnection):
    """The keys of every cloud's kubernetes connection; ``aws`` holds the region and the
    runner's IAM role."""

    MOVED = {"region": "aws.region", "service_account_role_arn": "aws.service_account_role_arn"}

    aws: EKSExtras | None = None


class SageMakerExtras(StrictModel):
    """The IAM role SageMaker jobs run as."""

    execution_role_arn: ARN


class SageMakerConnection(Connection):
    """``{"region", "instance_type", "aws": {"execution_role_arn"}}``."""

    MOVED = {"execution_role_arn": "aws.execution_role_arn"}

    region: Text
    instance_type: Text
    aws: SageMakerExtras


class CodeBuildExtras(StrictModel):
    """The CodeBuild project builds run in."""

    project_name: Text


class CodeBuildImageBuilderConnection(Connection):
    """``{"source_uri", "aws": {"project_name"}}``: where build contexts go, and the
    CodeBuild project."""

    MOVED = {"project_name": "aws.project_name"}

    source_uri: Annotated[str, Field(pattern=r"^s3://")]
    aws: CodeBuildExtras


class SageMakerMLflowExtras(StrictModel):
    """The managed server's region and its URL (the tracking URI is its ARN)."""

    region: Text
    tracking_server_url: Text | None = None


class SageMakerMLflowConnection(Connection):
    """The managed MLflow server: its ARN as ``tracking_uri``, ``registry_uri`` for the model
    registry; ``aws`` holds its region and URL."""

    MOVED = {"region": "aws.region", "tracking_server_url": "aws.tracking_server_url"}

    tracking_uri: Text
    registry_uri: Text | None = None
    aws: SageMakerMLflowExtras | None = None


class SlackAlerterConnection(Connection):
    """``{"webhook_secret", "channel"}``: the Secrets Manager secret (its ARN) holding the bot
    token or an incoming-webhook URL, never the value; and the channel."""

    MOVED = {"webhook_secret_arn": "webhook_secret"}

    webhook_secret: ARN
    channel: str | None = None


class KubernetesLabelStudioConnection(Connection):
    """``{"url", "token_env", "namespace", "service"}``: Label Studio's in-cluster URL, the
    variable holding its API token, and its Service (for ``kubectl port-forward``)."""

    url: Annotated[str, Field(min_length=1, pattern=r"^https?://")]
    token_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    namespace: Annotated[str, Field(min_length=1)]
    service: Annotated[str, Field(min_length=1)]


class FeastDynamoDBOnlineStore(Connection):
    """``{"type": "dynamodb", "region", "table_prefix"}``: Feast's tables are
    ``<table_prefix>.<feature view>`` in that region."""

    type: Literal["dynamodb"]
    region: Text
    table_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,200}$")]


class FeastS3OfflineStore(Connection):
    """``{"type": "file", "root"}``: the S3 folder of the offline data (Parquet files)."""

    type: Literal["file"]
    root: Annotated[str, Field(pattern=r"^s3://[^/]+/.+$")]


class AWSFeastConnection(Connection):
    """``{"project", "registry", "online_store", "offline_store"}``: a Feast registry in the
    artifact bucket, a DynamoDB online store, offline files in the bucket."""

    project: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,64}$")]
    registry: Annotated[str, Field(pattern=r"^s3://[^/]+/.+$")]
    online_store: FeastDynamoDBOnlineStore
    offline_store: FeastS3OfflineStore
