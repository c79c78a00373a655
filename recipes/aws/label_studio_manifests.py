"""The Kubernetes objects of a Label Studio server: a PersistentVolumeClaim, a Deployment and a
Service (plain manifests, so the recipe and the tests use the very same ones)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Label Studio's port inside the pod.
PORT = 8080
DATA_PATH = "/label-studio/data"
#: The image's user (heartexlabs/label-studio runs as 1001); the volume is made writable to it.
RUN_AS = 1001
#: Keys of the Secret that holds the admin's credentials.
SECRET_KEYS = {
    "LABEL_STUDIO_USERNAME": "username",
    "LABEL_STUDIO_PASSWORD": "password",
    "LABEL_STUDIO_USER_TOKEN": "token",
}
#: Phone-home off, sign-up closed, legacy tokens on (set on the first start, it sticks).
QUIET_ENV = {
    "LABEL_STUDIO_BASE_DATA_DIR": DATA_PATH,
    "COLLECT_ANALYTICS": "false",
    "LATEST_VERSION_CHECK": "false",
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
    "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
}


@dataclass(frozen=True)
class LabelStudioManifestArgs:
    """What the manifests are made from.

    Attributes:
        name: the objects' name (a DNS label).
        namespace: the stack's namespace.
        image: the Label Studio image.
        secret_name: the Secret holding the admin's credentials.
        storage: the volume's size (``10Gi``).
        storage_class: the volume's storage class; None: the cluster's default.
        cpu: the container's CPU request.
        memory: the container's memory request and limit.
    """

    name: str
    namespace: str
    image: str
    secret_name: str
    storage: str = "10Gi"
    storage_class: str | None = None
    cpu: str = "500m"
    memory: str = "2Gi"


def labels(args: LabelStudioManifestArgs) -> dict[str, str]:
    """The labels every object carries; the Deployment and the Service select by them."""
    return {
        "app.kubernetes.io/name": "label-studio",
        "app.kubernetes.io/instance": args.name,
        "app.kubernetes.io/managed-by": "provisioner",
    }


def _meta(args: LabelStudioManifestArgs) -> dict[str, Any]:
    return {"name": args.name, "namespace": args.namespace, "labels": labels(args)}


def volume_claim(args: LabelStudioManifestArgs) -> dict[str, Any]:
    """The PersistentVolumeClaim for Label Studio's data (its SQLite database and uploads)."""
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": args.storage}},
    }
    if args.storage_class:
        spec["storageClassName"] = args.storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _meta(args),
        "spec": spec,
    }


def deployment(args: LabelStudioManifestArgs) -> dict[str, Any]:
    """One Label Studio pod on the claim (``Recreate``: a ReadWriteOnce volume has one writer)."""
    env = [{"name": k, "value": v} for k, v in QUIET_ENV.items()]
    env += [
        {"name": var, "valueFrom": {"secretKeyRef": {"name": args.secret_name, "key": key}}}
        for var, key in SECRET_KEYS.items()
    ]
    probe = {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 10}
    container = {
        "name": "label-studio",
        "image": args.image,
        "args": [
            "label-studio",
            "start",
            "--no-browser",
            "--internal-host",
            "0.0.0.0",  # the pod's address: the Service reaches it there
            "--port",
            str(PORT),
            "--enable-legacy-api-token",
        ],
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "env": env,
        "volumeMounts": [{"name": "data", "mountPath": DATA_PATH}],
        # the first start migrates a fresh database (40+ s): allow it 10 minutes
        "startupProbe": {**probe, "failureThreshold": 60},
        "readinessProbe": probe,
        "livenessProbe": {**probe, "failureThreshold": 6},
        "resources": {
            "requests": {"cpu": args.cpu, "memory": args.memory},
            "limits": {"memory": args.memory},
        },
        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True},
    }
    selector = {k: v for k, v in labels(args).items() if k != "app.kubernetes.io/managed-by"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(args),
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": labels(args)},
                "spec": {
                    "securityContext": {"runAsUser": RUN_AS, "fsGroup": RUN_AS},
                    "automountServiceAccountToken": False,
                    "containers": [container],
                    "volumes": [
                        {"name": "data", "persistentVolumeClaim": {"claimName": args.name}}
                    ],
                },
            },
        },
    }


def service(args: LabelStudioManifestArgs) -> dict[str, Any]:
    """A ClusterIP Service: reachable in the cluster, and by ``kubectl port-forward``."""
    selector = {k: v for k, v in labels(args).items() if k != "app.kubernetes.io/managed-by"}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(args),
        "spec": {
            "type": "ClusterIP",
            "selector": selector,
            "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def url(args: LabelStudioManifestArgs) -> str:
    """The Service's address inside the cluster."""
    return f"http://{args.name}.{args.namespace}.svc.cluster.local:{PORT}"
