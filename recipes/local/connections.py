"""Local flavors' connection models: what a deploy writes into the stack config for each."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from provisioner.catalog.flavor import Connection

#: Steps the local orchestrator runs at once; the flavor config and the connection share it.
MaxWorkers = Annotated[int, Field(ge=1, le=256, description="Steps run at once at most.")]

AbsolutePath = Annotated[str, Field(min_length=1, max_length=4096)]


class LocalOrchestratorConnection(Connection):
    """``{"max_workers", "workspace"}``: how many steps run at once, and where."""

    max_workers: MaxWorkers = 4
    workspace: AbsolutePath | None = None


class LocalArtifactStoreConnection(Connection):
    """``{"uri"}``: the artifact directory (``path`` is read too, for hand-written files)."""

    uri: AbsolutePath | None = None
    path: AbsolutePath | None = None

    @model_validator(mode="after")
    def _has_a_location(self) -> LocalArtifactStoreConnection:
        if self.uri is None and self.path is None:
            raise ValueError("the artifact store needs 'uri' (its directory)")
        return self


class LocalContainerRegistryConnection(Connection):
    """``{"uri", "credentials_file"}``: ``127.0.0.1:PORT`` of the registry, and the file
    (mode 0600) that holds its credentials."""

    uri: Annotated[str, Field(min_length=1)]
    credentials_file: Annotated[str, Field(min_length=1)] | None = None


class LocalMLflowConnection(Connection):
    """``{"tracking_uri", "venv"}``: ``http://127.0.0.1:PORT`` of the MLflow server (or the
    ``file://`` URI of a file store), and the server's environment (it serves models too)."""

    tracking_uri: Annotated[str, Field(min_length=1)]
    venv: AbsolutePath | None = None


class LocalMLflowModelRegistryConnection(Connection):
    """``{"tracking_uri"}``: the stack's MLflow server, whose registry holds the versions."""

    tracking_uri: Annotated[str, Field(min_length=1)]


class LocalMLflowModelDeployerConnection(Connection):
    """``{"tracking_uri", "venv", "service_dir", "start_timeout"}``: the MLflow server, the
    environment model servers run from, the folder of their logs, and how long one has to
    become healthy."""

    tracking_uri: Annotated[str, Field(min_length=1)]
    venv: AbsolutePath
    service_dir: AbsolutePath
    start_timeout: Annotated[int, Field(ge=5, le=3600)] = 180


class LocalLabelStudioConnection(Connection):
    """``{"url", "token_env"}``: the Label Studio server, and the environment variable that
    holds its API token (the token itself is never in the stack config)."""

    url: Annotated[str, Field(min_length=1, pattern=r"^https?://")]
    token_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class FeastSqliteOnlineStore(Connection):
    """``{"type": "sqlite", "path"}``: the sqlite file of the online store."""

    type: Literal["sqlite"]
    path: AbsolutePath


class FeastFileOfflineStore(Connection):
    """``{"type": "file", "root"}``: the folder (in the artifact store) of the offline data."""

    type: Literal["file"]
    root: Annotated[str, Field(min_length=1)]


class LocalFeastConnection(Connection):
    """``{"project", "registry", "online_store", "offline_store"}``: where a Feast
    repository keeps its registry, online store and offline data."""

    project: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,64}$")]
    registry: AbsolutePath
    online_store: FeastSqliteOnlineStore
    offline_store: FeastFileOfflineStore


ImageStrategy = Annotated[
    str,
    Field(
        pattern="^(auto|append|buildah)$",
        description="append: layers pushed onto base_image over the OCI API; buildah: a "
        "Dockerfile; auto: append when the base's Python matches the running one.",
    ),
]


class LocalImageBuilderConnection(Connection):
    """``{"base_image", "strategy", "dockerfile", "repository"}``: how step images are built
    on this machine, with no Docker daemon."""

    base_image: Annotated[str, Field(min_length=1)]
    strategy: ImageStrategy = "auto"
    dockerfile: AbsolutePath | None = None
    repository: Annotated[str, Field(min_length=1, pattern="^[a-z0-9]+([._/-][a-z0-9]+)*$")] = (
        "steps"
    )
    platforms: list[str] | None = None
