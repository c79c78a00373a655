"""End to end: the kubernetes connection the azure-recipe emits, fed to the orchestrator
against the project's fake Kubernetes API, with the cluster set up as the recipe's bootstrap
sets it up (namespace, workload-identity service account, the runner Role bound to the stack
user identity) and the credentials ``az aks get-credentials`` + ``kubelogin`` give: an exec
plugin that prints a token, no token in any file."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from provisioner.catalog.types import Cloud, ComponentType
from provisioner.recipes.azure.flavors import AKSOrchestratorConfig
from provisioner.recipes.azure.kubernetes import AzureKubernetesOrchestrator
from provisioner.runtime import Status, load_output, load_pipeline, run_pipeline
from provisioner.stackconfig import ComponentConnection
from tests.recipes.azure import harness
from tests.runtime import kube_api, kube_fakes
from tests.runtime.conftest import make_stack

pytestmark = pytest.mark.slow  # starts the fake API and runs step processes

PIPES = """
import os
from provisioner.runtime import pipeline, step

@step
def who() -> str:
    return os.environ.get("AZURE_CLIENT_ID", "") + "|" + os.environ.get("AWS_REGION", "")

@pipeline
def identity():
    who()
"""
RBAC = "kubernetes:rbac.authorization.k8s.io/v1:"


@pytest.fixture(scope="module")
def recipe():
    """The recipe's run under the mocks: its connection and its in-cluster objects."""
    ctx = harness.make_ctx()

    def program():
        harness.build_storage(ctx)
        comp = AzureKubernetesOrchestrator(
            "ml-orchestrator", AKSOrchestratorConfig(private_cluster=True), ctx
        )
        ctx.components[ComponentType.ORCHESTRATOR] = comp
        return comp

    return harness.run(program)


def _bootstrapped(r: harness.Run) -> tuple[kube_api.FakeCluster, dict[str, list]]:
    """A fake cluster holding the recipe's namespace and service account; the rights its
    RoleBinding gives each subject, from its Role's rules."""
    cluster = kube_api.FakeCluster(anonymous_admin=False)
    ns = r.one("kubernetes:core/v1:Namespace").inputs["metadata"]["name"]
    cluster.add_namespace(ns)
    sa = r.one("kubernetes:core/v1:ServiceAccount").inputs["metadata"]
    cluster.add_service_account(sa["namespace"], sa["name"], sa["annotations"])
    role = r.one(f"{RBAC}Role").inputs
    binding = r.one(f"{RBAC}RoleBinding").inputs
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    rights = [
        (role["metadata"]["namespace"], resource, verb)
        for rule in role["rules"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    ]
    return cluster, {s["name"]: rights for s in binding["subjects"]}


def _kubelogin(tmp_path: Path, api_url: str, cluster_name: str, token: str) -> Path:
    """The kubeconfig `az aks get-credentials` + `kubelogin convert-kubeconfig -l azurecli`
    write (its server pointed at the fake), with a stand-in kubelogin printing ``token``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "kubelogin"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "status": {"token": token},
    }
    script.write_text(f"#!{sys.executable}\nprint({json.dumps(json.dumps(credential))})\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": str(script),
            "args": ["get-token", "--login", "azurecli", "--server-id", "x"],
            "interactiveMode": "Never",
        }
    }
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": {"server": api_url}}],
        "users": [{"name": f"clusterUser_{cluster_name}", "user": user}],
        "contexts": [
            {
                "name": cluster_name,
                "context": {"cluster": cluster_name, "user": f"clusterUser_{cluster_name}"},
            }
        ],
        "current-context": cluster_name,
    }
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(config))
    return path


def _stack(tmp_path: Path, connection: dict):
    stack = make_stack("local", root=tmp_path)
    stack = stack.model_copy(update={"cloud": Cloud.AZURE})
    stack.components[ComponentType.ORCHESTRATOR] = ComponentConnection(
        flavor="kubernetes", config={**connection, "pin_image_digest": False}
    )
    return stack


def test_the_stack_user_runs_a_pipeline_with_the_recipes_connection(recipe, tmp_path, monkeypatch):
    cluster, rights = _bootstrapped(recipe)
    user = recipe.one(harness.IDENTITY, "ml-orchestrator-user-identity").outputs["principalId"]
    runner = recipe.one(harness.IDENTITY, "ml-orchestrator-runner-identity").outputs["clientId"]
    cluster.add_user("t-user", user, rights[user])
    project = tmp_path / "project"
    project.mkdir()
    (project / "aks_pipes.py").write_text(PIPES)
    connection = recipe.connections["main"]
    with kube_api.serve(cluster) as url, kube_fakes.FakeKubelet(cluster, project):
        kubeconfig = _kubelogin(tmp_path, url, connection["kube_context"], "t-user")
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        stack = _stack(tmp_path, connection)
        record = run_pipeline(
            load_pipeline(f"{project / 'aks_pipes.py'}:identity"),
            stack,
            orchestrator_options={"poll_interval": 0.02, "image": "steps:v1", "keep_jobs": True},
        )
    assert record.status is Status.COMPLETED, record
    (job,) = cluster.items("jobs", "provisioner")
    pod = job["spec"]["template"]
    assert pod["spec"]["serviceAccountName"] == "provisioner-runner"
    assert pod["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    # The step ran as the runner identity (the webhook's AZURE_CLIENT_ID), with no AWS region.
    assert load_output(stack, record.run_id, "who") == f"{runner}|"


def test_someone_the_binding_does_not_name_is_refused_before_the_run(recipe, tmp_path, monkeypatch):
    from provisioner.runtime.orchestrators.kubernetes import KubernetesAccessError

    cluster, _ = _bootstrapped(recipe)
    cluster.add_user("t-other", "someone-else", [])
    project = tmp_path / "project"
    project.mkdir()
    (project / "aks_pipes.py").write_text(PIPES)
    connection = recipe.connections["main"]
    with kube_api.serve(cluster) as url:
        monkeypatch.setenv(
            "KUBECONFIG", str(_kubelogin(tmp_path, url, connection["kube_context"], "t-other"))
        )
        with pytest.raises(KubernetesAccessError, match="lack these rights"):
            run_pipeline(
                load_pipeline(f"{project / 'aks_pipes.py'}:identity"),
                _stack(tmp_path, connection),
                orchestrator_options={"poll_interval": 0.02, "image": "steps:v1"},
            )


def test_without_credentials_the_hint_is_the_connections_command(recipe, tmp_path, monkeypatch):
    from provisioner.runtime.orchestrators.kube_client import KubernetesOrchestratorError

    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    project = tmp_path / "project"
    project.mkdir()
    (project / "aks_pipes.py").write_text(PIPES)
    connection = recipe.connections["main"]
    with pytest.raises(KubernetesOrchestratorError) as info:
        run_pipeline(
            load_pipeline(f"{project / 'aks_pipes.py'}:identity"),
            _stack(tmp_path, connection),
            orchestrator_options={"image": "steps:v1"},
        )
    assert connection["credentials_command"] in (info.value.hint or "")
