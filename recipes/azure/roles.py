"""Azure RBAC for the recipes: built-in role ids and least-privilege role assignments.

Every assignment names one built-in role and one scope: a container, a registry, a cluster,
a key vault or a workspace; never a resource group or a subscription.
"""

from __future__ import annotations

from typing import Any

import pulumi

from provisioner.recipes.azure import names
from provisioner.recipes.azure.sdk import azure

#: Built-in role definition ids (the same GUID in every subscription).
ROLES: dict[str, str] = {
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "Azure Kubernetes Service Cluster User Role": "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
    "Azure Kubernetes Service RBAC Cluster Admin": "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    "Container Registry Tasks Contributor": "fb382eab-e894-4461-af04-94435c366c3f",
}

#: Roles that grant everything in their scope; no recipe assigns them.
BROAD_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
}


def definition_id(role: str, scope: Any) -> pulumi.Output[str]:
    """The role's definition id in the subscription of ``scope`` (a resource id)."""
    guid = ROLES[role]
    return pulumi.Output.from_input(scope).apply(
        lambda s: (
            f"/subscriptions/{s.split('/')[2]}/providers/Microsoft.Authorization/"
            f"roleDefinitions/{guid}"
        )
    )


def assign(
    name: str,
    *,
    stack: str,
    role: str,
    on: str,
    scope: Any,
    principal_id: Any,
    principal_type: str | None,
    opts: pulumi.ResourceOptions,
) -> Any:
    """One role assignment of a built-in ``role`` on ``scope`` to one principal.

    ``on`` names what ``scope`` is, for the description a plan shows before the scope's id
    is known. Its GUID name comes from the stack and the logical name, so it is stable.
    """
    return azure.authorization.RoleAssignment(
        name,
        role_assignment_name=names.assignment_id(stack, name),
        scope=scope,
        role_definition_id=definition_id(role, scope),
        principal_id=principal_id,
        principal_type=principal_type,
        description=f"{role} on the {on} of stack {stack}",
        opts=opts,
    )


def container_scope(storage_account_id: Any, container: str) -> pulumi.Output[str]:
    """The resource id of one blob container, the scope of data-plane grants."""
    return pulumi.Output.concat(storage_account_id, "/blobServices/default/containers/", container)
