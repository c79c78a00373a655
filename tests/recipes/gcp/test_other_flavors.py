"""Mocks tests of the Vertex, Cloud Build, MLflow and Slack recipes on GCP."""

from __future__ import annotations

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes.gcp import flavors as f
from provisioner.recipes.gcp.alerter import GCPSlackAlerter
from provisioner.recipes.gcp.image_builder import GCPImageBuilder
from provisioner.recipes.gcp.mlflow import GCPMLflowExperimentTracker, GCPMLflowModelRegistry
from provisioner.recipes.gcp.vertex import GCPVertexOrchestrator, GCPVertexStepOperator
from tests.recipes.gcp import harness

P = harness.PROJECT
ACCOUNT = "gcp:serviceaccount/account:Account"


def with_cluster(build):
    ctx = harness.make_ctx()

    def program():
        harness.build_cluster(ctx)
        return build(ctx)

    return harness.run(program)


def members_of(r, prefix):
    return {
        (role, m, scope) for role, m, scope, g in harness.grants(r) if g.name.startswith(prefix)
    }


def test_vertex_step_operator_account_and_who_may_start_jobs_as_it():
    r = with_cluster(lambda ctx: GCPVertexStepOperator("ml-step-operator", f.VertexConfig(), ctx))
    harness.check_all(r)
    jobs = f"serviceAccount:ml-step-operator-jobs@{P}.iam.gserviceaccount.com"
    steps = f"serviceAccount:ml-orchestrator-steps@{P}.iam.gserviceaccount.com"
    user = f"serviceAccount:ml-orchestrator-user@{P}.iam.gserviceaccount.com"
    assert members_of(r, "ml-step-operator-") == {
        ("roles/storage.objectUser", jobs, "bucket"),
        ("roles/artifactregistry.reader", jobs, "repository"),
        ("roles/aiplatform.user", steps, "project"),
        ("roles/iam.serviceAccountUser", steps, "serviceAccountId"),
        ("roles/aiplatform.user", user, "project"),
        ("roles/iam.serviceAccountUser", user, "serviceAccountId"),
    }
    conn = r.connections["main"]
    assert conn["service_account"] == jobs.removeprefix("serviceAccount:")
    assert conn["machine_type"] == "n1-standard-4" and conn["region"] == harness.REGION
    assert conn["staging_uri"].startswith("gs://ml-artifact-store-") and conn[
        "staging_uri"
    ].endswith("/vertex")


def test_vertex_orchestrator_starts_its_own_steps_without_a_cluster():
    ctx = harness.make_ctx()

    def program():
        harness.build_storage(ctx, registry=False)
        return GCPVertexOrchestrator("ml-orchestrator", f.VertexConfig(), ctx)

    r = harness.run(program)
    harness.check_all(r)
    jobs = f"serviceAccount:ml-orchestrator-jobs@{P}.iam.gserviceaccount.com"
    assert members_of(r, "ml-orchestrator-") == {
        ("roles/storage.objectUser", jobs, "bucket"),
        ("roles/aiplatform.user", jobs, "project"),
        ("roles/iam.serviceAccountUser", jobs, "serviceAccountId"),
    }
    assert r.result.workload_account is not None


def test_cloud_build_account_reads_contexts_logs_to_the_bucket_and_pushes_one_repository():
    r = with_cluster(
        lambda ctx: GCPImageBuilder("ml-image-builder", f.CloudBuildImageBuilderConfig(), ctx)
    )
    harness.check_all(r)
    builds = f"serviceAccount:ml-image-builder-builds@{P}.iam.gserviceaccount.com"
    got = members_of(r, "ml-image-builder-")
    assert ("roles/storage.objectUser", builds, "bucket") in got
    assert ("roles/artifactregistry.writer", builds, "repository") in got
    assert not [g for g in got if g[1] == builds and g[2] == "project"], "no project role"
    conn = r.connections["main"]
    assert conn["source_uri"].endswith("/image-builds/sources")
    assert conn["gcp"]["logs_uri"].endswith("/image-builds/logs")
    assert conn["gcp"]["service_account"] == builds.removeprefix("serviceAccount:")


def test_image_builder_needs_a_repository():
    ctx = harness.make_ctx()

    def program():
        harness.build_storage(ctx, registry=False)
        return GCPImageBuilder("ml-image-builder", f.CloudBuildImageBuilderConfig(), ctx)

    with pytest.raises(UserInputError, match="container_registry"):
        harness.run(program)


def test_mlflow_runs_on_the_cluster_and_the_registry_shares_it():
    def build(ctx):
        tracker = GCPMLflowExperimentTracker("ml-experiment-tracker", f.GKEMLflowConfig(), ctx)
        ctx.components[ComponentType.EXPERIMENT_TRACKER] = tracker
        return GCPMLflowModelRegistry("ml-model-registry", f.GKEMLflowConfig(), ctx)

    r = with_cluster(build)
    harness.check_all(r)
    (deployment,) = r.of_type("kubernetes:apps/v1:Deployment")
    spec = deployment.inputs["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    args = container["args"]
    assert args[args.index("--backend-store-uri") + 1] == "sqlite:////data/mlflow.db"
    root = args[args.index("--default-artifact-root") + 1]
    assert root.startswith("gs://ml-artifact-store-") and root.endswith("/mlflow")
    assert {"name": "MLFLOW_DISABLE_TELEMETRY", "value": "true"} in container["env"]
    provider = r.one("pulumi:providers:kubernetes")
    assert deployment.provider.startswith(provider.urn)
    binding = r.one(
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "ml-experiment-tracker-access-binding",
    )
    assert (
        binding.inputs["subjects"][0]["name"] == f"ml-orchestrator-user@{P}.iam.gserviceaccount.com"
    )
    conn = r.connections["main"]
    assert (
        conn["tracking_uri"]
        == conn["registry_uri"]
        == "http://mlflow.provisioner.svc.cluster.local:5000"
    )
    assert "port-forward service/mlflow" in conn["gcp"]["port_forward_command"]


def test_mlflow_needs_the_gke_cluster():
    ctx = harness.make_ctx()

    def program():
        harness.build_storage(ctx)
        return GCPMLflowExperimentTracker("ml-experiment-tracker", f.GKEMLflowConfig(), ctx)

    with pytest.raises(UserInputError, match="orchestrator of flavor 'kubernetes'"):
        harness.run(program)


def test_slack_secret_holds_no_value_and_only_runtime_accounts_read_it():
    r = with_cluster(lambda ctx: GCPSlackAlerter("ml-alerter", f.SlackAlerterConfig(), ctx))
    harness.check_all(r)
    secret = r.one("gcp:secretmanager/secret:Secret").inputs
    assert secret["secretId"] == "ml-alerter-slack-webhook"
    assert secret["replication"] == {"userManaged": {"replicas": [{"location": harness.REGION}]}}
    assert not r.of_type("gcp:secretmanager/secretVersion:SecretVersion")
    reads = members_of(r, "ml-alerter-read-")
    assert {role for role, _, _ in reads} == {"roles/secretmanager.secretAccessor"}
    assert {scope for _, _, scope in reads} == {"secretId"} and len(reads) == 2
    assert r.connections["main"] == {
        "webhook_secret": f"projects/{P}/secrets/ml-alerter-slack-webhook"
    }


def test_slack_with_an_existing_secret_creates_none():
    existing = "projects/other-proj/secrets/team-webhook"
    r = with_cluster(
        lambda ctx: GCPSlackAlerter("ml-alerter", f.SlackAlerterConfig(secret=existing), ctx)
    )
    assert not r.of_type("gcp:secretmanager/secret:Secret")
    grants = r.of_type("gcp:secretmanager/secretIamMember:SecretIamMember")
    assert {(g.inputs["project"], g.inputs["secretId"]) for g in grants} == {
        ("other-proj", "team-webhook")
    }
    assert r.connections["main"] == {"webhook_secret": existing}
    with pytest.raises(ValueError, match="not both"):
        f.SlackAlerterConfig(secret=existing, secret_id="x")
