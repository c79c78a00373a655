"""GCP flavors' connection models: what a deploy writes into the stack config for each.

Keys a component type has on every cloud sit at the top; what only GCP has sits under ``gcp``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from provisioner.catalog.flavor import Connection, StrictModel
from provisioner.recipes.kube_connection import KubernetesClusterConnection

Text = Annotated[str, Field(min_length=1)]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.iam\.gserviceaccount\.com$")]
GCSUri = Annotated[str, Field(pattern=r"^gs://[^/]+(/.*)?$")]


class GCPExtras(StrictModel):
    """Where a component lives on GCP, and the service account it acts as, if any."""

    project: Text
    region: Text | None = None
    location: Text | None = None
    service_account: Email | None = None
    bucket: Text | None = None


class GCSArtifactStoreConnection(Connection):
    """``{"uri": "gs://bucket/prefix", "gcp": {project, bucket}}``; ``endpoint_url`` is read
    too, for hand-written files (the GCS emulator)."""

    uri: GCSUri
    gcp: GCPExtras | None = None
    endpoint_url: Annotated[str, Field(pattern=r"^https?://")] | None = None


class ArtifactRegistryConnection(Connection):
    """``{"uri"}``: the Docker repository images are pushed to (``REGION-docker.pkg.dev/...``)."""

    uri: Text
    gcp: GCPExtras | None = None


class GKEOrchestratorConnection(KubernetesClusterConnection):
    """The keys of every cloud's kubernetes connection; ``gcp`` holds the project, the
    location and the Google service account steps act as."""

    gcp: GCPExtras | None = None


class VertexConnection(Connection):
    """The service account Vertex AI jobs run as, where they run, and their default machine."""

    service_account: Email
    region: Text
    machine_type: Text
    accelerator_type: Text | None = None
    staging_uri: GCSUri
    gcp: GCPExtras | None = None


class CloudBuildExtras(GCPExtras):
    """Where builds log, which repository they push to, and how they run."""

    logs_uri: GCSUri | None = None
    repository: Text | None = None
    machine_type: Text | None = None
    timeout_seconds: int | None = None


class CloudBuildImageBuilderConnection(Connection):
    """Where build contexts are uploaded, and the service account builds run as; optional
    ``base_image`` and ``poll_interval`` (seconds) for the runtime builder."""

    source_uri: GCSUri
    gcp: CloudBuildExtras | None = None
    base_image: Text | None = None
    poll_interval: Annotated[float, Field(gt=0)] | None = None


class MLflowExtras(GCPExtras):
    """Where run artifacts go, and how to reach the server from outside the cluster."""

    artifact_root: GCSUri | None = None
    port_forward_command: Text | None = None


class MLflowConnection(Connection):
    """The MLflow server's tracking URI (its cluster DNS name; ``registry_uri`` for the model
    registry), and under ``gcp`` the port-forward that reaches it from outside the cluster."""

    tracking_uri: Text
    registry_uri: Text | None = None
    gcp: MLflowExtras | None = None


class SlackAlerterConnection(Connection):
    """``{"webhook_secret", "channel"}``: the Secret Manager secret holding the webhook URL (its resource
    name, ``projects/P/secrets/S``), never the URL."""

    webhook_secret: Annotated[str, Field(pattern=r"^projects/[^/]+/secrets/[^/]+$")]
    channel: str | None = None
    gcp: GCPExtras | None = None
