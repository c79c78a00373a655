"""Recipe: an MLflow file store in a local directory, reached through a file:// tracking URI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.local import paths
from provisioner.recipes.local.flavors import LocalMLflowConfig
from provisioner.recipes.local.providers.directory import LocalDirectory, LocalDirectoryArgs


@dataclass(frozen=True)
class LocalMLflowArgs:
    """Inputs of a LocalMLflow.

    Attributes:
        path: absolute directory of the MLflow file store.
        force_destroy: let a destroy delete the store while it holds runs.
    """

    path: str
    force_destroy: bool = False

    @classmethod
    def from_config(cls, config: LocalMLflowConfig, ctx: RecipeContext) -> LocalMLflowArgs:
        """Args from the flavor config; the default path is ``<home>/mlruns/<stack>``."""
        path = paths.resolve_dir(config.path, paths.mlruns_dir(ctx.spec.name), ctx.base_dir)
        return cls(path=path, force_destroy=config.force_destroy)


def tracking_uri(path: str) -> str:
    """The ``file://`` tracking URI of an absolute store directory."""
    return Path(path).as_uri()


class LocalMLflow(pulumi.ComponentResource):
    """An MLflow file store; connection: ``{"tracking_uri": "file:///<absolute dir>"}``."""

    TYPE = "provisioner:local:MLflow"

    def __init__(
        self,
        name: str,
        config: LocalMLflowConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.args = LocalMLflowArgs.from_config(config, ctx)
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
