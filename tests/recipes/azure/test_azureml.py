"""Mocks tests of the AzureML orchestrator and step operator, and the shared workspace."""

from __future__ import annotations

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes.azure.azureml import AzureMLOrchestrator, AzureMLStepOperator
from provisioner.recipes.azure.flavors import AzureMLConfig
from tests.recipes.azure import harness

WORKSPACE = "azure-native:machinelearningservices:Workspace"
COMPUTE = "azure-native:machinelearningservices:Compute"


def build(cls=AzureMLStepOperator, both: bool = False, **config):
    ctx = harness.make_ctx()

    def program():
        harness.build_storage(ctx)
        if both:
            ctx.components[ComponentType.ORCHESTRATOR] = AzureMLOrchestrator(
                "ml-orchestrator", AzureMLConfig(), ctx
            )
        comp = cls("ml-step-operator", AzureMLConfig(**config), ctx)
        ctx.components[ComponentType.STEP_OPERATOR] = comp
        return comp

    return harness.run(program)


@pytest.fixture(scope="module")
def r():
    return build()


def test_invariants(r):
    harness.check_all(r)


def test_workspace_brings_its_dependencies_locked_down(r):
    ws = r.one(WORKSPACE).inputs
    assert ws["identity"] == {"type": "SystemAssigned"}
    assert ws["systemDatastoresAuthMode"] == "identity"
    storage = r.one("azure-native:storage:StorageAccount", "ml-ml-workspace-storage")
    assert ws["storageAccount"] == storage.outputs["id"]
    assert storage.inputs["allowSharedKeyAccess"] is False
    assert storage.inputs["allowBlobPublicAccess"] is False
    assert storage.inputs["minimumTlsVersion"] == "TLS1_2"
    vault = r.one("azure-native:keyvault:Vault")
    assert ws["keyVault"] == vault.outputs["id"]
    assert vault.inputs["properties"]["enableRbacAuthorization"] is True
    insights = r.one("azure-native:applicationinsights:Component")
    assert ws["applicationInsights"] == insights.outputs["id"]
    logs = r.one("azure-native:operationalinsights:Workspace")
    assert insights.inputs["workspaceResourceId"] == logs.outputs["id"]


def test_compute_scales_to_zero_under_its_own_identity(r):
    compute = r.one(COMPUTE).inputs
    identity = r.one("azure-native:managedidentity:UserAssignedIdentity").outputs
    assert compute["identity"]["userAssignedIdentities"] == [identity["id"]]
    props = compute["properties"]
    assert props["computeType"] == "AmlCompute" and props["disableLocalAuth"] is True
    scale = props["properties"]["scaleSettings"]
    assert scale == {"minNodeCount": 0, "maxNodeCount": 2, "nodeIdleTimeBeforeScaleDown": "PT10M"}
    assert props["properties"]["remoteLoginPortPublicAccess"] == "Disabled"


def test_identity_holds_the_container_the_registry_and_the_workspace_only(r):
    ident = r.one("azure-native:managedidentity:UserAssignedIdentity").outputs["principalId"]
    account = r.one("azure-native:storage:StorageAccount", "ml-artifact-store-account")
    grants = {(role, scope) for role, scope, who, _ in harness.role_assignments(r) if who == ident}
    assert grants == {
        (
            "Storage Blob Data Contributor",
            f"{account.outputs['id']}/blobServices/default/containers/artifacts",
        ),
        ("AcrPull", r.one("azure-native:containerregistry:Registry").outputs["id"]),
        ("AzureML Data Scientist", r.one(WORKSPACE).outputs["id"]),
    }


def test_connection(r):
    conn = r.connections["main"]
    assert conn["region"] == "westeurope" and conn["instance_type"] == "Standard_DS3_v2"
    assert conn["azure"]["workspace_name"] == "ml-ml"
    assert conn["azure"]["compute_name"] == r.one(COMPUTE).inputs["computeName"]
    assert conn["azure"]["subscription_id"] == harness.SUBSCRIPTION


def test_orchestrator_and_step_operator_share_one_workspace():
    r = build(both=True)
    harness.check_all(r)
    assert len(r.of_type(WORKSPACE)) == 1 and len(r.of_type(COMPUTE)) == 2
    names = {c.inputs["computeName"] for c in r.of_type(COMPUTE)}
    assert len(names) == 2


def test_without_artifact_store_is_a_user_error():
    ctx = harness.make_ctx()
    with pytest.raises(UserInputError, match="artifact_store"):
        harness.run(lambda: AzureMLStepOperator("ml-step-operator", AzureMLConfig(), ctx))


@pytest.mark.parametrize(
    "config", [{"vm_size": "m5.large"}, {"max_nodes": 0}, {"workspace_name": "x"}]
)
def test_bad_config_is_rejected(config):
    with pytest.raises(ValueError):
        AzureMLConfig(**config)
