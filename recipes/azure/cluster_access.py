"""Recipe part: the stack user identity and the listed users, with what the runtime needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.recipes.azure import names, roles, siblings
from provisioner.recipes.azure.flavors import Principal
from provisioner.recipes.azure.sdk import azure


@dataclass(frozen=True)
class ClusterAccessArgs:
    """Inputs of the cluster's access.

    Attributes:
        stack: the stack's name.
        location: Azure location.
        tags: tags of every taggable resource.
        resource_group: the stack's resource group name.
        cluster_id: the AKS cluster's resource id.
        container: the artifact container the users read and write.
        registry: the registry they push to and pull from, if any.
        users: the listed Entra ID principals.
    """

    stack: str
    location: str
    tags: dict[str, str]
    resource_group: Any
    cluster_id: Any
    container: siblings.ContainerRef
    registry: siblings.RegistryRef | None
    users: list[Principal]


class ClusterAccess:
    """The stack user identity and listed users, each granted exactly: read/write on the
    artifact container, push to the registry, and the cluster user role (to fetch a
    kubeconfig); in the cluster the RoleBinding gives them the runner rights.

    Built by the orchestrator component (``owner``); every resource is its child.
    """

    def __init__(self, owner: pulumi.ComponentResource, name: str, args: ClusterAccessArgs):
        child = pulumi.ResourceOptions(parent=owner)
        self.user_identity = azure.managedidentity.UserAssignedIdentity(
            f"{name}-user-identity",
            resource_name_=names.fit(f"{name}-user", names.IDENTITY[1]),
            resource_group_name=args.resource_group,
            location=args.location,
            tags=args.tags,
            opts=child,
        )
        self.identities: dict[str, siblings.Identity] = {
            "stack-user": siblings.Identity(self.user_identity.principal_id, "ServicePrincipal")
        }
        for user in args.users:
            label = f"user-{names.digest(user.object_id.lower(), 8)}"
            self.identities[label] = siblings.Identity(user.object_id, user.type)
        self.assignments = []
        for label, who in self.identities.items():
            grants = [
                (
                    "blob",
                    "Storage Blob Data Contributor",
                    "artifact container",
                    args.container.scope,
                ),
                (
                    "cluster-user",
                    "Azure Kubernetes Service Cluster User Role",
                    "AKS cluster",
                    args.cluster_id,
                ),
            ]
            if args.registry is not None:
                grants.append(("push", "AcrPush", "container registry", args.registry.id))
            for suffix, role, on, scope in grants:
                self.assignments.append(
                    roles.assign(
                        f"{name}-{label}-{suffix}",
                        stack=args.stack,
                        role=role,
                        on=on,
                        scope=scope,
                        principal_id=who.principal_id,
                        principal_type=who.type,
                        opts=child,
                    )
                )

    def subjects(self) -> list[dict[str, Any]]:
        """RBAC subjects for the RoleBinding: groups by object id, the rest as users."""
        return [
            {
                "kind": "Group" if who.type == "Group" else "User",
                "name": who.principal_id,
                "api_group": "rbac.authorization.k8s.io",
            }
            for who in self.identities.values()
        ]
