"""Fixtures: a stack config whose every checked component is a real service on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from provisioner.stackconfig import AuthReference, ComponentConnection, Provenance, StackConfig
from tests.handoff import services
from tests.runtime import emulators

BUCKET = "handoff-bucket"
REGISTRY_USER_VAR = "HANDOFF_TEST_REGISTRY_USER"
REGISTRY_PASSWORD_VAR = "HANDOFF_TEST_REGISTRY_PASSWORD"


@pytest.fixture(scope="module")
def session_env(tmp_path_factory) -> Iterator[None]:
    """Fake AWS credentials and a scratch HOME for this module (restored after)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        mp.setenv("HOME", str(tmp_path_factory.mktemp("home-dir")))
        for var in ("AWS_PROFILE", "STORAGE_EMULATOR_HOST", "AWS_ENDPOINT_URL", "KUBECONFIG"):
            mp.delenv(var, raising=False)
        yield


@pytest.fixture(scope="module")
def moto(session_env) -> Iterator[str]:
    """A moto S3 server with the test bucket (this module's own)."""
    with emulators.moto_s3(BUCKET) as url:
        yield url


@pytest.fixture(scope="module")
def gcs(session_env) -> Iterator[str]:
    with emulators.gcs_emulator(BUCKET) as url:
        yield url


@pytest.fixture(scope="module")
def azurite(session_env, tmp_path_factory) -> Iterator[int]:
    try:
        emulators.azurite_binary()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    with emulators.azurite(BUCKET, tmp_path_factory.mktemp("azurite")) as port:
        yield port


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Iterator[int]:
    """docker-registry with a password login."""
    with services.docker_registry(tmp_path_factory.mktemp("registry")) as (port, _):
        yield port


@pytest.fixture(scope="module")
def kube(session_env) -> Iterator[str]:
    with services.kube_api() as url:
        yield url


@pytest.fixture
def registry_login(monkeypatch) -> None:
    monkeypatch.setenv(REGISTRY_USER_VAR, services.REGISTRY_USER)
    monkeypatch.setenv(REGISTRY_PASSWORD_VAR, services.REGISTRY_PASSWORD)


@pytest.fixture
def kubeconfig(kube, tmp_path, monkeypatch):
    """Sets $KUBECONFIG to a context reaching kmock with a token; returns a setter."""

    def use(token: str) -> Path:
        path = services.write_kubeconfig(tmp_path / f"kubeconfig-{token}", kube, token)
        monkeypatch.setenv("KUBECONFIG", str(path))
        return path

    use("can-create-jobs")
    return use


def full_stack(
    *,
    s3: str,
    registry_port: int,
    tmp_path: Path,
    bucket: str = BUCKET,
    tracking_uri: str | None = None,
) -> StackConfig:
    """An AWS-like stack: S3 store, password registry, Kubernetes orchestrator, MLflow."""
    tracking = tmp_path / "mlruns"
    tracking.mkdir(exist_ok=True)
    return StackConfig(
        name="handoff",
        cloud="aws",
        location={"region": "us-east-1"},
        components={
            "orchestrator": ComponentConnection(
                flavor="kubernetes",
                config={"namespace": "ml", "kube_context": "ml-cluster", "service_account": "ml"},
            ),
            "artifact_store": ComponentConnection(
                flavor="s3", config={"uri": f"s3://{bucket}/team"}
            ),
            "container_registry": ComponentConnection(
                flavor="local", config={"uri": f"127.0.0.1:{registry_port}/ml"}
            ),
            "experiment_tracker": ComponentConnection(
                flavor="mlflow", config={"tracking_uri": tracking_uri or tracking.as_uri()}
            ),
        },
        auth=AuthReference(
            method="env",
            env={
                "registry_username": REGISTRY_USER_VAR,
                "registry_password": REGISTRY_PASSWORD_VAR,
            },
        ),
        endpoints={"s3": s3},
        provenance=Provenance(
            recipe="test",
            definition="test.yaml",
            engine="embedded",
            state="file:///dev/null",
            deployed_at=datetime.now(UTC),
        ),
    )


def store_stack(backend: str, endpoint: str | int, *, bucket: str = BUCKET, **auth) -> StackConfig:
    """A stack with only an artifact store on ``backend`` (s3, gcs or azure)."""
    config: dict = {}
    endpoints: dict[str, str] = {}
    if backend == "s3":
        config["uri"], endpoints["s3"] = f"s3://{bucket}/p", str(endpoint)
    elif backend == "gcs":
        config["uri"], endpoints["gcs"] = f"gs://{bucket}/p", str(endpoint)
    else:
        config["uri"] = f"az://{bucket}/p"
        config["account_url"] = f"http://127.0.0.1:{endpoint}/{emulators.AZURITE_ACCOUNT}"
        config["account_name"] = emulators.AZURITE_ACCOUNT
    return StackConfig(
        name=f"store-{backend}",
        cloud={"s3": "aws", "gcs": "gcp", "azure": "azure"}[backend],
        components={
            "orchestrator": ComponentConnection(flavor="local"),
            "artifact_store": ComponentConnection(flavor=backend, config=config),
        },
        auth=AuthReference(**auth) if auth else AuthReference(),
        endpoints=endpoints,
        provenance=Provenance(
            recipe="test",
            definition="test.yaml",
            engine="embedded",
            state="file:///dev/null",
            deployed_at=datetime.now(UTC),
        ),
    )


def by_component(results) -> dict:
    return {r.component: r for r in results}


@pytest.fixture(autouse=True)
def _no_proxy_for_loopback(monkeypatch) -> None:
    """Loopback services are reached directly even if the machine names a proxy."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
