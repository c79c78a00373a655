"""Recipe part: what pipeline steps need inside the EKS cluster (namespace, service account, RBAC)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.recipes import kube_objects
from provisioner.recipes.kube_bootstrap import RBAC_GROUP, ClusterBootstrap, ClusterBootstrapArgs
from provisioner.recipes.kube_runner import RUNNER_RULES

__all__ = ["RUNNER_GROUP", "RUNNER_RULES", "ClusterObjects", "ClusterObjectsArgs", "kubeconfig"]

#: The Kubernetes group the stack user role's access entry maps to; the RoleBinding binds it.
RUNNER_GROUP = "provisioner-runners"


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str, profile: str | None):
    """A kubeconfig (JSON) for one EKS cluster that gets tokens from ``aws eks get-token``.

    It holds no credential: the token is fetched by the AWS CLI on every use.
    """
    env = [{"name": "AWS_PROFILE", "value": profile}] if profile else None
    user: dict[str, Any] = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "aws",
        "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region],
    }
    if env:
        user["env"] = env
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {"server": endpoint, "certificate-authority-data": ca_data},
                }
            ],
            "users": [{"name": cluster_name, "user": {"exec": user}}],
            "contexts": [
                {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
            ],
            "current-context": cluster_name,
        }
    )


def _ca_data(authority: Any) -> str:
    """The cluster CA's base64 data, from the typed output or its plain-dict form."""
    data = getattr(authority, "data", None)
    return data if isinstance(data, str) else authority["data"]


@dataclass(frozen=True)
class ClusterObjectsArgs:
    """Inputs of the in-cluster objects.

    Attributes:
        cluster: the EKS cluster (its name, endpoint and CA build the provider).
        region: AWS region of the cluster.
        profile: AWS profile the deploy uses, passed on to ``aws eks get-token``.
        namespace: the namespace steps run in.
        service_account: the service account steps run as.
        step_role_arn: the IRSA role the service account is annotated with.
        serves_models: the stack has a ``kubernetes`` model deployer (it gets its rights).
    """

    cluster: Any
    region: str
    profile: str | None
    namespace: str
    service_account: str
    step_role_arn: Any
    serves_models: bool = False


class ClusterObjects(ClusterBootstrap):
    """The provider, namespace, IRSA-annotated service account, Roles and RoleBindings."""

    def __init__(self, owner: pulumi.ComponentResource, name: str, args: ClusterObjectsArgs):
        kube_objects.require_sdk(
            "orchestrator 'kubernetes' on AWS", "its namespace, service account and roles"
        )
        cluster = args.cluster
        config = pulumi.Output.all(
            cluster.name, cluster.endpoint, cluster.certificate_authority
        ).apply(lambda v: kubeconfig(v[0], v[1], _ca_data(v[2]), args.region, args.profile))
        super().__init__(
            owner,
            name,
            ClusterBootstrapArgs(
                kubeconfig=config,
                namespace=args.namespace,
                service_account=args.service_account,
                service_account_annotations={"eks.amazonaws.com/role-arn": args.step_role_arn},
                # The stack user role's access entry maps it to this group.
                subjects=[{"kind": "Group", "name": RUNNER_GROUP, "apiGroup": RBAC_GROUP}],
                serves_models=args.serves_models,
            ),
        )
