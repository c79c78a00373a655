"""Golden manifests: the Job generated for each orchestrator config is the checked-in one,
and the strict fake API server accepts it. Regenerate with PROVISIONER_UPDATE_GOLDEN=1."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from provisioner.errors import UserInputError
from provisioner.runtime import Resources
from provisioner.runtime.errors import PipelineDefinitionError
from provisioner.runtime.orchestrators.kube_manifest import StepJob, job_manifest
from provisioner.runtime.orchestrators.kube_settings import pod_settings
from provisioner.runtime.step import step
from tests.runtime.kube_rules import validate_job

GOLDEN = Path(__file__).parents[2] / "fixtures" / "kubernetes"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-steps:v1"

#: The orchestrator configs a stack config can carry: name -> (cloud, config, resources).
CONFIGS = {
    # what aws-recipe's kubernetes orchestrator writes into the stack config
    "aws-recipe": (
        "aws",
        {
            "cluster_name": "demo",
            "endpoint": "https://ABC.gr7.us-east-1.eks.amazonaws.com",
            "kube_context": "arn:aws:eks:us-east-1:123456789012:cluster/demo",
            "namespace": "provisioner",
            "service_account": "provisioner-runner",
            "credentials_command": "aws eks update-kubeconfig --name demo --region us-east-1",
            "aws": {
                "region": "us-east-1",
                "service_account_role_arn": "arn:aws:iam::123456789012:role/demo-steps",
            },
        },
        None,
    ),
    # a GPU step on tainted nodes, secrets by reference, a private registry, a quota; written
    # by hand with ``region`` at the top, where stack configs had it before it moved to ``aws``
    "aws-gpu-private": (
        "aws",
        {
            "region": "eu-west-1",
            "namespace": "ml",
            "service_account": "trainer",
            "image_pull_secrets": ["registry-auth"],
            "secret_env": {"WANDB_API_KEY": "wandb/api-key"},
            "env_from_secrets": ["shared-env"],
            "pod_labels": {"team": "ml"},
            "pod_annotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"},
            "node_selector": {"kubernetes.io/os": "linux"},
            "gpu_node_selector": {"accelerator": "nvidia"},
            "gpu_tolerations": [
                {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
            ],
            "default_resources": {"cpu": "250m", "memory": "512Mi"},
            "active_deadline_seconds": 7200,
            "ttl_seconds_after_finished": 600,
        },
        Resources(cpu=4, memory="16Gi", gpu=1),
    ),
    # AKS with workload identity: the pod label the webhook looks for
    "azure-workload-identity": (
        "azure",
        {"namespace": "pipelines", "service_account": "runner"},
        Resources(cpu="1", memory="2Gi", memory_limit="4Gi", cpu_limit="2"),
    ),
}


def _manifest(name: str) -> dict:
    cloud, config, resources = CONFIGS[name]
    pod = pod_settings(config, IMAGE, cloud)
    return job_manifest(
        pod,
        StepJob(
            name="prov-train-0123456789ab",
            run_id="training-20250101-000000-abcdef",
            step="train",
            stack="demo",
            pipeline="training",
            store_uri="s3://demo-artifacts/runs",
            target="pipes:training",
            stack_json='{"name": "demo"}',
            retries=2,
            resources=resources,
        ),
    )


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_job_matches_the_golden_manifest(name, monkeypatch):
    monkeypatch.delenv("PROVISIONER_POD_NAME", raising=False)
    manifest = _manifest(name)
    path = GOLDEN / f"{name}.json"
    if os.environ.get("PROVISIONER_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    assert manifest == json.loads(path.read_text())
    namespace = manifest["metadata"]["namespace"]
    assert validate_job(json.loads(json.dumps(manifest)), namespace) == [], "no unknown field"


def test_bad_config_values_are_clear_errors():
    with pytest.raises(UserInputError, match="'tolerations': expected list"):
        pod_settings({"tolerations": {"key": "x"}}, IMAGE, "aws")
    with pytest.raises(UserInputError, match="'pending_timeout'"):
        from provisioner.runtime.orchestrators.kube_settings import watch_settings

        watch_settings({"pending_timeout": "soon"})


def test_step_resources_are_typed_and_checked():
    @step(resources=Resources(cpu="500m", memory="1Gi", gpu=1))
    def fine() -> int:
        return 1

    assert fine.options.resources == Resources(cpu="500m", memory="1Gi", gpu=1)

    def body() -> int:
        return 1

    with pytest.raises(PipelineDefinitionError, match="not a Kubernetes quantity"):
        step(resources=Resources(memory="1 GB"))(body)
    with pytest.raises(PipelineDefinitionError, match="gpu must be a whole number"):
        step(resources=Resources(gpu=-1))(body)
    with pytest.raises(PipelineDefinitionError, match="must be a Resources"):
        step(resources={"cpu": 1})(body)
