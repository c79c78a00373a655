"""The registry provider with the real docker-registry binary on 127.0.0.1: OCI push and pull."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import socket
import stat
import time
from pathlib import Path

import pytest
import yaml

from provisioner.errors import OperationError
from provisioner.recipes.local.providers import process
from provisioner.recipes.local.providers.registry import (
    BINARY_ENV,
    DEFAULT_BINARY,
    LocalRegistryProvider,
    auth_header,
)

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
#: Credentials of the registries the tests started, by port (from their credentials files).
_AUTH: dict[int, dict[str, str]] = {}


def login(outs: dict) -> dict:
    """Remember the registry's credentials (read from the file its outputs name)."""
    data = json.loads(Path(outs["credentials_file"]).read_text())
    _AUTH[outs["port"]] = auth_header((data["username"], data["password"]))
    return outs


def ok(outs: dict) -> bool:
    """The registry answers an authenticated ``/v2/``."""
    login(outs)
    return process.http_ok(outs["port"], "/v2/", headers=_AUTH[outs["port"]])


def request(port, method, path, body=b"", headers=None, auth=True):
    """One plain-HTTP request to the registry; returns (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        sent = {**(_AUTH.get(port, {}) if auth else {}), **(headers or {})}
        conn.request(method, path, body=body, headers=sent)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_blob(port: int, repo: str, data: bytes) -> str:
    """Monolithic blob upload (OCI distribution spec: POST then PUT ?digest=)."""
    status, headers, _ = request(port, "POST", f"/v2/{repo}/blobs/uploads/")
    assert status == 202, status
    location = headers["Location"]
    if location.startswith("http"):
        location = "/" + location.split("/", 3)[3]
    sep = "&" if "?" in location else "?"
    status, _, body = request(
        port,
        "PUT",
        f"{location}{sep}digest={digest(data)}",
        body=data,
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))},
    )
    assert status == 201, (status, body)
    return digest(data)


def push_image(port: int, repo: str, tag: str, layer: bytes) -> bytes:
    """Push a one-layer OCI image; return its manifest bytes."""
    config = json.dumps(
        {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": push_blob(port, repo, config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": push_blob(port, repo, layer),
                    "size": len(layer),
                }
            ],
        }
    ).encode()
    status, _, body = request(
        port,
        "PUT",
        f"/v2/{repo}/manifests/{tag}",
        body=manifest,
        headers={"Content-Type": MANIFEST_TYPE},
    )
    assert status == 201, (status, body)
    return manifest


def pull_layer(port: int, repo: str, tag: str) -> bytes:
    status, _, body = request(
        port, "GET", f"/v2/{repo}/manifests/{tag}", headers={"Accept": MANIFEST_TYPE}
    )
    assert status == 200, status
    layer_digest = json.loads(body)["layers"][0]["digest"]
    status, _, blob = request(port, "GET", f"/v2/{repo}/blobs/{layer_digest}")
    assert status == 200, status
    assert digest(blob) == layer_digest
    return blob


@pytest.fixture(autouse=True)
def registry_binary_installed(monkeypatch):
    monkeypatch.delenv(BINARY_ENV, raising=False)
    assert os.access(DEFAULT_BINARY, os.X_OK), (
        f"{DEFAULT_BINARY} is missing: install it with `apt-get install docker-registry`"
    )


@pytest.fixture
def provider():
    return LocalRegistryProvider()


@pytest.fixture
def registry(provider, tmp_path):
    """A registry created by the provider; always deleted afterwards."""
    props = {"service_dir": str(tmp_path / "services" / "demo" / "reg"), "listen_port": 0}
    started = time.monotonic()
    result = provider.create(props)
    result.outs["_wall"] = time.monotonic() - started
    login(result.outs)
    yield props, result
    provider.delete(result.id, {k: v for k, v in result.outs.items() if k != "_wall"})


def test_starts_on_loopback_and_serves_oci_push_pull(registry):
    props, result = registry
    outs = result.outs
    port = outs["port"]
    assert result.id == props["service_dir"]
    assert outs["uri"] == f"127.0.0.1:{port}" and outs["running"] is True
    assert process.pid_alive(outs["pid"])
    config = yaml.safe_load(Path(outs["config_file"]).read_text())
    assert config["http"]["addr"] == f"127.0.0.1:{port}"
    state = json.loads((Path(props["service_dir"]) / "state.json").read_text())
    assert state["pid"] == outs["pid"] and state["port"] == port
    print(f"registry start wall time: {outs['_wall']:.3f} s")
    assert outs["_wall"] < 15

    layer = os.urandom(2048)
    manifest = push_image(port, "team/demo", "v1", layer)
    assert pull_layer(port, "team/demo", "v1") == layer
    status, _, body = request(port, "GET", "/v2/team/demo/tags/list")
    assert status == 200 and json.loads(body)["tags"] == ["v1"]
    _, _, got = request(
        port, "GET", "/v2/team/demo/manifests/v1", headers={"Accept": MANIFEST_TYPE}
    )
    assert got == manifest
    repos = Path(outs["data_dir"]) / "docker" / "registry" / "v2" / "repositories" / "team" / "demo"
    assert repos.is_dir()


def test_read_detects_a_killed_registry_and_update_restarts_it(provider, registry):
    props, result = registry
    outs = {k: v for k, v in result.outs.items() if k != "_wall"}
    layer = b"persisted layer"
    push_image(outs["port"], "demo", "v1", layer)

    read = provider.read(result.id, outs)
    assert read.id == result.id and read.outs["running"] is True

    os.kill(outs["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 5
    while process.pid_alive(outs["pid"]) and time.monotonic() < deadline:
        time.sleep(0.02)
    drift = provider.read(result.id, outs)
    assert drift.id == result.id
    assert drift.outs["running"] is False and drift.outs["pid"] is None

    diff = provider.diff(result.id, drift.outs, props)
    assert diff.changes is True and diff.replaces == []
    updated = login(provider.update(result.id, drift.outs, props).outs)
    assert updated["running"] is True and updated["pid"] != outs["pid"]
    log = Path(updated["log_file"]).read_text()
    assert updated["port"] == outs["port"], log  # the handed-out URI keeps working
    assert pull_layer(updated["port"], "demo", "v1") == layer
    result.outs.update(updated)


def test_delete_stops_and_cleans_up(provider, tmp_path):
    service_dir = tmp_path / "services" / "demo" / "reg"
    result = provider.create({"service_dir": str(service_dir), "listen_port": 0})
    pid, port = result.outs["pid"], result.outs["port"]

    assert ok(result.outs)
    provider.delete(result.id, result.outs)
    assert not process.pid_alive(pid)
    assert not process.http_ok(port, "/v2/", headers=_AUTH[port])
    assert not service_dir.exists() and not service_dir.parent.exists()
    provider.delete(result.id, result.outs)  # idempotent
    assert provider.read(result.id, result.outs).id == ""


def test_adopt_finds_a_registry_whose_create_result_was_lost(provider, tmp_path):
    props = {"service_dir": str(tmp_path / "reg"), "listen_port": 0}
    assert provider.adopt(props) is None

    lost = provider.create(props)  # the engine crashed before recording this
    adopted = provider.adopt(props)
    try:
        assert adopted.id == lost.id
        assert adopted.outs["pid"] == lost.outs["pid"]
        assert adopted.outs["port"] == lost.outs["port"]
        assert adopted.outs["running"] is True
    finally:
        provider.delete(adopted.id, adopted.outs)
    assert not process.pid_alive(lost.outs["pid"])


def test_adopt_restarts_a_registry_that_died_half_way(provider, tmp_path):
    props = {"service_dir": str(tmp_path / "reg"), "listen_port": 0}
    lost = provider.create(props)
    os.kill(lost.outs["pid"], signal.SIGKILL)
    adopted = provider.adopt(props)
    try:
        assert adopted.outs["running"] is True
        assert ok(adopted.outs)
    finally:
        provider.delete(adopted.id, adopted.outs)


def test_registry_env_cannot_move_it_off_loopback(provider, tmp_path, monkeypatch):
    monkeypatch.setenv("REGISTRY_HTTP_ADDR", f"127.0.0.1:{process.free_port()}")
    result = provider.create({"service_dir": str(tmp_path / "reg"), "listen_port": 0})
    try:
        assert ok(result.outs)
        assert (
            f"listening on 127.0.0.1:{result.outs['port']}"
            in Path(result.outs["log_file"]).read_text()
        )
    finally:
        provider.delete(result.id, result.outs)


def test_fixed_port(provider, tmp_path):
    port = process.free_port()
    result = provider.create({"service_dir": str(tmp_path / "reg"), "listen_port": port})
    try:
        assert result.outs["port"] == port and ok(result.outs)
    finally:
        provider.delete(result.id, result.outs)


def test_taken_port_is_a_clear_error_and_leaves_nothing(provider, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        service_dir = tmp_path / "reg"
        with pytest.raises(OperationError) as err:
            provider.create({"service_dir": str(service_dir), "listen_port": port})
    message = str(err.value)
    assert f"could not listen on 127.0.0.1:{port}: the port is taken" in message
    assert "address already in use" in message
    assert "did not answer" not in message and "15 s" not in message
    assert not service_dir.exists()


def test_missing_binary_is_a_clear_error(provider, tmp_path, monkeypatch):
    monkeypatch.setenv(BINARY_ENV, str(tmp_path / "no-such-registry"))
    service_dir = tmp_path / "reg"
    with pytest.raises(OperationError) as err:
        provider.create({"service_dir": str(service_dir), "listen_port": 0})
    assert "apt-get install docker-registry" in str(err.value)
    assert str(tmp_path / "no-such-registry") in str(err.value)
    assert not service_dir.exists()


def test_check(provider):
    assert (
        provider.check({}, {"service_dir": "/abs", "listen_port": 5000.0}).inputs["listen_port"]
        == 5000
    )
    failures = provider.check({}, {"service_dir": "rel", "listen_port": 70000}).failures
    assert sorted(f.property for f in failures) == ["listen_port", "service_dir"]


def test_pushes_pulls_and_deletes_need_the_generated_credentials(registry):
    """Any local user could push, overwrite or delete images: now only the deployer can."""
    _props, result = registry
    outs = result.outs
    port = outs["port"]
    status, _, _ = request(port, "GET", "/v2/", auth=False)
    assert status == 401
    status, _, _ = request(port, "POST", "/v2/team/demo/blobs/uploads/", auth=False)
    assert status == 401
    bad = auth_header(("provisioner", "guess"))
    status, _, _ = request(port, "POST", "/v2/team/demo/blobs/uploads/", headers=bad, auth=False)
    assert status == 401

    manifest = push_image(port, "team/demo", "v1", b"layer")  # with the credentials
    status, _, _ = request(
        port, "GET", "/v2/team/demo/manifests/v1", headers={"Accept": MANIFEST_TYPE}, auth=False
    )
    assert status == 401
    # deletes are disabled, even with the credentials
    status, _, _ = request(port, "DELETE", f"/v2/team/demo/manifests/{digest(manifest)}")
    assert status in (405, 400), status
    assert pull_layer(port, "team/demo", "v1") == b"layer"


def test_credentials_are_private_files_and_never_in_the_outputs(registry):
    props, result = registry
    root = Path(props["service_dir"])
    creds = Path(result.outs["credentials_file"])
    password = json.loads(creds.read_text())["password"]
    assert len(password) >= 24
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    for path in (creds, root / "htpasswd", Path(result.outs["config_file"])):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    htpasswd = (root / "htpasswd").read_text()
    assert htpasswd.startswith("provisioner:$2") and password not in htpasswd
    assert password not in json.dumps(result.outs)
    assert password not in Path(result.outs["config_file"]).read_text()


def test_allow_delete_turns_deletes_on(provider, tmp_path):
    result = provider.create(
        {"service_dir": str(tmp_path / "reg"), "listen_port": 0, "allow_delete": True}
    )
    try:
        port = login(result.outs)["port"]
        manifest = push_image(port, "demo", "v1", b"x")
        status, _, _ = request(port, "DELETE", f"/v2/demo/manifests/{digest(manifest)}")
        assert status == 202
    finally:
        provider.delete(result.id, result.outs)
