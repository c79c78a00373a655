"""The managed Label Studio server: a real one, started once per session from its own venv."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from provisioner.errors import OperationError
from provisioner.recipes.local.providers import process
from provisioner.recipes.local.providers.label_studio import (
    LocalLabelStudioProvider,
    token_header,
)
from tests.label_studio import use_venv_cache

# The first session on a machine builds the server environment and its seed (minutes).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_server_runs_on_loopback_with_generated_admin(label_studio_server):
    outs = label_studio_server
    pid, port, creds = outs["pid"], outs["port"], outs["credentials"]
    assert outs["running"] is True and outs["url"] == f"http://127.0.0.1:{port}"
    assert process.pid_alive(pid, outs["data_dir"])
    # the port it reports is the one its own process listens on, on 127.0.0.1 only
    assert process.listening_pids(port) == {pid}
    local = [
        line.split()[1]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port
    ]
    assert local == [f"0100007F:{port:04X}"]
    # the generated token works; a wrong one is refused
    assert process.http_ok(port, "/api/projects", 5.0, token_header(creds["token"]))
    assert not process.http_ok(port, "/api/projects", 5.0, token_header("0" * 40))
    assert len(creds["token"]) == 40 and len(creds["password"]) >= 32
    # phone-home off, sign-up closed, and no secret on its command line or in its files
    env = _environ(pid)
    assert env["COLLECT_ANALYTICS"] == "false" and env["LATEST_VERSION_CHECK"] == "false"
    assert env["SENTRY_DSN"] == "" and env["LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK"] == "true"
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    assert "--internal-host\x00127.0.0.1" in cmdline
    service = Path(outs["service_dir"])
    assert oct(service.stat().st_mode & 0o777) == "0o700"
    for name in ("state.json", "label-studio.log"):
        text = (service / name).read_text()
        assert creds["token"] not in text and creds["password"] not in text
    assert set(json.loads((service / "state.json").read_text())) >= {"pid", "port", "venv"}


def test_read_reports_liveness(label_studio_server):
    outs = label_studio_server
    provider = LocalLabelStudioProvider()
    read = provider.read(outs["service_dir"], outs)
    assert read.outs["running"] is True and read.outs["credentials"] == outs["credentials"]
    # without its credentials nothing proves the server is the one deployed
    stranger = {**outs, "credentials": {**outs["credentials"], "token": "f" * 40}}
    assert provider.read(outs["service_dir"], stranger).outs["running"] is False
    missing = provider.read("/nonexistent/service", {"service_dir": "/nonexistent/service"})
    assert missing.id == "" and missing.outs == {}


def test_busy_port_is_an_error_and_leaves_nothing(tmp_path, label_studio_server, monkeypatch):
    use_venv_cache(monkeypatch)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        props = {"service_dir": str(tmp_path / "svc"), "listen_port": port}
        with pytest.raises(OperationError, match=f"127.0.0.1:{port} is taken"):
            LocalLabelStudioProvider().create(props)
    assert not (tmp_path / "svc").exists()


def test_listening_pids_names_the_owner():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        assert process.listening_pids(port) == set()  # bound, not listening
        sock.listen()
        import os

        assert process.listening_pids(port) == {os.getpid()}


def test_check_refuses_bad_inputs():
    provider = LocalLabelStudioProvider()
    bad = provider.check({}, {"service_dir": "rel", "listen_port": 70000, "username": "x"})
    assert {f.property for f in bad.failures} == {"service_dir", "listen_port", "username"}
    ok = provider.check({}, {"service_dir": "/abs", "listen_port": 8080.0, "username": "a@b"})
    assert not ok.failures and ok.inputs["listen_port"] == 8080


def test_replacing_the_admin_deletes_the_old_server_first():
    provider = LocalLabelStudioProvider()
    olds = {"service_dir": "/s", "listen_port": 0, "username": "a@b", "running": True}
    same = provider.diff("/s", olds, {**olds, "credentials": ""})
    assert not same.changes
    new_admin = provider.diff("/s", olds, {**olds, "username": "c@d"})
    assert new_admin.replaces == ["username"] and new_admin.delete_before_replace
    assert provider.diff("/s", {**olds, "running": False}, olds).changes  # a dead server


def test_adopt_stops_and_removes_what_a_lost_create_left(tmp_path):
    import subprocess
    import sys

    service = tmp_path / "svc"
    (service / "data").mkdir(parents=True)
    # a process standing in for the orphaned server (its command line names the data dir)
    marker = str(service / "data")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    (service / "state.json").write_text(json.dumps({"pid": child.pid, "port": 1}))
    try:
        assert LocalLabelStudioProvider().adopt({"service_dir": str(service)}) is None
        assert child.wait(timeout=10) is not None
        assert not service.exists()
    finally:
        child.kill()
    assert LocalLabelStudioProvider().adopt({"service_dir": str(service)}) is None
