"""Mocks test of the local artifact store recipe."""

from __future__ import annotations

import base64

import dill

from provisioner.recipes.local.artifact_store import LocalArtifactStore
from provisioner.recipes.local.flavors import LocalArtifactStoreConfig
from provisioner.recipes.local.providers.directory import LocalDirectoryProvider

DIR_TYPE = "pulumi-python:dynamic/provisioner:LocalDirectory"


def test_default_path_under_home(prov_home, ctx, monitor, deploy):
    out = deploy(lambda: LocalArtifactStore("demo-artifact-store", LocalArtifactStoreConfig(), ctx))

    comp = monitor.by_name("demo-artifact-store")
    assert comp.type == "provisioner:local:ArtifactStore" and not comp.custom
    child = monitor.by_name("demo-artifact-store-dir")
    assert child.type == DIR_TYPE and child.custom
    assert child.parent == comp.urn
    expected = str(prov_home / "artifacts" / "demo")
    assert child.inputs["path"] == expected
    assert child.inputs["purpose"] == "artifact store"
    assert child.inputs["guard_data"] is True and child.inputs["force_destroy"] is False
    assert out["connection"] == {"uri": expected}
    provider = dill.loads(base64.b64decode(child.inputs["__provider"]))
    assert isinstance(provider, LocalDirectoryProvider)
    assert len(monitor.registrations) == 2


def test_configured_path_is_made_absolute(prov_home, ctx, monitor, deploy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = LocalArtifactStoreConfig(path="rel/store", force_destroy=True)
    out = deploy(lambda: LocalArtifactStore("demo-artifact-store", config, ctx))

    child = monitor.by_name("demo-artifact-store-dir")
    assert child.inputs["path"] == str(tmp_path / "rel" / "store")
    assert child.inputs["force_destroy"] is True
    assert out["connection"]["uri"] == str(tmp_path / "rel" / "store")
