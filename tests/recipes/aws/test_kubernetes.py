"""Mocks test of the kubernetes (EKS) orchestrator recipe."""

from __future__ import annotations

import json

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes.aws.flavors import EKSOrchestratorConfig
from provisioner.recipes.aws.kubernetes import AWSKubernetesOrchestrator
from provisioner.recipes.aws.network import subnet_cidrs
from tests.recipes.aws import harness

EC2 = "aws:ec2/"
ROLE = "aws:iam/role:Role"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
NAME = "ml-orchestrator"


def build(registry: bool = True, **config):
    ctx = harness.make_ctx()

    def program():
        harness.build_storage(ctx, registry=registry)
        orchestrator = AWSKubernetesOrchestrator(NAME, EKSOrchestratorConfig(**config), ctx)
        ctx.components[ComponentType.ORCHESTRATOR] = orchestrator
        return orchestrator

    return harness.run(program)


@pytest.fixture(scope="module")
def r():
    return build()


def test_invariants(r):
    harness.check_all(r)


def test_resource_types(r):
    comp = r.one("provisioner:aws:KubernetesOrchestrator")
    assert r.types_under(comp) == {
        "provisioner:aws:Network",
        f"{EC2}vpc:Vpc",
        f"{EC2}internetGateway:InternetGateway",
        f"{EC2}subnet:Subnet",
        f"{EC2}routeTable:RouteTable",
        f"{EC2}route:Route",
        f"{EC2}routeTableAssociation:RouteTableAssociation",
        f"{EC2}eip:Eip",
        f"{EC2}natGateway:NatGateway",
        ROLE,
        ATTACH,
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "aws:iam/rolePolicy:RolePolicy",
    }
    network = r.one("provisioner:aws:Network")
    assert network.parent == comp.urn
    assert len(r.of_type(f"{EC2}subnet:Subnet")) == 4
    assert len(r.of_type(f"{EC2}natGateway:NatGateway")) == 1


def test_subnets_span_zones_from_the_data_source(r):
    azs = [c for c in r.calls if c.token.endswith("getAvailabilityZones")]
    assert azs and azs[0].args["region"] == "eu-west-1" and azs[0].args["state"] == "available"
    subnets = {s.name: s.inputs for s in r.of_type(f"{EC2}subnet:Subnet")}
    assert {s["vpcId"] for s in subnets.values()} == {r.one(f"{EC2}vpc:Vpc").id}
    public = [subnets[f"{NAME}-network-public-{i}"] for i in range(2)]
    private = [subnets[f"{NAME}-network-private-{i}"] for i in range(2)]
    assert [s["availabilityZone"] for s in public] == ["eu-west-1a", "eu-west-1b"]
    assert [s["availabilityZone"] for s in private] == ["eu-west-1a", "eu-west-1b"]
    assert [s["cidrBlock"] for s in public + private] == [
        "10.0.128.0/20",
        "10.0.144.0/20",
        "10.0.0.0/19",
        "10.0.32.0/19",
    ]
    assert all(s["tags"]["kubernetes.io/role/elb"] == "1" for s in public)
    assert all(s["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in private)
    assert all(s["tags"][f"kubernetes.io/cluster/{NAME}"] == "shared" for s in public + private)


def test_private_subnets_route_through_nat_public_through_igw(r):
    routes = {x.name: x for x in r.of_type(f"{EC2}route:Route")}
    igw = r.one(f"{EC2}internetGateway:InternetGateway")
    nat = r.one(f"{EC2}natGateway:NatGateway")
    assert routes[f"{NAME}-network-public-default"].inputs["gatewayId"] == igw.id
    assert routes[f"{NAME}-network-private-default-0"].inputs["natGatewayId"] == nat.id
    assert igw.urn in routes[f"{NAME}-network-public-default"].dependencies
    assert nat.urn in routes[f"{NAME}-network-private-default-0"].dependencies
    assert igw.urn in nat.dependencies
    public_ids = {s.urn for s in r.of_type(f"{EC2}subnet:Subnet") if "-public-" in s.name}
    assert nat.dependencies & public_ids


def test_cluster_and_node_roles_use_only_required_managed_policies(r):
    attachments = {a.name: a for a in r.of_type(ATTACH)}
    arns = sorted(a.inputs["policyArn"] for a in attachments.values())
    assert arns == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
        "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    ]
    roles = {x.name: x for x in r.of_type(ROLE)}
    trust = {n: json.loads(x.inputs["assumeRolePolicy"])["Statement"][0] for n, x in roles.items()}
    assert trust[f"{NAME}-cluster-role"]["Principal"] == {"Service": "eks.amazonaws.com"}
    assert trust[f"{NAME}-node-role"]["Principal"] == {"Service": "ec2.amazonaws.com"}
    cluster = r.one("aws:eks/cluster:Cluster")
    nodes = r.one("aws:eks/nodeGroup:NodeGroup")
    cluster_attach = attachments[f"{NAME}-cluster-role-amazoneksclusterpolicy"]
    assert cluster_attach.urn in cluster.dependencies
    node_attach = {a.urn for n, a in attachments.items() if n.startswith(f"{NAME}-node-role-")}
    assert len(node_attach) == 3 and node_attach <= nodes.dependencies
    egress = {x.urn for x in r.of_type(f"{EC2}route:Route") if "private-default" in x.name}
    assert egress <= nodes.dependencies


def test_cluster_and_node_group_settings(r):
    cluster = r.one("aws:eks/cluster:Cluster").inputs
    assert cluster["name"] == NAME and cluster["version"] == "1.33"
    assert cluster["vpcConfig"]["endpointPrivateAccess"] is True
    assert len(cluster["vpcConfig"]["subnetIds"]) == 4
    assert cluster["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": True,
    }
    nodes = r.one("aws:eks/nodeGroup:NodeGroup").inputs
    assert nodes["clusterName"] == NAME
    assert nodes["instanceTypes"] == ["m5.large"]
    assert nodes["scalingConfig"] == {"minSize": 1, "maxSize": 3, "desiredSize": 2}
    private_ids = {s.id for s in r.of_type(f"{EC2}subnet:Subnet") if "-private-" in s.name}
    assert set(nodes["subnetIds"]) == private_ids
    node_role = r.one(ROLE, f"{NAME}-node-role")
    assert nodes["nodeRoleArn"] == node_role.outputs["arn"]


def test_service_account_role_trusts_only_its_service_account(r):
    cluster = r.one("aws:eks/cluster:Cluster")
    issuer = cluster.outputs["identities"][0]["oidcs"][0]["issuer"]
    oidc = r.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc.inputs["url"] == issuer
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert oidc.inputs["thumbprintLists"] == ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
    assert cluster.urn in oidc.dependencies
    role = r.one(ROLE, f"{NAME}-step-role")
    assert oidc.urn in role.dependencies
    (st,) = role.policy("assumeRolePolicy")["Statement"]
    host = issuer.removeprefix("https://")
    assert st["Principal"] == {"Federated": oidc.outputs["arn"]}
    assert st["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert st["Condition"] == {
        "StringEquals": {
            f"{host}:sub": "system:serviceaccount:provisioner:provisioner-runner",
            f"{host}:aud": "sts.amazonaws.com",
        }
    }


def test_service_account_policy_is_bucket_and_repository_only(r):
    bucket = r.one("aws:s3/bucket:Bucket")
    repo = r.one("aws:ecr/repository:Repository")
    policy = r.one("aws:iam/rolePolicy:RolePolicy", f"{NAME}-step-policy")
    assert policy.inputs["role"] == r.one(ROLE, f"{NAME}-step-role").id
    assert {bucket.urn, repo.urn} <= policy.property_dependencies["policy"]
    sts = harness.statements(policy.policy())
    bucket_arn = bucket.outputs["arn"]
    assert sts["ObjectsReadWrite"]["Action"] == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    assert sts["ObjectsReadWrite"]["Resource"] == f"{bucket_arn}/*"
    assert "s3:ListBucket" in sts["BucketList"]["Action"]
    assert sts["BucketList"]["Resource"] == bucket_arn
    assert sts["EcrToken"] == {
        "Sid": "EcrToken",
        "Effect": "Allow",
        "Action": ["ecr:GetAuthorizationToken"],
        "Resource": "*",
    }
    assert sorted(sts["EcrPull"]["Action"]) == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]
    assert sts["EcrPull"]["Resource"] == repo.outputs["arn"]
    assert set(sts) == {"ObjectsReadWrite", "BucketList", "EcrToken", "EcrPull"}


def test_connection(r):
    cluster = r.one("aws:eks/cluster:Cluster")
    assert r.connections["main"] == {
        "cluster_name": NAME,
        "region": "eu-west-1",
        "kube_context": cluster.outputs["arn"],
        "service_account_role_arn": r.one(ROLE, f"{NAME}-step-role").outputs["arn"],
        "namespace": "provisioner",
        "service_account": "provisioner-runner",
    }


def test_nat_per_zone_three_zones_and_no_registry():
    r = build(
        registry=False,
        availability_zones=3,
        nat_gateway_per_az=True,
        namespace="ml",
        service_account="runner",
    )
    harness.check_all(r)
    assert len(r.of_type(f"{EC2}natGateway:NatGateway")) == 3
    assert len(r.of_type(f"{EC2}subnet:Subnet")) == 6
    private_assoc = [
        a
        for a in r.of_type(f"{EC2}routeTableAssociation:RouteTableAssociation")
        if "-private-" in a.name
    ]
    assert len({a.inputs["routeTableId"] for a in private_assoc}) == 3
    sts = harness.statements(r.one("aws:iam/rolePolicy:RolePolicy").policy())
    assert set(sts) == {"ObjectsReadWrite", "BucketList"}
    trust = r.one(ROLE, f"{NAME}-step-role").policy("assumeRolePolicy")
    assert "system:serviceaccount:ml:runner" in json.dumps(trust)


def test_too_many_zones_is_a_user_error():
    with pytest.raises(UserInputError, match="availability zones"):
        build(availability_zones=4)


def test_without_artifact_store_is_a_user_error():
    ctx = harness.make_ctx()
    with pytest.raises(UserInputError, match="artifact_store"):
        harness.run(lambda: AWSKubernetesOrchestrator(NAME, EKSOrchestratorConfig(), ctx))


def test_subnet_cidrs_fit_the_vpc():
    public, private = subnet_cidrs("10.1.0.0/20", 4)
    assert public == ["10.1.8.0/24", "10.1.9.0/24", "10.1.10.0/24", "10.1.11.0/24"]
    assert private == ["10.1.0.0/23", "10.1.2.0/23", "10.1.4.0/23", "10.1.6.0/23"]


@pytest.mark.parametrize(
    "config",
    [
        {"min_nodes": 3, "desired_nodes": 2},
        {"vpc_cidr": "10.0.0.0/8"},
        {"vpc_cidr": "10.0.0.1/16"},
        {"namespace": "Bad_NS"},
        {"public_access_cidrs": ["nope"]},
        {"oidc_thumbprint": "xyz"},
    ],
)
def test_bad_config_is_rejected(config):
    with pytest.raises(ValueError):
        EKSOrchestratorConfig(**config)
