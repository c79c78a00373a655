"""Recipe part: who may use the EKS cluster: the stack user role and configured principals."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.recipes.aws import iam, names, siblings
from provisioner.recipes.aws.cluster_objects import RUNNER_GROUP
from provisioner.recipes.aws.flavors import EKSAccessEntry
from provisioner.recipes.aws.sdk import aws

#: EKS access policies by the scope an access entry asks for.
ACCESS_POLICIES = {
    "namespace": "AmazonEKSEditPolicy",
    "cluster": "AmazonEKSClusterAdminPolicy",
}


def account_trust(partition: str, account: str) -> str:
    """Trust policy: principals of this account whose own IAM policy allows it may assume."""
    return json.dumps(
        {
            "Version": iam.VERSION,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


@dataclass(frozen=True)
class ClusterAccessArgs:
    """Inputs of the cluster's access.

    Attributes:
        stack: the stack's name (for descriptions).
        region: AWS region of the cluster.
        cluster: the EKS cluster.
        partition: AWS partition (``aws``, ``aws-cn``...).
        account: the AWS account id.
        tags: tags of every taggable resource.
        namespace: the namespace steps run in (the scope of namespace access).
        bucket: the artifact bucket; the user role reads and writes its artifact prefix.
        repository: the ECR repository the user role pushes to and pulls from, if any.
        entries: configured principals and their scope.
    """

    stack: str
    region: str
    cluster: aws.eks.Cluster
    partition: str
    account: str
    tags: dict[str, str]
    namespace: str
    bucket: siblings.BucketRef
    repository: siblings.RepositoryRef | None
    entries: list[EKSAccessEntry]


class ClusterAccess:
    """The stack user role with its access entry, and an access entry per configured principal.

    Built by the orchestrator component (``owner``); every resource is its child.
    """

    def __init__(self, owner: pulumi.ComponentResource, name: str, args: ClusterAccessArgs):
        child = pulumi.ResourceOptions(parent=owner)
        cluster = args.cluster
        role_name = names.fit(f"{name}-user-role", names.IAM_ROLE)
        self.user_role = aws.iam.Role(
            f"{name}-user-role",
            name=role_name,
            description=f"Runs pipelines on stack {args.stack} (assume it to use the stack)",
            assume_role_policy=account_trust(args.partition, args.account),
            tags=args.tags,
            opts=child,
        )
        statements = iam.merge(
            iam.bucket_read_write(args.bucket.arn, args.bucket.prefix, args.bucket.kms_key_arn),
            iam.ecr_push(args.repository.arn) if args.repository is not None else [],
            [
                {
                    "Sid": "DescribeCluster",
                    "Effect": "Allow",
                    "Action": ["eks:DescribeCluster"],
                    "Resource": cluster.arn,
                }
            ],
        )
        self.user_policy = aws.iam.RolePolicy(
            f"{name}-user-policy",
            name=names.fit(f"{name}-user-policy", names.IAM_INLINE_POLICY),
            role=self.user_role.id,
            policy=iam.document(statements),
            opts=child,
        )
        # The user role is bound by the namespace's RoleBinding to exactly what the runtime does.
        self.user_entry = aws.eks.AccessEntry(
            f"{name}-user-access",
            cluster_name=cluster.name,
            principal_arn=self.user_role.arn,
            kubernetes_groups=[RUNNER_GROUP],
            type="STANDARD",
            region=args.region,
            tags=args.tags,
            opts=child,
        )
        self.entries: list[aws.eks.AccessEntry] = []
        self.associations: list[aws.eks.AccessPolicyAssociation] = []
        for entry in args.entries:
            # Named by the principal, so reordering the list replaces nothing.
            key = hashlib.sha256(entry.principal_arn.encode()).hexdigest()[:8]
            access = aws.eks.AccessEntry(
                f"{name}-access-{key}",
                cluster_name=cluster.name,
                principal_arn=entry.principal_arn,
                type="STANDARD",
                region=args.region,
                tags=args.tags,
                opts=child,
            )
            scope: dict[str, Any] = {"type": entry.scope}
            if entry.scope == "namespace":
                scope["namespaces"] = [args.namespace]
            policy = ACCESS_POLICIES[entry.scope]
            self.entries.append(access)
            self.associations.append(
                aws.eks.AccessPolicyAssociation(
                    f"{name}-access-{key}-policy",
                    cluster_name=cluster.name,
                    principal_arn=access.principal_arn,
                    policy_arn=f"arn:{args.partition}:eks::aws:cluster-access-policy/{policy}",
                    access_scope=scope,
                    region=args.region,
                    opts=child,
                )
            )
