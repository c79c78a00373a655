"""The built-in azure-recipe: it validates, and its whole program builds under the mocks."""

from __future__ import annotations

import time

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.program import COMPONENTS_OUTPUT, build_program
from provisioner.spec.loader import load_stack
from tests.recipes.azure import harness

TOKENS = {
    ComponentType.ARTIFACT_STORE: "provisioner:azure:ArtifactStore",
    ComponentType.CONTAINER_REGISTRY: "provisioner:azure:ContainerRegistry",
    ComponentType.ORCHESTRATOR: "provisioner:azure:KubernetesOrchestrator",
    ComponentType.IMAGE_BUILDER: "provisioner:azure:ImageBuilder",
    ComponentType.STEP_OPERATOR: "provisioner:azure:AzureMLStepOperator",
    ComponentType.EXPERIMENT_TRACKER: "provisioner:azure:MLflowExperimentTracker",
    ComponentType.MODEL_REGISTRY: "provisioner:azure:MLflowModelRegistry",
    ComponentType.ALERTER: "provisioner:azure:SlackAlerter",
}


@pytest.fixture(scope="module")
def whole():
    stack = load_stack("azure-recipe")
    started = time.perf_counter()
    r = harness.run(build_program(stack), connections=lambda _: {})
    return r, time.perf_counter() - started


def test_azure_recipe_validates():
    stack = load_stack("azure-recipe")
    assert stack.spec.cloud == "azure" and stack.spec.location_name == "westeurope"
    assert set(stack.components) == set(TOKENS)
    assert stack.can_run_pipelines and not stack.warnings
    assert not stack.dynamic_only


def test_whole_program_builds_every_component(whole):
    r, elapsed = whole
    harness.check_all(r, stack="azure")
    for type_, token in TOKENS.items():
        comp = r.one(token, f"azure-{str(type_).replace('_', '-')}")
        assert comp.parent.endswith("pulumi:pulumi:Stack::provisioner-ml")
    # One resource group, one provider and one AzureML workspace, shared at the stack's root.
    for token in ("provisioner:azure:ResourceGroup", "provisioner:azure:MLWorkspace"):
        assert r.one(token).parent.endswith("pulumi:pulumi:Stack::provisioner-ml")
    assert len(r.of_type("azure-native:resources:ResourceGroup")) == 1
    assert len(r.of_type("azure-native:machinelearningservices:Workspace")) == 1
    exported = r.stack_outputs[COMPONENTS_OUTPUT]
    assert set(exported) == {str(t) for t in TOKENS}
    conns = {t: exported[t]["connection"] for t in exported}
    assert conns["artifact_store"]["uri"] == "az://artifacts/artifacts"
    assert conns["orchestrator"]["cluster_name"] == "azure-orchestrator"
    assert conns["model_registry"]["tracking_uri"] == conns["experiment_tracker"]["tracking_uri"]
    assert conns["experiment_tracker"]["tracking_uri"].startswith("azureml://westeurope.")
    vault = r.one("azure-native:keyvault:Vault", "azure-alerter-vault")
    assert conns["alerter"]["webhook_secret"] == (
        f"{vault.outputs['properties']['vaultUri']}secrets/slack-webhook"
    )
    assert elapsed < 30, f"the full azure-recipe took {elapsed:.1f}s under mocks"


def test_every_runtime_identity_may_use_what_later_components_made(whole):
    r, _ = whole
    runner = r.one(harness.IDENTITY, "azure-orchestrator-runner-identity").outputs["principalId"]
    user = r.one(harness.IDENTITY, "azure-orchestrator-user-identity").outputs["principalId"]
    steps = r.one(harness.IDENTITY, "azure-step-operator-identity").outputs["principalId"]
    grants = {(role, who) for role, _, who, _ in harness.role_assignments(r)}
    for who in (runner, user, steps):
        assert ("AzureML Data Scientist", who) in grants
        assert ("Key Vault Secrets User", who) in grants
        assert ("Storage Blob Data Contributor", who) in grants
    for who in (runner, user):
        assert ("Container Registry Tasks Contributor", who) in grants
    # The workspace grant is made once per identity, whichever component asks first.
    science = [g for g in harness.role_assignments(r) if g[0] == "AzureML Data Scientist"]
    assert len(science) == len({who for _, _, who, _ in science})


def test_stack_config_auth_names_the_stack_user_identity(whole):
    r, _ = whole
    from provisioner.operations import build_stack_config

    class Written:
        name = "pulumi"

        def state_location(self, stack: str) -> str:
            return f"file:///state/{stack}"

    user = r.one(harness.IDENTITY, "azure-orchestrator-user-identity").outputs
    assert r.stack_outputs["auth"] == {
        "azure_client_id": user["clientId"],
        "azure_tenant_id": harness.TENANT,
    }
    stack = load_stack("azure-recipe")
    config = build_stack_config(stack, r.stack_outputs, Written())
    assert config.auth.method == "azure-client"
    assert config.auth.azure_client_id == user["clientId"]
    assert config.auth.azure_tenant_id == harness.TENANT
    assert config.location == {"location": "westeurope"}
    assert (
        config.component("orchestrator")
        .config["credentials_command"]
        .startswith("az aks get-credentials")
    )
    bare = build_stack_config(stack, {COMPONENTS_OUTPUT: {}}, Written())
    assert bare.auth.method == "azure-default"
