"""Recipe part: what pipeline steps need inside the GKE cluster (namespace, service account, RBAC)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.errors import UserInputError
from provisioner.recipes.kube_runner import RUNNER_RULES

__all__ = ["RUNNER_RULES", "ClusterObjects", "ClusterObjectsArgs", "kubeconfig"]


def _kubernetes_sdk() -> Any:
    try:
        import pulumi_kubernetes
    except ImportError:
        raise UserInputError(
            "orchestrator 'kubernetes' on GCP needs the pulumi-kubernetes package to create "
            "its namespace, service account and roles in the cluster",
            hint="install it with `provisioner integration install kubernetes` "
            "(or: pip install 'provisioner[kubernetes]')",
        ) from None
    return pulumi_kubernetes


def kubeconfig(context: str, endpoint: str, ca_data: str) -> str:
    """A kubeconfig (JSON) for one GKE cluster that gets tokens from ``gke-gcloud-auth-plugin``.

    It holds no credential: the plugin asks gcloud's credentials for a token on every use.
    """
    server = endpoint if endpoint.startswith("https://") else f"https://{endpoint}"
    user = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "gke-gcloud-auth-plugin",
        "provideClusterInfo": True,
        "installHint": "install gke-gcloud-auth-plugin: `gcloud components install "
        "gke-gcloud-auth-plugin`",
    }
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": context,
                    "cluster": {"server": server, "certificate-authority-data": ca_data},
                }
            ],
            "users": [{"name": context, "user": {"exec": user}}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
            "current-context": context,
        }
    )


def _ca_data(master_auth: Any) -> str:
    """The cluster CA (base64), from the typed output or its plain-dict form."""
    data = getattr(master_auth, "cluster_ca_certificate", None)
    if data is None and isinstance(master_auth, dict):
        data = master_auth.get("cluster_ca_certificate") or master_auth.get("clusterCaCertificate")
    return data or base64.b64encode(b"").decode()


@dataclass(frozen=True)
class ClusterObjectsArgs:
    """Inputs of the in-cluster objects.

    Attributes:
        cluster: the GKE cluster (its endpoint and CA build the provider).
        context: the kubeconfig context name gcloud writes for it.
        namespace: the namespace steps run in.
        service_account: the Kubernetes service account steps run as.
        step_account_email: the Google service account it acts as (workload identity).
        user_account_email: the stack user service account, bound to the runner Role.
    """

    cluster: Any
    context: str
    namespace: str
    service_account: str
    step_account_email: Any
    user_account_email: Any


class ClusterObjects:
    """The provider, namespace, annotated service account, Role and RoleBinding.

    Built by the orchestrator component (``owner``); every object is its child.
    """

    def __init__(self, owner: pulumi.ComponentResource, name: str, args: ClusterObjectsArgs):
        k8s = _kubernetes_sdk()
        cluster = args.cluster
        config = pulumi.Output.all(cluster.endpoint, cluster.master_auth).apply(
            lambda v: kubeconfig(args.context, v[0], _ca_data(v[1]))
        )
        self.provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=config, opts=pulumi.ResourceOptions(parent=owner)
        )
        inside = pulumi.ResourceOptions(parent=owner, provider=self.provider)
        ns = args.namespace
        labels = {"app.kubernetes.io/managed-by": "provisioner"}
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace", metadata={"name": ns, "labels": labels}, opts=inside
        )
        after_ns = pulumi.ResourceOptions(
            parent=owner, provider=self.provider, depends_on=[self.namespace]
        )
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata={
                "name": args.service_account,
                "namespace": ns,
                "labels": labels,
                "annotations": {"iam.gke.io/gcp-service-account": args.step_account_email},
            },
            opts=after_ns,
        )
        self.role = k8s.rbac.v1.Role(
            f"{name}-runner-role",
            metadata={"name": "provisioner-runner", "namespace": ns, "labels": labels},
            rules=[dict(rule) for rule in RUNNER_RULES],
            opts=after_ns,
        )
        # GKE names a Google identity by its email: the stack user service account is the User.
        self.role_binding = k8s.rbac.v1.RoleBinding(
            f"{name}-runner-binding",
            metadata={"name": "provisioner-runner", "namespace": ns, "labels": labels},
            role_ref={
                "api_group": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "provisioner-runner",
            },
            subjects=[
                {
                    "kind": "User",
                    "name": args.user_account_email,
                    "api_group": "rbac.authorization.k8s.io",
                }
            ],
            opts=pulumi.ResourceOptions(
                parent=owner, provider=self.provider, depends_on=[self.role]
            ),
        )
