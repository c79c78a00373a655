"""The Label Studio client without a server: its connection, token and error messages."""

from __future__ import annotations

import pytest

from provisioner.errors import OperationError, UserInputError
from provisioner.recipes.local.providers import process
from provisioner.runtime import connect
from provisioner.runtime.annotators.label_studio import LabelStudioAnnotator
from provisioner.runtime.components.annotator import Annotator
from provisioner.stackconfig import ComponentConnection
from tests.runtime.conftest import make_stack


def _stack(tmp_path, **config):
    annotator = ComponentConnection(flavor="label_studio", config=config)
    return make_stack("local", root=tmp_path, extra={"annotator": annotator})


def test_the_flavor_builds_an_annotator(tmp_path):
    port = process.free_port()
    stack = _stack(tmp_path, url=f"http://127.0.0.1:{port}/", token_env="T_ENV")
    client = connect(stack).annotator
    assert isinstance(client, LabelStudioAnnotator) and isinstance(client, Annotator)
    assert client.base_url == f"http://127.0.0.1:{port}" and client.token_env == "T_ENV"


def test_a_missing_token_names_the_variable_and_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv("T_ENV", raising=False)
    client = connect(_stack(tmp_path, url="http://127.0.0.1:9", token_env="T_ENV")).annotator
    with pytest.raises(UserInputError, match=r"\$T_ENV is empty") as err:
        client.get_project(1)
    assert "provisioner stack outputs test-local secrets.annotator.api_token" in err.value.hint


def test_a_server_that_is_down_is_an_operation_error(tmp_path, monkeypatch):
    monkeypatch.setenv("T_ENV", "x" * 40)
    port = process.free_port()  # nothing listens there
    client = connect(_stack(tmp_path, url=f"http://127.0.0.1:{port}", token_env="T_ENV"))
    with pytest.raises(OperationError, match="cannot be reached") as err:
        client.annotator.create_project("abc", "<View/>")
    assert "stack refresh" in err.value.hint


def test_a_connection_without_its_keys_is_refused(tmp_path):
    with pytest.raises(UserInputError, match="lacks token_env"):
        connect(_stack(tmp_path, url="http://127.0.0.1:9")).component_client("annotator")
