"""Runs that would hang or fail without a reason on a real cluster: each must end, say why,
and leave no Job behind."""

from __future__ import annotations

import _thread
import json
import threading
import time

import pytest

from provisioner.runtime import RunCancelled, load_output
from provisioner.runtime.orchestrators.kubernetes import job_name
from provisioner.runtime.records import Status
from provisioner.runtime.stores import open_store
from tests.runtime import kube_fakes
from tests.runtime.cli_helpers import invoke
from tests.runtime.kubernetes.conftest import (
    NAMESPACE,
    REGISTRY,
    SERVICE_ACCOUNT,
    jobs,
    k8s_stack,
    pipe,
    run,
)

pytestmark = pytest.mark.slow


def _bounded(fn, seconds: float = 60.0):
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it does not end."""
    box: dict = {}

    def main() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the run did not end within {seconds} s (it hangs)"
    if "error" in box:
        raise box["error"]
    return box["value"]


# -- 1: a step that can never start ends the run, with the cluster's reason ----------------


def test_image_that_cannot_be_pulled_fails_the_step(tmp_path, moto_url, api_url, project, cluster):
    stack = k8s_stack(tmp_path, moto_url)
    with kube_fakes.FakeKubelet(cluster, project, missing_images=(f"{REGISTRY}:v1",)):
        record = _bounded(lambda: run(pipe(project, "one"), stack, api_url, raise_on_failure=False))
    single = record.steps["single"]
    assert single.status is Status.FAILED
    assert "ImagePullBackOff" in single.error.message
    assert f"{REGISTRY}:v1" in single.error.message
    assert jobs(cluster) == [], "the Job that could never start is deleted"


def test_missing_service_account_fails_with_failed_create(
    tmp_path, moto_url, api_url, project, cluster
):
    stack = k8s_stack(tmp_path, moto_url, service_account="nobody")
    with kube_fakes.FakeKubelet(cluster, project):
        record = _bounded(lambda: run(pipe(project, "one"), stack, api_url, raise_on_failure=False))
    message = record.steps["single"].error.message
    assert "refused to create the step's pod" in message
    assert 'serviceaccount "nobody" not found' in message
    assert jobs(cluster) == []


def test_pod_pending_past_the_timeout_fails_with_the_scheduler_reason(
    tmp_path, moto_url, api_url, project, cluster
):
    stack = k8s_stack(tmp_path, moto_url)
    with kube_fakes.FakeKubelet(cluster, project):  # a node without GPUs
        record = _bounded(
            lambda: run(
                pipe(project, "gpu"),
                stack,
                api_url,
                raise_on_failure=False,
                options={"pending_timeout": 0.3},
            )
        )
    message = record.steps["train"].error.message
    assert "Pending for over 0.3 s" in message
    assert "Insufficient nvidia.com/gpu" in message
    assert jobs(cluster) == []


def test_missing_secret_fails_with_create_container_config_error(
    tmp_path, moto_url, api_url, project, cluster
):
    stack = k8s_stack(tmp_path, moto_url, secret_env={"API_TOKEN": "api-credentials/token"})
    with kube_fakes.FakeKubelet(cluster, project):
        record = _bounded(
            lambda: run(pipe(project, "reads_secret"), stack, api_url, raise_on_failure=False)
        )
    message = record.steps["secret_reader"].error.message
    assert "CreateContainerConfigError" in message
    assert 'secret "api-credentials" not found' in message


def test_jobs_have_a_default_deadline(tmp_path, moto_url, api_url, project, kubelet):
    stack = k8s_stack(tmp_path, moto_url)
    record = run(pipe(project, "one"), stack, api_url)
    job = kubelet.jobs[f"{NAMESPACE}/{job_name(record.run_id, 'single')}"]
    assert job["spec"]["activeDeadlineSeconds"] == 86400


# -- 2: failures are diagnosable after the Job is gone -------------------------------------


def test_oom_killed_attempt_is_recorded_with_its_log(
    tmp_path, moto_url, api_url, project, kubelet, cluster
):
    stack = k8s_stack(tmp_path, moto_url)
    kubelet.inject("single", "oom")
    record = run(pipe(project, "one"), stack, api_url, raise_on_failure=False)
    single = record.steps["single"]
    assert single.status is Status.FAILED
    assert "OOMKilled" in single.error.message
    [pod] = single.pods
    assert (pod.reason, pod.exit_code) == ("OOMKilled", 137)
    stored = json.loads(open_store(stack).get_bytes(f"runs/{record.run_id}/steps/single.json"))
    assert stored["pods"][0]["reason"] == "OOMKilled"


def test_failed_step_keeps_its_pod_log_and_termination_message(
    tmp_path, moto_url, api_url, project, kubelet, cluster
):
    stack = k8s_stack(tmp_path, moto_url)
    record = run(pipe(project, "failing"), stack, api_url, raise_on_failure=False)
    boom = record.steps["boom"]
    name = job_name(record.run_id, "boom")
    spec = kubelet.jobs[f"{NAMESPACE}/{name}"]["spec"]["template"]["spec"]
    assert spec["containers"][0]["terminationMessagePolicy"] == "FallbackToLogsOnError"
    [pod] = boom.pods
    assert pod.exit_code == 1 and "boom on purpose" in pod.message
    cluster.delete("jobs", NAMESPACE, name)  # its TTL ran out
    time.sleep(0.1)
    assert "about to fail" in open_store(stack).get_bytes(pod.log).decode()
    path = tmp_path / "stack.yaml"
    stack.write(path)
    shown = invoke("run", "show", record.run_id, "--stack", str(path))
    assert f"pod {pod.pod}: Error, exit code 1" in shown.stderr
    assert f"provisioner run logs {record.run_id} boom" in shown.stderr
    logs = invoke("run", "logs", record.run_id, "boom", "--stack", str(path))
    assert logs.exit_code == 0, logs.stderr
    assert "about to fail" in logs.stdout and "boom on purpose" in logs.stdout
    as_json = invoke("run", "logs", record.run_id, "--stack", str(path), "--json")
    assert "about to fail" in json.loads(as_json.stdout)["boom"][pod.pod]


# -- 3: the step record is the truth, even when the TTL deleted the Job first ---------------


def test_job_deleted_by_its_ttl_after_success_does_not_fail_the_step(
    tmp_path, moto_url, api_url, project, kubelet
):
    stack = k8s_stack(tmp_path, moto_url)
    record = run(
        pipe(project, "one"),
        stack,
        api_url,
        options={"ttl_seconds_after_finished": 0, "poll_interval": 0.5},
    )
    assert record.steps["single"].status is Status.COMPLETED


# -- 8: the API is an unreliable network service ------------------------------------------


def _kubeconfig(tmp_path, api_url: str, token: str | None = None, exec_token: str | None = None):
    user: dict = {"token": token} if token else {}
    if exec_token:
        script = tmp_path / "kube-token.py"
        script.write_text(
            "import json\n"
            "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1', "
            f"'kind': 'ExecCredential', 'status': {{'token': {exec_token!r}}}}}))\n"
        )
        import sys

        user = {
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1",
                "command": sys.executable,
                "args": [str(script)],
                "interactiveMode": "Never",
            }
        }
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "demo", "cluster": {"server": api_url}}],
        "users": [{"name": "runner", "user": user}],
        "contexts": [{"name": "demo", "context": {"cluster": "demo", "user": "runner"}}],
        "current-context": "demo",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(config))
    return path


ALL_BUT_JOB_STATUS = [
    (NAMESPACE, "jobs", verb) for verb in ("create", "get", "list", "delete", "deletecollection")
] + [(NAMESPACE, "pods", "list"), (NAMESPACE, "pods/log", "get"), (NAMESPACE, "events", "list")]


def test_rights_without_jobs_status_are_enough(
    tmp_path, moto_url, api_url, project, kubelet, cluster, monkeypatch
):
    cluster.add_user("t-runner", "system:serviceaccount:ml-steps:runner", ALL_BUT_JOB_STATUS)
    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path, api_url, token="t-runner")))
    stack = k8s_stack(tmp_path, moto_url, kube_context="demo")
    t0 = time.monotonic()
    record = run(pipe(project, "one"), stack, None, options={"api_server": None})
    assert record.status is Status.COMPLETED
    assert time.monotonic() - t0 < 40
    assert not [r for r in cluster.requests if r[1].endswith("/status")]


def test_exec_plugin_credentials_are_used(
    tmp_path, moto_url, api_url, project, kubelet, cluster, monkeypatch
):
    cluster.add_user("t-exec", "exec-user", [(NAMESPACE, "*", "*")])
    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path, api_url, exec_token="t-exec")))
    stack = k8s_stack(tmp_path, moto_url, kube_context="demo")
    record = run(pipe(project, "one"), stack, None, options={"api_server": None})
    assert record.status is Status.COMPLETED


def test_a_missing_right_is_named_before_the_run_starts(
    tmp_path, moto_url, api_url, project, cluster, monkeypatch
):
    from provisioner.runtime.orchestrators.kubernetes import KubernetesAccessError

    rights = [r for r in ALL_BUT_JOB_STATUS if r[1] != "pods/log"]
    cluster.add_user("t-narrow", "narrow", rights)
    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path, api_url, token="t-narrow")))
    stack = k8s_stack(tmp_path, moto_url, kube_context="demo")
    with pytest.raises(KubernetesAccessError, match="lack these rights") as info:
        run(pipe(project, "one"), stack, None, options={"api_server": None})
    assert "get pods/log" in info.value.message
    assert "pods/log get" in info.value.hint
    assert not list(open_store(stack).list_keys("runs")), "nothing recorded"


def test_rejected_credentials_fail_fast(tmp_path, moto_url, api_url, project, monkeypatch):
    from provisioner.runtime.orchestrators.kubernetes import KubernetesAccessError

    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path, api_url, token="expired")))
    stack = k8s_stack(tmp_path, moto_url, kube_context="demo")
    t0 = time.monotonic()
    with pytest.raises(KubernetesAccessError, match=r"rejected the credentials \(401\)"):
        run(pipe(project, "one"), stack, None, options={"api_server": None})
    assert time.monotonic() - t0 < 10


def test_missing_namespace_is_named_before_the_run_starts(
    tmp_path, moto_url, api_url, project, cluster
):
    from provisioner.runtime.orchestrators.kubernetes import KubernetesOrchestratorError

    stack = k8s_stack(tmp_path, moto_url, namespace="not-there")
    with pytest.raises(KubernetesOrchestratorError, match='namespaces "not-there" not found') as e:
        run(pipe(project, "one"), stack, api_url)
    assert "create namespace 'not-there'" in e.value.hint
    assert not list(open_store(stack).list_keys("runs"))


def test_rate_limited_and_failing_creates_are_retried(
    tmp_path, moto_url, api_url, project, kubelet, cluster
):
    create = r"POST .*/jobs\?fieldValidation"  # not the dry run (?dryRun=All&...)
    cluster.fail(create, 429, times=1, retry_after=1)
    cluster.fail(create, 503, times=1)
    cluster.fail(create, 500, times=1, lost=True)  # created, but the answer is lost
    stack = k8s_stack(tmp_path, moto_url)
    t0 = time.monotonic()
    record = run(pipe(project, "one"), stack, api_url)
    assert record.status is Status.COMPLETED
    creates = [
        code
        for method, path, code in cluster.requests
        if method == "POST" and path.endswith("/jobs")
    ]
    # the dry run, then 429 (retried after 1 s), 503, a lost answer, and a 409 for the Job
    # that the lost request did create
    assert creates == [201, 429, 503, 500, 409], creates
    assert time.monotonic() - t0 >= 1.0, "Retry-After was honoured"


def test_api_outage_is_ridden_out(tmp_path, moto_url, api_url, project, kubelet, cluster):
    stack = k8s_stack(tmp_path, moto_url)
    started = threading.Event()

    def outage_once_a_pod_runs() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not kubelet.pods:
            time.sleep(0.01)
        cluster.outage(1.5)
        started.set()

    threading.Thread(target=outage_once_a_pod_runs, daemon=True).start()
    record = run(pipe(project, "slow"), stack, api_url, parameters={"seconds": 2})
    assert started.is_set()
    assert record.status is Status.COMPLETED
    assert any(code == 0 for _, _, code in cluster.requests), "requests were dropped"


def test_api_lost_past_the_limit_fails_the_step_and_deletes_its_job(
    tmp_path, moto_url, api_url, project, kubelet, cluster
):
    stack = k8s_stack(tmp_path, moto_url)

    def outage_once_a_pod_runs() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not kubelet.pods:
            time.sleep(0.01)
        cluster.outage(1.0)

    threading.Thread(target=outage_once_a_pod_runs, daemon=True).start()
    record = run(
        pipe(project, "slow"),
        stack,
        api_url,
        parameters={"seconds": 30},
        options={"api_outage_limit": 0.3},
        raise_on_failure=False,
    )
    assert "cannot reach the Kubernetes API" in record.steps["sleepy"].error.message
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and jobs(cluster):
        time.sleep(0.05)
    assert jobs(cluster) == [], "the Job given up on is deleted once the API is back"


# -- 9: no orphans --------------------------------------------------------------------------


def test_job_created_during_ctrl_c_is_deleted(
    tmp_path, moto_url, api_url, project, kubelet, cluster
):
    cluster.fail(r"POST .*/jobs\?fieldValidation", 0, delay=1.0)  # the real create is slow
    stack = k8s_stack(tmp_path, moto_url)

    def interrupt_during_the_create() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            posts = [r for r in cluster.requests if r[0] == "POST" and r[1].endswith("/jobs")]
            if posts:  # the dry run answered; the real create is under way
                break
            time.sleep(0.01)
        time.sleep(0.4)
        _thread.interrupt_main()

    threading.Thread(target=interrupt_during_the_create, daemon=True).start()
    with pytest.raises(RunCancelled):
        run(pipe(project, "slow"), stack, api_url, parameters={"seconds": 60})
    time.sleep(1.5)
    assert jobs(cluster) == [], "the Job whose create was under way is deleted too"


def test_in_cluster_orchestrator_pod_owns_the_jobs(
    tmp_path, moto_url, api_url, project, kubelet, monkeypatch
):
    monkeypatch.setenv("PROVISIONER_POD_NAME", "pipeline-runner-x1")
    monkeypatch.setenv("PROVISIONER_POD_UID", "3f0c9f7e-0000-4000-8000-000000000001")
    stack = k8s_stack(tmp_path, moto_url)
    record = run(pipe(project, "one"), stack, api_url)
    job = kubelet.jobs[f"{NAMESPACE}/{job_name(record.run_id, 'single')}"]
    [owner] = job["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"]) == ("Pod", "pipeline-runner-x1")


# -- 10: cached steps start no pods -------------------------------------------------------


def test_cached_steps_start_no_jobs(tmp_path, moto_url, api_url, project, kubelet):
    stack = k8s_stack(tmp_path, moto_url)
    run(pipe(project, "pair"), stack, api_url)
    before = len(kubelet.jobs)
    again = run(pipe(project, "pair"), stack, api_url)
    assert again.status is Status.COMPLETED
    assert set(again.cached_steps) == {"load", "square"}
    assert len(kubelet.jobs) == before, "no Job was created for a cached step"


# -- 4: credentials and config reach the pod ---------------------------------------------


def test_profile_stack_runs_on_the_pods_default_credentials(
    tmp_path, moto_url, api_url, project, kubelet, monkeypatch
):
    from provisioner.stackconfig import AuthReference

    creds = tmp_path / "aws-credentials"
    creds.write_text("[dev]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    stack = k8s_stack(tmp_path, moto_url).model_copy(
        update={"auth": AuthReference(method="aws-profile", aws_profile="dev")}
    )
    record = run(pipe(project, "one"), stack, api_url)
    assert record.status is Status.COMPLETED


def test_secret_env_reaches_the_pod_by_reference(
    tmp_path, moto_url, api_url, project, kubelet, cluster
):
    cluster.add_secret(NAMESPACE, "api-credentials", {"token": "s3cr3t-value"})
    stack = k8s_stack(tmp_path, moto_url, secret_env={"API_TOKEN": "api-credentials/token"})
    record = run(pipe(project, "reads_secret"), stack, api_url)
    assert load_output(stack, record.run_id, "secret_reader") == "s3cr3t-value"
    job = next(iter(kubelet.jobs.values()))
    assert "s3cr3t-value" not in json.dumps(job), "only a reference is in the Job"


# -- 5, 6, 7: placement, disruptions, images ---------------------------------------------


def test_gpu_step_lands_on_a_tainted_gpu_node(tmp_path, moto_url, api_url, project, cluster):
    node = kube_fakes.Node(
        labels={"accelerator": "nvidia"},
        taints=[{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}],
        allocatable={"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": "1"},
    )
    stack = k8s_stack(
        tmp_path,
        moto_url,
        gpu_node_selector={"accelerator": "nvidia"},
        gpu_tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    )
    with kube_fakes.FakeKubelet(cluster, project, {"AWS_ENDPOINT_URL_STS": moto_url}, node=node):
        record = _bounded(lambda: run(pipe(project, "gpu"), stack, api_url))
    assert record.status is Status.COMPLETED


def test_evicted_pod_is_retried_without_retries(tmp_path, moto_url, api_url, project, kubelet):
    stack = k8s_stack(tmp_path, moto_url)
    kubelet.inject("single", "evict")
    record = run(pipe(project, "one"), stack, api_url)
    assert record.status is Status.COMPLETED
    name = job_name(record.run_id, "single")
    assert [p.killed or p.returncode for p in kubelet.pods_of(name)][-1] == 0
    assert len(kubelet.pods_of(name)) == 2


def test_setup_failure_is_not_retried(
    tmp_path, moto_url, api_url, project, cluster, tmp_path_factory
):
    from tests.runtime.kubernetes.conftest import PIPES

    stale = tmp_path_factory.mktemp("stale-image")
    (stale / "k8s_demo_pipes.py").write_text(PIPES.replace('return "ok"', 'return "ok!"'))
    stack = k8s_stack(tmp_path, moto_url)
    with kube_fakes.FakeKubelet(cluster, stale, {"AWS_ENDPOINT_URL_STS": moto_url}) as node:
        record = run(
            pipe(project, "retrying"),
            stack,
            api_url,
            parameters={"marker": str(tmp_path / "m")},
            raise_on_failure=False,
        )
        pods = node.pods_of(job_name(record.run_id, "flaky"))
    flaky = record.steps["flaky"]
    assert flaky.status is Status.FAILED
    assert "differs from the code the run was started with" in flaky.error.message
    assert [p.returncode for p in pods] == [2], "retries=1, but a setup error is final"


def test_retry_delay_is_honoured_between_pods(tmp_path, moto_url, api_url, project, kubelet):
    stack = k8s_stack(tmp_path, moto_url)
    marker = tmp_path / "marker"
    record = run(
        pipe(project, "retrying_later"), stack, api_url, parameters={"marker": str(marker)}
    )
    assert record.status is Status.COMPLETED
    assert record.steps["flaky_slow"].attempts == 2
    assert load_output(stack, record.run_id, "flaky_slow") >= 3.0, "retry_delay=3 waited"


def test_private_image_with_pull_secret_in_a_restricted_namespace(
    tmp_path, moto_url, api_url, project, cluster
):
    cluster.add_namespace("secure", {"pod-security.kubernetes.io/enforce": "restricted"})
    cluster.add_service_account(
        "secure", SERVICE_ACCOUNT, {kube_fakes.IRSA_ROLE: "arn:aws:iam::1:role/r"}
    )
    cluster.add_secret("secure", "registry-auth", {".dockerconfigjson": "{}"})
    stack = k8s_stack(tmp_path, moto_url, namespace="secure", image_pull_secrets=["registry-auth"])
    with kube_fakes.FakeKubelet(
        cluster, project, {"AWS_ENDPOINT_URL_STS": moto_url}, private_images=(f"{REGISTRY}:v1",)
    ) as node:
        record = _bounded(lambda: run(pipe(project, "one"), stack, api_url))
    assert record.status is Status.COMPLETED
    container = next(iter(node.jobs.values()))["spec"]["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "Always"  # a tag can move


def test_in_cluster_service_account_over_tls(tmp_path, moto_url, project, cluster, monkeypatch):
    from kubernetes.config import incluster_config

    from tests.runtime import kube_api

    cert, key = kube_api.self_signed(tmp_path)
    token = tmp_path / "token"
    token.write_text("t-pod")
    cluster.add_user("t-pod", "system:serviceaccount:ml-steps:orchestrator", ALL_BUT_JOB_STATUS)
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(cert))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    monkeypatch.delenv("PROVISIONER_KUBERNETES_API_SERVER", raising=False)
    with kube_api.serve(cluster, tls=(cert, key)) as url:
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", url.rsplit(":", 1)[1])
        stack = k8s_stack(tmp_path, moto_url)  # its kube_context is for laptops
        with kube_fakes.FakeKubelet(cluster, project, {"AWS_ENDPOINT_URL_STS": moto_url}):
            record = run(pipe(project, "one"), stack, None, options={"api_server": None})
    assert record.status is Status.COMPLETED
    assert url.startswith("https://")
