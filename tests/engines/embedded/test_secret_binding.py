"""Sealed state secrets are bound to their place; passphrases are long and costly to guess;
checkpoints in the previous encryption format still read, and are migrated."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import asdict

import pytest

from provisioner.engines.embedded import checkpoint, secrets
from provisioner.engines.embedded.secrets import ENV_VAR, key_path
from provisioner.engines.embedded.values import to_json
from provisioner.engines.model import Secret
from provisioner.errors import OperationError
from tests.engines.embedded.secretprograms import secret_input_program
from tests.engines.embedded.test_secrets import CREDS, PASSWORD, cp_path, leaks, raw


@pytest.fixture(autouse=True)
def no_passphrase(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def test_a_sealed_value_moved_to_another_field_does_not_decrypt(engine, ws, provisioner_home):
    """The attack: copy the sealed password over the sealed output ``token``, which a reader
    of the stack's outputs sees."""
    engine.up_program("dev", secret_input_program(str(ws.root), str(ws.journal), PASSWORD))
    doc = raw(provisioner_home)
    (creds,) = [r for r in doc["resources"] if r["urn"] == CREDS]
    doc["outputs"]["token"] = creds["inputs"]["content"]
    cp_path(provisioner_home).write_text(json.dumps(doc))
    with pytest.raises(OperationError, match="does not decrypt at <stack outputs>/token"):
        engine.outputs("dev")


def test_a_short_passphrase_is_refused_for_new_encryption(engine, ws, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "x")
    with pytest.raises(OperationError, match="at least 12 characters"):
        engine.up_program("dev", secret_input_program(str(ws.root), str(ws.journal), PASSWORD))
    assert ws.calls() == []  # refused before any provider call


def test_a_new_passphrase_header_uses_the_higher_scrypt_cost(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "a long enough passphrase")
    header = secrets.cipher_for_write(None).header
    assert header["v"] == 2 and header["kdf"] == "scrypt"
    assert (header["n"], header["r"], header["p"]) == (2**17, 8, 1)


# -- the previous format (1): constant AAD, scrypt N=2^15 -----------------------------------

_LEGACY_AAD = b"provisioner checkpoint secret v1"


def _legacy_seal(key: bytes, data: bytes) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, data, _LEGACY_AAD)).decode()


def write_format_1(path, cp: checkpoint.Checkpoint, *, passphrase: str | None = None) -> None:
    """Write ``cp`` exactly as the previous release did (format-1 header and values)."""
    salt = os.urandom(16)
    if passphrase is None:
        material = base64.b64decode(key_path().read_bytes().strip())
        key = hmac.new(material, b"provisioner checkpoint key v1" + salt, hashlib.sha256).digest()
        header = {"v": 1, "kind": "key-file", "salt": base64.b64encode(salt).decode()}
    else:
        n, r, p = 2**15, 8, 1
        key = hashlib.scrypt(
            passphrase.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 << 20, dklen=32
        )
        header = {"v": 1, "kind": "passphrase", "salt": base64.b64encode(salt).decode()}
        header.update(kdf="scrypt", n=n, r=r, p=p)
    header["check"] = _legacy_seal(key, b"provisioner checkpoint key check")

    def seal(value, _path=()):
        data = json.dumps(value, separators=(",", ":")).encode()
        return {"ciphertext": _legacy_seal(key, data), "v": 1}

    def res(r: checkpoint.ResourceState) -> dict:
        data = asdict(r)
        data.update(inputs=to_json(r.inputs, seal), outputs=to_json(r.outputs, seal))
        if r.provider is not None:
            data["provider"] = {"__secret__": seal(str(r.provider))}
        return data

    doc = {
        "version": 2,
        "stack": cp.stack,
        "updated": "2025-01-01T00:00:00+00:00",
        "resources": [res(r) for r in cp.resources],
        "pending": [],
        "outputs": to_json(cp.outputs, seal),
        "secrets": header,
    }
    path.write_text(json.dumps(doc, indent=1))


@pytest.mark.parametrize("passphrase", [None, "old one", "an older passphrase"])
def test_a_format_1_checkpoint_reads_and_is_migrated_on_the_next_write(
    engine, ws, provisioner_home, monkeypatch, passphrase
):
    program = secret_input_program(str(ws.root), str(ws.journal), PASSWORD)
    engine.up_program("dev", program)
    path = cp_path(provisioner_home)
    write_format_1(path, checkpoint.load(path, "dev"), passphrase=passphrase)
    if passphrase is not None:
        monkeypatch.setenv(ENV_VAR, passphrase)  # "old one" is short: it was allowed then
    legacy_token = raw(provisioner_home)["outputs"]["token"]
    assert legacy_token["__secret__"]["v"] == 1

    assert engine.outputs("dev")["creds_content"] == Secret(PASSWORD)
    engine.up_program("dev", program)
    doc = raw(provisioner_home)
    assert doc["secrets"]["v"] == 2
    assert doc["outputs"]["token"]["__secret__"]["v"] == 2
    if passphrase is not None:
        assert doc["secrets"]["n"] == 2**17
    assert engine.outputs("dev")["token"] == Secret("hush")
    assert ws.calls() == ["create creds.txt"]
    assert leaks(provisioner_home, PASSWORD) == []

    # once migrated, an old-format value pasted back in is refused
    doc["outputs"]["token"] = legacy_token
    path.write_text(json.dumps(doc))
    with pytest.raises(OperationError, match="does not decrypt"):
        engine.outputs("dev")
