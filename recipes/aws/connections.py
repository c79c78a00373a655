"""AWS flavors' connection models: what a deploy writes into the stack config for each."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from provisioner.catalog.flavor import Connection
from provisioner.recipes.kube_connection import KubernetesRunOptions

Text = Annotated[str, Field(min_length=1)]
ARN = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:[a-z0-9-]+:")]


class S3ArtifactStoreConnection(Connection):
    """``{"uri": "s3://bucket/prefix", "bucket_arn"}``; ``region`` and ``endpoint_url`` are
    read too, for hand-written files (MinIO, moto)."""

    uri: Annotated[str, Field(pattern=r"^s3://[^/]+(/.*)?$")]
    bucket_arn: ARN | None = None
    region: Text | None = None
    endpoint_url: Annotated[str, Field(pattern=r"^https?://")] | None = None


class ECRContainerRegistryConnection(Connection):
    """``{"uri"}``: the repository URL images are pushed to."""

    uri: Text


class EKSOrchestratorConnection(KubernetesRunOptions):
    """The cluster, the namespace and the service account steps run as, and how steps run."""

    cluster_name: Text
    region: Text
    kube_context: Text | None = None
    service_account_role_arn: ARN | None = None
    namespace: Text
    service_account: Text


class SageMakerConnection(Connection):
    """``{"execution_role_arn", "region", "instance_type"}``."""

    execution_role_arn: ARN
    region: Text
    instance_type: Text


class CodeBuildImageBuilderConnection(Connection):
    """``{"project_name", "source_uri"}``: the CodeBuild project and its build contexts."""

    project_name: Text
    source_uri: Annotated[str, Field(pattern=r"^s3://")]


class SageMakerMLflowConnection(Connection):
    """The managed MLflow server: its ARN as ``tracking_uri``, its URL and region;
    ``registry_uri`` for the model registry."""

    tracking_uri: Text
    tracking_server_url: Text | None = None
    region: Text
    registry_uri: Text | None = None


class SlackAlerterConnection(Connection):
    """``{"webhook_secret_arn", "channel"}``: the Secrets Manager secret holding the bot token
    (or an incoming-webhook URL; the key keeps its first name), and the channel."""

    webhook_secret_arn: ARN
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
