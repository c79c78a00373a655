"""Kubernetes probe: the API answers, and this identity may create Jobs in the namespace."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from provisioner.handoff.check import ProbeFailed, ProbeSkipped

if TYPE_CHECKING:
    from provisioner.stackconfig import ComponentConnection, StackConfig

TIMEOUT = (3.0, 5.0)  # connect, read
#: Talk to this API server URL without credentials (as the kubernetes orchestrator does).
ENV_API_SERVER = "PROVISIONER_KUBERNETES_API_SERVER"


def probe(stack: StackConfig, conn: ComponentConnection) -> str:
    """Read the API server's version, then ask it (a SelfSubjectAccessReview) whether this
    identity may create Jobs in the orchestrator's namespace.

    Raises:
        ProbeSkipped: the orchestrator is not on Kubernetes.
        ProbeFailed: no kubeconfig, no answer, credentials refused, or the right is missing.
    """
    if conn.flavor != "kubernetes":
        raise ProbeSkipped(f"the {conn.flavor} orchestrator runs steps on this machine")
    try:
        from kubernetes import client
    except ImportError:
        raise ProbeFailed(
            "checking a Kubernetes cluster needs the `kubernetes` package",
            "provisioner integration install kubernetes",
        ) from None
    namespace = conn.config.get("namespace") or "default"
    api = _api_client(conn.config)
    host = api.configuration.host
    version = _call(lambda: client.VersionApi(api).get_code(_request_timeout=TIMEOUT), host)
    review = client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(
            resource_attributes=client.V1ResourceAttributes(
                namespace=namespace, verb="create", group="batch", resource="jobs"
            )
        )
    )
    answer = _call(
        lambda: client.AuthorizationV1Api(api).create_self_subject_access_review(
            review, _request_timeout=TIMEOUT
        ),
        host,
    )
    if not answer.status or not answer.status.allowed:
        reason = (answer.status.reason if answer.status else None) or "no rule allows it"
        raise ProbeFailed(
            f"{host}: this identity may not create Jobs in namespace {namespace!r} ({reason})",
            f"ask the platform engineer to bind a Role that allows creating jobs.batch in "
            f"namespace {namespace!r} to your identity (or service account "
            f"{conn.config.get('service_account') or 'default'!r})",
        )
    return (
        f"{host} answers (Kubernetes {version.git_version}); "
        f"may create Jobs in namespace {namespace!r}"
    )


def _api_client(config: dict[str, Any]) -> Any:
    """An ApiClient from the orchestrator's ``api_server``, in-cluster config or kubeconfig."""
    from kubernetes import client
    from kubernetes import config as kube_config

    cfg = client.Configuration()
    server = config.get("api_server") or os.environ.get(ENV_API_SERVER)
    if server:
        cfg.host = server.rstrip("/")
    elif os.environ.get("KUBERNETES_SERVICE_HOST"):
        kube_config.load_incluster_config(client_configuration=cfg)
    else:
        context = config.get("kube_context")
        try:
            kube_config.load_kube_config(
                # read now: the client reads $KUBECONFIG only once, when first imported
                config_file=os.environ.get("KUBECONFIG") or None,
                context=context,
                client_configuration=cfg,
            )
        except (kube_config.ConfigException, OSError) as exc:
            from provisioner.runtime.orchestrators.kube_settings import (
                cloud_extra,
                credentials_command,
            )

            cluster, command = config.get("cluster_name"), credentials_command(config)
            region = cloud_extra(config, "aws", "region")
            hint = "point KUBECONFIG at the cluster's kubeconfig"
            if command:
                hint = f"write it with `{command}`"
            elif cluster:
                hint = f"write it with `aws eks update-kubeconfig --name {cluster}" + (
                    f" --region {region}`" if region else "`"
                )
            raise ProbeFailed(
                f"no usable kubeconfig context {context or '(current)'}: {exc}", hint
            ) from None
    cfg.retries = 0
    return client.ApiClient(cfg)


def _call(request: Any, host: str) -> Any:
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        return request()
    except ApiException as exc:
        if exc.status == 401:
            raise ProbeFailed(
                f"{host} refused the credentials of this kube context (401 Unauthorized)",
                "renew the credentials of your kube context (for EKS: `aws eks "
                "update-kubeconfig`), and check that they belong to this cluster",
            ) from None
        raise ProbeFailed(f"{host} answered {exc.status} {exc.reason}") from None
    except (HTTPError, OSError) as exc:
        raise ProbeFailed(
            f"{host} does not answer: {type(exc).__name__}",
            "check that the cluster is running and reachable from here (VPN, firewall, "
            "its public endpoint)",
        ) from None
