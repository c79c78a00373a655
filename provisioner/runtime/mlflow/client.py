"""The MLflow client the MLflow flavors share: imported lazily, telemetry off."""

from __future__ import annotations

import os
from typing import Any

from provisioner.runtime.components.base import import_sdk

#: Tags MLflow runs and model versions get from provisioner.
RUN_ID_TAG = "provisioner.run_id"
PIPELINE_TAG = "provisioner.pipeline"
STACK_TAG = "provisioner.stack"
STEP_TAG = "provisioner.step"
STATUS_TAG = "provisioner.status"
ARTIFACT_URI_TAG = "provisioner.artifact_uri"
ARTIFACT_HASH_TAG = "provisioner.artifact_hash"
METADATA_PREFIX = "metadata."


#: HTTP retry settings for the MLflow client, unless the environment sets them.
RETRY_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}


def mlflow_client(tracking_uri: str) -> Any:
    """An ``MlflowClient`` for ``tracking_uri`` (and its registry).

    A SageMaker managed MLflow server (an ``arn:`` URI) needs the ``sagemaker-mlflow`` auth
    plugin, which the ``mlflow-aws`` integration installs.

    Raises:
        MissingIntegrationError: mlflow (or the SageMaker plugin) is not installed.
    """
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    # MLflow's defaults retry a refused connection 7 times with doubling waits (about 4
    # minutes): an unreachable tracking server would hold every run that long. Three quick
    # retries ride out a restart; set the variables to choose otherwise.
    for var, value in RETRY_DEFAULTS.items():
        os.environ.setdefault(var, value)
    import_sdk("mlflow", "mlflow")
    if tracking_uri.startswith("file:"):
        # `backend: file` chose MLflow's file store, which MLflow 3 keeps in maintenance
        # mode and refuses unless told otherwise
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    if tracking_uri.startswith("arn:"):
        import_sdk("sagemaker_mlflow", "mlflow-aws")
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def is_already_there(exc: Exception) -> bool:
    """Whether an MLflow error says the entity exists (a concurrent create won)."""
    return getattr(exc, "error_code", "") == "RESOURCE_ALREADY_EXISTS"


def web_url(tracking_uri: str, experiment_id: str, run_id: str | None = None) -> str | None:
    """The MLflow UI page of an experiment or run, for an ``http(s)`` server."""
    if not tracking_uri.startswith(("http://", "https://")):
        return None
    base = f"{tracking_uri.rstrip('/')}/#/experiments/{experiment_id}"
    return f"{base}/runs/{run_id}" if run_id else base
