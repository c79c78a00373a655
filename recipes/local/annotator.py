"""Recipe: a real Label Studio server, run as a managed service on 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.local import paths
from provisioner.recipes.local.flavors import LocalLabelStudioConfig
from provisioner.recipes.local.providers.label_studio import (
    LocalLabelStudioService,
    LocalLabelStudioServiceArgs,
)


@dataclass(frozen=True)
class LocalLabelStudioArgs:
    """Inputs of a LocalLabelStudio.

    Attributes:
        service_dir: absolute folder for the server's data, log and state.
        port: port on 127.0.0.1; 0 picks a free one at deploy time.
        username: the admin's email.
        token_env: environment variable the runtime reads the API token from.
    """

    service_dir: str
    port: int = 0
    username: str = "admin@provisioner.local"
    token_env: str = "LABEL_STUDIO_API_KEY"

    @classmethod
    def from_config(
        cls, config: LocalLabelStudioConfig, ctx: RecipeContext, name: str
    ) -> LocalLabelStudioArgs:
        """Args from the flavor config; the service lives in ``<home>/services/<stack>/<name>``."""
        service_dir = paths.resolve_dir(None, paths.service_dir(ctx.spec.name, name))
        return cls(
            service_dir=service_dir,
            port=config.port,
            username=config.username,
            token_env=config.token_env,
        )


class LocalLabelStudio(pulumi.ComponentResource):
    """A Label Studio server whose admin and API token are generated at deploy.

    Connection: ``{"url": "http://127.0.0.1:<port>", "token_env": "<VARIABLE>"}``. The
    credentials stay secret in state (``secrets``: the stack's ``secrets`` output).
    """

    TYPE = "provisioner:local:LabelStudio"

    def __init__(
        self,
        name: str,
        config: LocalLabelStudioConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.args = LocalLabelStudioArgs.from_config(config, ctx, name)
        self.service = LocalLabelStudioService(
            f"{name}-service",
            LocalLabelStudioServiceArgs(
                service_dir=self.args.service_dir,
                listen_port=self.args.port,
                username=self.args.username,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.connection: dict[str, Any] = {
            "url": self.service.url,
            "token_env": self.args.token_env,
        }
        credentials = pulumi.Output.secret(self.service.credentials)
        #: Secret values for the operator (`stack outputs --show-secrets`), never the config.
        self.secrets: dict[str, Any] = {
            "url": self.service.url,
            "username": credentials.apply(lambda c: (c or {}).get("username")),
            "password": credentials.apply(lambda c: (c or {}).get("password")),
            "api_token": credentials.apply(lambda c: (c or {}).get("token")),
            "token_env": self.args.token_env,
        }
        self.register_outputs({"connection": self.connection, "secrets": self.secrets})
