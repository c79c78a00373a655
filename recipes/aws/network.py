"""Recipe part: the VPC an EKS cluster runs in (public and private subnets, IGW, NAT)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi

from provisioner.recipes.aws.sdk import aws


@dataclass(frozen=True)
class AWSNetworkArgs:
    """Inputs of an AWSNetwork.

    Attributes:
        region: AWS region.
        tags: tags of every taggable resource.
        cidr: the VPC's IPv4 CIDR.
        zones: availability zones to put one public and one private subnet in.
        cluster_name: the EKS cluster that will use the subnets (for its discovery tags).
        nat_per_az: one NAT gateway per zone instead of one shared.
    """

    region: str
    tags: dict[str, str]
    cidr: str
    zones: list[str]
    cluster_name: str
    nat_per_az: bool = False


def subnet_cidrs(cidr: str, count: int) -> tuple[list[str], list[str]]:
    """Split a VPC CIDR into ``count`` public and ``count`` private subnet CIDRs.

    The lower half of the VPC holds the private subnets (each 1/8 of the VPC, since pods take
    their IPs from them), the upper half the smaller public ones (each 1/16).
    """
    low, high = ipaddress.IPv4Network(cidr).subnets(prefixlen_diff=1)
    private = [str(net) for net in low.subnets(prefixlen_diff=2)][:count]
    public = [str(net) for net in high.subnets(prefixlen_diff=3)][:count]
    return public, private


class AWSNetwork(pulumi.ComponentResource):
    """A VPC with internet access for public subnets and NAT egress for private ones."""

    TYPE = "provisioner:aws:Network"

    def __init__(self, name: str, args: AWSNetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(self.TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region, tags = args.region, args.tags
        cluster_tag = {f"kubernetes.io/cluster/{args.cluster_name}": "shared"}
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            region=region,
            tags={**tags, "Name": f"{name}-vpc"},
            opts=child,
        )
        self.igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, region=region, tags=tags, opts=child
        )
        public_cidrs, private_cidrs = subnet_cidrs(args.cidr, len(args.zones))
        self.public_subnets: list[aws.ec2.Subnet] = []
        self.private_subnets: list[aws.ec2.Subnet] = []
        for i, zone in enumerate(args.zones):
            self.public_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-public-{i}",
                    vpc_id=self.vpc.id,
                    cidr_block=public_cidrs[i],
                    availability_zone=zone,
                    map_public_ip_on_launch=False,
                    region=region,
                    tags={**tags, **cluster_tag, "kubernetes.io/role/elb": "1"},
                    opts=child,
                )
            )
            self.private_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-private-{i}",
                    vpc_id=self.vpc.id,
                    cidr_block=private_cidrs[i],
                    availability_zone=zone,
                    region=region,
                    tags={**tags, **cluster_tag, "kubernetes.io/role/internal-elb": "1"},
                    opts=child,
                )
            )
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=self.vpc.id, region=region, tags=tags, opts=child
        )
        public_default = aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=self.igw.id,
            region=region,
            opts=child,
        )
        #: What nodes need before they can join: every private route (NAT and the S3 endpoint),
        #: their route-table associations, and the internet gateway's route behind the NAT.
        self.node_dependencies: list[pulumi.Resource] = [public_default]
        for i, subnet in enumerate(self.public_subnets):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}",
                subnet_id=subnet.id,
                route_table_id=public_rt.id,
                region=region,
                opts=child,
            )
        #: The private default routes: nodes can reach AWS APIs only once these exist.
        self.egress_routes: list[aws.ec2.Route] = []
        private_tables: list[aws.ec2.RouteTable] = []
        nat_count = len(args.zones) if args.nat_per_az else 1
        for n in range(nat_count):
            eip = aws.ec2.Eip(
                f"{name}-nat-ip-{n}", domain="vpc", region=region, tags=tags, opts=child
            )
            nat = aws.ec2.NatGateway(
                f"{name}-nat-{n}",
                allocation_id=eip.id,
                subnet_id=self.public_subnets[n].id,
                region=region,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.igw]),
            )
            rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{n}", vpc_id=self.vpc.id, region=region, tags=tags, opts=child
            )
            private_tables.append(rt)
            self.egress_routes.append(
                aws.ec2.Route(
                    f"{name}-private-default-{n}",
                    route_table_id=rt.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat.id,
                    region=region,
                    opts=child,
                )
            )
            served = range(len(args.zones)) if nat_count == 1 else [n]
            for i in served:
                self.node_dependencies.append(
                    aws.ec2.RouteTableAssociation(
                        f"{name}-private-{i}",
                        subnet_id=self.private_subnets[i].id,
                        route_table_id=rt.id,
                        region=region,
                        opts=child,
                    )
                )
        # Artifact traffic from the nodes goes to S3 directly, not through the (billed) NAT.
        self.s3_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint",
            vpc_id=self.vpc.id,
            service_name=("cn." if region.startswith("cn-") else "") + f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_tables],
            region=region,
            tags=tags,
            opts=child,
        )
        self.node_dependencies += [*self.egress_routes, self.s3_endpoint]
        self.vpc_id: pulumi.Output[str] = self.vpc.id
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": [s.id for s in self.public_subnets],
                "private_subnet_ids": [s.id for s in self.private_subnets],
            }
        )
