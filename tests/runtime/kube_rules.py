"""The checks a real API server makes on a batch/v1 Job, for the fake API server.

The body is validated against the Kubernetes client's own models (unknown fields, types,
required fields), then against the rules the API server's validation adds (names, labels,
restart policy, limits, pod failure policy, quantities).
"""

from __future__ import annotations

import re
from typing import Any

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
QUANTITY = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?")
_SUFFIX = {
    "n": 1e-9,
    "u": 1e-6,
    "m": 1e-3,
    "": 1.0,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


class Invalid(Exception):
    """The Job is invalid (the API server's 422)."""


def quantity(text: Any) -> float:
    """A Kubernetes quantity as a number (``500m`` -> 0.5, ``1Gi`` -> 2**30)."""
    text = str(text)
    if not QUANTITY.fullmatch(text):
        raise ValueError(text)
    m = re.fullmatch(r"([+-]?[\d.]+)(.*)", text)
    assert m is not None
    number, suffix = m.groups()
    if suffix[:1] in ("e", "E"):
        return float(text)
    return float(number) * _SUFFIX[suffix]


def _loc(parts: tuple[Any, ...]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _labels(path: str, labels: dict[str, Any] | None, errors: list[str], values=True) -> None:
    for key, value in (labels or {}).items():
        prefix, _, name = key.rpartition("/")
        if (
            not LABEL_NAME.fullmatch(name)
            or len(name) > 63
            or (prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.fullmatch(prefix)))
        ):
            errors.append(
                f"{path}: Invalid value: {key!r}: name part must consist of "
                "alphanumeric characters, '-', '_' or '.', and must start and end "
                "with an alphanumeric character (at most 63)"
            )
        if values and not isinstance(value, str):
            errors.append(f"{path}: Invalid value: {value!r}: must be a string")
        elif values and value and (len(value) > 63 or not LABEL_NAME.fullmatch(value)):
            errors.append(
                f"{path}: Invalid value: {value!r}: a valid label must be 63 "
                "characters or less, alphanumeric, '-', '_' or '.'"
            )


def _resources(path: str, res: dict[str, Any], errors: list[str]) -> None:
    requests, limits = res.get("requests") or {}, res.get("limits") or {}
    parsed: dict[str, dict[str, float]] = {"requests": {}, "limits": {}}
    for kind, values in (("requests", requests), ("limits", limits)):
        for name, value in values.items():
            try:
                parsed[kind][name] = quantity(value)
            except ValueError:
                errors.append(
                    f"{path}.{kind}[{name}]: Invalid value: {value!r}: quantities "
                    "must match the regular expression of a Kubernetes quantity"
                )
    for name, req in parsed["requests"].items():
        lim = parsed["limits"].get(name)
        if lim is not None and req > lim:
            errors.append(
                f"{path}.requests[{name}]: Invalid value: must be less than or "
                f"equal to {name} limit"
            )
        if "." in name or "/" in name:
            if lim is None:
                errors.append(
                    f"{path}.limits[{name}]: Required value: Limit must be set for "
                    "non overcommitable resources"
                )
            elif lim != req:
                errors.append(
                    f"{path}.requests[{name}]: Invalid value: must be equal to {name} limit"
                )


def _container(path: str, c: dict[str, Any], volumes: set[str], errors: list[str]) -> None:
    if not DNS_LABEL.fullmatch(c.get("name") or "") or len(c["name"]) > 63:
        errors.append(f"{path}.name: Invalid value: {c.get('name')!r}: a DNS-1123 label")
    if not c.get("image", "").strip():
        errors.append(f"{path}.image: Required value")
    if c.get("imagePullPolicy") not in (None, "Always", "IfNotPresent", "Never"):
        errors.append(f"{path}.imagePullPolicy: Unsupported value: {c['imagePullPolicy']!r}")
    if c.get("terminationMessagePolicy") not in (None, "File", "FallbackToLogsOnError"):
        errors.append(f"{path}.terminationMessagePolicy: Unsupported value")
    for i, env in enumerate(c.get("env") or []):
        if not ENV_NAME.fullmatch(env.get("name", "")):
            errors.append(f"{path}.env[{i}].name: Invalid value: {env.get('name')!r}")
        if "value" in env and "valueFrom" in env:
            errors.append(
                f"{path}.env[{i}].valueFrom: Invalid value: may not be specified "
                "when `value` is not empty"
            )
    for i, mount in enumerate(c.get("volumeMounts") or []):
        if mount.get("name") not in volumes:
            errors.append(f"{path}.volumeMounts[{i}].name: Not found: {mount.get('name')!r}")
    _resources(f"{path}.resources", c.get("resources") or {}, errors)


def _pod_failure_policy(path: str, policy: dict[str, Any], restart: str, errors: list[str]):
    if restart != "Never":
        errors.append(
            f"{path}: Invalid value: only restartPolicy: Never is supported with a podFailurePolicy"
        )
    for i, rule in enumerate(policy.get("rules") or []):
        where = f"{path}.rules[{i}]"
        if rule.get("action") not in ("FailJob", "Ignore", "Count", "FailIndex"):
            errors.append(f"{where}.action: Unsupported value: {rule.get('action')!r}")
        codes, conds = rule.get("onExitCodes"), rule.get("onPodConditions")
        if bool(codes) == bool(conds):
            errors.append(f"{where}: Invalid value: specify one of onExitCodes and onPodConditions")
        if codes:
            values = codes.get("values") or []
            if codes.get("operator") not in ("In", "NotIn"):
                errors.append(f"{where}.onExitCodes.operator: Unsupported value")
            if values != sorted(set(values)) or not values:
                errors.append(
                    f"{where}.onExitCodes.values: Invalid value: must be ordered and unique"
                )
            if codes.get("operator") == "In" and 0 in values:
                errors.append(
                    f"{where}.onExitCodes.values: Invalid value: 0 is not allowed "
                    "with the In operator"
                )


def validate_job(job: Any, namespace: str) -> list[str]:
    """Check a Job as the API server does; return its unknown fields.

    Raises:
        Invalid: the message the API server's 422 carries.
        ApiError: a 400 for a body that is no Job (wrong kind, namespace).
    """
    from kubernetes.client import V1Job
    from pydantic import ValidationError

    from tests.runtime.kube_api import ApiError

    if not isinstance(job, dict) or job.get("kind") != "Job" or job.get("apiVersion") != "batch/v1":
        raise ApiError(400, "BadRequest", "the body is not a batch/v1 Job")
    meta = job.get("metadata") or {}
    if meta.get("namespace") not in (None, namespace):
        raise ApiError(
            400,
            "BadRequest",
            "the namespace of the provided object does not match the namespace sent on the request",
        )
    unknown, errors = [], []
    try:
        V1Job.model_validate(job)
    except ValidationError as exc:
        for err in exc.errors():
            where = _loc(err["loc"])
            if err["type"] == "extra_forbidden":
                unknown.append(where)
            else:
                errors.append(f"{where}: Invalid value: {err['msg']}")
    name = meta.get("name") or ""
    if not name:
        errors.append("metadata.name: Required value: name or generateName is required")
    elif len(name) > 63 or not DNS_LABEL.fullmatch(name):
        errors.append(
            f"metadata.name: Invalid value: {name!r}: a lowercase RFC 1123 label "
            "must consist of lower case alphanumeric characters or '-', and must be "
            "no more than 63 characters"
        )
    _labels("metadata.labels", meta.get("labels"), errors)
    _labels("metadata.annotations", meta.get("annotations"), errors, values=False)
    spec = job.get("spec") or {}
    for key, low in (
        ("backoffLimit", 0),
        ("ttlSecondsAfterFinished", 0),
        ("activeDeadlineSeconds", 1),
    ):
        value = spec.get(key)
        if isinstance(value, int) and value < low:
            errors.append(
                f"spec.{key}: Invalid value: {value}: must be greater than or equal to {low}"
            )
    template = spec.get("template") or {}
    _labels("spec.template.metadata.labels", (template.get("metadata") or {}).get("labels"), errors)
    pod = template.get("spec") or {}
    restart = pod.get("restartPolicy", "Always")
    if restart not in ("Never", "OnFailure"):
        errors.append(
            f"spec.template.spec.restartPolicy: Unsupported value: {restart!r}: "
            'supported values: "OnFailure", "Never"'
        )
    sa = pod.get("serviceAccountName")
    if sa is not None and not DNS_SUBDOMAIN.fullmatch(sa):
        errors.append(f"spec.template.spec.serviceAccountName: Invalid value: {sa!r}")
    _labels("spec.template.spec.nodeSelector", pod.get("nodeSelector"), errors)
    volumes = {v.get("name") for v in pod.get("volumes") or []}
    containers = pod.get("containers") or []
    if not containers:
        errors.append("spec.template.spec.containers: Required value")
    for i, c in enumerate(containers):
        if isinstance(c, dict):
            _container(f"spec.template.spec.containers[{i}]", c, volumes, errors)
    for i, tol in enumerate(pod.get("tolerations") or []):
        if tol.get("operator", "Equal") not in ("Equal", "Exists"):
            errors.append(f"spec.template.spec.tolerations[{i}].operator: Unsupported value")
        if tol.get("effect") not in (None, "", "NoSchedule", "PreferNoSchedule", "NoExecute"):
            errors.append(f"spec.template.spec.tolerations[{i}].effect: Unsupported value")
    if spec.get("podFailurePolicy"):
        _pod_failure_policy("spec.podFailurePolicy", spec["podFailurePolicy"], restart, errors)
    if errors:
        raise Invalid(f'Job.batch "{name}" is invalid: ' + ", ".join(errors))
    return unknown


#: Kinds the fake server stores besides Jobs: resource -> (apiVersion, kind, client model).
OBJECT_KINDS = {
    "deployments": ("apps/v1", "Deployment", "V1Deployment"),
    "services": ("v1", "Service", "V1Service"),
    "persistentvolumeclaims": ("v1", "PersistentVolumeClaim", "V1PersistentVolumeClaim"),
    "secrets": ("v1", "Secret", "V1Secret"),
}
IANA_SVC_NAME = re.compile(r"(?=.{1,15}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?")
CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")


def validate_object(obj: Any, resource: str, namespace: str, strict: bool = False) -> list[str]:
    """Check a Deployment, Service, PersistentVolumeClaim or Secret as the API server does;
    return its unknown fields.

    Raises:
        Invalid: the message the API server's 422 carries.
        ApiError: a 400 for a body of another kind or namespace, or (``strict``) with unknown
            fields: strict decoding fails before validation, as in the API server.
    """
    import kubernetes.client
    from pydantic import ValidationError

    from tests.runtime.kube_api import ApiError

    api_version, kind, model = OBJECT_KINDS[resource]
    if not isinstance(obj, dict) or (obj.get("apiVersion"), obj.get("kind")) != (api_version, kind):
        raise ApiError(400, "BadRequest", f"the body is not a {api_version} {kind}")
    meta = obj.get("metadata") or {}
    if meta.get("namespace") not in (None, namespace):
        raise ApiError(
            400,
            "BadRequest",
            "the namespace of the provided object does not match the namespace sent on the request",
        )
    unknown, errors = [], []
    try:
        getattr(kubernetes.client, model).model_validate(obj)
    except ValidationError as exc:
        for err in exc.errors():
            where = _loc(err["loc"])
            if err["type"] == "extra_forbidden":
                unknown.append(where)
            else:
                errors.append(f"{where}: Invalid value: {err['msg']}")
    if strict and unknown:
        raise ApiError(
            400,
            "BadRequest",
            "; ".join(f'strict decoding error: unknown field "{u}"' for u in unknown),
        )
    name = meta.get("name") or ""
    if not name or len(name) > 63 or not DNS_LABEL.fullmatch(name):
        errors.append(f"metadata.name: Invalid value: {name!r}: a lowercase RFC 1123 label")
    _labels("metadata.labels", meta.get("labels"), errors)
    spec = obj.get("spec") or {}
    {
        "deployments": _deployment,
        "services": _service,
        "persistentvolumeclaims": _volume_claim,
        "secrets": lambda _spec, errs: _secret(obj, errs),
    }[resource](spec, errors)
    if errors:
        group = api_version.split("/")[0] if "/" in api_version else ""
        raise Invalid(
            f'{kind}{"." + group if group else ""} "{name}" is invalid: ' + ", ".join(errors)
        )
    return unknown


def _deployment(spec: dict[str, Any], errors: list[str]) -> None:
    template = spec.get("template") or {}
    template_labels = (template.get("metadata") or {}).get("labels") or {}
    _labels("spec.template.metadata.labels", template_labels, errors)
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    if not selector:
        errors.append("spec.selector: Required value")
    elif any(template_labels.get(k) != v for k, v in selector.items()):
        errors.append(
            "spec.template.metadata.labels: Invalid value: `selector` does not match template "
            "`labels`"
        )
    strategy = spec.get("strategy") or {}
    if strategy.get("type", "RollingUpdate") not in ("Recreate", "RollingUpdate"):
        errors.append("spec.strategy.type: Unsupported value")
    if strategy.get("type") == "Recreate" and strategy.get("rollingUpdate"):
        errors.append(
            "spec.strategy.rollingUpdate: Forbidden: may not be specified when "
            "strategy `type` is 'Recreate'"
        )
    pod = template.get("spec") or {}
    if pod.get("restartPolicy", "Always") != "Always":
        errors.append('spec.template.spec.restartPolicy: Unsupported value: only "Always"')
    volumes = {v.get("name") for v in pod.get("volumes") or []}
    containers = pod.get("containers") or []
    if not containers:
        errors.append("spec.template.spec.containers: Required value")
    for i, c in enumerate(containers):
        path = f"spec.template.spec.containers[{i}]"
        _container(path, c, volumes, errors)
        names = set()
        for j, port in enumerate(c.get("ports") or []):
            if not 1 <= int(port.get("containerPort") or 0) <= 65535:
                errors.append(f"{path}.ports[{j}].containerPort: Invalid value")
            if "name" in port:
                if not IANA_SVC_NAME.fullmatch(port["name"]):
                    errors.append(f"{path}.ports[{j}].name: Invalid value: {port['name']!r}")
                names.add(port["name"])
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            target = ((c.get(probe) or {}).get("httpGet") or {}).get("port")
            if isinstance(target, str) and target not in names:
                errors.append(
                    f"{path}.{probe}.httpGet.port: Invalid value: {target!r}: no such port"
                )


def _service(spec: dict[str, Any], errors: list[str]) -> None:
    if spec.get("type", "ClusterIP") not in (
        "ClusterIP",
        "NodePort",
        "LoadBalancer",
        "ExternalName",
    ):
        errors.append("spec.type: Unsupported value")
    ports = spec.get("ports") or []
    if not ports:
        errors.append("spec.ports: Required value")
    for i, port in enumerate(ports):
        if not 1 <= int(port.get("port") or 0) <= 65535:
            errors.append(f"spec.ports[{i}].port: Invalid value")
        target = port.get("targetPort")
        if isinstance(target, str) and not IANA_SVC_NAME.fullmatch(target):
            errors.append(f"spec.ports[{i}].targetPort: Invalid value: {target!r}")
        if len(ports) > 1 and not port.get("name"):
            errors.append(f"spec.ports[{i}].name: Required value")
    _labels("spec.selector", spec.get("selector"), errors)


def _volume_claim(spec: dict[str, Any], errors: list[str]) -> None:
    modes = spec.get("accessModes") or []
    if not modes:
        errors.append("spec.accessModes: Required value: at least 1 access mode is required")
    for mode in modes:
        if mode not in ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"):
            errors.append(f"spec.accessModes: Unsupported value: {mode!r}")
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    if storage is None:
        errors.append("spec.resources[storage]: Required value")
    elif not QUANTITY.fullmatch(str(storage)):
        errors.append(f"spec.resources[storage]: Invalid value: {storage!r}")


def _secret(obj: dict[str, Any], errors: list[str]) -> None:
    for field_ in ("data", "stringData"):
        for key in obj.get(field_) or {}:
            if not CONFIG_KEY.fullmatch(key):
                errors.append(f"{field_}[{key}]: Invalid value: a valid config key")
