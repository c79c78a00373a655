"""The fake API server and controllers are as strict as a real cluster: what a real one
rejects, refuses or breaks, they do too (through the real Kubernetes client)."""

from __future__ import annotations

import copy
import sys
import time

import pytest

from tests.runtime import kube_fakes
from tests.runtime.kubernetes.conftest import NAMESPACE, ROLE_ARN, SERVICE_ACCOUNT


def _job(name: str = "probe", command: list[str] | None = None, **spec) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": {"app": "probe"}},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"labels": {"app": "probe"}},
                "spec": {
                    "restartPolicy": "Never",
                    "serviceAccountName": SERVICE_ACCOUNT,
                    "containers": [
                        {
                            "name": "step",
                            "image": "registry.example/probe:v1",
                            "command": command or [sys.executable, "-c", "print('hi')"],
                        }
                    ],
                },
            },
            **spec,
        },
    }


@pytest.fixture
def batch(api_url):
    from kubernetes import client

    cfg = client.Configuration()
    cfg.host = api_url
    cfg.retries = False
    api = client.ApiClient(cfg)
    return client.BatchV1Api(api), client.CoreV1Api(api)


def _refused(call, status: int):
    from kubernetes.client.exceptions import ApiException

    with pytest.raises(ApiException) as info:
        call()
    assert info.value.status == status, info.value.body
    return info.value


def _broken(mutate) -> dict:
    job = _job()
    mutate(job)
    return job


def _pod(job: dict) -> dict:
    return job["spec"]["template"]["spec"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda j: j["metadata"].update(name="Probe"), "metadata.name: Invalid value"),
        (lambda j: j["metadata"].update(name="p" * 90), "no more than 63 characters"),
        (lambda j: j["metadata"]["labels"].update({"bad key!": "x"}), "metadata.labels"),
        (lambda j: j["metadata"]["labels"].update({"k": "v" * 64}), "63 characters or less"),
        (lambda j: _pod(j).update(restartPolicy="Always"), "Unsupported value: 'Always'"),
        (lambda j: j["spec"].update(backoffLimit=-1), "spec.backoffLimit"),
        (lambda j: _pod(j)["containers"][0].update(image=""), "image: Required value"),
        (
            lambda j: _pod(j)["containers"][0].update(resources={"requests": {"cpu": "lots"}}),
            "quantities",
        ),
        (
            lambda j: j["spec"].update(
                podFailurePolicy={
                    "rules": [
                        {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [0]}}
                    ]
                }
            ),
            "0 is not allowed",
        ),
    ],
)
def test_invalid_jobs_are_rejected_as_invalid(batch, mutate, expected):
    jobs, _ = batch
    error = _refused(lambda: jobs.create_namespaced_job(NAMESPACE, _broken(mutate)), 422)
    assert expected in error.body


def _post(api_url: str, job: dict, query: str = "") -> tuple[int, str, dict]:
    """A create as a client without its own validation sends it (kubectl, curl)."""
    import json
    import urllib.error
    import urllib.request

    url = f"{api_url}/apis/batch/v1/namespaces/{NAMESPACE}/jobs{query}"
    req = urllib.request.Request(url, json.dumps(job).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=10) as resp:
            return resp.status, resp.read().decode(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def test_unknown_fields_fail_strict_validation_and_warn_otherwise(api_url, cluster):
    job = _job()
    job["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = "Always"  # a typo
    code, body, _ = _post(api_url, job, "?fieldValidation=Strict")
    assert code == 400
    assert 'unknown field \\"spec.template.spec.containers[0].imagePolicy\\"' in body
    assert cluster.get("jobs", NAMESPACE, "probe") is None
    code, _, headers = _post(api_url, job)  # the default only warns, as a real server does
    assert code == 201 and "imagePolicy" in headers["Warning"]
    assert cluster.get("jobs", NAMESPACE, "probe") is not None
    del job["spec"]["template"]["spec"]["containers"][0]["name"]
    job["metadata"]["name"] = "unnamed"
    code, body, _ = _post(api_url, job)
    assert code == 422 and "containers[0].name" in body


def test_missing_namespace_duplicates_and_dry_runs(batch, cluster):
    jobs, _ = batch
    error = _refused(lambda: jobs.create_namespaced_job("nowhere", _job()), 404)
    assert 'namespaces \\"nowhere\\" not found' in error.body
    assert jobs.list_namespaced_job("nowhere").items == []  # a list is just empty
    jobs.create_namespaced_job(NAMESPACE, _job(), dry_run="All")
    assert cluster.get("jobs", NAMESPACE, "probe") is None, "a dry run stores nothing"
    jobs.create_namespaced_job(NAMESPACE, _job())
    _refused(lambda: jobs.create_namespaced_job(NAMESPACE, _job()), 409)


def test_rbac_keeps_jobs_status_and_pods_log_apart(api_url, cluster):
    from kubernetes import client

    cluster.add_user("t", "runner", [(NAMESPACE, "jobs", "*"), (NAMESPACE, "pods", "list")])
    cfg = client.Configuration()
    cfg.host, cfg.api_key, cfg.retries = api_url, {"authorization": "Bearer t"}, False
    api = client.ApiClient(cfg)
    jobs, core = client.BatchV1Api(api), client.CoreV1Api(api)
    jobs.create_namespaced_job(NAMESPACE, _job())
    assert jobs.read_namespaced_job("probe", NAMESPACE).metadata.name == "probe"
    error = _refused(lambda: jobs.read_namespaced_job_status("probe", NAMESPACE), 403)
    assert 'cannot get resource \\"jobs/status\\" in API group \\"batch\\"' in error.body
    _refused(lambda: core.read_namespaced_pod_log("probe-x", NAMESPACE), 403)
    _refused(lambda: jobs.list_namespaced_job("other"), 403)
    cfg.api_key = {"authorization": "Bearer wrong"}
    _refused(lambda: client.BatchV1Api(client.ApiClient(cfg)).list_namespaced_job(NAMESPACE), 401)


def test_faults_429_with_retry_after_5xx_slow_and_outage(batch, cluster):
    from urllib3.exceptions import HTTPError

    jobs, _ = batch
    cluster.fail("GET .*/jobs", 429, retry_after=3)
    error = _refused(lambda: jobs.list_namespaced_job(NAMESPACE), 429)
    assert error.headers["Retry-After"] == "3"
    cluster.fail("GET .*/jobs", 503)
    _refused(lambda: jobs.list_namespaced_job(NAMESPACE), 503)
    cluster.fail("GET .*/jobs", 0, delay=0.3)
    t0 = time.monotonic()
    jobs.list_namespaced_job(NAMESPACE)
    assert time.monotonic() - t0 >= 0.3
    cluster.outage(0.3)
    with pytest.raises(HTTPError):
        jobs.list_namespaced_job(NAMESPACE)
    time.sleep(0.35)
    assert jobs.list_namespaced_job(NAMESPACE).items == []


def _wait(predicate, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("the fake cluster never got there")


def _events(cluster, name: str) -> list[str]:
    return [f"{e['reason']}: {e['message']}" for e in cluster.events_of(name)]


def test_pods_get_a_clean_environment_with_irsa_variables(batch, cluster, tmp_path, monkeypatch):
    jobs, core = batch
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "host-secret")
    code = "import os; print(sorted(os.environ)); print(os.environ.get('AWS_ROLE_ARN'))"
    with kube_fakes.FakeKubelet(cluster, tmp_path):
        jobs.create_namespaced_job(NAMESPACE, _job(command=[sys.executable, "-c", code]))
        _wait(lambda: cluster.get("jobs", NAMESPACE, "probe")["status"].get("succeeded"))
        [pod] = core.list_namespaced_pod(NAMESPACE, label_selector="job-name=probe").items
        log = core.read_namespaced_pod_log(pod.metadata.name, NAMESPACE)
    assert ROLE_ARN in log
    assert "AWS_SECRET_ACCESS_KEY" not in log and "AWS_ACCESS_KEY_ID" not in log
    assert "AWS_WEB_IDENTITY_TOKEN_FILE" in log


def test_admission_refuses_pods_with_failed_create(batch, cluster, tmp_path):
    jobs, _ = batch
    cluster.add_namespace("secure", {"pod-security.kubernetes.io/enforce": "restricted"})
    cluster.add_service_account("secure", SERVICE_ACCOUNT)
    cluster.quotas[NAMESPACE] = ["limits.cpu"]
    with kube_fakes.FakeKubelet(cluster, tmp_path):
        jobs.create_namespaced_job("secure", _job())
        jobs.create_namespaced_job(NAMESPACE, _job())
        _wait(lambda: _events(cluster, "probe") and len(cluster.events_of("probe")) >= 2)
    text = " ".join(_events(cluster, "probe"))
    assert 'violates PodSecurity "restricted:latest"' in text
    assert "allowPrivilegeEscalation != false" in text
    assert "failed quota: compute: must specify limits.cpu" in text
    assert cluster.items("pods") == []


@pytest.mark.parametrize(
    ("kind", "reason", "condition"),
    [
        ("oom", "OOMKilled", None),
        ("evict", "Error", "DisruptionTarget"),
        ("node-lost", "Error", "DisruptionTarget"),
    ],
)
def test_scenarios_end_pods_as_the_cluster_would(batch, cluster, tmp_path, kind, reason, condition):
    jobs, core = batch
    job = _job(command=[sys.executable, "-c", "import time; time.sleep(30)"])
    job["spec"]["template"]["metadata"]["labels"]["provisioner.dev/step"] = "probe"
    with kube_fakes.FakeKubelet(cluster, tmp_path) as node:
        node.inject("probe", kind)
        jobs.create_namespaced_job(NAMESPACE, job)
        status = _wait(lambda: jobs.read_namespaced_job("probe", NAMESPACE).status.conditions)
    assert status[-1].type == "Failed" and status[-1].reason == "BackoffLimitExceeded"
    [pod] = core.list_namespaced_pod(NAMESPACE).items
    term = pod.status.container_statuses[0].state.terminated
    assert (term.exit_code, term.reason) == (137, reason)
    conditions = {c.type for c in pod.status.conditions}
    assert (condition in conditions) if condition else ("DisruptionTarget" not in conditions)


def test_image_pull_errors_back_off_and_unschedulable_pods_stay_pending(batch, cluster, tmp_path):
    jobs, core = batch
    big = _job("big")
    big["spec"]["template"]["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "64"},
    }
    with kube_fakes.FakeKubelet(cluster, tmp_path, missing_images=("registry.example/probe:v1",)):
        jobs.create_namespaced_job(NAMESPACE, _job())
        jobs.create_namespaced_job(NAMESPACE, big)

        def waiting():
            pods = core.list_namespaced_pod(NAMESPACE, label_selector="job-name=probe").items
            statuses = pods and pods[0].status.container_statuses
            return statuses and statuses[0].state.waiting.reason == "ImagePullBackOff"

        _wait(waiting)
        _wait(lambda: any("FailedScheduling" in e for e in _events_all(cluster)))
    [pod] = core.list_namespaced_pod(NAMESPACE, label_selector="job-name=big").items
    assert pod.status.phase == "Pending"
    assert pod.status.conditions[0].reason == "Unschedulable"
    assert "Insufficient cpu" in pod.status.conditions[0].message


def _events_all(cluster) -> list[str]:
    return [f"{e['reason']}: {e['message']}" for e in cluster.items("events")]


def test_ttl_deletes_finished_jobs_and_their_pods(batch, cluster, tmp_path):
    jobs, _ = batch
    job = copy.deepcopy(_job())
    job["spec"]["ttlSecondsAfterFinished"] = 0
    with kube_fakes.FakeKubelet(cluster, tmp_path) as node:
        jobs.create_namespaced_job(NAMESPACE, job)
        _wait(lambda: node.pods and node.pods[0].ended)
        _wait(lambda: cluster.get("jobs", NAMESPACE, "probe") is None)
        _wait(lambda: cluster.items("pods") == [])
