"""Mocks test of the slack alerter recipe."""

from __future__ import annotations

import pytest

from provisioner.catalog.types import ComponentType
from provisioner.recipes.aws.alerter import AWSSlackAlerter
from provisioner.recipes.aws.flavors import EKSOrchestratorConfig, SlackAlerterConfig
from provisioner.recipes.aws.kubernetes import AWSKubernetesOrchestrator
from tests.recipes.aws import harness

NAME = "ml-alerter"
SECRET = "aws:secretsmanager/secret:Secret"
EXISTING = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/slack-AbC123"


def test_creates_an_empty_secret_and_exposes_only_its_arn():
    ctx = harness.make_ctx()
    r = harness.run(lambda: AWSSlackAlerter(NAME, SlackAlerterConfig(), ctx))
    harness.check_all(r)
    comp = r.one("provisioner:aws:SlackAlerter")
    assert r.types_under(comp) == {SECRET}
    secret = r.one(SECRET)
    assert secret.inputs["name"] == "provisioner/ml/slack-webhook"
    assert secret.inputs["recoveryWindowInDays"] == 7
    assert not r.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert r.connections["main"] == {"webhook_secret_arn": secret.outputs["arn"]}


def test_existing_secret_creates_nothing_and_step_roles_may_read_it():
    ctx = harness.make_ctx()

    def program():
        harness.build_storage(ctx)
        ctx.components[ComponentType.ORCHESTRATOR] = AWSKubernetesOrchestrator(
            "ml-orchestrator", EKSOrchestratorConfig(), ctx
        )
        return AWSSlackAlerter(NAME, SlackAlerterConfig(secret_arn=EXISTING), ctx)

    r = harness.run(program)
    harness.check_all(r)
    comp = r.one("provisioner:aws:SlackAlerter")
    assert not r.of_type(SECRET)
    (grant,) = r.under(comp)
    assert grant.name == f"{NAME}-read-orchestrator"
    assert grant.inputs["role"] == r.one("aws:iam/role:Role", "ml-orchestrator-step-role").id
    (st,) = grant.policy()["Statement"]
    assert st["Action"] == ["secretsmanager:GetSecretValue"] and st["Resource"] == EXISTING
    assert r.connections["main"] == {"webhook_secret_arn": EXISTING}


@pytest.mark.parametrize(
    "config",
    [
        {"secret_arn": EXISTING, "secret_name": "x"},
        {"secret_arn": "arn:aws:s3:::bucket"},
        {"recovery_window_days": 3},
        {"webhook_url": "https://hooks.slack.com/services/T/B/X"},
    ],
)
def test_bad_config_is_rejected(config):
    with pytest.raises(ValueError):
        SlackAlerterConfig(**config)
