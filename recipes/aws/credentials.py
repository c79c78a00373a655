"""A dynamic resource that generates an admin's password and API token once, kept secret.

The values are made at create and kept in the resource's ``credentials`` output, which is a
secret input (a placeholder) too, so every engine stores it encrypted; later deploys keep it.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider

from provisioner.recipes.local.providers.label_studio import new_credentials


class GeneratedCredentialsProvider(ResourceProvider):
    """Inputs: ``username``; outputs: ``credentials`` (username, password, token)."""

    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        username = str(props["username"])
        return CreateResult(
            f"credentials-{username}",
            {"username": username, "credentials": new_credentials(username)},
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = olds.get("username") != news.get("username")
        return DiffResult(changes=changed, replaces=["username"] if changed else [], stables=[])


class GeneratedCredentials(
    pulumi.dynamic.Resource, module="provisioner", name="GeneratedCredentials"
):
    """An admin's username with a generated password and API token (secret)."""

    credentials: pulumi.Output[dict[str, str]]

    def __init__(
        self, name: str, username: str, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {"username": username, "credentials": pulumi.Output.secret("")}
        # The Pulumi engine also keeps outputs named here secret (the embedded engine keeps
        # an output secret when its input of the same name is).
        secret = pulumi.ResourceOptions(additional_secret_outputs=["credentials"])
        opts = pulumi.ResourceOptions.merge(opts, secret) if opts else secret
        super().__init__(GeneratedCredentialsProvider(), name, props, opts)
