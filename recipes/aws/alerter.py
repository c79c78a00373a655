"""Recipe: the Slack alerter, a reference to the Secrets Manager secret holding its bot token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from provisioner.catalog.flavor import RecipeContext
from provisioner.recipes.aws import iam, names, siblings
from provisioner.recipes.aws.flavors import SlackAlerterConfig
from provisioner.recipes.aws.sdk import aws


@dataclass(frozen=True)
class AWSSlackAlerterArgs:
    """Inputs of an AWSSlackAlerter.

    Attributes:
        region: AWS region of the secret.
        tags: tags of every taggable resource.
        secret_arn: an existing secret, or None to create ``secret_name``.
        secret_name: name of the secret to create, or None for ``secret_prefix`` plus a
            unique suffix.
        secret_prefix: the prefix of a created secret's name when no name is given.
        recovery_window_days: days a destroyed secret stays restorable.
    """

    region: str
    tags: dict[str, str]
    secret_arn: str | None
    secret_name: str | None
    secret_prefix: str
    recovery_window_days: int

    @classmethod
    def from_config(cls, config: SlackAlerterConfig, ctx: RecipeContext) -> AWSSlackAlerterArgs:
        """Args from the flavor config and the stack."""
        return cls(
            region=ctx.spec.region,
            tags=ctx.tags,
            secret_arn=config.secret_arn,
            secret_name=config.secret_name,
            secret_prefix=f"provisioner/{ctx.spec.name}/slack-webhook-",
            recovery_window_days=config.recovery_window_days,
        )


class AWSSlackAlerter(pulumi.ComponentResource):
    """Holds no value: creates (or references) a secret for the bot token and lets the
    stack's step roles read it.

    The recipe never writes the token itself, so it is never in Pulumi state; put it with
    ``aws secretsmanager put-secret-value --secret-id <webhook_secret_arn> --secret-string
    xoxb-...`` (an incoming-webhook URL works too, for posts only). Connection:
    ``{"webhook_secret_arn", "channel"}`` (the key keeps its first name).
    """

    TYPE = "provisioner:aws:SlackAlerter"

    def __init__(
        self,
        name: str,
        config: SlackAlerterConfig,
        ctx: RecipeContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        args = self.args = AWSSlackAlerterArgs.from_config(config, ctx)
        child = pulumi.ResourceOptions(parent=self)
        self.secret = None
        secret_arn: Any = args.secret_arn
        if secret_arn is None:
            # A destroyed secret's name stays taken for its recovery window: unless a name is
            # given, each deploy gets a fresh suffix, so a redeploy right after a destroy works.
            self.secret = aws.secretsmanager.Secret(
                f"{name}-webhook",
                name=args.secret_name,
                name_prefix=None if args.secret_name else args.secret_prefix,
                description=f"Slack webhook URL of stack {ctx.spec.name} (set it after deploy)",
                recovery_window_in_days=args.recovery_window_days,
                region=args.region,
                tags=args.tags,
                opts=child,
            )
            secret_arn = self.secret.arn
        self.grants = [
            aws.iam.RolePolicy(
                f"{name}-read-{label}",
                name=names.fit(f"{name}-read-{label}", names.IAM_INLINE_POLICY),
                role=role.id,
                policy=iam.document(
                    [
                        {
                            "Sid": "ReadSlackWebhook",
                            "Effect": "Allow",
                            "Action": ["secretsmanager:GetSecretValue"],
                            "Resource": secret_arn,
                        }
                    ]
                ),
                opts=child,
            )
            for label, role in siblings.runtime_roles(ctx).items()
        ]
        self.connection: dict[str, Any] = {"webhook_secret": secret_arn}
        if config.channel:
            self.connection["channel"] = config.channel
        self.register_outputs({"connection": self.connection})
