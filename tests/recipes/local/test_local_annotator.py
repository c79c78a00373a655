"""Mocks test of the local Label Studio recipe (the server itself: test_label_studio_provider)."""

from __future__ import annotations

import asyncio
import base64

import dill
import pulumi
import pytest
from pydantic import ValidationError

from provisioner.catalog.flavor import validate_data
from provisioner.program import COMPONENTS_OUTPUT, SECRETS_OUTPUT, build_program
from provisioner.recipes.local.annotator import LocalLabelStudio
from provisioner.recipes.local.flavors import LocalLabelStudioConfig
from provisioner.recipes.local.providers.label_studio import LocalLabelStudioProvider
from provisioner.spec.loader import load_stack


def is_secret(output: pulumi.Output) -> bool:
    """Whether the engine would store ``output`` encrypted."""
    return asyncio.get_event_loop().run_until_complete(output.is_secret())


def test_service_connection_and_secret_credentials(prov_home, ctx, monitor, deploy):
    config = LocalLabelStudioConfig(port=8089, token_env="MY_TOKEN")
    out = deploy(lambda: LocalLabelStudio("demo-annotator", config, ctx))

    comp = monitor.by_name("demo-annotator")
    assert comp.type == "provisioner:local:LabelStudio" and not comp.custom
    child = monitor.by_name("demo-annotator-service")
    assert child.type == "pulumi-python:dynamic/provisioner:LocalLabelStudioService"
    assert child.custom and child.parent == comp.urn
    assert child.inputs["service_dir"] == str(prov_home / "services" / "demo" / "demo-annotator")
    assert child.inputs["listen_port"] == 8089
    assert child.inputs["username"] == "admin@provisioner.local"
    provider = dill.loads(base64.b64decode(child.inputs["__provider"]))
    assert isinstance(provider, LocalLabelStudioProvider)
    # the connection names the variable, never the token
    assert out["connection"] == {"url": "http://127.0.0.1:8089", "token_env": "MY_TOKEN"}
    assert len(monitor.registrations) == 2

    secrets: dict = {}

    @pulumi.runtime.test
    def check():
        return pulumi.Output.from_input(out["resource"].secrets).apply(secrets.update)

    check()
    assert is_secret(out["resource"].secrets["api_token"])
    assert secrets["api_token"] == "tk" and secrets["password"] == "pw"
    assert secrets["token_env"] == "MY_TOKEN"


def test_program_exports_secrets_apart_from_the_connections(prov_home, monitor, monkeypatch):
    stack = load_stack("local-full-recipe")
    exported: dict = {}
    monkeypatch.setattr(pulumi, "export", exported.__setitem__)

    @pulumi.runtime.test
    def run():
        build_program(stack)()

    run()
    resolved: dict = {}

    @pulumi.runtime.test
    def resolve():
        return pulumi.Output.from_input(exported[COMPONENTS_OUTPUT]).apply(resolved.update)

    resolve()
    assert is_secret(exported[SECRETS_OUTPUT])
    assert not is_secret(pulumi.Output.from_input(exported[COMPONENTS_OUTPUT]))
    annotator = resolved["annotator"]
    assert annotator["flavor"] == "label_studio"
    assert annotator["connection"]["token_env"] == "LABEL_STUDIO_API_KEY"


@pytest.mark.parametrize(
    "data",
    [{"port": 70000}, {"username": "not-an-email"}, {"token_env": "1BAD"}, {"colour": "red"}],
)
def test_config_refuses_bad_values(data):
    with pytest.raises(ValidationError):
        validate_data(LocalLabelStudioConfig, data)
