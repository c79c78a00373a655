"""The kubernetes orchestrator against the strict fake API server, with the fake controllers."""

from __future__ import annotations

import _thread
import json
import socket
import sys
import threading
import time

import pytest

from provisioner.errors import UserInputError
from provisioner.runtime import RunCancelled, load_output, run_pipeline
from provisioner.runtime.errors import PipelineRunFailedError
from provisioner.runtime.orchestrators.kubernetes import (
    ENV_API_SERVER,
    ENV_IMAGE,
    KubernetesOrchestratorError,
    job_name,
    label_value,
)
from provisioner.runtime.records import Status
from provisioner.runtime.stores import open_store
from provisioner.stackconfig import StackConfig
from tests.runtime import kube_fakes
from tests.runtime.cli_helpers import invoke
from tests.runtime.kubernetes.conftest import (
    NAMESPACE,
    PIPES,
    REGISTRY,
    SERVICE_ACCOUNT,
    jobs,
    k8s_stack,
    pipe,
    run,
)

pytestmark = pytest.mark.slow


def test_fanout_runs_each_step_as_a_job(tmp_path, moto_url, api_url, project, kubelet, cluster):
    stack = k8s_stack(tmp_path, moto_url)
    record = run(pipe(project, "fanout"), stack, api_url, parameters={"n": 4})

    assert record.status is Status.COMPLETED
    assert {n: s.status for n, s in record.steps.items()} == dict.fromkeys(
        ("load", "square", "negate", "combine"), Status.COMPLETED
    )
    assert load_output(stack, record.run_id, "combine") == {"sum": 8, "run": record.run_id}
    assert load_output(stack, record.run_id, "square") == [0, 1, 4, 9]
    steps = record.steps
    for step, ups in {
        "square": ["load"],
        "negate": ["load"],
        "combine": ["negate", "square"],
    }.items():
        for up in ups:
            assert steps[step].started_at >= steps[up].ended_at, (step, up)

    created = {
        kubelet.jobs[k]["metadata"]["labels"]["provisioner.dev/step"]: kubelet.jobs[k]
        for k in kubelet.jobs
    }
    assert set(created) == set(steps)
    for step, job in created.items():
        meta, spec = job["metadata"], job["spec"]
        assert meta["namespace"] == NAMESPACE
        assert meta["name"] == job_name(record.run_id, step)
        assert meta["labels"] == {
            "app.kubernetes.io/managed-by": "provisioner",
            "provisioner.dev/stack": stack.name,
            "provisioner.dev/pipeline": "fanout",
            "provisioner.dev/run-id": record.run_id,
            "provisioner.dev/step": step,
        }
        assert spec["backoffLimit"] == 0
        assert spec["ttlSecondsAfterFinished"] == 86400
        pod = spec["template"]["spec"]
        assert pod["serviceAccountName"] == SERVICE_ACCOUNT
        assert pod["restartPolicy"] == "Never"
        container = pod["containers"][0]
        assert container["image"] == f"{REGISTRY}:v1"
        assert container["command"] == [
            "python",
            "-m",
            "provisioner.runtime.entrypoint",
            "--run-id",
            record.run_id,
            "--step",
            step,
            "--target",
            "k8s_demo_pipes:fanout",
        ]
        env = {e["name"]: e["value"] for e in container["env"]}
        pod_stack = StackConfig.model_validate_json(env["PROVISIONER_STACK_CONFIG"])
        assert pod_stack.auth.method == "aws-default"  # the pod's credentials are IRSA's
        assert pod_stack.model_copy(update={"auth": stack.auth}) == stack
        assert env["AWS_REGION"] == "us-east-1"
    # the two branches overlapped: both Jobs were submitted before either pod finished
    # (pod timings, not the steps' own few-millisecond bodies, which may not overlap)
    pods = {pod.job: pod for pod in kubelet.pods}
    branch = {
        s: next(p for name, p in pods.items() if name.startswith(f"prov-{s}-"))
        for s in ("square", "negate")
    }
    assert max(p.started for p in branch.values()) < min(p.ended for p in branch.values())
    # succeeded Jobs are deleted
    assert jobs(cluster) == []


def test_failing_step_fails_its_job_and_the_run(
    tmp_path, moto_url, api_url, project, kubelet, cluster
):
    stack = k8s_stack(tmp_path, moto_url)
    with pytest.raises(PipelineRunFailedError) as info:
        run(pipe(project, "failing"), stack, api_url)
    record = info.value.result
    assert record.status is Status.FAILED
    steps = record.steps
    assert steps["boom"].status is Status.FAILED
    assert steps["boom"].error.message == "boom on purpose"
    assert "ValueError" in steps["boom"].error.type
    assert steps["after_boom"].status is Status.SKIPPED
    assert steps["square"].status is Status.COMPLETED  # independent of the failure
    ran = {kubelet.jobs[k]["metadata"]["labels"]["provisioner.dev/step"] for k in kubelet.jobs}
    assert ran == {"load", "boom", "square"}
    boom_job = job_name(record.run_id, "boom")
    kept = cluster.get("jobs", NAMESPACE, boom_job)
    assert kept is not None, "a failed Job is kept for its logs"
    assert "Failed" in [c["type"] for c in kept["status"]["conditions"]]
    assert "boom on purpose" in kubelet.log(boom_job)
    stored = open_store(stack)
    assert json.loads(stored.get_bytes(f"runs/{record.run_id}/steps/boom.json"))["status"] == (
        "failed"
    )


def test_retries_map_to_backoff_limit(tmp_path, moto_url, api_url, project, kubelet):
    stack = k8s_stack(tmp_path, moto_url)
    marker = tmp_path / "flaky-marker"
    record = run(pipe(project, "retrying"), stack, api_url, parameters={"marker": str(marker)})
    assert record.status is Status.COMPLETED
    name = job_name(record.run_id, "flaky")
    job = kubelet.jobs[f"{NAMESPACE}/{name}"]
    assert job["spec"]["backoffLimit"] == 1
    assert [p.returncode for p in kubelet.pods_of(name)] == [1, 0]
    assert record.steps["flaky"].attempts == 2
    assert load_output(stack, record.run_id, "flaky") == "ok"


def test_deadline_fails_the_step(tmp_path, moto_url, api_url, project, kubelet):
    stack = k8s_stack(tmp_path, moto_url)
    record = run(
        pipe(project, "slow"),
        stack,
        api_url,
        parameters={"seconds": 30},
        options={"active_deadline_seconds": 1},
        raise_on_failure=False,
    )
    assert record.status is Status.FAILED
    assert "DeadlineExceeded" in record.steps["sleepy"].error.message


def test_ctrl_c_deletes_created_jobs(tmp_path, moto_url, api_url, project, kubelet, cluster):
    stack = k8s_stack(tmp_path, moto_url)

    def interrupt_once_running() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not kubelet.pods:
            time.sleep(0.05)
        time.sleep(0.5)
        _thread.interrupt_main()

    threading.Thread(target=interrupt_once_running, daemon=True).start()
    t0 = time.monotonic()
    with pytest.raises(RunCancelled) as info:
        run(pipe(project, "slow"), stack, api_url, parameters={"seconds": 60})
    assert time.monotonic() - t0 < 30
    record = info.value.result
    assert record.status is Status.CANCELLED
    assert jobs(cluster) == []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and kubelet.pods[0].ended is None:
        time.sleep(0.05)
    assert kubelet.pods[0].killed, "the pod of a deleted Job is stopped"


def test_missing_image_is_a_clear_error(tmp_path, moto_url, api_url, project, monkeypatch):
    monkeypatch.delenv(ENV_IMAGE, raising=False)
    stack = k8s_stack(tmp_path, moto_url)
    with pytest.raises(UserInputError, match="needs an image") as info:
        run_pipeline(pipe(project, "fanout"), stack, orchestrator_options={"api_server": api_url})
    assert f"--image {REGISTRY}:TAG" in info.value.hint
    assert not list(open_store(stack).list_keys("runs")), "nothing recorded"
    bare = k8s_stack(tmp_path, moto_url, registry=False)
    with pytest.raises(UserInputError, match="no container registry"):
        run(pipe(project, "fanout"), bare, api_url)


def test_image_from_environment(tmp_path, moto_url, api_url, project, kubelet, monkeypatch):
    monkeypatch.setenv(ENV_IMAGE, "registry.example/steps:abc")
    stack = k8s_stack(tmp_path, moto_url)
    record = run_pipeline(
        pipe(project, "one"),
        stack,
        orchestrator_options={"api_server": api_url, "poll_interval": 0.05},
    )
    images = {
        j["spec"]["template"]["spec"]["containers"][0]["image"] for j in kubelet.jobs.values()
    }
    assert record.status is Status.COMPLETED
    assert images == {"registry.example/steps:abc"}


def test_unreachable_api_server_fails_fast(tmp_path, moto_url, project):
    stack = k8s_stack(tmp_path, moto_url)
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    t0 = time.monotonic()
    with pytest.raises(KubernetesOrchestratorError, match="cannot reach the Kubernetes API"):
        run(pipe(project, "fanout"), stack, closed)
    assert time.monotonic() - t0 < 10
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        t0 = time.monotonic()
        with pytest.raises(KubernetesOrchestratorError, match="cannot reach"):
            run(pipe(project, "fanout"), stack, url, options={"request_timeout": 1})
        assert time.monotonic() - t0 < 10
    assert not list(open_store(stack).list_keys("runs")), "nothing recorded"


def test_unknown_option_and_local_image_are_refused(tmp_path, moto_url, project, local_stack):
    stack = k8s_stack(tmp_path, moto_url)
    with pytest.raises(UserInputError, match="unknown kubernetes orchestrator option"):
        run(pipe(project, "fanout"), stack, "http://127.0.0.1:1", options={"bogus": 1})
    with pytest.raises(UserInputError, match="takes no 'image' option"):
        run_pipeline(pipe(project, "fanout"), local_stack, orchestrator_options={"image": "x"})


def test_cli_image_option(tmp_path, moto_url, api_url, project, kubelet, monkeypatch):
    stack = k8s_stack(tmp_path, moto_url)
    path = tmp_path / "stack.yaml"
    stack.write(path)
    monkeypatch.setenv(ENV_API_SERVER, api_url)
    result = invoke(
        "pipeline",
        "run",
        f"{project / 'k8s_demo_pipes.py'}:one",
        "--stack",
        str(path),
        "--image",
        ":cli",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "completed"
    images = {
        j["spec"]["template"]["spec"]["containers"][0]["image"] for j in kubelet.jobs.values()
    }
    assert images == {f"{REGISTRY}:cli"}


def test_names_and_labels_are_valid_for_kubernetes():
    long = "a_very_long_pipeline_name_" * 4
    assert label_value("fanout") == "fanout"
    value = label_value(long)
    assert len(value) <= 63 and value[0].isalnum() and value[-1].isalnum()
    assert label_value(long) != label_value(long + "x")
    name = job_name(f"{long}-20250101-000000-abcdef", "Step_With_CAPS")
    assert len(name) <= 63 and name == name.lower() and "_" not in name


def test_image_with_other_code_fails_the_step_clearly(
    tmp_path, moto_url, api_url, project, tmp_path_factory, cluster
):
    stale = tmp_path_factory.mktemp("stale-image")  # an image built from older code
    (stale / "k8s_demo_pipes.py").write_text(PIPES.replace("x * x", "x * x * x"))
    stack = k8s_stack(tmp_path, moto_url)
    with kube_fakes.FakeKubelet(cluster, stale, {"AWS_ENDPOINT_URL_STS": moto_url}):
        record = run(pipe(project, "fanout"), stack, api_url, raise_on_failure=False)
    assert record.steps["load"].status is Status.COMPLETED
    square = record.steps["square"]
    assert square.status is Status.FAILED
    assert "differs from the code the run was started with" in square.error.message
    assert record.steps["combine"].status is Status.SKIPPED


def test_missing_kubernetes_client_names_the_extra(tmp_path, moto_url, project, monkeypatch):
    monkeypatch.setitem(sys.modules, "kubernetes", None)  # as if not installed
    stack = k8s_stack(tmp_path, moto_url)
    from provisioner.integrations import MissingIntegrationError

    with pytest.raises(MissingIntegrationError, match="needs the kubernetes integration") as info:
        run(pipe(project, "fanout"), stack, "http://127.0.0.1:1")
    assert "provisioner integration install kubernetes" in info.value.hint


def test_entrypoint_without_stack_config_exits_2(monkeypatch, capsys):
    from provisioner.runtime import entrypoint

    monkeypatch.delenv(entrypoint.ENV_STACK_CONFIG, raising=False)
    assert entrypoint.main(["--run-id", "r-1", "--step", "s", "--target", "m:p"]) == 2
    assert "PROVISIONER_STACK_CONFIG is not set" in capsys.readouterr().err
    monkeypatch.setenv(entrypoint.ENV_STACK_CONFIG, "{not json")
    assert entrypoint.main(["--run-id", "r-1", "--step", "s", "--target", "m:p"]) == 2
    assert "not a valid stack config" in capsys.readouterr().err


def test_entrypoint_reports_credential_failures_with_exit_2(
    tmp_path, moto_url, monkeypatch, capsys
):
    from provisioner.runtime import entrypoint
    from provisioner.stackconfig import AuthReference

    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    stack = k8s_stack(tmp_path, moto_url).model_copy(
        update={"auth": AuthReference(method="aws-profile", aws_profile="laptop-only")}
    )
    monkeypatch.setenv(entrypoint.ENV_STACK_CONFIG, stack.model_dump_json())
    assert entrypoint.main(["--run-id", "r-1", "--step", "s", "--target", "m:p"]) == 2
    assert "laptop-only" in capsys.readouterr().err
