"""Recipe: the local image builder, which needs no infrastructure: its settings become its
connection, and the runtime builds on this machine."""

from __future__ import annotations

import os
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.local.flavors import LocalImageBuilderConfig


class LocalImageBuilder(pulumi.ComponentResource):
    """Connection: ``{"base_image", "strategy", "dockerfile", "repository"}``."""

    TYPE = "provisioner:local:ImageBuilder"

    def __init__(
        self,
        name: str,
        config: LocalImageBuilderConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        dockerfile = (
            os.path.abspath(os.path.expanduser(config.dockerfile)) if config.dockerfile else None
        )
        self.connection: dict[str, Any] = {
            "base_image": config.base_image,
            "strategy": config.strategy,
            "repository": config.repository,
            **({"dockerfile": dockerfile} if dockerfile else {}),
        }
        # No child carries the settings, so they are the component's own inputs: plans show changes.
        super().__init__(self.TYPE, name, dict(self.connection), opts)
        self.register_outputs({"connection": self.connection})
