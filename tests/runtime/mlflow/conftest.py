"""Fixtures: the session's real MLflow server, and stacks whose components use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.stackconfig import ComponentConnection, StackConfig
from tests.runtime.conftest import make_stack


def mlflow_stack(root: Path, service, *, deployer: bool = False) -> StackConfig:
    """A local stack with the mlflow tracker and registry (and deployer) on ``service``."""
    uri = service.tracking_uri
    extra = {
        "experiment_tracker": ComponentConnection(flavor="mlflow", config={"tracking_uri": uri}),
        "model_registry": ComponentConnection(flavor="mlflow", config={"tracking_uri": uri}),
    }
    if deployer:
        extra["model_deployer"] = ComponentConnection(
            flavor="mlflow",
            config={
                "tracking_uri": uri,
                "venv": service.venv,
                "service_dir": str(root / "deployer"),
                "start_timeout": 240,
            },
        )
    return make_stack("local", root=root, extra=extra)


@pytest.fixture
def stack(tmp_path, mlflow_service):
    return mlflow_stack(tmp_path, mlflow_service)


@pytest.fixture
def client(mlflow_service):
    from mlflow.tracking import MlflowClient

    return MlflowClient(mlflow_service.tracking_uri)


def cli(*args: str):
    """Run the real ``provisioner`` app in-process; the click Result (stderr kept apart)."""
    from typer.testing import CliRunner

    from provisioner.cli.app import app

    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # click >= 8.2 always keeps them apart
        runner = CliRunner()
    return runner.invoke(app, list(args), catch_exceptions=False)


def cli_json(*args: str):
    """``cli(*args, "--json")``, checked to exit 0, its stdout decoded."""
    import json

    result = cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)
