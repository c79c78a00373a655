"""Mocks tests of the local MLflow recipe: a file store, or a managed server."""

from __future__ import annotations

from provisioner.recipes.local.experiment_tracker import LocalMLflow
from provisioner.recipes.local.flavors import LocalMLflowConfig


def test_file_store_and_tracking_uri(prov_home, ctx, monitor, deploy):
    out = deploy(
        lambda: LocalMLflow("demo-experiment-tracker", LocalMLflowConfig(backend="file"), ctx)
    )

    comp = monitor.by_name("demo-experiment-tracker")
    assert comp.type == "provisioner:local:MLflow" and not comp.custom
    child = monitor.by_name("demo-experiment-tracker-store")
    assert child.type == "pulumi-python:dynamic/provisioner:LocalDirectory"
    assert child.parent == comp.urn
    store = prov_home / "mlruns" / "demo"
    assert child.inputs["path"] == str(store)
    assert child.inputs["guard_data"] is True
    assert out["connection"] == {"tracking_uri": f"file://{store}"}
    assert len(monitor.registrations) == 2


def test_path_with_space_is_a_valid_uri(prov_home, ctx, monitor, deploy, tmp_path):
    config = LocalMLflowConfig(backend="file", path=str(tmp_path / "my runs"))
    out = deploy(lambda: LocalMLflow("demo-experiment-tracker", config, ctx))

    assert out["connection"]["tracking_uri"] == f"file://{tmp_path}/my%20runs"


def _mlflow_stack(name, ctx, build_more=None):
    """The artifact store, the tracker (server), and what ``build_more`` adds, as a program."""
    from provisioner.catalog.types import ComponentType
    from provisioner.recipes.local.artifact_store import LocalArtifactStore
    from provisioner.recipes.local.flavors import LocalArtifactStoreConfig

    ctx.components[ComponentType.ARTIFACT_STORE] = LocalArtifactStore(
        "demo-artifact-store", LocalArtifactStoreConfig(), ctx
    )
    tracker = LocalMLflow("demo-experiment-tracker", LocalMLflowConfig(port=5501), ctx)
    ctx.components[ComponentType.EXPERIMENT_TRACKER] = tracker
    return build_more() if build_more else tracker


def test_server_in_its_service_dir_with_artifacts_in_the_store(prov_home, ctx, monitor, deploy):
    import base64

    import dill

    from provisioner.recipes.local.providers.mlflow_server import (
        SERVER_REQUIREMENTS,
        LocalMLflowServerProvider,
    )

    out = deploy(lambda: _mlflow_stack("demo", ctx))

    comp = monitor.by_name("demo-experiment-tracker")
    server = monitor.by_name("demo-experiment-tracker-server")
    assert server.type == "pulumi-python:dynamic/provisioner:LocalMLflowServer"
    assert server.parent == comp.urn and server.custom
    assert server.inputs["service_dir"] == str(
        prov_home / "services" / "demo" / "demo-experiment-tracker"
    )
    assert server.inputs["artifacts_destination"] == str(
        prov_home / "artifacts" / "demo" / "mlflow"
    )
    assert server.inputs["listen_port"] == 5501
    assert server.inputs["requirements"] == list(SERVER_REQUIREMENTS)
    assert SERVER_REQUIREMENTS[0].startswith("mlflow==")  # pinned
    provider = dill.loads(base64.b64decode(server.inputs["__provider"]))
    assert isinstance(provider, LocalMLflowServerProvider)
    assert out["connection"] == {
        "tracking_uri": "http://127.0.0.1:5501",
        "venv": "/venvs/mlflow-abc",
    }


def test_registry_and_deployer_use_the_server(prov_home, ctx, monitor, deploy):
    from provisioner.recipes.local.flavors import LocalMLflowModelDeployerConfig
    from provisioner.recipes.local.model_deployer import LocalMLflowModelDeployer
    from provisioner.recipes.local.model_registry import LocalMLflowModelRegistry

    def more():
        LocalMLflowModelRegistry("demo-model-registry", LocalMLflowConfig.__base__(), ctx)
        return LocalMLflowModelDeployer(
            "demo-model-deployer", LocalMLflowModelDeployerConfig(start_timeout=60), ctx
        )

    out = deploy(lambda: _mlflow_stack("demo", ctx, more))
    assert monitor.by_name("demo-model-registry").type == "provisioner:local:MLflowModelRegistry"
    servers = monitor.by_name("demo-model-deployer-servers")  # stopped on destroy
    assert servers.type == "pulumi-python:dynamic/provisioner:LocalModelServers"
    assert servers.parent == monitor.by_name("demo-model-deployer").urn
    assert servers.inputs["store_dir"] == str(prov_home / "artifacts" / "demo")
    assert out["connection"] == {
        "tracking_uri": "http://127.0.0.1:5501",
        "venv": "/venvs/mlflow-abc",
        "service_dir": str(prov_home / "services" / "demo" / "demo-model-deployer"),
        "start_timeout": 60,
    }


def test_registry_without_a_server_names_what_is_missing(prov_home, ctx):
    import pytest

    from provisioner.catalog.flavor import FlavorConfig
    from provisioner.errors import UserInputError
    from provisioner.recipes.local.model_registry import LocalMLflowModelRegistry

    with pytest.raises(UserInputError, match="needs the stack's MLflow server"):
        LocalMLflowModelRegistry("demo-model-registry", FlavorConfig(), ctx)
