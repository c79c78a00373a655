"""The annotator label_studio on aws: its recipe under mocks, and its manifests on the strict
fake Kubernetes API (tests/runtime/kube_api.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes.aws.annotator import AWSLabelStudio
from provisioner.recipes.aws.flavors import EKSOrchestratorConfig, KubernetesLabelStudioConfig
from provisioner.recipes.aws.kubernetes import AWSKubernetesOrchestrator
from provisioner.recipes.aws.label_studio_manifests import (
    LabelStudioManifestArgs,
    deployment,
    service,
    volume_claim,
)
from tests.recipes.aws import harness
from tests.runtime import kube_api

NAMESPACE = "ml-steps"
K8S = "kubernetes:"


def build(**config):
    ctx = harness.make_ctx()

    def program():
        harness.build_storage(ctx, registry=False)
        orchestrator = AWSKubernetesOrchestrator(
            "demo-orchestrator",
            EKSOrchestratorConfig(public_access_cidrs=["203.0.113.0/24"], namespace=NAMESPACE),
            ctx,
        )
        ctx.components[ComponentType.ORCHESTRATOR] = orchestrator
        annotator = AWSLabelStudio("demo-annotator", KubernetesLabelStudioConfig(**config), ctx)
        return {"orchestrator": orchestrator, "annotator": annotator}

    return harness.run(program, connections=lambda r: {"annotator": r["annotator"]})


@pytest.fixture(scope="module")
def r():
    return build(storage_class="gp3")


def test_invariants(r):
    harness.check_all(r)


def test_objects_in_the_stack_namespace_on_the_cluster_provider(r):
    comp = r.one("provisioner:aws:LabelStudio")
    k8s = [x for x in r.under(comp) if x.type.startswith(K8S)]
    assert sorted(x.type for x in k8s) == [
        "kubernetes:apps/v1:Deployment",
        "kubernetes:core/v1:PersistentVolumeClaim",
        "kubernetes:core/v1:Secret",
        "kubernetes:core/v1:Service",
    ]
    provider = r.one("pulumi:providers:kubernetes")
    for obj in k8s:
        assert obj.inputs["metadata"]["namespace"] == NAMESPACE
        assert obj.provider.startswith(provider.urn), obj.name
    claim = r.one("kubernetes:core/v1:PersistentVolumeClaim")
    assert claim.inputs["spec"]["storageClassName"] == "gp3"
    deploy = r.one("kubernetes:apps/v1:Deployment")
    pod = deploy.inputs["spec"]["template"]["spec"]
    assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == "label-studio"
    secret_env = {
        e["name"]: e["valueFrom"]["secretKeyRef"]
        for e in pod["containers"][0]["env"]
        if "valueFrom" in e
    }
    assert secret_env["LABEL_STUDIO_USER_TOKEN"] == {"name": "label-studio-admin", "key": "token"}
    assert r.one("kubernetes:core/v1:Secret").inputs["metadata"]["name"] == "label-studio-admin"
    assert r.one("pulumi-python:dynamic/provisioner:GeneratedCredentials")


def test_connection_names_the_token_variable(r):
    assert r.connections["annotator"] == {
        "url": f"http://label-studio.{NAMESPACE}.svc.cluster.local:8080",
        "token_env": "LABEL_STUDIO_API_KEY",
        "namespace": NAMESPACE,
        "service": "label-studio",
    }
    assert r.connection_is_secret == {"annotator": False}


def test_needs_the_kubernetes_orchestrator():
    ctx = harness.make_ctx()

    def program():
        return AWSLabelStudio("demo-annotator", KubernetesLabelStudioConfig(), ctx)

    with pytest.raises(Exception, match="orchestrator of flavor 'kubernetes'") as err:
        harness.run(program)
    assert isinstance(err.value, UserInputError) or "UserInputError" in repr(err.value)


# --- the manifests on the fake API server ----------------------------------------------------


@pytest.fixture
def api():
    from kubernetes import client

    cluster = kube_api.FakeCluster()
    cluster.add_namespace(NAMESPACE)
    with kube_api.serve(cluster) as url:
        config = client.Configuration(host=url)
        with client.ApiClient(config) as api_client:
            yield cluster, client.CoreV1Api(api_client), client.AppsV1Api(api_client), url


ARGS = LabelStudioManifestArgs(
    name="label-studio", namespace=NAMESPACE, image="example/ls:1", secret_name="ls-admin"
)


def test_manifests_are_accepted_by_the_api_server(api):
    cluster, core, apps, _ = api
    strict = {"field_validation": "Strict"}
    core.create_namespaced_secret(
        NAMESPACE,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "ls-admin"},
            "stringData": {"username": "a@b", "password": "p", "token": "t"},
        },
        **strict,
    )
    core.create_namespaced_persistent_volume_claim(NAMESPACE, volume_claim(ARGS), **strict)
    apps.create_namespaced_deployment(NAMESPACE, deployment(ARGS), **strict)
    core.create_namespaced_service(NAMESPACE, service(ARGS), **strict)

    stored = cluster.get("deployments", NAMESPACE, "label-studio")
    selector = stored["spec"]["selector"]["matchLabels"]
    assert selector.items() <= stored["spec"]["template"]["metadata"]["labels"].items()
    assert cluster.get("services", NAMESPACE, "label-studio")["spec"]["selector"] == selector
    assert cluster.get("persistentvolumeclaims", NAMESPACE, "label-studio")
    container = stored["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["COLLECT_ANALYTICS"] == "false" and env["LATEST_VERSION_CHECK"] == "false"
    assert env["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] == "true"
    assert "LABEL_STUDIO_PASSWORD" in env and env["LABEL_STUDIO_PASSWORD"] is None  # from Secret


def test_the_fake_api_server_refuses_what_a_real_one_would(api):
    from kubernetes.client.exceptions import ApiException

    _, core, apps, url = api
    broken = deployment(ARGS)
    broken["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] = "other"
    with pytest.raises(ApiException) as err:
        apps.create_namespaced_deployment(NAMESPACE, broken)
    assert err.value.status == 422 and "does not match template" in err.value.body
    typo = service(ARGS)
    typo["spec"]["ports"][0]["targetPort"] = "Not_A_Port_Name"
    with pytest.raises(ApiException) as err:
        core.create_namespaced_service(NAMESPACE, typo)
    assert err.value.status == 422
    claim = volume_claim(ARGS)
    claim["spec"]["acessModes"] = claim["spec"].pop("accessModes")  # the client would refuse it
    request = urllib.request.Request(
        f"{url}/api/v1/namespaces/{NAMESPACE}/persistentvolumeclaims?fieldValidation=Strict",
        data=json.dumps(claim).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as http:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10)
    assert http.value.code == 400 and "acessModes" in http.value.read().decode()
