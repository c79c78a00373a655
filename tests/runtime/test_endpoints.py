"""A received stack config tries to send the reader's credentials to its own host.

The "remote" host is a name (``collector.example``) that these tests resolve to a recording
HTTP server on 127.0.0.1, so the attack is real but nothing leaves this machine.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from provisioner.errors import UserInputError
from provisioner.runtime.stores import open_store
from provisioner.stackconfig import AuthReference
from tests.runtime.cli_helpers import invoke
from tests.runtime.conftest import make_stack

TRUST_ENV = "PROVISIONER_TRUSTED_ENDPOINTS"
EVIL = "collector.example"
ACCOUNT_KEY = "ZmFrZS1rZXktZm9yLXRlc3Rz" * 3


class Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def _any(self) -> None:
        Recorder.seen.append(dict(self.headers))
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _any

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def collector(monkeypatch):
    """A recording server on 127.0.0.1 that the name EVIL resolves to."""
    Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        return real("127.0.0.1" if host == EVIL else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAVICTIMKEY0000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "victim-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "victim-session-token")
    monkeypatch.delenv(TRUST_ENV, raising=False)
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _config(tmp_path, stack):
    path = tmp_path / "received.yaml"
    stack.write(path)
    return path


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_an_s3_override_to_another_host_gets_no_credentials(collector, tmp_path, scheme):
    stack = make_stack("s3", root=tmp_path, endpoint=f"{scheme}://{EVIL}:{collector}")
    result = invoke("run", "list", "--stack", str(_config(tmp_path, stack)))
    assert Recorder.seen == []  # no request, so no signature, key id or session token
    assert result.exit_code == 2, result.stdout
    assert f"endpoints.s3: {EVIL}" in result.stderr or "plain http" in result.stderr


def test_plain_http_off_loopback_is_refused_even_when_trusted(collector, tmp_path, monkeypatch):
    monkeypatch.setenv(TRUST_ENV, EVIL)
    stack = make_stack("s3", root=tmp_path, endpoint=f"http://{EVIL}:{collector}")
    with pytest.raises(UserInputError, match="plain http"):
        open_store(stack)
    assert Recorder.seen == []


def test_the_store_config_endpoint_url_is_checked_too(collector, tmp_path):
    stack = make_stack("s3", root=tmp_path, endpoint="")
    stack.endpoints.clear()
    stack.components["artifact_store"].config["endpoint_url"] = f"http://{EVIL}:{collector}"
    with pytest.raises(UserInputError, match=r"artifact_store\.config\.endpoint_url"):
        open_store(stack)
    assert Recorder.seen == []


def test_an_azure_account_url_off_the_blob_domains_gets_no_signed_request(
    collector, tmp_path, monkeypatch
):
    monkeypatch.setenv("VICTIM_AZURE_KEY", ACCOUNT_KEY)
    stack = make_stack("azure", root=tmp_path, endpoint=collector)
    auth = AuthReference(method="env", env={"azure_account_key": "VICTIM_AZURE_KEY"})
    stack = stack.model_copy(update={"auth": auth})
    config = stack.components["artifact_store"].config
    config["account_url"] = f"http://{EVIL}:{collector}/devstoreaccount1"
    config["account_name"] = "devstoreaccount1"
    result = invoke("run", "list", "--stack", str(_config(tmp_path, stack)))
    assert Recorder.seen == []  # no request signed with the account key
    assert result.exit_code == 2, result.stdout
    config["account_url"] = f"https://{EVIL}/"
    with pytest.raises(UserInputError, match="not an Azure blob domain"):
        open_store(stack)


def test_the_reader_can_trust_a_host_by_name(monkeypatch):
    from provisioner.runtime.stores.endpoints import check_endpoint

    monkeypatch.delenv(TRUST_ENV, raising=False)
    with pytest.raises(UserInputError, match=TRUST_ENV):
        check_endpoint("https://minio.corp.example:9000", "endpoints.s3")
    monkeypatch.setenv(TRUST_ENV, "other.example, minio.corp.example")
    assert check_endpoint("https://minio.corp.example:9000", "endpoints.s3").url
    monkeypatch.setenv(TRUST_ENV, "minio.corp.example:9001")
    with pytest.raises(UserInputError):
        check_endpoint("https://minio.corp.example:9000", "endpoints.s3")
    for good in ("https://acct.blob.core.windows.net", "https://a.blob.core.chinacloudapi.cn"):
        assert check_endpoint(good, "account_url", azure_blob=True).url == good
    for bad in ("ftp://127.0.0.1/", "not a url", "http://"):
        with pytest.raises(UserInputError):
            check_endpoint(bad, "endpoints.s3")


def test_loopback_is_what_the_file_alone_may_name():
    from provisioner.runtime.stores.endpoints import is_loopback

    for host in ("127.0.0.1", "127.0.0.9", "localhost", "::1", "[::1]"):
        assert is_loopback(host), host
    for host in ("10.0.0.1", "169.254.169.254", "localhost.example", "0.0.0.0"):
        assert not is_loopback(host), host


def test_the_effective_endpoint_is_printed(moto_url, tmp_path):
    stack = make_stack("s3", root=tmp_path, endpoint=moto_url)
    result = invoke("run", "list", "--stack", str(_config(tmp_path, stack)))
    assert result.exit_code == 0, result.stderr
    assert f"artifact store endpoint: {moto_url} (from endpoints.s3)" in result.stderr
