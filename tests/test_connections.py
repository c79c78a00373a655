"""A stack config is checked on load: each component's connection against its flavor's model."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from provisioner.catalog.registry import registry
from provisioner.cli.app import app
from provisioner.connections import connection_model
from provisioner.program import COMPONENTS_OUTPUT, build_program
from provisioner.spec.loader import load_stack

runner = CliRunner()

PIPELINE = """
from provisioner.runtime import pipeline, step


@step
def one() -> int:
    return 1


@pipeline
def tiny():
    one()
"""


def run(*args: str, code: int = 0):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture
def hand_off(tmp_path):
    """The exported stack config of a deployed local-recipe, to edit by hand."""
    run("stack", "deploy", "local-recipe", "--yes")
    path = tmp_path / "stack.yaml"
    run("stack", "export", "local", "-o", str(path))
    return path


def _edit(path, type_, **config):
    data = yaml.safe_load(path.read_text())
    data["components"][type_]["config"].update(config)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _line_of(path, key: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if f"{key}:" in line)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("abc", "valid integer"), (0, "greater than or equal to 1"), (True, "valid integer")],
)
def test_a_bad_max_workers_stops_the_run_with_file_line_and_field(
    hand_off, tmp_path, value, expected
):
    _edit(hand_off, "orchestrator", max_workers=value)
    pipes = tmp_path / "pipes.py"
    pipes.write_text(PIPELINE)
    result = run("pipeline", "run", f"{pipes}:tiny", "--stack", str(hand_off), code=2)
    flat = " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert f"{hand_off}:{_line_of(hand_off, 'max_workers')}:" in flat
    assert "components.orchestrator.config.max_workers" in flat and expected in flat


def test_an_unknown_connection_field_is_an_error(hand_off):
    _edit(hand_off, "artifact_store", urii="/tmp/x")
    result = run("stack", "describe", str(hand_off), code=2)
    flat = " ".join(result.stderr.split())
    assert "components.artifact_store.config.urii" in flat and "not a known field" in flat


def test_the_exported_file_loads_and_runs_as_written(hand_off, tmp_path):
    pipes = tmp_path / "pipes.py"
    pipes.write_text(PIPELINE)
    run("pipeline", "run", f"{pipes}:tiny", "--stack", str(hand_off))


def _aws_config(tmp_path, components: dict) -> str:
    data = {
        "schema_version": 1,
        "name": "ml",
        "cloud": "aws",
        "location": {"region": "eu-west-1"},
        "components": components,
        "provenance": {
            "recipe": "aws-recipe",
            "definition": "aws-recipe",
            "engine": "pulumi",
            "state": "file:///x",
            "deployed_at": "2026-01-01T00:00:00Z",
        },
    }
    path = tmp_path / "aws.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.mark.parametrize("key", ["webhook_secret", "webhook_secret_arn"])
def test_a_pasted_webhook_is_refused_and_never_echoed(tmp_path, key):
    """Under the key's name, or its name before it moved (the model moves it first)."""
    hook = "https://hooks.slack.com/services/T000/B000/SECRETSECRET"
    path = _aws_config(tmp_path, {"alerter": {"flavor": "slack", "config": {key: hook}}})
    result = run("stack", "describe", path, code=2)
    assert "components.alerter.config.webhook_secret" in " ".join(result.stderr.split())
    assert "SECRETSECRET" not in result.stderr + result.stdout


def test_a_flavor_from_another_cloud_is_checked_by_its_name(tmp_path):
    path = _aws_config(
        tmp_path,
        {
            "orchestrator": {"flavor": "local", "config": {"max_workers": "abc"}},
            "artifact_store": {"flavor": "s3", "config": {"uri": "s3://b/p"}},
        },
    )
    result = run("stack", "describe", path, code=2)
    assert "components.orchestrator.config.max_workers" in " ".join(result.stderr.split())


@pytest.mark.parametrize(
    "flavor",
    [f for f in registry().all() if f.source == "builtin"],
    ids=lambda f: f"{f.cloud}-{f.type}-{f.name}",
)
def test_every_builtin_flavor_declares_its_connection(flavor):
    assert flavor.connection_model is not None
    assert connection_model(flavor.type, flavor.name, flavor.cloud) is flavor.connection_model


def test_the_aws_recipes_export_connections_that_fit_their_models():
    from provisioner.catalog.flavor import validate_data
    from tests.recipes.aws import harness

    stack = load_stack("aws-recipe")
    result = harness.run(build_program(stack), connections=lambda _: {})
    exported = result.stack_outputs[COMPONENTS_OUTPUT]
    for type_, comp in stack.components.items():
        validate_data(comp.flavor.connection_model, exported[str(type_)]["connection"])


def test_the_kubernetes_orchestrator_keys_the_readme_documents_load(tmp_path):
    """Every orchestrator option the README's Kubernetes table names fits the EKS connection."""
    options = {
        "poll_interval": 2,
        "pending_timeout": 600,
        "api_outage_limit": 300,
        "active_deadline_seconds": 86400,
        "ttl_seconds_after_finished": 86400,
        "keep_jobs": False,
        "max_parallel": 8,
        "request_timeout": 10,
        "pin_image_digest": True,
        "image_pull_policy": "IfNotPresent",
        "image_pull_secrets": ["regcred"],
        "secret_env": {"WANDB_API_KEY": "wandb/key"},
        "env_from_secrets": ["team-env"],
        "pod_labels": {"team": "ml"},
        "pod_annotations": {"owner": "ml"},
        "node_selector": {"pool": "cpu"},
        "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "affinity": {"nodeAffinity": {}},
        "gpu_node_selector": {"pool": "gpu"},
        "gpu_tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}],
        "default_resources": {"cpu": 1, "memory": "2Gi"},
        "run_as_user": 1000,
    }
    orchestrator = {
        "cluster_name": "ml",
        "region": "eu-west-1",
        "namespace": "provisioner",
        "service_account": "provisioner-runner",
        **options,
    }
    path = _aws_config(
        tmp_path,
        {
            "orchestrator": {"flavor": "kubernetes", "config": orchestrator},
            "artifact_store": {"flavor": "s3", "config": {"uri": "s3://b/p"}},
        },
    )
    run("stack", "describe", path)
    bad = _aws_config(
        tmp_path,
        {
            "orchestrator": {"flavor": "kubernetes", "config": {**orchestrator, "keep_jobs": "no"}},
            "artifact_store": {"flavor": "s3", "config": {"uri": "s3://b/p"}},
        },
    )
    result = run("stack", "describe", bad, code=2)
    assert "components.orchestrator.config.keep_jobs" in " ".join(result.stderr.split())
