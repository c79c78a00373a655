"""Recipe: the Kubernetes orchestrator, an EKS cluster with an IRSA role for pipeline steps."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.errors import UserInputError
from provisioner.recipes.aws import iam, names, siblings
from provisioner.recipes.aws.cluster_access import ClusterAccess, ClusterAccessArgs
from provisioner.recipes.aws.cluster_objects import ClusterObjects, ClusterObjectsArgs
from provisioner.recipes.aws.flavors import EKSOrchestratorConfig
from provisioner.recipes.aws.network import AWSNetwork, AWSNetworkArgs
from provisioner.recipes.aws.sdk import aws
from provisioner.recipes.kube_bootstrap import serves_models

#: AWS-managed policies EKS requires; none grants more than the cluster or its nodes need.
CLUSTER_POLICIES = ("AmazonEKSClusterPolicy",)
NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryPullOnly",
)


@dataclass(frozen=True)
class AWSKubernetesOrchestratorArgs:
    """Inputs of an AWSKubernetesOrchestrator.

    Attributes:
        region: AWS region.
        tags: tags of every taggable resource.
        config: the flavor's settings.
        bucket: the artifact bucket steps read and write.
        repository: the ECR repository steps pull from, if the stack has one.
    """

    region: str
    tags: dict[str, str]
    config: EKSOrchestratorConfig
    bucket: siblings.BucketRef
    repository: siblings.RepositoryRef | None

    @classmethod
    def from_config(
        cls, config: EKSOrchestratorConfig, ctx: RecipeContext
    ) -> AWSKubernetesOrchestratorArgs:
        """Args from the flavor config, the stack and its sibling components."""
        return cls(
            region=ctx.spec.region,
            tags=ctx.tags,
            config=config,
            bucket=siblings.artifact_bucket(ctx, "orchestrator 'kubernetes'"),
            repository=siblings.optional_repository(ctx),
        )


def irsa_trust(provider_arn: str, issuer: str, namespace: str, service_account: str) -> str:
    """Trust policy: only ``namespace:service_account`` of one cluster may assume the role."""
    host = issuer.removeprefix("https://")
    return json.dumps(
        {
            "Version": iam.VERSION,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{host}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        }
    )


def credentials_command(cluster: str, region: str, profile: str | None = None) -> str:
    """The command that writes the cluster's kubeconfig entry (its context is the cluster
    ARN); the entry runs ``aws eks get-token`` on each use, so no token is stored."""
    command = f"aws eks update-kubeconfig --name {cluster} --region {region}"
    return command + (f" --profile {profile}" if profile else "")


def node_group_name(name: str, config: EKSOrchestratorConfig) -> str:
    """The node group's name, which changes exactly when a change forces a new node group.

    EKS replaces a node group when its instance type, capacity type or disk size changes;
    a new name lets the new group come up before the old one goes.
    """
    shape = f"{config.instance_type}/{config.capacity_type}/{config.disk_size_gb}"
    digest = hashlib.sha256(shape.encode()).hexdigest()[:6]
    return f"{names.fit(f'{name}-nodes', names.EKS_NODE_GROUP - 7)}-{digest}"


class AWSKubernetesOrchestrator(pulumi.ComponentResource):
    """An EKS cluster in its own VPC, a managed node group, and the role steps run as.

    Steps run as Kubernetes Jobs under ``namespace``/``service_account``; the service account,
    annotated with ``service_account_role_arn``, gets AWS credentials through IRSA and may only
    read and write the artifact bucket and pull from the stack's repository. The recipe creates
    the namespace, the service account and the runner's RBAC in the cluster, and the stack user
    role (``user_role``) that people holding the stack config assume (its ARN is ``auth``).

    Connection: ``{"cluster_name", "endpoint", "kube_context", "namespace", "service_account",
    "credentials_command", "aws": {"region", "service_account_role_arn"}}``; ``kube_context``
    is the cluster ARN, the context name ``credentials_command`` (``aws eks
    update-kubeconfig``) writes.
    """

    TYPE = "provisioner:aws:KubernetesOrchestrator"

    def __init__(
        self,
        name: str,
        config: EKSOrchestratorConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        args = self.args = AWSKubernetesOrchestratorArgs.from_config(config, ctx)
        invoke = pulumi.InvokeOptions(parent=self)
        partition = aws.get_partition(opts=invoke).partition
        account = aws.get_caller_identity(opts=invoke).account_id
        zones = self._zones(args, invoke)
        cluster_name = names.fit(name, names.EKS_CLUSTER)
        self.network = AWSNetwork(
            f"{name}-network",
            AWSNetworkArgs(
                region=args.region,
                tags=args.tags,
                cidr=config.vpc_cidr,
                zones=zones,
                cluster_name=cluster_name,
                nat_per_az=config.nat_gateway_per_az,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        cluster_role, cluster_grants = self._service_role(
            f"{name}-cluster-role", "eks.amazonaws.com", CLUSTER_POLICIES, partition, args.tags
        )
        # EKS would create this group itself, without retention, and leave it behind on destroy.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=config.log_retention_days,
            region=args.region,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            role_arn=cluster_role.arn,
            version=config.kubernetes_version,
            vpc_config={
                "subnet_ids": [
                    s.id for s in self.network.private_subnets + self.network.public_subnets
                ],
                "endpoint_private_access": True,
                "endpoint_public_access": config.endpoint_public_access,
                "public_access_cidrs": config.public_access_cidrs or None,
            },
            access_config={
                "authentication_mode": "API",
                "bootstrap_cluster_creator_admin_permissions": True,
            },
            upgrade_policy={"support_type": config.support_type},
            enabled_cluster_log_types=["api", "audit", "authenticator"],
            region=args.region,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*cluster_grants, self.log_group]),
        )
        node_role, node_grants = self._service_role(
            f"{name}-node-role", "ec2.amazonaws.com", NODE_POLICIES, partition, args.tags
        )
        self.node_group = aws.eks.NodeGroup(
            f"{name}-nodes",
            node_group_name=node_group_name(name, config),
            cluster_name=self.cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=[s.id for s in self.network.private_subnets],
            instance_types=[config.instance_type],
            capacity_type=config.capacity_type,
            disk_size=config.disk_size_gb,
            scaling_config={
                "min_size": config.min_nodes,
                "max_size": config.max_nodes,
                "desired_size": config.desired_nodes,
            },
            update_config={"max_unavailable": 1},
            region=args.region,
            tags=args.tags,
            # Nodes join only with their policies attached and every route out in place.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*node_grants, *self.network.node_dependencies]
            ),
        )
        issuer = self.cluster.identities.apply(lambda ids: ids[0]["oidcs"][0]["issuer"])
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer,
            client_id_lists=["sts.amazonaws.com"],
            thumbprint_lists=[config.oidc_thumbprint],
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.workload_role = aws.iam.Role(
            f"{name}-step-role",
            name=names.fit(f"{name}-step-role", names.IAM_ROLE),
            description=f"Pipeline steps of stack {ctx.spec.name} "
            f"({config.namespace}/{config.service_account})",
            assume_role_policy=pulumi.Output.all(self.oidc_provider.arn, issuer).apply(
                lambda v: irsa_trust(v[0], v[1], config.namespace, config.service_account)
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        statements = iam.bucket_read_write(args.bucket.arn, kms_key_arn=args.bucket.kms_key_arn)
        if args.repository is not None:
            statements = iam.merge(statements, iam.ecr_pull(args.repository.arn))
        self.workload_policy = aws.iam.RolePolicy(
            f"{name}-step-policy",
            name=names.fit(f"{name}-step-policy", names.IAM_INLINE_POLICY),
            role=self.workload_role.id,
            policy=iam.document(statements),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.access = ClusterAccess(
            self,
            name,
            ClusterAccessArgs(
                stack=ctx.spec.name,
                region=args.region,
                cluster=self.cluster,
                partition=partition,
                account=account,
                tags=args.tags,
                namespace=config.namespace,
                bucket=args.bucket,
                repository=args.repository,
                entries=list(config.access_entries),
            ),
        )
        #: The role a data scientist assumes to run pipelines; later recipes grant it their use.
        self.user_role = self.access.user_role
        self.objects = ClusterObjects(
            self,
            name,
            ClusterObjectsArgs(
                cluster=self.cluster,
                region=args.region,
                profile=getattr(ctx.spec, "profile", None),
                namespace=config.namespace,
                service_account=config.service_account,
                step_role_arn=self.workload_role.arn,
                serves_models=serves_models(ctx, config.namespace),
            ),
        )
        self.connection: dict[str, Any] = {
            "cluster_name": self.cluster.name,
            "endpoint": self.cluster.endpoint,
            "kube_context": self.cluster.arn,
            "namespace": config.namespace,
            "service_account": config.service_account,
            "credentials_command": pulumi.Output.from_input(self.cluster.name).apply(
                lambda cluster: credentials_command(
                    cluster, args.region, getattr(ctx.spec, "profile", None)
                )
            ),
            "aws": {"region": args.region, "service_account_role_arn": self.workload_role.arn},
        }
        #: How the stack config's holder authenticates: by assuming the stack user role.
        self.auth: dict[str, Any] = {"aws_role_arn": self.user_role.arn}
        self.register_outputs(
            {
                "cluster_endpoint": self.cluster.endpoint,
                "oidc_provider_arn": self.oidc_provider.arn,
                "user_role_arn": self.user_role.arn,
                "connection": self.connection,
            }
        )

    @staticmethod
    def _zones(args: AWSKubernetesOrchestratorArgs, invoke: pulumi.InvokeOptions) -> list[str]:
        found = aws.get_availability_zones(
            state="available",
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            region=args.region,
            opts=invoke,
        ).names
        wanted = args.config.availability_zones
        if len(found) < wanted:
            raise UserInputError(
                f"region {args.region} has {len(found)} availability zones, the orchestrator "
                f"config asks for {wanted}",
                hint=f"set orchestrator config availability_zones to {len(found)} or less",
            )
        return sorted(found)[:wanted]

    def _service_role(
        self,
        name: str,
        service: str,
        policies: tuple[str, ...],
        partition: str,
        tags: dict[str, str],
    ) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
        role = aws.iam.Role(
            name,
            name=names.fit(name, names.IAM_ROLE),
            assume_role_policy=iam.service_trust(service),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        grants = [
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy.lower().replace('_', '-')}",
                role=role.name,
                policy_arn=f"arn:{partition}:iam::aws:policy/{policy}",
                opts=pulumi.ResourceOptions(parent=self),
            )
            for policy in policies
        ]
        return role, grants
