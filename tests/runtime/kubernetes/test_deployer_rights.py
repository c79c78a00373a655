"""The kubernetes model deployer, in the cluster, with only the rights the stack's bootstrap
grants its runner service account: the Roles the aws recipe plans (under Pulumi's mocks)
become the fake API server's RBAC, and a deploy, predict, logs, roll-out and stop from the
in-cluster service account use every one of those rights and need no other."""

from __future__ import annotations

import re
from typing import Any

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.recipes.kube_runner import DEPLOYER_RULES
from provisioner.runtime import connect
from provisioner.runtime.orchestrators.kube_client import KubernetesAccessError
from provisioner.spec.models import ComponentSpec
from provisioner.stackconfig import ComponentConnection
from tests.runtime import kube_api, kube_fakes
from tests.runtime.kubernetes.conftest import NAMESPACE, SERVICE_ACCOUNT, k8s_stack
from tests.runtime.kubernetes.test_model_deployer import ROWS, _model

RBAC = "kubernetes:rbac.authorization.k8s.io/v1:"
RUNNER = f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}"


def _planned_roles(deployer: bool) -> Any:
    """The aws recipe's orchestrator under the mocks, in the fake cluster's namespace."""
    from provisioner.recipes.aws.flavors import EKSOrchestratorConfig
    from provisioner.recipes.aws.kubernetes import AWSKubernetesOrchestrator
    from tests.recipes.aws import harness

    ctx = harness.make_ctx()
    if deployer:
        ctx.spec.components[ComponentType.MODEL_DEPLOYER] = ComponentSpec(flavor="kubernetes")
    config = EKSOrchestratorConfig(
        public_access_cidrs=["203.0.113.0/24"],
        namespace=NAMESPACE,
        service_account=SERVICE_ACCOUNT,
    )

    def program():
        harness.build_storage(ctx)
        return AWSKubernetesOrchestrator("ml-orchestrator", config, ctx)

    return harness.run(program)


def service_account_rights(run: Any) -> set[tuple[str, str, str]]:
    """``(namespace, resource, verb)`` the planned RoleBindings give the runner service
    account, as the API server's RBAC would read the planned Roles."""
    roles = {
        (r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs["rules"]
        for r in run.of_type(f"{RBAC}Role")
    }
    rights = set()
    for binding in run.of_type(f"{RBAC}RoleBinding"):
        ns = binding.inputs["metadata"]["namespace"]
        wanted = {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}
        if wanted not in binding.inputs["subjects"]:
            continue
        assert binding.inputs["roleRef"]["kind"] == "Role"
        for rule in roles[(ns, binding.inputs["roleRef"]["name"])]:
            for resource in rule["resources"]:
                rights |= {(ns, resource, verb) for verb in rule["verbs"]}
    return rights


_PROXY = re.compile(r"/api/v1/namespaces/([^/]+)/services/[^/]+/proxy(/.*)?")
_OBJECT = re.compile(
    r"(?:/api/v1|/apis/apps/v1|/apis/batch/v1)/namespaces/([^/]+)/([a-z]+)(?:/([^/]+))?(?:/([a-z]+))?"
)


def used_rights(requests: list[tuple[str, str, int]]) -> set[tuple[str, str, str]]:
    """The ``(namespace, resource, verb)`` each request to the fake API needed."""
    used = set()
    for method, path, _ in requests:
        if m := _PROXY.fullmatch(path):
            used.add((m.group(1), "services/proxy", "create" if method == "POST" else "get"))
        elif m := _OBJECT.fullmatch(path):
            ns, resource, name, sub = m.groups()
            verb = {
                "GET": "get" if name else "list",
                "POST": "create",
                "PUT": "update",
                "PATCH": "patch",
                "DELETE": "delete" if name else "deletecollection",
            }[method]
            used.add((ns, resource + (f"/{sub}" if sub else ""), verb))
        else:
            raise AssertionError(f"unexpected request {method} {path}")
    return used


def test_only_a_stack_with_the_deployer_gives_its_service_account_the_rights():
    assert service_account_rights(_planned_roles(deployer=False)) == set()
    granted = service_account_rights(_planned_roles(deployer=True))
    assert granted == {
        (NAMESPACE, resource, verb)
        for rule in DEPLOYER_RULES
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def test_the_deployers_refusal_hint_names_exactly_the_granted_rights():
    from provisioner.runtime.mlflow.kube_deployer import RIGHTS_HINT

    listed = RIGHTS_HINT.split("grants: ", 1)[1].split(" (the stack", 1)[0]
    named = set()
    for part in listed.split("; "):
        what, verbs = re.fullmatch(r"([a-z/]+(?: \([a-z.]+\))?) ([a-z, ]+)", part).groups()
        named |= {(what, verb) for verb in verbs.split(", ")}
    assert named == {
        (resource + (f" ({group})" if group else ""), verb)
        for rule in DEPLOYER_RULES
        for group in rule["api_groups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_deployer_in_the_cluster_needs_exactly_the_granted_rights(
    tmp_path, moto_url, project, cluster, mlflow_service, monkeypatch
):
    from kubernetes.config import incluster_config

    granted = service_account_rights(_planned_roles(deployer=True))
    cert, key = kube_api.self_signed(tmp_path)
    token = tmp_path / "token"
    token.write_text("t-runner")
    cluster.add_user("t-runner", RUNNER, sorted(granted))
    # In the pod: the service account's token and the cluster's CA, no kubeconfig.
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(cert))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    monkeypatch.delenv("PROVISIONER_KUBERNETES_API_SERVER", raising=False)
    stack = k8s_stack(tmp_path, moto_url)
    stack.components[ComponentType.MODEL_REGISTRY] = ComponentConnection(
        flavor="mlflow", config={"tracking_uri": mlflow_service.tracking_uri}
    )
    stack.components[ComponentType.MODEL_DEPLOYER] = ComponentConnection(
        flavor="kubernetes",
        config={"image": ":v1", "cpu": "100m", "memory": "1Gi", "start_timeout": 240},
    )
    name = f"rbac-{tmp_path.name[-8:]}".lower().replace("_", "-")
    with kube_api.serve(cluster, tls=(cert, key)) as url:
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", url.rsplit(":", 1)[1])
        with kube_fakes.FakeKubelet(cluster, project, {"AWS_ENDPOINT_URL_STS": moto_url}):
            comps = connect(stack)
            comps.model_registry.register(name, _model(1.0))
            deployer = comps.model_deployer
            start = len(cluster.requests)
            assert deployer.deploy(name, version=1).status == "running"
            assert deployer.predict(name, ROWS) == [0, 2]
            assert "model server" in deployer.logs(name)
            comps.model_registry.register(name, _model(0.01))
            assert deployer.deploy(name, version=2).version == "2"  # replaces both objects
            # a right taken away: the call is refused, and the error names the deployer's rights
            cluster.grants[RUNNER].discard((NAMESPACE, "services/proxy", "create"))
            with pytest.raises(KubernetesAccessError, match=r"\(403\)") as info:
                deployer.predict(name, ROWS)
            assert "services/proxy create" in (info.value.hint or "")
            cluster.grants[RUNNER].add((NAMESPACE, "services/proxy", "create"))
            deployer.stop(name)
            requests = cluster.requests[start:]
    assert url.startswith("https://")
    refused = [r for r in requests if r[2] == 403]
    assert refused == [r for r in refused if "/proxy" in r[1]] and len(refused) == 1
    assert [r for r in requests if r[2] >= 400 and r[2] not in (403, 404)] == []
    # Least privilege: every granted right was used, and nothing else was asked for.
    assert used_rights(requests) == granted
