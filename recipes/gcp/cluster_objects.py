"""Recipe part: what pipeline steps need inside the GKE cluster (namespace, service account, RBAC)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.recipes import kube_objects
from provisioner.recipes.kube_bootstrap import RBAC_GROUP, ClusterBootstrap, ClusterBootstrapArgs
from provisioner.recipes.kube_runner import RUNNER_RULES

__all__ = ["RUNNER_RULES", "ClusterObjects", "ClusterObjectsArgs", "kubeconfig"]

_NEEDED_BY = "orchestrator 'kubernetes' on GCP"


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
        serves_models: the stack has a ``kubernetes`` model deployer (it gets its rights).
    """

    cluster: Any
    context: str
    namespace: str
    service_account: str
    step_account_email: Any
    user_account_email: Any
    serves_models: bool = False


class ClusterObjects(ClusterBootstrap):
    """The provider, namespace, workload-identity service account, Roles and RoleBindings."""

    def __init__(self, owner: pulumi.ComponentResource, name: str, args: ClusterObjectsArgs):
        kube_objects.require_sdk(_NEEDED_BY, "its namespace, service account and roles")
        cluster = args.cluster
        config = pulumi.Output.all(cluster.endpoint, cluster.master_auth).apply(
            lambda v: kubeconfig(args.context, v[0], _ca_data(v[1]))
        )
        super().__init__(
            owner,
            name,
            ClusterBootstrapArgs(
                kubeconfig=config,
                namespace=args.namespace,
                service_account=args.service_account,
                service_account_annotations={
                    "iam.gke.io/gcp-service-account": args.step_account_email
                },
                # GKE names a Google identity by its email: the stack user account is a User.
                subjects=[
                    {"kind": "User", "name": args.user_account_email, "apiGroup": RBAC_GROUP}
                ],
                serves_models=args.serves_models,
            ),
        )
