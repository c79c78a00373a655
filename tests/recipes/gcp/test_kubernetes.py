"""Mocks test of the kubernetes (GKE) orchestrator recipe: cluster, identities, bootstrap."""

from __future__ import annotations

import json

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes.gcp.flavors import GKEOrchestratorConfig
from provisioner.recipes.gcp.kubernetes import GCPKubernetesOrchestrator, node_pool_name
from tests.recipes.gcp import harness

NAME = "ml-orchestrator"
P = harness.PROJECT
K8S = "kubernetes:"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1:"
SA = "gcp:serviceaccount/account:Account"


@pytest.fixture(scope="module")
def r():
    ctx = harness.make_ctx()
    return harness.run(lambda: harness.build_cluster(ctx, members=["group:ds@example.com"]))


def email(account: str) -> str:
    return f"{NAME}-{account}@{P}.iam.gserviceaccount.com"


def test_invariants(r):
    harness.check_all(r)


def test_resource_types(r):
    comp = r.one("provisioner:gcp:KubernetesOrchestrator")
    assert r.types_under(comp) == {
        "gcp:projects/service:Service",
        "gcp:compute/network:Network",
        "gcp:compute/subnetwork:Subnetwork",
        "gcp:compute/router:Router",
        "gcp:compute/routerNat:RouterNat",
        SA,
        "gcp:projects/iAMMember:IAMMember",
        "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "gcp:serviceaccount/iAMMember:IAMMember",
        "gcp:container/cluster:Cluster",
        "gcp:container/nodePool:NodePool",
        "pulumi:providers:kubernetes",
        f"{K8S}core/v1:Namespace",
        f"{K8S}core/v1:ServiceAccount",
        f"{RBAC}Role",
        f"{RBAC}RoleBinding",
    }


def test_apis_are_enabled_and_never_disabled(r):
    apis = {s.inputs["service"]: s for s in r.of_type("gcp:projects/service:Service")}
    assert {"container.googleapis.com", "compute.googleapis.com", "iam.googleapis.com"} <= set(apis)
    assert all(s.inputs["disableOnDestroy"] is False for s in apis.values())
    cluster_deps = r.one("gcp:container/cluster:Cluster").dependencies
    network = r.one("gcp:compute/network:Network")
    assert apis["compute.googleapis.com"].urn in network.dependencies
    assert (
        network.urn in {d for d in cluster_deps}
        or r.one("gcp:compute/subnetwork:Subnetwork").urn in cluster_deps
    )


def test_cluster_is_private_by_default_and_open_only_to_authorized_networks(r):
    c = r.one("gcp:container/cluster:Cluster").inputs
    assert c["name"] == NAME and c["location"] == harness.REGION
    assert c["privateClusterConfig"] == {"enablePrivateNodes": True, "enablePrivateEndpoint": False}
    assert c["masterAuthorizedNetworksConfig"] == {
        "gcpPublicCidrsAccessEnabled": False,
        "cidrBlocks": [{"cidrBlock": harness.OFFICE, "displayName": "authorized-0"}],
    }
    assert c["releaseChannel"] == {"channel": "REGULAR"}
    assert c["workloadIdentityConfig"] == {"workloadPool": f"{P}.svc.id.goog"}
    assert c["deletionProtection"] is False, "destroy must remove the cluster"
    assert c["removeDefaultNodePool"] is True
    assert c["nodeConfig"]["serviceAccount"] == email("node")
    assert c["ipAllocationPolicy"] == {
        "clusterSecondaryRangeName": "pods",
        "servicesSecondaryRangeName": "services",
    }
    nat = r.one("gcp:compute/routerNat:RouterNat")
    assert nat.urn in r.one("gcp:container/cluster:Cluster").dependencies


def test_node_pool_from_config_runs_as_its_own_account(r):
    pool = r.one("gcp:container/nodePool:NodePool").inputs
    assert pool["autoscaling"] == {"minNodeCount": 0, "maxNodeCount": 3}
    assert pool["initialNodeCount"] == 1
    node = pool["nodeConfig"]
    assert node["machineType"] == "e2-standard-4" and node["spot"] is False
    assert node["serviceAccount"] == email("node")
    assert node["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert pool["cluster"] == NAME


def test_autopilot_has_no_node_pool_and_a_private_endpoint_is_reached_by_internal_ip():
    ctx = harness.make_ctx()
    r = harness.run(
        lambda: harness.build_cluster(
            ctx, autopilot=True, public_endpoint=False, authorized_networks=[]
        )
    )
    harness.check_all(r)
    assert not r.of_type("gcp:container/nodePool:NodePool")
    c = r.one("gcp:container/cluster:Cluster").inputs
    assert c["enableAutopilot"] is True and "removeDefaultNodePool" not in c
    defaults = c["clusterAutoscaling"]["autoProvisioningDefaults"]
    assert defaults["serviceAccount"] == email("node")
    assert c["privateClusterConfig"] == {"enablePrivateNodes": True, "enablePrivateEndpoint": True}
    assert c["masterAuthorizedNetworksConfig"]["cidrBlocks"] == []
    assert r.connections["main"]["credentials_command"].endswith(" --internal-ip")


def test_steps_act_as_a_google_account_through_workload_identity_only(r):
    ksa = r.one(f"{K8S}core/v1:ServiceAccount").inputs["metadata"]
    assert ksa["annotations"] == {"iam.gke.io/gcp-service-account": email("steps")}
    wi = r.one("gcp:serviceaccount/iAMMember:IAMMember", f"{NAME}-steps-workload-identity")
    assert wi.inputs["role"] == "roles/iam.workloadIdentityUser"
    assert wi.inputs["member"] == f"serviceAccount:{P}.svc.id.goog[provisioner/provisioner-runner]"
    assert wi.inputs["serviceAccountId"].endswith(email("steps"))


def test_every_grant_is_scoped_to_one_resource_or_documented(r):
    bucket = r.one("gcp:storage/bucket:Bucket").inputs["name"]
    repo = r.one("gcp:artifactregistry/repository:Repository").inputs["repositoryId"]
    got = {
        (role, member, scope, g.inputs[harness.IAM_TYPES[g.type]])
        for role, member, scope, g in harness.grants(r)
    }
    steps, user, node = (f"serviceAccount:{email(a)}" for a in ("steps", "user", "node"))
    user_sa = f"projects/{P}/serviceAccounts/{email('user')}"
    assert got == {
        ("roles/storage.objectUser", steps, "bucket", bucket),
        ("roles/storage.objectUser", user, "bucket", bucket),
        ("roles/artifactregistry.reader", steps, "repository", repo),
        ("roles/artifactregistry.reader", node, "repository", repo),
        ("roles/artifactregistry.writer", user, "repository", repo),
        ("roles/container.defaultNodeServiceAccount", node, "project", P),
        ("roles/container.clusterViewer", user, "project", P),
        (
            "roles/iam.workloadIdentityUser",
            f"serviceAccount:{P}.svc.id.goog[provisioner/provisioner-runner]",
            "serviceAccountId",
            f"projects/{P}/serviceAccounts/{email('steps')}",
        ),
        (
            "roles/iam.serviceAccountTokenCreator",
            "group:ds@example.com",
            "serviceAccountId",
            user_sa,
        ),
    }


def test_provider_reaches_the_cluster_with_exec_auth_and_no_credential(r):
    cluster = r.one("gcp:container/cluster:Cluster")
    config = json.loads(r.one("pulumi:providers:kubernetes").inputs["kubeconfig"])
    (entry,) = config["clusters"]
    assert entry["cluster"]["server"] == f"https://{cluster.outputs['endpoint']}"
    assert entry["cluster"]["certificate-authority-data"] == "LS0tLS1CRUdJTi1DQS0tLS0t"
    (user,) = config["users"]
    assert user["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert "token" not in json.dumps(user["user"]).lower()


def test_runner_role_grants_exactly_what_the_orchestrator_does_to_the_stack_user(r):
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
    assert not {v for _, _, v in granted} & {"*", "escalate", "bind", "impersonate"}
    binding = r.one(f"{RBAC}RoleBinding").inputs
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [
        {"kind": "User", "name": email("user"), "apiGroup": "rbac.authorization.k8s.io"}
    ]
    provider = r.one("pulumi:providers:kubernetes")
    ns = r.one(f"{K8S}core/v1:Namespace")
    for obj in (ns, r.one(f"{K8S}core/v1:ServiceAccount"), r.one(f"{RBAC}Role")):
        assert obj.provider.startswith(f"{provider.urn}::"), obj.name
    assert ns.urn in r.one(f"{K8S}core/v1:ServiceAccount").dependencies


def test_connection_holds_what_a_run_needs_and_no_token(r):
    assert r.result.auth == {"gcp_service_account": r.result.user_account.email}
    conn = r.connections["main"]
    assert conn == {
        "cluster_name": NAME,
        "endpoint": f"https://{r.one('gcp:container/cluster:Cluster').outputs['endpoint']}",
        "kube_context": f"gke_{P}_{harness.REGION}_{NAME}",
        "namespace": "provisioner",
        "service_account": "provisioner-runner",
        "credentials_command": f"gcloud container clusters get-credentials {NAME} "
        f"--location {harness.REGION} --project {P}",
        "gcp": {"project": P, "location": harness.REGION, "service_account": email("steps")},
    }
    from provisioner.recipes.gcp.connections import GKEOrchestratorConnection

    GKEOrchestratorConnection.model_validate(conn)


def test_without_artifact_store_is_a_user_error():
    ctx = harness.make_ctx()
    with pytest.raises(UserInputError, match="artifact_store"):
        harness.run(
            lambda: GCPKubernetesOrchestrator(
                NAME, GKEOrchestratorConfig(authorized_networks=[harness.OFFICE]), ctx
            )
        )


def test_control_plane_is_closed_unless_opened_and_world_needs_an_explicit_allow():
    with pytest.raises(ValueError, match="set authorized_networks"):
        GKEOrchestratorConfig()
    with pytest.raises(ValueError, match="allow_public_api_from_anywhere"):
        GKEOrchestratorConfig(authorized_networks=["0.0.0.0/0"])
    GKEOrchestratorConfig(authorized_networks=["0.0.0.0/0"], allow_public_api_from_anywhere=True)
    private = GKEOrchestratorConfig(public_endpoint=False)
    assert private.authorized_networks == []


def test_extended_channel_needs_an_explicit_opt_in():
    with pytest.raises(ValueError, match="accept_extended_support_cost"):
        GKEOrchestratorConfig(public_endpoint=False, release_channel="EXTENDED")
    GKEOrchestratorConfig(
        public_endpoint=False, release_channel="EXTENDED", accept_extended_support_cost=True
    )


@pytest.mark.parametrize(
    "config",
    [
        {"min_nodes": 3, "initial_nodes": 2},
        {"pods_cidr": "10.0.0.0/14"},
        {"subnet_cidr": "8.8.8.0/24"},
        {"namespace": "Bad_NS"},
        {"members": ["alice@example.com"]},
        {"autopilot": True, "zone": "europe-west4-a"},
        {"release_channel": "regular"},
    ],
)
def test_bad_config_is_rejected(config):
    with pytest.raises(ValueError):
        GKEOrchestratorConfig(public_endpoint=False, **config)


def test_node_pool_name_changes_exactly_when_the_pool_must_be_replaced():
    base = GKEOrchestratorConfig(public_endpoint=False)
    same = GKEOrchestratorConfig(public_endpoint=False, max_nodes=9)
    bigger = GKEOrchestratorConfig(public_endpoint=False, machine_type="e2-standard-8")
    assert node_pool_name(NAME, base) == node_pool_name(NAME, same)
    assert node_pool_name(NAME, base) != node_pool_name(NAME, bigger)
    assert len(node_pool_name("x" * 80, base)) <= 40


def test_without_pulumi_kubernetes_the_error_names_the_integration(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pulumi_kubernetes", None)
    ctx = harness.make_ctx()
    with pytest.raises(UserInputError, match="pulumi-kubernetes") as info:
        harness.run(lambda: harness.build_cluster(ctx))
    assert "provisioner integration install kubernetes" in (info.value.hint or "")
    assert ComponentType.ORCHESTRATOR not in ctx.components
