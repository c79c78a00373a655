"""GCP flavors: their config models and catalog entries (no recipe code is imported here)."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from provisioner.catalog.flavor import Flavor, FlavorConfig, Requirement, StrictModel
from provisioner.catalog.types import Cloud, ComponentType
from provisioner.recipes.gcp import connections as conn

#: What a user is told when a destroy stops at a bucket that still holds objects.
BUCKET_NOT_EMPTY_HINT = (
    "The artifact bucket still holds objects (artifacts, run records or older versions), and "
    "the recipe does not delete a non-empty bucket. Either empty it yourself (every object "
    "version: `gcloud storage rm --recursive --all-versions gs://BUCKET/**`) and run destroy "
    "again, or set `force_destroy: true` under the artifact_store config, deploy once so the "
    "setting takes effect, then destroy; force_destroy deletes every artifact for good."
)

#: What a user is told when a destroy stops at the Docker repository.
REPOSITORY_NOT_EMPTY_HINT = (
    "Artifact Registry deletes a repository together with every image in it, so the recipe "
    "keeps the repository unless told otherwise. Either delete the images you no longer need "
    "and set `force_delete: true` under the container_registry config, deploy once so the "
    "setting takes effect, then destroy; force_delete deletes every image for good."
)

_K8S_NAME = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
_GCS_PREFIX = r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$"
_MEMBER = r"^(user|group|serviceAccount):[^@\s:]+@[^@\s]+$"
_MACHINE_TYPE = r"^[a-z][a-z0-9]*-[a-z0-9-]+$"
_ACCELERATOR = r"^[A-Z][A-Z0-9_]+$"


class GCSLifecycleRule(StrictModel):
    """One lifecycle rule of the artifact bucket (a delete or an abort action)."""

    prefix: Annotated[
        str,
        Field(default="", max_length=1024, description="Object prefix it applies to; '' = all."),
    ]
    expire_after_days: Annotated[
        int | None,
        Field(default=None, ge=1, description="Delete live objects this many days old."),
    ]
    noncurrent_expire_after_days: Annotated[
        int | None,
        Field(
            default=None,
            ge=1,
            description="Delete overwritten or deleted object versions after this many days.",
        ),
    ]
    keep_noncurrent_versions: Annotated[
        int | None,
        Field(
            default=None,
            ge=1,
            description="Delete noncurrent versions beyond this many newer ones per object.",
        ),
    ]
    abort_multipart_after_days: Annotated[
        int | None,
        Field(default=None, ge=1, description="Abort unfinished multipart uploads after N days."),
    ]

    @model_validator(mode="after")
    def _has_an_action(self) -> GCSLifecycleRule:
        if all(
            v is None
            for v in (
                self.expire_after_days,
                self.noncurrent_expire_after_days,
                self.keep_noncurrent_versions,
                self.abort_multipart_after_days,
            )
        ):
            raise ValueError(
                "a lifecycle rule needs at least one of expire_after_days, "
                "noncurrent_expire_after_days, keep_noncurrent_versions, "
                "abort_multipart_after_days"
            )
        return self


class GCSArtifactStoreConfig(FlavorConfig):
    """A private, versioned GCS bucket with uniform bucket-level access."""

    bucket_name: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$",
            description="Bucket name (globally unique); default: the stack's name with a hash "
            "of the project and stack.",
        ),
    ]
    location: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^[A-Za-z0-9-]+$",
            description="Bucket location (a region, a dual-region such as EUR4, or a "
            "multi-region such as EU); default: the stack's region.",
        ),
    ]
    prefix: Annotated[
        str,
        Field(
            default="artifacts",
            pattern=_GCS_PREFIX,
            max_length=512,
            description="Object prefix under which artifacts and run records are written.",
        ),
    ]
    storage_class: Annotated[
        Literal["STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE"],
        Field(default="STANDARD", description="Default storage class of new objects."),
    ]
    versioning: Annotated[
        bool, Field(default=True, description="Keep older versions of overwritten objects.")
    ]
    soft_delete_days: Annotated[
        int,
        Field(
            default=7,
            description="Days deleted objects stay restorable (billed as storage meanwhile); "
            "0 turns soft delete off, else 7-90.",
        ),
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
        list[GCSLifecycleRule],
        Field(default_factory=list, max_length=50, description="Expiry rules for old data."),
    ]

    @field_validator("bucket_name")
    @classmethod
    def _not_google(cls, value: str | None) -> str | None:
        if value is not None and ("google" in value or value.startswith("goog")):
            raise ValueError("a bucket name cannot contain 'google' or start with 'goog'")
        return value

    @field_validator("soft_delete_days")
    @classmethod
    def _soft_delete(cls, value: int) -> int:
        if value != 0 and not 7 <= value <= 90:
            raise ValueError("must be 0 or between 7 and 90")
        return value


class ArtifactRegistryConfig(FlavorConfig):
    """A Docker repository in Artifact Registry, in the stack's region, old images cleaned up."""

    repository_id: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$",
            description="Repository id; default: generated from the stack name.",
        ),
    ]
    keep_images: Annotated[
        int,
        Field(
            default=50,
            ge=1,
            le=10000,
            description="Keep this many newest versions of each image, delete older ones.",
        ),
    ]
    immutable_tags: Annotated[
        bool, Field(default=False, description="Refuse to overwrite an existing image tag.")
    ]
    force_delete: Annotated[
        bool,
        Field(
            default=False,
            description="Let destroy delete the repository and every image in it. Off by "
            "default, so a destroy stops at the repository with this hint: "
            + REPOSITORY_NOT_EMPTY_HINT,
        ),
    ]


def _cidrs(value: list[str]) -> list[str]:
    for cidr in value:
        ipaddress.IPv4Network(cidr, strict=True)
    return value


class GKEOrchestratorConfig(FlavorConfig):
    """A GKE cluster (a node pool, or Autopilot) in its own VPC, with private nodes, a
    workload identity for steps, and a stack user service account."""

    autopilot: Annotated[
        bool,
        Field(
            default=False,
            description="An Autopilot cluster (nodes managed by Google, billed per pod "
            "request) instead of a Standard cluster with the node pool below.",
        ),
    ]
    release_channel: Annotated[
        Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"],
        Field(
            default="REGULAR",
            description="GKE release channel. EXTENDED keeps a version up to 24 months, at "
            "extended-support pricing per cluster hour past standard support; it needs "
            "accept_extended_support_cost: true.",
        ),
    ]
    accept_extended_support_cost: Annotated[
        bool,
        Field(default=False, description="Allow release_channel EXTENDED and what it costs."),
    ]
    zone: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^[a-z]+-[a-z]+\d+-[a-z]$",
            description="A zone of the stack's region for a zonal Standard cluster (one "
            "control plane zone; GKE's free tier covers one zonal cluster); default: a "
            "regional cluster, whose node counts are per zone.",
        ),
    ]
    machine_type: Annotated[
        str,
        Field(default="e2-standard-4", pattern=_MACHINE_TYPE, description="Node machine type."),
    ]
    spot: Annotated[bool, Field(default=False, description="Spot VMs for the nodes.")]
    min_nodes: Annotated[
        int, Field(default=0, ge=0, le=1000, description="Fewest nodes (per zone).")
    ]
    initial_nodes: Annotated[
        int, Field(default=1, ge=0, le=1000, description="Nodes at start (per zone).")
    ]
    max_nodes: Annotated[int, Field(default=3, ge=1, le=1000, description="Most nodes (per zone).")]
    disk_size_gb: Annotated[int, Field(default=50, ge=10, le=65536, description="Node disk size.")]
    disk_type: Annotated[
        Literal["pd-standard", "pd-balanced", "pd-ssd"],
        Field(default="pd-balanced", description="Node disk type."),
    ]
    subnet_cidr: Annotated[
        str, Field(default="10.0.0.0/20", description="Primary range of the nodes' subnet.")
    ]
    pods_cidr: Annotated[
        str, Field(default="10.16.0.0/14", description="Secondary range for pods.")
    ]
    services_cidr: Annotated[
        str, Field(default="10.20.0.0/20", description="Secondary range for services.")
    ]
    public_endpoint: Annotated[
        bool,
        Field(
            default=True,
            description="Reach the control plane from outside the VPC, from authorized_networks "
            "only. Off: the private endpoint only (deploy from inside the VPC).",
        ),
    ]
    authorized_networks: Annotated[
        list[str],
        Field(
            default_factory=list,
            description="CIDRs allowed to reach the public control plane endpoint (your office "
            "or VPN range, or your address /32); required while public_endpoint is on. The "
            "deploy itself reaches the API from here to create the namespace and its roles.",
        ),
    ]
    allow_public_api_from_anywhere: Annotated[
        bool,
        Field(
            default=False,
            description="Accept 0.0.0.0/0 in authorized_networks: the API endpoint is then open "
            "to the whole internet (still behind Google authentication).",
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
            description="Kubernetes service account steps run as; only it may act as the "
            "steps' Google service account (workload identity).",
        ),
    ]
    members: Annotated[
        list[Annotated[str, Field(pattern=_MEMBER)]],
        Field(
            default_factory=list,
            max_length=50,
            description="Who may impersonate the stack user service account (the identity the "
            "stack config names): 'user:EMAIL', 'group:EMAIL' or 'serviceAccount:EMAIL'.",
        ),
    ]

    @field_validator("subnet_cidr", "pods_cidr", "services_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        net = ipaddress.IPv4Network(value, strict=True)
        if not net.is_private:
            raise ValueError("must be a private (RFC 1918) range")
        return value

    @field_validator("authorized_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return _cidrs(value)

    @model_validator(mode="after")
    def _consistent(self) -> GKEOrchestratorConfig:
        if not self.min_nodes <= self.initial_nodes <= self.max_nodes:
            raise ValueError("node counts must satisfy min_nodes <= initial_nodes <= max_nodes")
        if self.release_channel == "EXTENDED" and not self.accept_extended_support_cost:
            raise ValueError(
                "release_channel EXTENDED bills extended support per cluster hour once the "
                "version leaves standard support; set accept_extended_support_cost: true, or "
                "pick REGULAR or STABLE"
            )
        if self.autopilot and self.zone is not None:
            raise ValueError("Autopilot clusters are regional: drop zone")
        nets = [ipaddress.IPv4Network(c) for c in (self.subnet_cidr, self.pods_cidr)]
        nets.append(ipaddress.IPv4Network(self.services_cidr))
        for i, a in enumerate(nets):
            for b in nets[i + 1 :]:
                if a.overlaps(b):
                    raise ValueError(f"subnet, pods and services ranges overlap ({a} and {b})")
        if len(set(self.members)) != len(self.members):
            raise ValueError("each member may appear once in members")
        if not self.public_endpoint:
            return self
        if not self.authorized_networks:
            raise ValueError(
                "set authorized_networks to the ranges that may reach the cluster's public "
                "control plane endpoint (your office or VPN range, or your address /32), or "
                "turn public_endpoint off"
            )
        anywhere = [c for c in self.authorized_networks if ipaddress.IPv4Network(c).prefixlen == 0]
        if anywhere and not self.allow_public_api_from_anywhere:
            raise ValueError(
                f"authorized_networks holds {anywhere[0]}, which opens the cluster's API to the "
                "whole internet; narrow it, or set allow_public_api_from_anywhere: true"
            )
        return self


class VertexConfig(FlavorConfig):
    """A service account Vertex AI jobs run as, with access to the stack's bucket only."""

    machine_type: Annotated[
        str,
        Field(
            default="n1-standard-4",
            pattern=_MACHINE_TYPE,
            description="Default machine type of the jobs the runtime starts.",
        ),
    ]
    accelerator_type: Annotated[
        str | None,
        Field(
            default=None,
            pattern=_ACCELERATOR,
            description="Default accelerator, e.g. NVIDIA_TESLA_T4; default: none.",
        ),
    ]
    staging_prefix: Annotated[
        str,
        Field(
            default="vertex",
            pattern=_GCS_PREFIX,
            description="Prefix in the artifact bucket for job staging files.",
        ),
    ]


class CloudBuildImageBuilderConfig(FlavorConfig):
    """Cloud Build builds step images from contexts uploaded to the bucket, as their own
    service account, and pushes them to the stack's repository."""

    source_prefix: Annotated[
        str,
        Field(
            default="image-builds",
            pattern=_GCS_PREFIX,
            description="Prefix in the artifact bucket for build contexts and build logs.",
        ),
    ]
    machine_type: Annotated[
        Literal["UNSPECIFIED", "E2_MEDIUM", "E2_HIGHCPU_8", "E2_HIGHCPU_32"],
        Field(default="UNSPECIFIED", description="Build machine; UNSPECIFIED is the default."),
    ]
    build_timeout_minutes: Annotated[
        int, Field(default=60, ge=5, le=1440, description="A build is stopped after this.")
    ]


class GKEMLflowConfig(FlavorConfig):
    """An MLflow tracking server on the stack's GKE cluster, artifacts in the stack's bucket."""

    image: Annotated[
        str,
        Field(
            default="ghcr.io/mlflow/mlflow:v3.1.1",
            min_length=1,
            description="MLflow server image.",
        ),
    ]
    artifact_prefix: Annotated[
        str,
        Field(default="mlflow", pattern=_GCS_PREFIX, description="Prefix in the bucket for runs."),
    ]
    database_size_gb: Annotated[
        int,
        Field(default=10, ge=1, le=1024, description="Persistent disk of the backend store."),
    ]
    cpu: Annotated[str, Field(default="500m", pattern=r"^\d+m?$", description="CPU request.")]
    memory: Annotated[
        str, Field(default="1Gi", pattern=r"^\d+(Mi|Gi)$", description="Memory request.")
    ]


class SlackAlerterConfig(FlavorConfig):
    """A reference to a Secret Manager secret holding the Slack webhook URL."""

    secret: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^projects/[^/]+/secrets/[A-Za-z0-9_-]{1,255}$",
            description="An existing secret holding the webhook URL (projects/P/secrets/S); "
            "nothing is created.",
        ),
    ]
    secret_id: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^[A-Za-z0-9_-]{1,255}$",
            description="Id of the secret to create (empty; add the webhook URL as a version "
            "after deploy). Default: <stack>-slack-webhook.",
        ),
    ]

    @model_validator(mode="after")
    def _one_source(self) -> SlackAlerterConfig:
        if self.secret is not None and self.secret_id is not None:
            raise ValueError("set secret (an existing secret) or secret_id, not both")
        return self


_R = "provisioner.recipes.gcp"

#: What the recipes that read the artifact bucket or the repository need.
_NEEDS_BUCKET = Requirement(ComponentType.ARTIFACT_STORE, ("gcs",))
_NEEDS_REPOSITORY = Requirement(ComponentType.CONTAINER_REGISTRY, ("gcp",))
_NEEDS_CLUSTER = Requirement(ComponentType.ORCHESTRATOR, ("kubernetes",))

FLAVORS: list[Flavor] = [
    Flavor(
        type=ComponentType.ARTIFACT_STORE,
        name="gcs",
        cloud=Cloud.GCP,
        config_model=GCSArtifactStoreConfig,
        recipe=f"{_R}.artifact_store:GCPArtifactStore",
        connection_model=conn.GCSArtifactStoreConnection,
        implementation="provisioner.runtime.stores.gcs:GCSArtifactStore",
        description="A private, versioned GCS bucket, uniform access, public access prevented.",
    ),
    Flavor(
        type=ComponentType.CONTAINER_REGISTRY,
        name="gcp",
        cloud=Cloud.GCP,
        config_model=ArtifactRegistryConfig,
        recipe=f"{_R}.container_registry:GCPContainerRegistry",
        connection_model=conn.ArtifactRegistryConnection,
        description="An Artifact Registry Docker repository in the stack's region.",
    ),
    Flavor(
        type=ComponentType.ORCHESTRATOR,
        name="kubernetes",
        cloud=Cloud.GCP,
        config_model=GKEOrchestratorConfig,
        recipe=f"{_R}.kubernetes:GCPKubernetesOrchestrator",
        connection_model=conn.GKEOrchestratorConnection,
        requires=(_NEEDS_BUCKET,),
        implementation="provisioner.runtime.orchestrators.kubernetes:KubernetesOrchestrator",
        description="GKE (node pool or Autopilot), private nodes; steps run as Jobs with "
        "workload identity.",
    ),
    Flavor(
        type=ComponentType.ORCHESTRATOR,
        name="vertex",
        cloud=Cloud.GCP,
        config_model=VertexConfig,
        recipe=f"{_R}.vertex:GCPVertexOrchestrator",
        connection_model=conn.VertexConnection,
        requires=(_NEEDS_BUCKET,),
        description="Vertex AI Pipelines with a least-privilege service account.",
    ),
    Flavor(
        type=ComponentType.STEP_OPERATOR,
        name="vertex",
        cloud=Cloud.GCP,
        config_model=VertexConfig,
        recipe=f"{_R}.vertex:GCPVertexStepOperator",
        connection_model=conn.VertexConnection,
        requires=(_NEEDS_BUCKET,),
        description="Runs single steps as Vertex AI custom jobs.",
    ),
    Flavor(
        type=ComponentType.IMAGE_BUILDER,
        name="gcp",
        cloud=Cloud.GCP,
        config_model=CloudBuildImageBuilderConfig,
        recipe=f"{_R}.image_builder:GCPImageBuilder",
        connection_model=conn.CloudBuildImageBuilderConnection,
        requires=(_NEEDS_BUCKET, _NEEDS_REPOSITORY),
        description="Cloud Build, as its own service account, pushing to Artifact Registry.",
        implementation="provisioner.runtime.images.cloud_build:GCPCloudBuildImageBuilder",
    ),
    Flavor(
        type=ComponentType.EXPERIMENT_TRACKER,
        name="mlflow",
        cloud=Cloud.GCP,
        config_model=GKEMLflowConfig,
        recipe=f"{_R}.mlflow:GCPMLflowExperimentTracker",
        connection_model=conn.MLflowConnection,
        requires=(_NEEDS_BUCKET, _NEEDS_CLUSTER),
        description="MLflow on the stack's GKE cluster; artifacts in the stack's bucket.",
        implementation="provisioner.runtime.mlflow.tracker:MLflowExperimentTracker",
    ),
    Flavor(
        type=ComponentType.MODEL_REGISTRY,
        name="mlflow",
        cloud=Cloud.GCP,
        config_model=GKEMLflowConfig,
        recipe=f"{_R}.mlflow:GCPMLflowModelRegistry",
        connection_model=conn.MLflowConnection,
        requires=(_NEEDS_BUCKET, _NEEDS_CLUSTER),
        description="The MLflow model registry (shares the experiment tracker's server).",
        implementation="provisioner.runtime.mlflow.registry:MLflowModelRegistry",
    ),
    Flavor(
        type=ComponentType.ALERTER,
        name="slack",
        cloud=Cloud.GCP,
        config_model=SlackAlerterConfig,
        recipe=f"{_R}.alerter:GCPSlackAlerter",
        connection_model=conn.SlackAlerterConnection,
        description="Slack messages; the webhook URL stays in Secret Manager.",
    ),
]
