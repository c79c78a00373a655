"""Start and stop the storage emulators the runtime tests use, on 127.0.0.1 free ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
AZURITE_INSTALL_HINT = (
    "Azurite is needed for the Azure Blob tests: run `npm install azurite@3.35` in the "
    "repository root (it installs node_modules/.bin/azurite-blob)"
)


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until something listens on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"emulator exited with {proc.returncode} before listening")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@contextmanager
def moto_s3(bucket: str) -> Iterator[str]:
    """A moto server with ``bucket``; yields its endpoint URL."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket=bucket)
        yield url
    finally:
        server.stop()


@contextmanager
def gcs_emulator(bucket: str) -> Iterator[str]:
    """gcp-storage-emulator in-process, with ``bucket``; yields its endpoint URL."""
    from gcp_storage_emulator.server import create_server

    server = create_server("127.0.0.1", 0, in_memory=True, default_bucket=bucket)
    server.start()
    port = server._api._httpd.server_address[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def azurite_binary() -> str:
    """The azurite-blob executable: ./node_modules/.bin, PATH, then /tmp/azurite.

    Raises:
        RuntimeError: not found, with the install command.
    """
    repo = Path(__file__).resolve().parents[2]
    for candidate in (
        repo / "node_modules" / ".bin" / "azurite-blob",
        shutil.which("azurite-blob"),
        Path("/tmp/azurite/node_modules/.bin/azurite-blob"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise RuntimeError(AZURITE_INSTALL_HINT)


def azurite_connection_string(port: int) -> str:
    """The well-known devstoreaccount1 connection string for an Azurite on ``port``."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
    )


@contextmanager
def azurite(container: str, workdir: Path) -> Iterator[int]:
    """Azurite's blob service with ``container``; yields its port."""
    from azure.storage.blob import BlobServiceClient

    port = free_port()
    proc = subprocess.Popen(
        [
            azurite_binary(),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--inMemoryPersistence",
            "--skipApiVersionCheck",
            "--disableTelemetry",
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=workdir,
    )
    try:
        wait_for_port(port, proc=proc)
        BlobServiceClient.from_connection_string(azurite_connection_string(port)).create_container(
            container
        )
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
