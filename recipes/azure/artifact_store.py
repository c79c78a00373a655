"""Recipe: the Azure artifact store, a private container in a locked-down storage account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.azure import names, roles, siblings
from provisioner.recipes.azure.base import component_options, stack_base
from provisioner.recipes.azure.flavors import STORAGE_PROTECTED_HINT, AzureBlobArtifactStoreConfig
from provisioner.recipes.azure.sdk import azure, field

__all__ = ["STORAGE_PROTECTED_HINT", "AzureArtifactStore", "storage_protected_hint"]


def storage_protected_hint(error_text: str) -> str | None:
    """The hint to show when a destroy stopped at the protected storage account, else None."""
    return STORAGE_PROTECTED_HINT if "protect" in error_text.lower() else None


def default_account_name(stack: str) -> str:
    """``<stack without dashes>st<hash>``, at most 24 lowercase letters and digits."""
    return names.compact(stack, "st", names.STORAGE_ACCOUNT[1])


@dataclass(frozen=True)
class AzureArtifactStoreArgs:
    """Inputs of an AzureArtifactStore.

    Attributes:
        location: Azure location of the account.
        tags: tags of every taggable resource.
        account_name: the storage account's (global) name.
        config: the flavor's settings.
    """

    location: str
    tags: dict[str, str]
    account_name: str
    config: AzureBlobArtifactStoreConfig

    @classmethod
    def from_config(
        cls, config: AzureBlobArtifactStoreConfig, ctx: RecipeContext
    ) -> AzureArtifactStoreArgs:
        """Args from the flavor config and the stack."""
        return cls(
            location=ctx.spec.location_name,  # type: ignore[union-attr]
            tags=ctx.tags,
            account_name=config.account_name or default_account_name(ctx.spec.name),
            config=config,
        )


class AzureArtifactStore(pulumi.ComponentResource):
    """A StorageV2 account (HTTPS only, TLS 1.2, no public blobs, Entra ID only unless
    ``shared_key_access``) with one private container.

    Connection: ``{"uri": "az://<container>/<prefix>", "azure": {"account_url",
    "account_name", "storage_account_id", "resource_group"}}``. Siblings use
    ``container_ref`` to grant their identities access to the container alone.
    """

    TYPE = "provisioner:azure:ArtifactStore"

    def __init__(
        self,
        name: str,
        config: AzureBlobArtifactStoreConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, component_options(ctx, opts))
        args = self.args = AzureArtifactStoreArgs.from_config(config, ctx)
        base = stack_base(ctx)
        child = pulumi.ResourceOptions(parent=self)
        self.account = azure.storage.StorageAccount(
            f"{name}-account",
            account_name=args.account_name,
            resource_group_name=base.group.name,
            location=args.location,
            kind="StorageV2",
            sku={"name": config.sku},
            access_tier="Hot",
            enable_https_traffic_only=True,
            minimum_tls_version="TLS1_2",
            allow_blob_public_access=False,
            allow_shared_key_access=config.shared_key_access,
            default_to_o_auth_authentication=not config.shared_key_access,
            allow_cross_tenant_replication=False,
            encryption={
                "key_source": "Microsoft.Storage",
                "services": {"blob": {"enabled": True, "key_type": "Account"}},
            },
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=not config.force_destroy),
        )
        self.blob_service = azure.storage.BlobServiceProperties(
            f"{name}-blob-service",
            account_name=self.account.name,
            resource_group_name=base.group.name,
            blob_services_name="default",
            is_versioning_enabled=config.versioning,
            delete_retention_policy=self._retention(config.soft_delete_days),
            container_delete_retention_policy=self._retention(config.soft_delete_days),
            opts=child,
        )
        self.container = azure.storage.BlobContainer(
            f"{name}-container",
            account_name=self.account.name,
            resource_group_name=base.group.name,
            container_name=config.container_name,
            public_access="None",
            opts=child,
        )
        self.lifecycle = None
        if config.versioning and config.noncurrent_expire_after_days:
            self.lifecycle = azure.storage.ManagementPolicy(
                f"{name}-lifecycle",
                account_name=self.account.name,
                resource_group_name=base.group.name,
                management_policy_name="default",
                policy={
                    "rules": [
                        {
                            "name": "expire-old-versions",
                            "enabled": True,
                            "type": "Lifecycle",
                            "definition": {
                                "filters": {"blob_types": ["blockBlob"]},
                                "actions": {
                                    "version": {
                                        "delete": {
                                            "days_after_creation_greater_than": (
                                                config.noncurrent_expire_after_days
                                            )
                                        }
                                    }
                                },
                            },
                        }
                    ]
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.blob_service]),
            )
        # Azure reports the endpoint; a plan (which has no answer yet) shows the public cloud's.
        public = f"https://{args.account_name}.blob.core.windows.net"
        self.account_url: pulumi.Output[str] = self.account.primary_endpoints.apply(
            lambda e: (field(e, "blob") or public).rstrip("/")
        )
        self.container_ref = siblings.ContainerRef(
            account_id=self.account.id,
            account_name=self.account.name,
            account_url=self.account_url,
            container=config.container_name,
            scope=roles.container_scope(self.account.id, config.container_name),
            prefix=config.prefix,
        )
        self.uri = f"az://{config.container_name}/{config.prefix}"
        self.connection: dict[str, Any] = {
            "uri": self.uri,
            "azure": {
                "account_url": self.account_url,
                "account_name": args.account_name,
                "storage_account_id": self.account.id,
                "resource_group": base.name,
            },
        }
        self.register_outputs(
            {"storage_account_id": self.account.id, "connection": self.connection}
        )

    @staticmethod
    def _retention(days: int) -> dict[str, Any]:
        return {"enabled": True, "days": days} if days else {"enabled": False}
