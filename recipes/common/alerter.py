"""Recipes: alerters that need no infrastructure; each writes its config into the stack config."""

from __future__ import annotations

from provisioner.recipes.common.config_only import ConfigOnlyComponent


class SlackAlerter(ConfigOnlyComponent):
    """The Slack alerter: channel and token reference; connection: the config."""

    KIND = "SlackAlerter"


class WebhookAlerter(ConfigOnlyComponent):
    """The webhook alerter: URL reference and payload format; connection: the config."""

    KIND = "WebhookAlerter"
