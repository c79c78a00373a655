"""How the kubernetes orchestrator fails to find its cluster: a missing kubeconfig context, or
an in-cluster environment without a service account token (the working kubeconfig, exec-plugin
and in-cluster TLS paths run against the fake API server in tests/runtime/kubernetes/)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from provisioner.catalog.types import ComponentType
from provisioner.runtime import load_pipeline, run_pipeline
from provisioner.runtime.orchestrators.kubernetes import (
    ENV_API_SERVER,
    KubernetesOrchestratorError,
)
from provisioner.runtime.stores import open_store
from provisioner.stackconfig import ComponentConnection, StackConfig
from tests.runtime.conftest import make_stack

pytestmark = pytest.mark.slow

CONTEXT = "arn:aws:eks:us-east-1:123456789012:cluster/demo"
PIPES = """
from provisioner.runtime import pipeline, step

@step
def double(n: int) -> int:
    return 2 * n

@pipeline
def doubling(n: int = 21):
    double(n)
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("k8s-config-project")
    (root / "k8s_config_pipes.py").write_text(PIPES)
    return root


@pytest.fixture(autouse=True)
def kubeconfig(monkeypatch, tmp_path) -> Path:
    """This test's kubeconfig file, where the client looks by default; no in-cluster
    environment, no API server override."""
    from kubernetes.config import kube_config

    for var in (ENV_API_SERVER, "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "kubeconfig"
    monkeypatch.setenv("KUBECONFIG", str(path))
    # The client reads $KUBECONFIG once, when first imported: point it at this test's file.
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))
    return path


def k8s_stack(tmp_path: Path, moto_url: str, **config) -> StackConfig:
    stack = make_stack("s3", root=tmp_path, endpoint=moto_url)
    stack.components[ComponentType.ORCHESTRATOR] = ComponentConnection(
        flavor="kubernetes",
        config={
            "cluster_name": "demo",
            "kube_context": CONTEXT,
            "aws": {"region": "us-east-1"},
            "namespace": "ml-steps",
            "service_account": "provisioner-runner",
            "image": "registry.example/steps:v1",
            "pin_image_digest": False,  # no registry here; pinning: kubernetes/test_image_digest
            **config,
        },
    )
    return stack


def run(project: Path, stack: StackConfig):
    pipe = load_pipeline(f"{project / 'k8s_config_pipes.py'}:doubling")
    return run_pipeline(pipe, stack, orchestrator_options={"poll_interval": 0.05})


def write_kubeconfig(path: Path, server: str, token: str) -> None:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "demo", "cluster": {"server": server}}],
                "users": [{"name": "demo", "user": {"token": token}}],
                "contexts": [
                    {"name": CONTEXT, "context": {"cluster": "demo", "user": "demo"}},
                    {"name": "elsewhere", "context": {"cluster": "demo", "user": "nobody"}},
                ],
                "current-context": "elsewhere",  # the stack names its own context
            }
        )
    )


@pytest.mark.parametrize("has_file", [False, True])
def test_a_missing_kube_context_is_a_clear_error_naming_the_fix(
    tmp_path, moto_url, project, kubeconfig, has_file
):
    if has_file:  # a kubeconfig for other clusters only
        write_kubeconfig(kubeconfig, "http://127.0.0.1:9", "t")
        text = kubeconfig.read_text().replace(CONTEXT, "arn:aws:eks:us-east-1:1:cluster/other")
        kubeconfig.write_text(text)
    stack = k8s_stack(tmp_path, moto_url)
    with pytest.raises(
        KubernetesOrchestratorError, match=f"no usable kubeconfig context {CONTEXT}"
    ) as info:
        run(project, stack)
    assert "aws eks update-kubeconfig --name demo --region us-east-1" in info.value.hint
    assert not list(open_store(stack).list_keys("runs")), "nothing recorded"


def test_a_missing_gke_context_names_the_connections_credentials_command(
    tmp_path, moto_url, project, kubeconfig
):
    command = "gcloud container clusters get-credentials demo --location europe-west4 --project p"
    stack = k8s_stack(
        tmp_path, moto_url, kube_context="gke_p_europe-west4_demo", credentials_command=command
    )
    with pytest.raises(KubernetesOrchestratorError, match="gke_p_europe-west4_demo") as info:
        run(project, stack)
    assert f"`{command}`" in info.value.hint


def test_in_cluster_without_a_service_account_token_is_a_clear_error(
    tmp_path, moto_url, project, monkeypatch
):
    from kubernetes.config import incluster_config

    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(tmp_path / "no-token"))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "6443")
    stack = k8s_stack(tmp_path, moto_url)
    with pytest.raises(KubernetesOrchestratorError, match="in-cluster service account") as info:
        run(project, stack)
    assert "token" in str(info.value) and "KUBERNETES_SERVICE_HOST" in info.value.hint
    assert not list(open_store(stack).list_keys("runs")), "nothing recorded"
