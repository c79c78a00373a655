"""The gcp-recipe without the Pulumi CLI or credentials: the offline plan shows every resource
and the stack config a deploy would write, with the same connection keys as aws-recipe."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from provisioner.cli.app import app

runner = CliRunner()

#: Keys AWS's connections still hold at the top level that are AWS's own (they belong under
#: an ``aws`` sub-key); GCP keeps its own under ``gcp``. Naming them keeps the gap visible.
AWS_TOP_LEVEL_EXTRAS = {
    "artifact_store": {"bucket_arn"},
    "orchestrator": {"region", "service_account_role_arn"},
    "experiment_tracker": {"region", "tracking_server_url"},
    "model_registry": {"region", "tracking_server_url"},
    "image_builder": {"project_name"},
}
#: Types whose flavors are different services on each cloud (SageMaker jobs take a role and
#: an instance type, Vertex jobs a service account and a machine type).
DIFFERENT_SERVICES = {"step_operator"}
#: AWS keys named for AWS's kind of reference (an ARN); the same key elsewhere drops the kind.
AWS_NAMES = {"webhook_secret_arn": "webhook_secret"}
#: Keys the issue asks of every cloud that AWS's connection does not have yet.
NOT_YET_ON_AWS = {"orchestrator": {"endpoint", "credentials_command"}}


def preview(recipe: str, monkeypatch) -> dict:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no pulumi, no gcloud
    for var in ("GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    result = runner.invoke(app, ["stack", "preview", recipe, "--offline", "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def plan():
    with pytest.MonkeyPatch.context() as mp:
        yield preview("gcp-recipe", mp)


def test_offline_plan_lists_the_cluster_its_bootstrap_and_the_stack_user(plan):
    assert plan["offline"] and plan["summary"]["create"] == len(plan["steps"]) > 50
    steps = {(s["type"], s["name"]) for s in plan["steps"]}
    for wanted in (
        ("gcp:container/cluster:Cluster", "gcp-orchestrator-cluster"),
        ("gcp:container/nodePool:NodePool", "gcp-orchestrator-nodes"),
        ("kubernetes:core/v1:Namespace", "gcp-orchestrator-namespace"),
        ("kubernetes:core/v1:ServiceAccount", "gcp-orchestrator-service-account"),
        ("kubernetes:rbac.authorization.k8s.io/v1:Role", "gcp-orchestrator-runner-role"),
        ("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "gcp-orchestrator-runner-binding"),
        ("gcp:serviceaccount/account:Account", "gcp-orchestrator-user"),
        ("gcp:storage/bucket:Bucket", "gcp-artifact-store-bucket"),
        ("gcp:artifactregistry/repository:Repository", "gcp-container-registry-repository"),
        ("gcp:projects/service:Service", "gcp-orchestrator-api-container"),
    ):
        assert wanted in steps, wanted
    auth = plan["stack_config"]["auth"]
    # GCP derives an account's email from its id: the plan shows whom the hand-off names.
    assert auth == {
        "method": "gcp-service-account",
        "gcp_service_account": "gcp-orchestrator-user@my-ml-project.iam.gserviceaccount.com",
    }


def test_draft_stack_config_is_secret_free_and_names_its_references(plan):
    comps = plan["stack_config"]["components"]
    store = comps["artifact_store"]["config"]
    assert store["uri"].startswith("gs://gcp-artifact-store-") and store["uri"].endswith(
        "/artifacts"
    )
    orchestrator = comps["orchestrator"]["config"]
    assert orchestrator["credentials_command"].startswith(
        "gcloud container clusters get-credentials gcp-orchestrator "
    )
    assert comps["alerter"]["config"] == {
        "webhook_secret": "projects/my-ml-project/secrets/gcp-alerter-slack-webhook"
    }
    assert "token" not in json.dumps(plan["stack_config"]).lower()


def test_connection_keys_per_type_match_aws_recipe(plan, monkeypatch):
    aws = preview("aws-recipe", monkeypatch)["stack_config"]["components"]
    gcp = plan["stack_config"]["components"]
    compared = 0
    for type_, comp in gcp.items():
        if type_ not in aws or type_ in DIFFERENT_SERVICES:
            continue
        gcp_keys = set(comp["config"]) - {"gcp"}
        aws_keys = {AWS_NAMES.get(k, k) for k in aws[type_]["config"]}
        aws_keys -= AWS_TOP_LEVEL_EXTRAS.get(type_, set())
        assert gcp_keys == aws_keys | NOT_YET_ON_AWS.get(type_, set()), type_
        compared += 1
    assert compared == 7
