"""How the kubernetes orchestrator finds its cluster: the stack's kubeconfig context, or the
in-cluster service account (token and CA over TLS), against kmock on loopback."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import yaml

from provisioner.catalog.types import ComponentType
from provisioner.runtime import load_output, load_pipeline, run_pipeline
from provisioner.runtime.orchestrators.kubernetes import (
    ENV_API_SERVER,
    KubernetesOrchestratorError,
)
from provisioner.runtime.records import Status
from provisioner.runtime.stores import open_store
from provisioner.stackconfig import ComponentConnection, StackConfig
from tests.runtime import kube_fakes
from tests.runtime.conftest import make_stack

pytestmark = pytest.mark.slow

CONTEXT = "arn:aws:eks:us-east-1:123456789012:cluster/demo"
PIPES = """
from provisioner.runtime import pipeline, step

@step
def double(n: int) -> int:
    return 2 * n

@pipeline
def doubling(n: int = 21):
    double(n)
"""


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    with kube_fakes.kmock_server() as url:
        yield url


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("k8s-config-project")
    (root / "k8s_config_pipes.py").write_text(PIPES)
    return root


@pytest.fixture
def kubelet(api_url, project, moto_url) -> Iterator[kube_fakes.FakeKubelet]:
    node_env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    kube_fakes.delete_jobs(api_url)
    with kube_fakes.FakeKubelet(api_url, project, node_env) as node:
        yield node
    kube_fakes.delete_jobs(api_url)


@pytest.fixture(autouse=True)
def kubeconfig(monkeypatch, tmp_path) -> Path:
    """This test's kubeconfig file, where the client looks by default; no in-cluster
    environment, no API server override."""
    from kubernetes.config import kube_config

    for var in (ENV_API_SERVER, "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "kubeconfig"
    monkeypatch.setenv("KUBECONFIG", str(path))
    # The client reads $KUBECONFIG once, when first imported: point it at this test's file.
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))
    return path


def k8s_stack(tmp_path: Path, moto_url: str) -> StackConfig:
    stack = make_stack("s3", root=tmp_path, endpoint=moto_url)
    stack.components[ComponentType.ORCHESTRATOR] = ComponentConnection(
        flavor="kubernetes",
        config={
            "cluster_name": "demo",
            "region": "us-east-1",
            "kube_context": CONTEXT,
            "namespace": "ml-steps",
            "service_account": "provisioner-runner",
            "image": "registry.example/steps:v1",
        },
    )
    return stack


def run(project: Path, stack: StackConfig):
    pipe = load_pipeline(f"{project / 'k8s_config_pipes.py'}:doubling")
    return run_pipeline(pipe, stack, orchestrator_options={"poll_interval": 0.05})


@contextmanager
def recording_proxy(
    target: str, tls: ssl.SSLContext | None = None
) -> Iterator[tuple[int, bytearray]]:
    """A TCP proxy on 127.0.0.1 to ``target`` (``http://host:port``), optionally terminating
    TLS; yields its port and the bytes clients sent (to read the request headers)."""
    host, port = target.removeprefix("http://").split(":")
    seen = bytearray()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def pump(src: socket.socket, dst: socket.socket, record: bool) -> None:
        try:
            while data := src.recv(65536):
                if record:
                    seen.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def handle(raw: socket.socket) -> None:
        try:
            client = tls.wrap_socket(raw, server_side=True) if tls else raw
        except (OSError, ssl.SSLError):
            raw.close()
            return
        upstream = socket.create_connection((host, int(port)))
        threading.Thread(target=pump, args=(upstream, client, False), daemon=True).start()
        pump(client, upstream, True)

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=handle, args=(raw,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], seen
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (the cluster's CA bundle, as a pod sees it) and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "ca.crt", tmp_path / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def write_kubeconfig(path: Path, server: str, token: str) -> None:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "demo", "cluster": {"server": server}}],
                "users": [{"name": "demo", "user": {"token": token}}],
                "contexts": [
                    {"name": CONTEXT, "context": {"cluster": "demo", "user": "demo"}},
                    {"name": "elsewhere", "context": {"cluster": "demo", "user": "nobody"}},
                ],
                "current-context": "elsewhere",  # the stack names its own context
            }
        )
    )


def test_the_stack_kube_context_from_kubeconfig_runs_the_pipeline(
    tmp_path, moto_url, api_url, project, kubelet, kubeconfig
):
    stack = k8s_stack(tmp_path, moto_url)
    with recording_proxy(api_url) as (port, seen):
        write_kubeconfig(kubeconfig, f"http://127.0.0.1:{port}", "kubeconfig-token")
        record = run(project, stack)

    assert record.status is Status.COMPLETED
    assert load_output(stack, record.run_id, "double") == 42
    assert b"authorization: bearer kubeconfig-token" in bytes(seen).lower()


@pytest.mark.parametrize("has_file", [False, True])
def test_a_missing_kube_context_is_a_clear_error_naming_the_fix(
    tmp_path, moto_url, project, kubeconfig, has_file
):
    if has_file:  # a kubeconfig for other clusters only
        write_kubeconfig(kubeconfig, "http://127.0.0.1:9", "t")
        text = kubeconfig.read_text().replace(CONTEXT, "arn:aws:eks:us-east-1:1:cluster/other")
        kubeconfig.write_text(text)
    stack = k8s_stack(tmp_path, moto_url)
    with pytest.raises(
        KubernetesOrchestratorError, match=f"no usable kubeconfig context {CONTEXT}"
    ) as info:
        run(project, stack)
    assert "aws eks update-kubeconfig --name demo --region us-east-1" in info.value.hint
    assert not list(open_store(stack).list_keys("runs")), "nothing recorded"


def test_in_cluster_uses_the_service_account_token_and_ca(
    tmp_path, moto_url, api_url, project, kubelet, monkeypatch
):
    from kubernetes.config import incluster_config

    cert, key = _self_signed(tmp_path)
    token = tmp_path / "token"
    token.write_text("in-cluster-token")
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(cert))
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    stack = k8s_stack(tmp_path, moto_url)
    with recording_proxy(api_url, tls) as (port, seen):
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(port))
        record = run(project, stack)

    assert record.status is Status.COMPLETED
    assert load_output(stack, record.run_id, "double") == 42
    assert b"authorization: bearer in-cluster-token" in bytes(seen).lower()


def test_in_cluster_without_a_service_account_token_is_a_clear_error(
    tmp_path, moto_url, project, monkeypatch
):
    from kubernetes.config import incluster_config

    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(tmp_path / "no-token"))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "6443")
    stack = k8s_stack(tmp_path, moto_url)
    with pytest.raises(KubernetesOrchestratorError, match="in-cluster service account") as info:
        run(project, stack)
    assert "token" in str(info.value) and "KUBERNETES_SERVICE_HOST" in info.value.hint
    assert not list(open_store(stack).list_keys("runs")), "nothing recorded"
