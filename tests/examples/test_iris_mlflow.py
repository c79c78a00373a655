"""The README's MLflow example, end to end on a real MLflow server and model server."""

from __future__ import annotations

import pytest

from examples.iris_mlflow import iris
from provisioner.recipes.local.providers import process
from provisioner.runtime import connect, run_pipeline
from tests.runtime.mlflow.conftest import mlflow_stack

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # a real server starts in the first


def test_train_track_register_deploy_predict(tmp_path, mlflow_service):
    from mlflow.tracking import MlflowClient

    stack = mlflow_stack(tmp_path, mlflow_service, deployer=True)
    try:
        run = run_pipeline(iris, stack, parameters={"c": 0.5})
        assert run.status == "completed"
        predictions = connect(stack).model_deployer.predict("iris", [[5.1, 3.5, 1.4, 0.2]])
        assert predictions == [0]
        client = MlflowClient(mlflow_service.tracking_uri)
        found = client.search_runs(
            [run.tracking["experiment_id"]],
            f"tags.`provisioner.run_id` = '{run.run_id}' and tags.`provisioner.step` = "
            "'train_and_register'",
        )
        assert found[0].data.metrics["accuracy"] > 0.9
        assert found[0].data.params["C"] == "0.5"
        version = connect(stack).model_registry.get("iris", alias="latest-trained")
        assert float(version.metadata["accuracy"]) > 0.9
    finally:
        for deployment in connect(stack).model_deployer.list():
            process.stop_process(deployment.details.get("pid"), group=True)
