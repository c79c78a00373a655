"""Recipe part: the stack user service account, who may impersonate it, and what it may do."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.recipes.gcp import iam, siblings


@dataclass(frozen=True)
class ClusterAccessArgs:
    """Inputs of the cluster's access.

    Attributes:
        stack: the stack's name (for descriptions).
        project: the GCP project.
        bucket: the artifact bucket; the user reads and writes its objects.
        repository: the Docker repository the user pushes to and pulls from, if any.
        members: who may impersonate the stack user service account.
        depends_on: the APIs the service account needs.
    """

    stack: str
    project: str
    bucket: siblings.BucketRef
    repository: siblings.RepositoryRef | None
    members: list[str]
    depends_on: list[Any]


class ClusterAccess:
    """The stack user service account a data scientist impersonates to run pipelines.

    It may read and write the artifact bucket, push to the stack's repository, and get the
    cluster's credentials; inside the cluster its RoleBinding gives it exactly what the
    orchestrator does in the namespace. Built by the orchestrator component (``owner``).
    """

    def __init__(self, owner: pulumi.ComponentResource, name: str, args: ClusterAccessArgs):
        self.user_account = iam.service_account(
            owner,
            f"{name}-user",
            args.project,
            f"Runs pipelines on stack {args.stack} (impersonate it to use the stack)",
            depends_on=args.depends_on,
        )
        member = self.user_account.member
        self.grants = [
            iam.on_bucket(owner, f"{name}-user-bucket", args.bucket.name, iam.OBJECT_USER, member),
            iam.on_project(
                owner, f"{name}-user-cluster-viewer", args.project, iam.CLUSTER_VIEWER, member
            ),
        ]
        if args.repository is not None:
            self.grants.append(
                iam.on_repository(
                    owner,
                    f"{name}-user-push",
                    args.project,
                    args.repository,
                    iam.REGISTRY_WRITER,
                    member,
                )
            )
        # Named by the member, so reordering the list replaces nothing.
        self.impersonators = [
            iam.on_account(
                owner,
                f"{name}-user-impersonate-{hashlib.sha256(who.encode()).hexdigest()[:8]}",
                self.user_account,
                iam.TOKEN_CREATOR,
                who,
            )
            for who in args.members
        ]
