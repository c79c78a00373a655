"""Talking to the Kubernetes API: credentials, bounded timeouts, backoff through outages,
``Retry-After``, and errors that name the refused permission."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from provisioner.errors import OperationError

INSTALL_HINT = 'install the Kubernetes client: pip install "provisioner[kubernetes]"'
#: The rights the orchestrator needs in its namespace: (API group, resource, verb).
RIGHTS = (
    ("batch", "jobs", "create"),
    ("batch", "jobs", "get"),
    ("batch", "jobs", "list"),
    ("batch", "jobs", "delete"),
    ("batch", "jobs", "deletecollection"),
    ("", "pods", "list"),
    ("", "pods/log", "get"),
    ("", "events", "list"),
)


class KubernetesOrchestratorError(OperationError):
    """The Kubernetes API cannot be reached, refuses a request, or lost a Job."""


class KubernetesAccessError(KubernetesOrchestratorError):
    """The API server refused the credentials (401) or a permission (403)."""


class KubernetesApiLost(KubernetesOrchestratorError):
    """The API server stayed unreachable longer than the orchestrator waits."""


@dataclass
class Apis:
    """The client's API groups the orchestrator uses."""

    batch: Any
    core: Any
    authz: Any


def api_message(exc: Any) -> str:
    """The ``message`` of an API error's ``Status`` body (else its reason)."""
    try:
        return json.loads(exc.body).get("message") or exc.reason
    except (TypeError, ValueError, AttributeError):
        return str(exc.reason)


def short(exc: BaseException) -> str:
    """The root cause of a urllib3 error, in one line."""
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    if "Connection refused" in text:
        return "connection refused"
    return text.splitlines()[0][:300] if text else type(exc).__name__


def retry_after(exc: Any) -> float | None:
    """Seconds from an error's ``Retry-After`` header, if it has one."""
    for key, value in (getattr(exc, "headers", None) or {}).items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


def connect(api_server: str | None, context: str | None, hint: str) -> tuple[Apis, str]:
    """API clients for ``api_server`` (no credentials), in-cluster, or a kubeconfig context.

    Returns the clients and the server's URL.

    Raises:
        KubernetesOrchestratorError: no client package, or no usable kubeconfig.
    """
    try:
        from kubernetes import client
        from kubernetes import config as kube_config
    except ImportError:
        raise KubernetesOrchestratorError(
            "the kubernetes orchestrator needs the `kubernetes` Python package",
            hint=INSTALL_HINT,
        ) from None
    cfg = client.Configuration()
    try:
        if api_server:
            cfg.host = api_server.rstrip("/")
        elif os.environ.get("KUBERNETES_SERVICE_HOST") and not _has_kubeconfig():
            kube_config.load_incluster_config(client_configuration=cfg)
        else:
            kube_config.load_kube_config(  # $KUBECONFIG as it is now, not at import
                config_file=os.environ.get("KUBECONFIG") or None,
                context=context,
                client_configuration=cfg,
            )
    except (kube_config.ConfigException, OSError) as exc:
        in_cluster = os.environ.get("KUBERNETES_SERVICE_HOST") and not _has_kubeconfig()
        where = (
            "in-cluster service account"
            if in_cluster
            else f"kubeconfig context {context or '(current)'}"
        )
        if in_cluster:
            hint = (
                "run in a pod with a service account token mounted, or unset "
                "KUBERNETES_SERVICE_HOST to use a kubeconfig context"
            )
        raise KubernetesOrchestratorError(f"no usable {where}: {exc}", hint=hint) from None
    cfg.retries = False  # the orchestrator retries, with its own backoff and budget
    api = client.ApiClient(cfg)
    return Apis(client.BatchV1Api(api), client.CoreV1Api(api), client.AuthorizationV1Api(api)), (
        cfg.host
    )


def _has_kubeconfig() -> bool:
    """True when this machine has a kubeconfig (else, in a pod, use its service account)."""
    paths = os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    return any(os.path.exists(p) for p in paths.split(os.pathsep) if p)


class Caller:
    """Runs API calls with bounded timeouts, retrying what a real API server throws at a
    client: connection drops, 5xx, 429 with ``Retry-After``, for at most ``outage_limit``
    seconds (after that :class:`KubernetesApiLost`).

    Args:
        apis: the API clients.
        host: the server's URL (for messages).
        namespace: the namespace the calls act in (for messages).
        request_timeout: seconds per request.
        outage_limit: seconds of failing calls before giving up.
        stop: set when the run is cancelled (waits end early).
        hint: how to reach the cluster (for messages).
    """

    def __init__(
        self,
        apis: Apis,
        host: str,
        namespace: str,
        request_timeout: float,
        outage_limit: float,
        stop: threading.Event,
        hint: str,
    ) -> None:
        self.apis, self.host, self.namespace = apis, host, namespace
        self.timeout = (min(request_timeout, 5.0), request_timeout)
        self.outage_limit = outage_limit
        self.stop = stop
        self.hint = hint

    def __call__(
        self,
        call: Callable[[Apis, Any], Any],
        what: str,
        *,
        budget: float | None = None,
        retry: Callable[[Any], bool] | None = None,
    ) -> Any:
        """``call(apis, timeout)``, retried through outages for ``budget`` seconds
        (default ``outage_limit``); ``retry(exc)`` adds API errors worth retrying.

        Raises:
            ApiException: an error that is the caller's to judge (404, 409, 422, ...).
            KubernetesAccessError: 401 or 403 (never retried).
            KubernetesApiLost: the server failed for longer than the budget.
        """
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        budget = self.outage_limit if budget is None else budget
        give_up = time.monotonic() + budget
        delay = 0.05
        while True:
            try:
                return call(self.apis, self.timeout)
            except ApiException as exc:
                if exc.status in (401, 403):
                    raise self.access_error(exc, what) from None
                transient = exc.status == 429 or exc.status >= 500 or exc.status == 0
                if not transient and not (retry and retry(exc)):
                    raise
                wait = retry_after(exc)
                error = f"({exc.status}) {api_message(exc)}"
            except (HTTPError, OSError) as exc:
                wait, error = None, short(exc)
            wait = delay if wait is None else wait
            delay = min(delay * 2, 5.0)
            if time.monotonic() + wait > give_up:
                raise KubernetesApiLost(
                    f"cannot reach the Kubernetes API server at {self.host} to {what}: {error}"
                    + (f" (for {budget:.0f} s)" if budget >= 1 else ""),
                    hint="check that the cluster is up and its endpoint reachable from here "
                    f"({self.hint})",
                )
            if self.stop.wait(wait):
                raise KubernetesOrchestratorError(f"cancelled while trying to {what}")

    def access_error(self, exc: Any, what: str) -> KubernetesAccessError:
        detail = api_message(exc)
        if exc.status == 401:
            return KubernetesAccessError(
                f"Kubernetes API at {self.host} rejected the credentials (401) trying to {what}",
                hint=f"refresh the kube context's credentials ({self.hint})",
            )
        return KubernetesAccessError(
            f"Kubernetes API at {self.host} refused to {what} in namespace "
            f"{self.namespace!r} (403): {detail}",
            hint=rights_hint(self.namespace),
        )

    def missing_rights(self) -> list[str]:
        """The rights of :data:`RIGHTS` that these credentials lack in the namespace."""
        from kubernetes import client

        missing = []
        for group, resource, verb in RIGHTS:
            res, _, sub = resource.partition("/")
            review = client.V1SelfSubjectAccessReview(
                spec=client.V1SelfSubjectAccessReviewSpec(
                    resource_attributes=client.V1ResourceAttributes(
                        namespace=self.namespace,
                        group=group,
                        resource=res,
                        subresource=sub or None,
                        verb=verb,
                    )
                )
            )
            answer = self(
                lambda a, t, r=review: a.authz.create_self_subject_access_review(
                    r, _request_timeout=t
                ),
                "check permissions",
                budget=0,
            )
            if not answer.status.allowed:
                missing.append(f"{verb} {resource}" + (f" ({group})" if group else ""))
        return missing


def rights_hint(namespace: str) -> str:
    """What a Role for the orchestrator must grant."""
    return (
        f"bind a Role in namespace {namespace!r} that grants: jobs (batch) create, get, list, "
        "delete, deletecollection; pods list; pods/log get; events list"
    )
