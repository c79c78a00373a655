"""Recipe: the Slack alerter, a Key Vault secret reference for its webhook URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.azure import names, roles, siblings
from provisioner.recipes.azure.base import component_options, stack_base
from provisioner.recipes.azure.flavors import SlackAlerterConfig
from provisioner.recipes.azure.sdk import azure, field


@dataclass(frozen=True)
class AzureSlackAlerterArgs:
    """Inputs of an AzureSlackAlerter.

    Attributes:
        location: Azure location of the vault.
        tags: tags of every taggable resource.
        vault_name: the vault to create (ignored with ``config.secret_id``).
        config: the flavor's settings.
    """

    location: str
    tags: dict[str, str]
    vault_name: str
    config: SlackAlerterConfig

    @classmethod
    def from_config(cls, config: SlackAlerterConfig, ctx: RecipeContext) -> AzureSlackAlerterArgs:
        """Args from the flavor config and the stack."""
        return cls(
            location=ctx.spec.location_name,  # type: ignore[union-attr]
            tags=ctx.tags,
            vault_name=config.key_vault_name
            or names.dashed(ctx.spec.name, "kv", names.KEY_VAULT[1]),
            config=config,
        )


class AzureSlackAlerter(pulumi.ComponentResource):
    """Holds no value: creates a Key Vault (RBAC, soft delete) for the webhook URL, or
    references an existing secret, and lets the runtime identities read secrets of it.

    The recipe never writes the webhook, so it is never in Pulumi state; put it with
    ``az keyvault secret set --vault-name <vault> --name <secret> --value URL`` (the deployer
    is granted that). Connection: ``{"webhook_secret" (the secret's id), "azure": {"key_vault_uri"}}``.
    """

    TYPE = "provisioner:azure:SlackAlerter"

    def __init__(
        self,
        name: str,
        config: SlackAlerterConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, component_options(ctx, opts))
        args = self.args = AzureSlackAlerterArgs.from_config(config, ctx)
        base = stack_base(ctx)
        child = pulumi.ResourceOptions(parent=self)
        stack = ctx.spec.name
        self.vault = None
        self.grants: list[Any] = []
        if config.secret_id is not None:
            secret_id: Any = config.secret_id.rstrip("/")
            vault_uri: Any = secret_id.split("/secrets/")[0] + "/"
        else:
            self.vault = azure.keyvault.Vault(
                f"{name}-vault",
                vault_name=args.vault_name,
                resource_group_name=base.group.name,
                location=args.location,
                properties={
                    "tenant_id": base.tenant_id,
                    "sku": {"family": "A", "name": "standard"},
                    "enable_rbac_authorization": True,
                    "soft_delete_retention_in_days": config.soft_delete_days,
                    "public_network_access": "Enabled",
                },
                tags=args.tags,
                opts=child,
            )
            # Azure reports the URI; a plan (which has no answer yet) shows the public cloud's.
            public = f"https://{args.vault_name}.vault.azure.net/"
            vault_uri = self.vault.properties.apply(lambda p: field(p, "vault_uri") or public)
            secret_id = pulumi.Output.concat(vault_uri, "secrets/", config.secret_name)
            self.grants.append(
                roles.assign(
                    f"{name}-deployer-set",
                    stack=stack,
                    role="Key Vault Secrets Officer",
                    on="alerter key vault",
                    scope=self.vault.id,
                    principal_id=base.deployer_object_id,
                    principal_type=None,
                    opts=child,
                )
            )
            self.grants += [
                roles.assign(
                    f"{name}-read-{label}",
                    stack=stack,
                    role="Key Vault Secrets User",
                    on="alerter key vault",
                    scope=self.vault.id,
                    principal_id=who.principal_id,
                    principal_type=who.type,
                    opts=child,
                )
                for label, who in siblings.runtime_identities(ctx).items()
            ]
        self.connection: dict[str, Any] = {
            "webhook_secret": secret_id,
            "azure": {"key_vault_uri": vault_uri},
        }
        self.register_outputs({"connection": self.connection})
