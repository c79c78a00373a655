"""The batch/v1 Job that runs one step: names, labels, pod spec, resources, security."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from provisioner.runtime.entrypoint import ENV_STACK_CONFIG, EXIT_SETUP, command
from provisioner.runtime.step import Resources

LABEL = "provisioner.dev"
CONTAINER = "step"
GPU = "nvidia.com/gpu"
#: The pod Azure workload identity injects credentials into.
AZURE_WORKLOAD_IDENTITY = "azure.workload.identity/use"


def label_value(text: str) -> str:
    """``text`` as a valid label value (<= 63 of ``[A-Za-z0-9._-]``, alphanumeric ends)."""
    if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?", text):
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    clean = re.sub(r"[^A-Za-z0-9._-]+", "-", text)[:52].strip("._-")
    return f"{clean}-{digest}" if clean else digest


def job_name(run_id: str, step: str) -> str:
    """A DNS-1123 label, unique per run and step: ``prov-<step>-<hash>``."""
    digest = hashlib.sha256(f"{run_id}/{step}".encode()).hexdigest()[:12]
    slug = re.sub(r"[^a-z0-9-]+", "-", step.lower())[:40].strip("-")
    return f"prov-{slug}-{digest}" if slug else f"prov-{digest}"


def run_selector(run_id: str) -> str:
    """The label selector of every Job (and pod) of one run."""
    return f"{LABEL}/run-id={label_value(run_id)}"


@dataclass(frozen=True)
class PodSettings:
    """What every step pod of a stack gets, from the orchestrator's config.

    Attributes:
        namespace: where the Jobs run.
        service_account: the pods' ServiceAccount (IRSA / workload identity binds it).
        image: the steps' image reference.
        image_pull_policy: ``Always`` for a tag, ``IfNotPresent`` for a digest by default.
        image_pull_secrets: Secrets holding registry credentials.
        env: literal variables for every pod (region, ...).
        secret_env: ``VAR -> "secret/key"``: variables read from Kubernetes Secrets.
        env_from_secrets: Secrets whose every key becomes a variable.
        labels: extra pod labels; annotations: extra pod annotations.
        node_selector, tolerations, affinity: placement of every step.
        gpu_node_selector, gpu_tolerations: extra placement of steps that request GPUs.
        default_resources: requests for steps that declare none (quotas require some).
        run_as_user: the non-root user the container runs as.
        backoff_limit_default: retries of steps that set none.
        ttl: seconds a finished Job is kept; deadline: seconds a Job may run.
        owner: ``{"name": ..., "uid": ...}`` of an in-cluster orchestrator pod that owns
            the Jobs (deleting it deletes them).
    """

    namespace: str
    image: str
    service_account: str | None = None
    image_pull_policy: str | None = None
    image_pull_secrets: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    secret_env: dict[str, str] = field(default_factory=dict)
    env_from_secrets: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict[str, Any], ...] = ()
    affinity: dict[str, Any] | None = None
    gpu_node_selector: dict[str, str] = field(default_factory=dict)
    gpu_tolerations: tuple[dict[str, Any], ...] = ()
    default_resources: Resources | None = None
    run_as_user: int = 1000
    ttl: int = 86400
    deadline: int | None = 86400
    owner: dict[str, str] | None = None


@dataclass(frozen=True)
class StepJob:
    """One step's part of the Job: who it is and what it needs."""

    name: str
    run_id: str
    step: str
    stack: str
    pipeline: str
    store_uri: str
    target: str
    stack_json: str
    retries: int
    resources: Resources | None = None


def pull_policy(image: str, configured: str | None) -> str:
    """``configured``, else ``IfNotPresent`` for an image pinned by digest, else ``Always``
    (a mutable tag must be pulled again, or nodes run whatever they cached)."""
    if configured:
        return configured
    return "IfNotPresent" if "@sha256:" in image else "Always"


def resources_spec(res: Resources | None) -> dict[str, dict[str, str]]:
    """A container's ``resources``: requests, and limits for memory and GPUs."""
    if res is None:
        return {}
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}
    if res.cpu is not None:
        requests["cpu"] = str(res.cpu)
    if res.memory is not None:
        requests["memory"] = limits["memory"] = str(res.memory)
    if res.memory_limit is not None:
        limits["memory"] = str(res.memory_limit)
    if res.cpu_limit is not None:
        limits["cpu"] = str(res.cpu_limit)
    if res.gpu:
        requests[GPU] = limits[GPU] = str(res.gpu)
    return {k: v for k, v in (("requests", requests), ("limits", limits)) if v}


def _env(pod: PodSettings, step: StepJob) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [
        {"name": ENV_STACK_CONFIG, "value": step.stack_json},
        {"name": "PYTHONUNBUFFERED", "value": "1"},
        {"name": "HOME", "value": "/tmp"},
        {"name": "TMPDIR", "value": "/tmp"},
    ]
    env += [{"name": k, "value": v} for k, v in pod.env.items()]
    for var, ref in pod.secret_env.items():
        secret, _, key = ref.partition("/")
        env.append(
            {"name": var, "valueFrom": {"secretKeyRef": {"name": secret, "key": key or var}}}
        )
    return env


def job_manifest(pod: PodSettings, step: StepJob) -> dict[str, Any]:
    """The batch/v1 Job that runs one step (a plain dict, as the API takes it)."""
    labels = {
        "app.kubernetes.io/managed-by": "provisioner",
        f"{LABEL}/stack": label_value(step.stack),
        f"{LABEL}/pipeline": label_value(step.pipeline),
        f"{LABEL}/run-id": label_value(step.run_id),
        f"{LABEL}/step": label_value(step.step),
    }
    annotations = {
        f"{LABEL}/run-id": step.run_id,
        f"{LABEL}/step": step.step,
        f"{LABEL}/store": step.store_uri,
    }
    res = step.resources or pod.default_resources
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": pod.image,
        "imagePullPolicy": pull_policy(pod.image, pod.image_pull_policy),
        "command": command(step.run_id, step.step, step.target),
        "env": _env(pod, step),
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    if pod.env_from_secrets:
        container["envFrom"] = [{"secretRef": {"name": s}} for s in pod.env_from_secrets]
    if resources_spec(res):
        container["resources"] = resources_spec(res)
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "containers": [container],
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": pod.run_as_user,
            "runAsGroup": pod.run_as_user,
            "fsGroup": pod.run_as_user,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }
    if pod.service_account:
        pod_spec["serviceAccountName"] = pod.service_account
    if pod.image_pull_secrets:
        pod_spec["imagePullSecrets"] = [{"name": s} for s in pod.image_pull_secrets]
    gpu = bool(res and res.gpu)
    selector = {**pod.node_selector, **(pod.gpu_node_selector if gpu else {})}
    tolerations = [*pod.tolerations, *(pod.gpu_tolerations if gpu else ())]
    if selector:
        pod_spec["nodeSelector"] = selector
    if tolerations:
        pod_spec["tolerations"] = tolerations
    if pod.affinity:
        pod_spec["affinity"] = pod.affinity
    spec: dict[str, Any] = {
        "backoffLimit": step.retries,
        "ttlSecondsAfterFinished": pod.ttl,
        "podFailurePolicy": {
            "rules": [
                {  # the step could not start (code or config): retrying cannot help
                    "action": "FailJob",
                    "onExitCodes": {
                        "containerName": CONTAINER,
                        "operator": "In",
                        "values": [EXIT_SETUP],
                    },
                },
                {  # spot reclaim, drains, evictions, node loss: not the step's fault
                    "action": "Ignore",
                    "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
                },
            ]
        },
        "template": {
            "metadata": {
                "labels": {**pod.labels, **labels},
                "annotations": {**pod.annotations, **annotations},
            },
            "spec": pod_spec,
        },
    }
    if pod.deadline:
        spec["activeDeadlineSeconds"] = pod.deadline
    metadata: dict[str, Any] = {
        "name": step.name,
        "namespace": pod.namespace,
        "labels": labels,
        "annotations": annotations,
    }
    if pod.owner:
        metadata["ownerReferences"] = [
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "name": pod.owner["name"],
                "uid": pod.owner["uid"],
                "blockOwnerDeletion": False,
            }
        ]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": spec}
