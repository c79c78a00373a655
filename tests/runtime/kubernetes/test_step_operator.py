"""The kubernetes step operator: one marked step runs as a Job on the fake cluster (strict fake
API server, fake kubelet), the other steps on the local orchestrator, all through S3 (moto)."""

from __future__ import annotations

import os

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.runtime import load_output, load_pipeline
from provisioner.runtime.records import Status
from provisioner.stackconfig import ComponentConnection
from tests.runtime import kube_fakes
from tests.runtime.conftest import make_stack
from tests.runtime.kubernetes.conftest import NAMESPACE, REGISTRY, SERVICE_ACCOUNT

pytestmark = pytest.mark.slow

PIPES = """
import os
from provisioner.runtime import Resources, pipeline, step

@step
def load(n: int) -> list[int]:
    return list(range(n))

@step(step_operator=True, resources=Resources(cpu="500m", memory="256Mi"))
def heavy(xs: list[int]) -> dict:
    return {"sum": sum(xs), "pid": os.getpid()}

@step
def report(result: dict) -> dict:
    return {**result, "here": os.getpid()}

@pipeline
def ops(n: int = 4):
    report(heavy(load(n)))
"""


@pytest.fixture(scope="module")
def ops_project(tmp_path_factory):
    root = tmp_path_factory.mktemp("k8s-ops-project")
    (root / "k8s_ops_pipes.py").write_text(PIPES)
    return root


def test_only_the_marked_step_runs_as_a_job(tmp_path, moto_url, api_url, cluster, ops_project):
    stack = make_stack("s3", root=tmp_path, endpoint=moto_url)
    stack.components[ComponentType.CONTAINER_REGISTRY] = ComponentConnection(
        flavor="aws", config={"uri": REGISTRY}
    )
    stack.components[ComponentType.STEP_OPERATOR] = ComponentConnection(
        flavor="kubernetes",
        config={
            "api_server": api_url,
            "namespace": NAMESPACE,
            "service_account": SERVICE_ACCOUNT,
            "image": ":v1",
            "pin_image_digest": False,
            "poll_interval": 0.02,
        },
    )
    pipe = load_pipeline(f"{ops_project / 'k8s_ops_pipes.py'}:ops")
    with kube_fakes.FakeKubelet(cluster, ops_project, {"AWS_ENDPOINT_URL_STS": moto_url}) as node:
        record = pipe.run(stack)
    assert record.status is Status.COMPLETED
    out = load_output(stack, record.run_id, "report")
    assert out["sum"] == 6 and out["here"] == os.getpid() and out["pid"] != os.getpid()
    [job] = node.jobs.values()  # load and report ran here
    assert job["metadata"]["labels"]["provisioner.dev/step"] == "heavy"
    pod = job["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == SERVICE_ACCOUNT
    container = pod["containers"][0]
    assert container["image"] == f"{REGISTRY}:v1"
    assert container["resources"]["requests"] == {"cpu": "500m", "memory": "256Mi"}
    assert container["resources"]["limits"]["memory"] == "256Mi"
    assert record.steps["heavy"].status is Status.COMPLETED
    rerun = pipe.run(stack)
    assert rerun.steps["heavy"].status is Status.CACHED


def test_missing_image_is_said_before_the_run(tmp_path, moto_url, api_url, ops_project):
    from provisioner.errors import UserInputError

    stack = make_stack("s3", root=tmp_path, endpoint=moto_url)
    stack.components[ComponentType.STEP_OPERATOR] = ComponentConnection(
        flavor="kubernetes", config={"api_server": api_url, "namespace": NAMESPACE}
    )
    pipe = load_pipeline(f"{ops_project / 'k8s_ops_pipes.py'}:ops")
    with pytest.raises(UserInputError, match=r"step operator of stack .* needs an image"):
        pipe.run(stack)
