"""Recipe: the local artifact store, a directory on this machine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.local import paths
from provisioner.recipes.local.flavors import LocalArtifactStoreConfig
from provisioner.recipes.local.providers.directory import LocalDirectory, LocalDirectoryArgs


@dataclass(frozen=True)
class LocalArtifactStoreArgs:
    """Inputs of a LocalArtifactStore.

    Attributes:
        path: absolute directory holding the artifacts.
        force_destroy: let a destroy delete the directory while it holds artifacts.
    """

    path: str
    force_destroy: bool = False

    @classmethod
    def from_config(
        cls, config: LocalArtifactStoreConfig, ctx: RecipeContext
    ) -> LocalArtifactStoreArgs:
        """Args from the flavor config; the default path is ``<home>/artifacts/<stack>``."""
        path = paths.resolve_dir(config.path, paths.artifacts_dir(ctx.spec.name), ctx.base_dir)
        return cls(path=path, force_destroy=config.force_destroy)


class LocalArtifactStore(pulumi.ComponentResource):
    """A directory for artifacts; connection: ``{"uri": <absolute path>}``."""

    TYPE = "provisioner:local:ArtifactStore"

    def __init__(
        self,
        name: str,
        config: LocalArtifactStoreConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.args = LocalArtifactStoreArgs.from_config(config, ctx)
        self.directory = LocalDirectory(
            f"{name}-dir",
            LocalDirectoryArgs(
                path=self.args.path,
                purpose="artifact store",
                guard_data=True,
                force_destroy=self.args.force_destroy,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.connection: dict[str, Any] = {"uri": self.directory.path}
        self.register_outputs({"path": self.directory.path, "connection": self.connection})
