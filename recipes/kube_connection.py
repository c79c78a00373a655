"""How the kubernetes orchestrator runs steps: the options every cloud's connection accepts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from provisioner.catalog.flavor import Connection

Text = Annotated[str, Field(min_length=1)]


class KubernetesRunOptions(Connection):
    """What the README's "Running on Kubernetes" documents; ``image`` is the default step
    image, when set by hand. The orchestrator checks each value's type and range when a run
    starts."""

    image: Text | None = None
    pin_image_digest: bool | None = None
    poll_interval: float | None = None
    pending_timeout: float | None = None
    api_outage_limit: float | None = None
    request_timeout: float | None = None
    max_parallel: int | None = None
    keep_jobs: bool | None = None
    active_deadline_seconds: int | None = None
    ttl_seconds_after_finished: int | None = None
    run_as_user: int | None = None
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] | None = None
    image_pull_secrets: list[Text] | None = None
    secret_env: dict[str, Text] | None = None
    env_from_secrets: list[Text] | None = None
    pod_labels: dict[str, Text] | None = None
    pod_annotations: dict[str, Text] | None = None
    node_selector: dict[str, Text] | None = None
    tolerations: list[dict[str, Any]] | None = None
    affinity: dict[str, Any] | None = None
    gpu_node_selector: dict[str, Text] | None = None
    gpu_tolerations: list[dict[str, Any]] | None = None
    default_resources: dict[str, Any] | None = None


class KubernetesClusterConnection(KubernetesRunOptions):
    """The keys the kubernetes orchestrator's connection has on every cloud: the cluster, its
    API endpoint, the kubeconfig context, the namespace and service account steps run as, and
    the command that writes the kubeconfig entry (``aws eks update-kubeconfig``, ``gcloud
    container clusters get-credentials``, ``az aks get-credentials``). Never a token: the
    cloud's CLI fetches a short-lived one on each use. What only one cloud has sits under its
    sub-key (``aws``, ``gcp``, ``azure``)."""

    cluster_name: Text
    endpoint: Text | None = None
    kube_context: Text | None = None
    namespace: Text
    service_account: Text
    credentials_command: Text | None = None
