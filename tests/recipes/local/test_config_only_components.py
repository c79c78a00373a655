"""Mocks test of the recipes that create nothing (alerters, step operators): the config is
the connection, secrets only by reference."""

from __future__ import annotations

from provisioner.catalog.flavor import validate_data
from provisioner.recipes.common.alerter import SlackAlerter, WebhookAlerter
from provisioner.recipes.common.flavors import SlackAlerterConfig, WebhookAlerterConfig
from provisioner.recipes.common.step_operator import ProcessStepOperator
from provisioner.recipes.local.flavors import ProcessStepOperatorConfig


def test_slack_alerter_writes_its_config(prov_home, ctx, monitor, deploy):
    config = validate_data(SlackAlerterConfig, {"channel": "#ml-alerts"})
    out = deploy(lambda: SlackAlerter("demo-alerter", config, ctx))
    comp = monitor.by_name("demo-alerter")
    assert comp.type == "provisioner:local:SlackAlerter" and not comp.custom
    assert len(monitor.registrations) == 1  # nothing is created
    assert out["connection"] == {
        "channel": "#ml-alerts",
        "token": {"source": "env", "name": "SLACK_BOT_TOKEN"},
        "poll_interval": 5.0,
    }


def test_webhook_and_process_operator(prov_home, ctx, monitor, deploy):
    hook = validate_data(
        WebhookAlerterConfig, {"url": {"source": "env", "name": "HOOK"}, "format": "teams"}
    )
    out = deploy(lambda: WebhookAlerter("demo-hook", hook, ctx))
    assert out["connection"]["url"] == {"source": "env", "name": "HOOK"}
    assert monitor.by_name("demo-hook").type == "provisioner:local:WebhookAlerter"
    op = validate_data(ProcessStepOperatorConfig, {"memory_limit": "2Gi", "cpu_seconds": 60})
    out = deploy(lambda: ProcessStepOperator("demo-ops", op, ctx))
    assert out["connection"] == {"memory_limit": "2Gi", "cpu_seconds": 60}
