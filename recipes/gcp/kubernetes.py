"""Recipe: the Kubernetes orchestrator, a GKE cluster with a workload identity for steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.gcp import iam, names, services, siblings
from provisioner.recipes.gcp.cluster_access import ClusterAccess, ClusterAccessArgs
from provisioner.recipes.gcp.cluster_objects import ClusterObjects, ClusterObjectsArgs
from provisioner.recipes.gcp.flavors import GKEOrchestratorConfig
from provisioner.recipes.gcp.network import PODS_RANGE, SERVICES_RANGE, GCPNetwork
from provisioner.recipes.gcp.sdk import gcp
from provisioner.recipes.kube_bootstrap import serves_models

APIS = (
    "compute.googleapis.com",
    "container.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
)
#: Nodes and steps authorise by IAM, not by scopes: the scope is the whole platform.
CLOUD_PLATFORM = ["https://www.googleapis.com/auth/cloud-platform"]


@dataclass(frozen=True)
class GCPKubernetesOrchestratorArgs:
    """Inputs of a GCPKubernetesOrchestrator.

    Attributes:
        project: GCP project.
        region: the stack's region.
        location: the cluster's location: the zone, or the region.
        labels: labels of every labelled resource.
        config: the flavor's settings.
        bucket: the artifact bucket steps read and write.
        repository: the Docker repository steps pull from, if the stack has one.
    """

    project: str
    region: str
    location: str
    labels: dict[str, str]
    config: GKEOrchestratorConfig
    bucket: siblings.BucketRef
    repository: siblings.RepositoryRef | None

    @classmethod
    def from_config(
        cls, config: GKEOrchestratorConfig, ctx: RecipeContext
    ) -> GCPKubernetesOrchestratorArgs:
        """Args from the flavor config, the stack and its sibling components."""
        return cls(
            project=ctx.spec.project,
            region=ctx.spec.region,
            location=config.zone or ctx.spec.region,
            labels=ctx.tags,
            config=config,
            bucket=siblings.artifact_bucket(ctx, "orchestrator 'kubernetes'"),
            repository=siblings.optional_repository(ctx),
        )


def node_pool_name(name: str, config: GKEOrchestratorConfig) -> str:
    """The node pool's name, which changes exactly when a change forces a new pool.

    GKE replaces a node pool when its machine type, disk or spot setting changes; a new name
    lets the new pool come up before the old one goes.
    """
    shape = f"{config.machine_type}/{config.disk_type}/{config.disk_size_gb}/{config.spot}"
    digest = names.short_hash(shape, length=6)
    return f"{names.fit(f'{name}-nodes', names.GKE_NODE_POOL - 7)}-{digest}"


def kube_context(project: str, location: str, cluster: str) -> str:
    """The context name ``gcloud container clusters get-credentials`` writes."""
    return f"gke_{project}_{location}_{cluster}"


def credentials_command(project: str, location: str, cluster: str, private: bool = False) -> str:
    """The command that writes the cluster's kubeconfig entry (no token is stored);
    ``--internal-ip`` when the control plane has only its private endpoint."""
    return (
        f"gcloud container clusters get-credentials {cluster} --location {location} "
        f"--project {project}" + (" --internal-ip" if private else "")
    )


class GCPKubernetesOrchestrator(pulumi.ComponentResource):
    """A GKE cluster in its own VPC with private nodes, and the identities steps and people use.

    Steps run as Kubernetes Jobs under ``namespace``/``service_account``; that service account
    acts, through workload identity, as a Google service account that may only read and write
    the artifact bucket and pull from the stack's repository. The recipe creates the namespace,
    the service account and the runner's RBAC in the cluster, and the stack user service
    account (``user_account``) that listed members may impersonate (its email is ``auth``).

    Connection: ``{"cluster_name", "endpoint", "kube_context", "namespace", "service_account",
    "credentials_command", "gcp": {"project", "location", "service_account"}}``.
    """

    TYPE = "provisioner:gcp:KubernetesOrchestrator"

    def __init__(
        self,
        name: str,
        config: GKEOrchestratorConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        args = self.args = GCPKubernetesOrchestratorArgs.from_config(config, ctx)
        project = args.project
        apis = services.enable(self, name, ctx, APIS)
        self.network = GCPNetwork(self, name, project, args.region, config, apis)
        self.node_account = iam.service_account(
            self, f"{name}-node", project, f"GKE nodes of stack {ctx.spec.name}", apis
        )
        node_grants = [
            iam.on_project(
                self, f"{name}-node-role", project, iam.NODE_ROLE, self.node_account.member
            )
        ]
        if args.repository is not None:
            node_grants.append(
                iam.on_repository(
                    self,
                    f"{name}-node-pull",
                    project,
                    args.repository,
                    iam.REGISTRY_READER,
                    self.node_account.member,
                )
            )
        cluster_name = names.fit(name, names.GKE_CLUSTER)
        self.cluster = gcp.container.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            project=project,
            location=args.location,
            network=self.network.network.id,
            subnetwork=self.network.subnet.id,
            ip_allocation_policy={
                "cluster_secondary_range_name": PODS_RANGE,
                "services_secondary_range_name": SERVICES_RANGE,
            },
            release_channel={"channel": config.release_channel},
            workload_identity_config={"workload_pool": f"{project}.svc.id.goog"},
            private_cluster_config={
                "enable_private_nodes": True,
                "enable_private_endpoint": not config.public_endpoint,
            },
            # Only the listed networks: not every Compute Engine address of Google Cloud.
            master_authorized_networks_config={
                "gcp_public_cidrs_access_enabled": False,
                "cidr_blocks": [
                    {"cidr_block": cidr, "display_name": f"authorized-{i}"}
                    for i, cidr in enumerate(config.authorized_networks)
                ],
            },
            deletion_protection=False,
            resource_labels=args.labels,
            **self._shape(config),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*node_grants, self.network.nat, self.network.subnet]
            ),
        )
        self.node_pool = None
        if not config.autopilot:
            self.node_pool = gcp.container.NodePool(
                f"{name}-nodes",
                name=node_pool_name(name, config),
                project=project,
                location=args.location,
                cluster=self.cluster.name,
                initial_node_count=config.initial_nodes,
                autoscaling={
                    "min_node_count": config.min_nodes,
                    "max_node_count": config.max_nodes,
                },
                management={"auto_repair": True, "auto_upgrade": True},
                node_config=self._node_config(config, args.labels),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.workload_account = iam.service_account(
            self,
            f"{name}-steps",
            project,
            f"Pipeline steps of stack {ctx.spec.name} ({config.namespace}/"
            f"{config.service_account})",
            apis,
        )
        steps = self.workload_account.member
        self.workload_grants = [
            iam.on_account(
                self,
                f"{name}-steps-workload-identity",
                self.workload_account,
                iam.WORKLOAD_IDENTITY_USER,
                # The workload pool exists once the cluster does.
                self.cluster.workload_identity_config.apply(
                    lambda _: (
                        f"serviceAccount:{project}.svc.id.goog"
                        f"[{config.namespace}/{config.service_account}]"
                    )
                ),
            ),
            iam.on_bucket(self, f"{name}-steps-bucket", args.bucket.name, iam.OBJECT_USER, steps),
        ]
        if args.repository is not None:
            self.workload_grants.append(
                iam.on_repository(
                    self,
                    f"{name}-steps-pull",
                    project,
                    args.repository,
                    iam.REGISTRY_READER,
                    steps,
                )
            )
        self.access = ClusterAccess(
            self,
            name,
            ClusterAccessArgs(
                stack=ctx.spec.name,
                project=project,
                bucket=args.bucket,
                repository=args.repository,
                members=list(config.members),
                depends_on=apis,
            ),
        )
        #: The account a data scientist impersonates; later recipes grant it their use.
        self.user_account = self.access.user_account
        context = kube_context(project, args.location, cluster_name)
        self.cluster_objects = ClusterObjects(
            self,
            name,
            ClusterObjectsArgs(
                cluster=self.cluster,
                context=context,
                namespace=config.namespace,
                service_account=config.service_account,
                step_account_email=self.workload_account.email,
                user_account_email=self.user_account.email,
                serves_models=serves_models(ctx, config.namespace),
            ),
        )
        self.connection: dict[str, Any] = {
            "cluster_name": self.cluster.name,
            "endpoint": pulumi.Output.concat("https://", self.cluster.endpoint),
            "kube_context": context,
            "namespace": config.namespace,
            "service_account": config.service_account,
            "credentials_command": credentials_command(
                project, args.location, cluster_name, private=not config.public_endpoint
            ),
            "gcp": {
                "project": project,
                "location": args.location,
                "service_account": self.workload_account.email,
            },
        }
        #: How the stack config's holder authenticates: by impersonating the stack user.
        self.auth: dict[str, Any] = {"gcp_service_account": self.user_account.email}
        self.register_outputs(
            {
                "cluster_endpoint": self.cluster.endpoint,
                "user_service_account": self.user_account.email,
                "connection": self.connection,
            }
        )

    def _shape(self, config: GKEOrchestratorConfig) -> dict[str, Any]:
        """Autopilot, or a Standard cluster whose default pool is replaced by ours."""
        if config.autopilot:
            return {
                "enable_autopilot": True,
                "cluster_autoscaling": {
                    "auto_provisioning_defaults": {
                        "service_account": self.node_account.email,
                        "oauth_scopes": CLOUD_PLATFORM,
                    }
                },
            }
        return {
            "remove_default_node_pool": True,
            "initial_node_count": 1,
            # The default pool lives a few minutes; it must not run as the default compute
            # service account, which holds Editor on the project.
            "node_config": {
                "service_account": self.node_account.email,
                "oauth_scopes": CLOUD_PLATFORM,
                "workload_metadata_config": {"mode": "GKE_METADATA"},
            },
        }

    def _node_config(self, config: GKEOrchestratorConfig, labels: dict[str, str]) -> dict:
        return {
            "machine_type": config.machine_type,
            "disk_size_gb": config.disk_size_gb,
            "disk_type": config.disk_type,
            "spot": config.spot,
            "service_account": self.node_account.email,
            "oauth_scopes": CLOUD_PLATFORM,
            "workload_metadata_config": {"mode": "GKE_METADATA"},
            "shielded_instance_config": {"enable_secure_boot": True},
            "resource_labels": labels,
        }
