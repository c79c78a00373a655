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


OFFICE = "203.0.113.0/24"


def build(registry: bool = True, **config):
    ctx = harness.make_ctx()
    config.setdefault("public_access_cidrs", [OFFICE])

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
        f"{EC2}vpcEndpoint:VpcEndpoint",
        ROLE,
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:eks/accessEntry:AccessEntry",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "aws:iam/rolePolicy:RolePolicy",
        "pulumi:providers:kubernetes",
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
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


def test_node_group_waits_for_every_route_its_nodes_use(r):
    nodes = r.one("aws:eks/nodeGroup:NodeGroup")
    assoc = r.of_type(f"{EC2}routeTableAssociation:RouteTableAssociation")
    private = {a.urn for a in assoc if "-private-" in a.name}
    assert len(private) == 2 and private <= nodes.dependencies
    igw_route = r.one(f"{EC2}route:Route", f"{NAME}-network-public-default")
    assert igw_route.urn in nodes.dependencies
    assert r.one(f"{EC2}vpcEndpoint:VpcEndpoint").urn in nodes.dependencies


def test_cluster_and_node_group_settings(r):
    cluster = r.one("aws:eks/cluster:Cluster").inputs
    assert cluster["name"] == NAME and cluster["version"] == "1.33"
    assert cluster["vpcConfig"]["endpointPrivateAccess"] is True
    assert cluster["vpcConfig"]["publicAccessCidrs"] == [OFFICE]
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}
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
    assert r.result.auth == {"aws_role_arn": r.result.user_role.arn}
    assert r.connections["main"] == {
        "cluster_name": NAME,
        "endpoint": cluster.outputs["endpoint"],
        "kube_context": cluster.outputs["arn"],
        "namespace": "provisioner",
        "service_account": "provisioner-runner",
        # The kubeconfig entry it writes runs `aws eks get-token` on each use: no token here.
        "credentials_command": f"aws eks update-kubeconfig --name {NAME} --region eu-west-1",
        "aws": {
            "region": "eu-west-1",
            "service_account_role_arn": r.one(ROLE, f"{NAME}-step-role").outputs["arn"],
        },
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
    sts = harness.statements(r.one("aws:iam/rolePolicy:RolePolicy", f"{NAME}-step-policy").policy())
    assert set(sts) == {"ObjectsReadWrite", "BucketList"}
    trust = r.one(ROLE, f"{NAME}-step-role").policy("assumeRolePolicy")
    assert "system:serviceaccount:ml:runner" in json.dumps(trust)


def test_too_many_zones_is_a_user_error():
    with pytest.raises(UserInputError, match="availability zones"):
        build(availability_zones=4)


def test_without_artifact_store_is_a_user_error():
    ctx = harness.make_ctx()
    with pytest.raises(UserInputError, match="artifact_store"):
        harness.run(
            lambda: AWSKubernetesOrchestrator(
                NAME, EKSOrchestratorConfig(public_access_cidrs=[OFFICE]), ctx
            )
        )


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
        {"public_access_cidrs": ["10.0.0.0/8"], "log_retention_days": 2},
        {"public_access_cidrs": ["10.0.0.0/8"], "support_type": "standard"},
    ],
)
def test_bad_config_is_rejected(config):
    with pytest.raises(ValueError):
        EKSOrchestratorConfig(**config)


# --- what the cluster needs before a pipeline can run on it ---------------------------------

K8S = "kubernetes:"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1:"


def test_namespace_and_service_account_exist_and_carry_the_irsa_role(r):
    provider = r.one("pulumi:providers:kubernetes")
    ns = r.one(f"{K8S}core/v1:Namespace")
    sa = r.one(f"{K8S}core/v1:ServiceAccount")
    assert ns.inputs["metadata"]["name"] == "provisioner"
    assert sa.inputs["metadata"]["name"] == "provisioner-runner"
    assert sa.inputs["metadata"]["namespace"] == "provisioner"
    role = r.one(ROLE, f"{NAME}-step-role")
    assert sa.inputs["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": role.outputs["arn"]
    }
    assert ns.urn in sa.dependencies
    for obj in (ns, sa, r.one(f"{RBAC}Role"), r.one(f"{RBAC}RoleBinding")):
        assert obj.provider.startswith(f"{provider.urn}::"), obj.name


def test_provider_reaches_the_cluster_with_exec_auth_and_no_credential(r):
    cluster = r.one("aws:eks/cluster:Cluster")
    provider = r.one("pulumi:providers:kubernetes")
    config = json.loads(provider.inputs["kubeconfig"])
    (entry,) = config["clusters"]
    assert entry["cluster"]["server"] == cluster.outputs["endpoint"]
    assert entry["cluster"]["certificate-authority-data"] == "LS0tLS1CRUdJTi1DQS0tLS0t"
    (user,) = config["users"]
    assert user["user"]["exec"]["command"] == "aws"
    assert user["user"]["exec"]["args"] == [
        "eks", "get-token", "--cluster-name", NAME, "--region", "eu-west-1",
    ]  # fmt: skip
    assert "token" not in json.dumps(user["user"]).replace("get-token", "")


def test_runner_role_grants_exactly_what_the_orchestrator_does(r):
    role = r.one(f"{RBAC}Role").inputs
    assert role["metadata"]["namespace"] == "provisioner"
    rules = {(tuple(x["apiGroups"]), tuple(x["resources"])): x["verbs"] for x in role["rules"]}
    assert rules == {
        (("batch",), ("jobs",)): ["create", "delete", "deletecollection", "get", "list", "watch"],
        (("",), ("pods", "pods/log")): ["get", "list"],
        (("",), ("events",)): ["list"],
    }
    # Every right the orchestrator checks before a run is granted.
    from provisioner.runtime.orchestrators.kube_client import RIGHTS

    granted = {
        (group, resource, verb)
        for (groups, resources), verbs in rules.items()
        for group in groups
        for resource in resources
        for verb in verbs
    }
    assert set(RIGHTS) <= granted, set(RIGHTS) - granted
    binding = r.one(f"{RBAC}RoleBinding").inputs
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    (subject,) = binding["subjects"]
    entry = r.one("aws:eks/accessEntry:AccessEntry")
    assert subject["kind"] == "Group"
    assert entry.inputs["kubernetesGroups"] == [subject["name"]]


def test_stack_user_role_holds_what_the_runtime_needs_and_nothing_more(r):
    user = r.one(ROLE, f"{NAME}-user-role")
    (trust,) = user.policy("assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{harness.ACCOUNT}:root"}
    assert trust["Action"] == "sts:AssumeRole"
    policy = r.one("aws:iam/rolePolicy:RolePolicy", f"{NAME}-user-policy")
    assert policy.inputs["role"] == user.id
    bucket = r.one("aws:s3/bucket:Bucket").outputs["arn"]
    repo = r.one("aws:ecr/repository:Repository").outputs["arn"]
    cluster = r.one("aws:eks/cluster:Cluster").outputs["arn"]
    sts = harness.statements(policy.policy())
    assert set(sts) == {"ObjectsReadWrite", "BucketList", "EcrToken", "EcrPush", "DescribeCluster"}
    assert sts["ObjectsReadWrite"]["Resource"] == f"{bucket}/artifacts/*"
    assert sts["BucketList"]["Resource"] == bucket
    assert sts["EcrPush"]["Resource"] == repo
    assert "ecr:PutImage" in sts["EcrPush"]["Action"]
    assert sts["DescribeCluster"] == {
        "Sid": "DescribeCluster",
        "Effect": "Allow",
        "Action": ["eks:DescribeCluster"],
        "Resource": cluster,
    }
    entry = r.one("aws:eks/accessEntry:AccessEntry")
    assert entry.inputs["principalArn"] == user.outputs["arn"]
    assert entry.inputs["clusterName"] == NAME and entry.inputs["type"] == "STANDARD"
    assert not r.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")


def test_configured_principals_get_access_entries_scoped_as_asked():
    admin = "arn:aws:iam::123456789012:role/platform-admins"
    scientist = "arn:aws:iam::123456789012:role/data-scientists"
    r = build(
        access_entries=[
            {"principal_arn": admin, "scope": "cluster"},
            {"principal_arn": scientist},
        ]
    )
    harness.check_all(r)
    entries = {e.inputs["principalArn"]: e for e in r.of_type("aws:eks/accessEntry:AccessEntry")}
    assert {admin, scientist} <= set(entries)
    policies = {
        p.inputs["principalArn"]: p.inputs
        for p in r.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    }
    assert policies[admin]["policyArn"].endswith(
        "cluster-access-policy/AmazonEKSClusterAdminPolicy"
    )
    assert policies[admin]["accessScope"] == {"type": "cluster"}
    assert policies[scientist]["policyArn"].endswith("cluster-access-policy/AmazonEKSEditPolicy")
    assert policies[scientist]["accessScope"] == {
        "type": "namespace",
        "namespaces": ["provisioner"],
    }
    for assoc in r.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation"):
        assert entries[assoc.inputs["principalArn"]].urn in assoc.dependencies


def test_control_plane_logs_have_a_retention_and_come_first(r):
    group = r.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["name"] == f"/aws/eks/{NAME}/cluster"
    assert group.inputs["retentionInDays"] == 30
    assert group.urn in r.one("aws:eks/cluster:Cluster").dependencies


def test_s3_traffic_skips_the_nat_gateway(r):
    endpoint = r.one(f"{EC2}vpcEndpoint:VpcEndpoint").inputs
    assert endpoint["serviceName"] == "com.amazonaws.eu-west-1.s3"
    assert endpoint["vpcEndpointType"] == "Gateway"
    private_rts = {x.id for x in r.of_type(f"{EC2}routeTable:RouteTable") if "private" in x.name}
    assert set(endpoint["routeTableIds"]) == private_rts


def test_public_api_endpoint_needs_a_cidr_and_refuses_the_internet_unless_allowed():
    with pytest.raises(ValueError, match="set public_access_cidrs"):
        EKSOrchestratorConfig()
    with pytest.raises(ValueError, match="allow_public_api_from_anywhere"):
        EKSOrchestratorConfig(public_access_cidrs=["0.0.0.0/0"])
    EKSOrchestratorConfig(public_access_cidrs=["0.0.0.0/0"], allow_public_api_from_anywhere=True)
    EKSOrchestratorConfig(endpoint_public_access=False)


def test_node_group_name_changes_exactly_when_the_group_must_be_replaced():
    from provisioner.recipes.aws.kubernetes import node_group_name

    base = EKSOrchestratorConfig(public_access_cidrs=[OFFICE])
    same = EKSOrchestratorConfig(public_access_cidrs=[OFFICE], max_nodes=9)
    bigger = EKSOrchestratorConfig(public_access_cidrs=[OFFICE], instance_type="m5.xlarge")
    assert node_group_name(NAME, base) == node_group_name(NAME, same)
    assert node_group_name(NAME, base) != node_group_name(NAME, bigger)
    assert len(node_group_name("x" * 80, base)) <= 63


def test_without_pulumi_kubernetes_the_error_names_the_integration(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pulumi_kubernetes", None)
    with pytest.raises(UserInputError, match="pulumi-kubernetes") as info:
        build()
    assert "provisioner integration install kubernetes" in (info.value.hint or "")
