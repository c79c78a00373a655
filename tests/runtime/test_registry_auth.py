"""Pushing to the stack's registry authenticates with the credentials file the stack config
names; a password in the stack config itself is never used."""

from __future__ import annotations

import os

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes.local.providers.registry import LocalRegistryProvider
from provisioner.runtime.registry_auth import registry_auth_header, registry_credentials
from provisioner.stackconfig import ComponentConnection
from tests.recipes.local.test_registry_provider import push_image, request
from tests.runtime.conftest import make_stack


@pytest.fixture
def deployed(tmp_path):
    provider = LocalRegistryProvider()
    result = provider.create({"service_dir": str(tmp_path / "reg"), "listen_port": 0})
    yield result.outs
    provider.delete(result.id, result.outs)


def stack_with(tmp_path, connection: dict):
    stack = make_stack("local", root=tmp_path)
    stack.components[ComponentType.CONTAINER_REGISTRY] = ComponentConnection(
        flavor="local", config=connection
    )
    return stack


def test_a_push_authenticates_with_the_referenced_file(deployed, tmp_path):
    stack = stack_with(
        tmp_path, {"uri": deployed["uri"], "credentials_file": deployed["credentials_file"]}
    )
    port = deployed["port"]
    assert request(port, "GET", "/v2/", auth=False)[0] == 401
    headers = registry_auth_header(stack)
    assert request(port, "GET", "/v2/", headers=headers, auth=False)[0] == 200
    assert "password" not in stack.to_yaml()
    from tests.recipes.local import test_registry_provider as helpers

    helpers._AUTH[port] = headers
    push_image(port, "team/model", "v1", b"layer")


def test_a_password_in_the_stack_config_is_refused(deployed, tmp_path):
    stack = stack_with(tmp_path, {"uri": deployed["uri"], "password": "in-the-file"})
    with pytest.raises(UserInputError, match="holds a secret in the stack config"):
        registry_credentials(stack)


def test_a_credentials_file_open_to_others_is_refused(deployed, tmp_path):
    stack = stack_with(
        tmp_path, {"uri": deployed["uri"], "credentials_file": deployed["credentials_file"]}
    )
    os.chmod(deployed["credentials_file"], 0o644)
    with pytest.raises(UserInputError, match="open to other users"):
        registry_credentials(stack)


def test_no_registry_or_no_file_needs_no_credentials(tmp_path):
    assert registry_credentials(make_stack("local", root=tmp_path)) is None
    assert registry_auth_header(stack_with(tmp_path, {"uri": "127.0.0.1:1"})) == {}
