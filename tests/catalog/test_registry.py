"""The catalog: every flavor fulfils its interface, and plugins register by entry point."""

from __future__ import annotations

import sys
import textwrap

import pytest
from pydantic import BaseModel

from provisioner.catalog import Cloud, ComponentType, Flavor, FlavorConfig
from provisioner.catalog.registry import (
    BUILTIN_MODULES,
    ENTRY_POINT_GROUP,
    FlavorRegistry,
    module_cloud,
    registry,
    reset_registry,
)
from provisioner.errors import CatalogError

FLAVORS = registry().all()


def test_twelve_component_types_each_described():
    assert len(ComponentType) == 12
    for t in ComponentType:
        assert t.description and t.description.endswith(".")


@pytest.mark.parametrize("flavor", FLAVORS, ids=lambda f: f"{f.cloud}-{f.type}-{f.name}")
def test_flavor_conformance(flavor: Flavor):
    assert isinstance(flavor.type, ComponentType) and isinstance(flavor.cloud, Cloud)
    assert issubclass(flavor.config_model, FlavorConfig)
    assert flavor.config_model.model_config.get("extra") == "forbid"
    assert flavor.description
    module, _, attr = flavor.recipe.partition(":")
    assert module.startswith("provisioner.recipes.") and attr
    builder = flavor.load_recipe()
    assert callable(builder)
    if isinstance(builder, type):
        import pulumi

        assert issubclass(builder, pulumi.ComponentResource), "recipes are ComponentResources"
    for name, field in flavor.config_model.model_fields.items():
        assert field.description, f"{flavor.name}.{name} needs a description for the schema"


@pytest.mark.parametrize(
    "flavor", [f for f in FLAVORS if f.implementation], ids=lambda f: f"{f.cloud}-{f.type}-{f.name}"
)
def test_runtime_implementations_load(flavor: Flavor):
    assert flavor.load_implementation() is not None


def test_get_explains_unknown_and_wrong_cloud():
    reg = registry()
    with pytest.raises(CatalogError, match="unknown orchestrator flavor 'airflow'"):
        reg.get(ComponentType.ORCHESTRATOR, "airflow", Cloud.LOCAL)


def test_duplicate_registration_is_an_error():
    reg = FlavorRegistry()
    flavor = FLAVORS[0]
    reg.register(flavor)
    with pytest.raises(CatalogError, match="registered twice"):
        reg.register(flavor)


@pytest.mark.parametrize("module", BUILTIN_MODULES)
def test_a_cloud_module_declares_only_its_clouds_flavors(module):
    import importlib

    cloud = module_cloud(module)
    if cloud is not None:  # loaded only for stacks on that cloud
        assert {f.cloud for f in importlib.import_module(module).FLAVORS} == {cloud}


def test_a_flavor_of_one_cloud_loads_only_that_clouds_modules(monkeypatch):
    imported = []
    monkeypatch.setattr(
        "provisioner.catalog.registry.importlib.import_module",
        lambda name: imported.append(name) or sys.modules[name],
    )
    reg = FlavorRegistry(BUILTIN_MODULES)
    flavor = reg.get(ComponentType.ARTIFACT_STORE, "s3", Cloud.AWS)
    assert flavor.cloud == Cloud.AWS
    assert {module_cloud(m) for m in imported} == {Cloud.AWS, None}
    assert len(reg.all()) == len(FLAVORS)  # and everything when everything is asked for
    assert sorted(imported) == sorted(BUILTIN_MODULES)


def test_a_plugin_clashing_with_a_builtin_not_loaded_yet_is_an_error():
    builtin = next(f for f in FLAVORS if f.cloud == Cloud.GCP)
    reg = FlavorRegistry(BUILTIN_MODULES)
    with pytest.raises(CatalogError, match="registered twice"):
        reg.register(builtin)
    reg.register(builtin, replace=True)  # replacing one is allowed


def test_an_unknown_flavor_names_the_clouds_it_is_offered_on():
    reg = FlavorRegistry(BUILTIN_MODULES)
    with pytest.raises(CatalogError, match=r"not offered on cloud local \(it is offered on: aws"):
        reg.get(ComponentType.ARTIFACT_STORE, "s3", Cloud.LOCAL)


class DemoConfig(FlavorConfig):
    pass


def test_third_party_flavor_registers_through_an_entry_point(tmp_path, monkeypatch):
    pkg = tmp_path / "demo_flavor_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        textwrap.dedent(
            """
            from provisioner.catalog import Cloud, ComponentType, Flavor, FlavorConfig

            class SlackConfig(FlavorConfig):
                pass

            FLAVOR = Flavor(
                type=ComponentType.ALERTER, name="demo-slack", cloud=Cloud.LOCAL,
                config_model=SlackConfig, recipe="demo_flavor_pkg:build",
                description="A plugin flavor.",
            )
            """
        )
    )
    dist = tmp_path / "demo_flavor_pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-flavor-pkg\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\ndemo = demo_flavor_pkg:FLAVOR\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    reset_registry()
    try:
        flavor = registry().get(ComponentType.ALERTER, "demo-slack", Cloud.LOCAL)
        assert flavor.source == "entry point demo"
        from provisioner.spec.loader import load_text

        stack = load_text(
            "name: demo\ncloud: local\ncomponents:\n  alerter: {flavor: demo-slack}\n", "d.yaml"
        )
        assert stack.components[ComponentType.ALERTER].flavor is flavor
    finally:
        reset_registry()
        sys.modules.pop("demo_flavor_pkg", None)


def test_broken_plugin_is_skipped_with_a_warning(tmp_path, monkeypatch, caplog):
    dist = tmp_path / "broken_pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-pkg\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nbroken = no_such_module_xyz:FLAVOR\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    reset_registry()
    try:
        assert registry().all()
        assert "broken" in caplog.text
    finally:
        reset_registry()


def test_config_models_import_no_cloud_sdk():
    import subprocess

    code = (
        "import sys; from provisioner.catalog.registry import registry; registry().all();"
        "bad=[m for m in sys.modules if m.startswith(('pulumi_aws','pulumi_gcp','pulumi_azure','boto3','google.cloud','azure.'))];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_base_model_is_strict():
    assert issubclass(FlavorConfig, BaseModel)
