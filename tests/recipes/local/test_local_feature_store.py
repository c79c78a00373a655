"""Mocks test of the local Feast recipe, and of local-full-recipe's data components."""

from __future__ import annotations

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.recipes.local.artifact_store import LocalArtifactStore
from provisioner.recipes.local.feature_store import LocalFeast, feast_project
from provisioner.recipes.local.flavors import LocalArtifactStoreConfig, LocalFeastConfig
from provisioner.spec.loader import load_stack
from tests.recipes.local.test_local_program import run_program


def build(ctx, config: LocalFeastConfig):
    def program():
        ctx.components[ComponentType.ARTIFACT_STORE] = LocalArtifactStore(
            "demo-artifact-store", LocalArtifactStoreConfig(), ctx
        )
        return LocalFeast("demo-feature-store", config, ctx)

    return program


def test_home_directory_and_where_everything_lives(prov_home, ctx, monitor, deploy):
    out = deploy(build(ctx, LocalFeastConfig()))

    comp = monitor.by_name("demo-feature-store")
    assert comp.type == "provisioner:local:Feast" and not comp.custom
    home = monitor.by_name("demo-feature-store-home")
    assert home.type == "pulumi-python:dynamic/provisioner:LocalDirectory"
    assert home.parent == comp.urn
    root = prov_home / "feature_store" / "demo"
    assert home.inputs["path"] == str(root) and home.inputs["guard_data"] is True
    assert out["connection"] == {
        "project": "demo",
        "registry": f"{root}/registry.db",
        "online_store": {"type": "sqlite", "path": f"{root}/online_store.db"},
        "offline_store": {
            "type": "file",
            "root": f"{prov_home / 'artifacts' / 'demo'}/feature_store",
        },
    }


def test_configured_path_and_project(prov_home, ctx, monitor, deploy, tmp_path):
    config = LocalFeastConfig(path=str(tmp_path / "fs"), project="team_a", force_destroy=True)
    out = deploy(build(ctx, config))
    assert out["connection"]["registry"] == f"{tmp_path / 'fs'}/registry.db"
    assert out["connection"]["project"] == "team_a"
    assert monitor.by_name("demo-feature-store-home").inputs["force_destroy"] is True


def test_project_names_fit_feast():
    assert feast_project("local-full") == "local_full"
    with pytest.raises(ValueError):
        LocalFeastConfig(project="has-dash")


def test_local_full_recipe_has_a_validator_and_a_feature_store(prov_home, monitor, monkeypatch):
    stack = load_stack("local-full-recipe")
    components = run_program(stack, monkeypatch)
    assert components["data_validator"] == {
        "flavor": "evidently",
        "connection": {"drift_share": 0.5, "max_failure_cases": 100},
    }
    validator = monitor.by_name("local-full-data-validator")
    assert not [r for r in monitor.registrations if r.parent == validator.urn]
    feast = components["feature_store"]["connection"]
    assert feast["project"] == "local_full"
    assert feast["online_store"]["path"] == str(
        prov_home / "feature_store/local-full/online_store.db"
    )
    assert feast["offline_store"]["root"] == str(prov_home / "artifacts/local-full/feature_store")
