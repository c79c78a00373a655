"""Acceptance: a pipeline runs end to end on the kubernetes orchestrator (strict fake API, fake
kubelet running each pod's real image with buildah), its image built by provisioner and pushed
to the local docker-registry; a step importing a package its image lacks fails in its pod."""

from __future__ import annotations

import json

import pytest

from provisioner.runtime import load_output, load_pipeline, run_pipeline
from provisioner.runtime.orchestrators.kubernetes import ENV_API_SERVER
from provisioner.runtime.records import Status
from tests.runtime import kube_fakes
from tests.runtime.cli_helpers import invoke
from tests.runtime.images.helpers import project, with_builder
from tests.runtime.kube_images import BuildahRuntime
from tests.runtime.kubernetes.conftest import k8s_stack

pytestmark = pytest.mark.slow

PIPES = """
from provisioner.runtime import get_step_context, pipeline, step

@step
def load(n: int) -> list[int]:
    return list(range(n))

@step
def square(xs: list[int]) -> list[int]:
    return [x * x for x in xs]

@step
def total(xs: list[int]) -> dict:
    import boto3  # the s3 store's SDK: the builder put it in the image
    return {"sum": sum(xs), "run": get_step_context().run_id, "boto3": bool(boto3.__version__)}

@pipeline
def squares(n: int = 4):
    total(square(load(n)))

@step
def needs_pandas(xs: list[int]) -> int:
    import pandas  # installed on this machine, not in the image
    return len(pandas.Series(xs))

@pipeline
def missing(n: int = 3):
    needs_pandas(load(n))
"""


@pytest.fixture(scope="module")
def real_project(tmp_path_factory):
    return project(tmp_path_factory.mktemp("real-image"), PIPES, "real_image_pipes")


@pytest.fixture
def real_kubelet(cluster, api_url, real_project, moto_url):
    runtime = BuildahRuntime(mounts=(real_project,))
    with kube_fakes.FakeKubelet(
        cluster, real_project, {"AWS_ENDPOINT_URL_STS": moto_url}, runtime=runtime
    ) as node:
        yield node


def _stack(tmp_path, moto_url, oci_registry, base_image):
    stack = k8s_stack(tmp_path, moto_url, registry=False, pin_image_digest=True, poll_interval=0.05)
    return with_builder(stack, oci_registry, base_image)


def test_pipeline_run_builds_pushes_and_runs_in_the_image(
    tmp_path, moto_url, api_url, real_project, real_kubelet, oci_registry, base_image, monkeypatch
):
    stack = _stack(tmp_path, moto_url, oci_registry, base_image)
    stack.write(tmp_path / "stack.yaml")
    monkeypatch.setenv(ENV_API_SERVER, api_url)
    result = invoke(
        "pipeline",
        "run",
        f"{real_project / 'real_image_pipes.py'}:squares",
        "--stack",
        str(tmp_path / "stack.yaml"),
        "--param",
        "n=4",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["status"] == "completed", record
    assert "pushed" in result.stderr  # the build's progress
    out = load_output(stack, record["run_id"], "total")
    assert out == {"sum": 14, "run": record["run_id"], "boto3": True}
    # every pod ran the image provisioner built, pinned by digest, from the local registry
    image = record["image"]
    assert image.startswith(f"{oci_registry}/steps@sha256:")
    assert set(real_kubelet.runtime.pulled) == {image}
    assert len(real_kubelet.pods) == 3
    jobs = real_kubelet.jobs.values()
    assert {j["spec"]["template"]["spec"]["containers"][0]["image"] for j in jobs} == {image}


def test_a_step_importing_what_the_image_lacks_fails_in_its_pod(
    tmp_path,
    moto_url,
    api_url,
    real_project,
    real_kubelet,
    oci_registry,
    base_image,
):
    import pandas  # noqa: F401  (here it is installed: only the image lacks it)

    stack = _stack(tmp_path, moto_url, oci_registry, base_image)
    pipe = load_pipeline(f"{real_project / 'real_image_pipes.py'}:missing")
    record = run_pipeline(
        pipe,
        stack,
        orchestrator_options={"api_server": api_url, "poll_interval": 0.05},
        raise_on_failure=False,
    )
    assert record.status is Status.FAILED
    step = record.steps["needs_pandas"]
    assert step.status is Status.FAILED
    assert "No module named 'pandas'" in (step.error.message + step.error.traceback)
    assert record.steps["load"].status is Status.COMPLETED
