"""Recipe: the Slack alerter, a reference to the Secret Manager secret holding its webhook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.gcp import iam, names, services, siblings
from provisioner.recipes.gcp.flavors import SlackAlerterConfig
from provisioner.recipes.gcp.sdk import gcp

APIS = ("secretmanager.googleapis.com",)


@dataclass(frozen=True)
class GCPSlackAlerterArgs:
    """Inputs of a GCPSlackAlerter.

    Attributes:
        project: GCP project of a created secret.
        region: the stack's region, where a created secret's data is replicated.
        labels: labels of a created secret.
        secret: an existing secret (``projects/P/secrets/S``), or None to create one.
        secret_id: id of the secret to create.
    """

    project: str
    region: str
    labels: dict[str, str]
    secret: str | None
    secret_id: str

    @classmethod
    def from_config(
        cls, name: str, config: SlackAlerterConfig, ctx: RecipeContext
    ) -> GCPSlackAlerterArgs:
        """Args from the flavor config and the stack."""
        return cls(
            project=ctx.spec.project,
            region=ctx.spec.region,
            labels=ctx.tags,
            secret=config.secret,
            secret_id=config.secret_id or names.fit(f"{name}-slack-webhook", names.SECRET_ID),
        )


class GCPSlackAlerter(pulumi.ComponentResource):
    """Holds no value: creates (or references) a secret for the webhook URL and lets the
    stack's runtime accounts read it.

    The recipe never writes the webhook itself, so it is never in Pulumi state; add it with
    ``printf %s URL | gcloud secrets versions add SECRET --data-file=-``.
    Connection: ``{"webhook_secret": "projects/P/secrets/S"}``.
    """

    TYPE = "provisioner:gcp:SlackAlerter"

    def __init__(
        self,
        name: str,
        config: SlackAlerterConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        args = self.args = GCPSlackAlerterArgs.from_config(name, config, ctx)
        self.secret = None
        if args.secret is None:
            apis = services.enable(self, name, ctx, APIS)
            self.secret = gcp.secretmanager.Secret(
                f"{name}-webhook",
                secret_id=args.secret_id,
                project=args.project,
                replication={"user_managed": {"replicas": [{"location": args.region}]}},
                labels=args.labels,
                opts=pulumi.ResourceOptions(parent=self, depends_on=apis),
            )
            project, secret_id = args.project, self.secret.secret_id
            # The resource name is known before the secret exists: the plan shows it.
            reference: Any = self.secret.secret_id.apply(
                lambda _: f"projects/{args.project}/secrets/{args.secret_id}"
            )
        else:
            _, project, _, secret_id = args.secret.split("/")
            reference = args.secret
        self.grants = [
            iam.on_secret(
                self, f"{name}-read-{label}", project, secret_id, iam.SECRET_ACCESSOR, who
            )
            for label, who in siblings.runtime_members(ctx).items()
        ]
        self.connection: dict[str, Any] = {"webhook_secret": reference}
        self.register_outputs({"connection": self.connection})
