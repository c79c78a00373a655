"""Finding, explaining and installing the Pulumi CLI."""

from __future__ import annotations

import http.server
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from provisioner.engines.pulumi import (
    PulumiEngine,
    install_pulumi_cli,
    missing_cli_message,
    pulumi_cli_available,
)
from provisioner.engines.pulumi import cli as cli_mod
from provisioner.engines.pulumi.cli import cli_root, ensure_pulumi_cli, find_pulumi_command
from provisioner.errors import EngineUnavailableError, OperationError


@pytest.fixture
def no_cli_on_path(tmp_path, monkeypatch):
    """A PATH with no pulumi on it."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


def fake_cli(bin_dir, version="3.272.0"):
    """A real executable named pulumi that answers `pulumi version` like the CLI."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    binary = bin_dir / "pulumi"
    binary.write_text(
        f'#!/bin/sh\nif [ "$1" = version ]; then echo v{version}; exit 0; fi\nexit 3\n'
    )
    binary.chmod(0o755)
    return binary


def test_missing_cli_raises_one_clear_paragraph(no_cli_on_path):
    assert not pulumi_cli_available()
    with pytest.raises(EngineUnavailableError) as info:
        PulumiEngine()
    message = str(info.value)
    assert message == missing_cli_message()
    assert "\n" not in message
    assert "Pulumi CLI is needed for cloud deploys" in message
    assert "https://www.pulumi.com/docs/install/" in message
    assert "--install-pulumi" in message
    assert "provisioner stack preview --offline" in message
    with pytest.raises(EngineUnavailableError):
        find_pulumi_command()


def test_cli_on_path_is_found(no_cli_on_path):
    fake_cli(no_cli_on_path)
    assert pulumi_cli_available()
    command = find_pulumi_command()
    assert command.command == "pulumi" and str(command.version) == "3.272.0"
    PulumiEngine()  # constructing no longer fails


def test_cli_installed_in_the_home_is_preferred(no_cli_on_path, provisioner_home):
    binary = fake_cli(cli_root() / "bin", version="3.250.1")
    assert cli_root() == provisioner_home / "pulumi" / "cli"
    assert pulumi_cli_available()
    command = find_pulumi_command()
    assert command.command == str(binary) and str(command.version) == "3.250.1"
    assert ensure_pulumi_cli() is None  # already there: nothing to install


def test_too_old_cli_is_unavailable_with_a_reason(no_cli_on_path):
    fake_cli(no_cli_on_path, version="2.25.0")
    with pytest.raises(EngineUnavailableError, match="not usable with this Pulumi SDK"):
        find_pulumi_command()


@pytest.mark.timeout(60)
def test_install_offline_fails_with_a_clear_message(no_cli_on_path, provisioner_home, monkeypatch):
    # The download really runs. An HTTPS proxy on a closed loopback port makes it fail the
    # way it does offline, without the test ever reaching past 127.0.0.1.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    # urlopen caches its opener, proxies included, for the whole process: restore it after.
    monkeypatch.setattr(urllib.request, "_opener", None)

    started = time.monotonic()
    with pytest.raises(OperationError) as info:
        install_pulumi_cli(timeout=10)
    assert time.monotonic() - started < 30
    message = str(info.value)
    assert f"Could not install the Pulumi CLI into {provisioner_home / 'pulumi' / 'cli'}" in message
    assert "refused" in message.lower()
    assert "needs the internet" in message and "https://www.pulumi.com/docs/install/" in message
    assert not (cli_root() / "bin" / "pulumi").exists()
    notes = []
    with pytest.raises(OperationError, match="Could not install"):
        ensure_pulumi_cli(on_message=notes.append)
    assert notes and "Installing the Pulumi CLI" in notes[0]


class _InstallServer:
    """An HTTP server on 127.0.0.1 serving an install script, and a download that stalls."""

    def __init__(self, script: str) -> None:
        self.release = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/install.sh":
                    body = script.replace("@BASE@", server.base).encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                # /stall: headers promise a tarball, then nothing comes
                self.send_response(200)
                self.send_header("Content-Length", "50000000")
                self.end_headers()
                self.wfile.write(b"\x1f\x8b")
                self.wfile.flush()
                server.release.wait(60)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def install_server(monkeypatch, no_cli_on_path):
    """Point the installer at a local server; ``start(script)`` serves ``script``."""
    monkeypatch.setenv("PATH", f"{no_cli_on_path}:/usr/bin:/bin")  # sh and curl, no pulumi
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(urllib.request, "_opener", None)
    servers = []

    def start(script: str) -> _InstallServer:
        server = _InstallServer(script)
        servers.append(server)
        monkeypatch.setattr(cli_mod, "INSTALL_SCRIPT_URL", f"{server.base}/install.sh")
        return server

    yield start
    for server in servers:
        server.close()


STALLING_SCRIPT = """#!/bin/sh
echo "=== Installing Pulumi v$5 ==="
echo "+ Downloading @BASE@/stall..."
curl -fsSL --output "$3/pulumi.tar.gz" "@BASE@/stall"
"""

FAILING_SCRIPT = """#!/bin/sh
echo "=== Installing Pulumi v$5 ==="
echo "curl: (22) The requested URL returned error: 404" >&2
echo "error: failed to download pulumi-v$5-linux-x64.tar.gz" >&2
exit 22
"""


def _processes_fetching(url: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if url.encode() in args:
            found.append(cmdline.parent.name)
    return found


@pytest.mark.timeout(60)
def test_a_stalled_download_inside_the_install_script_is_stopped(install_server):
    server = install_server(STALLING_SCRIPT)
    started = time.monotonic()
    with pytest.raises(OperationError) as info:
        install_pulumi_cli(timeout=5, install_timeout=3)
    assert time.monotonic() - started < 20
    message = str(info.value)
    assert "did not finish within 3 s" in message
    assert "+ Downloading" in message and "/stall" in message  # what the script printed
    assert _processes_fetching(f"{server.base}/stall") == []  # its curl was stopped too
    assert not (cli_root() / "bin" / "pulumi").exists()


@pytest.mark.timeout(60)
def test_a_failed_install_script_shows_what_it_printed(install_server):
    install_server(FAILING_SCRIPT)
    with pytest.raises(OperationError) as info:
        install_pulumi_cli(timeout=5, install_timeout=30)
    message = str(info.value)
    assert "the install script exited with status 22" in message
    assert "curl: (22) The requested URL returned error: 404" in message
    assert "failed to download pulumi-v" in message
    assert not (cli_root() / "install.sh").exists()  # the downloaded script is removed
