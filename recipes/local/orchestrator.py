"""Recipe: the local orchestrator, which needs only a scratch workspace on this machine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.local import paths
from provisioner.recipes.local.flavors import LocalOrchestratorConfig
from provisioner.recipes.local.providers.directory import LocalDirectory, LocalDirectoryArgs


@dataclass(frozen=True)
class LocalOrchestratorArgs:
    """Inputs of a LocalOrchestrator.

    Attributes:
        max_workers: steps run at once at most.
        workspace: absolute scratch directory for runs.
    """

    max_workers: int
    workspace: str

    @classmethod
    def from_config(
        cls, config: LocalOrchestratorConfig, ctx: RecipeContext
    ) -> LocalOrchestratorArgs:
        """Args from the flavor config; the workspace is ``<home>/workspaces/<stack>``."""
        workspace = paths.resolve_dir(None, paths.workspace_dir(ctx.spec.name))
        return cls(max_workers=config.max_workers, workspace=workspace)


class LocalOrchestrator(pulumi.ComponentResource):
    """Runs steps here; connection: ``{"max_workers": int, "workspace": <absolute path>}``."""

    TYPE = "provisioner:local:Orchestrator"

    def __init__(
        self,
        name: str,
        config: LocalOrchestratorConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.args = LocalOrchestratorArgs.from_config(config, ctx)
        # No child carries max_workers, so it is the component's own input: plans show changes.
        super().__init__(self.TYPE, name, {"max_workers": self.args.max_workers}, opts)
        self.workspace = LocalDirectory(
            f"{name}-workspace",
            LocalDirectoryArgs(path=self.args.workspace, purpose="orchestrator workspace"),
            pulumi.ResourceOptions(parent=self),
        )
        self.connection: dict[str, Any] = {
            "max_workers": self.args.max_workers,
            "workspace": self.workspace.path,
        }
        self.register_outputs({"connection": self.connection})
