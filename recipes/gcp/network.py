"""Recipe part: the GKE cluster's VPC, subnet (with pod and service ranges) and Cloud NAT."""

from __future__ import annotations

import pulumi

from provisioner.recipes.gcp import names
from provisioner.recipes.gcp.flavors import GKEOrchestratorConfig
from provisioner.recipes.gcp.sdk import gcp

PODS_RANGE = "pods"
SERVICES_RANGE = "services"


class GCPNetwork:
    """A custom-mode VPC with one subnet, and a router with Cloud NAT so private nodes reach
    the internet (image pulls from outside Google) without public addresses.

    Built by the orchestrator component (``owner``); every resource is its child.
    """

    def __init__(
        self,
        owner: pulumi.ComponentResource,
        name: str,
        project: str,
        region: str,
        config: GKEOrchestratorConfig,
        depends_on: list,
    ):
        child = pulumi.ResourceOptions(parent=owner, depends_on=depends_on)
        self.network = gcp.compute.Network(
            f"{name}-network",
            name=names.fit(f"{name}-network", names.COMPUTE_NAME),
            project=project,
            auto_create_subnetworks=False,
            opts=child,
        )
        self.subnet = gcp.compute.Subnetwork(
            f"{name}-subnet",
            name=names.fit(f"{name}-subnet", names.COMPUTE_NAME),
            project=project,
            region=region,
            network=self.network.id,
            ip_cidr_range=config.subnet_cidr,
            private_ip_google_access=True,
            secondary_ip_ranges=[
                {"range_name": PODS_RANGE, "ip_cidr_range": config.pods_cidr},
                {"range_name": SERVICES_RANGE, "ip_cidr_range": config.services_cidr},
            ],
            opts=pulumi.ResourceOptions(parent=owner),
        )
        self.router = gcp.compute.Router(
            f"{name}-router",
            name=names.fit(f"{name}-router", names.COMPUTE_NAME),
            project=project,
            region=region,
            network=self.network.id,
            opts=pulumi.ResourceOptions(parent=owner),
        )
        self.nat = gcp.compute.RouterNat(
            f"{name}-nat",
            name=names.fit(f"{name}-nat", names.COMPUTE_NAME),
            project=project,
            region=region,
            router=self.router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
            opts=pulumi.ResourceOptions(parent=owner),
        )
