"""Azure auth: an account key from a named env var, and DefaultAzureCredential offline."""

from __future__ import annotations

import pytest

from provisioner.errors import UserInputError
from provisioner.runtime.errors import ArtifactStoreError
from provisioner.runtime.stores import open_store
from provisioner.stackconfig import AuthReference
from tests.runtime import emulators
from tests.runtime.conftest import make_stack


def _stack(tmp_path, port, auth):
    return make_stack("azure", root=tmp_path, endpoint=port).model_copy(update={"auth": auth})


def test_account_key_from_the_env_var_the_stack_names(azurite_port, tmp_path, monkeypatch):
    monkeypatch.setenv("MY_AZURE_KEY", emulators.AZURITE_KEY)
    stack = _stack(
        tmp_path,
        azurite_port,
        AuthReference(method="env", env={"azure_account_key": "MY_AZURE_KEY"}),
    )
    assert emulators.AZURITE_KEY not in stack.to_yaml()
    store = open_store(stack)
    store.put_bytes("k/v.txt", b"keyed")
    assert store.get_bytes("k/v.txt") == b"keyed"


def test_named_env_var_that_is_unset_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("MY_AZURE_KEY", raising=False)
    stack = _stack(
        tmp_path, 1, AuthReference(method="env", env={"azure_account_key": "MY_AZURE_KEY"})
    )
    with pytest.raises(UserInputError, match=r"\$MY_AZURE_KEY"):
        open_store(stack)


def test_default_credential_fails_clearly_offline(azurite_port, tmp_path, monkeypatch):
    # Developer credentials only: the managed identity probe would leave loopback.
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "dev")
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    stack = _stack(tmp_path, azurite_port, AuthReference(method="azure-default"))
    with pytest.raises(ArtifactStoreError, match="only supported with HTTPS") as info:
        open_store(stack)  # a token over plain http is refused before any request
    assert "az://" in str(info.value)
    https = stack.model_copy(
        update={"endpoints": {"azure_blob": f"https://127.0.0.1:{emulators.free_port()}/acct"}}
    )
    store = open_store(https)
    with pytest.raises(ArtifactStoreError, match="authentication failed") as info:
        store.check()  # no developer sign-in here: ClientAuthenticationError, no hang
    assert store.uri in str(info.value) and info.value.hint and "az login" in info.value.hint
