"""The recipe under Pulumi mocks: no engine, no provider runs; only what gets registered."""

from __future__ import annotations

import pulumi
import pytest

from provisioner.catalog.flavor import RecipeContext
from provisioner.spec.models import LocalStack


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        super().__init__()
        self.resources: dict[str, pulumi.runtime.MockResourceArgs] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources[args.name] = args
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}, None


@pytest.fixture
def mocks() -> Mocks:
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, project="demo", stack="demo", preview=False)
    return mocks


@pulumi.runtime.test
def test_the_store_adopts_the_directory_as_a_child(mocks, tmp_path):
    from adopted_store.flavors import AdoptedDirectoryConfig
    from adopted_store.recipe import AdoptedArtifactStore

    ctx = RecipeContext(
        spec=LocalStack(
            name="demo", cloud="local", components={"orchestrator": {"flavor": "local"}}
        )
    )
    store = AdoptedArtifactStore("demo-store", AdoptedDirectoryConfig(path=str(tmp_path)), ctx)

    def check(uri: str) -> None:
        assert uri == str(tmp_path)
        child = mocks.resources["demo-store-dir"]
        assert child.typ == "pulumi-python:dynamic/adopted:AdoptedDirectory"
        assert child.inputs["path"] == str(tmp_path)
        assert set(mocks.resources) == {"demo-store", "demo-store-dir"}

    return store.connection["uri"].apply(check)


def test_a_relative_path_is_refused():
    from adopted_store.flavors import AdoptedDirectoryConfig
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="absolute path"):
        AdoptedDirectoryConfig(path="relative/dir")
