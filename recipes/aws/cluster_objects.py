"""Recipe part: what pipeline steps need inside the EKS cluster (namespace, service account, RBAC)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.errors import UserInputError
from provisioner.recipes.kube_runner import RUNNER_RULES

__all__ = ["RUNNER_GROUP", "RUNNER_RULES", "ClusterObjects", "ClusterObjectsArgs", "kubeconfig"]

#: The Kubernetes group the stack user role's access entry maps to; the RoleBinding binds it.
RUNNER_GROUP = "provisioner-runners"


def _kubernetes_sdk() -> Any:
    try:
        import pulumi_kubernetes
    except ImportError:
        raise UserInputError(
            "orchestrator 'kubernetes' on AWS needs the pulumi-kubernetes package to create "
            "its namespace, service account and roles in the cluster",
            hint="install it with `provisioner integration install kubernetes` "
            "(or: pip install 'provisioner[kubernetes]')",
        ) from None
    return pulumi_kubernetes


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
    """

    cluster: Any
    region: str
    profile: str | None
    namespace: str
    service_account: str
    step_role_arn: Any


class ClusterObjects:
    """The provider, namespace, annotated service account, Role and RoleBinding.

    Built by the orchestrator component (``owner``); every object is its child.
    """

    def __init__(self, owner: pulumi.ComponentResource, name: str, args: ClusterObjectsArgs):
        k8s = _kubernetes_sdk()
        cluster = args.cluster
        config = pulumi.Output.all(
            cluster.name, cluster.endpoint, cluster.certificate_authority
        ).apply(lambda v: kubeconfig(v[0], v[1], _ca_data(v[2]), args.region, args.profile))
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=config,
            opts=pulumi.ResourceOptions(parent=owner),
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
                "annotations": {"eks.amazonaws.com/role-arn": args.step_role_arn},
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
            subjects=[
                {"kind": "Group", "name": RUNNER_GROUP, "api_group": "rbac.authorization.k8s.io"}
            ],
            opts=pulumi.ResourceOptions(
                parent=owner, provider=self.provider, depends_on=[self.role]
            ),
        )
