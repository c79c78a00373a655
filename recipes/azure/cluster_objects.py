"""Recipe part: what pipeline steps need inside the AKS cluster (namespace, service account, RBAC)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pulumi
import yaml

from provisioner.recipes import kube_objects
from provisioner.recipes.kube_bootstrap import ClusterBootstrap, ClusterBootstrapArgs
from provisioner.recipes.kube_runner import RUNNER_RULES

__all__ = ["AKS_SERVER_ID", "RUNNER_RULES", "ClusterObjects", "ClusterObjectsArgs", "kubeconfig"]

#: The application id of the AKS Entra ID server every AKS cluster's tokens are issued for.
AKS_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"


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


def _manifest_subject(subject: dict[str, Any]) -> dict[str, Any]:
    """An RBAC subject with the manifest's key names (``api_group`` -> ``apiGroup``)."""
    return {("apiGroup" if key == "api_group" else key): v for key, v in subject.items()}


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
        serves_models: the stack has a ``kubernetes`` model deployer (it gets its rights).
    """

    cluster_name: Any
    endpoint: Any
    user_kubeconfig: Any
    namespace: str
    service_account: str
    runner_client_id: Any
    subjects: list[dict[str, Any]]
    depends_on: list[pulumi.Resource]
    serves_models: bool = False


class ClusterObjects(ClusterBootstrap):
    """The provider, namespace, workload-identity service account, Roles and RoleBindings."""

    def __init__(self, owner: pulumi.ComponentResource, name: str, args: ClusterObjectsArgs):
        kube_objects.require_sdk(
            "orchestrator 'kubernetes' on Azure", "its namespace, service account and roles"
        )
        config = pulumi.Output.all(args.cluster_name, args.endpoint, args.user_kubeconfig).apply(
            lambda v: kubeconfig(v[0], v[1], ca_data(v[2]))
        )
        super().__init__(
            owner,
            name,
            ClusterBootstrapArgs(
                kubeconfig=config,
                namespace=args.namespace,
                service_account=args.service_account,
                service_account_labels={"azure.workload.identity/use": "true"},
                service_account_annotations={
                    "azure.workload.identity/client-id": args.runner_client_id
                },
                subjects=[_manifest_subject(s) for s in args.subjects],
                serves_models=args.serves_models,
                provider_depends_on=args.depends_on,
            ),
        )
