"""Mocks test of the kubernetes (AKS) orchestrator recipe and its cluster bootstrap."""

from __future__ import annotations

import json

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes.azure.flavors import AKSOrchestratorConfig
from provisioner.recipes.azure.kubernetes import AzureKubernetesOrchestrator
from tests.recipes.azure import harness

NAME = "ml-orchestrator"
OFFICE = "203.0.113.0/24"
CLUSTER = "azure-native:containerservice:ManagedCluster"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
K8S = "kubernetes:"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1:"
SCIENTISTS = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def build(registry: bool = True, **config):
    ctx = harness.make_ctx()
    config.setdefault("authorized_ip_ranges", [OFFICE])

    def program():
        harness.build_storage(ctx, registry=registry)
        orchestrator = AzureKubernetesOrchestrator(NAME, AKSOrchestratorConfig(**config), ctx)
        ctx.components[ComponentType.ORCHESTRATOR] = orchestrator
        return orchestrator

    return harness.run(program)


@pytest.fixture(scope="module")
def r():
    return build(users=[{"object_id": SCIENTISTS, "type": "Group"}])


def test_invariants(r):
    harness.check_all(r)


def test_resource_types(r):
    comp = r.one("provisioner:azure:KubernetesOrchestrator")
    assert r.types_under(comp) == {
        CLUSTER,
        IDENTITY,
        "azure-native:managedidentity:FederatedIdentityCredential",
        "azure-native:authorization:RoleAssignment",
        "pulumi:providers:kubernetes",
        f"{K8S}core/v1:Namespace",
        f"{K8S}core/v1:ServiceAccount",
        f"{RBAC}Role",
        f"{RBAC}RoleBinding",
    }


def test_cluster_defaults_cost_nothing_extra_and_keep_the_api_closed(r):
    cluster = r.one(CLUSTER).inputs
    assert cluster["sku"] == {"name": "Base", "tier": "Free"}
    assert cluster["supportPlan"] == "KubernetesOfficial"
    assert cluster["kubernetesVersion"] == "1.35"
    assert cluster["oidcIssuerProfile"] == {"enabled": True}
    assert cluster["securityProfile"] == {"workloadIdentity": {"enabled": True}}
    assert cluster["apiServerAccessProfile"] == {
        "enablePrivateCluster": False,
        "authorizedIPRanges": [OFFICE],
    }
    assert cluster["aadProfile"] == {"managed": True, "enableAzureRBAC": True}
    assert cluster["disableLocalAccounts"] is True
    (pool,) = cluster["agentPoolProfiles"]
    assert pool["enableAutoScaling"] is True and (pool["minCount"], pool["maxCount"]) == (1, 3)
    assert pool["vmSize"] == "Standard_D4s_v5"


def test_api_server_needs_ranges_and_refuses_the_internet_unless_allowed():
    with pytest.raises(ValueError, match="set authorized_ip_ranges"):
        AKSOrchestratorConfig()
    with pytest.raises(ValueError, match="allow_public_api_from_anywhere"):
        AKSOrchestratorConfig(authorized_ip_ranges=["0.0.0.0/0"])
    AKSOrchestratorConfig(authorized_ip_ranges=["0.0.0.0/0"], allow_public_api_from_anywhere=True)
    AKSOrchestratorConfig(private_cluster=True)


def test_runner_identity_is_federated_with_exactly_the_service_account(r):
    cluster = r.one(CLUSTER)
    runner = r.one(IDENTITY, f"{NAME}-runner-identity")
    fed = r.one("azure-native:managedidentity:FederatedIdentityCredential").inputs
    assert fed["resourceName"] == runner.outputs["name"]
    assert fed["issuer"] == cluster.outputs["oidcIssuerProfile"]["issuerURL"]
    assert fed["subject"] == "system:serviceaccount:provisioner:provisioner-runner"
    assert fed["audiences"] == ["api://AzureADTokenExchange"]
    sa = r.one(f"{K8S}core/v1:ServiceAccount").inputs["metadata"]
    assert sa["name"] == "provisioner-runner" and sa["namespace"] == "provisioner"
    assert sa["annotations"] == {"azure.workload.identity/client-id": runner.outputs["clientId"]}


def _grants(r):
    return {(role, scope, who) for role, scope, who, _ in harness.role_assignments(r)}


def test_every_role_assignment_is_one_role_on_one_resource(r):
    account = r.one("azure-native:storage:StorageAccount").outputs["id"]
    container = f"{account}/blobServices/default/containers/artifacts"
    registry = r.one("azure-native:containerregistry:Registry").outputs["id"]
    cluster = r.one(CLUSTER).outputs
    runner = r.one(IDENTITY, f"{NAME}-runner-identity").outputs["principalId"]
    user = r.one(IDENTITY, f"{NAME}-user-identity").outputs["principalId"]
    kubelet = cluster["identityProfile"]["kubeletidentity"]["objectId"]
    expected = {
        ("Azure Kubernetes Service RBAC Cluster Admin", cluster["id"], harness.DEPLOYER),
        ("Storage Blob Data Contributor", container, runner),
        ("AcrPull", registry, runner),
        ("AcrPull", registry, kubelet),
    }
    for who in (user, SCIENTISTS):
        expected |= {
            ("Storage Blob Data Contributor", container, who),
            ("AcrPush", registry, who),
            ("Azure Kubernetes Service Cluster User Role", cluster["id"], who),
        }
    assert _grants(r) == expected
    types = {
        ra.inputs["principalId"]: ra.inputs.get("principalType")
        for *_, ra in harness.role_assignments(r)
    }
    assert types[SCIENTISTS] == "Group" and types[user] == "ServicePrincipal"


def test_provider_reaches_the_cluster_with_exec_auth_and_no_credential(r):
    cluster = r.one(CLUSTER)
    provider = r.one("pulumi:providers:kubernetes")
    config = json.loads(provider.inputs["kubeconfig"])
    (entry,) = config["clusters"]
    assert entry["cluster"]["server"] == f"https://{cluster.outputs['fqdn']}:443"
    assert entry["cluster"]["certificate-authority-data"] == harness.CA
    (user,) = config["users"]
    assert user["user"]["exec"]["command"] == "kubelogin"
    assert "azurecli" in user["user"]["exec"]["args"]
    assert "token" not in json.dumps(user["user"]).replace("get-token", "")
    admin = next(ra for *_, ra in harness.role_assignments(r) if ra.name.endswith("deployer-admin"))
    assert admin.urn in provider.dependencies
    for obj in ("core/v1:Namespace", "core/v1:ServiceAccount", "rbac.authorization.k8s.io/v1:Role"):
        assert r.one(f"{K8S}{obj}").provider.startswith(f"{provider.urn}::")


def test_runner_role_grants_exactly_what_the_orchestrator_checks(r):
    from provisioner.runtime.orchestrators.kube_client import RIGHTS

    role = r.one(f"{RBAC}Role").inputs
    granted = {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    assert set(RIGHTS) <= granted, set(RIGHTS) - granted
    # The very rules of the EKS bootstrap, which its own test holds to the same list.
    from provisioner.recipes.aws.cluster_objects import RUNNER_RULES

    assert role["rules"] == [
        {"apiGroups": x["api_groups"], "resources": x["resources"], "verbs": x["verbs"]}
        for x in RUNNER_RULES
    ]
    binding = r.one(f"{RBAC}RoleBinding").inputs
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    user = r.one(IDENTITY, f"{NAME}-user-identity").outputs["principalId"]
    assert {(s["kind"], s["name"]) for s in binding["subjects"]} == {
        ("User", user),
        ("Group", SCIENTISTS),
    }


def test_connection_and_auth_name_no_secret(r):
    cluster = r.one(CLUSTER)
    runner = r.one(IDENTITY, f"{NAME}-runner-identity").outputs
    conn = r.connections["main"]
    assert conn == {
        "cluster_name": NAME,
        "endpoint": f"https://{cluster.outputs['fqdn']}:443",
        "kube_context": NAME,
        "namespace": "provisioner",
        "service_account": "provisioner-runner",
        "credentials_command": (
            f"az aks get-credentials --subscription {harness.SUBSCRIPTION} "
            f"--resource-group rg-ml --name {NAME} && kubelogin convert-kubeconfig -l azurecli"
        ),
        "azure": {
            "subscription_id": harness.SUBSCRIPTION,
            "resource_group": "rg-ml",
            "region": "westeurope",
            "runner_client_id": runner["clientId"],
            "tenant_id": harness.TENANT,
        },
    }
    assert "token" not in json.dumps(conn).lower()
    from provisioner.recipes.azure.connections import AKSOrchestratorConnection

    AKSOrchestratorConnection.model_validate(conn)
    auth = r.result.auth
    assert set(auth) == {"azure_client_id", "azure_tenant_id"}


def test_without_registry_and_private_cluster():
    r = build(registry=False, private_cluster=True, authorized_ip_ranges=[], namespace="ml")
    harness.check_all(r)
    roles = {role for role, *_ in harness.role_assignments(r)}
    assert "AcrPull" not in roles and "AcrPush" not in roles
    profile = r.one(CLUSTER).inputs["apiServerAccessProfile"]
    assert profile == {"enablePrivateCluster": True}
    fed = r.one("azure-native:managedidentity:FederatedIdentityCredential").inputs
    assert fed["subject"] == "system:serviceaccount:ml:provisioner-runner"


def test_without_artifact_store_is_a_user_error():
    ctx = harness.make_ctx()
    with pytest.raises(UserInputError, match="artifact_store"):
        harness.run(
            lambda: AzureKubernetesOrchestrator(
                NAME, AKSOrchestratorConfig(authorized_ip_ranges=[OFFICE]), ctx
            )
        )


@pytest.mark.parametrize(
    "config",
    [
        {"min_nodes": 3, "max_nodes": 2},
        {"kubernetes_version": "1.12"},
        {"sku_tier": "Premium"},
        {"namespace": "Bad_NS"},
        {"authorized_ip_ranges": ["nope"]},
        {"vm_size": "m5.large"},
        {"users": [{"object_id": "not-a-uuid"}]},
    ],
)
def test_bad_config_is_rejected(config):
    config.setdefault("authorized_ip_ranges", [OFFICE])
    with pytest.raises(ValueError):
        AKSOrchestratorConfig(**config)


def test_without_pulumi_kubernetes_the_error_names_the_integration(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pulumi_kubernetes", None)
    with pytest.raises(UserInputError, match="pulumi-kubernetes") as info:
        build()
    assert "provisioner integration install kubernetes" in (info.value.hint or "")
