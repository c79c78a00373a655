"""Registry login from the stack config's references: Artifact Registry through google-auth
(an authorized-user file whose token endpoint is a local server), ACR through azure-identity
(offline: a clear error), ECR through boto3 (moto), the local registry's credentials file."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from provisioner.catalog.types import ComponentType
from provisioner.errors import OperationError
from provisioner.runtime.images.login import push_credentials
from provisioner.stackconfig import ComponentConnection
from tests.runtime.conftest import make_stack


@pytest.fixture
def token_server():
    """An OAuth token endpoint on 127.0.0.1 that records the refresh requests it gets."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
            body = json.dumps({"access_token": "ya29.test-token", "expires_in": 3600}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/token", seen
    server.shutdown()


def test_artifact_registry_gets_a_google_access_token(tmp_path, monkeypatch, token_server):
    url, seen = token_server
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    creds = tmp_path / "sa.json"
    creds.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "demo",
                "private_key_id": "k1",
                "private_key": pem,
                "client_email": "builder@demo.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": url,  # a service account's token endpoint comes from its file
            }
        )
    )
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(creds))
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # never probe the metadata server
    stack = make_stack("local", root=tmp_path)
    assert push_credentials(stack, "europe-west1-docker.pkg.dev") == (
        "oauth2accesstoken",
        "ya29.test-token",
    )
    assert "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer" in seen[0]


def test_acr_without_an_azure_login_is_a_clear_error(tmp_path, monkeypatch):
    for var in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")  # no az, azd or pwsh to ask
    stack = make_stack("local", root=tmp_path)
    with pytest.raises(OperationError) as err:
        push_credentials(stack, "demo.azurecr.io")
    assert "demo.azurecr.io" in str(err.value) and "az login" in err.value.hint


def test_ecr_gets_a_token_through_boto3(tmp_path, moto_url, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", moto_url)
    ecr = boto3.client("ecr", endpoint_url=moto_url, region_name="us-east-1")
    registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    stack = make_stack("s3", root=tmp_path, endpoint=moto_url)
    stack.components[ComponentType.CONTAINER_REGISTRY] = ComponentConnection(
        flavor="aws", config={"uri": f"{registry}/steps"}
    )
    user, password = push_credentials(stack, registry)
    assert user == "AWS" and password
    assert ecr.get_authorization_token()["authorizationData"]


def test_the_local_registry_uses_its_credentials_file(tmp_path):
    secret = tmp_path / "creds.json"
    secret.write_text(json.dumps({"username": "u", "password": "p"}))
    secret.chmod(0o600)
    stack = make_stack("local", root=tmp_path)
    stack.components[ComponentType.CONTAINER_REGISTRY] = ComponentConnection(
        flavor="local", config={"uri": "127.0.0.1:5000", "credentials_file": str(secret)}
    )
    assert push_credentials(stack, "127.0.0.1:5000") == ("u", "p")
    assert push_credentials(stack, "127.0.0.1:6000") is None  # another registry: anonymous
