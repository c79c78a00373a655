"""The recipe of a component with no infrastructure: its config becomes its connection."""

from __future__ import annotations

from typing import Any

import pulumi

from provisioner.catalog.flavor import FlavorConfig, RecipeContext


class ConfigOnlyComponent(pulumi.ComponentResource):
    """Creates nothing: its connection is its config (secrets only by reference)."""

    #: The type token's last part: ``provisioner:<cloud>:<KIND>``.
    KIND = ""

    def __init__(
        self,
        name: str,
        config: FlavorConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.connection: dict[str, Any] = config.model_dump(mode="json", exclude_none=True)
        # No child carries the config, so it is the component's own input: plans show changes.
        super().__init__(f"provisioner:{ctx.spec.cloud}:{self.KIND}", name, self.connection, opts)
        self.register_outputs({"connection": self.connection})
