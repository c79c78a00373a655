"""Recipe: the model registry of the stack's local MLflow server (nothing to create)."""

from __future__ import annotations

from typing import Any

import pulumi

from provisioner.catalog.flavor import FlavorConfig, RecipeContext
from provisioner.catalog.types import ComponentType
from provisioner.errors import UserInputError


def mlflow_server(ctx: RecipeContext, name: str, what: str) -> Any:
    """The stack's local MLflow server resource, or an error naming who needs it.

    Raises:
        UserInputError: no experiment_tracker of flavor mlflow with ``backend: server``.
    """
    tracker = ctx.components.get(ComponentType.EXPERIMENT_TRACKER)
    server = getattr(tracker, "server", None)
    if server is None:
        raise UserInputError(
            f"{name}: the mlflow {what} needs the stack's MLflow server: an "
            "experiment_tracker of flavor 'mlflow' with `backend: server`",
            hint="Add `experiment_tracker: {flavor: mlflow}` to the stack definition, before "
            f"the {what}.",
        )
    return server


class LocalMLflowModelRegistry(pulumi.ComponentResource):
    """The registry of the MLflow server; connection: ``{"tracking_uri": "http://..."}``."""

    TYPE = "provisioner:local:MLflowModelRegistry"

    def __init__(
        self,
        name: str,
        config: FlavorConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        server = mlflow_server(ctx, name, "model registry")
        self.connection: dict[str, Any] = {"tracking_uri": server.tracking_uri}
        self.register_outputs({"connection": self.connection})
