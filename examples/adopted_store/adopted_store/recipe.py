"""The recipe: one ComponentResource with one adopted directory under it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from adopted_store.flavors import AdoptedDirectoryConfig
from adopted_store.provider import AdoptedDirectory
from provisioner.catalog.flavor import RecipeContext


@dataclass(frozen=True)
class AdoptedArtifactStoreArgs:
    """Inputs of an AdoptedArtifactStore.

    Attributes:
        path: the existing directory to adopt.
    """

    path: str

    @classmethod
    def from_config(
        cls, config: AdoptedDirectoryConfig, _ctx: RecipeContext
    ) -> AdoptedArtifactStoreArgs:
        return cls(path=config.path)


class AdoptedArtifactStore(pulumi.ComponentResource):
    """An artifact store in an existing directory; connection: ``{"uri": <path>}``."""

    TYPE = "provisioner:local:AdoptedArtifactStore"

    def __init__(
        self,
        name: str,
        config: AdoptedDirectoryConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.args = AdoptedArtifactStoreArgs.from_config(config, ctx)
        self.directory = AdoptedDirectory(
            f"{name}-dir", self.args.path, pulumi.ResourceOptions(parent=self)
        )
        self.connection: dict[str, Any] = {"uri": self.directory.path}
        self.register_outputs({"path": self.directory.path, "connection": self.connection})
