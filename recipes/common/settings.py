"""Recipes of flavors with no infrastructure: nothing is created, the settings are the
connection, so the component still appears in the stack config and in the state."""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi

from provisioner.catalog.flavor import FlavorConfig, RecipeContext


class SettingsOnlyComponent(pulumi.ComponentResource):
    """A component with no child resources; connection: its flavor config, defaults filled in.

    Its type token is ``provisioner:<cloud>:<KIND>``: the same recipe serves every cloud.
    """

    KIND: ClassVar[str] = ""

    def __init__(
        self,
        name: str,
        config: FlavorConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(f"provisioner:{ctx.spec.cloud}:{self.KIND}", name, None, opts)
        self.connection: dict[str, Any] = config.model_dump(mode="json")
        self.register_outputs({"connection": self.connection})


class PanderaDataValidator(SettingsOnlyComponent):
    """The pandera data validator: runs in the steps, creates nothing."""

    KIND = "PanderaDataValidator"


class EvidentlyDataValidator(SettingsOnlyComponent):
    """The Evidently data validator: runs in the steps, creates nothing."""

    KIND = "EvidentlyDataValidator"
