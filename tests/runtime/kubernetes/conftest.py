"""Fixtures: a strict fake Kubernetes API on loopback, its controllers, and an S3 (moto) stack
whose pods get credentials the way IRSA gives them (web identity against moto's STS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.runtime import load_pipeline, run_pipeline
from provisioner.stackconfig import ComponentConnection, StackConfig
from tests.runtime import kube_api, kube_fakes
from tests.runtime.conftest import make_stack

NAMESPACE = "ml-steps"
SERVICE_ACCOUNT = "provisioner-runner"
ROLE_ARN = "arn:aws:iam::123456789012:role/demo-steps"
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-steps"

PIPES = """
import time
from pathlib import Path
from provisioner.runtime import Resources, get_step_context, pipeline, step

@step
def load(n: int) -> list[int]:
    return list(range(n))

@step
def square(xs: list[int]) -> list[int]:
    return [x * x for x in xs]

@step
def negate(xs: list[int]) -> list[int]:
    return [-x for x in xs]

@step
def combine(a: list[int], b: list[int]) -> dict:
    return {"sum": sum(a) + sum(b), "run": get_step_context().run_id}

@pipeline
def fanout(n: int = 4):
    xs = load(n)
    combine(square(xs), negate(xs))

@pipeline
def pair(n: int = 3):
    square(load(n))

@step
def boom(xs: list[int]) -> int:
    print("about to fail")
    raise ValueError("boom on purpose")

@step
def after_boom(x: int) -> int:
    return x

@pipeline
def failing(n: int = 3):
    xs = load(n)
    after_boom(boom(xs))
    square(xs)

@step(retries=1, retry_delay=0)
def flaky(marker: str) -> str:
    path = Path(marker)
    if not path.exists():
        path.write_text("failed once")
        raise RuntimeError("first attempt fails")
    return "ok"

@pipeline
def retrying(marker: str):
    flaky(marker)

@step(retries=2, retry_delay=3)
def flaky_slow(marker: str) -> float:
    path = Path(marker)
    if not path.exists():
        path.write_text(str(time.time()))
        raise RuntimeError("first attempt fails")
    return time.time() - float(path.read_text())  # seconds since the failure

@pipeline
def retrying_later(marker: str):
    flaky_slow(marker)

@step
def sleepy(seconds: float) -> float:
    time.sleep(seconds)
    return seconds

@pipeline
def slow(seconds: float = 60.0):
    sleepy(seconds)

@step
def single() -> int:
    return 7

@pipeline
def one():
    single()

@step(resources=Resources(cpu="500m", memory="1Gi", gpu=1))
def train() -> str:
    return "trained"

@pipeline
def gpu():
    train()

@step
def secret_reader() -> str:
    import os
    return os.environ.get("API_TOKEN", "unset")

@pipeline
def reads_secret():
    secret_reader()
"""


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> Path:
    """The user's project, as the step image holds it (its working directory)."""
    root = tmp_path_factory.mktemp("k8s-project")
    (root / "k8s_demo_pipes.py").write_text(PIPES)
    return root


@pytest.fixture
def cluster() -> kube_api.FakeCluster:
    """A cluster as the aws recipe leaves it: the namespace and an IRSA service account."""
    c = kube_api.FakeCluster()
    c.add_namespace(NAMESPACE)
    c.add_service_account(NAMESPACE, SERVICE_ACCOUNT, {kube_fakes.IRSA_ROLE: ROLE_ARN})
    return c


@pytest.fixture
def api_url(cluster):
    with kube_api.serve(cluster) as url:
        yield url


@pytest.fixture
def kubelet(cluster, api_url, project, moto_url):
    """The cluster's controllers; pods reach AWS only through web identity (IRSA)."""
    with kube_fakes.FakeKubelet(cluster, project, {"AWS_ENDPOINT_URL_STS": moto_url}) as node:
        yield node


def k8s_stack(tmp_path: Path, moto_url: str, registry: bool = True, **config) -> StackConfig:
    """An S3 (moto) stack whose orchestrator is the kubernetes flavor, as aws-recipe makes."""
    stack = make_stack("s3", root=tmp_path, endpoint=moto_url)
    stack.components[ComponentType.ORCHESTRATOR] = ComponentConnection(
        flavor="kubernetes",
        config={
            "cluster_name": "demo",
            "kube_context": "arn:aws:eks:us-east-1:123456789012:cluster/demo",
            "namespace": NAMESPACE,
            "service_account": SERVICE_ACCOUNT,
            "aws": {"region": "us-east-1", "service_account_role_arn": ROLE_ARN},
            # the fake kubelet pulls no image, and ECR's /v2 is not served here: pinning
            # to a digest is tested against the real registry in test_image_digest.py
            "pin_image_digest": False,
            **config,
        },
    )
    if registry:
        stack.components[ComponentType.CONTAINER_REGISTRY] = ComponentConnection(
            flavor="aws", config={"uri": REGISTRY}
        )
    return stack


def run(pipe, stack, api_url, **kwargs):
    options = {"api_server": api_url, "poll_interval": 0.02, "image": ":v1"}
    options.update(kwargs.pop("options", {}))
    return run_pipeline(pipe, stack, orchestrator_options=options, **kwargs)


def pipe(project: Path, name: str):
    return load_pipeline(f"{project / 'k8s_demo_pipes.py'}:{name}")


def jobs(cluster) -> list[dict]:
    return cluster.items("jobs", NAMESPACE)
