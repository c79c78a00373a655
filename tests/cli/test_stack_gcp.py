"""The gcp-recipe without the Pulumi CLI or credentials: the offline plan shows every resource
and the stack config a deploy would write (tests/cli/test_connection_keys.py compares its
connection keys with the other clouds')."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from provisioner.cli.app import app

runner = CliRunner()


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
