"""Recipe part: what pipeline steps need inside the AKS cluster (namespace, service account, RBAC).

The runner rights are the EKS bootstrap's (:data:`RUNNER_RULES`), which a test keeps equal to
what the kubernetes orchestrator's preflight checks.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pulumi
import yaml

from provisioner.errors import UserInputError
from provisioner.recipes.aws.cluster_objects import RUNNER_RULES

__all__ = ["AKS_SERVER_ID", "RUNNER_RULES", "ClusterObjects", "ClusterObjectsArgs", "kubeconfig"]

#: The application id of the AKS Entra ID server every AKS cluster's tokens are issued for.
AKS_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"


def _kubernetes_sdk() -> Any:
    try:
        import pulumi_kubernetes
    except ImportError:
        raise UserInputError(
            "orchestrator 'kubernetes' on Azure needs the pulumi-kubernetes package to create "
            "its namespace, service account and roles in the cluster",
            hint="install it with `provisioner integration install kubernetes` "
            "(or: pip install 'provisioner[kubernetes]')",
        ) from None
    return pulumi_kubernetes


def ca_data(user_kubeconfig_b64: str) -> str:
    """The cluster CA from the kubeconfig AKS lists for users (it holds no credential)."""
    config = yaml.safe_load(base64.b64decode(user_kubeconfig_b64))
    return config["clusters"][0]["cluster"]["certificate-authority-data"]


def kubeconfig(cluster_name: str, endpoint: str, ca: str) -> str:
    """A kubeconfig (JSON) for one AKS cluster that gets Entra ID tokens from ``kubelogin``
    with the Azure CLI's login. It holds no credential."""
    user = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "kubelogin",
        "args": ["get-token", "--login", "azurecli", "--server-id", AKS_SERVER_ID],
        "interactiveMode": "Never",
    }
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {"server": endpoint, "certificate-authority-data": ca},
                }
            ],
            "users": [{"name": cluster_name, "user": {"exec": user}}],
            "contexts": [
                {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
            ],
            "current-context": cluster_name,
        }
    )


@dataclass(frozen=True)
class ClusterObjectsArgs:
    """Inputs of the in-cluster objects.

    Attributes:
        cluster_name: the cluster's name.
        endpoint: the API server URL.
        user_kubeconfig: the base64 user kubeconfig AKS lists (for the CA).
        namespace: the namespace steps run in.
        service_account: the service account steps run as.
        runner_client_id: the runner identity's client id (the workload identity).
        subjects: RBAC subjects bound to the runner role (the stack user identity, users).
        depends_on: what must exist first (the deployer's cluster admin grant).
    """

    cluster_name: Any
    endpoint: Any
    user_kubeconfig: Any
    namespace: str
    service_account: str
    runner_client_id: Any
    subjects: list[dict[str, Any]]
    depends_on: list[pulumi.Resource]


class ClusterObjects:
    """The provider, namespace, workload-identity service account, Role and RoleBinding.

    Built by the orchestrator component (``owner``); every object is its child.
    """

    def __init__(self, owner: pulumi.ComponentResource, name: str, args: ClusterObjectsArgs):
        k8s = _kubernetes_sdk()
        config = pulumi.Output.all(args.cluster_name, args.endpoint, args.user_kubeconfig).apply(
            lambda v: kubeconfig(v[0], v[1], ca_data(v[2]))
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=config,
            opts=pulumi.ResourceOptions(parent=owner, depends_on=args.depends_on),
        )
        ns = args.namespace
        labels = {"app.kubernetes.io/managed-by": "provisioner"}
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": ns, "labels": labels},
            opts=pulumi.ResourceOptions(parent=owner, provider=self.provider),
        )
        after_ns = pulumi.ResourceOptions(
            parent=owner, provider=self.provider, depends_on=[self.namespace]
        )
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata={
                "name": args.service_account,
                "namespace": ns,
                "labels": {**labels, "azure.workload.identity/use": "true"},
                "annotations": {"azure.workload.identity/client-id": args.runner_client_id},
            },
            opts=after_ns,
        )
        self.role = k8s.rbac.v1.Role(
            f"{name}-runner-role",
            metadata={"name": "provisioner-runner", "namespace": ns, "labels": labels},
            rules=[dict(rule) for rule in RUNNER_RULES],
            opts=after_ns,
        )
        self.role_binding = k8s.rbac.v1.RoleBinding(
            f"{name}-runner-binding",
            metadata={"name": "provisioner-runner", "namespace": ns, "labels": labels},
            role_ref={
                "api_group": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "provisioner-runner",
            },
            subjects=args.subjects,
            opts=pulumi.ResourceOptions(
                parent=owner, provider=self.provider, depends_on=[self.role]
            ),
        )
