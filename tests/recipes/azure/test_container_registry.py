"""Mocks test of the Azure container registry recipe (ACR)."""

from __future__ import annotations

import pytest

from provisioner.recipes.azure.container_registry import (
    AzureContainerRegistry,
    default_registry_name,
    registry_protected_hint,
)
from provisioner.recipes.azure.flavors import ACRContainerRegistryConfig
from tests.recipes.azure import harness


def build(**config):
    ctx = harness.make_ctx()
    return harness.run(
        lambda: AzureContainerRegistry(
            "ml-container-registry", ACRContainerRegistryConfig(**config), ctx
        )
    )


@pytest.fixture(scope="module")
def r():
    return build()


def test_invariants(r):
    harness.check_all(r)


def test_registry_has_no_admin_user_nor_anonymous_pull(r):
    registry = r.one("azure-native:containerregistry:Registry")
    assert registry.inputs["registryName"] == default_registry_name("ml")
    assert registry.inputs["adminUserEnabled"] is False
    assert registry.inputs["anonymousPullEnabled"] is False
    assert registry.inputs["sku"] == {"name": "Basic"}
    assert r.result.registry._protect is True
    assert build(force_delete=True).result.registry._protect is False
    assert registry_protected_hint("error: resource is protected") is not None


def test_connection(r):
    registry = r.one("azure-native:containerregistry:Registry")
    server = registry.outputs["loginServer"]
    assert r.connections["main"] == {
        "uri": f"{server}/steps",
        "azure": {
            "registry_name": registry.inputs["registryName"],
            "login_server": server,
            "registry_id": registry.outputs["id"],
        },
    }


@pytest.mark.parametrize(
    "config", [{"registry_name": "ab"}, {"registry_name": "has-dash"}, {"sku": "Free"}]
)
def test_bad_config_is_rejected(config):
    with pytest.raises(ValueError):
        ACRContainerRegistryConfig(**config)
