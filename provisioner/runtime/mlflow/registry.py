"""The MLflow model registry: models stored as provisioner artifacts, versions in MLflow."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provisioner.errors import NotFoundError, UserInputError
from provisioner.runtime.components.registry import ModelRegistry, ModelVersion
from provisioner.runtime.mlflow.client import (
    ARTIFACT_HASH_TAG,
    ARTIFACT_URI_TAG,
    METADATA_PREFIX,
    PIPELINE_TAG,
    RUN_ID_TAG,
    STEP_TAG,
    is_already_there,
    mlflow_client,
)
from provisioner.runtime.mlflow.models import MLflowModelSerializer


def source_uri(artifact_uri: str) -> str:
    """The MLflow source of a model stored at ``artifact_uri``.

    A remote store's URI (``s3://...``) is used as is. MLflow's server refuses a local path
    as a source unless it lies in the run's own artifact folder, so a local store's path is
    written ``provisioner-file://<path>`` (the artifact URI is also tagged on the version).
    """
    if "://" in artifact_uri and not artifact_uri.startswith("file://"):
        return artifact_uri
    path = artifact_uri.removeprefix("file://")
    return f"provisioner-file://{Path(path).as_posix()}"


def _version(mv: Any) -> ModelVersion:
    tags = dict(mv.tags or {})
    created = (
        datetime.fromtimestamp(mv.creation_timestamp / 1000, UTC).isoformat()
        if mv.creation_timestamp
        else None
    )
    return ModelVersion(
        name=mv.name,
        version=str(mv.version),
        uri=tags.get(ARTIFACT_URI_TAG, mv.source),
        artifact_hash=tags.get(ARTIFACT_HASH_TAG, ""),
        aliases=tuple(sorted(getattr(mv, "aliases", None) or ())),
        metadata={
            k.removeprefix(METADATA_PREFIX): v
            for k, v in tags.items()
            if k.startswith(METADATA_PREFIX)
        },
        run_id=mv.run_id or None,
        created_at=created,
    )


class MLflowModelRegistry(ModelRegistry):
    """Registers versions in the MLflow registry of the connection's ``tracking_uri``.

    The model itself is an artifact in the stack's artifact store (an MLflow model folder,
    content-hashed like every step output); the MLflow version points at it.
    """

    def __init__(self, connection: Any, stack: Any) -> None:
        super().__init__(connection, stack)
        self.tracking_uri: str = str(
            self.config.get("registry_uri") or self.config.get("tracking_uri") or ""
        )
        self._client: Any = None
        self._io: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_connection(cls, connection: Any, stack: Any) -> MLflowModelRegistry:
        if not (connection.config.get("tracking_uri") or connection.config.get("registry_uri")):
            raise UserInputError(
                f"stack {stack.name!r}: the model_registry's connection has no tracking_uri"
            )
        return cls(connection, stack)

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = mlflow_client(self.tracking_uri)
            return self._client

    @property
    def io(self) -> Any:
        """The stack's artifact store, as the runtime reads and writes it."""
        with self._lock:
            if self._io is None:
                from provisioner.runtime.artifacts import ArtifactIO
                from provisioner.runtime.runner import download_dir
                from provisioner.runtime.stores import open_store

                self._io = ArtifactIO(open_store(self.stack), download_dir(self.stack))
            return self._io

    def register(
        self, name: str, model: Any, metadata: dict[str, Any] | None = None
    ) -> ModelVersion:
        from provisioner.runtime.context import _current

        client = self.client  # imports mlflow (the serializer needs it)
        ctx = _current.get()
        producer: dict[str, Any] = {"model": name}
        tags = {f"{METADATA_PREFIX}{k}": str(v) for k, v in (metadata or {}).items()}
        mlflow_run = None
        if ctx is not None:
            producer.update(run_id=ctx.run_id, step=ctx.step)
            tags.update({RUN_ID_TAG: ctx.run_id, PIPELINE_TAG: ctx.pipeline, STEP_TAG: ctx.step})
            mlflow_run = self._tracker_run(ctx)
        ref = self.io.save(model, MLflowModelSerializer(), producer)
        tags.update({ARTIFACT_URI_TAG: ref.uri, ARTIFACT_HASH_TAG: ref.hash})
        try:
            client.create_registered_model(name)
        except Exception as exc:
            if not is_already_there(exc):
                raise
        mv = client.create_model_version(
            name, source=source_uri(ref.uri), run_id=mlflow_run, tags=tags
        )
        return _version(mv)

    @staticmethod
    def _tracker_run(ctx: Any) -> str | None:
        """The step's MLflow run, when the stack's tracker records this run."""
        tracker = (ctx.components.built() if ctx.components else {}).get("experiment_tracker")
        runs = getattr(tracker, "_step_runs", None)
        return runs.get((ctx.run_id, ctx.step)) if runs else None

    def list_models(self) -> list[str]:
        return sorted(m.name for m in self.client.search_registered_models())

    def list_versions(self, name: str) -> list[ModelVersion]:
        found = self.client.search_model_versions(f"name = '{_quote(name)}'")
        versions = [_version(self.client.get_model_version(name, mv.version)) for mv in found]
        return sorted(versions, key=lambda v: int(v.version), reverse=True)

    def get(
        self, name: str, version: str | int | None = None, alias: str | None = None
    ) -> ModelVersion:
        if version is not None and alias is not None:
            raise UserInputError("give a version or an alias, not both")
        try:
            if alias is not None:
                return _version(self.client.get_model_version_by_alias(name, alias))
            if version is None:
                versions = self.list_versions(name)
                if not versions:
                    raise NotFoundError(f"model {name!r} has no versions in {self.tracking_uri}")
                return versions[0]
            return _version(self.client.get_model_version(name, str(version)))
        except NotFoundError:
            raise
        except Exception as exc:
            if getattr(exc, "error_code", "") in (
                "RESOURCE_DOES_NOT_EXIST",
                "INVALID_PARAMETER_VALUE",
            ):
                what = f"alias {alias!r}" if alias is not None else f"version {version}"
                raise NotFoundError(
                    f"model {name!r} has no {what} in {self.tracking_uri}",
                    hint=f"`provisioner model versions {name}` lists them",
                ) from None
            raise

    def set_alias(self, name: str, version: str | int, alias: str) -> ModelVersion:
        self.get(name, version=version)
        self.client.set_registered_model_alias(name, alias, str(version))
        return self.get(name, version=version)

    def local_path(
        self, name: str, version: str | int | None = None, alias: str | None = None
    ) -> Path:
        """A verified local copy of the version's MLflow model folder."""
        from provisioner.runtime.artifacts import StoredFiles

        mv = self.get(name, version=version, alias=alias)
        if not mv.artifact_hash:
            raise UserInputError(
                f"model {name!r} version {mv.version} was not registered by provisioner "
                "(it has no artifact hash tag)"
            )
        manifest = self.io.manifest(mv.artifact_hash)
        return StoredFiles(self.io, mv.artifact_hash, manifest).local_path(None)

    def load(self, name: str, version: str | int | None = None, alias: str | None = None) -> Any:
        from provisioner.runtime.artifacts import StoredFiles

        self.client  # noqa: B018 - imports mlflow, with the install hint if it is missing
        mv = self.get(name, version=version, alias=alias)
        manifest = self.io.manifest(mv.artifact_hash)
        files = StoredFiles(self.io, mv.artifact_hash, manifest)
        return MLflowModelSerializer().load(files, manifest.get("metadata", {}))


def _quote(name: str) -> str:
    return name.replace("'", "\\'")
