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
