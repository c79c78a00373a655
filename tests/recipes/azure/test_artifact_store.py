"""Mocks test of the Azure artifact store recipe (storage account and private container)."""

from __future__ import annotations

import pytest

from provisioner.recipes.azure.artifact_store import (
    AzureArtifactStore,
    default_account_name,
    storage_protected_hint,
)
from provisioner.recipes.azure.flavors import AzureBlobArtifactStoreConfig
from tests.recipes.azure import harness

ACCOUNT = "azure:storage:StorageAccount"


def build(**config):
    ctx = harness.make_ctx()
    return harness.run(
        lambda: AzureArtifactStore("ml-artifact-store", AzureBlobArtifactStoreConfig(**config), ctx)
    )


@pytest.fixture(scope="module")
def r():
    return build()


def test_invariants(r):
    harness.check_all(r)


def test_account_is_locked_down(r):
    account = r.one("azure-native:storage:StorageAccount").inputs
    assert account["accountName"] == default_account_name("ml")
    assert account["kind"] == "StorageV2" and account["sku"] == {"name": "Standard_LRS"}
    assert account["enableHttpsTrafficOnly"] is True
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["allowBlobPublicAccess"] is False
    assert account["allowSharedKeyAccess"] is False
    assert account["defaultToOAuthAuthentication"] is True
    assert account["allowCrossTenantReplication"] is False


def test_container_is_private_and_data_is_protected(r):
    container = r.one("azure-native:storage:BlobContainer").inputs
    assert container["containerName"] == "artifacts" and container["publicAccess"] == "None"
    service = r.one("azure-native:storage:BlobServiceProperties").inputs
    assert service["isVersioningEnabled"] is True
    assert service["deleteRetentionPolicy"] == {"enabled": True, "days": 7}
    rule = r.one("azure-native:storage:ManagementPolicy").inputs["policy"]["rules"][0]
    assert rule["definition"]["actions"]["version"]["delete"] == {
        "daysAfterCreationGreaterThan": 30
    }


def test_connection_is_the_uri_with_azure_extras(r):
    account = r.one("azure-native:storage:StorageAccount")
    name = account.inputs["accountName"]
    assert r.connections["main"] == {
        "uri": "az://artifacts/artifacts",
        "azure": {
            "account_url": f"https://{name}.blob.core.windows.net",
            "account_name": name,
            "storage_account_id": account.outputs["id"],
            "resource_group": "rg-ml",
        },
    }


def test_account_is_protected_unless_force_destroy(r):
    assert r.result.account._protect is True
    assert build(force_destroy=True).result.account._protect is False
    assert (
        storage_protected_hint("unable to delete resource as it is currently marked for protection")
        is not None
    )
    assert storage_protected_hint("some other failure") is None


def test_shared_key_and_options():
    r = build(
        shared_key_access=True,
        versioning=False,
        soft_delete_days=0,
        account_name="mystore123",
        container_name="runs",
        prefix="team/a",
    )
    harness.check_all(r)
    account = r.one("azure-native:storage:StorageAccount").inputs
    assert account["allowSharedKeyAccess"] is True and account["accountName"] == "mystore123"
    assert not r.of_type("azure-native:storage:ManagementPolicy")
    service = r.one("azure-native:storage:BlobServiceProperties").inputs
    assert service["deleteRetentionPolicy"] == {"enabled": False}
    assert r.connections["main"]["uri"] == "az://runs/team/a"


@pytest.mark.parametrize(
    "config",
    [
        {"account_name": "Has-Dash"},
        {"account_name": "ab"},
        {"account_name": "a" * 25},
        {"container_name": "Bad_Name"},
        {"sku": "Premium_LRS"},
        {"soft_delete_days": 400},
    ],
)
def test_bad_config_is_rejected(config):
    with pytest.raises(ValueError):
        AzureBlobArtifactStoreConfig(**config)
