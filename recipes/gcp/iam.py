"""IAM for the GCP recipes: service accounts and single role grants, each on one resource.

Every grant is an additive ``*IAMMember`` (one role, one member, one resource), so nothing a
recipe does replaces bindings others made. Project-wide roles are granted only where GCP has
no narrower resource to grant them on; :data:`PROJECT_ROLES` lists each with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.recipes.gcp import names
from provisioner.recipes.gcp.sdk import gcp

OBJECT_USER = "roles/storage.objectUser"
OBJECT_VIEWER = "roles/storage.objectViewer"
REGISTRY_READER = "roles/artifactregistry.reader"
REGISTRY_WRITER = "roles/artifactregistry.writer"
WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"
ACT_AS = "roles/iam.serviceAccountUser"
SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"
CLUSTER_VIEWER = "roles/container.clusterViewer"
NODE_ROLE = "roles/container.defaultNodeServiceAccount"
VERTEX_USER = "roles/aiplatform.user"
BUILDS_EDITOR = "roles/cloudbuild.builds.editor"

#: The only roles granted on the whole project, and why no narrower grant exists.
PROJECT_ROLES: dict[str, str] = {
    "roles/container.defaultNodeServiceAccount": "what GKE nodes need to log, report metrics "
    "and read their configuration; GKE documents it as the node service account's minimum",
    "roles/container.clusterViewer": "gets the cluster's endpoint and CA for "
    "`gcloud container clusters get-credentials`; GKE has no per-cluster IAM, and what the "
    "account may do inside the cluster is its namespace RoleBinding",
    "roles/aiplatform.user": "creates and watches Vertex AI jobs; Vertex has no IAM on jobs "
    "before they exist",
    "roles/cloudbuild.builds.editor": "submits and watches builds; Cloud Build has no IAM "
    "narrower than the project",
}


@dataclass(frozen=True)
class Account:
    """A service account the recipes made: the resource, its email and its IAM member."""

    resource: Any
    email: Any
    member: Any
    name: Any


def service_account(
    owner: pulumi.ComponentResource,
    name: str,
    project: str,
    description: str,
    depends_on: list[Any] | None = None,
) -> Account:
    """A service account named ``name`` (fitted to GCP's 30 characters)."""
    account_id = names.service_account_id(name)
    account = gcp.serviceaccount.Account(
        name,
        account_id=account_id,
        project=project,
        display_name=names.fit(name, 100),
        description=description,
        opts=pulumi.ResourceOptions(parent=owner, depends_on=depends_on or []),
    )
    # GCP derives the email from the id and project, so it is known before the account exists
    # (the plan and the draft stack config show it); taken from the URN, it still depends on
    # the account, so no grant is made before the account is.
    email = account.urn.apply(lambda _: names.service_account_email(account_id, project))
    return Account(
        resource=account,
        email=email,
        member=pulumi.Output.concat("serviceAccount:", email),
        name=account.urn.apply(
            lambda _: (
                f"projects/{project}/serviceAccounts/{names.service_account_email(account_id, project)}"
            )
        ),
    )


def on_bucket(owner: pulumi.ComponentResource, name: str, bucket: Any, role: str, member: Any):
    """``role`` for ``member`` on one bucket."""
    return gcp.storage.BucketIAMMember(
        name, bucket=bucket, role=role, member=member, opts=pulumi.ResourceOptions(parent=owner)
    )


def on_repository(
    owner: pulumi.ComponentResource,
    name: str,
    project: str,
    repository: Any,
    role: str,
    member: Any,
):
    """``role`` for ``member`` on one Artifact Registry repository."""
    return gcp.artifactregistry.RepositoryIamMember(
        name,
        project=project,
        location=repository.location,
        repository=repository.repository_id,
        role=role,
        member=member,
        opts=pulumi.ResourceOptions(parent=owner),
    )


def on_account(
    owner: pulumi.ComponentResource, name: str, account: Account, role: str, member: Any
):
    """``role`` for ``member`` on one service account (impersonate it, act as it)."""
    return gcp.serviceaccount.IAMMember(
        name,
        service_account_id=account.name,
        role=role,
        member=member,
        opts=pulumi.ResourceOptions(parent=owner),
    )


def on_secret(
    owner: pulumi.ComponentResource, name: str, project: str, secret: Any, role: str, member: Any
):
    """``role`` for ``member`` on one Secret Manager secret."""
    return gcp.secretmanager.SecretIamMember(
        name,
        project=project,
        secret_id=secret,
        role=role,
        member=member,
        opts=pulumi.ResourceOptions(parent=owner),
    )


def on_project(
    owner: pulumi.ComponentResource,
    name: str,
    project: str,
    role: str,
    member: Any,
    depends_on: list[Any] | None = None,
):
    """``role`` on the whole project: only a role of :data:`PROJECT_ROLES`."""
    if role not in PROJECT_ROLES:
        raise ValueError(f"{role} is not granted project-wide; grant it on one resource")
    return gcp.projects.IAMMember(
        name,
        project=project,
        role=role,
        member=member,
        opts=pulumi.ResourceOptions(parent=owner, depends_on=depends_on or []),
    )
