"""The MLflow client the MLflow flavors share: imported lazily, telemetry off."""

from __future__ import annotations

import os
import socket
from typing import Any
from urllib.parse import urlsplit

from provisioner.errors import UserInputError
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


#: Points the MLflow clients at another address of a stack's server (for instance the local
#: end of a ``kubectl port-forward`` to a server that only the cluster can reach).
TRACKING_URI_ENV = "PROVISIONER_MLFLOW_TRACKING_URI"


def reachable_uri(tracking_uri: str) -> str:
    """``tracking_uri``, or the address :data:`TRACKING_URI_ENV` gives for it.

    A server addressed by its cluster DNS name (``*.svc.cluster.local``, as the gcp-recipe's
    MLflow on GKE is) can be reached only from inside the cluster. Outside it, the name does
    not resolve, and this says what to do instead of letting every call time out.

    Raises:
        UserInputError: the URI is a cluster-internal name that this machine cannot resolve.
    """
    override = os.environ.get(TRACKING_URI_ENV)
    if override:
        return override
    host = urlsplit(tracking_uri).hostname or ""
    if tracking_uri.startswith(("http://", "https://")) and host.endswith(".svc.cluster.local"):
        try:
            socket.getaddrinfo(host, None)
        except OSError:
            raise UserInputError(
                f"the MLflow server {tracking_uri} is reachable only inside its cluster; "
                "from this machine, run the stack config's port_forward_command (under the "
                f"tracker's gcp: keys) and set {TRACKING_URI_ENV}=http://127.0.0.1:<port>"
            ) from None
    return tracking_uri


def mlflow_client(tracking_uri: str) -> Any:
    """An ``MlflowClient`` for ``tracking_uri`` (and its registry).

    A SageMaker managed MLflow server (an ``arn:`` URI) needs the ``sagemaker-mlflow`` auth
    plugin, which the ``mlflow-aws`` integration installs; an AzureML workspace (an
    ``azureml:`` URI) needs ``azureml-mlflow``, which the ``mlflow-azure`` integration
    installs. :func:`reachable_uri` applies first.

    Raises:
        MissingIntegrationError: mlflow (or the cloud's auth plugin) is not installed.
        UserInputError: the server's address cannot be reached from this machine.
    """
    tracking_uri = reachable_uri(tracking_uri)
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
    if tracking_uri.startswith("azureml:"):
        import_sdk("azureml.mlflow", "mlflow-azure")
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
