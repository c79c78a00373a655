"""Mocks tests of the image builder (ACR Tasks), the MLflow tracker and registry, and the
Slack alerter (Key Vault reference)."""

from __future__ import annotations

import json

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.recipes.azure.alerter import AzureSlackAlerter
from provisioner.recipes.azure.flavors import (
    ACRTasksImageBuilderConfig,
    AKSOrchestratorConfig,
    AzureMLflowConfig,
    SlackAlerterConfig,
)
from provisioner.recipes.azure.image_builder import AzureImageBuilder
from provisioner.recipes.azure.kubernetes import AzureKubernetesOrchestrator
from provisioner.recipes.azure.mlflow import (
    AzureMLflowExperimentTracker,
    AzureMLflowModelRegistry,
)
from tests.recipes.azure import harness


def build(extra):
    ctx = harness.make_ctx()

    def program():
        harness.build_storage(ctx)
        ctx.components[ComponentType.ORCHESTRATOR] = AzureKubernetesOrchestrator(
            "ml-orchestrator", AKSOrchestratorConfig(private_cluster=True), ctx
        )
        return extra(ctx)

    return harness.run(program)


def _runtime_principals(r):
    ids = r.of_type("azure-native:managedidentity:UserAssignedIdentity")
    return {i.outputs["principalId"] for i in ids}


def test_image_builder_lets_runtime_identities_run_tasks_on_the_registry_only():
    r = build(lambda ctx: AzureImageBuilder("ml-image-builder", ACRTasksImageBuilderConfig(), ctx))
    harness.check_all(r)
    registry = r.one("azure-native:containerregistry:Registry").outputs["id"]
    tasks = {
        (scope, who)
        for role, scope, who, _ in harness.role_assignments(r)
        if role == "Container Registry Tasks Contributor"
    }
    assert tasks == {(registry, p) for p in _runtime_principals(r)}
    assert r.connections["main"]["source_uri"] == "az://artifacts/image-builds"
    assert (
        r.connections["main"]["azure"]["registry_name"]
        == (r.one("azure-native:containerregistry:Registry").inputs["registryName"])
    )


def test_mlflow_tracker_and_registry_share_the_workspace_tracking_uri():
    def both(ctx):
        ctx.components[ComponentType.EXPERIMENT_TRACKER] = AzureMLflowExperimentTracker(
            "ml-experiment-tracker", AzureMLflowConfig(), ctx
        )
        return AzureMLflowModelRegistry("ml-model-registry", AzureMLflowConfig(), ctx)

    r = build(both)
    harness.check_all(r)
    ws = r.one("azure-native:machinelearningservices:Workspace")
    uri = ws.outputs["mlFlowTrackingUri"]
    conn = r.connections["main"]
    assert conn["tracking_uri"] == conn["registry_uri"] == uri
    assert conn["azure"]["tracking_server_url"] == uri.replace("azureml://", "https://")
    science = [
        (scope, who)
        for role, scope, who, _ in harness.role_assignments(r)
        if role == "AzureML Data Scientist"
    ]
    assert sorted(science) == sorted((ws.outputs["id"], p) for p in _runtime_principals(r))


def test_slack_alerter_creates_a_vault_and_no_secret_value():
    r = build(lambda ctx: AzureSlackAlerter("ml-alerter", SlackAlerterConfig(), ctx))
    harness.check_all(r)
    vault = r.one("azure-native:keyvault:Vault")
    props = vault.inputs["properties"]
    assert props["enableRbacAuthorization"] is True and props["tenantId"] == harness.TENANT
    assert not r.of_type("azure-native:keyvault:Secret")
    uri = vault.outputs["properties"]["vaultUri"]
    assert r.connections["main"] == {
        "webhook_secret": f"{uri}secrets/slack-webhook",
        "azure": {"key_vault_uri": uri},
    }
    grants = {(role, who) for role, scope, who, _ in harness.role_assignments(r)}
    assert ("Key Vault Secrets Officer", harness.DEPLOYER) in grants
    readers = {who for role, who in grants if role == "Key Vault Secrets User"}
    assert readers == _runtime_principals(r)
    assert "hooks.slack.com" not in json.dumps([x.inputs for x in r.registrations])


def test_slack_alerter_with_an_existing_secret_creates_nothing():
    secret = "https://team-vault.vault.azure.net/secrets/slack"
    r = build(
        lambda ctx: AzureSlackAlerter("ml-alerter", SlackAlerterConfig(secret_id=secret), ctx)
    )
    assert not r.of_type("azure-native:keyvault:Vault")
    assert r.connections["main"]["webhook_secret"] == secret


@pytest.mark.parametrize(
    "config",
    [{"key_vault_name": "ab"}, {"secret_id": "https://x/secrets/y"}, {"soft_delete_days": 3}],
)
def test_bad_alerter_config_is_rejected(config):
    with pytest.raises(ValueError):
        SlackAlerterConfig(**config)
