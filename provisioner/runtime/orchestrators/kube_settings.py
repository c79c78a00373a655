"""The kubernetes orchestrator's config, checked: each key's type, with clear errors."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from provisioner.errors import UserInputError
from provisioner.runtime.orchestrators.kube_manifest import AZURE_WORKLOAD_IDENTITY, PodSettings
from provisioner.runtime.step import Resources

#: Options a run may override (``orchestrator_options``), beside ``image`` and ``api_server``.
RUN_OPTIONS = frozenset(
    {
        "max_parallel",
        "poll_interval",
        "keep_jobs",
        "ttl_seconds_after_finished",
        "active_deadline_seconds",
        "request_timeout",
        "pending_timeout",
        "api_outage_limit",
        "pin_image_digest",
    }
)
#: The in-cluster orchestrator pod (downward API): its Jobs are owned by it.
ENV_POD_NAME = "PROVISIONER_POD_NAME"
ENV_POD_UID = "PROVISIONER_POD_UID"


@dataclass(frozen=True)
class WatchSettings:
    """How the orchestrator waits: polling, timeouts, parallelism."""

    max_parallel: int = 8
    poll_interval: float = 2.0
    keep_jobs: bool = False
    request_timeout: float = 10.0
    pending_timeout: float = 600.0
    api_outage_limit: float = 300.0
    pin_image_digest: bool = True


def cloud_extra(cfg: dict[str, Any], cloud: str, key: str) -> Any:
    """``cfg[cloud][key]`` (a cloud-only key), or ``cfg[key]`` in a stack config written
    before the key moved under the cloud's sub-key."""
    extras = cfg.get(cloud)
    return (extras.get(key) if isinstance(extras, dict) else None) or cfg.get(key)


def credentials_command(cfg: dict[str, Any]) -> str | None:
    """The command that writes the cluster's kubeconfig entry (``aws eks update-kubeconfig``,
    ``gcloud container clusters get-credentials``, ``az aks get-credentials``), if known; an
    older azure-recipe stack config held it under ``azure``."""
    command = cloud_extra(cfg, "azure", "credentials_command")
    command = cfg.get("credentials_command") or command
    return command if isinstance(command, str) and command else None


def _get(cfg: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any) -> Any:
    value = cfg.get(key, default)
    if value is None or value is default:
        return value
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)
    if not ok:
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise UserInputError(
            f"kubernetes orchestrator config {key!r}: expected {names}, got {value!r}"
        )
    return value


def _number(cfg: dict[str, Any], key: str, default: float, low: float) -> float:
    value = float(_get(cfg, key, (int, float), default))
    if value < low:
        raise UserInputError(f"kubernetes orchestrator config {key!r}: must be >= {low:g}")
    return value


def watch_settings(cfg: dict[str, Any]) -> WatchSettings:
    """The waiting half of the config.

    Raises:
        UserInputError: a value of the wrong type or out of range.
    """
    return WatchSettings(
        max_parallel=int(_number(cfg, "max_parallel", 8, 1)),
        poll_interval=_number(cfg, "poll_interval", 2.0, 0.01),
        keep_jobs=bool(_get(cfg, "keep_jobs", bool, False)),
        request_timeout=_number(cfg, "request_timeout", 10.0, 0.1),
        pending_timeout=_number(cfg, "pending_timeout", 600.0, 0.0),
        api_outage_limit=_number(cfg, "api_outage_limit", 300.0, 0.0),
        pin_image_digest=bool(_get(cfg, "pin_image_digest", bool, True)),
    )


def _resources(cfg: dict[str, Any]) -> Resources | None:
    raw = _get(cfg, "default_resources", dict, None)
    if raw is None:
        return None
    try:
        res = Resources(**raw)
    except TypeError as exc:
        raise UserInputError(f"kubernetes orchestrator config 'default_resources': {exc}") from None
    res.check("(default_resources)")
    return res


def pod_settings(cfg: dict[str, Any], image: str, cloud: str) -> PodSettings:
    """What every step pod gets.

    Raises:
        UserInputError: a value of the wrong type.
    """
    labels = dict(_get(cfg, "pod_labels", dict, {}))
    if cloud == "azure":  # AKS workload identity injects credentials into labelled pods
        labels.setdefault(AZURE_WORKLOAD_IDENTITY, "true")
    env = {}
    aws = cfg.get("aws")
    region = _get(aws, "region", str, None) if isinstance(aws, dict) else None
    region = region or _get(cfg, "region", str, None)  # a stack config from before it moved
    if region and cloud != "azure":  # an AKS connection's region is an Azure location
        env = {"AWS_REGION": region, "AWS_DEFAULT_REGION": region}
    deadline = _get(cfg, "active_deadline_seconds", int, 86400)
    owner = None
    if os.environ.get(ENV_POD_NAME) and os.environ.get(ENV_POD_UID):
        owner = {"name": os.environ[ENV_POD_NAME], "uid": os.environ[ENV_POD_UID]}
    return PodSettings(
        namespace=_get(cfg, "namespace", str, None) or "default",
        image=image,
        service_account=_get(cfg, "service_account", str, None),
        image_pull_policy=_get(cfg, "image_pull_policy", str, None),
        image_pull_secrets=tuple(_get(cfg, "image_pull_secrets", list, [])),
        env=env,
        secret_env=dict(_get(cfg, "secret_env", dict, {})),
        env_from_secrets=tuple(_get(cfg, "env_from_secrets", list, [])),
        labels=labels,
        annotations=dict(_get(cfg, "pod_annotations", dict, {})),
        node_selector=dict(_get(cfg, "node_selector", dict, {})),
        tolerations=tuple(_get(cfg, "tolerations", list, [])),
        affinity=_get(cfg, "affinity", dict, None),
        gpu_node_selector=dict(_get(cfg, "gpu_node_selector", dict, {})),
        gpu_tolerations=tuple(_get(cfg, "gpu_tolerations", list, [])),
        default_resources=_resources(cfg),
        run_as_user=int(_get(cfg, "run_as_user", int, 1000)),
        ttl=int(_get(cfg, "ttl_seconds_after_finished", int, 86400)),
        deadline=int(deadline) if deadline else None,
        owner=owner,
    )
