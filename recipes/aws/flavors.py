"""AWS flavors: their config models and catalog entries (no recipe code is imported here)."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from provisioner.catalog.flavor import Flavor, FlavorConfig, Requirement, StrictModel
from provisioner.catalog.types import Cloud, ComponentType
from provisioner.recipes.aws import cloud_checks
from provisioner.recipes.aws import connections as conn

#: What a user is told when a destroy stops at a bucket that still holds objects.
BUCKET_NOT_EMPTY_HINT = (
    "The artifact bucket still holds objects (artifacts, run records or older versions), and "
    "S3 refuses to delete a non-empty bucket. Either empty it yourself (every object version: "
    "`aws s3api delete-objects` or the console's 'Empty' action) and run destroy again, or set "
    "`force_destroy: true` under the artifact_store config, deploy once so the setting takes "
    "effect, then destroy; force_destroy deletes every artifact for good."
)

#: What a user is told when a destroy stops at a repository that still holds images.
REPOSITORY_NOT_EMPTY_HINT = (
    "The ECR repository still holds images, and ECR refuses to delete a repository that has "
    "images. Either delete them yourself (`aws ecr batch-delete-image` or the console) and run "
    "destroy again, or set `force_delete: true` under the container_registry config, deploy "
    "once so the setting takes effect, then destroy; force_delete deletes every image for good."
)

_K8S_NAME = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
_S3_PREFIX = r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$"
_KMS_KEY_ARN = re.compile(
    r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/"
    r"(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
_KMS_ALIAS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:alias/.+$")
_IAM_PRINCIPAL_ARN = r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[A-Za-z0-9_+=,.@/-]+$"
_LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)


def _retention_days(value: int) -> int:
    if value not in _LOG_RETENTION_DAYS:
        raise ValueError(f"must be one of {', '.join(map(str, _LOG_RETENTION_DAYS))}")
    return value


class S3LifecycleRule(StrictModel):
    """One lifecycle rule of the artifact bucket."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9 _.-]{1,255}$", description="Rule name.")]
    prefix: Annotated[
        str,
        Field(default="", max_length=1024, description="Key prefix it applies to; '' = all."),
    ]
    expire_after_days: Annotated[
        int | None,
        Field(default=None, ge=1, description="Delete current objects this many days old."),
    ]
    noncurrent_expire_after_days: Annotated[
        int | None,
        Field(
            default=None,
            ge=1,
            description="Delete overwritten or deleted object versions after this many days.",
        ),
    ]
    abort_multipart_after_days: Annotated[
        int | None,
        Field(default=None, ge=1, description="Abort unfinished multipart uploads after N days."),
    ]

    @model_validator(mode="after")
    def _has_an_action(self) -> S3LifecycleRule:
        if (
            self.expire_after_days is None
            and self.noncurrent_expire_after_days is None
            and self.abort_multipart_after_days is None
        ):
            raise ValueError(
                "a lifecycle rule needs at least one of expire_after_days, "
                "noncurrent_expire_after_days, abort_multipart_after_days"
            )
        return self


class S3ArtifactStoreConfig(FlavorConfig):
    """A private, versioned, encrypted S3 bucket."""

    bucket_name: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            description="Bucket name (globally unique); default: generated from the stack name.",
        ),
    ]
    prefix: Annotated[
        str,
        Field(
            default="artifacts",
            pattern=_S3_PREFIX,
            max_length=512,
            description="Key prefix under which artifacts and run records are written.",
        ),
    ]
    encryption: Annotated[
        Literal["aws:kms", "AES256"],
        Field(
            default="aws:kms",
            description="Default server-side encryption: 'aws:kms' (KMS, with a bucket key) or "
            "'AES256' (S3-managed keys).",
        ),
    ]
    kms_key_arn: Annotated[
        str | None,
        Field(
            default=None,
            description="Customer-managed KMS key for 'aws:kms', as a key ARN "
            "(arn:aws:kms:REGION:ACCOUNT:key/ID; not an alias ARN, which IAM never matches); "
            "default: the AWS-managed aws/s3 key. Roles of other components are granted use of "
            "this key.",
        ),
    ]
    versioning: Annotated[
        bool, Field(default=True, description="Keep older versions of overwritten objects.")
    ]
    force_destroy: Annotated[
        bool,
        Field(
            default=False,
            description="Let destroy delete the bucket even when it holds objects. Off by "
            "default, so a destroy stops at a non-empty bucket with this hint: "
            + BUCKET_NOT_EMPTY_HINT,
        ),
    ]
    lifecycle_rules: Annotated[
        list[S3LifecycleRule],
        Field(default_factory=list, max_length=50, description="Expiry rules for old data."),
    ]

    @field_validator("kms_key_arn")
    @classmethod
    def _key_arn(cls, value: str | None) -> str | None:
        if value is None or _KMS_KEY_ARN.match(value):
            return value
        if _KMS_ALIAS_ARN.match(value):
            raise ValueError(
                "an alias ARN is refused: IAM never matches an alias when it authorizes use of "
                "the key, so every read and write would be denied; give the key ARN "
                "(`aws kms describe-key --key-id alias/NAME --query KeyMetadata.Arn`)"
            )
        raise ValueError("expected a KMS key ARN: arn:aws:kms:REGION:ACCOUNT:key/KEY-ID")

    @model_validator(mode="after")
    def _kms_key_needs_kms(self) -> S3ArtifactStoreConfig:
        if self.kms_key_arn is not None and self.encryption != "aws:kms":
            raise ValueError("kms_key_arn is set, so encryption must be 'aws:kms'")
        ids = [rule.id for rule in self.lifecycle_rules]
        if len(ids) != len(set(ids)):
            raise ValueError("lifecycle rule ids must be unique")
        return self


class ECRContainerRegistryConfig(FlavorConfig):
    """A private ECR repository, scanned on push, with old images expired."""

    repository_name: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$",
            max_length=256,
            description="Repository name; default: generated from the stack name.",
        ),
    ]
    keep_images: Annotated[
        int,
        Field(
            default=50, ge=1, le=10000, description="Keep this many newest images, expire older."
        ),
    ]
    immutable_tags: Annotated[
        bool, Field(default=False, description="Refuse to overwrite an existing image tag.")
    ]
    force_delete: Annotated[
        bool,
        Field(
            default=False,
            description="Let destroy delete the repository even when it holds images. Off by "
            "default, so a destroy stops at a non-empty repository with this hint: "
            + REPOSITORY_NOT_EMPTY_HINT,
        ),
    ]


class EKSAccessEntry(StrictModel):
    """An IAM principal given access to the cluster."""

    principal_arn: Annotated[
        str,
        Field(
            pattern=_IAM_PRINCIPAL_ARN, max_length=2048, description="ARN of an IAM role or user."
        ),
    ]
    scope: Annotated[
        Literal["namespace", "cluster"],
        Field(
            default="namespace",
            description="'namespace': edit rights in the orchestrator's namespace only; "
            "'cluster': cluster admin.",
        ),
    ]


class EKSOrchestratorConfig(FlavorConfig):
    """An EKS cluster in its own VPC, with a managed node group and an IRSA role for steps."""

    kubernetes_version: Annotated[
        str,
        Field(default="1.33", pattern=r"^1\.\d{2}$", description="EKS Kubernetes version."),
    ]
    vpc_cidr: Annotated[
        str,
        Field(
            default="10.0.0.0/16",
            description="IPv4 CIDR of the cluster's VPC, /16 to /20; split into one public and "
            "one private subnet per availability zone.",
        ),
    ]
    availability_zones: Annotated[
        int, Field(default=2, ge=2, le=4, description="Number of availability zones to span.")
    ]
    nat_gateway_per_az: Annotated[
        bool,
        Field(
            default=False,
            description="One NAT gateway per zone (survives a zone outage) instead of one shared.",
        ),
    ]
    instance_type: Annotated[
        str,
        Field(
            default="m5.large",
            pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$",
            description="EC2 instance type of the nodes.",
        ),
    ]
    capacity_type: Annotated[
        Literal["ON_DEMAND", "SPOT"], Field(default="ON_DEMAND", description="Node pricing.")
    ]
    min_nodes: Annotated[int, Field(default=1, ge=0, le=1000, description="Fewest nodes.")]
    max_nodes: Annotated[int, Field(default=3, ge=1, le=1000, description="Most nodes.")]
    desired_nodes: Annotated[int, Field(default=2, ge=0, le=1000, description="Nodes at start.")]
    disk_size_gb: Annotated[int, Field(default=50, ge=20, le=16384, description="Node disk size.")]
    endpoint_public_access: Annotated[
        bool, Field(default=True, description="Reach the Kubernetes API from the internet.")
    ]
    public_access_cidrs: Annotated[
        list[str],
        Field(
            default_factory=list,
            description="CIDRs allowed to reach the public API endpoint (your office or VPN "
            "range, or your address /32); required while endpoint_public_access is on. The "
            "deploy itself reaches the API from here to create the namespace and its roles.",
        ),
    ]
    allow_public_api_from_anywhere: Annotated[
        bool,
        Field(
            default=False,
            description="Accept 0.0.0.0/0 in public_access_cidrs: the API endpoint is then open "
            "to the whole internet (still behind IAM authentication).",
        ),
    ]
    support_type: Annotated[
        Literal["STANDARD", "EXTENDED"],
        Field(
            default="STANDARD",
            description="EKS upgrade policy: STANDARD upgrades the cluster when its version leaves "
            "standard support; EXTENDED keeps it, at extended-support pricing per cluster hour.",
        ),
    ]
    log_retention_days: Annotated[
        int,
        Field(default=30, description="Days control-plane logs are kept (a CloudWatch value)."),
    ]
    access_entries: Annotated[
        list[EKSAccessEntry],
        Field(
            default_factory=list,
            max_length=50,
            description="IAM roles or users given access to the cluster besides the deployer "
            "and the stack user role.",
        ),
    ]
    namespace: Annotated[
        str,
        Field(default="provisioner", pattern=_K8S_NAME, description="Namespace steps run in."),
    ]
    service_account: Annotated[
        str,
        Field(
            default="provisioner-runner",
            pattern=_K8S_NAME,
            description="Service account steps run as; only it may assume the step role (IRSA).",
        ),
    ]
    oidc_thumbprint: Annotated[
        str,
        Field(
            default="9e99a48a9960b14926bb7f3b02e22da2b0ab7280",
            pattern=r"^[0-9a-f]{40}$",
            description="SHA-1 thumbprint of the root CA of the cluster's OIDC issuer.",
        ),
    ]

    @field_validator("kubernetes_version")
    @classmethod
    def _eks_version(cls, value: str) -> str:
        return cloud_checks.check_kubernetes_version(value)

    @field_validator("instance_type")
    @classmethod
    def _instance_type(cls, value: str) -> str:
        return cloud_checks.check_instance_type(value)

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_cidr(cls, value: str) -> str:
        net = ipaddress.IPv4Network(value, strict=True)
        if not 16 <= net.prefixlen <= 20:
            raise ValueError("the VPC CIDR must be between /16 and /20")
        return value

    @field_validator("public_access_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ipaddress.IPv4Network(cidr, strict=True)
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return _retention_days(value)

    @model_validator(mode="after")
    def _node_counts(self) -> EKSOrchestratorConfig:
        if not self.min_nodes <= self.desired_nodes <= self.max_nodes:
            raise ValueError("node counts must satisfy min_nodes <= desired_nodes <= max_nodes")
        return self

    @model_validator(mode="after")
    def _public_endpoint(self) -> EKSOrchestratorConfig:
        if not self.endpoint_public_access:
            return self
        if not self.public_access_cidrs:
            raise ValueError(
                "set public_access_cidrs to the ranges that may reach the cluster's public API "
                "endpoint (your office or VPN range, or your address /32), or turn "
                "endpoint_public_access off"
            )
        anywhere = [c for c in self.public_access_cidrs if ipaddress.IPv4Network(c).prefixlen == 0]
        if anywhere and not self.allow_public_api_from_anywhere:
            raise ValueError(
                f"public_access_cidrs holds {anywhere[0]}, which opens the cluster's API to the "
                "whole internet; narrow it, or set allow_public_api_from_anywhere: true"
            )
        ids = [e.principal_arn for e in self.access_entries]
        if len(ids) != len(set(ids)):
            raise ValueError("each principal_arn may appear once in access_entries")
        return self


class SageMakerConfig(FlavorConfig):
    """A SageMaker execution role with access to the stack's bucket and repository only."""

    instance_type: Annotated[
        str,
        Field(
            default="ml.m5.large",
            pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$",
            description="Default instance type of the jobs the runtime starts.",
        ),
    ]

    @field_validator("instance_type")
    @classmethod
    def _instance_type(cls, value: str) -> str:
        return cloud_checks.check_training_instance_type(value)


class CodeBuildImageBuilderConfig(FlavorConfig):
    """A CodeBuild project that builds step images from a context uploaded to the bucket."""

    compute_type: Annotated[
        Literal["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"],
        Field(default="BUILD_GENERAL1_SMALL", description="CodeBuild machine size."),
    ]
    build_image: Annotated[
        str,
        Field(
            default="aws/codebuild/standard:7.0",
            min_length=1,
            description="CodeBuild image that runs docker build.",
        ),
    ]
    source_prefix: Annotated[
        str,
        Field(
            default="image-builds",
            pattern=_S3_PREFIX,
            description="Prefix in the artifact bucket where build contexts are uploaded.",
        ),
    ]
    build_timeout_minutes: Annotated[
        int, Field(default=60, ge=5, le=480, description="A build is stopped after this.")
    ]
    log_retention_days: Annotated[
        int, Field(default=30, description="Days build logs are kept (a CloudWatch value).")
    ]

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return _retention_days(value)


class SageMakerMLflowConfig(FlavorConfig):
    """A SageMaker managed MLflow tracking server, artifacts in the stack's bucket."""

    size: Annotated[
        Literal["Small", "Medium", "Large"],
        Field(default="Small", description="Tracking server size."),
    ]
    mlflow_version: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^\d+\.\d+(\.\d+)?$",
            description="MLflow version of the server; default: SageMaker's current default.",
        ),
    ]
    artifact_prefix: Annotated[
        str,
        Field(default="mlflow", pattern=_S3_PREFIX, description="Prefix in the bucket for runs."),
    ]
    automatic_model_registration: Annotated[
        bool | None,
        Field(
            default=None,
            description="Also register MLflow models in the SageMaker Model Registry; default: "
            "on for model_registry, off for experiment_tracker.",
        ),
    ]
    weekly_maintenance_window_start: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\d|2[0-3]):[0-5]\d$",
            description="Maintenance window start (UTC), e.g. 'Tue:03:30'.",
        ),
    ]


class SlackAlerterConfig(FlavorConfig):
    """A reference to a Secrets Manager secret holding the Slack bot token (or a webhook URL)."""

    channel: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^(#[a-z0-9_.-]{1,80}|[CGD][A-Z0-9]{6,20})$",
            description="The channel's ID (C0123ABCD) or #name the bot posts to; needed when "
            "the secret holds a bot token (xoxb-...: post and ask). A secret holding an "
            "incoming-webhook URL posts to the webhook's channel and cannot ask.",
        ),
    ]
    secret_arn: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$",
            description="ARN of an existing secret holding the bot token (or webhook URL); "
            "nothing is created.",
        ),
    ]
    secret_name: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}$",
            description="Name of the secret to create (empty; put the bot token in it after "
            "deploy). Default: provisioner/<stack>/slack-webhook-<unique suffix>, new on each "
            "deploy, so a redeploy within a destroyed secret's recovery window works; a fixed "
            "name is taken until that window ends (set recovery_window_days: 0 to free it).",
        ),
    ]
    recovery_window_days: Annotated[
        int,
        Field(
            default=7,
            description="Days a destroyed secret can be restored (0 deletes it at once, which "
            "lets a stack of the same name be deployed again right away); 0 or 7-30.",
        ),
    ]

    @field_validator("recovery_window_days")
    @classmethod
    def _window(cls, value: int) -> int:
        if value != 0 and not 7 <= value <= 30:
            raise ValueError("must be 0 or between 7 and 30")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> SlackAlerterConfig:
        if self.secret_arn is not None and self.secret_name is not None:
            raise ValueError("set secret_arn (an existing secret) or secret_name, not both")
        return self


class KubernetesLabelStudioConfig(FlavorConfig):
    """Label Studio on the stack's cluster: a Deployment, a Service and a volume claim."""

    name: Annotated[
        str,
        Field(default="label-studio", pattern=_K8S_NAME, description="The objects' name."),
    ]
    image: Annotated[
        str,
        Field(
            default="heartexlabs/label-studio:1.23.2",
            min_length=1,
            description="The Label Studio image (mirror it into a registry the nodes reach).",
        ),
    ]
    storage: Annotated[
        str,
        Field(
            default="10Gi",
            pattern=r"^[1-9][0-9]*(Mi|Gi|Ti)$",
            description="Size of the data volume.",
        ),
    ]
    storage_class: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
            description="Storage class of the data volume; default: the cluster's default.",
        ),
    ]
    cpu: Annotated[
        str,
        Field(
            default="500m",
            pattern=r"^[0-9]+(\.[0-9]+)?m?$",
            description="CPU the server requests.",
        ),
    ]
    memory: Annotated[
        str,
        Field(
            default="2Gi",
            pattern=r"^[1-9][0-9]*(Mi|Gi)$",
            description="Memory the server requests, and its limit.",
        ),
    ]
    username: Annotated[
        str,
        Field(
            default="admin@provisioner.local",
            pattern=r"^[^@\s]+@[^@\s]+$",
            description="The admin's email (its password and API token are generated).",
        ),
    ]
    token_env: Annotated[
        str,
        Field(
            default="LABEL_STUDIO_API_KEY",
            pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
            description="Environment variable the runtime reads the API token from.",
        ),
    ]


class AWSFeastConfig(FlavorConfig):
    """Feast with its registry in the artifact bucket and a DynamoDB online store."""

    prefix: Annotated[
        str,
        Field(
            default="feature_store",
            pattern=_S3_PREFIX,
            max_length=512,
            description="Prefix in the artifact bucket for the registry and the offline data; "
            "the runtime roles may read and write under it only.",
        ),
    ]
    project: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^[A-Za-z0-9_]{1,64}$",
            description="Feast project, and the prefix of its DynamoDB tables "
            "(<project>.<feature view>); default: the stack name with '_' for '-'.",
        ),
    ]


_R = "provisioner.recipes.aws"

#: What the recipes that read the artifact bucket or the repository need (see siblings.py).
_NEEDS_BUCKET = Requirement(ComponentType.ARTIFACT_STORE, ("s3",))
_NEEDS_REPOSITORY = Requirement(ComponentType.CONTAINER_REGISTRY, ("ecr",))

FLAVORS: list[Flavor] = [
    Flavor(
        type=ComponentType.ARTIFACT_STORE,
        name="s3",
        cloud=Cloud.AWS,
        config_model=S3ArtifactStoreConfig,
        recipe=f"{_R}.artifact_store:AWSArtifactStore",
        connection_model=conn.S3ArtifactStoreConnection,
        implementation="provisioner.runtime.stores.s3:S3ArtifactStore",
        description="A private, versioned, encrypted S3 bucket.",
    ),
    Flavor(
        type=ComponentType.CONTAINER_REGISTRY,
        name="ecr",
        cloud=Cloud.AWS,
        config_model=ECRContainerRegistryConfig,
        recipe=f"{_R}.container_registry:AWSContainerRegistry",
        connection_model=conn.ECRContainerRegistryConnection,
        description="An ECR repository, scanned on push, old images expired.",
    ),
    Flavor(
        type=ComponentType.ORCHESTRATOR,
        name="kubernetes",
        cloud=Cloud.AWS,
        config_model=EKSOrchestratorConfig,
        recipe=f"{_R}.kubernetes:AWSKubernetesOrchestrator",
        connection_model=conn.EKSOrchestratorConnection,
        requires=(_NEEDS_BUCKET,),
        implementation="provisioner.runtime.orchestrators.kubernetes:KubernetesOrchestrator",
        description="EKS cluster in its own VPC; steps run as Jobs with an IRSA role.",
    ),
    Flavor(
        type=ComponentType.ORCHESTRATOR,
        name="sagemaker",
        cloud=Cloud.AWS,
        config_model=SageMakerConfig,
        recipe=f"{_R}.sagemaker:AWSSageMakerOrchestrator",
        connection_model=conn.SageMakerConnection,
        requires=(_NEEDS_BUCKET,),
        description="SageMaker Pipelines with a least-privilege execution role.",
    ),
    Flavor(
        type=ComponentType.STEP_OPERATOR,
        name="sagemaker",
        cloud=Cloud.AWS,
        config_model=SageMakerConfig,
        recipe=f"{_R}.sagemaker:AWSSageMakerStepOperator",
        connection_model=conn.SageMakerConnection,
        requires=(_NEEDS_BUCKET,),
        description="Runs single steps as SageMaker training jobs.",
    ),
    Flavor(
        type=ComponentType.IMAGE_BUILDER,
        name="aws",
        cloud=Cloud.AWS,
        config_model=CodeBuildImageBuilderConfig,
        recipe=f"{_R}.image_builder:AWSImageBuilder",
        connection_model=conn.CodeBuildImageBuilderConnection,
        requires=(_NEEDS_BUCKET, _NEEDS_REPOSITORY),
        implementation="provisioner.runtime.images.codebuild:AWSCodeBuildImageBuilder",
        description="A CodeBuild project that builds and pushes step images to ECR.",
    ),
    Flavor(
        type=ComponentType.EXPERIMENT_TRACKER,
        name="mlflow",
        cloud=Cloud.AWS,
        config_model=SageMakerMLflowConfig,
        recipe=f"{_R}.mlflow:AWSMLflowExperimentTracker",
        implementation="provisioner.runtime.mlflow.tracker:MLflowExperimentTracker",
        connection_model=conn.SageMakerMLflowConnection,
        requires=(_NEEDS_BUCKET,),
        description="SageMaker managed MLflow; IAM auth, artifacts in the stack's bucket.",
    ),
    Flavor(
        type=ComponentType.MODEL_REGISTRY,
        name="mlflow",
        cloud=Cloud.AWS,
        config_model=SageMakerMLflowConfig,
        recipe=f"{_R}.mlflow:AWSMLflowModelRegistry",
        implementation="provisioner.runtime.mlflow.registry:MLflowModelRegistry",
        connection_model=conn.SageMakerMLflowConnection,
        requires=(_NEEDS_BUCKET,),
        description="The MLflow model registry (shares the experiment tracker's server).",
    ),
    Flavor(
        type=ComponentType.ALERTER,
        name="slack",
        cloud=Cloud.AWS,
        config_model=SlackAlerterConfig,
        recipe=f"{_R}.alerter:AWSSlackAlerter",
        connection_model=conn.SlackAlerterConnection,
        implementation="provisioner.runtime.alerters.slack:SlackAlerter",
        description="Slack messages and approvals; the bot token stays in Secrets Manager.",
    ),
    Flavor(
        type=ComponentType.ANNOTATOR,
        name="label_studio",
        cloud=Cloud.AWS,
        config_model=KubernetesLabelStudioConfig,
        recipe=f"{_R}.annotator:AWSLabelStudio",
        connection_model=conn.KubernetesLabelStudioConnection,
        implementation="provisioner.runtime.annotators.label_studio:LabelStudioAnnotator",
        description="Label Studio on the stack's cluster (Deployment, Service, volume claim).",
        requires=(Requirement(ComponentType.ORCHESTRATOR, ("kubernetes",)),),
    ),
    Flavor(
        type=ComponentType.FEATURE_STORE,
        name="feast",
        cloud=Cloud.AWS,
        config_model=AWSFeastConfig,
        recipe=f"{_R}.feature_store:AWSFeast",
        connection_model=conn.AWSFeastConnection,
        requires=(_NEEDS_BUCKET,),
        implementation="provisioner.tools.feast.feature_store:FeastFeatureStore",
        description="Feast: registry in the artifact bucket, DynamoDB online store.",
    ),
]
