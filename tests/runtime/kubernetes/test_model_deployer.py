"""The kubernetes model deployer: its Deployment and Service against the strict fake API, and
real ``mlflow models serve`` pods run by the fake kubelet, rolled to a new version with no gap,
predicted through the API server's proxy to the Service."""

from __future__ import annotations

import threading
import time

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.errors import NotFoundError, OperationError
from provisioner.runtime import connect
from provisioner.runtime.mlflow import kube_manifests as km
from provisioner.stackconfig import ComponentConnection
from tests.runtime.kubernetes.conftest import NAMESPACE, REGISTRY, SERVICE_ACCOUNT, k8s_stack

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]


def _args(**kw) -> km.ServerArgs:
    base = dict(
        name="Iris_Model",
        namespace=NAMESPACE,
        image="registry.example/serve:v1",
        version="3",
        artifact_hash="a" * 64,
        stack_json="{}",
        service_account=SERVICE_ACCOUNT,
        cpu="250m",
        memory="512Mi",
    )
    base.update(kw)
    return km.ServerArgs(**base)


def _apis(url: str):
    from kubernetes import client

    cfg = client.Configuration()
    cfg.host = url
    api = client.ApiClient(cfg)
    return client.AppsV1Api(api), client.CoreV1Api(api)


def test_manifests_pass_the_api_servers_checks_and_carry_the_config(cluster, api_url):
    apps, core = _apis(api_url)
    args = _args()
    dep, svc = km.deployment(args), km.service(args)
    apps.create_namespaced_deployment(NAMESPACE, dep, field_validation="Strict")
    core.create_namespaced_service(NAMESPACE, svc, field_validation="Strict")
    name = km.kube_name("Iris_Model")
    assert name.startswith("model-iris-model-") and len(name) <= 63
    stored = cluster.get("deployments", NAMESPACE, name)
    spec = stored["spec"]
    assert spec["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == SERVICE_ACCOUNT
    (cont,) = pod["containers"]
    assert cont["resources"] == {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"memory": "512Mi"},
    }
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert cont[probe]["httpGet"] == {"path": "/health", "port": "http"}
    env = {e["name"]: e for e in cont["env"]}
    assert env[km.ENV_MODEL_HASH]["value"] == "a" * 64
    assert env[km.ENV_POD_IP]["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    # the Service selects exactly the Deployment's pods
    assert svc["spec"]["selector"] == spec["selector"]["matchLabels"]
    labels = spec["template"]["metadata"]["labels"]
    assert all(labels[k] == v for k, v in svc["spec"]["selector"].items())
    assert labels[km.VERSION_LABEL] == "3"


def test_the_fake_api_rejects_what_a_real_one_rejects(cluster, api_url):
    from kubernetes.client.exceptions import ApiException

    apps, core = _apis(api_url)
    args = _args()
    bad = km.deployment(args)
    bad["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] = "web"
    with pytest.raises(ApiException) as info:
        apps.create_namespaced_deployment(NAMESPACE, bad)
    assert info.value.status == 422 and "readinessProbe.httpGet.port" in info.value.body
    apps.create_namespaced_deployment(NAMESPACE, km.deployment(args))
    name = km.kube_name(args.name)
    old = apps.read_namespaced_deployment(name, NAMESPACE)
    new = km.deployment(_args(version="4"))
    # no resourceVersion: refused; a stale one: conflict; a new selector: immutable
    with pytest.raises(ApiException) as info:
        apps.replace_namespaced_deployment(name, NAMESPACE, new)
    assert info.value.status == 422
    new["metadata"]["resourceVersion"] = "1"
    with pytest.raises(ApiException) as info:
        apps.replace_namespaced_deployment(name, NAMESPACE, new)
    assert info.value.status == 409
    moved = km.deployment(_args(version="4"))
    moved["metadata"]["resourceVersion"] = old.metadata.resource_version
    moved["spec"]["selector"]["matchLabels"]["extra"] = "x"
    moved["spec"]["template"]["metadata"]["labels"]["extra"] = "x"
    with pytest.raises(ApiException) as info:
        apps.replace_namespaced_deployment(name, NAMESPACE, moved)
    assert info.value.status == 422 and "spec.selector" in info.value.body
    new["metadata"]["resourceVersion"] = old.metadata.resource_version
    done = apps.replace_namespaced_deployment(name, NAMESPACE, new)
    assert done.metadata.generation == 2
    # a Service's cluster IP cannot change
    core.create_namespaced_service(NAMESPACE, km.service(args))
    svc = km.service(args)
    got = core.read_namespaced_service(name, NAMESPACE)
    svc["metadata"]["resourceVersion"] = got.metadata.resource_version
    svc["spec"]["clusterIP"] = "10.96.9.9"
    with pytest.raises(ApiException) as info:
        core.replace_namespaced_service(name, NAMESPACE, svc)
    assert info.value.status == 422 and "clusterIP" in info.value.body


def _model(c: float):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    x, y = load_iris(return_X_y=True)
    return LogisticRegression(C=c, max_iter=300).fit(x, y)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_deploy_predict_roll_with_no_gap_logs_and_stop(
    tmp_path, cluster, api_url, kubelet, moto_url, mlflow_service
):
    stack = k8s_stack(tmp_path, moto_url)
    uri = mlflow_service.tracking_uri
    stack.components[ComponentType.MODEL_REGISTRY] = ComponentConnection(
        flavor="mlflow", config={"tracking_uri": uri}
    )
    stack.components[ComponentType.MODEL_DEPLOYER] = ComponentConnection(
        flavor="kubernetes",
        config={
            "api_server": api_url,
            "image": ":v1",
            "cpu": "100m",
            "memory": "1Gi",
            "start_timeout": 240,
        },
    )
    comps = connect(stack)
    name = f"kiris-{tmp_path.name[-8:]}".lower().replace("_", "-")
    comps.model_registry.register(name, _model(1.0))
    deployer = comps.model_deployer

    first = deployer.deploy(name, version=1)
    assert (first.version, first.status) == ("1", "running")
    assert first.url == f"http://{km.kube_name(name)}.{NAMESPACE}.svc.cluster.local:80"
    assert deployer.predict(name, ROWS) == [0, 2]
    (pod,) = cluster.items("pods", NAMESPACE)
    assert pod["spec"]["serviceAccountName"] == SERVICE_ACCOUNT  # it read the model from S3
    assert "model server: model" in deployer.logs(name)

    # the same version again: nothing changes
    generation = cluster.get("deployments", NAMESPACE, km.kube_name(name))["metadata"]
    assert deployer.deploy(name, version=1).version == "1"
    after = cluster.get("deployments", NAMESPACE, km.kube_name(name))["metadata"]
    assert after["generation"] == generation["generation"]

    # a new version rolls in while calls keep coming: none fails
    comps.model_registry.register(name, _model(0.01))
    errors: list[str] = []
    answers: list = []
    stop = threading.Event()

    def call() -> None:
        while not stop.is_set():
            try:
                answers.append(deployer.predict(name, ROWS))
            except Exception as exc:  # every failure is a gap
                errors.append(repr(exc))

    caller = threading.Thread(target=call)
    caller.start()
    try:
        second = deployer.deploy(name, version=2)
    finally:
        stop.set()
        caller.join(60)
    assert second.version == "2" and second.status == "running"
    assert not errors, errors[:3]
    assert len(answers) > 3
    pods = cluster.items("pods", NAMESPACE)
    assert [p["metadata"]["labels"][km.VERSION_LABEL] for p in pods] == ["2"]
    assert [d.name for d in deployer.list()] == [name]

    # an image that cannot be pulled: deploy fails naming it, the old pods keep serving
    broken = stack.model_copy(deep=True)
    broken.components[ComponentType.MODEL_DEPLOYER].config["image"] = ":missing"
    kubelet.missing_images.add(f"{REGISTRY}:missing")
    with pytest.raises(OperationError, match="ImagePull"):
        connect(broken).model_deployer.deploy(name, version=1)
    assert deployer.predict(name, ROWS) == answers[-1]
    assert deployer.get(name).version == "2"

    deployer.stop(name)
    assert cluster.get("deployments", NAMESPACE, km.kube_name(name)) is None
    assert cluster.get("services", NAMESPACE, km.kube_name(name)) is None
    with pytest.raises(NotFoundError):
        deployer.get(name)


def test_the_proxy_answers_503_without_ready_pods(cluster, api_url):
    _, core = _apis(api_url)
    core.create_namespaced_service(NAMESPACE, km.service(_args()))
    from kubernetes.client.exceptions import ApiException

    with pytest.raises(ApiException) as info:
        core.connect_get_namespaced_service_proxy_with_path(
            f"{km.kube_name('Iris_Model')}:http", NAMESPACE, "health"
        )
    assert info.value.status == 503


SERVER = """
import os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
flag = sys.argv[1]
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        self.send_response(200 if os.path.exists(flag) else 500)
        self.end_headers()
HTTPServer((os.environ["POD_IP"], 8080), H).serve_forever()
"""


def _wait(check, timeout: float = 20.0):
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_fake_kubelet_probes_deployment_pods_and_restarts_a_dead_one(
    tmp_path, cluster, api_url, kubelet
):
    import sys

    script, flag = tmp_path / "server.py", tmp_path / "healthy"
    script.write_text(SERVER)
    dep = km.deployment(_args())
    cont = dep["spec"]["template"]["spec"]["containers"][0]
    cont["command"] = [sys.executable, str(script), str(flag)]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        cont[probe]["failureThreshold"] = 2
    apps, _ = _apis(api_url)
    apps.create_namespaced_deployment(NAMESPACE, dep)

    def pod():
        pods = cluster.items("pods", NAMESPACE)
        return pods[0] if pods and pods[0]["status"].get("containerStatuses") else None

    got = _wait(pod)
    assert got["status"]["podIP"].startswith("127.0.1.")
    time.sleep(0.5)  # probes fail: not ready, not counted available
    assert got["status"]["containerStatuses"][0]["ready"] is False
    assert (
        cluster.get("deployments", NAMESPACE, km.kube_name("Iris_Model"))["status"][
            "availableReplicas"
        ]
        == 0
    )
    flag.write_text("ok")
    _wait(lambda: got["status"]["containerStatuses"][0]["ready"])
    flag.unlink()  # liveness fails twice in a row: the container is killed and restarted
    _wait(lambda: pod() and pod()["status"]["containerStatuses"][0]["restartCount"] >= 1)


def test_the_runners_rights_are_not_enough_and_the_error_names_what_is(
    tmp_path, moto_url, api_url, cluster, monkeypatch
):
    import json

    from provisioner.runtime.mlflow.deployer import deployment_key
    from provisioner.runtime.orchestrators.kubernetes import KubernetesAccessError
    from provisioner.runtime.stores import open_store
    from tests.runtime.kubernetes.test_failures import ALL_BUT_JOB_STATUS, _kubeconfig

    cluster.add_user("t-runner", "system:serviceaccount:ml-steps:runner", ALL_BUT_JOB_STATUS)
    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path, api_url, token="t-runner")))
    stack = k8s_stack(tmp_path, moto_url, kube_context="demo")
    stack.components[ComponentType.MODEL_DEPLOYER] = ComponentConnection(
        flavor="kubernetes", config={}
    )
    record = {
        "name": "iris",
        "model": "iris",
        "version": "1",
        "flavor": "kubernetes",
        "namespace": NAMESPACE,
        "kube_name": km.kube_name("iris"),
        "url": km.url("iris", NAMESPACE),
    }
    open_store(stack).put_bytes(deployment_key("iris"), json.dumps(record).encode())
    with pytest.raises(KubernetesAccessError, match=r"\(403\)") as info:
        connect(stack).model_deployer.stop("iris")
    assert "deployments (apps) create" in info.value.hint
    assert "services/proxy create" in info.value.hint
