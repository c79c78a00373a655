"""The Kubernetes objects of one model deployment: a Deployment of model server pods and a
ClusterIP Service in front of them (plain manifests, so the deployer and its tests use the
very same ones)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

#: The model server's port inside the pod, and the Service's port.
PORT = 8080
SERVICE_PORT = 80
#: Labels: the deployment's name and the version its pods serve.
NAME_LABEL = "provisioner.dev/deployment"
VERSION_LABEL = "provisioner.dev/model-version"
#: Where the server reads its model's artifact hash, and the stack config.
ENV_MODEL_HASH = "PROVISIONER_MODEL_HASH"
ENV_PORT = "PROVISIONER_MODEL_PORT"
ENV_WORKERS = "PROVISIONER_MODEL_WORKERS"
ENV_POD_IP = "POD_IP"


def kube_name(name: str) -> str:
    """The objects' name for deployment ``name``: ``model-<name>`` as a DNS label (a short
    hash is appended when the name had to change or be cut)."""
    clean = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    base = f"model-{clean}"
    if clean == name and len(base) <= 63:
        return base
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{base[: 63 - 9].rstrip('-')}-{digest}"


def label_value(text: str) -> str:
    """``text`` as a label value (63 characters of ``[-._a-zA-Z0-9]``, alphanumeric ends)."""
    clean = re.sub(r"[^-._a-zA-Z0-9]+", "-", text)[:63]
    return clean.strip("-._") or "x"


@dataclass(frozen=True)
class ServerArgs:
    """What the manifests are made from.

    Attributes:
        name: the deployment's name (the registered model's).
        namespace: the stack's namespace.
        image: the server image (provisioner and mlflow in it).
        version: the model version served.
        artifact_hash: the version's artifact in the stack's artifact store.
        stack_json: the stack config the pods read the artifact store with (secret-free).
        service_account: the pods' ServiceAccount (the runner's: it may read the store).
        replicas: server pods.
        cpu: CPU request of a pod.
        memory: memory request and limit of a pod.
        workers: server workers in a pod.
        env: more variables for the container (``{name: value}``).
    """

    name: str
    namespace: str
    image: str
    version: str
    artifact_hash: str
    stack_json: str
    service_account: str | None = None
    replicas: int = 1
    cpu: str = "500m"
    memory: str = "1Gi"
    workers: int = 1
    env: tuple[tuple[str, str], ...] = ()


def labels(args: ServerArgs) -> dict[str, str]:
    """The labels every object carries; the Deployment and the Service select by the first
    three."""
    return {
        "app.kubernetes.io/name": "model-server",
        "app.kubernetes.io/instance": kube_name(args.name),
        NAME_LABEL: label_value(args.name),
        "app.kubernetes.io/managed-by": "provisioner",
    }


def selector(args: ServerArgs) -> dict[str, str]:
    return {k: v for k, v in labels(args).items() if k != "app.kubernetes.io/managed-by"}


def _meta(args: ServerArgs) -> dict[str, Any]:
    return {"name": kube_name(args.name), "namespace": args.namespace, "labels": labels(args)}


def deployment(args: ServerArgs) -> dict[str, Any]:
    """The model server pods, rolled one at a time with none taken down before its
    replacement is ready (``maxUnavailable: 0``): a new version replaces the old with no gap.

    The container downloads the version's MLflow model folder from the artifact store (with
    the pod's service account) and execs ``mlflow models serve --env-manager local``.
    """
    env = [
        {"name": "PROVISIONER_STACK_CONFIG", "value": args.stack_json},
        {"name": ENV_MODEL_HASH, "value": args.artifact_hash},
        {"name": ENV_PORT, "value": str(PORT)},
        {"name": ENV_WORKERS, "value": str(args.workers)},
        {"name": ENV_POD_IP, "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "MLFLOW_DISABLE_TELEMETRY", "value": "true"},
        {"name": "DO_NOT_TRACK", "value": "1"},
        *({"name": k, "value": v} for k, v in args.env),
    ]
    probe = {"httpGet": {"path": "/health", "port": "http"}, "timeoutSeconds": 5}
    container = {
        "name": "server",
        "image": args.image,
        "command": ["python", "-m", "provisioner.runtime.mlflow.kube_serve"],
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "env": env,
        # downloading the model and importing its libraries: allow 10 minutes
        "startupProbe": {**probe, "periodSeconds": 2, "failureThreshold": 300},
        "readinessProbe": {**probe, "periodSeconds": 5},
        "livenessProbe": {**probe, "periodSeconds": 10, "failureThreshold": 6},
        "resources": {
            "requests": {"cpu": args.cpu, "memory": args.memory},
            "limits": {"memory": args.memory},
        },
        "securityContext": {"allowPrivilegeEscalation": False},
    }
    pod: dict[str, Any] = {"containers": [container], "terminationGracePeriodSeconds": 30}
    if args.service_account:
        pod["serviceAccountName"] = args.service_account
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(args),
        "spec": {
            "replicas": args.replicas,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "selector": {"matchLabels": selector(args)},
            "template": {
                "metadata": {"labels": {**labels(args), VERSION_LABEL: label_value(args.version)}},
                "spec": pod,
            },
        },
    }


def service(args: ServerArgs) -> dict[str, Any]:
    """A ClusterIP Service: reachable in the cluster, and through the API server's proxy."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(args),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(args),
            "ports": [
                {"name": "http", "port": SERVICE_PORT, "targetPort": "http", "protocol": "TCP"}
            ],
        },
    }


def url(name: str, namespace: str) -> str:
    """The Service's address inside the cluster."""
    return f"http://{kube_name(name)}.{namespace}.svc.cluster.local:{SERVICE_PORT}"
