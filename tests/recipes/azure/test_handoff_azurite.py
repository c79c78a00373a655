"""End to end: the artifact-store connection and auth the azure-recipe emits, fed to the
runtime against Azurite, with the emulator's endpoint as the only override.

Azurite runs over HTTPS with OAuth on (its ``basic`` mode checks a bearer token's issuer,
audience and lifetime, not its signature), so the runtime authenticates exactly as the stack
config says, with Entra ID tokens through DefaultAzureCredential: here the Azure CLI's, from
a stand-in ``az`` on PATH that prints a token, as ``az account get-access-token`` does. No
account key or connection string is used: the recipe turns shared-key access off.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner.recipes.azure.artifact_store import AzureArtifactStore
from provisioner.recipes.azure.flavors import AzureBlobArtifactStoreConfig
from provisioner.stackconfig import AuthReference, ComponentConnection, Provenance, StackConfig
from tests.recipes.azure import harness
from tests.runtime import emulators

pytestmark = pytest.mark.slow  # starts Azurite

KEY = base64.b64encode(b"provisioner-test-account-key-32b").decode()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _unsigned_jwt(tenant: str, audience: str = "https://storage.azure.com") -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    now = int(time.time())
    claims = {
        "aud": audience,
        "iss": f"https://sts.windows.net/{tenant}/",
        "iat": now - 60,
        "nbf": now - 60,
        "exp": now + 3600,
        "oid": "00000000-0000-0000-0000-00000000beef",
        "tid": tenant,
        "appid": "provisioner-test",
    }
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def _fake_az(folder: Path, tenant: str, calls: Path, audience: str = "https://storage.azure.com"):
    """An ``az`` that answers ``account get-access-token`` like the Azure CLI."""
    token = {
        "accessToken": _unsigned_jwt(tenant, audience),
        "expires_on": int(time.time()) + 3600,
        "tenant": tenant,
        "tokenType": "Bearer",
    }
    script = folder / "az"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"open({str(calls)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        f"print({json.dumps(json.dumps(token))})\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


@pytest.fixture(scope="module")
def emitted():
    """The connection and auth the recipe emits (under the mocks)."""
    ctx = harness.make_ctx()
    r = harness.run(
        lambda: AzureArtifactStore("ml-artifact-store", AzureBlobArtifactStoreConfig(), ctx)
    )
    return r.connections["main"]


@pytest.fixture(scope="module")
def azurite_https(emitted, tmp_path_factory) -> Iterator[tuple[int, Path]]:
    """Azurite over HTTPS with OAuth, serving the recipe's storage account name."""
    folder = tmp_path_factory.mktemp("azurite-https")
    cert, key = _self_signed(folder)
    account = emitted["azure"]["account_name"]
    port = emulators.free_port()
    env = {**os.environ, "AZURITE_ACCOUNTS": f"{account}:{KEY}"}
    proc = subprocess.Popen(
        [
            emulators.azurite_binary(),
            "--blobHost", "127.0.0.1", "--blobPort", str(port),
            "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--silent",
            "--cert", str(cert), "--key", str(key), "--oauth", "basic",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=folder,
        env=env,
    )  # fmt: skip
    try:
        emulators.wait_for_port(port, proc=proc)
        yield port, cert
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _create_container(port: int, cert: Path, account: str, container: str) -> None:
    """What the deploy does: the container exists (made here with the account key)."""
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient(
        f"https://127.0.0.1:{port}/{account}",
        credential={"account_name": account, "account_key": KEY},
        connection_verify=str(cert),
    )
    service.create_container(container)


def _stack(emitted: dict, port: int, account: str) -> StackConfig:
    """The stack config a deploy writes, with the Azurite endpoint as the only override."""
    return StackConfig(
        name="ml",
        cloud="azure",
        location={"location": harness.LOCATION},
        components={
            "orchestrator": ComponentConnection(flavor="local", config={}),
            "artifact_store": ComponentConnection(flavor="azure", config=emitted),
        },
        auth=AuthReference(
            method="azure-client", azure_client_id="client-x", azure_tenant_id=harness.TENANT
        ),
        endpoints={"azure_blob": f"https://127.0.0.1:{port}/{account}"},  # the only override
        provenance=Provenance(
            recipe="azure-recipe",
            definition="azure-recipe.yaml",
            engine="pulumi",
            state="file:///dev/null",
            deployed_at=dt.datetime.now(dt.UTC),
        ),
    )


def _signed_in(tmp_path: Path, monkeypatch, cert: Path, **token) -> Path:
    """PATH with a stand-in ``az``; returns the file it logs its calls to."""
    bin_dir, calls = tmp_path / "bin", tmp_path / "az-calls.txt"
    bin_dir.mkdir()
    _fake_az(bin_dir, harness.TENANT, calls, **token)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "dev")  # no managed-identity probe
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    for var in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    return calls


def test_the_recipes_connection_and_auth_reach_azurite_with_entra_tokens(
    emitted, azurite_https, tmp_path, monkeypatch
):
    from provisioner.runtime.stores import open_store

    port, cert = azurite_https
    account = emitted["azure"]["account_name"]
    _create_container(port, cert, account, "artifacts")
    calls = _signed_in(tmp_path, monkeypatch, cert)
    stack = _stack(emitted, port, account)
    path = tmp_path / "stack.yaml"
    stack.write(path)
    from provisioner.stackconfig import load_stack_config

    loaded = load_stack_config(path)  # checks the connection against the flavor's model
    assert loaded.component("artifact_store").config == emitted
    store = open_store(loaded)
    store.check()
    store.put_bytes("runs/r1/out.json", b'{"ok": true}')
    assert store.get_bytes("runs/r1/out.json") == b'{"ok": true}'
    assert list(store.list_keys("runs")) == ["runs/r1/out.json"]
    assert store.exists("runs/r1/out.json")
    store.delete("runs/r1/out.json")
    assert not store.exists("runs/r1/out.json")
    # Every request carried a token from `az`, for the storage audience.
    assert "account get-access-token" in calls.read_text()
    assert "https://storage.azure.com" in calls.read_text()


def test_azurite_checks_the_token(emitted, azurite_https, tmp_path, monkeypatch):
    """The emulator really checks auth: no token, or a token for another audience, fails."""
    import requests

    from provisioner.runtime.errors import ArtifactStoreError
    from provisioner.runtime.stores import open_store

    port, cert = azurite_https
    account = emitted["azure"]["account_name"]
    url = f"https://127.0.0.1:{port}/{account}/artifacts?restype=container&comp=list"
    assert requests.get(url, verify=str(cert), timeout=10).status_code in (401, 403)
    _signed_in(tmp_path, monkeypatch, cert, audience="https://management.azure.com")
    with pytest.raises(ArtifactStoreError) as info:
        open_store(_stack(emitted, port, account)).check()
    assert "authentication failed" in str(info.value)
