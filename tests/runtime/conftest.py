"""Fixtures: the four artifact store backends on real emulators, and stacks that use them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from provisioner.stackconfig import AuthReference, ComponentConnection, Provenance, StackConfig
from tests.runtime import emulators

BUCKET = "provisioner-test"
BACKENDS = ["local", "s3", "gcs", "azure"]
AZURE_CS_VAR = "PROVISIONER_TEST_AZURE_CONNECTION_STRING"


@pytest.fixture(scope="session")
def session_env(tmp_path_factory) -> Iterator[None]:
    """Fake AWS credentials and a scratch HOME for the whole session (restored after)."""
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "HOME": str(tmp_path_factory.mktemp("home-dir")),
        }
    )
    for var in ("AWS_PROFILE", "STORAGE_EMULATOR_HOST", "AWS_ENDPOINT_URL"):
        os.environ.pop(var, None)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def moto_url(session_env) -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 with the test bucket."""
    with emulators.moto_s3(BUCKET) as url:
        yield url


@pytest.fixture(scope="session")
def gcs_url(session_env) -> Iterator[str]:
    """gcp-storage-emulator on 127.0.0.1 with the test bucket."""
    with emulators.gcs_emulator(BUCKET) as url:
        yield url


@pytest.fixture(scope="session")
def azurite_port(session_env, tmp_path_factory) -> Iterator[int]:
    """Azurite on 127.0.0.1 with the test container; fails (never skips) if not installed."""
    try:
        emulators.azurite_binary()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    with emulators.azurite(BUCKET, tmp_path_factory.mktemp("azurite")) as port:
        os.environ[AZURE_CS_VAR] = emulators.azurite_connection_string(port)
        yield port


def make_stack(
    backend: str,
    *,
    root: Path,
    endpoint: str | int | None = None,
    prefix: str | None = None,
    max_workers: int = 4,
    extra: dict | None = None,
) -> StackConfig:
    """A stack config whose artifact store is ``backend`` (a fresh prefix each call)."""
    prefix = prefix or f"t-{uuid.uuid4().hex[:10]}"
    endpoints: dict[str, str] = {}
    auth = AuthReference()
    store_config: dict = {}
    if backend == "local":
        store_config["uri"] = str(root / "store" / prefix)
        (root / "store" / prefix).mkdir(parents=True, exist_ok=True)  # what a deploy does
    elif backend == "s3":
        store_config["uri"] = f"s3://{BUCKET}/{prefix}"
        endpoints["s3"] = str(endpoint)
    elif backend == "gcs":
        store_config["uri"] = f"gs://{BUCKET}/{prefix}"
        endpoints["gcs"] = str(endpoint)
    elif backend == "azure":
        store_config["uri"] = f"az://{BUCKET}/{prefix}"
        store_config["account_url"] = f"http://127.0.0.1:{endpoint}/{emulators.AZURITE_ACCOUNT}"
        auth = AuthReference(method="env", env={"azure_connection_string": AZURE_CS_VAR})
    else:
        raise ValueError(backend)
    components = {
        "orchestrator": ComponentConnection(
            flavor="local",
            config={"max_workers": max_workers, "workspace": str(root / "workspace")},
        ),
        "artifact_store": ComponentConnection(flavor=backend, config=store_config),
        **(extra or {}),
    }
    return StackConfig(
        name=f"test-{backend}",
        cloud="local" if backend == "local" else {"s3": "aws", "gcs": "gcp"}.get(backend, "azure"),
        components=components,
        auth=auth,
        endpoints=endpoints,
        provenance=Provenance(
            recipe="test",
            definition="test.yaml",
            engine="embedded",
            state="file:///dev/null",
            deployed_at=datetime.now(UTC),
        ),
    )


StackFactory = Callable[..., StackConfig]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Each artifact store backend in turn."""
    return request.param


@pytest.fixture
def stack_factory(backend, request, tmp_path) -> StackFactory:
    """Builds stacks on the current backend (starting its emulator on first use)."""
    endpoint = {
        "local": lambda: None,
        "s3": lambda: request.getfixturevalue("moto_url"),
        "gcs": lambda: request.getfixturevalue("gcs_url"),
        "azure": lambda: request.getfixturevalue("azurite_port"),
    }[backend]()

    def factory(**kwargs) -> StackConfig:
        return make_stack(backend, root=tmp_path, endpoint=endpoint, **kwargs)

    return factory


@pytest.fixture
def stack(stack_factory) -> StackConfig:
    """A stack on the current backend with a fresh store prefix."""
    return stack_factory()


@pytest.fixture
def local_stack(tmp_path) -> StackConfig:
    """A stack on a local store (for tests that are about the runtime, not the backend)."""
    return make_stack("local", root=tmp_path)
