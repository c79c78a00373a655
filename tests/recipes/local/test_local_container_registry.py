"""Mocks test of the local container registry recipe (the service: test_registry_provider)."""

from __future__ import annotations

import base64

import dill

from provisioner.recipes.local.container_registry import LocalContainerRegistry
from provisioner.recipes.local.flavors import LocalContainerRegistryConfig
from provisioner.recipes.local.providers.registry import LocalRegistryProvider


def test_service_and_connection(prov_home, ctx, monitor, deploy):
    config = LocalContainerRegistryConfig(port=5123)
    out = deploy(lambda: LocalContainerRegistry("demo-container-registry", config, ctx))

    comp = monitor.by_name("demo-container-registry")
    assert comp.type == "provisioner:local:ContainerRegistry" and not comp.custom
    child = monitor.by_name("demo-container-registry-service")
    assert child.type == "pulumi-python:dynamic/provisioner:LocalRegistryService" and child.custom
    assert child.parent == comp.urn
    assert child.inputs["service_dir"] == str(
        prov_home / "services" / "demo" / "demo-container-registry"
    )
    assert child.inputs["listen_port"] == 5123
    assert child.inputs["allow_delete"] is False
    provider = dill.loads(base64.b64decode(child.inputs["__provider"]))
    assert isinstance(provider, LocalRegistryProvider)
    service_dir = prov_home / "services" / "demo" / "demo-container-registry"
    assert out["connection"] == {
        "uri": "127.0.0.1:5123",
        "credentials_file": str(service_dir / "credentials.json"),
    }
    assert len(monitor.registrations) == 2


def test_port_zero_is_picked_at_deploy(prov_home, ctx, monitor, deploy):
    config = LocalContainerRegistryConfig()
    out = deploy(lambda: LocalContainerRegistry("demo-container-registry", config, ctx))
    assert monitor.by_name("demo-container-registry-service").inputs["listen_port"] == 0
    # The mock provider answers like the real one: the port chosen at create time.
    assert out["connection"]["uri"] == "127.0.0.1:5123"
