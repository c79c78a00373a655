"""Recipe: model servers on 127.0.0.1, run from the MLflow server's environment.

Nothing runs at deploy time: ``deploy()`` in a step (or from ``connect(stack)``) starts a
model server; this recipe hands the runtime the environment and the folder they use, and
owns the servers so that a destroy stops them.
"""

from __future__ import annotations

from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.catalog.types import ComponentType
from provisioner.recipes.local import paths
from provisioner.recipes.local.flavors import LocalMLflowModelDeployerConfig
from provisioner.recipes.local.model_registry import mlflow_server
from provisioner.recipes.local.providers.model_servers import (
    LocalModelServers,
    LocalModelServersArgs,
)


class LocalMLflowModelDeployer(pulumi.ComponentResource):
    """Connection: ``{"tracking_uri", "venv", "service_dir", "start_timeout"}``."""

    TYPE = "provisioner:local:MLflowModelDeployer"

    def __init__(
        self,
        name: str,
        config: LocalMLflowModelDeployerConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        server = mlflow_server(ctx, name, "model deployer")
        service_dir = paths.resolve_dir(None, paths.service_dir(ctx.spec.name, name))
        store = ctx.components.get(ComponentType.ARTIFACT_STORE)
        self.servers = LocalModelServers(
            f"{name}-servers",
            LocalModelServersArgs(service_dir=service_dir, store_dir=store.directory.path),
            pulumi.ResourceOptions(parent=self),
        )
        self.connection: dict[str, Any] = {
            "tracking_uri": server.tracking_uri,
            "venv": server.venv,
            "service_dir": self.servers.id.apply(lambda _: service_dir),
            "start_timeout": config.start_timeout,
        }
        self.register_outputs({"connection": self.connection})
