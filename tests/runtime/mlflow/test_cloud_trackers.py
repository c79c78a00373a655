"""The gcp- and azure-recipes' mlflow tracker and registry are usable from a step.

The gcp-recipe's MLflow server runs in the stack's GKE cluster and its connection names it
by its cluster DNS name: a step in the cluster reaches it, a laptop does not, and is told to
port-forward and set ``PROVISIONER_MLFLOW_TRACKING_URI``. That path runs here against the
session's real MLflow server (the override standing for the port-forward) on a stack whose
artifact store is the GCS emulator. An AzureML workspace has no emulator: what is checked is
that its client asks for its auth plugin by the integration that installs it.
"""

from __future__ import annotations

import sys

import pytest

from provisioner.errors import UserInputError
from provisioner.runtime import connect, get_step_context, pipeline, run_pipeline, step
from provisioner.runtime.mlflow.client import TRACKING_URI_ENV
from provisioner.runtime.mlflow.registry import MLflowModelRegistry
from provisioner.runtime.mlflow.tracker import MLflowExperimentTracker
from provisioner.stackconfig import ComponentConnection
from tests.runtime.conftest import make_stack

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

IN_CLUSTER = "http://mlflow.provisioner-ml.svc.cluster.local:5000"
PORT_FORWARD = "kubectl --context gke_p_r_c -n provisioner-ml port-forward svc/mlflow 5000:5000"


def _gcp_mlflow(uri: str = IN_CLUSTER) -> dict:
    """An mlflow connection in the shape the gcp-recipe emits."""
    return {
        "tracking_uri": uri,
        "gcp": {
            "project": "p",
            "artifact_root": "gs://bucket/mlflow",
            "port_forward_command": PORT_FORWARD,
        },
    }


def _gcp_stack(tmp_path, gcs_url):
    tracker = _gcp_mlflow()
    extra = {
        "experiment_tracker": ComponentConnection(flavor="mlflow", config=tracker),
        "model_registry": ComponentConnection(
            flavor="mlflow", config={**tracker, "registry_uri": IN_CLUSTER}
        ),
    }
    return make_stack("gcs", root=tmp_path, endpoint=gcs_url, extra=extra)


@step
def fit() -> float:
    ctx = get_step_context()
    ctx.experiment_tracker.log_metrics({"accuracy": 0.9})
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    version = ctx.model_registry.register("gke-model", model)
    return float(version.version)


@pipeline
def tracked_on_gcp():
    fit()


def test_gcp_flavors_build_the_mlflow_clients(tmp_path, gcs_url):
    stack = _gcp_stack(tmp_path, gcs_url)
    assert stack.cloud == "gcp"
    connected = connect(stack)
    assert isinstance(connected.experiment_tracker, MLflowExperimentTracker)
    assert isinstance(connected.model_registry, MLflowModelRegistry)


def test_a_cluster_only_server_outside_its_cluster_says_how_to_reach_it(
    tmp_path, gcs_url, monkeypatch
):
    monkeypatch.delenv(TRACKING_URI_ENV, raising=False)
    stack = _gcp_stack(tmp_path, gcs_url)
    with pytest.raises(UserInputError) as caught:
        connect(stack).model_registry.list_versions("gke-model")
    message = str(caught.value)
    assert IN_CLUSTER in message
    assert "port_forward_command" in message
    assert TRACKING_URI_ENV in message


def test_a_gcp_stack_tracks_and_registers_through_the_port_forward(
    tmp_path, gcs_url, mlflow_service, monkeypatch
):
    monkeypatch.setenv(TRACKING_URI_ENV, mlflow_service.tracking_uri)
    stack = _gcp_stack(tmp_path, gcs_url)

    run = run_pipeline(tracked_on_gcp, stack)

    from mlflow.tracking import MlflowClient

    client = MlflowClient(mlflow_service.tracking_uri)
    parent = client.get_run(run.tracking["run_id"])
    assert parent.data.tags["provisioner.stack"] == stack.name
    assert parent.info.status == "FINISHED"
    versions = connect(stack).model_registry.list_versions("gke-model")
    assert versions and versions[-1].uri.startswith("gs://")


def test_an_azureml_uri_asks_for_its_plugin_by_integration(monkeypatch):
    from provisioner.integrations import MissingIntegrationError
    from provisioner.runtime.mlflow.client import mlflow_client

    monkeypatch.delenv(TRACKING_URI_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "azureml.mlflow", None)  # not installed
    with pytest.raises(MissingIntegrationError) as caught:
        mlflow_client("azureml://westeurope.api.azureml.ms/mlflow/v1.0/subscriptions/s")
    assert "provisioner integration install mlflow-azure" in str(caught.value.hint or caught.value)


def test_a_stack_with_an_azureml_tracker_names_the_plugin_before_it_runs(tmp_path, monkeypatch):
    from provisioner.integrations import MissingIntegrationError, require_for_stack

    monkeypatch.setattr("provisioner.integrations._find", lambda module: module != "azureml.mlflow")
    tracker = ComponentConnection(
        flavor="mlflow", config={"tracking_uri": "azureml://westeurope.api.azureml.ms/x"}
    )
    stack = make_stack("local", root=tmp_path, extra={"experiment_tracker": tracker})
    with pytest.raises(MissingIntegrationError) as caught:
        require_for_stack(stack)
    assert "provisioner integration install mlflow-azure" in str(caught.value.hint)
