"""Recipe: a real OCI registry (Debian's docker-registry) run as a managed service on 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.local import paths
from provisioner.recipes.local.flavors import LocalContainerRegistryConfig
from provisioner.recipes.local.providers.registry import (
    LocalRegistryService,
    LocalRegistryServiceArgs,
)


@dataclass(frozen=True)
class LocalContainerRegistryArgs:
    """Inputs of a LocalContainerRegistry.

    Attributes:
        service_dir: absolute folder for the registry's config, log, state and data.
        port: port on 127.0.0.1; 0 picks a free one at deploy time.
        allow_delete: let clients delete images.
    """

    service_dir: str
    port: int = 0
    allow_delete: bool = False

    @classmethod
    def from_config(
        cls, config: LocalContainerRegistryConfig, ctx: RecipeContext, name: str
    ) -> LocalContainerRegistryArgs:
        """Args from the flavor config; the service lives in ``<home>/services/<stack>/<name>``."""
        service_dir = paths.resolve_dir(None, paths.service_dir(ctx.spec.name, name))
        return cls(service_dir=service_dir, port=config.port, allow_delete=config.allow_delete)


class LocalContainerRegistry(pulumi.ComponentResource):
    """An OCI registry on 127.0.0.1 with htpasswd auth.

    Connection: ``{"uri": "127.0.0.1:<port>", "credentials_file": "<service dir>/credentials.json"}``.
    """

    TYPE = "provisioner:local:ContainerRegistry"

    def __init__(
        self,
        name: str,
        config: LocalContainerRegistryConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.args = LocalContainerRegistryArgs.from_config(config, ctx, name)
        self.service = LocalRegistryService(
            f"{name}-service",
            LocalRegistryServiceArgs(
                service_dir=self.args.service_dir,
                listen_port=self.args.port,
                allow_delete=self.args.allow_delete,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        # the password stays in the 0600 credentials file; the stack config names the file
        self.connection: dict[str, Any] = {
            "uri": self.service.uri,
            "credentials_file": self.service.credentials_file,
        }
        self.register_outputs({"connection": self.connection})
