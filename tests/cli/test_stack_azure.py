"""The azure-recipe without the Pulumi or Azure CLI: the offline plan, and its stack config
(tests/cli/test_connection_keys.py compares its connection keys with the other clouds')."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from provisioner.cli.app import app

runner = CliRunner()


def _plan(recipe: str, monkeypatch) -> dict:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no pulumi, no az, no kubelogin
    for var in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "ARM_CLIENT_ID"):
        monkeypatch.delenv(var, raising=False)
    result = runner.invoke(app, ["stack", "preview", recipe, "--offline", "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def plans():
    mp = pytest.MonkeyPatch()
    try:
        return {"azure-recipe": _plan("azure-recipe", mp)}
    finally:
        mp.undo()


def test_offline_plan_lists_every_resource_and_what_a_run_needs(plans):
    plan = plans["azure-recipe"]
    assert plan["offline"] and plan["summary"]["create"] == len(plan["steps"]) > 40
    steps = {(s["type"], s["name"]) for s in plan["steps"]}
    for wanted in (
        ("azure-native:resources:ResourceGroup", "azure-resource-group-group"),
        ("azure-native:storage:StorageAccount", "azure-artifact-store-account"),
        ("azure-native:storage:BlobContainer", "azure-artifact-store-container"),
        ("azure-native:containerregistry:Registry", "azure-container-registry-registry"),
        ("azure-native:containerservice:ManagedCluster", "azure-orchestrator-cluster"),
        ("kubernetes:core/v1:Namespace", "azure-orchestrator-namespace"),
        ("kubernetes:core/v1:ServiceAccount", "azure-orchestrator-service-account"),
        ("kubernetes:rbac.authorization.k8s.io/v1:Role", "azure-orchestrator-runner-role"),
        ("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "azure-orchestrator-runner-binding"),
        ("azure-native:managedidentity:UserAssignedIdentity", "azure-orchestrator-user-identity"),
        ("azure-native:managedidentity:FederatedIdentityCredential", "azure-orchestrator-runner-federation"),
        ("azure-native:machinelearningservices:Workspace", "azure-ml-workspace-workspace"),
        ("azure-native:keyvault:Vault", "azure-alerter-vault"),
    ):  # fmt: skip
        assert wanted in steps, wanted
    notes = " ".join(plan["notes"])
    assert "azure-native:authorization:getClientConfig" in notes and "placeholder" in notes
    auth = plan["stack_config"]["auth"]
    assert auth["method"] == "azure-client"
    assert auth["azure_client_id"] == {"$unknown": True}


def test_draft_stack_config_holds_no_secret_and_the_credentials_command(plans):
    config = plans["azure-recipe"]["stack_config"]
    orchestrator = config["components"]["orchestrator"]["config"]
    assert orchestrator["cluster_name"] == "azure-orchestrator"
    assert orchestrator["credentials_command"].startswith(
        "az aks get-credentials --subscription 00000000-0000-0000-0000-000000000000 "
        "--resource-group rg-azure --name azure-orchestrator"
    )
    text = json.dumps(config).lower()
    for word in ('token"', "password", "accountkey", "sharedaccesssignature", "sig="):
        assert word not in text, word
    store = config["components"]["artifact_store"]["config"]
    assert store["uri"] == "az://artifacts/artifacts"
    assert store["azure"]["account_name"] == store["azure"]["account_name"].lower()


def test_component_list_offers_an_azure_flavor_for_every_type_the_issue_lists():
    result = runner.invoke(app, ["component", "list", "--json"])
    assert result.exit_code == 0, result.stderr
    azure = {row["type"]: row["flavors"]["azure"] for row in json.loads(result.stdout)}
    assert azure["artifact_store"] == ["azure"]
    assert azure["container_registry"] == ["azure"]
    assert azure["orchestrator"] == ["azureml", "kubernetes"]
    assert azure["step_operator"] == ["azureml", "kubernetes"]  # kubernetes: any cloud's cluster
    assert azure["image_builder"] == ["azure"]
    assert azure["experiment_tracker"] == azure["model_registry"] == ["mlflow"]
    assert azure["alerter"] == ["slack", "webhook"]  # webhook needs no cloud: on every cloud
