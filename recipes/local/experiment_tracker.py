"""Recipe: an MLflow tracking server on 127.0.0.1 (or an MLflow file store in a directory)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError
from provisioner.recipes.local import paths
from provisioner.recipes.local.flavors import LocalMLflowConfig
from provisioner.recipes.local.providers.directory import LocalDirectory, LocalDirectoryArgs
from provisioner.recipes.local.providers.mlflow_server import (
    LocalMLflowServer,
    LocalMLflowServerArgs,
)

#: Folder of the artifact store the server writes run artifacts to.
ARTIFACTS_FOLDER = "mlflow"


@dataclass(frozen=True)
class LocalMLflowArgs:
    """Inputs of a LocalMLflow.

    Attributes:
        backend: ``server`` or ``file``.
        path: absolute directory of the file store (backend ``file``).
        force_destroy: let a destroy delete the file store while it holds runs.
        service_dir: absolute folder of the server's sqlite store, log and state.
        port: server port on 127.0.0.1; 0 picks a free one.
    """

    backend: str
    path: str
    force_destroy: bool = False
    service_dir: str = ""
    port: int = 0

    @classmethod
    def from_config(
        cls, config: LocalMLflowConfig, ctx: RecipeContext, name: str = ""
    ) -> LocalMLflowArgs:
        """Args from the flavor config; a file store defaults to ``<home>/mlruns/<stack>``,
        a server lives in ``<home>/services/<stack>/<name>``."""
        path = paths.resolve_dir(config.path, paths.mlruns_dir(ctx.spec.name), ctx.base_dir)
        service_dir = paths.resolve_dir(None, paths.service_dir(ctx.spec.name, name or "mlflow"))
        return cls(
            backend=config.backend,
            path=path,
            force_destroy=config.force_destroy,
            service_dir=service_dir,
            port=config.port,
        )


def tracking_uri(path: str) -> str:
    """The ``file://`` tracking URI of an absolute store directory."""
    return Path(path).as_uri()


def artifacts_destination(ctx: RecipeContext, name: str) -> Any:
    """``<artifact store>/mlflow``: where the server keeps run artifacts.

    Raises:
        UserInputError: the stack has no local artifact store.
    """
    store = ctx.components.get(ComponentType.ARTIFACT_STORE)
    directory = getattr(store, "directory", None)
    if directory is None:
        raise UserInputError(
            f"{name}: the mlflow experiment tracker (backend: server) needs an artifact_store "
            "of flavor 'local' (the server keeps run artifacts there)",
            hint="Add `artifact_store: {flavor: local}` to the stack definition.",
        )
    return directory.path.apply(lambda p: str(Path(p) / ARTIFACTS_FOLDER))


class LocalMLflow(pulumi.ComponentResource):
    """An MLflow tracking server, or a file store.

    Connection: ``{"tracking_uri": "http://127.0.0.1:<port>", "venv": "<server env>"}``, or
    ``{"tracking_uri": "file:///<absolute dir>"}`` for a file store.
    """

    TYPE = "provisioner:local:MLflow"

    def __init__(
        self,
        name: str,
        config: LocalMLflowConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.args = LocalMLflowArgs.from_config(config, ctx, name)
        self.server: LocalMLflowServer | None = None
        if self.args.backend == "file":
            self.store = LocalDirectory(
                f"{name}-store",
                LocalDirectoryArgs(
                    path=self.args.path,
                    purpose="MLflow store",
                    guard_data=True,
                    force_destroy=self.args.force_destroy,
                ),
                pulumi.ResourceOptions(parent=self),
            )
            self.connection: dict[str, Any] = {"tracking_uri": self.store.path.apply(tracking_uri)}
            self.register_outputs({"path": self.store.path, "connection": self.connection})
            return
        self.server = LocalMLflowServer(
            f"{name}-server",
            LocalMLflowServerArgs(
                service_dir=self.args.service_dir,
                artifacts_destination=artifacts_destination(ctx, name),
                listen_port=self.args.port,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.connection = {"tracking_uri": self.server.tracking_uri, "venv": self.server.venv}
        self.register_outputs({"connection": self.connection})
